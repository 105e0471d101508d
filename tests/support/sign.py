"""Sign a PDF with pyHanko (the independent signer the tests compare against).

    python3 sign.py --key KEY.pem --cert CERT.pem [--chain CHAIN.pem]...
        [--field NAME] [--md sha256|sha384|sha512] [--pss]
        [--subfilter pades|pkcs7] [--tsa-key K.pem --tsa-cert C.pem]
        [--certify [--docmdp 1|2|3]] IN.pdf OUT.pdf
    python3 sign.py --doc-timestamp --tsa-key K.pem --tsa-cert C.pem IN.pdf OUT.pdf

Signs as an incremental update (earlier signatures stay intact). Certificates
are not checked at signing time: the tests make expired, revoked and
untrusted signatures on purpose.
"""

import argparse
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--key")
    ap.add_argument("--cert")
    ap.add_argument("--doc-timestamp", action="store_true", help="add a document timestamp instead of a signature")
    ap.add_argument("--chain", action="append", default=[])
    ap.add_argument("--field", default="Sig1")
    ap.add_argument("--md", default=None, choices=["sha256", "sha384", "sha512"], help="default: what the key type calls for")
    ap.add_argument("--pss", action="store_true")
    ap.add_argument("--subfilter", default="pades", choices=["pades", "pkcs7"])
    ap.add_argument("--tsa-key")
    ap.add_argument("--tsa-cert")
    ap.add_argument("--certify", action="store_true")
    ap.add_argument("--docmdp", type=int, default=2, choices=[1, 2, 3])
    ap.add_argument("input")
    ap.add_argument("output")
    a = ap.parse_args()
    try:
        from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers
        from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

        timestamper = None
        if a.tsa_key and a.tsa_cert:
            timestamper = DummyTimeStamper(
                tsa_cert=load_cert_from_pemder(a.tsa_cert),
                tsa_key=load_private_key_from_pemder(a.tsa_key, passphrase=None),
            )
        if a.doc_timestamp:
            if timestamper is None:
                raise ValueError("--doc-timestamp needs --tsa-key and --tsa-cert")
            with open(a.input, "rb") as f:
                w = IncrementalPdfFileWriter(f, strict=False)
                data = signers.PdfTimeStamper(timestamper).timestamp_pdf(w, md_algorithm="sha256").getvalue()
            with open(a.output, "wb") as f:
                f.write(data)
            return
        if not (a.key and a.cert):
            raise ValueError("--key and --cert are required")
        signer = signers.SimpleSigner.load(a.key, a.cert, ca_chain_files=tuple(a.chain), prefer_pss=a.pss)
        if signer is None:
            raise ValueError("could not load the key or certificate")
        subfilter = (
            fields.SigSeedSubFilter.PADES if a.subfilter == "pades" else fields.SigSeedSubFilter.ADOBE_PKCS7_DETACHED
        )
        meta = signers.PdfSignatureMetadata(
            field_name=a.field,
            md_algorithm=a.md,
            subfilter=subfilter,
            certify=a.certify,
            docmdp_permissions=fields.MDPPerm(a.docmdp),
        )
        with open(a.input, "rb") as f:
            w = IncrementalPdfFileWriter(f, strict=False)
            out = signers.sign_pdf(w, meta, signer=signer, timestamper=timestamper)
            data = out.getvalue()
        with open(a.output, "wb") as f:
            f.write(data)
    except Exception as e:
        print(f"sign.py: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

"""Sign a PDF with pyHanko (the independent signer the tests compare against).

    python3 sign.py --key KEY.pem --cert CERT.pem [--chain CHAIN.pem]...
        [--field NAME] [--use-existing-field] [--md sha256|sha384|sha512]
        [--pss] [--subfilter pades|pkcs7] [--certify [--docmdp 1|2|3]]
        [--tsa-key K.pem --tsa-cert C.pem [--tsa-chain C.pem]...
         [--timestamp-time RFC3339]] IN.pdf OUT.pdf
    python3 sign.py --doc-timestamp --tsa-key K.pem --tsa-cert C.pem
        [--tsa-chain C.pem]... [--timestamp-time RFC3339] IN.pdf OUT.pdf

Signs as an incremental update, so earlier signatures stay intact. Keys are
unencrypted PEM/DER (RSA, EC, Ed25519). Certificates are not checked at
signing time: the tests make expired, revoked and untrusted signatures on
purpose. Timestamps come from pyHanko's in-process DummyTimeStamper, which
signs with RSA keys only; --tsa-chain adds intermediates to the token when
the TSA is not issued directly by a trusted root.
"""

import argparse
import sys
from datetime import datetime, timezone


def rfc3339(text):
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an RFC 3339 time: {text!r}")
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--key", help="signer's private key (PKCS#8 PEM or DER)")
    ap.add_argument("--cert", help="signer's certificate")
    ap.add_argument("--chain", action="append", default=[], help="extra certificates to embed (repeatable)")
    ap.add_argument("--field", help="signature field name (default Sig1; pyHanko picks one for --doc-timestamp)")
    ap.add_argument("--use-existing-field", action="store_true", help="fill an existing empty field, never create one")
    ap.add_argument("--md", choices=["sha256", "sha384", "sha512"], help="default: what the key type calls for")
    ap.add_argument("--pss", action="store_true", help="RSASSA-PSS instead of PKCS#1 v1.5 (RSA keys)")
    ap.add_argument("--subfilter", default="pades", choices=["pades", "pkcs7"],
                    help="ETSI.CAdES.detached (default) or adbe.pkcs7.detached")
    ap.add_argument("--certify", action="store_true", help="certification (DocMDP) signature")
    ap.add_argument("--docmdp", type=int, default=2, choices=[1, 2, 3], help="DocMDP /P with --certify (default 2)")
    ap.add_argument("--tsa-key", help="TSA private key (RSA)")
    ap.add_argument("--tsa-cert", help="TSA certificate")
    ap.add_argument("--tsa-chain", action="append", default=[], help="certificates to embed in the timestamp token")
    ap.add_argument("--timestamp-time", type=rfc3339, help="genTime the TSA claims (default: now)")
    ap.add_argument("--doc-timestamp", action="store_true", help="add a document timestamp instead of a signature")
    ap.add_argument("input")
    ap.add_argument("output")
    a = ap.parse_args()
    if bool(a.tsa_key) != bool(a.tsa_cert):
        ap.error("--tsa-key and --tsa-cert go together")
    if a.doc_timestamp and not a.tsa_key:
        ap.error("--doc-timestamp needs --tsa-key and --tsa-cert")
    if not a.doc_timestamp and not (a.key and a.cert):
        ap.error("--key and --cert are required")
    try:
        sign(a)
    except Exception as e:
        msg = " ".join(str(e).split()) or "failed"
        print(f"sign.py: {type(e).__name__}: {msg}", file=sys.stderr)
        sys.exit(1)


def sign(a):
    from pyhanko.keys import load_cert_from_pemder, load_certs_from_pemder, load_private_key_from_pemder
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    timestamper = None
    if a.tsa_key:
        timestamper = DummyTimeStamper(
            tsa_cert=load_cert_from_pemder(a.tsa_cert),
            tsa_key=load_private_key_from_pemder(a.tsa_key, passphrase=None),
            certs_to_embed=list(load_certs_from_pemder(a.tsa_chain)),
            fixed_dt=a.timestamp_time,
        )

    with open(a.input, "rb") as f:
        w = IncrementalPdfFileWriter(f, strict=False)
        if a.doc_timestamp:
            ts = signers.PdfTimeStamper(timestamper, field_name=a.field)
            data = ts.timestamp_pdf(w, md_algorithm=a.md or "sha256").getvalue()
        else:
            # Built directly rather than via SimpleSigner.load(), which logs a
            # traceback and returns None instead of saying what went wrong.
            signer = signers.SimpleSigner(
                signing_cert=load_cert_from_pemder(a.cert),
                signing_key=load_private_key_from_pemder(a.key, passphrase=None),
                cert_registry=SimpleCertificateStore.from_certs(load_certs_from_pemder(a.chain)),
                prefer_pss=a.pss,
            )
            meta = signers.PdfSignatureMetadata(
                field_name=a.field or "Sig1",
                md_algorithm=a.md,
                subfilter=fields.SigSeedSubFilter.PADES if a.subfilter == "pades"
                else fields.SigSeedSubFilter.ADOBE_PKCS7_DETACHED,
                certify=a.certify,
                docmdp_permissions=fields.MDPPerm(a.docmdp),
                # No validation_context: pyHanko then skips checking the
                # signer's certificate, so expired/revoked signers still sign.
            )
            pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=timestamper)
            data = pdf_signer.sign_pdf(w, existing_fields_only=a.use_existing_field).getvalue()
    with open(a.output, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()

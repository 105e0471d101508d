"""Validate every signature of a PDF with pyHanko and print one JSON object.

    python3 validate.py --trust ROOT.pem [--trust ...] [--crl FILE]... [--at RFC3339] IN.pdf

Output: {"signatures": [{"field", "intact", "valid", "trusted", "revoked",
"coverage", "modification_level", "bottom_line", "timestamp_valid", "error"}]}
or {"error": "..."} when the file cannot be read (exit 0 either way).
"""

import argparse
import json
import sys
from datetime import datetime


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trust", action="append", default=[])
    ap.add_argument("--crl", action="append", default=[])
    ap.add_argument("--at")
    ap.add_argument("input")
    a = ap.parse_args()

    from pyhanko.keys import load_certs_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
    from pyhanko_certvalidator import ValidationContext
    from asn1crypto import crl as asn1_crl, pem

    roots = list(load_certs_from_pemder(a.trust))
    crls = []
    for path in a.crl:
        data = open(path, "rb").read()
        if pem.detect(data):
            _, _, data = pem.unarmor(data)
        crls.append(asn1_crl.CertificateList.load(data))
    kwargs = dict(trust_roots=roots, allow_fetching=False)
    if crls:
        kwargs["crls"] = crls
        kwargs["revocation_mode"] = "hard-fail"
    else:
        kwargs["revocation_mode"] = "soft-fail"
    if a.at:
        kwargs["moment"] = datetime.fromisoformat(a.at.replace("Z", "+00:00"))

    result = {"signatures": []}
    try:
        f = open(a.input, "rb")
        reader = PdfFileReader(f, strict=False)
        sigs = list(reader.embedded_signatures)
    except Exception as e:
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        return
    for sig in sigs:
        entry = {"field": sig.field_name, "intact": False, "valid": False, "trusted": False, "revoked": False,
                 "coverage": None, "modification_level": None, "bottom_line": False,
                 "timestamp_valid": None, "error": None}
        try:
            vc = ValidationContext(**kwargs)
            if sig.sig_object.get("/Type") == "/DocTimeStamp":
                st = validate_pdf_timestamp(sig, validation_context=vc)
            else:
                st = validate_pdf_signature(sig, vc)
            entry.update(
                intact=bool(st.intact),
                valid=bool(st.valid),
                trusted=bool(st.trusted),
                revoked=bool(getattr(st, "revoked", False)),
                coverage=st.coverage.name if st.coverage is not None else None,
                modification_level=st.modification_level.name if st.modification_level is not None else None,
                # Document timestamps have no bottom line of their own.
                bottom_line=bool(st.bottom_line) if hasattr(st, "bottom_line") else bool(st.intact and st.valid and st.trusted),
                timestamp_valid=(st.timestamp_validity.valid and st.timestamp_validity.intact)
                if getattr(st, "timestamp_validity", None) is not None else None,
            )
        except Exception as e:
            entry["error"] = f"{type(e).__name__}: {e}"
        result["signatures"].append(entry)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

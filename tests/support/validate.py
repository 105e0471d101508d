"""Validate every signature of a PDF with pyHanko and print one JSON object.

    python3 validate.py --trust ROOT.pem [--trust ...] [--crl FILE]...
        [--at RFC3339] [--revocation-mode soft-fail|hard-fail|require] IN.pdf

Output (stdout, one line):
  {"signatures": [{"field", "type": "signature"|"doc_timestamp", "intact",
    "valid", "trusted", "revoked", "trust_problem", "coverage",
    "modification_level", "docmdp_ok", "bottom_line", "timestamp_valid",
    "error"}]}
  When IN.pdf cannot be read at all, one line on stderr and exit 3: a
  caller must never mistake pyHanko failing to run for a negative verdict.

"bottom_line" is pyHanko's verdict (document timestamps have none of their
own: intact, valid, trusted and no disallowed changes after them). When
pyHanko's validation refuses a signature by raising its own validation error
(SignatureValidationError and subclasses), that is its verdict: "rejected"
holds the message and "error" stays null.
"timestamp_valid" is null without a signature timestamp, else whether the
token is intact, valid and trusted. A signature pyHanko cannot process
(any other exception) gets "error" and bottom_line false: a helper error,
not a verdict.

Nothing is fetched. Revocation defaults to soft-fail without --crl and
hard-fail with it; in pyHanko's hard-fail mode only certificates that
declare a CRL distribution point are checked, and for those a missing or
unusable CRL makes the path untrusted. Bad --trust/--crl/--at arguments exit
non-zero with one line on stderr.
"""

import argparse
import json
import logging
import sys
from datetime import datetime, timezone


def rfc3339(text):
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an RFC 3339 time: {text!r}")
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def load_crl(path):
    from asn1crypto import crl, pem

    with open(path, "rb") as f:
        data = f.read()
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    c = crl.CertificateList.load(data)
    c.native  # parse fully now, so a bad file fails here and not mid-validation
    return c


def name(enum_value):
    return enum_value.name if enum_value is not None else None


def check(sig, vc_args):
    from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
    from pyhanko_certvalidator import ValidationContext

    vc = ValidationContext(**vc_args)
    if sig.sig_object.get("/Type") == "/DocTimeStamp":
        st = validate_pdf_timestamp(sig, validation_context=vc)
        # pyHanko leaves docmdp_ok unset for document timestamps; judge the
        # later revisions as it does for a signature without DocMDP.
        level = st.modification_level
        docmdp_ok = None if level is None else level.name != "OTHER"
        bottom_line = st.intact and st.valid and st.trusted and docmdp_ok is not False
        kind = "doc_timestamp"
    else:
        st = validate_pdf_signature(sig, vc)
        docmdp_ok = st.docmdp_ok
        bottom_line = st.bottom_line
        kind = "signature"
    ts = getattr(st, "timestamp_validity", None)
    return {
        "type": kind,
        "intact": bool(st.intact),
        "valid": bool(st.valid),
        "trusted": bool(st.trusted),
        "revoked": bool(st.revoked),
        "trust_problem": name(st.trust_problem_indic),
        "coverage": name(st.coverage),
        "modification_level": name(st.modification_level),
        "docmdp_ok": docmdp_ok,
        "bottom_line": bool(bottom_line),
        "timestamp_valid": None if ts is None else bool(ts.intact and ts.valid and ts.trusted),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trust", action="append", default=[], help="trust anchor certificate (repeatable)")
    ap.add_argument("--crl", action="append", default=[], help="CRL file, PEM or DER (repeatable)")
    ap.add_argument("--at", type=rfc3339, help="validation time (default: now)")
    ap.add_argument("--revocation-mode", choices=["soft-fail", "hard-fail", "require"],
                    help="default: hard-fail with --crl, soft-fail without")
    ap.add_argument("--verbose", action="store_true", help="let pyHanko log to stderr")
    ap.add_argument("input")
    a = ap.parse_args()
    if not a.verbose:
        logging.disable(logging.CRITICAL)  # pyHanko logs tracebacks for every failed check

    from pyhanko.keys import load_certs_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import SigSeedSubFilter, enumerate_sig_fields
    from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

    try:
        vc_args = dict(
            trust_roots=list(load_certs_from_pemder(a.trust)),
            crls=[load_crl(p) for p in a.crl],
            allow_fetching=False,
            revocation_mode=a.revocation_mode or ("hard-fail" if a.crl else "soft-fail"),
        )
    except Exception as e:
        msg = " ".join(str(e).split())
        print(f"validate.py: cannot load --trust/--crl: {type(e).__name__}: {msg}", file=sys.stderr)
        sys.exit(2)
    if a.at:
        vc_args["moment"] = a.at

    from pyhanko.sign.validation.errors import SignatureValidationError

    try:
        reader = PdfFileReader(open(a.input, "rb"), strict=False)
        fields = list(enumerate_sig_fields(reader, filled_status=True))
    except Exception as e:
        msg = " ".join(str(e).split())
        print(f"validate.py: pyHanko cannot read {a.input}: {type(e).__name__}: {msg}", file=sys.stderr)
        sys.exit(3)
    # pyHanko's reader.embedded_signatures would give up on the whole file
    # over one unparsable signature, and silently drops unknown SubFilters.
    parsed, broken = [], []
    for name, sig_obj, sig_field in fields:
        entry = {"field": name, "type": None, "intact": False, "valid": False, "trusted": False, "revoked": False,
                 "trust_problem": None, "coverage": None, "modification_level": None, "docmdp_ok": None,
                 "bottom_line": False, "timestamp_valid": None, "rejected": None, "error": None}
        try:
            subfilter = sig_obj.get_object().get("/SubFilter")
            if subfilter not in [sf.value for sf in SigSeedSubFilter]:
                raise ValueError(f"unsupported /SubFilter {subfilter}")
            sig = EmbeddedPdfSignature(reader, sig_field, name)
            parsed.append((sig.signed_revision, sig, entry))
        except SignatureValidationError as e:
            entry["rejected"] = f"{type(e).__name__}: {e}"
            broken.append(entry)
        except Exception as e:
            entry["error"] = f"{type(e).__name__}: {e}"
            broken.append(entry)
    result = []  # in signing order; signatures pyHanko cannot parse come last
    for _, sig, entry in sorted(parsed, key=lambda t: t[0]):
        try:
            entry.update(check(sig, vc_args))
        except SignatureValidationError as e:
            entry["rejected"] = f"{type(e).__name__}: {e}"
            entry["bottom_line"] = False
        except Exception as e:
            entry["error"] = f"{type(e).__name__}: {e}"
            entry["bottom_line"] = False
        result.append(entry)
    result += broken
    print(json.dumps({"signatures": result}))


if __name__ == "__main__":
    main()

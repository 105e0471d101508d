#!/usr/bin/env bash
# Seeds every fuzz target's corpus (fuzz/corpus/<target>/, not committed)
# with the PDFs the tests use and files from other producers:
#   - certs/dev/*.pdf (reportlab sample, pyHanko-signed copy) and tests/data/fuzz/*.pdf;
#   - make_pdfs.py's inputs (reportlab, fpdf2, form, qpdf object-stream and
#     linearized rewrites when qpdf is installed), each also signed by pyHanko
#     and by vanthu;
#   - make_text_pdfs.py's documents (reportlab, fpdf2, LibreOffice when
#     installed) and, for every vanthu-signed file, the changes modify.py
#     makes after signing (page content, catalog, info, annotation, form
#     fill, new signature field);
#   - for sign_finish, each input prepared by `vanthu sign prepare`, behind
#     a one-byte signature length (0: no signature);
#   - for sign_visible, each input behind a 9-byte header (role, rectangle).
# Usage: fuzz/seed.sh   (from anywhere; needs python3 with the test
# requirements, and builds vanthu in debug).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
cargo build -q
vanthu=target/debug/vanthu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 tests/support/make_pdfs.py "$work/pdfs" >/dev/null
# The text layer's producers: reportlab with its own font and a form
# XObject, fpdf2 with a Type0 Identity-H font, LibreOffice when installed.
lo=(); command -v libreoffice >/dev/null && lo=(--libreoffice)
python3 tests/support/make_text_pdfs.py "$work/pdfs" "${lo[@]}" >/dev/null 2>&1 || true
inputs=("$work"/pdfs/*.pdf certs/dev/*.pdf tests/data/fuzz/*.pdf)
if command -v qpdf >/dev/null; then
  qpdf --object-streams=generate certs/dev/sample.pdf "$work/pdfs/qpdf-objstm.pdf" || true
  qpdf --linearize certs/dev/sample.pdf "$work/pdfs/qpdf-linearized.pdf" || true
  inputs+=("$work/pdfs/qpdf-objstm.pdf" "$work/pdfs/qpdf-linearized.pdf")
fi
key=certs/dev/p256.key.pem cert=certs/dev/p256.cert.pem chain=certs/dev/p256.chain.pem
all=()
for f in "${inputs[@]}"; do
  [ -f "$f" ] || continue
  all+=("$f")
  b=$(basename "$f" .pdf)
  if python3 tests/support/sign.py --key "$key" --cert "$cert" --chain "$chain" --field Seed "$f" "$work/$b-pyhanko.pdf" 2>/dev/null; then
    all+=("$work/$b-pyhanko.pdf")
  fi
  if $vanthu sign --key "$key" --cert "$cert" --chain "$chain" "$f" "$work/$b-vanthu.pdf" >/dev/null 2>&1; then
    all+=("$work/$b-vanthu.pdf")
    # Changes made after signing (the modification classes verify reports).
    for action in add-page-content add-catalog-entry update-info add-annotation fill-field add-sig-field; do
      if python3 tests/support/modify.py "$action" "$work/$b-vanthu.pdf" "$work/$b-$action.pdf" 2>/dev/null; then
        all+=("$work/$b-$action.pdf")
      fi
    done
  fi
done
for t in verify_pdf sign_pdf sign_finish sign_visible text_extract; do mkdir -p "fuzz/corpus/$t"; done
for f in "${all[@]}"; do
  n=$(basename "$f")
  cp "$f" "fuzz/corpus/verify_pdf/$n"
  cp "$f" "fuzz/corpus/sign_pdf/$n"
  cp "$f" "fuzz/corpus/text_extract/$n"
  for role in 0 1 2; do
    { printf "\\x$(printf %02x $role)\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00"; cat "$f"; } >"fuzz/corpus/sign_visible/$role-$n"
  done
  if $vanthu sign prepare --cert "$cert" --chain "$chain" "$f" "$work/prepared.pdf" >/dev/null 2>&1; then
    { printf '\x00'; cat "$work/prepared.pdf"; } >"fuzz/corpus/sign_finish/$n"
  fi
done
mkdir -p fuzz/corpus/cms
for f in "${all[@]}"; do
  # The CMS of each signature: the hex between the /Contents delimiters.
  python3 - "$f" fuzz/corpus/cms <<'PY'
import re, sys, os
data = open(sys.argv[1], "rb").read()
for i, m in enumerate(re.finditer(rb"/Contents\s*<([0-9A-Fa-f]+)>", data)):
    raw = bytes.fromhex(m.group(1).decode()).rstrip(b"\0")
    if raw:
        open(os.path.join(sys.argv[2], f"{os.path.basename(sys.argv[1])}-{i}.der"), "wb").write(raw)
PY
done
for t in verify_pdf sign_pdf sign_finish sign_visible text_extract cms; do
  echo "$t: $(ls "fuzz/corpus/$t" | wc -l) seeds"
done

# The gateway's text inputs: a submitted header, the sample directory and
# "Nơi nhận" lines (envelope_directory); receipts as the gateway signs them
# (receipt), from a real `vanthu serve` on a scratch data directory.
mkdir -p fuzz/corpus/envelope_directory fuzz/corpus/receipt
d="$work/gw"
$vanthu init --data "$d" >/dev/null 2>&1 || true
cp "$d"/sample/*.header.json fuzz/corpus/envelope_directory/ 2>/dev/null || true
$vanthu directory generate --out "$work/directory.json" >/dev/null 2>&1 && cp "$work/directory.json" fuzz/corpus/envelope_directory/
printf 'Như trên;\nSở Giáo dục và Đào tạo;\nHiệu trưởng các Trường THPT, trường phổ thông có nhiều cấp học (có cấp THPT);\nLưu: VT, VP.\n' \
  >fuzz/corpus/envelope_directory/noi-nhan.txt
port=$((20000 + RANDOM % 20000))
$vanthu serve --data "$d" --listen "127.0.0.1:$port" --public-listen "" >"$work/serve.log" 2>&1 &
serve=$!
c=(--silent --cacert "$d/pki/ca.cert.pem" --cert "$d/clients/000.00.12.H29/cert.pem" --key "$d/clients/000.00.12.H29/key.pem")
for _ in $(seq 50); do curl "${c[@]}" -o /dev/null "https://localhost:$port/api/v1/inbox" 2>/dev/null && break; sleep 0.2; done
id=$(curl "${c[@]}" -F header=@"$d"/sample/notice-610.header.json -F document=@"$d"/sample/notice-610.pdf \
  "https://localhost:$port/api/v1/documents" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("id",""))' 2>/dev/null || true)
if [ -n "$id" ]; then
  # Each sample unit that received it fetches it (status 01: a receipt).
  for u in "$d"/clients/*/; do
    curl --silent --cacert "$d/pki/ca.cert.pem" --cert "$u/cert.pem" --key "$u/key.pem" -o /dev/null \
      "https://localhost:$port/api/v1/documents/$id/pdf" || true
  done
  curl "${c[@]}" "https://localhost:$port/api/v1/documents/$id/receipts" >fuzz/corpus/receipt/receipts.json || true
  python3 - fuzz/corpus/receipt <<'PY' || true
import base64, json, os, sys
rs = json.load(open(os.path.join(sys.argv[1], "receipts.json")))
for i, r in enumerate(rs):
    cms = base64.b64decode(r["cms"])
    open(os.path.join(sys.argv[1], f"cms-{i}.der"), "wb").write(cms)
    open(os.path.join(sys.argv[1], f"split-{i}.bin"), "wb").write(r["content"].encode() + b"\0" + cms)
PY
fi
kill "$serve" 2>/dev/null || true
wait "$serve" 2>/dev/null || true
for t in envelope_directory receipt; do
  echo "$t: $(ls "fuzz/corpus/$t" | wc -l) seeds"
done

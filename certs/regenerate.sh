#!/usr/bin/env bash
# Regenerates the development material in certs/dev/: the PKI, the signature
# and seal images, the unsigned sample notice, and a copy signed by pyHanko
# (by the head of office, then with the Department's organisation certificate).
# Test material only: never use these keys for anything real.
# Needs: cargo, openssl, python3 with tests/support/requirements.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run -q --example dev_pki
d=certs/dev
python3 tests/support/make_sample.py $d/sample.pdf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 tests/support/sign.py --key $d/rsa.key.pem --cert $d/rsa.cert.pem --chain $d/rsa.chain.pem \
  --field "Người ký" --tsa-key $d/tsa.key.pem --tsa-cert $d/tsa.cert.pem $d/sample.pdf "$tmp/person.pdf"
python3 tests/support/sign.py --key $d/org.key.pem --cert $d/org.cert.pem --chain $d/org.chain.pem \
  --field "Cơ quan" "$tmp/person.pdf" $d/sample-signed.pdf
echo "wrote $d/"

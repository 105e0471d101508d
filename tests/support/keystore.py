"""vanthu's sealed key files, read and written independently of vanthu (the
format in src/pki/keystore.rs: base64(0x01 | kdf | salt[16] | nonce[12] |
AES-256-GCM(PEM) + tag), HKDF-SHA256 key, the file's place as associated
data). Random (64 hex digit) secrets only.

    python3 keystore.py check SECRET_FILE DATA_DIR
        one line per sealed file under DATA_DIR (blobs/ skipped, links not
        followed): "<path>\t<OK|FAIL>"; a <key>.rekey file is opened for
        <key>'s place
    python3 keystore.py seal SECRET_FILE DATA_DIR PLACE
        writes DATA_DIR/PLACE sealed under the secret (a dummy key)
"""

import base64
import os
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

BEGIN = "-----BEGIN VANTHU ENCRYPTED KEY-----"
END = "-----END VANTHU ENCRYPTED KEY-----"
INFO = b"vanthu key at rest v1"


def file_key(secret, salt):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=INFO).derive(secret)


def opens(secret, place, text):
    body = text.strip()[len(BEGIN):-len(END)]
    raw = base64.b64decode("".join(body.split()))
    if raw[0] != 1 or raw[1] != 1:
        return False
    salt, nonce, ct = raw[2:18], raw[18:30], raw[30:]
    try:
        AESGCM(file_key(secret, salt)).decrypt(nonce, ct, place.encode())
        return True
    except Exception:
        return False


def sealed_files(root):
    for d, dirs, files in os.walk(root):
        if d == root and "blobs" in dirs:
            dirs.remove("blobs")
        for f in sorted(files):
            p = os.path.join(d, f)
            if os.path.islink(p):
                continue
            with open(p, "rb") as fh:
                if fh.read(64).lstrip().startswith(BEGIN.encode()):
                    yield os.path.relpath(p, root).replace(os.sep, "/"), p


def main():
    cmd, secret_file, root = sys.argv[1:4]
    secret = bytes.fromhex(open(secret_file).read().strip())
    if cmd == "check":
        for rel, p in sorted(sealed_files(root)):
            # A new version beside a key (an interrupted rekey) is sealed
            # for the key's own place.
            place = rel[:-len(".rekey")] if rel.endswith(".rekey") else rel
            ok = opens(secret, place, open(p).read())
            print(f"{rel}\t{'OK' if ok else 'FAIL'}")
    elif cmd == "seal":
        place = sys.argv[4]
        salt, nonce = os.urandom(16), os.urandom(12)
        plain = b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n-----END PRIVATE KEY-----\n"
        ct = AESGCM(file_key(secret, salt)).encrypt(nonce, plain, place.encode())
        b64 = base64.b64encode(bytes([1, 1]) + salt + nonce + ct).decode()
        lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
        path = os.path.join(root, place)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            fh.write("\n".join([BEGIN, *lines, END]) + "\n")
        os.chmod(path, 0o600)
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()

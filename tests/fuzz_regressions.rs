//! Inputs the fuzzers found: each once crashed or broke an invariant. Every
//! one must now sign (or be refused) cleanly, and what vanthu signs must
//! verify.

use std::path::Path;
use vanthu::pki::keys::LocalKey;
use vanthu::sign::{Credentials, SignOptions, sign};
use vanthu::verify::{Options, verify_bytes};

#[test]
fn fuzz_found_inputs_sign_and_verify_cleanly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let key = LocalKey::from_pem(&std::fs::read(root.join("certs/dev/p256.key.pem")).expect("key")).expect("key");
    let cert_pem = std::fs::read(root.join("certs/dev/p256.cert.pem")).expect("cert");
    let cert = vanthu::pki::pem_or_der(&cert_pem, "CERTIFICATE", "cert").expect("cert").remove(0);
    let creds = Credentials { cert, chain: vec![] };
    let mut n = 0;
    for entry in std::fs::read_dir(root.join("tests/data/fuzz")).expect("dir") {
        let path = entry.expect("entry").path();
        let data = std::fs::read(&path).expect("read");
        let _ = verify_bytes(&data, "input", &Options::default());
        if let Ok(signed) = sign(&data, &key, &creds, None, &SignOptions::default()) {
            let mut out = data.clone();
            out.extend_from_slice(&signed.tail);
            let report = verify_bytes(&out, "signed", &Options::default());
            let report = report.unwrap_or_else(|e| panic!("{}: signed output unreadable: {e}", path.display()));
            assert!(!report.signatures.is_empty(), "{}", path.display());
        }
        n += 1;
    }
    assert!(n >= 2);
}

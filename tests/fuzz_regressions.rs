//! Inputs the fuzzers found: each once crashed or broke an invariant. Every
//! one must now be read into a report (or refused in one clean error), and
//! must sign cleanly or be refused; what vanthu signs must verify.

use std::path::Path;
use vanthu::pki::keys::LocalKey;
use vanthu::sign::{Credentials, SignError, SignOptions, sign};
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
        // Each is a PDF with a readable revision: a report, never "unusable".
        let before = verify_bytes(&data, "input", &Options::default())
            .unwrap_or_else(|e| panic!("{}: input unreadable: {e}", path.display()));
        match sign(&data, &key, &creds, None, &SignOptions::default()) {
            Ok(s) => {
                let mut out = data.clone();
                out.extend_from_slice(&s.tail);
                let report = verify_bytes(&out, "signed", &Options::default())
                    .unwrap_or_else(|e| panic!("{}: signed output unreadable: {e}", path.display()));
                assert_eq!(report.signatures.len(), before.signatures.len() + 1, "{}", path.display());
                let last = report.signatures.last().expect("the new signature");
                assert!(last.covers_whole_document, "{}", path.display());
                assert!(last.errors.iter().all(|e| !e.contains("ByteRange")), "{}: {:?}", path.display(), last.errors);
            }
            // Refusing damaged input is the other clean outcome; the report
            // of the input must then say what is wrong with it too.
            Err(SignError::Damaged(why)) => {
                let said = before.warnings.iter().chain(before.signatures.iter().flat_map(|s| s.errors.iter()));
                assert!(said.count() > 0, "{}: refused ({why}) but verify saw nothing wrong", path.display());
            }
            Err(e) => panic!("{}: unexpected refusal: {e}", path.display()),
        }
        n += 1;
    }
    assert!(n >= 2);
}

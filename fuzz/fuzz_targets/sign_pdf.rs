//! Signs arbitrary bytes as a PDF: an error or a signed document, never a
//! panic. When signing succeeds, the result must verify.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use vanthu::pki::keys::LocalKey;
use vanthu::sign::{Credentials, SignOptions, sign};

struct Fixture {
    key: LocalKey,
    creds: Credentials,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let key = LocalKey::from_pem(include_bytes!("../../certs/dev/p256.key.pem")).expect("dev key");
        let cert = vanthu::pki::pem_or_der(include_bytes!("../../certs/dev/p256.cert.pem"), "CERTIFICATE", "cert")
            .expect("dev cert")
            .remove(0);
        Fixture { key, creds: Credentials { cert, chain: vec![] } }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    if let Ok(signed) = sign(data, &f.key, &f.creds, None, &SignOptions::default()) {
        let mut out = data.to_vec();
        out.extend_from_slice(&signed.tail);
        let report = vanthu::verify::verify_bytes(&out, "fuzz.pdf", &vanthu::verify::Options::default());
        assert!(report.is_ok(), "a document vanthu signed must be readable");
    }
});

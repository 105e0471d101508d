//! `sign finish` on arbitrary input: the first byte gives the length of the
//! "external signature" that follows it; the rest is the prepared PDF. It
//! must embed or refuse, never panic; whatever it embeds must read back with
//! the signature it finished.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use vanthu::sign::{Credentials, finish, scheme_for};

fn creds() -> &'static Credentials {
    static C: OnceLock<Credentials> = OnceLock::new();
    C.get_or_init(|| {
        let cert = vanthu::pki::pem_or_der(include_bytes!("../../certs/dev/p256.cert.pem"), "CERTIFICATE", "cert")
            .expect("dev cert")
            .remove(0);
        Credentials { cert, chain: vec![] }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else { return };
    let n = usize::from(n).min(rest.len());
    let (signature, pdf) = rest.split_at(n);
    let c = creds();
    let Ok(scheme) = scheme_for(&c.cert) else { return };
    let mut prepared = pdf.to_vec();
    if finish(&mut prepared, c, scheme, signature, None).is_ok() {
        assert_eq!(prepared.len(), pdf.len(), "finish writes in place");
        let report = vanthu::verify::verify_bytes(&prepared, "fuzz.pdf", &vanthu::verify::Options::default());
        let report = report.expect("a file vanthu finished must be readable");
        assert!(!report.signatures.is_empty());
    }
});

//! What the signing targets share: the dev P-256 key and certificate,
//! loaded once per process.

use std::sync::OnceLock;
use vanthu::pki::keys::LocalKey;
use vanthu::sign::Credentials;

pub struct Fixture {
    pub key: LocalKey,
    pub creds: Credentials,
}

pub fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let key = LocalKey::from_pem(include_bytes!("../../../certs/dev/p256.key.pem")).expect("dev key");
        let cert = vanthu::pki::pem_or_der(include_bytes!("../../../certs/dev/p256.cert.pem"), "CERTIFICATE", "cert")
            .expect("dev cert")
            .remove(0);
        Fixture { key, creds: Credentials { cert, chain: vec![] } }
    })
}

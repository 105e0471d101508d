//! Receipts from arbitrary bytes, as `vanthu receipt verify` reads them (a
//! JSON file) and as the verifier reads a receipt's CMS: errors, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use vanthu::exchange::receipt;
use vanthu::pki::TrustStore;

fn trust() -> &'static TrustStore {
    static T: OnceLock<TrustStore> = OnceLock::new();
    T.get_or_init(|| {
        let mut t = TrustStore::new();
        let _ = t.add_pem(include_bytes!("../../certs/dev/root.pem"), "root.pem");
        t
    })
}

fuzz_target!(|data: &[u8]| {
    let at = time::OffsetDateTime::UNIX_EPOCH;
    let _ = receipt::check_file(data, trust(), at);
    // The input as the CMS of a receipt, and split into content and CMS.
    let _ = receipt::verify(b"{}", data, trust(), at);
    if let Some(i) = data.iter().position(|&b| b == 0) {
        let _ = receipt::verify(&data[..i], &data[i + 1..], trust(), at);
    }
});

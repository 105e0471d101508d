//! Drives the whole verifier with arbitrary bytes: it must return a report or
//! an error, never panic, and stay within its limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use vanthu::verify::{Options, verify_bytes};

fn options() -> &'static Options {
    static OPTS: OnceLock<Options> = OnceLock::new();
    OPTS.get_or_init(|| {
        let mut o = Options::default();
        let root = include_bytes!("../../certs/dev/root.pem");
        let _ = o.trust.add_pem(root, "root.pem");
        o.limits.time = std::time::Duration::from_secs(2);
        o.limits.max_inflated_total = 16 << 20;
        o.limits.max_inflated_stream = 8 << 20;
        o
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = verify_bytes(data, "fuzz.pdf", options());
});

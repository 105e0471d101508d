//! Signs arbitrary bytes as a PDF: an error or a signed document, never a
//! panic. When signing succeeds, the result must verify.
#![no_main]

mod common;

use common::fixture;
use libfuzzer_sys::fuzz_target;
use vanthu::sign::{SignOptions, sign};

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    if let Ok(signed) = sign(data, &f.key, &f.creds, None, &SignOptions::default()) {
        let mut out = data.to_vec();
        out.extend_from_slice(&signed.tail);
        let report = vanthu::verify::verify_bytes(&out, "fuzz.pdf", &vanthu::verify::Options::default());
        assert!(report.is_ok(), "a document vanthu signed must be readable");
    }
});

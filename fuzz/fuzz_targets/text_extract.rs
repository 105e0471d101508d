//! Drives text extraction and the header reader with arbitrary bytes: they
//! must return text or an error, never panic, and stay within their limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vanthu::text::{self, TextLimits};

fuzz_target!(|data: &[u8]| {
    let mut limits = TextLimits { max_operators: 200_000, max_glyphs: 50_000, ..TextLimits::default() };
    limits.pdf.time = std::time::Duration::from_secs(2);
    limits.pdf.max_inflated_total = 16 << 20;
    limits.pdf.max_inflated_stream = 8 << 20;
    if let Ok(pages) = text::extract(data, &limits) {
        for p in &pages {
            let _ = p.lines();
        }
        let _ = text::header::read(&pages);
    }
});

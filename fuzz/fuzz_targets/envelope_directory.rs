//! The gateway's text inputs from arbitrary bytes: a submitted header, a
//! directory file, and "Nơi nhận" lines resolved against the sample
//! directory. Errors, never panics; a header that parses survives being
//! written back and parsed again unchanged.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use vanthu::directory::{Directory, sample};
use vanthu::envelope;

static SAMPLE: LazyLock<Directory> = LazyLock::new(sample::hcmc);

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = envelope::parse(data) {
        let json = serde_json::to_vec(&h).expect("a header serialises");
        assert_eq!(envelope::parse(&json).as_ref(), Ok(&h));
        let _ = envelope::EdxmlId::parse(&h.edxml_id().to_string()).expect("own id parses");
    }
    if let Ok(d) = Directory::from_json(data) {
        let json = d.to_json().expect("a directory serialises");
        let back = Directory::from_json(&json).expect("its own output loads");
        assert_eq!(back.file(), d.file());
    }
    if let Ok(text) = std::str::from_utf8(data) {
        for line in text.lines() {
            let _ = SAMPLE.resolve_line(line);
            let _ = SAMPLE.resolve_to(line);
        }
        let _ = envelope::EdxmlId::parse(text);
    }
});

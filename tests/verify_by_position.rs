//! Verifying a file read by position (`verify_file`) and the same bytes in
//! memory (`verify_bytes`) must give the same answer, for intact and for
//! damaged files: the file reader parses objects in windows and searches in
//! chunks, and a window boundary must never change what a document says.

use std::path::Path;
use vanthu::verify::{Options, verify_bytes, verify_file};

fn options() -> Options {
    let mut opts = Options::default();
    let root = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("certs/dev/root.pem")).unwrap();
    opts.trust.add_pem(&root, "root.pem").unwrap();
    opts.at = Some(time::OffsetDateTime::now_utc());
    opts
}

fn both(data: &[u8], dir: &Path, opts: &Options) -> (String, String) {
    let path = dir.join("doc.pdf");
    std::fs::write(&path, data).unwrap();
    let name = path.display().to_string();
    let mem = match verify_bytes(data, &name, opts) {
        Ok(r) => r.to_json(),
        Err(e) => format!("error: {e}"),
    };
    let file = match verify_file(&path, opts) {
        Ok(r) => r.to_json(),
        Err(e) => format!("error: {e}"),
    };
    (mem, file)
}

#[test]
fn a_file_read_by_position_says_what_the_same_bytes_in_memory_say() {
    let sample = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("certs/dev/sample-signed.pdf")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let opts = options();
    let (mem, file) = both(&sample, dir.path(), &opts);
    assert!(mem.contains("TOTAL-PASSED"), "{mem}");
    assert_eq!(mem, file);
    // Truncated anywhere: the recovery paths (earlier startxref, repaired
    // offsets, streams without their endstream) read the file backwards
    // and in windows.
    for cut in (1..sample.len()).step_by(1_499) {
        let (mem, file) = both(&sample[..cut], dir.path(), &opts);
        assert_eq!(mem, file, "truncated at {cut}");
    }
    // Junk after the last %%EOF, longer than the reader's chunks.
    let mut padded = sample.clone();
    padded.extend(std::iter::repeat_n(b'x', 3 << 20));
    let (mem, file) = both(&padded, dir.path(), &opts);
    assert!(mem.contains("truncated or damaged"), "{mem}");
    assert_eq!(mem, file);
    // Bytes flipped inside objects: damaged objects are re-read in larger
    // windows, never misread in a short one.
    for at in (100..sample.len()).step_by(2_003) {
        let mut bent = sample.clone();
        bent[at] ^= 0x20;
        let (mem, file) = both(&bent, dir.path(), &opts);
        assert_eq!(mem, file, "byte {at} changed");
    }
}

//! The attack classes of the 2019 "PDF insecurity" study (incremental saving,
//! universal signature forgery, signature wrapping), each made from a real
//! signed file: none may come out TOTAL-PASSED.

mod common;

use common::*;
use std::path::{Path, PathBuf};

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// The number after `key` in the last trailer.
fn trailer_value(data: &[u8], key: &[u8]) -> String {
    let t = rfind(data, b"trailer").expect("classic trailer");
    let at = t + find(&data[t..], key).expect("key in trailer") + key.len();
    let s: String = data[at..].iter().map(|&b| b as char).take_while(|c| *c != '/' && *c != '>').collect();
    s.trim().to_string()
}

/// Appends a classic incremental update with `objects` listed in its xref,
/// and `unlisted` bytes placed before the xref but not listed in it.
fn append_revision(data: &[u8], objects: &[(u32, &str)], unlisted: &str) -> Vec<u8> {
    let root = trailer_value(data, b"/Root");
    let size: u32 = trailer_value(data, b"/Size").parse().expect("size");
    let prev = {
        let s = rfind(data, b"startxref").expect("startxref") + 9;
        let v: String = data[s..]
            .iter()
            .map(|&b| b as char)
            .skip_while(|c| c.is_whitespace())
            .take_while(char::is_ascii_digit)
            .collect();
        v
    };
    let mut out = data.to_vec();
    out.extend_from_slice(b"\n");
    let mut offsets = Vec::new();
    for (num, body) in objects {
        offsets.push((*num, out.len()));
        out.extend_from_slice(format!("{num} 0 obj\n{body}\nendobj\n").as_bytes());
    }
    out.extend_from_slice(unlisted.as_bytes());
    let xref = out.len();
    out.extend_from_slice(b"xref\n");
    for (num, off) in &offsets {
        out.extend_from_slice(format!("{num} 1\n{off:010} 00000 n \n").as_bytes());
    }
    let new_size = objects.iter().map(|(n, _)| n + 1).max().unwrap_or(0).max(size);
    out.extend_from_slice(
        format!("trailer\n<< /Size {new_size} /Root {root} /Prev {prev} >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    out
}

fn signed(dir: &Path) -> (PathBuf, Vec<u8>) {
    let out = dir.join("signed.pdf");
    pyhanko_sign(&fixtures().pdfs.join("reportlab.pdf"), &out, "p256", "Sig1", &[]);
    let data = std::fs::read(&out).expect("read");
    (out, data)
}

fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).expect("write");
    p
}

/// The object number of page 1 (the first `/Type /Page` object).
fn first_page(data: &[u8]) -> u32 {
    let at = find(data, b"/Type /Page\n").or_else(|| find(data, b"/Type /Page ")).expect("a page");
    let obj = rfind(&data[..at], b" 0 obj").expect("page object");
    let start = data[..obj].iter().rposition(|b| !b.is_ascii_digit()).map_or(0, |i| i + 1);
    std::str::from_utf8(&data[start..obj]).expect("digits").parse().expect("number")
}

#[test]
fn incremental_saving_attack_with_bytes_that_are_no_revision() {
    let dir = scratch();
    let (_, data) = signed(dir.path());
    // New content appended without any cross-reference section: a repairing
    // reader would show it.
    let mut t = data.clone();
    t.extend_from_slice(b"\n99 0 obj\n<< /Length 20 >>\nstream\nBT /F1 24 Tf (PAID) Tj ET\nendstream\nendobj\n");
    let p = write(dir.path(), "isa-raw.pdf", &t);
    let v = verify(&p, &[]);
    assert_eq!(v.json["modified_after_signing"], true, "{}", v.json);
    assert_eq!(v.indication(), "TOTAL-FAILED");
    assert_eq!(v.code, 1);
}

#[test]
fn incremental_saving_attack_replacing_page_content() {
    let dir = scratch();
    let (_, data) = signed(dir.path());
    let page = first_page(&data);
    let t = append_revision(
        &data,
        &[
            (90, "<< /Length 36 >>\nstream\nBT /F1 24 Tf 100 700 Td (PAID) Tj ET\nendstream"),
            (page, "<< /Type /Page /Contents 90 0 R /MediaBox [0 0 595 842] >>"),
        ],
        "",
    );
    let p = write(dir.path(), "isa.pdf", &t);
    let v = verify(&p, &[]);
    assert_eq!(v.sig(0)["changes_after"], "other", "{}", v.json);
    assert_eq!(v.indication(), "TOTAL-FAILED");
    assert!(pyhanko_rejects(&pyhanko_validate(&p, &[])));
}

#[test]
fn incremental_saving_attack_hiding_an_object_outside_the_xref() {
    let dir = scratch();
    let (_, data) = signed(dir.path());
    let info = trailer_value(&data, b"/Info");
    let info_num: u32 = info.split_whitespace().next().and_then(|n| n.parse().ok()).expect("info ref");
    // A harmless listed change (metadata) plus an unlisted object.
    let t =
        append_revision(&data, &[(info_num, "<< /Producer (vanthu test) >>")], "77 0 obj\n<< /Type /Page >>\nendobj\n");
    let p = write(dir.path(), "isa-hidden.pdf", &t);
    let v = verify(&p, &[]);
    assert_eq!(v.sig(0)["changes_after"], "other", "{}", v.json);
    assert_eq!(v.indication(), "TOTAL-FAILED");
    // The same update without the hidden object is acceptable.
    let t = append_revision(&data, &[(info_num, "<< /Producer (vanthu test) >>")], "");
    let p = write(dir.path(), "info-only.pdf", &t);
    assert_eq!(verify(&p, &[]).indication(), "TOTAL-PASSED");
}

#[test]
fn universal_signature_forgery_variants_never_pass() {
    let dir = scratch();
    let (_, data) = signed(dir.path());
    // Unsigned data must not be accepted as a signature however its
    // dictionary is broken: each is an extra /Type /Sig dictionary.
    let variants = [
        (
            "no-contents",
            "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange [0 10 20 30] >>",
        ),
        ("null-contents", "<< /Type /Sig /SubFilter /ETSI.CAdES.detached /ByteRange [0 10 20 30] /Contents null >>"),
        ("empty-contents", "<< /Type /Sig /SubFilter /ETSI.CAdES.detached /ByteRange [0 10 20 30] /Contents <> >>"),
        ("no-byterange", "<< /Type /Sig /SubFilter /ETSI.CAdES.detached /Contents <3000> >>"),
        ("zero-byterange", "<< /Type /Sig /SubFilter /ETSI.CAdES.detached /ByteRange [0 0 0 0] /Contents <3000> >>"),
        ("null-byterange", "<< /Type /Sig /SubFilter /ETSI.CAdES.detached /ByteRange null /Contents <3000> >>"),
        ("negative", "<< /Type /Sig /SubFilter /ETSI.CAdES.detached /ByteRange [0 -1 5 -10] /Contents <3000> >>"),
    ];
    for (name, dict) in variants {
        let t = append_revision(&data, &[(95, dict)], "");
        let p = write(dir.path(), &format!("usf-{name}.pdf"), &t);
        let v = verify(&p, &[]);
        assert_ne!(v.indication(), "TOTAL-PASSED", "{name}: {}", v.json);
        assert_eq!(v.code, 1, "{name}");
        // The forged dictionary is reported (after the real signature) as a
        // failed signature, with the reason.
        assert_eq!(v.json["signatures"].as_array().map(Vec::len), Some(2), "{name}: {}", v.json);
        assert_eq!(v.sub(1), "FORMAT_FAILURE", "{name}: {}", v.json);
        assert!(!v.sig(1)["errors"].as_array().is_none_or(Vec::is_empty), "{name}: {}", v.json);
    }
}

#[test]
fn universal_signature_forgery_replacing_the_signature_dictionary() {
    let dir = scratch();
    let (_, data) = signed(dir.path());
    // Redefine the signature dictionary's object in a later revision.
    let at = find(&data, b"/ByteRange").expect("sig");
    let obj = rfind(&data[..at], b" 0 obj").expect("obj");
    let start = data[..obj].iter().rposition(|b| !b.is_ascii_digit()).map_or(0, |i| i + 1);
    let num: u32 = std::str::from_utf8(&data[start..obj]).expect("num").parse().expect("num");
    let t =
        append_revision(&data, &[(num, "<< /Type /Sig /SubFilter /ETSI.CAdES.detached /ByteRange [0 0 0 0] >>")], "");
    let p = write(dir.path(), "usf-replace.pdf", &t);
    let v = verify(&p, &[]);
    assert_eq!(v.indication(), "TOTAL-FAILED", "{}", v.json);
    assert_eq!(v.sub(0), "FORMAT_FAILURE", "{}", v.json);
    assert_eq!(v.json["modified_after_signing"], true, "{}", v.json);
}

#[test]
fn signature_wrapping_gap_must_be_exactly_the_contents_string() {
    let dir = scratch();
    let (_, data) = signed(dir.path());
    // Widen the gap: the first range ends 20 bytes before /Contents, so those
    // bytes would be unsigned. Same text length, so everything else stays put.
    let br = find(&data, b"/ByteRange [").expect("byterange") + 12;
    let end = br + find(&data[br..], b"]").expect("]");
    let text = std::str::from_utf8(&data[br..end]).expect("ascii").to_string();
    let nums: Vec<u64> = text.split_whitespace().map(|n| n.parse().expect("int")).collect();
    let wrapped = format!("0 {} {} {}", nums[1] - 20, nums[2], nums[3]);
    let mut t = data.clone();
    let padded = format!("{wrapped:<width$}", width = text.len());
    t[br..end].copy_from_slice(padded.as_bytes());
    let p = write(dir.path(), "swa.pdf", &t);
    let v = verify(&p, &[]);
    assert_eq!(v.sub(0), "FORMAT_FAILURE", "{}", v.json);
    let errors = v.sig(0)["errors"].to_string();
    assert!(errors.contains("not exactly the /Contents"), "{errors}");
    // Ranges that run past the end of the file, or do not start at 0. The
    // past-the-end length keeps the digit count of the real one (the largest
    // number of that width), so the case always fits and always runs.
    let width = nums[3].to_string().len();
    let past_end = 10u64.pow(width as u32) - 1;
    assert!(past_end > nums[3], "cannot build a longer range of the same width");
    for (bad, reason) in [
        (format!("0 {} {} {}", nums[1], nums[2], past_end), "outside the file"),
        (format!("5 {} {} {}", nums[1], nums[2], nums[3]), "does not start at byte 0"),
    ] {
        let mut t = data.clone();
        let padded = format!("{bad:<width$}", width = text.len());
        assert_eq!(padded.len(), text.len(), "{bad}");
        t[br..end].copy_from_slice(padded.as_bytes());
        let p = write(dir.path(), "swa2.pdf", &t);
        let v = verify(&p, &[]);
        assert_eq!(v.sub(0), "FORMAT_FAILURE", "{bad}: {}", v.json);
        assert!(v.sig(0)["errors"].to_string().contains(reason), "{bad}: {}", v.json);
    }
}

#[test]
fn hostile_structure_ends_in_a_clean_error() {
    let dir = scratch();
    let (_, data) = signed(dir.path());
    // Truncated anywhere: exit 1 or 2, never a crash.
    for cut in [10, data.len() / 3, data.len() / 2, data.len() - 10] {
        let p = write(dir.path(), "cut.pdf", &data[..cut]);
        let v = verify(&p, &[]);
        assert!(v.code == 1 || v.code == 2, "cut at {cut}: {}", v.stderr);
    }
    // A /Prev loop: a last revision whose /Prev names its own section. The
    // loop is reported by name; the earlier revision is read instead, and
    // the document cannot pass.
    let mut t = data.clone();
    t.extend_from_slice(b"\n");
    let own = t.len();
    let root = trailer_value(&data, b"/Root");
    t.extend_from_slice(
        format!(
            "xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 1 /Root {root} /Prev {own} >>\nstartxref\n{own}\n%%EOF\n"
        )
        .as_bytes(),
    );
    let p = write(dir.path(), "loop.pdf", &t);
    let v = verify(&p, &[]);
    assert_eq!(v.code, 1, "{} {}", v.json, v.stderr);
    assert!(v.json["warnings"].to_string().contains("/Prev chain loops"), "{}", v.json);
    assert_eq!(v.json["modified_after_signing"], true, "{}", v.json);
    // Deep nesting and a huge declared xref count.
    let mut deep = b"%PDF-1.7\n1 0 obj\n".to_vec();
    deep.extend(std::iter::repeat_n(b'[', 500_000));
    deep.extend_from_slice(b"\nendobj\nxref\n0 99999999999\ntrailer\n<< /Root 1 0 R >>\nstartxref\n");
    let x = deep.len() - 60;
    deep.extend_from_slice(format!("{x}\n%%EOF\n").as_bytes());
    let p = write(dir.path(), "deep.pdf", &deep);
    assert_eq!(verify(&p, &[]).code, 2);
}

#[test]
fn an_unreadable_signature_dictionary_is_a_failed_signature_not_a_lost_document() {
    // Found by fuzzing `vanthu sign`: a file whose signature value holds a
    // non-hex character could be signed again but not verified.
    let dir = scratch();
    let (_, mut data) = signed(dir.path());
    let at = find(&data, b"/Contents <").expect("contents") + 20;
    data[at] = b'G';
    let broken = write(dir.path(), "broken.pdf", &data);
    let v = verify(&broken, &[]);
    assert_eq!(v.code, 1, "{}", v.stderr);
    assert_eq!(v.sub(0), "FORMAT_FAILURE", "{}", v.json);
    // Signing it again would seal the damaged revision in: refused, in one
    // line that names the problem.
    let resigned = dir.path().join("resigned.pdf");
    let (code, err) = vanthu_sign(&broken, &resigned, "p256", &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("damaged") && err.contains("bad hex string"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!resigned.exists());
}

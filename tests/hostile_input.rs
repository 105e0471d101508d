//! Hostile and damaged input through the library, as the gateway calls it:
//! every case ends in a clean error or a report, within the deadline, and
//! never in a panic. Each file is built here, byte by byte.

mod common;

use common::build::*;
use std::path::Path;
use std::time::{Duration, Instant};
use vanthu::pdf::{Limits, PdfError};
use vanthu::pki::keys::SigningKey;
use vanthu::sign::{Credentials, SignError, SignOptions, finish, prepare, scheme_for, sign};
use vanthu::verify::report::Indication;
use vanthu::verify::{Options, verify_bytes};

#[test]
fn a_file_with_thousands_of_signature_dictionaries_ends_well_inside_the_deadline() {
    // 3,000 signature dictionaries, each with a sound /ByteRange over a
    // 3 MB file and a real CMS (whose digest then does not match): examining
    // all of them hashes 9 GB.
    const N: usize = 3000;
    let cms = {
        let s = signed_copy(&minimal_pdf(&[], ""));
        let at = s.windows(11).rposition(|w| w == b"/Contents <").expect("contents") + 11;
        let len = s[at..].iter().position(|&b| b == b'>').expect(">");
        String::from_utf8(s[at..at + len].to_vec()).expect("hex")
    };
    let slot = |v: usize| format!("{v:<10}");
    let mut objects = vec![format!("<< /Length 3000000 >>\nstream\n{}\nendstream", "%".repeat(3_000_000)).into_bytes()];
    for _ in 0..N {
        objects.push(
            format!(
                "<< /Type /Sig /SubFilter /ETSI.CAdES.detached /ByteRange [0 {} {} {}] /Contents <{}> >>",
                slot(0),
                slot(0),
                slot(0),
                cms
            )
            .into_bytes(),
        );
    }
    let mut data = minimal_pdf(&objects, "");
    let len = data.len();
    // Patch each dictionary's range around its own /Contents.
    let mut at = 0;
    while let Some(i) = data[at..].windows(11).position(|w| w == b"/ByteRange ") {
        let br = at + i + 11;
        let c = br + data[br..].windows(10).position(|w| w == b"/Contents ").expect("contents") + 10;
        let gap_end = c + cms.len() + 2;
        let text = format!("[0 {} {} {}]", slot(c), slot(gap_end), slot(len - gap_end));
        data[br..br + text.len()].copy_from_slice(text.as_bytes());
        at = gap_end;
    }
    // The default limits, as the gateway runs them. (Unbounded, this file
    // takes minutes on a loaded 2-core machine; bounded, about a second.)
    let opts = Options::default();
    let started = Instant::now();
    let report = verify_bytes(&data, "many.pdf", &opts).expect("a report");
    let took = started.elapsed();
    assert!(took < opts.limits.time / 2, "took {took:?}");
    assert_eq!(report.signatures.len(), opts.limits.max_signatures);
    assert!(
        report.warnings.iter().any(|w| w.contains(&format!("{N} signature dictionaries")) && w.contains("limit")),
        "{:?}",
        report.warnings
    );
    assert_ne!(report.indication, Indication::TotalPassed);
    assert_eq!(report.signatures[0].subindication.map(|s| s.as_str()), Some("HASH_FAILURE".into()));
}

#[test]
fn an_expired_deadline_is_an_error_not_a_partial_report() {
    let mut objects = vec![format!("<< /Length 4000000 >>\nstream\n{}\nendstream", "%".repeat(4_000_000)).into_bytes()];
    objects.push(b"<< /Type /Sig /SubFilter /ETSI.CAdES.detached /ByteRange [0 1 2 3] /Contents <00> >>".to_vec());
    let data = minimal_pdf(&objects, "");
    let opts = Options { limits: Limits { time: Duration::ZERO, ..Limits::default() }, ..Options::default() };
    match verify_bytes(&data, "late.pdf", &opts) {
        Err(vanthu::verify::VerifyError::Pdf(PdfError::Timeout)) => {}
        other => panic!("expected the deadline to end the validation: {:?}", other.map(|r| r.indication)),
    }
}

#[test]
fn signing_a_file_that_uses_object_number_4294967295_is_refused_not_wrapped() {
    let data = minimal_pdf(&[], "4294967295 1\n0000000000 65535 f \n");
    let (key, creds) = signer();
    match sign(&data, &key, &creds, None, &SignOptions::default()) {
        Err(SignError::Pdf(PdfError::Limit(what))) => assert!(what.contains("object numbers"), "{what}"),
        Err(e) => panic!("unexpected error: {e}"),
        Ok(s) => {
            // Should a future version sign it, the result must read back.
            let mut out = data.clone();
            out.extend_from_slice(&s.tail);
            let r = verify_bytes(&out, "big.pdf", &Options::default()).expect("readable");
            assert_eq!(r.signatures.len(), 1);
        }
    }
}

/// A prepared file and the signature over its signed attributes.
fn prepared() -> (Vec<u8>, Vec<u8>, Credentials) {
    let (key, creds) = signer();
    let input = minimal_pdf(&[], "");
    let scheme = scheme_for(&creds.cert).expect("scheme");
    let p = prepare(&input, &creds, scheme, 0, &SignOptions::default()).expect("prepare");
    let sig = key.sign(&p.signed_attrs).expect("sign attrs");
    let mut file = input;
    file.extend_from_slice(&p.tail);
    (file, sig, creds)
}

/// Rewrites the /ByteRange of the (only) placeholder, keeping its width.
fn with_byte_range(file: &[u8], f: impl Fn([usize; 4]) -> [usize; 4]) -> Vec<u8> {
    let at = file.windows(12).rposition(|w| w == b"/ByteRange [").expect("byte range") + 12;
    let end = at + file[at..].iter().position(|&b| b == b']').expect("]");
    let old: Vec<usize> =
        std::str::from_utf8(&file[at..end]).unwrap().split_whitespace().map(|v| v.parse().unwrap()).collect();
    let new = f([old[0], old[1], old[2], old[3]]);
    let text = format!("{} {:<10} {:<10} {:<10}", new[0], new[1], new[2], new[3]);
    assert_eq!(text.len(), end - at, "width kept");
    let mut out = file.to_vec();
    out[at..end].copy_from_slice(text.as_bytes());
    out
}

#[test]
fn sign_finish_embeds_into_a_sound_placeholder() {
    let (mut file, sig, creds) = prepared();
    let scheme = scheme_for(&creds.cert).unwrap();
    finish(&mut file, &creds, scheme, &sig, None).expect("finish");
    let r = verify_bytes(&file, "finished.pdf", &Options::default()).expect("report");
    assert_eq!(r.signatures.len(), 1);
    assert!(r.signatures[0].errors.iter().all(|e| !e.contains("ByteRange")), "{:?}", r.signatures[0].errors);
    assert_eq!(r.signatures[0].subindication.map(|s| s.as_str()), Some("NO_CERTIFICATE_CHAIN_FOUND".into()));
}

#[test]
fn sign_finish_refuses_a_byte_range_past_the_end_of_the_file() {
    let (file, sig, creds) = prepared();
    let scheme = scheme_for(&creds.cert).unwrap();
    // The first range runs far past the end; the second still ends at it.
    let mut bad = with_byte_range(&file, |[a, _, b, c]| [a, 999_999_999, b, c]);
    assert!(matches!(finish(&mut bad, &creds, scheme, &sig, None), Err(SignError::NotPrepared)));
    // Both ranges inside the file but past its end together.
    let mut bad = with_byte_range(&file, |[a, x, b, c]| [a, x, b, c + 10]);
    assert!(matches!(finish(&mut bad, &creds, scheme, &sig, None), Err(SignError::NotPrepared)));
}

#[test]
fn sign_finish_requires_the_gap_to_be_the_contents_string() {
    let (file, sig, creds) = prepared();
    let scheme = scheme_for(&creds.cert).unwrap();
    // Shifted by one byte: the ranges still reach the end of the file, but the
    // gap is no longer the /Contents string, so the hex would land elsewhere.
    let mut bad = with_byte_range(&file, |[a, x, b, c]| [a, x - 1, b - 1, c + 1]);
    let before = bad.clone();
    assert!(matches!(finish(&mut bad, &creds, scheme, &sig, None), Err(SignError::NotPrepared)));
    assert_eq!(bad, before, "nothing written");
}

#[test]
fn what_vanthu_signs_vanthu_reads() {
    let out = signed_copy(&minimal_pdf(&[], ""));
    let r = verify_bytes(&out, "signed.pdf", &Options::default()).expect("readable");
    assert_eq!(r.signatures.len(), 1);
    assert!(!r.modified_after_signing);
}

#[test]
fn streams_whose_lengths_refer_to_each_other_do_not_recurse_forever() {
    let objects = vec![
        b"<< /Length 5 0 R >>\nstream\n/Sig /ByteRange\nendstream".to_vec(),
        b"<< /Length 4 0 R >>\nstream\n/Sig\nendstream".to_vec(),
    ];
    let data = minimal_pdf(&objects, "");
    let r = verify_bytes(&data, "loop.pdf", &Options::default()).expect("a report");
    assert!(r.signatures.is_empty());
    assert_eq!(r.indication, Indication::Indeterminate);
}

/// Cuts `data` in the middle of its last revision (half-way between the
/// previous `%%EOF` and the end).
fn truncated_last_revision(data: &[u8]) -> Vec<u8> {
    let body = &data[..data.len() - 8];
    let prev_eof = body.windows(5).rposition(|w| w == b"%%EOF").expect("an earlier revision") + 5;
    data[..prev_eof + (data.len() - prev_eof) / 2].to_vec()
}

#[test]
fn verifying_a_truncated_file_names_the_truncation() {
    let signed = signed_copy(&minimal_pdf(&[], ""));
    let cut = truncated_last_revision(&signed);
    let r = verify_bytes(&cut, "cut.pdf", &Options::default()).expect("a report, not an unusable file");
    assert!(r.warnings.iter().any(|w| w.contains("truncated")), "{:?}", r.warnings);
    assert!(r.to_text().contains("truncated"), "{}", r.to_text());
    assert_ne!(r.indication, Indication::TotalPassed);
}

#[test]
fn a_signature_before_a_truncated_revision_is_reported_and_the_document_is_modified() {
    let once = signed_copy(&minimal_pdf(&[], ""));
    let twice = signed_copy(&once);
    let cut = truncated_last_revision(&twice);
    let r = verify_bytes(&cut, "cut2.pdf", &Options::default()).expect("a report");
    assert_eq!(r.signatures.len(), 1, "the first signature is still found");
    assert!(r.modified_after_signing);
    assert_eq!(r.signatures[0].changes_after.as_str(), "other");
    assert!(r.warnings.iter().any(|w| w.contains("truncated")), "{:?}", r.warnings);
}

#[test]
fn signing_a_truncated_file_is_refused() {
    let once = signed_copy(&minimal_pdf(&[], ""));
    let (key, creds) = signer();
    for cut in [truncated_last_revision(&once), once[..once.len() - 3].to_vec()] {
        match sign(&cut, &key, &creds, None, &SignOptions::default()) {
            Err(SignError::Damaged(why)) => assert!(why.contains("truncated"), "{why}"),
            Err(e) => panic!("refused for another reason: {e}"),
            Ok(_) => panic!("a truncated file was signed"),
        }
    }
}

#[test]
fn the_cli_refuses_to_sign_a_truncated_file_in_one_line() {
    let once = signed_copy(&minimal_pdf(&[], ""));
    let dir = tempfile::tempdir().unwrap();
    let inp = dir.path().join("cut.pdf");
    let out = dir.path().join("out.pdf");
    std::fs::write(&inp, truncated_last_revision(&once)).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("certs/dev");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_vanthu"))
        .arg("sign")
        .arg("--key")
        .arg(root.join("p256.key.pem"))
        .arg("--cert")
        .arg(root.join("p256.cert.pem"))
        .arg(&inp)
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("damaged") && err.contains("truncated"), "{err}");
    assert!(!out.exists());
}

#[test]
fn a_later_revision_with_broken_cross_reference_data_counts_as_modification() {
    let signed = signed_copy(&minimal_pdf(&[], ""));
    let mut t = signed.clone();
    let xref = t.len() + 60;
    t.extend_from_slice(b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>\nendobj\n");
    let xref = xref.max(t.len());
    t.extend_from_slice(
        format!("xref\n0 2\ngarbage here\ntrailer\n<< /Size 4 >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    let r = verify_bytes(&t, "broken-later.pdf", &Options::default()).expect("a report, not unusable");
    assert_eq!(r.signatures.len(), 1);
    assert!(r.modified_after_signing);
    assert_eq!(r.indication, Indication::TotalFailed);
    assert!(r.warnings.iter().any(|w| w.contains("cannot be read")), "{:?}", r.warnings);
}

/// `data` with `pad` (whitespace) inserted before its `xref` keyword and
/// its `startxref` pointing at the pad, as some producers write.
fn startxref_before_xref(data: &[u8], pad: &[u8]) -> Vec<u8> {
    let xref = data.windows(6).rposition(|w| w == b"\nxref\n").expect("xref") + 1;
    let sx = data.windows(10).rposition(|w| w == b"startxref\n").expect("startxref");
    let mut out = data[..xref].to_vec();
    out.extend_from_slice(pad);
    out.extend_from_slice(&data[xref..sx]);
    out.extend_from_slice(format!("startxref\n{xref}\n%%EOF\n").as_bytes());
    out
}

#[test]
fn a_startxref_pointing_at_whitespace_before_xref_is_read() {
    let input = startxref_before_xref(&minimal_pdf(&[], ""), b"  \r\n");
    let signed = signed_copy(&input);
    let r = verify_bytes(&signed, "ws.pdf", &Options::default()).expect("readable");
    assert_eq!(r.signatures.len(), 1);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn a_later_signature_on_a_revision_whose_startxref_points_at_whitespace_is_not_a_modification() {
    // The signed revision itself was written that way: its own xref gets a
    // pad and its startxref points at the pad (the /ByteRange is kept sound,
    // so only the signature's hash breaks).
    let once = signed_copy(&minimal_pdf(&[], ""));
    let pad = b" \r\n";
    let mut padded = startxref_before_xref(&once, pad);
    let at = padded.windows(12).rposition(|w| w == b"/ByteRange [").unwrap() + 12;
    let end = at + padded[at..].iter().position(|&b| b == b']').unwrap();
    let nums: Vec<usize> =
        std::str::from_utf8(&padded[at..end]).unwrap().split_whitespace().map(|v| v.parse().unwrap()).collect();
    let text = format!("0 {:<10} {:<10} {:<10}", nums[1], nums[2], nums[3] + pad.len());
    padded[at..end].copy_from_slice(text.as_bytes());
    let twice = signed_copy(&padded);
    let r = verify_bytes(&twice, "ws2.pdf", &Options::default()).expect("readable");
    assert_eq!(r.signatures.len(), 2);
    assert_eq!(r.signatures[0].byte_range.map(|b| b[2] + b[3]), Some(padded.len() as u64), "{:?}", r.signatures[0]);
    assert_eq!(r.signatures[0].changes_after.as_str(), "signatures", "{:?}", r.signatures[0].errors);
    assert!(!r.modified_after_signing);
}

/// `minimal_pdf` with every in-use offset of its table moved by `by` bytes.
fn shifted_offsets(data: &[u8], by: usize) -> Vec<u8> {
    let text = String::from_utf8_lossy(data).into_owned();
    let xref = text.rfind("\nxref\n").expect("xref") + 1;
    let (head, tail) = text.split_at(xref);
    let tail: Vec<String> = tail
        .lines()
        .map(|l| match l.strip_suffix(" 00000 n ") {
            Some(off) => format!("{:010} 00000 n ", off.parse::<usize>().unwrap() + by),
            None => l.to_string(),
        })
        .collect();
    format!("{head}{}\n", tail.join("\n")).into_bytes()
}

#[test]
fn wrong_xref_offsets_are_recovered_by_finding_the_objects_with_a_warning() {
    let input = shifted_offsets(&minimal_pdf(&[], ""), 3);
    let budget = vanthu::pdf::Budget::new(Limits::default());
    let doc = vanthu::pdf::Document::open(&input, &budget).expect("open");
    let page = doc.get(vanthu::pdf::object::ObjRef { num: 3, generation: 0 }).expect("read").expect("present");
    assert!(page.has_name(b"Type", b"Page"));
    assert!(doc.repairs().iter().any(|w| w.contains("object 3 is not at byte")), "{:?}", doc.repairs());
    // Signing reads it the same way, and so does verifying the result.
    let signed = signed_copy(&input);
    let r = verify_bytes(&signed, "shifted.pdf", &Options::default()).expect("readable");
    assert_eq!(r.signatures.len(), 1);
    assert_eq!(r.signatures[0].field, "Signature1");
    assert!(!r.modified_after_signing);
}

#[test]
fn wrong_offsets_in_a_later_revision_count_as_modification() {
    let signed = signed_copy(&minimal_pdf(&[], ""));
    // A later revision replacing the page, its xref entry 5 bytes off.
    let mut t = signed.clone();
    let prev = {
        let sx = t.windows(10).rposition(|w| w == b"startxref\n").unwrap() + 10;
        String::from_utf8_lossy(&t[sx..]).split_whitespace().next().unwrap().to_string()
    };
    let at = t.len();
    t.extend_from_slice(b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>\nendobj\n");
    let xref = t.len();
    t.extend_from_slice(
        format!(
            "xref\n3 1\n{:010} 00000 n \ntrailer\n<< /Size 4 /Root 1 0 R /Prev {prev} >>\nstartxref\n{xref}\n%%EOF\n",
            at + 5
        )
        .as_bytes(),
    );
    let r = verify_bytes(&t, "later-shifted.pdf", &Options::default()).expect("readable");
    assert_eq!(r.signatures.len(), 1);
    assert!(r.modified_after_signing);
    assert_eq!(r.signatures[0].changes_after.as_str(), "other");
}

#[test]
fn a_malformed_number_in_a_field_signing_does_not_need_leaves_the_document_readable() {
    let objects = vec![b"<< /Fields [5 0 R] >>".to_vec(), b"<< /FT /Tx /T (Name) /Rect [0 0 -1.#INF 10] >>".to_vec()];
    let input = pdf_with_catalog("<< /Type /Catalog /Pages 2 0 R /AcroForm 4 0 R >>", &objects, "");
    let signed = signed_copy(&input);
    let r = verify_bytes(&signed, "inf.pdf", &Options::default()).expect("readable");
    assert_eq!(r.signatures.len(), 1);
    assert_eq!(r.signatures[0].field, "Signature1");
    assert!(r.warnings.iter().any(|w| w.contains("bad number")), "{:?}", r.warnings);
}

#[test]
fn cross_reference_offsets_past_the_end_of_the_file_are_errors_not_panics() {
    // Found by fuzzing `sign finish`: reconstruction looked for an object
    // header at an offset beyond the file.
    let input = shifted_offsets(&minimal_pdf(&[], ""), 1 << 40);
    let _ = verify_bytes(&input, "far.pdf", &Options::default());
    let (key, creds) = signer();
    // The objects are all there, only not where the table says: found by
    // reconstruction, and what vanthu signs it reads back.
    let s = sign(&input, &key, &creds, None, &SignOptions::default()).expect("signed after repair");
    let mut out = input.clone();
    out.extend_from_slice(&s.tail);
    let r = verify_bytes(&out, "far-signed.pdf", &Options::default()).expect("readable");
    assert_eq!(r.signatures.len(), 1);
    let mut copy = input.clone();
    let scheme = scheme_for(&creds.cert).unwrap();
    assert!(finish(&mut copy, &creds, scheme, &[0; 64], None).is_err());
}

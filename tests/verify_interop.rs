//! A school checks a signed notice: vanthu's verdict must agree with
//! pyHanko's (and with pdfsig's on the signature itself) on valid and
//! invalid documents from several PDF producers.

mod common;

use common::*;
use std::path::PathBuf;

fn input(name: &str) -> PathBuf {
    fixtures().pdfs.join(format!("{name}.pdf"))
}

const PRODUCERS: &[&str] = &["reportlab", "fpdf2", "objstm", "linearized", "many_pages"];

#[test]
fn valid_signatures_of_every_key_type_and_producer_pass_in_vanthu_and_pyhanko() {
    let dir = scratch();
    for (producer, signer, extra) in [
        ("reportlab", "rsa", vec![]),
        ("fpdf2", "p256", vec![]),
        ("objstm", "p384", vec![]),
        ("linearized", "ed25519", vec![]),
        ("many_pages", "rsa", vec!["--pss"]),
        ("reportlab", "p256", vec!["--md", "sha512", "--subfilter", "pkcs7"]),
        ("objstm", "rsa", vec!["--md", "sha384"]),
    ] {
        let out = dir.path().join(format!("{producer}-{signer}.pdf"));
        pyhanko_sign(&input(producer), &out, signer, "Sig1", &extra);
        let v = verify(&out, &[]);
        assert_eq!(v.indication(), "TOTAL-PASSED", "{producer}/{signer}/{extra:?}: {}", v.json);
        assert_eq!(v.code, 0);
        assert_eq!(v.sig(0)["covers_whole_document"], true);
        assert_eq!(v.sig(0)["changes_after"], "none");
        let py = pyhanko_validate(&out, &[]);
        assert!(pyhanko_accepts(&py), "pyHanko disagrees on {producer}/{signer}: {py}");
        if signer != "ed25519" {
            let sig = pdfsig(&out);
            assert!(sig.contains("Signature is Valid"), "pdfsig on {producer}/{signer}: {sig}");
            assert!(sig.contains("Total document signed"), "pdfsig on {producer}/{signer}: {sig}");
        }
    }
}

#[test]
fn vietnamese_names_are_reported_intact() {
    let dir = scratch();
    let out = dir.path().join("vn.pdf");
    pyhanko_sign(&input("reportlab"), &out, "rsa", "Chữ ký", &[]);
    let v = verify(&out, &[]);
    assert_eq!(v.indication(), "TOTAL-PASSED", "{}", v.json);
    let subject = v.sig(0)["signer"]["subject"].as_str().unwrap_or_default();
    assert!(subject.contains("CN=Hồ Tấn Minh"), "{subject}");
    assert!(subject.contains("Sở Giáo dục và Đào tạo"), "{subject}");
    let text = run_ok(vanthu().arg("verify").arg("--trust").arg(&fixtures().pki.root).arg(&out));
    assert!(text.contains("Hồ Tấn Minh"), "{text}");
}

#[test]
fn a_second_signature_keeps_the_first_valid_for_every_producer() {
    let dir = scratch();
    for producer in PRODUCERS {
        let one = dir.path().join(format!("{producer}-one.pdf"));
        let two = dir.path().join(format!("{producer}-two.pdf"));
        pyhanko_sign(&input(producer), &one, "rsa", "Person", &[]);
        pyhanko_sign(&one, &two, "p256", "Organisation", &[]);
        let v = verify(&two, &[]);
        assert_eq!(v.indication(), "TOTAL-PASSED", "{producer}: {}", v.json);
        assert_eq!(v.json["signatures"].as_array().map(Vec::len), Some(2));
        assert_eq!(v.sig(0)["covers_whole_document"], false);
        assert_eq!(v.sig(0)["changes_after"], "signatures", "{producer}: {}", v.json);
        assert_eq!(v.sig(1)["covers_whole_document"], true);
        assert!(pyhanko_accepts(&pyhanko_validate(&two, &[])), "{producer}");
        assert!(qpdf_check(&two), "{producer}");
    }
}

#[test]
fn a_timestamped_signature_reports_the_tsa_time() {
    let dir = scratch();
    let out = dir.path().join("ts.pdf");
    let tsa = tsa_args();
    let extra: Vec<&str> = tsa.iter().map(String::as_str).collect();
    pyhanko_sign(&input("reportlab"), &out, "p256", "Sig1", &extra);
    let v = verify(&out, &[]);
    assert_eq!(v.indication(), "TOTAL-PASSED", "{}", v.json);
    let ts = &v.sig(0)["timestamp"];
    assert!(ts["time"].as_str().is_some_and(|t| t.starts_with("20")), "{}", v.json);
    assert!(ts["tsa"].as_str().is_some_and(|t| t.contains("Vanthu Test TSA")), "{}", v.json);
    let py = pyhanko_validate(&out, &[]);
    assert!(pyhanko_accepts(&py), "{py}");
}

#[test]
fn a_document_timestamp_is_validated_like_a_signature() {
    let dir = scratch();
    let one = dir.path().join("signed.pdf");
    let two = dir.path().join("doc-ts.pdf");
    pyhanko_sign(&input("reportlab"), &one, "rsa", "Sig1", &[]);
    let tsa = fixtures().pki.signer("tsa");
    run_ok(
        std::process::Command::new("python3")
            .arg(support("sign.py"))
            .arg("--doc-timestamp")
            .arg("--tsa-key")
            .arg(&tsa.key)
            .arg("--tsa-cert")
            .arg(&tsa.cert)
            .arg(&one)
            .arg(&two),
    );
    let v = verify(&two, &[]);
    assert_eq!(v.indication(), "TOTAL-PASSED", "{}", v.json);
    assert_eq!(v.sig(1)["subfilter"], "ETSI.RFC3161");
    assert_eq!(v.sig(0)["changes_after"], "signatures");
    assert!(v.sig(1)["timestamp"]["tsa"].as_str().is_some_and(|t| t.contains("Vanthu Test TSA")));
    assert!(pyhanko_accepts(&pyhanko_validate(&two, &[])), "{}", pyhanko_validate(&two, &[]));
    // Tampering with the timestamped bytes breaks it.
    let mut data = std::fs::read(&two).expect("read");
    let at = data.len() - 40;
    data[at] ^= 0x20;
    std::fs::write(&two, &data).expect("write");
    let v = verify(&two, &[]);
    assert_eq!(v.code, 1, "{}", v.json);
    assert_eq!(v.sub(1), "HASH_FAILURE", "{}", v.json);
}

#[test]
fn a_certification_signature_limits_later_changes_as_pyhanko_does() {
    let dir = scratch();
    let certified = dir.path().join("certified.pdf");
    pyhanko_sign(&input("reportlab"), &certified, "rsa", "Sig1", &["--certify", "--docmdp", "2"]);
    let v = verify(&certified, &[]);
    assert_eq!(v.indication(), "TOTAL-PASSED", "{}", v.json);
    assert_eq!(v.sig(0)["certification"], 2);
    // Level 2 allows another signature...
    let signed = dir.path().join("certified-signed.pdf");
    pyhanko_sign(&certified, &signed, "p256", "Sig2", &[]);
    let v = verify(&signed, &[]);
    assert_eq!(v.indication(), "TOTAL-PASSED", "{}", v.json);
    assert!(pyhanko_accepts(&pyhanko_validate(&signed, &[])));
    // ...but not an annotation, which an uncertified document would allow.
    let annotated = dir.path().join("certified-annotated.pdf");
    modify("add-annotation", &certified, &annotated);
    let v = verify(&annotated, &[]);
    assert_eq!(v.json["modified_after_signing"], true, "{}", v.json);
    assert_eq!(v.indication(), "TOTAL-FAILED");
    assert!(pyhanko_rejects(&pyhanko_validate(&annotated, &[])));
}

/// Each broken case: signer, extra verify args, expected sub-indication.
#[test]
fn certificate_problems_fail_in_vanthu_and_pyhanko() {
    let dir = scratch();
    let crl = fixtures().pki.crl.display().to_string();
    for (signer, args, expected) in [
        ("expired", vec![], "EXPIRED"),
        ("notyet", vec![], "NOT_YET_VALID"),
        ("untrusted", vec![], "NO_CERTIFICATE_CHAIN_FOUND"),
        ("lookalike", vec![], "NO_CERTIFICATE_CHAIN_FOUND"),
        ("wrongku", vec![], "CHAIN_CONSTRAINTS_FAILURE"),
        ("revoked", vec!["--crl", crl.as_str()], "REVOKED"),
        ("rsa1024", vec![], "CRYPTO_CONSTRAINTS_FAILURE"),
    ] {
        let out = dir.path().join(format!("{signer}.pdf"));
        pyhanko_sign(&input("reportlab"), &out, signer, "Sig1", &[]);
        let v = verify(&out, &args);
        assert_ne!(v.indication(), "TOTAL-PASSED", "{signer}: {}", v.json);
        assert_eq!(v.code, 1, "{signer}");
        assert_eq!(v.sub(0), expected, "{signer}: {}", v.json);
        let py = pyhanko_validate(&out, &args);
        assert!(pyhanko_rejects(&py), "pyHanko accepted {signer}: {py}");
    }
}

#[test]
fn a_revoked_certificate_passes_without_the_crl_and_a_forged_crl_is_ignored() {
    let dir = scratch();
    let out = dir.path().join("revoked.pdf");
    pyhanko_sign(&input("reportlab"), &out, "revoked", "Sig1", &[]);
    let v = verify(&out, &[]);
    assert_eq!(v.indication(), "TOTAL-PASSED", "{}", v.json);
    // A "clean" CRL that names the issuer but is signed by another key
    // must not be taken as proof of anything.
    let forged = fixtures().pki.forged_crl.display().to_string();
    let v = verify(&out, &["--crl", &forged]);
    let warnings = v.sig(0)["warnings"].to_string();
    assert!(warnings.contains("CRL of") && warnings.contains("ignored"), "{}", v.json);
    // The good CRL of a different certificate leaves a valid signer valid.
    let good = dir.path().join("good.pdf");
    pyhanko_sign(&input("reportlab"), &good, "p256", "Sig1", &[]);
    let crl = fixtures().pki.crl.display().to_string();
    assert_eq!(verify(&good, &["--crl", &crl]).indication(), "TOTAL-PASSED");
    // A forged CRL that lists that valid signer as revoked: the verdict
    // shows it was not believed.
    let forged = fixtures().pki.forged_revoking_crl.display().to_string();
    let v = verify(&good, &["--crl", &forged]);
    assert_eq!(v.indication(), "TOTAL-PASSED", "{}", v.json);
    assert!(v.sig(0)["subindication"].is_null(), "{}", v.json);
}

#[test]
fn validation_time_can_be_set() {
    let dir = scratch();
    let out = dir.path().join("at.pdf");
    pyhanko_sign(&input("reportlab"), &out, "p256", "Sig1", &[]);
    // Long after the certificate expired, nothing proves when it was signed.
    let v = verify(&out, &["--at", "2099-01-01T00:00:00Z"]);
    assert_eq!(v.indication(), "INDETERMINATE", "{}", v.json);
    assert_eq!(v.sub(0), "OUT_OF_BOUNDS_NO_POE");
    let v = verify(&out, &["--at", "not-a-time"]);
    assert_eq!(v.code, 2);
    assert!(v.stderr.contains("--at"), "{}", v.stderr);
}

#[test]
fn a_signature_timestamp_proves_the_signature_existed_before_the_signer_expired() {
    let dir = scratch();
    let out = dir.path().join("at-ts.pdf");
    pyhanko_sign(&input("reportlab"), &out, "p256", "Sig1", &tsa_args().iter().map(String::as_str).collect::<Vec<_>>());
    // Long after the signer (and the TSA) expired: the timestamp proves the
    // signature existed while both were valid.
    let late = ["--at", "2099-01-01T00:00:00Z"];
    let v = verify(&out, &late);
    assert_eq!(v.indication(), "TOTAL-PASSED", "{}", v.json);
    assert!(v.sig(0)["timestamp"]["time"].is_string(), "{}", v.json);
    // pyHanko accepts the same file now, timestamp included. At 2099 its
    // basic validation judges every certificate at that moment (no proof of
    // existence), so it agrees on the cryptography and differs on trust by
    // policy: that difference is asserted, so a change on either side shows.
    let py = pyhanko_validate(&out, &[]);
    assert!(pyhanko_accepts(&py), "{py}");
    assert_eq!(py["signatures"][0]["timestamp_valid"], true, "{py}");
    let py = pyhanko_validate(&out, &late);
    assert!(py["signatures"][0]["error"].is_null(), "{py}");
    assert_eq!((&py["signatures"][0]["intact"], &py["signatures"][0]["valid"]), (&true.into(), &true.into()), "{py}");
    assert_eq!(py["signatures"][0]["trusted"], false, "{py}");
    // Without the timestamp nothing proves when it was signed.
    let bare = dir.path().join("at-bare.pdf");
    pyhanko_sign(&input("reportlab"), &bare, "p256", "Sig1", &[]);
    assert_eq!(verify(&bare, &late).sub(0), "OUT_OF_BOUNDS_NO_POE");
}

fn flip(data: &mut [u8], at: usize) {
    data[at] ^= 0x01;
}

#[test]
fn tampered_bytes_and_tampered_signature_values_fail() {
    let dir = scratch();
    let signed = dir.path().join("signed.pdf");
    pyhanko_sign(&input("reportlab"), &signed, "p256", "Sig1", &[]);
    let data = std::fs::read(&signed).expect("read");

    // A byte of page content inside the first signed range.
    let mut t = data.clone();
    let pos = find(&t, b"stream").expect("a stream") + 10;
    flip(&mut t, pos);
    let tampered = dir.path().join("tampered.pdf");
    std::fs::write(&tampered, &t).expect("write");
    let v = verify(&tampered, &[]);
    assert_eq!(v.sub(0), "HASH_FAILURE", "{}", v.json);
    assert!(pyhanko_rejects(&pyhanko_validate(&tampered, &[])));
    assert!(!pdfsig(&tampered).contains("Signature is Valid"));

    // A hex digit of the signature value (the end of the CMS, before the padding).
    let mut t = data.clone();
    let contents = find(&t, b"/Contents <").expect("contents") + 11;
    let end = contents + find(&t[contents..], b">").expect("end");
    let last = (contents..end).rev().find(|&i| t[i] != b'0').expect("cms");
    let at = last - 6;
    t[at] = if t[at] == b'A' { b'B' } else { b'A' };
    let bad_sig = dir.path().join("badsig.pdf");
    std::fs::write(&bad_sig, &t).expect("write");
    let v = verify(&bad_sig, &[]);
    assert_eq!(v.sub(0), "SIG_CRYPTO_FAILURE", "{}", v.json);
    assert!(pyhanko_rejects(&pyhanko_validate(&bad_sig, &[])));
}

pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn content_changed_after_signing_is_detected_like_pyhanko() {
    let dir = scratch();
    let signed = dir.path().join("signed.pdf");
    pyhanko_sign(&input("reportlab"), &signed, "rsa", "Sig1", &[]);
    for (action, allowed, level) in [
        ("add-page-content", false, "other"),
        ("add-catalog-entry", false, "other"),
        ("update-info", true, "signatures"),
        ("add-annotation", true, "annotations"),
    ] {
        let out = dir.path().join(format!("{action}.pdf"));
        modify(action, &signed, &out);
        let v = verify(&out, &[]);
        assert_eq!(v.sig(0)["changes_after"], level, "{action}: {}", v.json);
        assert_eq!(v.json["modified_after_signing"], !allowed, "{action}: {}", v.json);
        assert_eq!(v.indication() == "TOTAL-PASSED", allowed, "{action}: {}", v.json);
        let py = pyhanko_validate(&out, &[]);
        if !allowed {
            assert!(pyhanko_rejects(&py), "pyHanko accepted {action}: {py}");
        }
    }
}

#[test]
fn unusable_input_exits_2_with_one_line() {
    let dir = scratch();
    let not_pdf = dir.path().join("x.pdf");
    std::fs::write(&not_pdf, b"hello, this is not a PDF").expect("write");
    let v = verify(&not_pdf, &[]);
    assert_eq!(v.code, 2);
    assert_eq!(v.stderr.trim().lines().count(), 1, "{}", v.stderr);
    let v = verify(&dir.path().join("missing.pdf"), &[]);
    assert_eq!(v.code, 2);
    let v = verify(&input("reportlab"), &[]);
    assert_eq!(v.code, 1, "an unsigned PDF is not valid");
    assert_eq!(v.indication(), "INDETERMINATE");
}

#[test]
fn form_filling_after_signing_is_allowed_and_an_empty_field_can_be_signed() {
    let dir = scratch();
    let signed = dir.path().join("form-signed.pdf");
    pyhanko_sign(&input("form"), &signed, "rsa", "Sig1", &[]);
    let filled = dir.path().join("form-filled.pdf");
    run_ok(
        std::process::Command::new("python3")
            .arg(support("modify.py"))
            .arg("fill-field")
            .arg(&signed)
            .arg(&filled)
            .args(["--field", "Name", "--value", "Trường THPT Lê Quý Đôn"]),
    );
    let v = verify(&filled, &[]);
    assert_eq!(v.sig(0)["changes_after"], "form-filling", "{}", v.json);
    assert_eq!(v.indication(), "TOTAL-PASSED", "{}", v.json);
    assert!(pyhanko_accepts(&pyhanko_validate(&filled, &[])));

    // An empty signature field prepared by someone else, signed by vanthu.
    let with_field = dir.path().join("with-field.pdf");
    modify("add-sig-field", &filled, &with_field);
    let out = dir.path().join("field-signed.pdf");
    let (code, err) = vanthu_sign(&with_field, &out, "p256", &["--field", "Sig2"]);
    assert_eq!(code, 0, "{err}");
    let v = verify(&out, &[]);
    assert_eq!(v.indication(), "TOTAL-PASSED", "{}", v.json);
    let fields: Vec<_> = v.json["signatures"].as_array().into_iter().flatten().map(|s| s["field"].clone()).collect();
    assert_eq!(fields, vec!["Sig1", "Sig2"], "{}", v.json);
    assert!(pyhanko_accepts(&pyhanko_validate(&out, &[])));
}

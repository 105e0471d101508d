//! A unit holds receipts from vanthu and shows them to an inspector: the
//! receipts must verify with OpenSSL against vanthu's CA alone, OpenSSL must
//! see the timestamp token, and `vanthu receipt verify` must say, receipt by
//! receipt, which are valid, and refuse any receipt whose content changed.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use vanthu::audit::{Hash, Head};
use vanthu::cms::tsa::LocalTsa;
use vanthu::exchange::receipt::{Receipt, ReceiptContent};
use vanthu::pki::keys::LocalKey;

/// A fresh test PKI (tests/common/pki.rs): vanthu's receipt certificates
/// ("receipt", "receipt-p256"), a TSA, document signers standing for units.
fn pki() -> &'static common::pki::Pki {
    static P: OnceLock<(tempfile::TempDir, common::pki::Pki)> = OnceLock::new();
    &P.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let pki = common::pki::generate(&dir.path().join("pki"));
        (dir, pki)
    })
    .1
}

fn root() -> PathBuf {
    pki().root.clone()
}

fn certs(path: &Path) -> Vec<Vec<u8>> {
    let mut v = vanthu::pki::pem_or_der(&std::fs::read(path).unwrap(), "CERTIFICATE", "test").unwrap();
    // An empty chain file reads as one empty "DER object".
    v.retain(|c| !c.is_empty());
    v
}

fn key(path: &Path) -> LocalKey {
    LocalKey::from_pem(&std::fs::read(path).unwrap()).unwrap()
}

fn content(recipient: &str, status: &str) -> ReceiptContent {
    ReceiptContent {
        document: "000.00.12.H29,2026/03/05,610/TB-SGDĐT".into(),
        document_ref: "d_4kP9".into(),
        delivered_sha256: Hash::of(b"the delivered notice").to_string(),
        recipient: recipient.into(),
        status: status.into(),
        time: "2026-11-30T16:05:01+07:00".into(),
        audit_head: Head { seq: 7, hash: Hash::of(b"entry 7") },
    }
}

/// A receipt signed by the PKI signer `signer` (vanthu's receipt
/// certificates, or another to forge one), timestamped by the test TSA.
fn issue(signer: &str, recipient: &str, status: &str) -> Receipt {
    let t = pki().signer("tsa");
    let tsa = LocalTsa::new(Box::new(key(&t.key)), certs(&t.cert).remove(0), certs(&t.chain)).unwrap();
    let s = pki().signer(signer);
    let (cert, chain, k) = (certs(&s.cert).remove(0), certs(&s.chain), key(&s.key));
    Receipt::issue(&content(recipient, status), &k, &cert, &chain, Some(&tsa)).unwrap()
}

/// Writes the content and the DER CMS of a receipt as an inspector would
/// save them from the JSON.
fn save(dir: &Path, name: &str, r: &Receipt) -> (PathBuf, PathBuf) {
    let c = dir.join(format!("{name}.json"));
    let d = dir.join(format!("{name}.der"));
    std::fs::write(&c, r.content.as_bytes()).unwrap();
    std::fs::write(&d, r.cms_der().unwrap()).unwrap();
    (c, d)
}

fn openssl(args: &[&std::ffi::OsStr]) -> Output {
    Command::new("openssl").args(args).output().expect("openssl must be installed")
}

fn openssl_cms_verify(content: &Path, der: &Path, ca: &Path) -> Output {
    openssl(&[
        "cms".as_ref(),
        "-verify".as_ref(),
        "-binary".as_ref(),
        "-inform".as_ref(),
        "DER".as_ref(),
        "-in".as_ref(),
        der.as_os_str(),
        "-content".as_ref(),
        content.as_os_str(),
        "-CAfile".as_ref(),
        ca.as_os_str(),
        "-purpose".as_ref(),
        "any".as_ref(),
        "-out".as_ref(),
        "/dev/null".as_ref(),
    ])
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn vanthu_receipt_verify(file: &Path, ca: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vanthu"))
        .args(["receipt".as_ref(), "verify".as_ref(), "--trust".as_ref(), ca.as_os_str(), file.as_os_str()])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn openssl_accepts_receipts_and_refuses_a_changed_byte() {
    let dir = tempfile::tempdir().unwrap();
    for signer in ["receipt", "receipt-p256"] {
        let r = issue(signer, "000.01.31.H29", "03");
        let (c, d) = save(dir.path(), signer, &r);
        let out = openssl_cms_verify(&c, &d, &root());
        assert!(out.status.success(), "openssl refuses the {signer} receipt: {}", text(&out));
        assert!(text(&out).contains("Verification successful"), "{}", text(&out));
        // Another CA: openssl must refuse, or the check above proves nothing.
        let out = openssl_cms_verify(&c, &d, &pki().other_root.clone());
        assert!(!out.status.success(), "openssl accepts a receipt under another CA: {}", text(&out));
        // One byte of the content changed ("03" accepted -> "06" completed).
        let forged = dir.path().join(format!("{signer}-forged.json"));
        std::fs::write(&forged, r.content.replace("\"03\"", "\"06\"")).unwrap();
        let out = openssl_cms_verify(&forged, &d, &root());
        assert!(!out.status.success(), "openssl accepts changed content: {}", text(&out));
        assert!(text(&out).contains("content verify error"), "{}", text(&out));
    }
}

#[test]
fn openssl_sees_and_verifies_the_timestamp_token() {
    let dir = tempfile::tempdir().unwrap();
    let r = issue("receipt", "000.01.31.H29", "01");
    let der = r.cms_der().unwrap();
    // openssl shows the token as an unsigned attribute of the signer.
    let d = save(dir.path(), "r", &r).1;
    let out = openssl(&[
        "cms".as_ref(),
        "-cmsout".as_ref(),
        "-print".as_ref(),
        "-inform".as_ref(),
        "DER".as_ref(),
        "-in".as_ref(),
        d.as_os_str(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("id-smime-aa-timeStampToken"), "{}", text(&out));
    assert!(text(&out).contains("signingTime"), "{}", text(&out));
    // Extract the token and let openssl read and verify it over the signature value.
    let (sd, _) = vanthu::cms::parse_signed_data(&der).unwrap();
    let si = &sd.signer_infos[0];
    let token = vanthu::cms::timestamp_token(si).unwrap().expect("a timestamp token");
    let t = dir.path().join("token.der");
    std::fs::write(&t, token).unwrap();
    let out = openssl(&[
        "ts".as_ref(),
        "-reply".as_ref(),
        "-token_in".as_ref(),
        "-in".as_ref(),
        t.as_os_str(),
        "-text".as_ref(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let shown = text(&out);
    assert!(shown.contains("Hash Algorithm: sha256"), "{shown}");
    let imprint = Hash::of(si.signature).to_string();
    let out = openssl(&[
        "ts".as_ref(),
        "-verify".as_ref(),
        "-token_in".as_ref(),
        "-in".as_ref(),
        t.as_os_str(),
        "-digest".as_ref(),
        imprint.as_ref(),
        "-CAfile".as_ref(),
        root().as_os_str(),
    ]);
    assert!(text(&out).contains("Verification: OK"), "openssl ts -verify: {}", text(&out));
    // The same token does not verify over another value.
    let other = Hash::of(b"another signature").to_string();
    let out = openssl(&[
        "ts".as_ref(),
        "-verify".as_ref(),
        "-token_in".as_ref(),
        "-in".as_ref(),
        t.as_os_str(),
        "-digest".as_ref(),
        other.as_ref(),
        "-CAfile".as_ref(),
        root().as_os_str(),
    ]);
    assert!(text(&out).contains("message imprint mismatch"), "{}", text(&out));
}

#[test]
fn vanthu_receipt_verify_reports_each_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let good = vec![issue("receipt", "000.01.31.H29", "01"), issue("receipt-p256", "000.02.31.H29", "03")];
    let file = dir.path().join("receipts.json");
    std::fs::write(&file, serde_json::to_vec(&good).unwrap()).unwrap();
    let (code, out, err) = vanthu_receipt_verify(&file, &root());
    assert_eq!(code, 0, "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("01 000.01.31.H29 2026-11-30T16:05:01+07:00 signer \""), "{out}");
    assert!(lines[1].starts_with("03 000.02.31.H29 "), "{out}");
    assert!(lines[0].contains("CN=Vanthu Receipts") && lines.iter().all(|l| l.ends_with(": valid")), "{out}");

    // One receipt alone (an object, not an array) is accepted too.
    let single = dir.path().join("one.json");
    std::fs::write(&single, serde_json::to_vec(&good[1]).unwrap()).unwrap();
    let (code, out, _) = vanthu_receipt_verify(&single, &root());
    assert_eq!((code, out.lines().count()), (0, 1), "{out}");

    // The second receipt's status changed: exit 1, and its line says why.
    let mut forged = good.clone();
    forged[1].content = forged[1].content.replace("\"03\"", "\"06\"");
    std::fs::write(&file, serde_json::to_vec(&forged).unwrap()).unwrap();
    let (code, out, err) = vanthu_receipt_verify(&file, &root());
    assert_eq!(code, 1, "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].ends_with(": valid"), "{out}");
    assert!(lines[1].starts_with("06 000.02.31.H29"), "{out}");
    assert!(lines[1].contains("NOT VALID: the receipt's content is not what was signed"), "{out}");

    // Trusting another CA: every receipt is refused.
    std::fs::write(&file, serde_json::to_vec(&good).unwrap()).unwrap();
    let (code, out, _) = vanthu_receipt_verify(&file, &pki().other_root.clone());
    assert_eq!(code, 1, "{out}");
    assert!(out.lines().all(|l| l.contains("NOT VALID")), "{out}");

    // Unusable input: exit 2 and one line on stderr.
    let junk = dir.path().join("junk.json");
    std::fs::write(&junk, b"{\"receipts\": 3}").unwrap();
    let (code, out, err) = vanthu_receipt_verify(&junk, &root());
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("not a receipt"), "{err}");
    let (code, _, err) = vanthu_receipt_verify(&dir.path().join("missing.json"), &root());
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_receipt_forged_by_a_unit_passes_openssl_but_not_vanthu() {
    // A unit holds a signing certificate from the same CA. With openssl it
    // signs a receipt claiming a status vanthu never recorded: openssl has
    // no way to tell it from vanthu's, `vanthu receipt verify` does.
    let dir = tempfile::tempdir().unwrap();
    let genuine = issue("receipt", "000.01.31.H29", "03");
    let content = genuine.content.replace("\"03\"", "\"06\"");
    let c = dir.path().join("forged.json");
    std::fs::write(&c, &content).unwrap();
    let unit = pki().signer("p256");
    let d = dir.path().join("forged.der");
    let out = openssl(&[
        "cms".as_ref(),
        "-sign".as_ref(),
        "-binary".as_ref(),
        "-in".as_ref(),
        c.as_os_str(),
        "-signer".as_ref(),
        unit.cert.as_os_str(),
        "-inkey".as_ref(),
        unit.key.as_os_str(),
        "-certfile".as_ref(),
        unit.chain.as_os_str(),
        "-outform".as_ref(),
        "DER".as_ref(),
        "-out".as_ref(),
        d.as_os_str(),
    ]);
    assert!(out.status.success(), "openssl cms -sign: {}", text(&out));
    let out = openssl_cms_verify(&c, &d, &root());
    assert!(out.status.success(), "openssl refuses the forgery, so this test shows nothing: {}", text(&out));

    use base64::Engine;
    let forged = Receipt { content, cms: base64::engine::general_purpose::STANDARD.encode(std::fs::read(&d).unwrap()) };
    let file = dir.path().join("receipts.json");
    std::fs::write(&file, serde_json::to_vec(&vec![genuine, forged]).unwrap()).unwrap();
    let (code, out, err) = vanthu_receipt_verify(&file, &root());
    assert_eq!(code, 1, "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].ends_with(": valid"), "{out}");
    assert!(lines[1].starts_with("06 000.01.31.H29"), "{out}");
    assert!(lines[1].contains("Nguyễn Thị Hương") && lines[1].contains("not vanthu's receipt certificate"), "{out}");
}

//! Signing for people, as a unit's e-office system meets it over mutual TLS
//! with curl: a person whose key vanthu holds signs with their PIN (and
//! pyHanko, `vanthu verify` and poppler judge the result); wrong PINs lock
//! the person until an administrator unlocks them, every attempt in the
//! audit log without the PIN; and deferred signing where the "USB token" is
//! `openssl pkeyutl -sign` with a key file.

mod common;

use common::gateway::{Reply, Server, start, start_with};
use common::poppler::{Box4, words};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

const DEPARTMENT: &str = "000.00.12.H29";
const SCHOOL: &str = "001.20.12.H29";
// Eight digits each: long enough that finding one in a log or in the
// audit log's hex hashes by chance is out of the question.
const PIN: &str = "90817263";
const WRONG: &str = "53972814";
const NEW_PIN: &str = "64019283";

/// The unsigned sample notice: its signer block reads "CHÁNH VĂN PHÒNG"
/// and "Hồ Tấn Minh".
fn sample_pdf() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("certs/dev/sample.pdf")
}

impl Server {
    fn curl(&self, client: &str, args: &[&str], path: &str) -> Reply {
        self.request(&self.internal(client), args, path).unwrap_or_else(|e| panic!("curl {path}: {e}\n{}", self.log()))
    }

    fn post_json(&self, client: &str, path: &str, body: &Value) -> Reply {
        self.json_request(&self.internal(client), "POST", path, body)
            .unwrap_or_else(|e| panic!("curl {path}: {e}\n{}", self.log()))
    }

    /// `POST /api/v1/sign` as `client` with the sample notice.
    fn sign(&self, client: &str, person: &str, pin: &str) -> Reply {
        let doc = format!("document=@{}", sample_pdf().display());
        let person = format!("person={person}");
        let pin = format!("pin={pin}");
        self.curl(client, &["-F", &doc, "-F", &person, "-F", &pin], "/api/v1/sign")
    }

    /// Adds Hồ Tấn Minh of the Department with the admin API; his id.
    fn add_person(&self) -> String {
        let r = self.post_json(
            "admin",
            "/api/v1/admin/persons",
            &json!({"unit": DEPARTMENT, "name": "Hồ Tấn Minh", "position": "Chánh Văn phòng", "pin": PIN}),
        );
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        let v = r.json();
        assert!(v.get("private_key_pem").is_none() && v.get("pin_hash").is_none(), "no key, no hash: {v}");
        v["id"].as_str().unwrap().to_string()
    }

    /// The audit log's `sign` and `admin` entries, oldest first, read from
    /// the database by Python's sqlite3 (not by vanthu).
    fn audit(&self) -> Vec<Value> {
        let script = "import sqlite3, sys, json\n\
                      c = sqlite3.connect(sys.argv[1])\n\
                      rows = c.execute(\"SELECT actor, action, detail FROM audit ORDER BY seq\").fetchall()\n\
                      print(json.dumps([{'actor': a, 'action': b, 'detail': json.loads(d)} for a, b, d in rows]))\n";
        let out = common::run_ok(Command::new("python3").arg("-c").arg(script).arg(self.data.join("vanthu.db")));
        serde_json::from_str(&out).unwrap()
    }

    fn cli_text(&self, args: &[&str]) -> String {
        common::run_ok(common::vanthu().args(args).arg("--data").arg(&self.data))
    }
}

/// Sign entries of the audit log about `person`.
fn sign_entries(audit: &[Value], person: &str) -> Vec<Value> {
    audit.iter().filter(|e| e["action"] == "sign" && e["detail"]["person"] == person).cloned().collect()
}

fn pyhanko(pdf: &Path, ca: &Path) -> Value {
    let out =
        common::run_ok(Command::new("python3").arg(common::support("validate.py")).arg("--trust").arg(ca).arg(pdf));
    serde_json::from_str(out.trim()).unwrap()
}

/// The signature widgets' rectangles, as pyHanko's reader sees them.
fn widgets(pdf: &Path) -> Vec<Box4> {
    let script = "import sys\nfrom pyhanko.pdf_utils.reader import PdfFileReader\n\
                  r = PdfFileReader(open(sys.argv[1], 'rb'))\n\
                  for f in r.root['/AcroForm']['/Fields']:\n    f = f.get_object()\n\
                  \x20   print(' '.join(str(float(x)) for x in f['/Rect']))\n";
    let out = common::run_ok(Command::new("python3").arg("-c").arg(script).arg(pdf));
    out.lines()
        .map(|l| {
            let v: Vec<f64> = l.split(' ').map(|x| x.parse().unwrap()).collect();
            [v[0].min(v[2]), v[1].min(v[3]), v[0].max(v[2]), v[1].max(v[3])]
        })
        .collect()
}

fn intersects(a: &Box4, b: &Box4) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

#[test]
fn a_person_signs_with_the_right_pin_and_the_result_verifies() {
    let s = start();
    let id = s.add_person();
    // The CLI sees the person the API added (same store).
    let listed = s.cli_text(&["person", "list", "--json"]);
    assert!(listed.contains(&id) && listed.contains("Hồ Tấn Minh"), "{listed}");
    // The held key is sealed: no PEM private key on disk for the person.
    let key = std::fs::read_to_string(s.data.join(format!("pki/persons/{id}.key.pem"))).unwrap();
    assert!(key.contains("VANTHU ENCRYPTED KEY") && !key.contains("PRIVATE KEY"));

    let r = s.sign(DEPARTMENT, &id, PIN);
    assert_eq!(r.status, 200, "{}\n{}", String::from_utf8_lossy(&r.body), s.log());
    let input = std::fs::read(sample_pdf()).unwrap();
    assert!(r.body.len() > input.len() && r.body.starts_with(&input), "an incremental update of the upload");
    let tmp = common::scratch();
    let signed = tmp.path().join("signed.pdf");
    std::fs::write(&signed, &r.body).unwrap();

    // pyHanko: intact, valid, trusted (internal CA), timestamp present and valid.
    let ca = s.data.join("pki/ca.cert.pem");
    let v = pyhanko(&signed, &ca);
    let sigs = v["signatures"].as_array().unwrap();
    assert_eq!(sigs.len(), 1, "{v}");
    assert_eq!(sigs[0]["intact"], true, "{v}");
    assert_eq!(sigs[0]["bottom_line"], true, "{v}");
    assert_eq!(sigs[0]["timestamp_valid"], true, "a B-T signature: {v}");
    assert_eq!(sigs[0]["coverage"], "ENTIRE_FILE", "{v}");

    // vanthu verify agrees, and names the person as signer.
    let out = common::vanthu().args(["verify", "--json", "--trust"]).arg(&ca).arg(&signed).output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert!(report.to_string().contains("Hồ Tấn Minh"), "{report}");

    // The person appearance lies by the signer block and covers no word
    // poppler finds on the page (the page's own words: those of the
    // appearance itself are inside the widget by design).
    let (ws, _) = words(&sample_pdf());
    let rects = widgets(&signed);
    assert_eq!(rects.len(), 1);
    let w = rects[0];
    assert!(w[2] - w[0] > 10.0 && w[3] - w[1] > 10.0, "a visible widget: {w:?}");
    for (text, b) in &ws {
        assert!(!intersects(&w, b), "the widget {w:?} covers {text:?} at {b:?}");
    }
    let name_box = ws.iter().find(|(t, _)| t == "Minh").map(|(_, b)| *b).unwrap();
    assert!((w[1] - name_box[3]).abs() < 120.0, "placed near the signer's name: {w:?} vs {name_box:?}");

    // The signature is in the audit log, which still verifies; the PIN is nowhere in it.
    let audit = s.audit();
    let entries = sign_entries(&audit, &id);
    assert!(entries.iter().any(|e| e["detail"]["result"] == "signed"), "{entries:?}");
    assert!(!serde_json::to_string(&audit).unwrap().contains(PIN), "no PIN in the audit log");
    s.cli_text(&["audit", "verify"]);
}

#[test]
fn wrong_pins_lock_the_person_until_an_admin_unlocks() {
    // Three attempts, by configuration.
    let s = start_with(&[("VANTHU_MAX_PIN_ATTEMPTS", "3")]);
    let id = s.add_person();

    // A right PIN resets the count.
    assert_eq!(s.sign(DEPARTMENT, &id, WRONG).status, 403);
    assert_eq!(s.sign(DEPARTMENT, &id, PIN).status, 200);
    let shown = s.curl("admin", &[], &format!("/api/v1/admin/persons/{id}")).json();
    assert_eq!(shown["failed_attempts"], 0, "{shown}");

    // Three wrong PINs: two answered 403 with the attempts left, the third locks (423).
    let r = s.sign(DEPARTMENT, &id, WRONG);
    assert_eq!((r.status, r.json()["error"].clone()), (403, json!("wrong_pin")));
    assert_eq!(r.json()["attempts_left"], 2);
    assert_eq!(s.sign(DEPARTMENT, &id, WRONG).json()["attempts_left"], 1);
    let r = s.sign(DEPARTMENT, &id, WRONG);
    assert_eq!((r.status, r.json()["error"].clone()), (423, json!("person_locked")));
    // Now the right PIN is refused too, and so is a PIN change.
    let r = s.sign(DEPARTMENT, &id, PIN);
    assert_eq!(r.status, 423, "{}", String::from_utf8_lossy(&r.body));
    let r = s.post_json(DEPARTMENT, &format!("/api/v1/persons/{id}/pin"), &json!({"old_pin": PIN, "new_pin": NEW_PIN}));
    assert_eq!(r.status, 423);
    let listed = s.cli_text(&["person", "list"]);
    assert!(listed.contains("LOCKED"), "{listed}");

    // Every attempt and the lock are in the audit log, without the PIN.
    let audit = s.audit();
    let entries = sign_entries(&audit, &id);
    let results: Vec<&str> = entries.iter().map(|e| e["detail"]["result"].as_str().unwrap()).collect();
    assert_eq!(
        results,
        ["wrong_pin", "signed", "wrong_pin", "wrong_pin", "wrong_pin", "locked", "locked"],
        "{entries:?}"
    );
    let lock = &entries[4]["detail"];
    assert_eq!((lock["locked"].clone(), lock["failed_attempts"].clone()), (json!(true), json!(3)), "{lock}");
    assert!(entries.iter().all(|e| e["actor"] == format!("unit:{DEPARTMENT}")));
    let all = serde_json::to_string(&audit).unwrap();
    assert!(!all.contains(PIN) && !all.contains(WRONG), "no PIN in the audit log");
    assert!(!s.log().contains(WRONG) && !s.log().contains(PIN), "no PIN in the server's log");

    // An admin unlocks (the CLI, while the server runs): the right PIN works again.
    s.cli_text(&["person", "unlock", &id]);
    assert!(s.audit().iter().any(|e| e["detail"]["op"] == "person_unlocked" && e["detail"]["person"] == id.as_str()));
    assert_eq!(s.sign(DEPARTMENT, &id, PIN).status, 200);

    // The person changes their PIN through their unit: the old one is then wrong.
    let r = s.post_json(DEPARTMENT, &format!("/api/v1/persons/{id}/pin"), &json!({"old_pin": PIN, "new_pin": NEW_PIN}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(s.sign(DEPARTMENT, &id, PIN).status, 403);
    assert_eq!(s.sign(DEPARTMENT, &id, NEW_PIN).status, 200);

    // Another unit cannot use the person, even with the right PIN; an unknown person is 404.
    let r = s.sign(SCHOOL, &id, NEW_PIN);
    assert_eq!((r.status, r.json()["error"].clone()), (403, json!("person_of_another_unit")));
    assert_eq!(s.sign(DEPARTMENT, "p-0000000000000000", PIN).status, 404);
    // A unit cannot reach the admin routes.
    assert_eq!(s.curl(DEPARTMENT, &[], "/api/v1/admin/persons").status, 403);
    // The school's unit list does not show the Department's person.
    let theirs = s.curl(SCHOOL, &[], "/api/v1/persons").json();
    assert_eq!(theirs, json!([]));
    s.cli_text(&["audit", "verify"]);
}

/// Signs `digest_hex` as a USB token would: `openssl pkeyutl -sign` with the
/// key file, over the precomputed digest. Returns the signature, base64.
fn token_sign(key: &Path, digest_hex: &str, dir: &Path) -> String {
    token_sign_with(key, digest_hex, dir, &[])
}

/// [`token_sign`] with extra `pkeyutl` options (an RSA token signs the
/// digest wrapped in its DigestInfo: `-pkeyopt digest:sha256`).
fn token_sign_with(key: &Path, digest_hex: &str, dir: &Path, extra: &[&str]) -> String {
    let digest: Vec<u8> =
        (0..digest_hex.len()).step_by(2).map(|i| u8::from_str_radix(&digest_hex[i..i + 2], 16).unwrap()).collect();
    let (inp, out) = (dir.join("digest.bin"), dir.join("sig.bin"));
    std::fs::write(&inp, digest).unwrap();
    common::run_ok(
        Command::new("openssl")
            .args(["pkeyutl", "-sign", "-inkey"])
            .arg(key)
            .arg("-in")
            .arg(&inp)
            .arg("-out")
            .arg(&out)
            .args(extra),
    );
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(std::fs::read(&out).unwrap())
}

/// A person certificate issued by the admin API with a key vanthu hands
/// out once: the "token" keeps the key (a file here). Returns the
/// certificate and key files written into `dir`.
fn token_holder(s: &Server, dir: &Path, key_type: &str) -> (PathBuf, PathBuf) {
    let r = s.post_json(
        "admin",
        "/api/v1/admin/certificates",
        &json!({"kind": "person", "name": "Hồ Tấn Minh", "position": "Chánh Văn phòng", "unit": DEPARTMENT,
                "key_type": key_type}),
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let issued = r.json();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, issued["certificate_pem"].as_str().unwrap()).unwrap();
    std::fs::write(&key, issued["private_key_pem"].as_str().unwrap()).unwrap();
    (cert, key)
}

#[test]
fn deferred_signing_with_an_openssl_token_passes_pyhanko() {
    let s = start();
    let tmp = common::scratch();
    // The person's certificate and key, issued by the admin API: the key
    // stays with the "token" (a key file here).
    let (cert, key) = token_holder(&s, tmp.path(), "p256");

    let prepare = || {
        let doc = format!("document=@{}", sample_pdf().display());
        let c = format!("certificate=@{}", cert.display());
        let r = s.curl(DEPARTMENT, &["-F", &doc, "-F", &c, "-F", "reason=Ký duyệt"], "/api/v1/sign/prepare");
        assert_eq!(r.status, 201, "{}\n{}", String::from_utf8_lossy(&r.body), s.log());
        r.json()
    };
    let p = prepare();
    assert_eq!(p["digest_algorithm"], "sha256", "{p}");
    for field in ["id", "digest", "signed_attributes", "expires"] {
        assert!(p[field].as_str().is_some_and(|v| !v.is_empty()), "{field} in {p}");
    }
    let id = p["id"].as_str().unwrap();
    let signature = token_sign(&key, p["digest"].as_str().unwrap(), tmp.path());

    // A tampered signature is refused (422), and the document still waits.
    let mut bad: Vec<char> = signature.chars().collect();
    bad[20] = if bad[20] == 'A' { 'B' } else { 'A' };
    let bad: String = bad.into_iter().collect();
    let r = s.post_json(DEPARTMENT, &format!("/api/v1/sign/{id}/finish"), &json!({"signature": bad}));
    assert_eq!((r.status, r.json()["error"].clone()), (422, json!("bad_signature")));
    // Another unit cannot finish it: for them it does not exist.
    let r = s.post_json(SCHOOL, &format!("/api/v1/sign/{id}/finish"), &json!({"signature": signature}));
    assert_eq!(r.status, 404);

    let r = s.post_json(DEPARTMENT, &format!("/api/v1/sign/{id}/finish"), &json!({"signature": signature}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let signed = tmp.path().join("token-signed.pdf");
    std::fs::write(&signed, &r.body).unwrap();
    assert!(r.body.starts_with(&std::fs::read(sample_pdf()).unwrap()), "an incremental update");
    let v = pyhanko(&signed, &s.data.join("pki/ca.cert.pem"));
    let sigs = v["signatures"].as_array().unwrap();
    assert_eq!(sigs.len(), 1, "{v}");
    assert_eq!(sigs[0]["bottom_line"], true, "pyHanko accepts: {v}");
    assert_eq!(sigs[0]["timestamp_valid"], true, "timestamped at finish (B-T): {v}");
    let w = widgets(&signed)[0];
    for (text, b) in words(&sample_pdf()).0 {
        assert!(!intersects(&w, &b), "the widget covers {text:?}");
    }

    // A second finish is 409; an unknown id 404.
    let r = s.post_json(DEPARTMENT, &format!("/api/v1/sign/{id}/finish"), &json!({"signature": signature}));
    assert_eq!((r.status, r.json()["error"].clone()), (409, json!("already_finished")));
    let unknown = "d-00000000000000000000000000000000";
    let r = s.post_json(DEPARTMENT, &format!("/api/v1/sign/{unknown}/finish"), &json!({"signature": signature}));
    assert_eq!(r.status, 404);

    // A signature made for another prepared document does not fit this one.
    let other = prepare();
    let oid = other["id"].as_str().unwrap();
    let r = s.post_json(DEPARTMENT, &format!("/api/v1/sign/{oid}/finish"), &json!({"signature": signature}));
    assert_eq!(r.status, 422);
}

#[test]
fn prepared_documents_expire_and_are_bounded_per_unit() {
    let s = start_with(&[("VANTHU_PREPARED_TTL_SECS", "2"), ("VANTHU_MAX_PREPARED_PER_UNIT", "2")]);
    let tmp = common::scratch();
    let r = s.post_json(
        "admin",
        "/api/v1/admin/certificates",
        &json!({"kind": "person", "name": "Hồ Tấn Minh", "position": "Chánh Văn phòng", "unit": DEPARTMENT}),
    );
    let issued = r.json();
    let (cert, key) = (tmp.path().join("cert.pem"), tmp.path().join("key.pem"));
    std::fs::write(&cert, issued["certificate_pem"].as_str().unwrap()).unwrap();
    std::fs::write(&key, issued["private_key_pem"].as_str().unwrap()).unwrap();
    let doc = format!("document=@{}", sample_pdf().display());
    let c = format!("certificate=@{}", cert.display());
    let prepare = || s.curl(DEPARTMENT, &["-F", &doc, "-F", &c], "/api/v1/sign/prepare");
    let first = prepare().json();
    assert_eq!(prepare().status, 201);
    let r = prepare();
    assert_eq!((r.status, r.json()["error"].clone()), (429, json!("too_many_prepared")));
    std::thread::sleep(std::time::Duration::from_millis(2500));
    // Expired: its signature comes too late (404), and room is made for new ones.
    let id = first["id"].as_str().unwrap();
    let signature = token_sign(&key, first["digest"].as_str().unwrap(), tmp.path());
    let r = s.post_json(DEPARTMENT, &format!("/api/v1/sign/{id}/finish"), &json!({"signature": signature}));
    assert_eq!(r.status, 404);
    assert_eq!(prepare().status, 201);
}

#[test]
fn uploads_have_the_intakes_limits_and_a_bad_document_costs_no_attempt() {
    // The sample notice is 71 KB: over this limit.
    let s = start_with(&[("VANTHU_MAX_DOCUMENT_BYTES", "50000")]);
    let id = s.add_person();
    let r = s.sign(DEPARTMENT, &id, WRONG);
    assert_eq!((r.status, r.json()["error"].clone()), (413, json!("too_large")), "{}", s.log());
    // Not a PDF: refused (422) before the PIN is tried.
    let tmp = common::scratch();
    let junk = tmp.path().join("junk.pdf");
    std::fs::write(&junk, b"%PDF-1.7\nnot really a PDF").unwrap();
    let doc = format!("document=@{}", junk.display());
    let (person, pin) = (format!("person={id}"), format!("pin={WRONG}"));
    let r = s.curl(DEPARTMENT, &["-F", &doc, "-F", &person, "-F", &pin], "/api/v1/sign");
    assert_eq!((r.status, r.json()["error"].clone()), (422, json!("unusable_pdf")));
    let shown = s.curl("admin", &[], &format!("/api/v1/admin/persons/{id}")).json();
    assert_eq!(shown["failed_attempts"], 0, "no attempt spent: {shown}");
    assert!(sign_entries(&s.audit(), &id).is_empty());
    // A part the route does not take is refused.
    let r = s.curl(DEPARTMENT, &["-F", &doc, "-F", &person, "-F", &pin, "-F", "color=blue"], "/api/v1/sign");
    assert_eq!(r.status, 400);
}

#[test]
fn deferred_signing_with_an_rsa_token() {
    let s = start();
    let tmp = common::scratch();
    let (cert, key) = token_holder(&s, tmp.path(), "rsa2048");
    let doc = format!("document=@{}", sample_pdf().display());
    let c = format!("certificate=@{}", cert.display());
    let r = s.curl(DEPARTMENT, &["-F", &doc, "-F", &c], "/api/v1/sign/prepare");
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let p = r.json();
    assert_eq!(p["digest_algorithm"], "sha256");
    let sig = token_sign_with(&key, p["digest"].as_str().unwrap(), tmp.path(), &["-pkeyopt", "digest:sha256"]);
    let id = p["id"].as_str().unwrap();
    let r = s.post_json(DEPARTMENT, &format!("/api/v1/sign/{id}/finish"), &json!({"signature": sig}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let signed = tmp.path().join("rsa-signed.pdf");
    std::fs::write(&signed, &r.body).unwrap();
    let v = pyhanko(&signed, &s.data.join("pki/ca.cert.pem"));
    assert_eq!(v["signatures"][0]["bottom_line"], true, "pyHanko accepts: {v}");
    assert_eq!(v["signatures"][0]["timestamp_valid"], true, "{v}");
}

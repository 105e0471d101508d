//! The gateway as units meet it: `vanthu serve` as a real process on
//! loopback, driven with curl over mutual TLS; receipts checked with
//! openssl, the delivered PDF with pyHanko.

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

const DEPARTMENT: &str = "000.00.12.H29";

struct Server {
    child: Child,
    api: u16,
    public: u16,
    data: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn vanthu() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vanthu"))
}

/// Starts `vanthu serve` on free ports with a data directory (a new one
/// unless given) and waits until it listens.
fn start(data: Option<PathBuf>, env: &[(&str, &str)]) -> Server {
    let (dir, data) = match data {
        Some(d) => (None, d),
        None => {
            let t = tempfile::tempdir().unwrap();
            let d = t.path().join("data");
            (Some(t), d)
        }
    };
    let (child, api, public) = common::server::spawn(&data, None, env);
    Server { child, api, public, data, _dir: dir }
}

struct Reply {
    status: u16,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON ({}): {}", self.status, String::from_utf8_lossy(&self.body)))
    }
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.api)
    }

    fn client(&self, name: &str) -> PathBuf {
        self.data.join("clients").join(name)
    }

    /// curl as the holder of the client certificate in `client` (a
    /// directory with cert.pem and key.pem), or with no certificate.
    fn curl(&self, client: Option<&Path>, args: &[&str], path: &str) -> Result<Reply, String> {
        let out_file = tempfile::NamedTempFile::new().unwrap();
        let mut cmd = Command::new("curl");
        cmd.args(["-sS", "--max-time", "60", "--cacert"]).arg(self.data.join("pki/ca.cert.pem"));
        if let Some(c) = client {
            cmd.arg("--cert").arg(c.join("cert.pem")).arg("--key").arg(c.join("key.pem"));
        }
        cmd.args(args).arg("-o").arg(out_file.path()).args(["-w", "%{http_code}"]).arg(self.url(path));
        let out = cmd.output().expect("curl runs");
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        let status = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0);
        Ok(Reply { status, body: std::fs::read(out_file.path()).unwrap() })
    }

    fn get(&self, client: &Path, path: &str) -> Reply {
        self.curl(Some(client), &[], path).unwrap()
    }

    fn submit(&self, client: &Path, header: &str, pdf: &Path) -> Reply {
        let h = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(h.path(), header).unwrap();
        self.curl(
            Some(client),
            &["-F", &format!("header=<{}", h.path().display()), "-F", &format!("document=@{}", pdf.display())],
            "/api/v1/documents",
        )
        .unwrap()
    }

    fn status(&self, client: &Path, id: &str, status: &str, reason: Option<&str>) -> Reply {
        let body = serde_json::json!({"status": status, "reason": reason}).to_string();
        self.curl(
            Some(client),
            &["-X", "POST", "-H", "content-type: application/json", "--data-binary", &body],
            &format!("/api/v1/documents/{id}/status"),
        )
        .unwrap()
    }

    fn sample_header(&self) -> String {
        std::fs::read_to_string(self.data.join("sample/notice-610.header.json")).unwrap()
    }

    fn sample_pdf(&self) -> PathBuf {
        self.data.join("sample/notice-610.pdf")
    }

    /// A unit of `kind` (directory JSON name) other than those in `not`.
    fn unit_of_kind(&self, kind: &str, not: &[&str]) -> String {
        let out = vanthu().args(["directory", "list", "--json", "--data"]).arg(&self.data).output().unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["kind"] == kind && u["active"] != false && !not.contains(&u["id"].as_str().unwrap()))
            .map(|u| u["id"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no unit of kind {kind}"))
    }

    /// Issues a client certificate for `unit` with the CLI.
    fn issue(&self, unit: &str) -> PathBuf {
        let out = self.data.join("clients").join(format!("issued-{unit}"));
        common::run_ok(
            vanthu().args(["cert", "issue", "--unit", unit, "--data"]).arg(&self.data).arg("--out").arg(&out),
        );
        out
    }
}

fn header_with(base: &str, f: impl FnOnce(&mut Value)) -> String {
    let mut v: Value = serde_json::from_str(base).unwrap();
    f(&mut v);
    v.to_string()
}

#[test]
fn the_seed_notice_travels_from_the_department_to_a_school_and_back() {
    let s = start(None, &[]);
    let dept = s.client(DEPARTMENT);
    let reply = s.submit(&dept, &s.sample_header(), &s.sample_pdf());
    assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));
    let v = reply.json();
    let id = v["id"].as_str().unwrap().to_string();
    assert_eq!(v["edxml_id"], "000.00.12.H29,2022/03/08,610/TB-SGDĐT");
    assert_eq!(v["sealed"], true, "vanthu holds the Department's key and applies its signature");
    assert_eq!(v["warnings"], serde_json::json!([]), "the header matches the document's text; the seal covers no text");
    let routing = &v["routing"];
    assert_eq!(routing["unresolved"].as_array().unwrap().len(), 0, "every line resolves: {routing}");
    assert_eq!(routing["archive"].as_array().unwrap().len(), 1, "the Lưu line is the archive copy");
    let recipients: Vec<&str> =
        routing["recipients"].as_array().unwrap().iter().map(|r| r["unit"].as_str().unwrap()).collect();
    assert!(recipients.len() > 50, "district committees, offices, divisions, high schools…: {}", recipients.len());
    assert!(!recipients.contains(&DEPARTMENT) || recipients.len() > 1);

    // A high school finds it in its inbox and fetches it.
    let school_id = s.unit_of_kind("high_school", &[]);
    assert!(recipients.contains(&school_id.as_str()), "the high schools are recipients");
    let school = if s.client(&school_id).is_dir() { s.client(&school_id) } else { s.issue(&school_id) };
    let inbox = s.get(&school, "/api/v1/inbox").json();
    let item = inbox["items"].as_array().unwrap().iter().find(|i| i["id"] == id.as_str()).expect("in the inbox");
    assert_eq!(item["my_status"]["status"], Value::Null, "not fetched yet");
    let pdf = s.get(&school, &format!("/api/v1/documents/{id}/pdf"));
    assert_eq!(pdf.status, 200);
    assert!(pdf.body.starts_with(b"%PDF"));
    let original = std::fs::read(s.sample_pdf()).unwrap();
    assert!(pdf.body.len() > original.len() && pdf.body.starts_with(&original), "the seal is an incremental update");
    let mine = s.get(&school, &format!("/api/v1/documents/{id}")).json();
    assert_eq!(mine["my_status"]["status"], "01", "the first fetch records 01");

    // A range request.
    let part = s.curl(Some(&school), &["-H", "Range: bytes=0-7"], &format!("/api/v1/documents/{id}/pdf")).unwrap();
    assert_eq!(part.status, 206);
    assert_eq!(part.body, b"%PDF-1.".iter().chain(original.get(7..8).unwrap()).copied().collect::<Vec<u8>>());

    // Accept, then complete.
    assert_eq!(s.status(&school, &id, "03", None).status, 200);
    let done = s.status(&school, &id, "06", None);
    assert_eq!(done.status, 200, "{}", String::from_utf8_lossy(&done.body));

    // The sender sees each recipient's status.
    let sent = s.get(&dept, &format!("/api/v1/documents/{id}")).json();
    let statuses = sent["recipients"].as_array().unwrap();
    assert_eq!(statuses.len(), recipients.len());
    let row = statuses.iter().find(|r| r["unit"] == school_id.as_str()).unwrap();
    assert_eq!(row["status"], "06");

    // Receipts: 01, 03, 06 for the school, each verified by openssl.
    let receipts = s.get(&dept, &format!("/api/v1/documents/{id}/receipts")).json();
    let school_receipts: Vec<&Value> =
        receipts.as_array().unwrap().iter().filter(|r| r["content"].as_str().unwrap().contains(&school_id)).collect();
    assert_eq!(school_receipts.len(), 3);
    let tmp = common::scratch();
    for (i, r) in school_receipts.iter().enumerate() {
        let content: Value = serde_json::from_str(r["content"].as_str().unwrap()).unwrap();
        assert_eq!(content["status"], ["01", "03", "06"][i]);
        assert_eq!(content["delivered_sha256"], v["delivered_sha256"]);
        let c = tmp.path().join(format!("c{i}.json"));
        let der = tmp.path().join(format!("r{i}.der"));
        std::fs::write(&c, r["content"].as_str().unwrap()).unwrap();
        use base64::Engine;
        std::fs::write(&der, base64::engine::general_purpose::STANDARD.decode(r["cms"].as_str().unwrap()).unwrap())
            .unwrap();
        let out = Command::new("openssl")
            .args(["cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any", "-in"])
            .arg(&der)
            .arg("-content")
            .arg(&c)
            .arg("-CAfile")
            .arg(s.data.join("pki/ca.cert.pem"))
            .args(["-out", "/dev/null"])
            .output()
            .unwrap();
        assert!(out.status.success(), "openssl cms -verify: {}", String::from_utf8_lossy(&out.stderr));
    }
    // And offline with vanthu.
    let file = tmp.path().join("receipts.json");
    std::fs::write(&file, receipts.to_string()).unwrap();
    common::run_ok(vanthu().args(["receipt", "verify", "--trust"]).arg(s.data.join("pki/ca.cert.pem")).arg(&file));

    // The delivered PDF passes pyHanko with both signatures.
    let delivered = tmp.path().join("delivered.pdf");
    std::fs::write(&delivered, &pdf.body).unwrap();
    let out = common::run_ok(
        Command::new("python3")
            .arg(common::support("validate.py"))
            .arg("--trust")
            .arg(s.data.join("pki/ca.cert.pem"))
            .arg(&delivered),
    );
    let report: Value = serde_json::from_str(out.trim()).unwrap();
    let sigs = report["signatures"].as_array().unwrap_or_else(|| panic!("pyHanko read it: {report}"));
    assert_eq!(sigs.len(), 2, "{report}");
    for sig in sigs {
        assert_eq!(sig["bottom_line"], true, "pyHanko accepts {sig}");
    }

    // vanthu audit: the chain verifies.
    let audit = vanthu().args(["audit", "verify", "--data"]).arg(&s.data).output().unwrap();
    assert!(audit.status.success(), "{}", String::from_utf8_lossy(&audit.stderr));
}

#[test]
fn refusals_say_why_and_route_nothing() {
    let s = start(None, &[("VANTHU_MAX_DOCUMENT_BYTES", "2000000")]);
    let dept = s.client(DEPARTMENT);
    let tmp = common::scratch();

    // No client certificate: the handshake fails.
    assert!(s.curl(None, &[], "/api/v1/inbox").is_err(), "no certificate, no connection");
    // A certificate from another CA: the handshake fails.
    let other = tmp.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("certs/dev");
    std::fs::copy(root.join("p256.cert.pem"), other.join("cert.pem")).unwrap();
    std::fs::copy(root.join("p256.key.pem"), other.join("key.pem")).unwrap();
    assert!(s.curl(Some(&other), &[], "/api/v1/inbox").is_err(), "a foreign CA's certificate is refused");

    // Healthz and the CRL need no certificate (plain HTTP listener).
    let health =
        Command::new("curl").args(["-sS", &format!("http://127.0.0.1:{}/healthz", s.public)]).output().unwrap();
    assert!(String::from_utf8_lossy(&health.stdout).contains("ok"));
    let crl = tmp.path().join("crl.der");
    let got = Command::new("curl")
        .args(["-sS", "-o"])
        .arg(&crl)
        .arg(format!("http://127.0.0.1:{}/crl/internal.crl", s.public))
        .output()
        .unwrap();
    assert!(got.status.success());
    common::run_ok(Command::new("openssl").args(["crl", "-inform", "DER", "-noout", "-in"]).arg(&crl));

    // A school spoofing the Department.
    let school_id = s.unit_of_kind("high_school", &[]);
    let school = if s.client(&school_id).is_dir() { s.client(&school_id) } else { s.issue(&school_id) };
    let r = s.submit(&school, &s.sample_header(), &s.sample_pdf());
    assert_eq!(r.status, 403);
    assert!(r.json()["message"].as_str().unwrap().contains(DEPARTMENT));

    // An unsigned PDF.
    let r = s.submit(&dept, &s.sample_header(), &root.join("sample.pdf"));
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["error"], "document_refused");
    assert!(r.json()["message"].as_str().unwrap().contains("no signature"), "{}", r.json());

    // A tampered PDF: one byte inside the signed range changed.
    let mut bytes = std::fs::read(s.sample_pdf()).unwrap();
    let pos = 1000; // inside the original file, so inside the signed range
    bytes[pos] ^= 0x01;
    let tampered = tmp.path().join("tampered.pdf");
    std::fs::write(&tampered, &bytes).unwrap();
    let r = s.submit(&dept, &s.sample_header(), &tampered);
    assert_eq!(r.status, 422);
    assert!(r.json()["report"]["signatures"].is_array(), "the report comes with the refusal");

    // Changed after signing: a later revision redefines the catalog with an
    // action run on opening (a change no signature allows).
    let mut changed = std::fs::read(s.sample_pdf()).unwrap();
    let text = String::from_utf8_lossy(&changed).into_owned();
    let startxref = text.rfind("startxref").unwrap();
    let prev: usize = text[startxref + 9..].split_whitespace().next().unwrap().parse().unwrap();
    let size_pos = text.rfind("/Size ").unwrap();
    let size: usize = text[size_pos + 6..].split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap();
    let root_pos = text.rfind("/Root ").unwrap();
    let root_num: usize = text[root_pos + 6..].split_whitespace().next().unwrap().parse().unwrap();
    let cat_start = text.rfind(&format!("\n{root_num} 0 obj")).expect("the catalog is a plain object") + 1;
    let cat_end = cat_start + text[cat_start..].find("endobj").unwrap();
    let catalog = &text[cat_start..cat_end];
    let dict_end = catalog.rfind(">>").unwrap();
    let forged =
        format!("{} /OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >> >>\nendobj\n", &catalog[..dict_end]);
    let obj_at = changed.len() + 1;
    changed.push(b'\n');
    changed.extend_from_slice(forged.as_bytes());
    let xref_at = changed.len();
    changed.extend_from_slice(
        format!(
            "xref\n{root_num} 1\n{obj_at:010} 00000 n \ntrailer\n<< /Size {size} /Root {root_num} 0 R /Prev {prev} >>\nstartxref\n{xref_at}\n%%EOF\n"
        )
        .as_bytes(),
    );
    let modified = tmp.path().join("modified.pdf");
    std::fs::write(&modified, &changed).unwrap();
    let r = s.submit(&dept, &s.sample_header(), &modified);
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));

    // An untrusted signer: the dev PKI's signature, whose root the gateway does not trust.
    let r = s.submit(&dept, &s.sample_header(), &root.join("sample-signed.pdf"));
    assert_eq!(r.status, 422);
    let msg = r.json()["message"].as_str().unwrap().to_string();
    assert!(msg.contains("NO_CERTIFICATE_CHAIN_FOUND") || msg.contains("INDETERMINATE"), "{msg}");

    // A bad header lists every bad field.
    let bad = header_with(&s.sample_header(), |v| {
        v["code"]["number"] = Value::String(String::new());
        v["promulgation"]["date"] = Value::String("2022-13-45".into());
        v["priority"] = Value::String("whenever".into());
    });
    let r = s.submit(&dept, &bad, &s.sample_pdf());
    assert_eq!(r.status, 422);
    let fields: Vec<String> =
        r.json()["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap().to_string()).collect();
    for f in ["code.number", "promulgation.date", "priority"] {
        assert!(fields.iter().any(|x| x == f), "{f} listed in {fields:?}");
    }

    // An oversized body.
    let big = tmp.path().join("big.pdf");
    std::fs::write(&big, vec![b'%'; 3_000_000]).unwrap();
    let r = s.submit(&dept, &s.sample_header(), &big);
    assert_eq!(r.status, 413);

    // Nothing above was routed: the school's inbox is empty.
    let inbox = s.get(&school, "/api/v1/inbox").json();
    assert_eq!(inbox["items"].as_array().unwrap().len(), 0);
}

#[test]
fn only_sender_and_recipients_see_a_document_and_statuses_follow_the_table() {
    let s = start(None, &[]);
    let dept = s.client(DEPARTMENT);
    let school_id = s.unit_of_kind("high_school", &[]);
    let school = if s.client(&school_id).is_dir() { s.client(&school_id) } else { s.issue(&school_id) };
    let other_id = s.unit_of_kind("kindergarten", &[]);
    let outsider = s.issue(&other_id);
    // Address only the school and one more high school.
    let second_id = s.unit_of_kind("high_school", &[&school_id]);
    let second = s.issue(&second_id);
    let header = header_with(&s.sample_header(), |v| {
        v["to"] = serde_json::json!([school_id, second_id]);
        v["to_places"] = serde_json::json!(["Lưu: VT, VP."]);
    });
    let r = s.submit(&dept, &header, &s.sample_pdf());
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let id = r.json()["id"].as_str().unwrap().to_string();

    // The header claims 610/TB-SGDĐT on 2022-03-08 but the document's text
    // says otherwise for the number claimed below: accepted, with a warning.
    let other_number = header_with(&header, |v| v["code"]["number"] = serde_json::json!(611));
    let r = s.submit(&dept, &other_number, &s.sample_pdf());
    assert_eq!(r.status, 201);
    let warnings = r.json()["warnings"].to_string();
    assert!(warnings.contains("610/TB-SGDĐT") && warnings.contains("611/TB-SGDĐT"), "{warnings}");

    // Duplicate submission: same bytes → the first answer; different bytes → 409.
    let again = s.submit(&dept, &header, &s.sample_pdf());
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["id"], id.as_str());
    let mut other_bytes = std::fs::read(s.sample_pdf()).unwrap();
    other_bytes.extend_from_slice(b"\n% trailing comment\n");
    let tmp = common::scratch();
    let other_pdf = tmp.path().join("other.pdf");
    std::fs::write(&other_pdf, &other_bytes).unwrap();
    let conflict = s.submit(&dept, &header, &other_pdf);
    assert!(conflict.status == 409 || conflict.status == 422, "{}", conflict.status);

    // The authorisation matrix: an outsider sees nothing, not even a 403.
    for path in [
        format!("/api/v1/documents/{id}"),
        format!("/api/v1/documents/{id}/pdf"),
        format!("/api/v1/documents/{id}/receipts"),
    ] {
        assert_eq!(s.get(&outsider, &path).status, 404, "{path}");
        assert_eq!(s.get(&school, &path).status, 200, "{path}");
        assert_eq!(s.get(&dept, &path).status, 200, "{path}");
    }
    assert_eq!(s.status(&outsider, &id, "03", None).status, 404);
    assert_eq!(s.get(&outsider, "/api/v1/inbox").json()["items"].as_array().unwrap().len(), 0);
    assert_eq!(s.get(&dept, "/api/v1/outbox").json()["items"].as_array().unwrap().len(), 2);

    // Illegal transitions say why.
    let r = s.status(&school, &id, "06", None);
    assert_eq!(r.status, 409);
    assert!(r.json()["message"].as_str().unwrap().contains("01"), "{}", r.json());
    let r = s.status(&school, &id, "02", None);
    assert_eq!(r.status, 400, "a refusal needs a reason");
    assert_eq!(s.status(&dept, &id, "03", None).status, 409, "the sender reports no processing status");

    // Recall: the school agrees (the document leaves its inbox), the second refuses.
    assert_eq!(s.status(&school, &id, "13", None).status, 409, "only the sender recalls");
    let r = s.status(&dept, &id, "13", Some("sent by mistake"));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(s.status(&school, &id, "15", None).status, 200);
    assert_eq!(s.status(&second, &id, "16", None).status, 200);
    assert_eq!(s.status(&school, &id, "15", None).status, 409, "answered already");
    let inbox = s.get(&school, "/api/v1/inbox").json();
    assert!(inbox["items"].as_array().unwrap().iter().all(|i| i["id"] != id.as_str()), "recalled: gone from the inbox");
    let inbox = s.get(&second, "/api/v1/inbox").json();
    assert!(inbox["items"].as_array().unwrap().iter().any(|i| i["id"] == id.as_str()), "refused recall: still there");
    let sent = s.get(&dept, &format!("/api/v1/documents/{id}")).json();
    let recalls: Vec<&str> =
        sent["recipients"].as_array().unwrap().iter().map(|r| r["recall"].as_str().unwrap_or("")).collect();
    assert!(recalls.contains(&"15") && recalls.contains(&"16"), "{recalls:?}");
}

#[test]
fn sigterm_finishes_and_a_restart_keeps_every_answered_document() {
    let s = start(None, &[]);
    let dept = s.client(DEPARTMENT);
    let r = s.submit(&dept, &s.sample_header(), &s.sample_pdf());
    assert_eq!(r.status, 201);
    let id = r.json()["id"].as_str().unwrap().to_string();
    let data = s.data.clone();
    let keep = tempfile::tempdir().unwrap();
    let moved = keep.path().join("data");
    // SIGTERM: the server stops cleanly.
    let pid = s.child.id();
    common::run_ok(Command::new("kill").args(["-TERM", &pid.to_string()]));
    let mut s = s;
    let status = s.child.wait().unwrap();
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
    copy_dir(&data, &moved);
    // The keys are sealed under the master secret kept beside the data
    // directory, never in it: a moved directory needs its secret moved too.
    std::fs::copy(data.with_file_name("data.master-key"), moved.with_file_name("data.master-key")).unwrap();
    drop(s);
    let s = start(Some(moved), &[]);
    let doc = s.get(&s.client(DEPARTMENT), &format!("/api/v1/documents/{id}"));
    assert_eq!(doc.status, 200, "the document survived the restart");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        let t = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &t);
        } else {
            std::fs::copy(&p, &t).unwrap();
        }
    }
}

#[test]
fn a_silent_client_is_cut_off_and_holds_nobody_else_up() {
    use std::io::Read;
    let s = start(None, &[("VANTHU_HANDSHAKE_TIMEOUT_MS", "500")]);
    // Ten connections that never speak TLS.
    let silent: Vec<std::net::TcpStream> =
        (0..10).map(|_| std::net::TcpStream::connect(("127.0.0.1", s.api)).unwrap()).collect();
    // Meanwhile a unit is served.
    let t = Instant::now();
    let r = s.get(&s.client(DEPARTMENT), "/api/v1/outbox");
    assert_eq!(r.status, 200);
    assert!(t.elapsed() < Duration::from_secs(5), "served while others stall: {:?}", t.elapsed());
    // And the silent ones are closed after the handshake deadline.
    for mut c in silent {
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 16];
        let t = Instant::now();
        let n = c.read(&mut buf).unwrap_or(0);
        assert_eq!(n, 0, "closed without an answer");
        assert!(t.elapsed() < Duration::from_secs(4), "closed by the deadline, not the test's timeout");
    }
}

#[test]
fn kill_9_under_load_loses_no_answered_document_and_sends_none_twice() {
    let s = start(None, &[]);
    let dept = s.client(DEPARTMENT);
    let school_id = s.unit_of_kind("high_school", &[]);
    let base = s.sample_header();
    let pdf = s.sample_pdf();
    let answered = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(u32, String)>::new()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..3u32 {
        let (answered, stop, base, pdf, dept) =
            (answered.clone(), stop.clone(), base.clone(), pdf.clone(), dept.clone());
        let (port, ca, school) = (s.api, s.data.join("pki/ca.cert.pem"), school_id.clone());
        workers.push(std::thread::spawn(move || {
            let mut n = w;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let header = header_with(&base, |v| {
                    v["code"]["number"] = serde_json::json!(1000 + n);
                    v["to"] = serde_json::json!([school]);
                    v["to_places"] = serde_json::json!([]);
                });
                let h = tempfile::NamedTempFile::new().unwrap();
                std::fs::write(h.path(), header).unwrap();
                let out = Command::new("curl")
                    .args(["-sS", "--max-time", "20", "--cacert"])
                    .arg(&ca)
                    .arg("--cert")
                    .arg(dept.join("cert.pem"))
                    .arg("--key")
                    .arg(dept.join("key.pem"))
                    .arg("-F")
                    .arg(format!("header=<{}", h.path().display()))
                    .arg("-F")
                    .arg(format!("document=@{}", pdf.display()))
                    .args(["-w", "\n%{http_code}"])
                    .arg(format!("https://127.0.0.1:{port}/api/v1/documents"))
                    .output()
                    .unwrap();
                let text = String::from_utf8_lossy(&out.stdout).into_owned();
                if let Some((body, code)) = text.rsplit_once('\n')
                    && code == "201"
                {
                    let v: Value = serde_json::from_str(body).unwrap();
                    answered.lock().unwrap().push((1000 + n, v["id"].as_str().unwrap().to_string()));
                }
                n += 3;
            }
        }));
    }
    // Let some documents through, then kill the server without warning.
    let deadline = Instant::now() + Duration::from_secs(60);
    while answered.lock().unwrap().len() < 15 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut s = s;
    s.child.kill().unwrap(); // SIGKILL
    s.child.wait().unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    assert!(answered.len() >= 15, "load ran: {}", answered.len());

    // Restart on the same data: every answered document is there, once.
    let data = s.data.clone();
    let dir = s._dir.take();
    drop(s);
    let s = start(Some(data), &[]);
    let _keep = dir;
    let school = s.issue(&school_id);
    let mut inbox_ids = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = s.get(&school, &format!("/api/v1/inbox?limit=500{cursor}")).json();
        for i in page["items"].as_array().unwrap() {
            inbox_ids.push(i["id"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    let unique: std::collections::HashSet<&String> = inbox_ids.iter().collect();
    assert_eq!(unique.len(), inbox_ids.len(), "no document delivered twice");
    for (_, id) in &answered {
        assert!(unique.contains(id), "answered 201 but lost: {id}");
    }
    // Resubmitting an answered one returns the first answer, not a second delivery.
    let (n, id) = &answered[0];
    let header = header_with(&base, |v| {
        v["code"]["number"] = serde_json::json!(n);
        v["to"] = serde_json::json!([school_id]);
        v["to_places"] = serde_json::json!([]);
    });
    let again = s.submit(&s.client(DEPARTMENT), &header, &s.sample_pdf());
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["id"], id.as_str());
    let audit = vanthu().args(["audit", "verify", "--data"]).arg(&s.data).output().unwrap();
    assert!(audit.status.success(), "{}", String::from_utf8_lossy(&audit.stdout));
}

#[test]
fn a_merged_unit_is_served_by_its_successor_and_a_replacement_reaches_the_first_recipients() {
    let s = start(None, &[]);
    let dept = s.client(DEPARTMENT);
    // Phòng GD&ĐT Quận 2 was merged into that of Thủ Đức city (2021).
    let header = header_with(&s.sample_header(), |v| {
        v["to"] = serde_json::json!(["000.01.52.H29"]);
        v["to_places"] = serde_json::json!(["Lưu: VT."]);
    });
    let r = s.submit(&dept, &header, &s.sample_pdf());
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    let first_id = v["id"].as_str().unwrap().to_string();
    let recipients = v["routing"]["recipients"].as_array().unwrap();
    assert_eq!(recipients.len(), 1);
    assert_eq!(recipients[0]["unit"], "000.01.30.H29", "the successor receives it");
    assert_eq!(recipients[0]["merged_from"], "000.01.52.H29", "and the answer says why");
    assert!(v["warnings"].to_string().contains("merged"), "{}", v["warnings"]);
    let successor = s.issue("000.01.30.H29");
    let inbox = s.get(&successor, "/api/v1/inbox").json();
    assert!(inbox["items"].as_array().unwrap().iter().any(|i| i["id"] == first_id.as_str()));

    // A replacement names the first document and goes to its recipients too.
    let school_id = s.unit_of_kind("high_school", &[]);
    let replacement = header_with(&s.sample_header(), |v| {
        v["code"]["number"] = serde_json::json!(612);
        v["to"] = serde_json::json!([school_id]);
        v["to_places"] = serde_json::json!([]);
        v["business_type"] = serde_json::json!("replace");
        v["business_document"] = serde_json::json!("000.00.12.H29,2022/03/08,610/TB-SGDĐT");
    });
    let r = s.submit(&dept, &replacement, &s.sample_pdf());
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    let units: Vec<&str> =
        v["routing"]["recipients"].as_array().unwrap().iter().map(|r| r["unit"].as_str().unwrap()).collect();
    assert!(units.contains(&"000.01.30.H29") && units.contains(&school_id.as_str()), "{units:?}");
    let doc = s.get(&successor, &format!("/api/v1/documents/{}", v["id"].as_str().unwrap())).json();
    assert_eq!(doc["business_type"], "replace");
    assert_eq!(doc["refers_to"], first_id.as_str());
}

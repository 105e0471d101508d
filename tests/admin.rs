//! Administration as an admin meets it: `vanthu serve` running, certificates
//! issued and revoked with the CLI and the admin API, and the effect seen
//! from outside — curl's next handshake refused, `openssl crl` reading the
//! CRL served on the public listener, a document signed by a revoked key
//! refused — all without restarting the server.

mod common;

use common::gateway::{Client, Reply, Server, start};
use common::vanthu;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const DEPARTMENT: &str = "000.00.12.H29";
const SCHOOL: &str = "001.20.12.H29";

impl Server {
    /// curl over mutual TLS with the certificate in `client`; `Err` with
    /// curl's message when the connection itself fails.
    fn curl(&self, client: &Path, args: &[&str], path: &str) -> Result<Reply, String> {
        // The client's own CA file: after a rotation it holds both CAs (the
        // server's certificate still comes from the first).
        self.request(&Client::in_dir(client), args, path)
    }

    fn get(&self, client: &Path, path: &str) -> Reply {
        self.curl(client, &[], path).unwrap()
    }

    fn post_json(&self, client: &Path, path: &str, body: &Value) -> Reply {
        self.json_request(&Client::in_dir(client), "POST", path, body)
            .unwrap_or_else(|e| panic!("POST {path}: {e}\nserver log:\n{}", self.log()))
    }

    /// The CRL served on the public listener, read by `openssl crl`.
    fn served_crl_text(&self) -> String {
        let der = self.dir.path().join("served.crl");
        let out = Command::new("curl")
            .args(["-sS", "-f", "-o"])
            .arg(&der)
            .arg(format!("http://127.0.0.1:{}/crl/internal.crl", self.public))
            .output()
            .unwrap();
        assert!(out.status.success(), "CRL download: {}", String::from_utf8_lossy(&out.stderr));
        let out = Command::new("openssl")
            .args(["crl", "-inform", "DER", "-noout", "-text", "-in"])
            .arg(&der)
            .arg("-CAfile")
            .arg(self.data.join("pki/ca.cert.pem"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "openssl crl: {text}");
        assert!(text.contains("verify OK"), "the CRL is signed by the internal CA: {text}");
        text
    }

    /// Issues a unit client certificate with the CLI (the server runs) and
    /// returns its directory and serial.
    fn issue_unit(&self, unit: &str, name: &str) -> (PathBuf, String) {
        let out_dir = self.dir.path().join(name);
        let out = self.cli(&["cert", "issue", "--unit", unit, "--out", out_dir.to_str().unwrap()]);
        let serial = openssl_serial(&out_dir.join("cert.pem"));
        let said = String::from_utf8_lossy(&out.stdout).to_lowercase();
        assert!(said.contains(&serial.to_lowercase()), "the CLI names the serial: {said}");
        (out_dir, serial)
    }
}

/// The serial as openssl prints it (upper-case hex).
fn openssl_serial(cert: &Path) -> String {
    let out = Command::new("openssl").args(["x509", "-noout", "-serial", "-in"]).arg(cert).output().unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).trim().strip_prefix("serial=").unwrap().to_string()
}

/// Waits until `f` holds (the server watches the CRL file every second).
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what}: not within 10 s");
}

fn crl_number(text: &str) -> u64 {
    let after = text.split("X509v3 CRL Number:").nth(1).expect("a CRL number");
    let line = after.trim_start().lines().next().unwrap().trim();
    line.parse().unwrap_or_else(|_| u64::from_str_radix(line.trim_start_matches("0x"), 16).unwrap())
}

#[test]
fn a_revoked_certificate_is_refused_at_the_next_handshake_without_restart() {
    let s = start();
    let admin = s.client("admin");
    let (school, school_serial) = s.issue_unit(SCHOOL, "school");
    let (school2, school2_serial) = s.issue_unit(SCHOOL, "school2");
    assert_eq!(s.get(&school, "/api/v1/inbox").status, 200, "a new certificate works at once");
    assert_eq!(s.get(&school2, "/api/v1/inbox").status, 200);
    let before = s.served_crl_text();
    assert!(!before.contains(&school_serial), "not revoked yet: {before}");
    let first_number = crl_number(&before);

    // A unit certificate is refused by every admin route, before any work.
    for (method, path) in [
        ("GET", "/api/v1/admin/certificates".to_string()),
        ("GET", "/api/v1/admin/certificates/expiring?days=30".to_string()),
        ("GET", format!("/api/v1/admin/certificates/{school_serial}")),
        ("POST", format!("/api/v1/admin/certificates/{school_serial}/revoke")),
    ] {
        let r = s
            .curl(
                &school2,
                &[
                    "-X",
                    method,
                    "-H",
                    "content-type: application/json",
                    "--data-binary",
                    r#"{"reason":"keyCompromise"}"#,
                ],
                &path,
            )
            .unwrap();
        assert_eq!(r.status, 403, "{method} {path}: {}", r.text());
    }
    assert_eq!(s.get(&school, "/api/v1/inbox").status, 200, "the refused revocation changed nothing");

    // The API: revoked, and in force before the answer.
    let r = s.post_json(
        &admin,
        &format!("/api/v1/admin/certificates/{school_serial}/revoke"),
        &serde_json::json!({"reason": "keyCompromise"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["certificate"]["status"], "revoked");
    assert_eq!(v["certificate"]["reason"], "keyCompromise");
    assert_eq!(v["certificate"]["identity"], format!("unit:{SCHOOL}"));
    let refused = s.curl(&school, &[], "/api/v1/inbox");
    assert!(refused.is_err(), "the revoked certificate still connects: {:?}", refused.map(|r| r.status));
    assert_eq!(s.get(&school2, "/api/v1/inbox").status, 200, "another certificate of the same unit still works");
    let text = s.served_crl_text();
    assert!(text.contains(&school_serial), "the served CRL lists the serial: {text}");
    assert!(text.contains("Key Compromise"), "with its reason: {text}");
    assert!(crl_number(&text) > first_number, "a new CRL number: {text}");

    // The same again is a conflict; nonsense is the caller's mistake.
    let again = s.post_json(
        &admin,
        &format!("/api/v1/admin/certificates/{school_serial}/revoke"),
        &serde_json::json!({"reason": "keyCompromise"}),
    );
    assert_eq!(again.status, 409, "{}", again.text());
    let unknown = s.post_json(
        &admin,
        "/api/v1/admin/certificates/0badc0ffee/revoke",
        &serde_json::json!({"reason": "superseded"}),
    );
    assert_eq!(unknown.status, 404, "{}", unknown.text());
    let bad = s.post_json(
        &admin,
        &format!("/api/v1/admin/certificates/{school2_serial}/revoke"),
        &serde_json::json!({"reason": "because"}),
    );
    assert_eq!(bad.status, 400, "{}", bad.text());
    assert_eq!(s.get(&school2, "/api/v1/inbox").status, 200);

    // The CLI, while the server runs: the server notices the new CRL file.
    let number_before_cli = crl_number(&s.served_crl_text());
    let out = s.cli(&["cert", "revoke", "--serial", &school2_serial, "--reason", "superseded"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("revoked"));
    eventually("the CLI's revocation refused at the handshake", || s.curl(&school2, &[], "/api/v1/inbox").is_err());
    let text = s.served_crl_text();
    assert!(text.contains(&school2_serial) && text.contains(&school_serial), "both serials listed: {text}");
    assert!(text.contains("Superseded"), "{text}");
    assert!(crl_number(&text) > number_before_cli, "{text}");
    assert_eq!(s.get(&s.client(DEPARTMENT), "/api/v1/inbox").status, 200, "other units are not affected");

    // The registry says so, on the API and the CLI.
    let list = s.get(&admin, "/api/v1/admin/certificates").json();
    let status_of = |serial: &str| {
        list.as_array().unwrap().iter().find(|c| c["serial"].as_str().unwrap().eq_ignore_ascii_case(serial)).unwrap()["status"].clone()
    };
    assert_eq!(status_of(&school_serial), "revoked");
    assert_eq!(status_of(&school2_serial), "revoked");
    let out = s.cli(&["cert", "list", "--json"]);
    let cli_list: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cli_list.as_array().unwrap().len(), list.as_array().unwrap().len());
    let kinds: Vec<&str> = cli_list.as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
    for k in ["server", "tsa", "receipts", "organisation", "client", "person"] {
        assert!(kinds.contains(&k), "init registered its {k} certificate: {kinds:?}");
    }

    // Every admin action is in the audit log, and the chain holds.
    let out = s.cli(&["audit", "verify"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("intact"));
    let entries: Value =
        s.admin_entries().into_iter().map(|(actor, d)| serde_json::json!([actor, d["op"], d["serial"]])).collect();
    let has = |actor: &str, op: &str, serial: &str| {
        entries.as_array().unwrap().iter().any(|e| {
            (e[0] == actor || actor == "cli:*" && e[0].as_str().is_some_and(|a| a.starts_with("cli:")))
                && e[1] == op
                && e[2].as_str().is_some_and(|s| s.eq_ignore_ascii_case(serial))
        })
    };
    assert!(has("cli:*", "certificate_issued", &school_serial), "{entries}");
    assert!(has("admin:admin", "certificate_revoked", &school_serial), "the API revocation: {entries}");
    assert!(has("cli:*", "certificate_revoked", &school2_serial), "the CLI revocation: {entries}");
    assert!(entries.as_array().unwrap().iter().any(|e| e[0] == "system" && e[1] == "certificate_issued"), "init's");
}

#[test]
fn verification_uses_the_new_crl_and_expiry_is_reported() {
    let s = start();
    let admin = s.client("admin");
    let dept = s.client(DEPARTMENT);

    // The sample's signer signs the notice once more, without a timestamp:
    // nothing proves that signature predates a revocation.
    let twice = s.dir.path().join("twice.pdf");
    let sample = s.data.join("sample");
    s.cli_plain(&[
        "sign",
        "--key",
        sample.join("signer.key.pem").to_str().unwrap(),
        "--cert",
        sample.join("signer.cert.pem").to_str().unwrap(),
        "--chain",
        s.data.join("pki/ca.cert.pem").to_str().unwrap(),
        sample.join("notice-610.pdf").to_str().unwrap(),
        twice.to_str().unwrap(),
    ]);
    let signer_serial = openssl_serial(&sample.join("signer.cert.pem"));
    let crl_before = std::fs::read(s.data.join("pki/crl.der")).unwrap();
    let r = s.post_json(
        &admin,
        &format!("/api/v1/admin/certificates/{signer_serial}/revoke"),
        &serde_json::json!({"reason": "keyCompromise"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let header = std::fs::read_to_string(sample.join("notice-610.header.json")).unwrap();
    let h = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(h.path(), header).unwrap();
    let reply = s
        .curl(
            &dept,
            &["-F", &format!("header=<{}", h.path().display()), "-F", &format!("document=@{}", twice.display())],
            "/api/v1/documents",
        )
        .unwrap();
    assert_eq!(reply.status, 422, "a signature by a revoked key is refused: {}", reply.text());
    assert!(reply.text().contains("revoked"), "{}", reply.text());

    // Expiry: everything init issued is valid for 825 days.
    let soon = s.get(&admin, "/api/v1/admin/certificates/expiring?days=30").json();
    assert_eq!(soon.as_array().unwrap().len(), 0, "{soon}");
    let later = s.get(&admin, "/api/v1/admin/certificates/expiring?days=900").json();
    let all = s.get(&admin, "/api/v1/admin/certificates").json();
    // All but the revoked signer and the CA itself (valid for ten years).
    let kinds: Vec<&str> = later.as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(later.as_array().unwrap().len(), all.as_array().unwrap().len() - 2, "{kinds:?}");
    assert!(!kinds.contains(&"ca") && !kinds.contains(&"person"), "{kinds:?}");
    let out = s.cli(&["cert", "expiring", "--days", "900"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("{} certificate(s)", all.as_array().unwrap().len() - 2))
    );
    let metrics = s.get(&admin, "/metrics").text();
    assert!(metrics.contains("vanthu_certificates_expiring 0"), "{metrics}");

    // A revoking process that stopped between its commit and its CRL write
    // (simulated: the old CRL put back while the server is down): the
    // server rebuilds the CRL from the registry when it starts.
    let mut s = s;
    let _ = s.child.kill();
    let _ = s.child.wait();
    std::fs::write(s.data.join("pki/crl.der"), &crl_before).unwrap();
    s.restart();
    eventually("the lost revocation back in the served CRL", || {
        let der = s.dir.path().join("check.crl");
        let ok = Command::new("curl")
            .args(["-sS", "-f", "-o"])
            .arg(&der)
            .arg(format!("http://127.0.0.1:{}/crl/internal.crl", s.public))
            .status()
            .is_ok_and(|st| st.success());
        ok && Command::new("openssl")
            .args(["crl", "-inform", "DER", "-noout", "-text", "-in"])
            .arg(&der)
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(&signer_serial))
    });
}

impl Server {
    /// A vanthu command that takes no `--data`.
    fn cli_plain(&self, args: &[&str]) {
        let out = vanthu().args(args).output().unwrap();
        assert!(out.status.success(), "vanthu {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn rotating_the_ca_keeps_issued_certificates_working_and_new_ones_chain_to_the_new_ca() {
    let s = start();
    let admin = s.client("admin");
    let dept = s.client(DEPARTMENT);
    let (old_school, old_serial) = s.issue_unit(SCHOOL, "old");
    let old_ca = s.dir.path().join("old-ca.pem");
    std::fs::copy(s.data.join("pki/ca.cert.pem"), &old_ca).unwrap();

    // The CLI rotates while the server runs.
    let out = s.cli(&["ca", "rotate"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("vanthu internal CA 2"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let (new_school, new_serial) = s.issue_unit(SCHOOL, "new");
    let verify_with = |ca: &Path| {
        Command::new("openssl")
            .args(["verify", "-CAfile"])
            .arg(ca)
            .arg(new_school.join("cert.pem"))
            .output()
            .unwrap()
            .status
            .success()
    };
    assert!(verify_with(&s.data.join("pki/ca.cert.pem")), "the new certificate chains to the new CA");
    assert!(!verify_with(&old_ca), "and not to the old one");
    eventually("the server trusts the new CA", || {
        s.curl(&new_school, &[], "/api/v1/inbox").is_ok_and(|r| r.status == 200)
    });
    assert_eq!(s.get(&old_school, "/api/v1/inbox").status, 200, "a certificate of the old CA still works");
    assert_eq!(s.get(&dept, "/api/v1/inbox").status, 200, "so do those made at init");

    let cas = s.get(&admin, "/api/v1/admin/ca").json();
    let cas = cas.as_array().unwrap();
    assert_eq!(cas.len(), 2, "{cas:?}");
    assert_eq!(cas[0]["current"], true);
    assert!(cas[0]["subject"].as_str().unwrap().contains("vanthu internal CA 2"));
    assert_eq!(cas[1]["current"], false);
    assert!(cas[1]["valid"].as_u64().unwrap() >= 8, "what the old CA issued is still valid: {cas:?}");

    // A document signed under the old CA still verifies; the seal applies.
    let header = std::fs::read_to_string(s.data.join("sample/notice-610.header.json")).unwrap();
    let h = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(h.path(), header).unwrap();
    let pdf = s.data.join("sample/notice-610.pdf");
    let reply = s
        .curl(
            &dept,
            &["-F", &format!("header=<{}", h.path().display()), "-F", &format!("document=@{}", pdf.display())],
            "/api/v1/documents",
        )
        .unwrap();
    assert_eq!(reply.status, 201, "{}", reply.text());

    // Revocation works for both generations: each CA's own CRL lists it.
    for serial in [&old_serial, &new_serial] {
        let r = s.post_json(
            &admin,
            &format!("/api/v1/admin/certificates/{serial}/revoke"),
            &serde_json::json!({"reason": "affiliationChanged"}),
        );
        assert_eq!(r.status, 200, "{}", r.text());
    }
    assert!(s.curl(&old_school, &[], "/api/v1/inbox").is_err(), "revoked under the old CA: refused");
    assert!(s.curl(&new_school, &[], "/api/v1/inbox").is_err(), "revoked under the new CA: refused");
    assert_eq!(s.get(&dept, "/api/v1/inbox").status, 200);
    let served = s.served_crl_text();
    assert!(served.contains(&new_serial) && !served.contains(&old_serial), "the served CRL is the new CA's: {served}");
    let previous = std::fs::read_dir(s.data.join("pki/previous")).unwrap().next().unwrap().unwrap().path();
    let out = Command::new("openssl")
        .args(["crl", "-inform", "DER", "-noout", "-text", "-in"])
        .arg(previous.join("crl.der"))
        .arg("-CAfile")
        .arg(&old_ca)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("verify OK") && text.contains(&old_serial), "the old CA's CRL lists it: {text}");

    // A restart loads both CAs and both CRLs.
    let mut s = s;
    s.restart();
    assert_eq!(s.get(&dept, "/api/v1/inbox").status, 200, "the old CA's certificates work after a restart");
    assert_eq!(s.get(&admin, "/api/v1/admin/ca").json().as_array().unwrap().len(), 2);
    assert!(s.curl(&old_school, &[], "/api/v1/inbox").is_err(), "still revoked after a restart");
    assert!(s.curl(&new_school, &[], "/api/v1/inbox").is_err(), "still revoked after a restart");
    let (newer, _) = s.issue_unit(SCHOOL, "newer");
    assert_eq!(s.get(&newer, "/api/v1/inbox").status, 200, "the new CA's certificates work after a restart");
}

fn openssl(args: &[&str]) -> String {
    let out = Command::new("openssl").args(args).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "openssl {args:?}: {text}");
    text
}

#[test]
fn certificates_are_issued_with_new_keys_or_for_a_csr() {
    let s = start();
    let admin = s.client("admin");
    let work = s.dir.path();
    let path = |name: &str| work.join(name).to_str().unwrap().to_string();

    // A person's signing certificate, key generated by vanthu (P-256).
    let r = s.post_json(
        &admin,
        "/api/v1/admin/certificates",
        &serde_json::json!({"kind": "person", "name": "Nguyễn Văn An", "position": "Phó Giám đốc", "unit": DEPARTMENT}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    std::fs::write(work.join("p.cert.pem"), v["certificate_pem"].as_str().unwrap()).unwrap();
    std::fs::write(work.join("p.key.pem"), v["private_key_pem"].as_str().unwrap()).unwrap();
    std::fs::write(work.join("ca.pem"), v["ca_pem"].as_str().unwrap()).unwrap();
    assert_eq!(v["certificate"]["kind"], "person");
    let text = openssl(&["x509", "-noout", "-text", "-nameopt", "utf8", "-in", &path("p.cert.pem")]);
    assert!(text.contains("Digital Signature, Non Repudiation"), "{text}");
    assert!(text.contains("Nguyễn Văn An") && text.contains("Phó Giám đốc"), "{text}");
    assert!(text.contains("ASN1 OID: prime256v1"), "{text}");
    openssl(&["verify", "-CAfile", &path("ca.pem"), &path("p.cert.pem")]);
    // It signs a document that verifies against the internal CA.
    let signed = path("signed.pdf");
    let out = vanthu()
        .args(["sign", "--key", &path("p.key.pem"), "--cert", &path("p.cert.pem"), "--chain", &path("ca.pem")])
        .arg(s.data.join("sample/notice-610.pdf"))
        .arg(&signed)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = vanthu().args(["verify", "--trust", &path("ca.pem"), &signed]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));

    // A unit's TLS certificate for the key of a CSR: the holder keeps the
    // key, and the CSR's own names are ignored.
    openssl(&[
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        &path("csr.key.pem"),
        "-subj",
        "/CN=Somebody Else/O=Elsewhere",
        "-out",
        &path("req.csr"),
    ]);
    let csr = std::fs::read_to_string(work.join("req.csr")).unwrap();
    let r = s.post_json(
        &admin,
        "/api/v1/admin/certificates",
        &serde_json::json!({"kind": "unit", "unit": SCHOOL, "csr": csr}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    assert!(v["private_key_pem"].is_null(), "no key leaves for a CSR");
    assert_eq!(v["certificate"]["identity"], format!("unit:{SCHOOL}"));
    assert!(!v["certificate"]["subject"].as_str().unwrap().contains("Somebody"), "{v}");
    let holder = work.join("holder");
    std::fs::create_dir_all(&holder).unwrap();
    std::fs::write(holder.join("cert.pem"), v["certificate_pem"].as_str().unwrap()).unwrap();
    std::fs::copy(work.join("csr.key.pem"), holder.join("key.pem")).unwrap();
    std::fs::write(holder.join("ca.pem"), v["ca_pem"].as_str().unwrap()).unwrap();
    assert_eq!(s.get(&holder, "/api/v1/inbox").status, 200, "the holder connects with its own key");

    // A CSR whose signature does not verify proves nothing: refused.
    let mut bad = csr.clone();
    let i = bad.find("-----END").unwrap() - 10;
    bad.replace_range(i..i + 4, if &bad[i..i + 4] == "AAAA" { "BBBB" } else { "AAAA" });
    let r = s.post_json(
        &admin,
        "/api/v1/admin/certificates",
        &serde_json::json!({"kind": "unit", "unit": SCHOOL, "csr": bad}),
    );
    assert_eq!(r.status, 400, "{}", r.text());
    let r = s.post_json(
        &admin,
        "/api/v1/admin/certificates",
        &serde_json::json!({"kind": "unit", "unit": "999.99.99.Z99"}),
    );
    assert_eq!(r.status, 400, "{}", r.text());
    // A unit cannot issue.
    let r = s.post_json(
        &s.client(DEPARTMENT),
        "/api/v1/admin/certificates",
        &serde_json::json!({"kind": "unit", "unit": DEPARTMENT}),
    );
    assert_eq!(r.status, 403, "{}", r.text());

    // The CLI: an organisation certificate with an RSA 2048 key.
    let org = work.join("org");
    s.cli(&[
        "cert",
        "issue",
        "--organisation",
        "--unit",
        DEPARTMENT,
        "--key-type",
        "rsa2048",
        "--out",
        org.to_str().unwrap(),
    ]);
    let text = openssl(&["x509", "-noout", "-text", "-in", org.join("cert.pem").to_str().unwrap()]);
    assert!(text.contains("Public-Key: (2048 bit)") && text.contains("Public Key Algorithm: rsaEncryption"), "{text}");
    openssl(&["verify", "-CAfile", org.join("ca.pem").to_str().unwrap(), org.join("cert.pem").to_str().unwrap()]);
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(org.join("key.pem")).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    let list = s.get(&admin, "/api/v1/admin/certificates").json();
    assert!(list.as_array().unwrap().iter().filter(|c| c["kind"] == "organisation").count() >= 2);
}

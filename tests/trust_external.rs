//! External CAs trusted per purpose, as an admin meets them: a CA made
//! here with `openssl`, trusted with `vanthu ca trust` (the server running)
//! or the admin API, and the effect seen from outside — curl's handshake
//! accepted or refused, a signed PDF accepted (201) or refused (422) at
//! intake — without a restart. A CA trusted for one purpose must not count
//! for the other.

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
    /// curl over mutual TLS; `Err` with curl's message when the connection fails.
    fn curl(&self, c: &Client, args: &[&str], path: &str) -> Result<Reply, String> {
        self.request(c, args, path)
    }

    /// A CLI call that must fail: its exit code and stderr.
    fn cli_refused(&self, args: &[&str]) -> (i32, String) {
        let out = self.cli_run(args, &[]);
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
    }

    /// Submits the sample notice's header with `pdf` as the department.
    fn submit(&self, pdf: &Path) -> Reply {
        let header = self.data.join("sample/notice-610.header.json");
        self.curl(
            &self.internal(DEPARTMENT),
            &["-F", &format!("header=<{}", header.display()), "-F", &format!("document=@{}", pdf.display())],
            "/api/v1/documents",
        )
        .unwrap()
    }

    /// The audit log's admin entries: (actor, op, sha256).
    fn admin_audit(&self) -> Vec<(String, String, String)> {
        self.admin_entries()
            .into_iter()
            .map(|(actor, d)| {
                (actor, d["op"].as_str().unwrap_or("").to_string(), d["sha256"].as_str().unwrap_or("").to_string())
            })
            .collect()
    }
}

fn openssl(args: &[&str], dir: &Path) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().unwrap();
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// An external CA made with openssl in `dir`: `ca.pem`, `ca.key`.
fn make_ca(dir: &Path, name: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "365",
            "-subj",
            &format!("/O=External/CN={name}"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
        dir,
    );
    dir.join("ca.pem")
}

/// A certificate from the CA in `dir`, with the extensions `ext` (openssl
/// extension-file lines): `<stem>.pem`, `<stem>.key`.
fn make_leaf(dir: &Path, stem: &str, cn: &str, ext: &str) -> (PathBuf, PathBuf) {
    std::fs::write(dir.join(format!("{stem}.ext")), ext).unwrap();
    openssl(
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &format!("{stem}.key"),
            "-out",
            &format!("{stem}.csr"),
            "-subj",
            &format!("/O=External/CN={cn}"),
        ],
        dir,
    );
    openssl(
        &[
            "x509",
            "-req",
            "-in",
            &format!("{stem}.csr"),
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "30",
            "-out",
            &format!("{stem}.pem"),
            "-extfile",
            &format!("{stem}.ext"),
        ],
        dir,
    );
    (dir.join(format!("{stem}.pem")), dir.join(format!("{stem}.key")))
}

fn client_ext(uri: &str) -> String {
    format!(
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n\
         subjectAltName=URI:{uri}\n"
    )
}

fn sha256_of(cert: &Path) -> String {
    let out =
        Command::new("openssl").args(["x509", "-noout", "-fingerprint", "-sha256", "-in"]).arg(cert).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim().rsplit('=').next().unwrap().replace(':', "").to_lowercase()
}

/// How long until `f` holds (checked every 50 ms, at most 10 s).
fn time_until(what: &str, mut f: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if f() {
            return start.elapsed();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what}: not within 10 s");
}

#[test]
fn a_ca_trusted_for_clients_admits_its_units_and_a_documents_ca_does_not() {
    let s = start();
    let ext = s.dir.path().join("ext");
    let ca = make_ca(&ext, "Commercial Client CA");
    let (cert, key) =
        make_leaf(&ext, "school", "School over external CA", &client_ext(&format!("urn:vanthu:unit:{SCHOOL}")));
    let server_ca = s.internal(SCHOOL).server_ca;
    let school = Client { cert, key, server_ca: server_ca.clone() };
    let sha = sha256_of(&ca);

    // Not trusted: the handshake is refused.
    assert!(s.curl(&school, &[], "/api/v1/inbox").is_err(), "an unknown CA's certificate connects");

    // Trusted for documents only: still refused at the handshake.
    let out = s.cli(&["ca", "trust", "add", "--purpose", "documents", ca.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stdout).contains(&sha), "{}", String::from_utf8_lossy(&out.stdout));
    std::thread::sleep(Duration::from_millis(2500));
    let refused = s.curl(&school, &[], "/api/v1/inbox");
    assert!(refused.is_err(), "a documents-only CA admitted a client: {:?}", refused.map(|r| r.status));

    // A duplicate, a non-CA certificate, an expired CA: one-line refusals, exit 2.
    let (code, err) = s.cli_refused(&["ca", "trust", "add", "--purpose", "clients", ca.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("trusted already") && err.trim().lines().count() == 1, "{err}");
    let (code, err) = s.cli_refused(&["ca", "trust", "add", "--purpose", "clients", school.cert.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a CA certificate") && err.trim().lines().count() == 1, "{err}");
    let expired = expired_ca(&ext);
    let (code, err) = s.cli_refused(&["ca", "trust", "add", "--purpose", "clients", expired.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("expired") && err.trim().lines().count() == 1, "{err}");
    let (code, err) = s.cli_refused(&["ca", "trust", "add", "--purpose", "everything", ca.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown purpose"), "{err}");

    // For clients instead (the CLI, the server running): admitted within 2 s.
    s.cli(&["ca", "trust", "remove", &sha]);
    s.cli(&["ca", "trust", "add", "--purpose", "clients", ca.to_str().unwrap()]);
    let took = time_until("the clients CA in force", || s.curl(&school, &[], "/api/v1/inbox").is_ok());
    println!("the CLI's trust change was in force after {} ms", took.as_millis());
    assert!(took < Duration::from_secs(2), "{took:?}");
    let inbox = s.curl(&school, &[], "/api/v1/inbox").unwrap();
    assert_eq!(inbox.status, 200, "the external certificate acts for its unit: {}", inbox.text());
    let listed = s.cli(&["ca", "trust", "list", "--json"]);
    let v: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(v[0]["sha256"], sha.as_str());
    assert_eq!(v[0]["purpose"], "clients");

    // The unit rule stays: without the unit's SAN URI, no identity (401);
    // an admin name from an external CA is no administrator.
    let (c, k) = make_leaf(&ext, "nobody", "No unit", "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
    let nobody = Client { cert: c, key: k, server_ca: server_ca.clone() };
    assert_eq!(s.curl(&nobody, &[], "/api/v1/inbox").unwrap().status, 401);
    let (c, k) = make_leaf(&ext, "evil", "Would-be admin", &client_ext("urn:vanthu:admin:evil"));
    let evil = Client { cert: c, key: k, server_ca: server_ca.clone() };
    let r = s.curl(&evil, &[], "/api/v1/admin/trust").unwrap();
    assert!(r.status == 401 || r.status == 403, "an external admin certificate got {}: {}", r.status, r.text());
    assert_eq!(s.curl(&evil, &[], "/api/v1/admin/certificates").unwrap().status, r.status);

    // A unit's certificate gets 403 from every trust route.
    let unit = s.internal(DEPARTMENT);
    for (method, path) in [
        ("GET", "/api/v1/admin/trust".to_string()),
        ("POST", "/api/v1/admin/trust".to_string()),
        ("DELETE", format!("/api/v1/admin/trust/{sha}")),
    ] {
        let body = serde_json::json!({"purpose": "both", "certificate": std::fs::read_to_string(&ca).unwrap()});
        let r = s.json_request(&unit, method, &path, &body).unwrap();
        assert_eq!(r.status, 403, "{method} {path}: {}", r.text());
    }
    assert_eq!(s.curl(&school, &[], "/api/v1/inbox").unwrap().status, 200, "the refused calls changed nothing");

    // The admin API: listed, removed, refused at the very next handshake.
    let admin = s.internal("admin");
    let list = s.curl(&admin, &[], "/api/v1/admin/trust").unwrap();
    assert_eq!(list.status, 200, "{}", list.text());
    assert_eq!(list.json()[0]["sha256"], sha.as_str());
    let r = s.curl(&admin, &["-X", "DELETE"], &format!("/api/v1/admin/trust/{sha}")).unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let after = s.curl(&school, &[], "/api/v1/inbox");
    assert!(after.is_err(), "a removed CA still admits: {:?}", after.map(|r| r.status));
    let r = s.curl(&admin, &["-X", "DELETE"], &format!("/api/v1/admin/trust/{sha}")).unwrap();
    assert_eq!(r.status, 404, "{}", r.text());
    // The internal CA's own certificates are unaffected throughout.
    assert_eq!(s.curl(&unit, &[], "/api/v1/inbox").unwrap().status, 200);

    let audit = s.admin_audit();
    let has = |actor: &str, op: &str| {
        audit.iter().any(|(a, o, h)| (a == actor || actor == "cli:*" && a.starts_with("cli:")) && o == op && *h == sha)
    };
    assert!(has("cli:*", "trust_added"), "{audit:?}");
    assert!(has("cli:*", "trust_removed"), "{audit:?}");
    assert!(has("admin:admin", "trust_removed"), "the API's removal: {audit:?}");
    let out = s.cli(&["audit", "verify"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("intact"));
}

/// A CA certificate whose validity ended yesterday (rcgen: openssl 3.0
/// cannot date a certificate in the past).
fn expired_ca(dir: &Path) -> PathBuf {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(rcgen::DnType::CommonName, "Expired External CA");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(400);
    params.not_after = now - time::Duration::days(1);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let path = dir.join("expired-ca.pem");
    std::fs::write(&path, cert.pem()).unwrap();
    path
}

#[test]
fn a_ca_trusted_for_documents_makes_its_signatures_count_at_intake_and_a_clients_ca_does_not() {
    let s = start();
    let ext = s.dir.path().join("ext");
    let ca = make_ca(&ext, "Government Signing CA");
    let (cert, key) = make_leaf(
        &ext,
        "signer",
        "Nguyen Van A",
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n",
    );
    let sha = sha256_of(&ca);
    // The sample notice signed once more by the external signer.
    let signed = s.dir.path().join("ext-signed.pdf");
    let out = vanthu()
        .args(["sign", "--key"])
        .arg(&key)
        .arg("--cert")
        .arg(&cert)
        .arg("--chain")
        .arg(&ca)
        .arg(s.data.join("sample/notice-610.pdf"))
        .arg(&signed)
        .output()
        .unwrap();
    assert!(out.status.success(), "vanthu sign: {}", String::from_utf8_lossy(&out.stderr));

    // Untrusted: refused.
    let r = s.submit(&signed);
    assert_eq!(r.status, 422, "an unknown CA's signature passed: {}", r.text());

    // Trusted for clients only (the admin API): still refused.
    let admin = s.internal("admin");
    let pem = std::fs::read_to_string(&ca).unwrap();
    let body = serde_json::json!({"purpose": "clients", "certificate": pem});
    let r = s.json_request(&admin, "POST", "/api/v1/admin/trust", &body).unwrap();
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["purpose"], "clients");
    let r = s.submit(&signed);
    assert_eq!(r.status, 422, "a clients-only CA made a signature count: {}", r.text());

    // Trusted for documents (CLI), then removed (CLI): refused again within 2 s.
    s.cli(&["ca", "trust", "remove", "--all-for-purpose", "clients"]);
    s.cli(&["ca", "trust", "add", "--purpose", "documents", ca.to_str().unwrap()]);
    std::thread::sleep(Duration::from_millis(2000));
    s.cli(&["ca", "trust", "remove", &sha]);
    std::thread::sleep(Duration::from_millis(2000));
    let r = s.submit(&signed);
    assert_eq!(r.status, 422, "a removed CA still makes signatures count: {}", r.text());

    // Trusted for documents over the API: accepted, in force before the answer.
    let body = serde_json::json!({"purpose": "documents", "certificate": pem});
    let r = s.json_request(&admin, "POST", "/api/v1/admin/trust", &body).unwrap();
    assert_eq!(r.status, 201, "{}", r.text());
    let again = s.json_request(&admin, "POST", "/api/v1/admin/trust", &body).unwrap();
    assert_eq!(again.status, 409, "{}", again.text());
    let r = s.submit(&signed);
    assert_eq!(r.status, 201, "a documents CA's signature refused: {}\n{}", r.text(), s.log());

    let audit = s.admin_audit();
    let has = |actor: &str, op: &str| {
        audit.iter().any(|(a, o, h)| (a == actor || actor == "cli:*" && a.starts_with("cli:")) && o == op && *h == sha)
    };
    assert!(has("admin:admin", "trust_added"), "{audit:?}");
    assert!(has("cli:*", "trust_added") && has("cli:*", "trust_removed"), "{audit:?}");
}

#[test]
fn an_external_cas_crl_given_with_it_refuses_what_it_lists() {
    let s = start();
    let ext = s.dir.path().join("ext");
    let ca = make_ca(&ext, "Commercial CA with a CRL");
    let uri = format!("urn:vanthu:unit:{SCHOOL}");
    let server_ca = s.internal(SCHOOL).server_ca;
    let (c, k) = make_leaf(&ext, "kept", "Kept", &client_ext(&uri));
    let kept = Client { cert: c, key: k, server_ca: server_ca.clone() };
    let (c, k) = make_leaf(&ext, "lost", "Lost laptop", &client_ext(&uri));
    let lost = Client { cert: c, key: k, server_ca };
    // The CA's own CRL, made with `openssl ca`, listing the lost one.
    std::fs::write(ext.join("index.txt"), "").unwrap();
    std::fs::write(ext.join("crlnumber"), "1000\n").unwrap();
    std::fs::write(
        ext.join("ca.cnf"),
        "[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\ncrlnumber=crlnumber\ndefault_md=sha256\ndefault_crl_days=30\n",
    )
    .unwrap();
    openssl(&["ca", "-config", "ca.cnf", "-keyfile", "ca.key", "-cert", "ca.pem", "-revoke", "lost.pem"], &ext);
    openssl(&["ca", "-config", "ca.cnf", "-keyfile", "ca.key", "-cert", "ca.pem", "-gencrl", "-out", "crl.pem"], &ext);
    let crl = ext.join("crl.pem");

    // A CRL of another CA is refused with the CA.
    let other = make_ca(&s.dir.path().join("other"), "Another CA");
    let (code, err) = s.cli_refused(&[
        "ca",
        "trust",
        "add",
        "--purpose",
        "clients",
        "--crl",
        crl.to_str().unwrap(),
        other.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not by the CA"), "{err}");

    s.cli(&["ca", "trust", "add", "--purpose", "clients", "--crl", crl.to_str().unwrap(), ca.to_str().unwrap()]);
    time_until("the clients CA in force", || s.curl(&kept, &[], "/api/v1/inbox").is_ok_and(|r| r.status == 200));
    let refused = s.curl(&lost, &[], "/api/v1/inbox");
    assert!(refused.is_err(), "a certificate its CA's CRL lists connects: {:?}", refused.map(|r| r.status));
    let listed = s.cli(&["ca", "trust", "list", "--json"]);
    let v: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(v[0]["crl"], true, "{v}");
}

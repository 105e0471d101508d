//! PKCS#12 output of issued keys, as a holder meets it: OpenSSL 3 opens the
//! file without `-legacy` (modern PBES2/AES-256 and a SHA-256 MAC), the key
//! inside is the certificate's, the CA comes along, a wrong password is
//! refused, and pyHanko signs with the file a PDF `vanthu verify` accepts.
//! Through the CLI (`cert issue --p12`) and the admin API (`p12_password`).

mod common;

use base64::Engine;
use common::gateway::Server;
use common::{run_ok, scratch};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const DEPARTMENT: &str = "000.00.12.H29";
const PASSWORD: &str = "correct horse p12";

fn vanthu() -> Command {
    let mut c = common::vanthu();
    c.env_remove("VANTHU_MASTER_KEY").env_remove("VANTHU_MASTER_KEY_FILE").env_remove("VANTHU_P12_PASSWORD");
    c
}

fn init(data: &Path) {
    run_ok(vanthu().arg("init").arg("--data").arg(data));
}

/// `cert issue` for a person of the Department, with extra arguments.
fn issue_person(data: &Path, out: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = vanthu();
    c.args(["cert", "issue", "--person", "Nguyễn Thị Lan", "--position", "Chuyên viên", "--unit", DEPARTMENT])
        .arg("--data")
        .arg(data)
        .arg("--out")
        .arg(out)
        .args(extra);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn registered(data: &Path) -> usize {
    let out = run_ok(vanthu().args(["cert", "list", "--json", "--data"]).arg(data));
    serde_json::from_str::<Value>(&out).unwrap().as_array().unwrap().len()
}

/// `openssl pkcs12` with the password, never `-legacy`.
fn openssl_p12(file: &Path, password: &str, args: &[&str]) -> Output {
    Command::new("openssl")
        .arg("pkcs12")
        .arg("-in")
        .arg(file)
        .arg("-passin")
        .arg(format!("pass:{password}"))
        .args(args)
        .output()
        .unwrap()
}

/// The public key (PEM) of a private key or certificate in PEM, by openssl.
fn public_key(pem: &[u8], from_cert: bool) -> String {
    let args: &[&str] = if from_cert { &["x509", "-pubkey", "-noout"] } else { &["pkey", "-pubout"] };
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), pem).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// Everything a holder checks of a PKCS#12 file: it opens with the password
/// (no -legacy) under modern algorithms, the key is the certificate's, the
/// CA is there, the names are set, a wrong password fails.
fn check_p12(file: &Path, password: &str, cert_pem: &[u8], ca_pem: &[u8]) {
    let info = openssl_p12(file, password, &["-info", "-nodes"]);
    let text = String::from_utf8_lossy(&info.stdout).into_owned() + &String::from_utf8_lossy(&info.stderr);
    assert!(info.status.success(), "openssl 3 reads it without -legacy: {text}");
    assert!(text.contains("MAC: sha256"), "{text}");
    assert_eq!(text.matches("PBES2, PBKDF2, AES-256-CBC").count(), 2, "key and certificates under AES-256: {text}");
    assert!(!text.contains("3DES") && !text.contains("RC2"), "{text}");
    assert_eq!(text.matches("-----BEGIN CERTIFICATE-----").count(), 2, "the certificate and its CA: {text}");
    assert!(text.contains("localKeyID"), "{text}");

    // The key inside belongs to the certificate issued (public keys compared
    // by openssl), and the certificate inside is that certificate.
    let key = openssl_p12(file, password, &["-nocerts", "-nodes"]);
    assert!(key.status.success());
    let leaf = openssl_p12(file, password, &["-clcerts", "-nokeys"]);
    assert!(leaf.status.success());
    assert_eq!(public_key(&key.stdout, false), public_key(cert_pem, true));
    assert_eq!(public_key(&leaf.stdout, true), public_key(cert_pem, true));
    let cas = openssl_p12(file, password, &["-cacerts", "-nokeys"]);
    assert_eq!(public_key(&cas.stdout, true), public_key(ca_pem, true), "the issuing CA is the current one");

    // The names an importer shows: the holder's, in Vietnamese, as an
    // independent reader (Python's cryptography) decodes them.
    let names = run_ok(
        Command::new("python3")
            .arg("-c")
            .arg(
                "import sys\nfrom cryptography.hazmat.primitives.serialization import pkcs12\n\
         p = pkcs12.load_pkcs12(open(sys.argv[1], 'rb').read(), sys.argv[2].encode())\n\
         print(p.key is not None, p.cert.friendly_name.decode(), len(p.additional_certs))",
            )
            .arg(file)
            .arg(password),
    );
    assert!(
        names.starts_with("True ") && names.contains("CN=Nguyễn Thị Lan") && names.trim().ends_with(" 1"),
        "{names}"
    );

    let wrong = openssl_p12(file, "not the password", &["-info", "-nodes", "-noout"]);
    assert!(!wrong.status.success(), "a wrong password opens it");
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("Mac verify error"), "{wrong:?}");
}

/// A P-256 certificate request made by openssl in `dir` (its key beside it).
fn make_csr(dir: &Path) -> PathBuf {
    let csr = dir.join("req.csr");
    run_ok(
        Command::new("openssl")
            .args(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=x"])
            .arg("-keyout")
            .arg(dir.join("req.key"))
            .arg("-out")
            .arg(&csr),
    );
    csr
}

#[test]
fn an_issued_key_comes_as_pkcs12_that_openssl_reads_and_pyhanko_signs_with() {
    let t = scratch();
    let data = t.path().join("data");
    init(&data);
    let out = t.path().join("lan");
    let p12 = t.path().join("lan.p12");
    let pw = t.path().join("p12-password");
    std::fs::write(&pw, format!("{PASSWORD}\n")).unwrap();
    let o =
        issue_person(&data, &out, &["--p12", p12.to_str().unwrap(), "--p12-password-file", pw.to_str().unwrap()], &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("PKCS#12"), "{o:?}");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&p12).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "the file holds a key");
    let cert = std::fs::read(out.join("cert.pem")).unwrap();
    check_p12(&p12, PASSWORD, &cert, &std::fs::read(data.join("pki/ca.cert.pem")).unwrap());

    // pyHanko loads the file (key, certificate and CA) and signs the sample
    // notice; vanthu verifies the signature against the internal CA.
    let signed = t.path().join("signed.pdf");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("certs/dev/sample.pdf");
    let script = r#"import sys
from pyhanko.sign import signers
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
s = signers.SimpleSigner.load_pkcs12(sys.argv[1], passphrase=sys.argv[2].encode())
assert s is not None, 'pyHanko could not load the PKCS#12 file'
cas = [c.subject.human_friendly for c in s.cert_registry]
assert any('vanthu internal CA' in n for n in cas), f'the CA certificate is not in the file: {cas}'
meta = signers.PdfSignatureMetadata(field_name='Sig1')
with open(sys.argv[3], 'rb') as inf, open(sys.argv[4], 'wb') as out:
    signers.sign_pdf(IncrementalPdfFileWriter(inf), meta, signer=s, output=out)
"#;
    run_ok(Command::new("python3").arg("-c").arg(script).arg(&p12).arg(PASSWORD).arg(&sample).arg(&signed));
    let v = vanthu().args(["verify", "--json", "--trust"]).arg(out.join("ca.pem")).arg(&signed).output().unwrap();
    let report: Value = serde_json::from_slice(&v.stdout).unwrap_or(Value::Null);
    assert_eq!(v.status.code(), Some(0), "{report}\n{}", String::from_utf8_lossy(&v.stderr));
    assert_eq!(report["indication"], "TOTAL-PASSED", "{report}");
}

#[test]
fn a_pkcs12_needs_a_generated_key_and_a_password_kept_off_the_command_line() {
    let t = scratch();
    let data = t.path().join("data");
    init(&data);
    let before = registered(&data);
    let p12 = t.path().join("x.p12");
    let p12_arg = p12.to_str().unwrap();

    // No password: refused before anything is issued.
    let o = issue_person(&data, &t.path().join("a"), &["--p12", p12_arg], &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("--p12-password-file") && err.contains("VANTHU_P12_PASSWORD"), "{err}");
    // A password on the command line is not an option at all.
    let o = issue_person(&data, &t.path().join("a"), &["--p12", p12_arg, "--p12-password", PASSWORD], &[]);
    assert_eq!(o.status.code(), Some(2));
    // Too short: refused, nothing issued.
    let o = issue_person(&data, &t.path().join("a"), &["--p12", p12_arg], &[("VANTHU_P12_PASSWORD", "short")]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("8 to 1024 characters"), "{err}");
    // A CSR's key stays with its holder: no PKCS#12, a clear error, nothing issued.
    let csr = make_csr(t.path());
    let o = issue_person(
        &data,
        &t.path().join("a"),
        &["--csr", csr.to_str().unwrap(), "--p12", p12_arg],
        &[("VANTHU_P12_PASSWORD", PASSWORD)],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("CSR has no key"), "{err}");
    assert!(!p12.exists());
    assert_eq!(registered(&data), before, "a refused PKCS#12 left a certificate behind");

    // The password from the variable.
    let out = t.path().join("b");
    let o = issue_person(&data, &out, &["--p12", p12_arg], &[("VANTHU_P12_PASSWORD", PASSWORD)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    check_p12(
        &p12,
        PASSWORD,
        &std::fs::read(out.join("cert.pem")).unwrap(),
        &std::fs::read(out.join("ca.pem")).unwrap(),
    );
}

impl Server {
    /// POST as the admin client; the status and the JSON answer.
    fn issue(&self, body: &Value) -> (u16, Value) {
        let r = self
            .json_request(&self.internal("admin"), "POST", "/api/v1/admin/certificates", body)
            .unwrap_or_else(|e| panic!("{e}"));
        (r.status, serde_json::from_slice(&r.body).unwrap_or(Value::Null))
    }
}

#[test]
fn the_admin_api_returns_a_pkcs12_when_asked_with_a_password() {
    let t = scratch();
    let s = common::gateway::start();
    let data = s.data.clone();
    let person = json!({"kind": "person", "name": "Nguyễn Thị Lan", "position": "Chuyên viên", "unit": DEPARTMENT});

    let mut body = person.clone();
    body["p12_password"] = json!(PASSWORD);
    let (code, issued) = s.issue(&body);
    assert_eq!(code, 201, "{issued}");
    let der = base64::engine::general_purpose::STANDARD.decode(issued["pkcs12"].as_str().unwrap()).unwrap();
    let p12 = t.path().join("api.p12");
    std::fs::write(&p12, der).unwrap();
    let cert = issued["certificate_pem"].as_str().unwrap().as_bytes();
    check_p12(&p12, PASSWORD, cert, &std::fs::read(data.join("pki/ca.cert.pem")).unwrap());

    // Not asked: none.
    let (code, issued) = s.issue(&person);
    assert_eq!(code, 201, "{issued}");
    assert!(issued["pkcs12"].is_null(), "{issued}");
    // A CSR, or a short password: 400 with the reason.
    let csr = make_csr(t.path());
    let mut body = person.clone();
    body["csr"] = json!(std::fs::read_to_string(&csr).unwrap());
    body["p12_password"] = json!(PASSWORD);
    let (code, answer) = s.issue(&body);
    assert_eq!(code, 400, "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("CSR has no key"), "{answer}");
    let mut body = person.clone();
    body["p12_password"] = json!("short");
    let (code, answer) = s.issue(&body);
    assert_eq!(code, 400, "{answer}");
}

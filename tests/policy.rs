//! The policy table and path validation as a user meets them: certificates
//! made here with rcgen, documents signed with `vanthu sign` (or pyHanko
//! where vanthu refuses to sign), judged by `vanthu verify` and, for the
//! certificate questions, compared with `openssl verify`.

mod common;

use common::{run_ok, scratch, support, vanthu};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CustomExtension, DistinguishedName, DnType,
    DnValue, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use time::{Duration, OffsetDateTime};

const SCHOOL: &str = "Trường THPT Lê Quý Đôn";

fn dn(org: &str, cn: &str) -> DistinguishedName {
    let mut d = DistinguishedName::new();
    d.push(DnType::CountryName, DnValue::PrintableString("VN".try_into().expect("ascii")));
    d.push(DnType::OrganizationName, DnValue::Utf8String(org.into()));
    d.push(DnType::CommonName, DnValue::Utf8String(cn.into()));
    d
}

fn params(org: &str, cn: &str, serial: u64) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = dn(org, cn);
    p.serial_number = Some(SerialNumber::from_slice(&serial.to_be_bytes()));
    let now = OffsetDateTime::now_utc();
    p.not_before = now - Duration::days(30);
    p.not_after = now + Duration::days(365);
    p.key_identifier_method = KeyIdMethod::Sha256;
    p.use_authority_key_identifier_extension = true;
    p
}

fn ca(cn: &str, serial: u64) -> CertificateParams {
    let mut p = params("Vanthu Policy Test PKI", cn, serial);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p
}

/// A DER element with a short or long length.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match content.len() {
        n if n < 0x80 => out.push(n as u8),
        n if n < 0x100 => out.extend_from_slice(&[0x81, n as u8]),
        n => out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(content);
    out
}

/// The name constraints of the school's CA, written by hand: permitted
/// directoryName C=VN, O=<SCHOOL> and rfc822Name "lequydon.edu.vn".
/// (rcgen 0.14 encodes a directoryName subtree with an IMPLICIT tag, which
/// OpenSSL rightly refuses to parse: Name is a CHOICE, so the tag is
/// EXPLICIT.)
fn school_name_constraints() -> Vec<u8> {
    let atv = |oid: &[u8], value: Vec<u8>| tlv(0x31, &tlv(0x30, &[tlv(0x06, oid), value].concat()));
    let name = tlv(
        0x30,
        &[atv(&[0x55, 0x04, 0x06], tlv(0x13, b"VN")), atv(&[0x55, 0x04, 0x0A], tlv(0x0C, SCHOOL.as_bytes()))].concat(),
    );
    let directory = tlv(0x30, &tlv(0xA4, &name));
    let email = tlv(0x30, &tlv(0x81, b"lequydon.edu.vn"));
    tlv(0x30, &tlv(0xA0, &[directory, email].concat()))
}

/// A throw-away PKI: a root, a plain signing CA, and a CA constrained to
/// the school's directory names and e-mail domain.
struct Pki {
    dir: PathBuf,
    root: Issuer<'static, KeyPair>,
    plain: Issuer<'static, KeyPair>,
    constrained: Issuer<'static, KeyPair>,
    next_serial: std::cell::Cell<u64>,
}

/// Files of one signer.
struct Signer {
    key: PathBuf,
    cert: PathBuf,
    chain: PathBuf,
}

impl Pki {
    fn new(dir: &Path) -> Pki {
        let root_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
        let root_params = ca("Policy Test Root", 1);
        let root_cert = root_params.self_signed(&root_key).expect("root");
        std::fs::write(dir.join("root.pem"), root_cert.pem()).expect("write");
        let root = Issuer::new(root_params, root_key);

        let plain_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
        let plain_params = ca("Policy Test Signing CA", 2);
        let plain_cert = plain_params.signed_by(&plain_key, &root).expect("plain CA");
        std::fs::write(dir.join("plain.pem"), plain_cert.pem()).expect("write");
        let plain = Issuer::new(plain_params, plain_key);

        let nc_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
        let mut nc_params = ca("Policy Test School CA", 3);
        let mut nc = CustomExtension::from_oid_content(&[2, 5, 29, 30], school_name_constraints());
        nc.set_criticality(true);
        nc_params.custom_extensions.push(nc);
        let nc_cert = nc_params.signed_by(&nc_key, &root).expect("constrained CA");
        std::fs::write(dir.join("constrained.pem"), nc_cert.pem()).expect("write");
        let constrained = Issuer::new(nc_params, nc_key);

        Pki { dir: dir.to_path_buf(), root, plain, constrained, next_serial: std::cell::Cell::new(100) }
    }

    fn root_pem(&self) -> PathBuf {
        self.dir.join("root.pem")
    }

    /// A document signer issued by `issuer` (whose certificate is in
    /// `chain_file`), adjusted by `tweak`.
    fn signer(
        &self,
        name: &str,
        org: &str,
        issuer: &Issuer<'_, KeyPair>,
        chain_file: &str,
        tweak: impl Fn(&mut CertificateParams),
    ) -> Signer {
        let serial = self.next_serial.get() + 1;
        self.next_serial.set(serial);
        let mut p = params(org, "Nguyễn Thị Lan", serial);
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::ContentCommitment];
        tweak(&mut p);
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
        let cert = p.signed_by(&key, issuer).expect("leaf");
        let s = Signer {
            key: self.dir.join(format!("{name}.key.pem")),
            cert: self.dir.join(format!("{name}.cert.pem")),
            chain: self.dir.join(chain_file),
        };
        std::fs::write(&s.key, key.serialize_pem()).expect("write");
        std::fs::write(&s.cert, cert.pem()).expect("write");
        s
    }

    /// A CRL of `issuer` revoking nothing, with the given validity window.
    fn crl(&self, name: &str, issuer: &Issuer<'_, KeyPair>, this_update: i64, next_update: i64) -> PathBuf {
        let now = OffsetDateTime::now_utc();
        let crl = CertificateRevocationListParams {
            this_update: now + Duration::days(this_update),
            next_update: now + Duration::days(next_update),
            crl_number: SerialNumber::from_slice(&[7]),
            issuing_distribution_point: None,
            revoked_certs: vec![],
            key_identifier_method: KeyIdMethod::Sha256,
        }
        .signed_by(issuer)
        .expect("crl");
        let path = self.dir.join(format!("{name}.crl.pem"));
        std::fs::write(&path, crl.pem().expect("pem")).expect("write");
        path
    }
}

fn sample_pdf() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("certs/dev/sample.pdf")
}

/// `vanthu sign`: exit code and stderr.
fn vanthu_sign(s: &Signer, out: &Path) -> (i32, String) {
    let o = vanthu()
        .arg("sign")
        .arg("--quiet")
        .arg("--key")
        .arg(&s.key)
        .arg("--cert")
        .arg(&s.cert)
        .arg("--chain")
        .arg(&s.chain)
        .arg(sample_pdf())
        .arg(out)
        .output()
        .expect("run vanthu sign");
    (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stderr).into_owned())
}

/// pyHanko, for certificates vanthu refuses to sign with (it does not check
/// the signer's certificate).
fn pyhanko_sign(s: &Signer, out: &Path) {
    run_ok(
        Command::new("python3")
            .arg(support("sign.py"))
            .arg("--key")
            .arg(&s.key)
            .arg("--cert")
            .arg(&s.cert)
            .arg("--chain")
            .arg(&s.chain)
            .arg(sample_pdf())
            .arg(out),
    );
}

struct Verdict {
    code: i32,
    json: Value,
}

impl Verdict {
    fn indication(&self) -> &str {
        self.json["indication"].as_str().unwrap_or("")
    }
    fn sub(&self) -> &str {
        self.json["signatures"][0]["subindication"].as_str().unwrap_or("")
    }
    fn list(&self, what: &str) -> Vec<String> {
        self.json["signatures"][0][what]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    }
}

fn verify(pki: &Pki, file: &Path, extra: &[&str]) -> Verdict {
    let out = vanthu()
        .arg("verify")
        .arg("--json")
        .arg("--trust")
        .arg(pki.root_pem())
        .args(extra)
        .arg(file)
        .output()
        .expect("run vanthu verify");
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("verify output: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    Verdict { code: out.status.code().unwrap_or(-1), json }
}

/// `openssl verify` of `s` against the root: whether it accepts, and what it
/// printed.
fn openssl_verify(pki: &Pki, s: &Signer, extra: &[&str]) -> (bool, String) {
    let o = Command::new("openssl")
        .arg("verify")
        .args(extra)
        .arg("-CAfile")
        .arg(pki.root_pem())
        .arg("-untrusted")
        .arg(&s.chain)
        .arg(&s.cert)
        .output()
        .expect("run openssl verify");
    (o.status.success(), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
}

/// A private extension OID (an arc under a made-up enterprise number).
const UNKNOWN_EXT: &[u64] = &[1, 3, 6, 1, 4, 1, 99999, 7, 1];

fn unknown_extension(critical: bool) -> impl Fn(&mut CertificateParams) {
    move |p: &mut CertificateParams| {
        // The value: an ASN.1 BOOLEAN TRUE; what it means nobody here knows.
        let mut ext = CustomExtension::from_oid_content(UNKNOWN_EXT, vec![0x01, 0x01, 0xFF]);
        ext.set_criticality(critical);
        p.custom_extensions.push(ext);
    }
}

#[test]
fn an_unknown_critical_extension_is_refused_like_openssl_does() {
    let dir = scratch();
    let pki = Pki::new(dir.path());

    // Critical: vanthu refuses to sign with it, refuses a signature made
    // with it, and OpenSSL refuses the certificate.
    let s = pki.signer("crit", "Sở GD&ĐT", &pki.plain, "plain.pem", unknown_extension(true));
    let (code, stderr) = vanthu_sign(&s, &dir.path().join("by-vanthu.pdf"));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("critical extension vanthu does not understand (1.3.6.1.4.1.99999.7.1)"), "{stderr}");
    let signed = dir.path().join("crit.pdf");
    pyhanko_sign(&s, &signed);
    let v = verify(&pki, &signed, &[]);
    assert_eq!((v.code, v.indication(), v.sub()), (1, "INDETERMINATE", "CHAIN_CONSTRAINTS_FAILURE"), "{}", v.json);
    assert!(v.list("errors").iter().any(|e| e.contains("1.3.6.1.4.1.99999.7.1")), "{}", v.json);
    let (ok, said) = openssl_verify(&pki, &s, &[]);
    assert!(!ok && said.contains("unhandled critical extension"), "openssl: {said}");

    // The same extension, not critical: both accept it.
    let s = pki.signer("noncrit", "Sở GD&ĐT", &pki.plain, "plain.pem", unknown_extension(false));
    let signed = dir.path().join("noncrit.pdf");
    let (code, stderr) = vanthu_sign(&s, &signed);
    assert_eq!(code, 0, "{stderr}");
    let v = verify(&pki, &signed, &[]);
    assert_eq!((v.code, v.indication()), (0, "TOTAL-PASSED"), "{}", v.json);
    let (ok, said) = openssl_verify(&pki, &s, &[]);
    assert!(ok, "openssl: {said}");
}

#[test]
fn name_constraints_bind_every_certificate_below_the_ca() {
    let dir = scratch();
    let pki = Pki::new(dir.path());
    let email = |addr: &'static str| {
        move |p: &mut CertificateParams| {
            p.subject_alt_names = vec![SanType::Rfc822Name(addr.try_into().expect("ia5"))];
        }
    };

    // Inside: the school's name and its mail domain.
    let inside = pki.signer("inside", SCHOOL, &pki.constrained, "constrained.pem", email("lan@lequydon.edu.vn"));
    let signed = dir.path().join("inside.pdf");
    let (code, stderr) = vanthu_sign(&inside, &signed);
    assert_eq!(code, 0, "{stderr}");
    let v = verify(&pki, &signed, &[]);
    assert_eq!((v.code, v.indication()), (0, "TOTAL-PASSED"), "{}", v.json);
    let (ok, said) = openssl_verify(&pki, &inside, &[]);
    assert!(ok, "openssl: {said}");

    // Outside by directory name: another school's O.
    let other_school = pki.signer(
        "other-school",
        "Trường THPT Chu Văn An",
        &pki.constrained,
        "constrained.pem",
        email("lan@lequydon.edu.vn"),
    );
    // Outside by e-mail: a mailbox elsewhere.
    let gmail = pki.signer("gmail", SCHOOL, &pki.constrained, "constrained.pem", email("lan@gmail.com"));
    for (s, name) in [(&other_school, "Trường THPT Chu Văn An"), (&gmail, "lan@gmail.com")] {
        let signed = dir.path().join("outside.pdf");
        // Signing does not build the path (it has no trust anchors); the
        // verifier is where the constraint bites.
        let (code, stderr) = vanthu_sign(s, &signed);
        assert_eq!(code, 0, "{stderr}");
        let v = verify(&pki, &signed, &[]);
        assert_eq!((v.code, v.indication(), v.sub()), (1, "INDETERMINATE", "CHAIN_CONSTRAINTS_FAILURE"), "{}", v.json);
        assert!(v.list("errors").iter().any(|e| e.contains("name constraints") && e.contains(name)), "{}", v.json);
        let (ok, said) = openssl_verify(&pki, s, &[]);
        assert!(!ok && said.contains("permitted subtree violation"), "openssl on {name}: {said}");
    }
}

#[test]
fn a_crl_past_its_next_update_is_not_current() {
    let dir = scratch();
    let pki = Pki::new(dir.path());
    let s = pki.signer("signer", "Sở GD&ĐT", &pki.plain, "plain.pem", |_| {});
    let signed = dir.path().join("signed.pdf");
    let (code, stderr) = vanthu_sign(&s, &signed);
    assert_eq!(code, 0, "{stderr}");
    let stale = pki.crl("stale", &pki.plain, -10, -1);
    let current = pki.crl("current", &pki.plain, -1, 6);
    let root_crl = pki.crl("root", &pki.root, -1, 30);
    let crl = |p: &Path| p.display().to_string();
    let (stale, current, root_crl) = (crl(&stale), crl(&current), crl(&root_crl));

    // Hard: a stale list answers nothing, so the signature is indeterminate.
    let v = verify(&pki, &signed, &["--revocation", "hard", "--crl", &stale, "--crl", &root_crl]);
    assert_eq!(
        (v.code, v.indication(), v.sub()),
        (1, "INDETERMINATE", "REVOCATION_OUT_OF_BOUNDS_NO_POE"),
        "{}",
        v.json
    );
    assert!(v.list("errors").iter().any(|e| e.contains("not current")), "{}", v.json);
    // OpenSSL agrees the list is out of date.
    let (ok, said) = openssl_verify(&pki, &s, &["-crl_check", "-CRLfile", &stale]);
    assert!(!ok && said.contains("CRL has expired"), "openssl: {said}");

    // Soft (the default): it passes, and the report says why it could not check.
    for args in [&["--crl", &stale, "--crl", &root_crl][..], &["--revocation", "soft", "--crl", &stale][..]] {
        let v = verify(&pki, &signed, args);
        assert_eq!((v.code, v.indication(), v.sub()), (0, "TOTAL-PASSED", ""), "{}", v.json);
        assert!(v.list("warnings").iter().any(|w| w.contains("not current")), "{}", v.json);
    }

    // Hard with current lists for every CA on the path: passes, no warning.
    let v = verify(&pki, &signed, &["--revocation", "hard", "--crl", &current, "--crl", &root_crl]);
    assert_eq!((v.code, v.indication()), (0, "TOTAL-PASSED"), "{}", v.json);
    assert!(v.list("warnings").is_empty(), "{}", v.json);
}

#[test]
fn no_revocation_data_at_all_is_try_later_under_hard() {
    let dir = scratch();
    let pki = Pki::new(dir.path());
    let s = pki.signer("signer", "Sở GD&ĐT", &pki.plain, "plain.pem", |_| {});
    let signed = dir.path().join("signed.pdf");
    let (code, stderr) = vanthu_sign(&s, &signed);
    assert_eq!(code, 0, "{stderr}");

    let v = verify(&pki, &signed, &["--revocation", "hard"]);
    assert_eq!((v.code, v.indication(), v.sub()), (1, "INDETERMINATE", "TRY_LATER"), "{}", v.json);
    // Only the CA's list is missing (the root's is given): still TRY_LATER.
    let root_crl = pki.crl("root", &pki.root, -1, 30).display().to_string();
    let v = verify(&pki, &signed, &["--revocation", "hard", "--crl", &root_crl]);
    assert_eq!((v.code, v.indication(), v.sub()), (1, "INDETERMINATE", "TRY_LATER"), "{}", v.json);
    // Soft: today's behaviour, a pass with a warning.
    let v = verify(&pki, &signed, &[]);
    assert_eq!((v.code, v.indication()), (0, "TOTAL-PASSED"), "{}", v.json);
    assert!(v.list("warnings").iter().any(|w| w.contains("revocation not checked")), "{}", v.json);
}

#[test]
fn a_malformed_key_usage_is_refused_by_sign_and_verify_for_the_same_reason() {
    let dir = scratch();
    let pki = Pki::new(dir.path());
    // keyUsage whose value is an OCTET STRING, not the BIT STRING RFC 5280
    // prescribes: unreadable, so it cannot be shown to allow signing.
    let s = pki.signer("badku", "Sở GD&ĐT", &pki.plain, "plain.pem", |p| {
        p.key_usages = vec![];
        let mut ext = CustomExtension::from_oid_content(&[2, 5, 29, 15], vec![0x04, 0x01, 0xC0]);
        ext.set_criticality(true);
        p.custom_extensions.push(ext);
    });
    let reason = "the certificate's key usage extension is malformed or repeated";

    let (code, stderr) = vanthu_sign(&s, &dir.path().join("by-vanthu.pdf"));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains(reason), "{stderr}");
    assert!(!dir.path().join("by-vanthu.pdf").exists(), "nothing is written");

    // Deferred signing (a key in a token) asks the same table at both steps.
    let run = |args: &[&std::ffi::OsStr]| {
        let o = vanthu().args(args).output().expect("run vanthu sign");
        (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let prepared = dir.path().join("prepared.pdf");
    let prepare = |cert: &Path| {
        run(&[
            "sign".as_ref(),
            "prepare".as_ref(),
            "--cert".as_ref(),
            cert.as_os_str(),
            sample_pdf().as_os_str(),
            prepared.as_os_str(),
        ])
    };
    let (code, stderr) = prepare(&s.cert);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains(reason), "prepare: {stderr}");
    // Prepared under a sound certificate, finished naming the broken one.
    let good = pki.signer("good", "Sở GD&ĐT", &pki.plain, "plain.pem", |_| {});
    let (code, stderr) = prepare(&good.cert);
    assert_eq!(code, 0, "{stderr}");
    let sig = dir.path().join("sig.bin");
    std::fs::write(&sig, [0x30, 0x00]).expect("write");
    let finished = dir.path().join("finished.pdf");
    let (code, stderr) = run(&[
        "sign".as_ref(),
        "finish".as_ref(),
        "--cert".as_ref(),
        s.cert.as_os_str(),
        "--signature".as_ref(),
        sig.as_os_str(),
        prepared.as_os_str(),
        finished.as_os_str(),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains(reason), "finish: {stderr}");
    assert!(!finished.exists(), "nothing is written");

    let signed = dir.path().join("badku.pdf");
    pyhanko_sign(&s, &signed);
    let v = verify(&pki, &signed, &[]);
    assert_eq!((v.code, v.indication(), v.sub()), (1, "INDETERMINATE", "CHAIN_CONSTRAINTS_FAILURE"), "{}", v.json);
    assert!(v.list("errors").iter().any(|e| e == reason), "{}", v.json);
}

/// The Department's organ id (the seed directory's sender).
const DEPARTMENT: &str = "000.00.12.H29";

/// `vanthu serve`, killed when dropped.
struct Gateway {
    child: std::process::Child,
    api: u16,
    data: PathBuf,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Gateway {
    /// The Department submits `pdf` with the seed notice's header: HTTP
    /// status and JSON body.
    fn submit(&self, pdf: &Path) -> (u16, Value) {
        let header = self.data.join("sample/notice-610.header.json");
        let client = self.data.join("clients").join(DEPARTMENT);
        let body = tempfile::NamedTempFile::new().expect("temp file");
        let out = Command::new("curl")
            .args(["-sS", "--max-time", "60", "--cacert"])
            .arg(self.data.join("pki/ca.cert.pem"))
            .arg("--cert")
            .arg(client.join("cert.pem"))
            .arg("--key")
            .arg(client.join("key.pem"))
            .args(["-F", &format!("header=<{}", header.display()), "-F", &format!("document=@{}", pdf.display())])
            .arg("-o")
            .arg(body.path())
            .args(["-w", "%{http_code}"])
            .arg(format!("https://127.0.0.1:{}/api/v1/documents", self.api))
            .output()
            .expect("curl runs");
        assert!(out.status.success(), "curl: {}", String::from_utf8_lossy(&out.stderr));
        let status = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0);
        let json = serde_json::from_slice(&std::fs::read(body.path()).expect("body")).unwrap_or(Value::Null);
        (status, json)
    }
}

#[test]
fn the_gateway_is_hard_on_cas_whose_crls_it_holds_and_soft_on_others() {
    let dir = scratch();
    let pki = Pki::new(dir.path());
    // The gateway trusts the test root and holds a current CRL of the root
    // and a stale one of the signing CA; of the school's CA it holds none.
    let stale = pki.crl("stale", &pki.plain, -10, -1);
    let root_crl = pki.crl("root", &pki.root, -1, 30);
    let crls = format!("{},{}", stale.display(), root_crl.display());
    let data = dir.path().join("data");
    let (child, api, _) = common::server::spawn(
        &data,
        None,
        &[("VANTHU_TRUST", &pki.root_pem().display().to_string()), ("VANTHU_CRLS", &crls)],
    );
    let gw = Gateway { child, api, data };

    // Signed under the CA whose (stale) CRL the gateway holds: refused, and
    // the refusal says why in EN 319 102-1's words.
    let held = pki.signer("held", "Sở GD&ĐT", &pki.plain, "plain.pem", |_| {});
    let signed = dir.path().join("held.pdf");
    let (code, stderr) = vanthu_sign(&held, &signed);
    assert_eq!(code, 0, "{stderr}");
    let (status, body) = gw.submit(&signed);
    assert_eq!(status, 422, "{} {}", body["message"], body["warnings"]);
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains("INDETERMINATE/REVOCATION_OUT_OF_BOUNDS_NO_POE"), "{message}");

    // Signed under the school's CA, whose CRL the gateway does not hold: the
    // soft policy, accepted with a warning that revocation was not checked.
    let school = pki.signer("school", SCHOOL, &pki.constrained, "constrained.pem", |p| {
        p.subject_alt_names = vec![SanType::Rfc822Name("lan@lequydon.edu.vn".try_into().expect("ia5"))];
    });
    let signed = dir.path().join("school.pdf");
    let (code, stderr) = vanthu_sign(&school, &signed);
    assert_eq!(code, 0, "{stderr}");
    let (status, body) = gw.submit(&signed);
    assert_eq!(status, 201, "{} {}", body["message"], body["warnings"]);
    let warnings = body["warnings"].to_string();
    assert!(warnings.contains("revocation of") && warnings.contains("not checked"), "{warnings}");
}

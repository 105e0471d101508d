//! A throw-away PKI for tests and the dev certificates in `certs/`.
//!
//! Everything is generated fresh: a root, an intermediate, signers of each
//! key type, and the problem cases (expired, not yet valid, wrong key usage,
//! revoked, untrusted, look-alike issuer, short RSA key), the Department's
//! organisation certificate, a TSA and a CRL.
//! RSA keys come from `openssl genpkey` because ring cannot generate them.

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DistinguishedName, DnType, DnValue, IsCa,
    Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, RevocationReason, RevokedCertParams, SerialNumber,
};
use std::path::{Path, PathBuf};
use std::process::Command;
use time::{Duration, OffsetDateTime};

/// Files of one signer: PKCS#8 key, certificate, chain (intermediates).
#[derive(Clone, Debug)]
pub struct SignerFiles {
    pub key: PathBuf,
    pub cert: PathBuf,
    pub chain: PathBuf,
}

/// Paths of everything the PKI wrote.
#[derive(Clone, Debug)]
pub struct Pki {
    pub dir: PathBuf,
    pub root: PathBuf,
    pub other_root: PathBuf,
    pub crl: PathBuf,
    /// A CRL naming the intermediate but signed by another key.
    pub forged_crl: PathBuf,
    /// Names the real signing CA and lists the valid p256 signer, but is
    /// signed by the look-alike key.
    pub forged_revoking_crl: PathBuf,
}

impl Pki {
    pub fn signer(&self, name: &str) -> SignerFiles {
        SignerFiles {
            key: self.dir.join(format!("{name}.key.pem")),
            cert: self.dir.join(format!("{name}.cert.pem")),
            chain: self.dir.join(format!("{name}.chain.pem")),
        }
    }
}

pub const SIGNERS: &[&str] = &[
    "rsa",
    "p256",
    "p384",
    "ed25519",
    "expired",
    "notyet",
    "wrongku",
    "revoked",
    "untrusted",
    "lookalike",
    "rsa1024",
    "tsa",
    "receipt",
    "receipt-p256",
    "org",
];

/// The Department's organ id, carried in its organisation certificate.
pub const DEPARTMENT_ORGAN_ID: &str = "000.00.12.H29";

fn openssl_rsa(bits: u32) -> String {
    openssl_genpkey(&["-algorithm", "RSA", "-pkeyopt", &format!("rsa_keygen_bits:{bits}")])
}

/// Ed25519 from openssl: the PKCS#8 v2 that ring writes is not read by
/// OpenSSL-based tools (pyHanko); the v1 form openssl writes is read by all.
fn openssl_ed25519() -> String {
    openssl_genpkey(&["-algorithm", "ed25519"])
}

fn openssl_genpkey(args: &[&str]) -> String {
    let out = Command::new("openssl").arg("genpkey").args(args).output().expect("openssl genpkey runs");
    assert!(out.status.success(), "openssl genpkey failed");
    String::from_utf8(out.stdout).expect("PEM is ASCII")
}

fn openssl_pubkey(key_pem: &str, dir: &Path) -> String {
    let tmp = dir.join("tmp-key.pem");
    std::fs::write(&tmp, key_pem).expect("write");
    let out = Command::new("openssl").args(["pkey", "-pubout", "-in"]).arg(&tmp).output().expect("openssl pkey");
    std::fs::remove_file(&tmp).ok();
    String::from_utf8(out.stdout).expect("PEM")
}

fn dn(cn: &str, org: &str) -> DistinguishedName {
    let mut d = DistinguishedName::new();
    d.push(DnType::CountryName, DnValue::PrintableString("VN".try_into().expect("ascii")));
    d.push(DnType::OrganizationName, DnValue::Utf8String(org.into()));
    d.push(DnType::CommonName, DnValue::Utf8String(cn.into()));
    d
}

fn params(cn: &str, org: &str, serial: u64) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = dn(cn, org);
    p.serial_number = Some(SerialNumber::from_slice(&serial.to_be_bytes()));
    let now = OffsetDateTime::now_utc();
    p.not_before = now - Duration::days(30);
    p.not_after = now + Duration::days(3650);
    p.key_identifier_method = KeyIdMethod::Sha256;
    p.use_authority_key_identifier_extension = true;
    p
}

fn ca_params(cn: &str, serial: u64) -> CertificateParams {
    let mut p = params(cn, "Vanthu Test PKI", serial);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    p
}

fn write(path: &Path, data: &str) {
    std::fs::write(path, data).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// Generates the PKI into `dir`.
pub fn generate(dir: &Path) -> Pki {
    std::fs::create_dir_all(dir).expect("create PKI dir");
    let org = "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh";

    let root_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).expect("key");
    let root_params = ca_params("Vanthu Test Root CA", 1);
    let root_cert = root_params.self_signed(&root_key).expect("root");
    write(&dir.join("root.pem"), &root_cert.pem());
    let root = Issuer::new(root_params, root_key);

    let inter_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
    let inter_params = ca_params("Vanthu Test Signing CA", 2);
    let inter_cert = inter_params.signed_by(&inter_key, &root).expect("intermediate");
    let inter_pem = inter_cert.pem();
    write(&dir.join("intermediate.pem"), &inter_pem);
    let inter = Issuer::new(inter_params.clone(), inter_key);

    let other_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
    let other_params = ca_params("Untrusted Root CA", 3);
    let other_cert = other_params.self_signed(&other_key).expect("other root");
    write(&dir.join("other-root.pem"), &other_cert.pem());
    let other = Issuer::new(other_params, other_key);

    // Same name as the real intermediate, different key: a look-alike.
    let fake_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
    let mut fake_params = inter_params.clone();
    fake_params.serial_number = Some(SerialNumber::from_slice(&[0x66]));
    let fake_cert = fake_params.signed_by(&fake_key, &other).expect("fake intermediate");
    let fake = Issuer::new(fake_params, fake_key);

    let signer_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::ContentCommitment];
    let mut serial = 100u64;
    let mut make = |name: &str,
                    cn: &str,
                    key_pem: String,
                    tweak: &dyn Fn(&mut CertificateParams),
                    issuer: &Issuer<'_, KeyPair>,
                    chain: &str| {
        serial += 1;
        let mut p = params(cn, org, serial);
        p.key_usages = signer_usages.clone();
        // Declared, never fetched: validators that check revocation only where
        // a certificate says where to look need it.
        p.crl_distribution_points =
            vec![rcgen::CrlDistributionPoint { uris: vec!["http://crl.vanthu.invalid/signing-ca.crl".into()] }];
        tweak(&mut p);
        let cert = match KeyPair::from_pem(&key_pem) {
            Ok(kp) => p.signed_by(&kp, issuer).expect("sign leaf"),
            Err(_) => {
                let spki = rcgen::SubjectPublicKeyInfo::from_pem(&openssl_pubkey(&key_pem, dir)).expect("spki");
                p.signed_by(&spki, issuer).expect("sign leaf")
            }
        };
        write(&dir.join(format!("{name}.key.pem")), &key_pem);
        write(&dir.join(format!("{name}.cert.pem")), &cert.pem());
        write(&dir.join(format!("{name}.chain.pem")), chain);
        serial
    };
    let ec = |alg: &'static rcgen::SignatureAlgorithm| KeyPair::generate_for(alg).expect("key").serialize_pem();
    let none = |_: &mut CertificateParams| {};
    make("rsa", "Hồ Tấn Minh", openssl_rsa(2048), &none, &inter, &inter_pem);
    let p256_serial = make("p256", "Nguyễn Thị Hương", ec(&rcgen::PKCS_ECDSA_P256_SHA256), &none, &inter, &inter_pem);
    make("p384", "Trần Văn Đức", ec(&rcgen::PKCS_ECDSA_P384_SHA384), &none, &inter, &inter_pem);
    make("ed25519", "Lê Thị Ánh", openssl_ed25519(), &none, &inter, &inter_pem);
    make(
        "expired",
        "Phạm Văn Cũ",
        ec(&rcgen::PKCS_ECDSA_P256_SHA256),
        &|p| {
            p.not_before = OffsetDateTime::now_utc() - Duration::days(800);
            p.not_after = OffsetDateTime::now_utc() - Duration::days(400);
        },
        &inter,
        &inter_pem,
    );
    make(
        "notyet",
        "Võ Văn Mới",
        ec(&rcgen::PKCS_ECDSA_P256_SHA256),
        &|p| {
            p.not_before = OffsetDateTime::now_utc() + Duration::days(400);
            p.not_after = OffsetDateTime::now_utc() + Duration::days(800);
        },
        &inter,
        &inter_pem,
    );
    make(
        "wrongku",
        "Đặng Khóa Sai",
        ec(&rcgen::PKCS_ECDSA_P256_SHA256),
        &|p| {
            p.key_usages = vec![KeyUsagePurpose::KeyEncipherment];
        },
        &inter,
        &inter_pem,
    );
    let revoked_serial = make("revoked", "Bùi Thu Hồi", ec(&rcgen::PKCS_ECDSA_P256_SHA256), &none, &inter, &inter_pem);
    make("untrusted", "Người Lạ", ec(&rcgen::PKCS_ECDSA_P256_SHA256), &none, &other, &other_cert.pem());
    make("lookalike", "Kẻ Mạo Danh", ec(&rcgen::PKCS_ECDSA_P256_SHA256), &none, &fake, &fake_cert.pem());
    make("rsa1024", "Khóa Ngắn", openssl_rsa(1024), &none, &inter, &inter_pem);
    // The Department's organisation certificate, which signs its seal: an
    // organisation is its own subject (CN = O), and its organ id (the
    // directory's key for it) is the unit name; same key usages as a person.
    make(
        "org",
        org,
        ec(&rcgen::PKCS_ECDSA_P256_SHA256),
        &|p| {
            let mut d = DistinguishedName::new();
            d.push(DnType::CountryName, DnValue::PrintableString("VN".try_into().expect("ascii")));
            d.push(DnType::OrganizationName, DnValue::Utf8String(org.into()));
            d.push(DnType::OrganizationalUnitName, DnValue::Utf8String(DEPARTMENT_ORGAN_ID.into()));
            d.push(DnType::CommonName, DnValue::Utf8String(org.into()));
            p.distinguished_name = d;
        },
        &inter,
        &inter_pem,
    );
    // vanthu's receipt-signing certificates: a signer with the receipt usage.
    let receipt_eku = |p: &mut CertificateParams| {
        p.custom_extensions.push(rcgen::CustomExtension::from_oid_content(
            &[2, 5, 29, 37],
            vanthu::pki::path::receipt_signing_eku_value(),
        ));
    };
    make("receipt", "Vanthu Receipts", openssl_rsa(2048), &receipt_eku, &inter, &inter_pem);
    make("receipt-p256", "Vanthu Receipts P-256", ec(&rcgen::PKCS_ECDSA_P256_SHA256), &receipt_eku, &inter, &inter_pem);
    make(
        "tsa",
        "Vanthu Test TSA",
        // RSA: pyHanko's in-process test TSA signs only with RSA.
        openssl_rsa(2048),
        &|p| {
            p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            // RFC 3161 §2.3: the TSA's only extended key usage, critical
            // (OpenSSL's `ts -verify` insists); rcgen writes its EKU list as
            // not critical, so the extension is written by hand.
            let time_stamping = [0x06, 0x08, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08];
            let mut eku = vec![0x30, time_stamping.len() as u8];
            eku.extend_from_slice(&time_stamping);
            let mut ext = rcgen::CustomExtension::from_oid_content(&[2, 5, 29, 37], eku);
            ext.set_criticality(true);
            p.custom_extensions.push(ext);
        },
        &root,
        "",
    );

    let now = OffsetDateTime::now_utc();
    let crl_params = |serials: Vec<u64>| CertificateRevocationListParams {
        this_update: now - Duration::days(1),
        next_update: now + Duration::days(30),
        crl_number: SerialNumber::from_slice(&[1]),
        issuing_distribution_point: None,
        revoked_certs: serials
            .into_iter()
            .map(|s| RevokedCertParams {
                serial_number: SerialNumber::from_slice(&s.to_be_bytes()),
                revocation_time: now - Duration::days(2),
                reason_code: Some(RevocationReason::KeyCompromise),
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: KeyIdMethod::Sha256,
    };
    let crl = crl_params(vec![revoked_serial]).signed_by(&inter).expect("crl");
    write(&dir.join("crl.pem"), &crl.pem().expect("crl pem"));
    // Forged: names the real intermediate, lists nothing, signed by the look-alike key.
    let forged = crl_params(vec![]).signed_by(&fake).expect("forged crl");
    write(&dir.join("forged-crl.pem"), &forged.pem().expect("crl pem"));
    // Forged the other way: lists the valid p256 signer as revoked.
    let forged = crl_params(vec![p256_serial]).signed_by(&fake).expect("forged crl");
    write(&dir.join("forged-revoking-crl.pem"), &forged.pem().expect("crl pem"));

    Pki {
        dir: dir.to_path_buf(),
        root: dir.join("root.pem"),
        other_root: dir.join("other-root.pem"),
        crl: dir.join("crl.pem"),
        forged_crl: dir.join("forged-crl.pem"),
        forged_revoking_crl: dir.join("forged-revoking-crl.pem"),
    }
}

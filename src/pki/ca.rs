//! The internal CA: the certificates vanthu issues to itself (server TLS,
//! time-stamping, receipt signing), to units (TLS client certificates that
//! say which unit is connecting), to admins, and to organisations whose
//! signature vanthu applies on their behalf.
//!
//! Pure: keys and certificates go in and out as PEM/DER; where they are kept
//! is the caller's business (the data directory at the edge).
//!
//! Identity lives in one place, [`Identity`]: a client certificate names its
//! holder in a subjectAltName URI, `urn:vanthu:unit:<organ id>` or
//! `urn:vanthu:admin:<name>`. A URI cannot be confused with a display name
//! (the subject CN is free text in Vietnamese and may repeat across units).

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, RevocationReason, RevokedCertParams,
    SanType, SerialNumber,
};
use thiserror::Error;
use time::{Duration, OffsetDateTime};

/// Why the CA could not create, load or issue.
#[derive(Debug, Error)]
pub enum CaError {
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("the CA certificate or key is unreadable")]
    BadCaMaterial,
    #[error("invalid name for a certificate: {0:?}")]
    BadName(String),
    #[error("no random bytes available for a serial number or a key")]
    Random,
    #[error("the certificate signing request is unusable: {0}")]
    BadCsr(rcgen::Error),
}

/// Who a client certificate says its holder is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Identity {
    /// A unit, by its organ id (as written in the certificate; the caller
    /// parses it into its own type).
    Unit(String),
    /// An administrator.
    Admin(String),
}

const UNIT_URN: &str = "urn:vanthu:unit:";
const ADMIN_URN: &str = "urn:vanthu:admin:";

impl Identity {
    fn uri(&self) -> String {
        match self {
            Identity::Unit(id) => format!("{UNIT_URN}{id}"),
            Identity::Admin(name) => format!("{ADMIN_URN}{name}"),
        }
    }

    /// Reads the identity from a client certificate's subjectAltName URIs.
    /// Exactly one vanthu URI must be present: two would let a certificate
    /// speak for two units.
    pub fn from_certificate(der: &[u8]) -> Option<Identity> {
        let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
        let san = cert.subject_alternative_name().ok()??;
        let mut found = None;
        for name in &san.value.general_names {
            if let x509_parser::extensions::GeneralName::URI(uri) = name {
                let id = if let Some(id) = uri.strip_prefix(UNIT_URN) {
                    Identity::Unit(id.to_string())
                } else if let Some(name) = uri.strip_prefix(ADMIN_URN) {
                    Identity::Admin(name.to_string())
                } else {
                    continue;
                };
                if found.is_some() {
                    return None;
                }
                found = Some(id);
            }
        }
        found
    }
}

/// What a certificate is for; each profile fixes key usage and EKU, in this
/// one table.
#[derive(Debug, Clone)]
pub enum Profile {
    /// The gateway's TLS server certificate.
    Server { names: Vec<String> },
    /// A TLS client certificate for a unit or an admin.
    Client { identity: Identity, display_name: String },
    /// vanthu's RFC 3161 time-stamping authority.
    Tsa,
    /// The key vanthu signs receipts with.
    Receipts,
    /// An organisation's document-signing certificate (its "seal").
    Organisation { organ_id: String, name: String },
    /// A person's document-signing certificate: name, position, unit.
    Person { name: String, position: String, organ_id: String, unit: String },
}

/// A freshly issued certificate with its new key.
pub struct Issued {
    pub cert_pem: String,
    pub cert_der: Vec<u8>,
    /// PKCS#8 PEM.
    pub key_pem: String,
    pub serial_hex: String,
}

/// An internal CA able to issue.
pub struct InternalCa {
    issuer: Issuer<'static, KeyPair>,
    cert_pem: String,
    name: String,
}

/// Days a CA certificate is valid.
const CA_DAYS: i64 = 3650;
/// Days an issued certificate is valid.
const LEAF_DAYS: i64 = 825;

fn dn(cn: &str, org: &str) -> DistinguishedName {
    let mut d = DistinguishedName::new();
    if let Ok(c) = "VN".try_into() {
        d.push(DnType::CountryName, DnValue::PrintableString(c));
    }
    d.push(DnType::OrganizationName, DnValue::Utf8String(org.into()));
    d.push(DnType::CommonName, DnValue::Utf8String(cn.into()));
    d
}

fn random_serial() -> Result<(SerialNumber, String), CaError> {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 16];
    ring::rand::SystemRandom::new().fill(&mut b).map_err(|_| CaError::Random)?;
    b[0] &= 0x7F; // positive
    b[0] |= 0x01; // no leading zero byte, so the hex form is stable
    let hex = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok((SerialNumber::from_slice(&b), hex))
}

fn base_params(cn: &str, org: &str, days: i64, now: OffsetDateTime) -> Result<(CertificateParams, String), CaError> {
    let mut p = CertificateParams::default();
    p.distinguished_name = dn(cn, org);
    let (serial, hex) = random_serial()?;
    p.serial_number = Some(serial);
    p.not_before = now - Duration::hours(1);
    p.not_after = now + Duration::days(days);
    p.key_identifier_method = KeyIdMethod::Sha256;
    p.use_authority_key_identifier_extension = true;
    Ok((p, hex))
}

/// ExtKeyUsageSyntax holding only id-kp-timeStamping (1.3.6.1.5.5.7.3.8).
const TIME_STAMPING_EKU: [u8; 12] = [0x30, 0x0A, 0x06, 0x08, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08];

/// The organisation every internal certificate names as its O=.
pub const OPERATOR: &str = "vanthu";

impl InternalCa {
    /// A new self-signed CA (ECDSA P-256).
    pub fn create(name: &str, now: OffsetDateTime) -> Result<(InternalCa, String), CaError> {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let (mut params, _) = base_params(name, OPERATOR, CA_DAYS, now)?;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.use_authority_key_identifier_extension = false;
        let cert = params.self_signed(&key)?;
        let key_pem = key.serialize_pem();
        let ca = InternalCa { issuer: Issuer::new(params, key), cert_pem: cert.pem(), name: name.to_string() };
        Ok((ca, key_pem))
    }

    /// Loads a CA from its certificate and PKCS#8 key (PEM).
    pub fn load(cert_pem: &str, key_pem: &str) -> Result<InternalCa, CaError> {
        let key = KeyPair::from_pem(key_pem).map_err(|_| CaError::BadCaMaterial)?;
        let issuer = Issuer::from_ca_cert_pem(cert_pem, key).map_err(|_| CaError::BadCaMaterial)?;
        let name = crate::pki::pem_or_der(cert_pem.as_bytes(), "CERTIFICATE", "CA")
            .ok()
            .and_then(|v| v.into_iter().next())
            .and_then(|der| {
                let (_, c) = x509_parser::parse_x509_certificate(&der).ok()?;
                let cn = c.subject().iter_common_name().next()?.as_str().ok()?.to_string();
                Some(cn)
            })
            .ok_or(CaError::BadCaMaterial)?;
        Ok(InternalCa { issuer, cert_pem: cert_pem.to_string(), name })
    }

    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Issues a certificate of `profile` with a new P-256 key.
    pub fn issue(&self, profile: &Profile, now: OffsetDateTime) -> Result<Issued, CaError> {
        self.issue_new_key(profile, KeyType::P256, now)
    }

    /// Issues a certificate of `profile` with a new key of `key_type`.
    pub fn issue_new_key(&self, profile: &Profile, key_type: KeyType, now: OffsetDateTime) -> Result<Issued, CaError> {
        let key = match key_type {
            KeyType::P256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?,
            KeyType::Rsa2048 => generate_rsa_2048()?,
        };
        let (p, serial_hex) = profile_params(profile, now)?;
        let cert = p.signed_by(&key, &self.issuer)?;
        Ok(Issued { cert_der: cert.der().to_vec(), cert_pem: cert.pem(), key_pem: key.serialize_pem(), serial_hex })
    }

    /// Issues a certificate of `profile` for the key of a certificate
    /// signing request (PEM), whose holder keeps its private key. The CSR's
    /// signature must verify (proof the holder has the key); everything
    /// else it asks for (names, extensions) is ignored: the profile decides.
    pub fn issue_for_csr(&self, profile: &Profile, csr_pem: &str, now: OffsetDateTime) -> Result<IssuedCert, CaError> {
        let csr = rcgen::CertificateSigningRequestParams::from_pem(csr_pem).map_err(CaError::BadCsr)?;
        let (p, serial_hex) = profile_params(profile, now)?;
        let cert = p.signed_by(&csr.public_key, &self.issuer)?;
        Ok(IssuedCert { cert_der: cert.der().to_vec(), cert_pem: cert.pem(), serial_hex })
    }
}

/// The key types vanthu generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// ECDSA P-256 (ring).
    P256,
    /// RSA 2048 (the `rsa` crate: ring cannot generate RSA keys; ring
    /// signs with them).
    Rsa2048,
}

/// A certificate issued for a key its holder keeps.
pub struct IssuedCert {
    pub cert_pem: String,
    pub cert_der: Vec<u8>,
    pub serial_hex: String,
}

/// ring's system randomness for the `rsa` crate's key generation.
struct RingRng(ring::rand::SystemRandom);

impl rsa::rand_core::RngCore for RingRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        // The trait cannot fail here; a system without randomness cannot
        // make keys at all, and try_fill_bytes (used by rsa) reports it.
        let _ = self.try_fill_bytes(dest);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rsa::rand_core::Error> {
        use ring::rand::SecureRandom;
        self.0.fill(dest).map_err(|_| {
            rsa::rand_core::Error::from(
                core::num::NonZeroU32::new(rsa::rand_core::Error::CUSTOM_START).unwrap_or(core::num::NonZeroU32::MIN),
            )
        })
    }
}

impl rsa::rand_core::CryptoRng for RingRng {}

fn generate_rsa_2048() -> Result<KeyPair, CaError> {
    use rsa::pkcs8::EncodePrivateKey;
    let key =
        rsa::RsaPrivateKey::new(&mut RingRng(ring::rand::SystemRandom::new()), 2048).map_err(|_| CaError::Random)?;
    let der = key.to_pkcs8_der().map_err(|_| CaError::Random)?;
    let key = KeyPair::try_from(der.as_bytes())?;
    if !key.is_compatible(&rcgen::PKCS_RSA_SHA256) {
        return Err(CaError::Generate(rcgen::Error::CouldNotParseKeyPair));
    }
    Ok(key)
}

/// The certificate parameters of each profile: key usage and EKU, in this
/// one table.
fn profile_params(profile: &Profile, now: OffsetDateTime) -> Result<(CertificateParams, String), CaError> {
    {
        let (mut p, serial_hex) = match profile {
            Profile::Server { names } => {
                let cn = names.first().cloned().unwrap_or_else(|| "localhost".into());
                let (mut p, s) = base_params(&cn, OPERATOR, LEAF_DAYS, now)?;
                for n in names {
                    p.subject_alt_names.push(match n.parse::<std::net::IpAddr>() {
                        Ok(ip) => SanType::IpAddress(ip),
                        Err(_) => SanType::DnsName(n.clone().try_into().map_err(|_| CaError::BadName(n.clone()))?),
                    });
                }
                p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
                p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
                (p, s)
            }
            Profile::Client { identity, display_name } => {
                let (mut p, s) = base_params(display_name, OPERATOR, LEAF_DAYS, now)?;
                let uri = identity.uri();
                p.subject_alt_names
                    .push(SanType::URI(uri.clone().try_into().map_err(|_| CaError::BadName(uri.clone()))?));
                p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
                p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
                (p, s)
            }
            Profile::Tsa => {
                let (mut p, s) = base_params("vanthu Time-Stamping Authority", OPERATOR, LEAF_DAYS, now)?;
                p.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::ContentCommitment];
                // RFC 3161 §2.3: timeStamping as the only EKU, critical
                // (`openssl ts -verify` insists); rcgen's own EKU list is not
                // critical, so the extension is written here.
                let mut eku = rcgen::CustomExtension::from_oid_content(&[2, 5, 29, 37], TIME_STAMPING_EKU.to_vec());
                eku.set_criticality(true);
                p.custom_extensions.push(eku);
                (p, s)
            }
            Profile::Receipts => {
                let (mut p, s) = base_params("vanthu receipts", OPERATOR, LEAF_DAYS, now)?;
                p.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::ContentCommitment];
                // Only the receipt certificate carries vanthu's receipt-signing
                // usage: a unit's key from the same CA cannot forge a receipt.
                p.custom_extensions.push(rcgen::CustomExtension::from_oid_content(
                    &[2, 5, 29, 37],
                    crate::pki::path::receipt_signing_eku_value(),
                ));
                (p, s)
            }
            Profile::Organisation { organ_id, name } => {
                let (mut p, s) = base_params(name, name, LEAF_DAYS, now)?;
                p.distinguished_name.push(DnType::OrganizationalUnitName, DnValue::Utf8String(organ_id.clone()));
                p.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::ContentCommitment];
                (p, s)
            }
            Profile::Person { name, position, organ_id, unit } => {
                let (mut p, s) = base_params(name, unit, LEAF_DAYS, now)?;
                p.distinguished_name.push(DnType::OrganizationalUnitName, DnValue::Utf8String(organ_id.clone()));
                p.distinguished_name
                    .push(DnType::CustomDnType(vec![2, 5, 4, 12]), DnValue::Utf8String(position.clone()));
                p.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::ContentCommitment];
                (p, s)
            }
        };
        p.is_ca = IsCa::ExplicitNoCa;
        Ok((p, serial_hex))
    }
}

impl InternalCa {
    /// A CRL (DER) listing `revoked` (serial as hex, revocation time, reason).
    pub fn crl(
        &self,
        revoked: &[(String, OffsetDateTime, Option<RevocationReason>)],
        number: u64,
        now: OffsetDateTime,
        valid_for: Duration,
    ) -> Result<Vec<u8>, CaError> {
        let mut list = Vec::with_capacity(revoked.len());
        for (hex, at, reason) in revoked {
            let bytes = decode_hex(hex).ok_or_else(|| CaError::BadName(hex.clone()))?;
            list.push(RevokedCertParams {
                serial_number: SerialNumber::from_slice(&bytes),
                revocation_time: *at,
                reason_code: *reason,
                invalidity_date: None,
            });
        }
        let params = CertificateRevocationListParams {
            this_update: now,
            next_update: now + valid_for,
            crl_number: SerialNumber::from_slice(&number.to_be_bytes()),
            issuing_distribution_point: None,
            revoked_certs: list,
            key_identifier_method: KeyIdMethod::Sha256,
        };
        Ok(params.signed_by(&self.issuer)?.der().to_vec())
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_identity_round_trips_through_the_certificate() {
        let now = OffsetDateTime::now_utc();
        let (ca, key) = InternalCa::create("Test CA", now).unwrap();
        let id = Identity::Unit("000.00.12.H29".into());
        let issued = ca.issue(&Profile::Client { identity: id.clone(), display_name: "Sở GD&ĐT".into() }, now).unwrap();
        assert_eq!(Identity::from_certificate(&issued.cert_der), Some(id));
        let again = InternalCa::load(ca.cert_pem(), &key).unwrap();
        assert_eq!(again.name(), "Test CA");
        let tsa = again.issue(&Profile::Tsa, now).unwrap();
        assert_eq!(Identity::from_certificate(&tsa.cert_der), None);
        let parsed = crate::pki::Cert::parse(&tsa.cert_der).unwrap();
        let eku = parsed.x509.extended_key_usage().unwrap().unwrap();
        assert!(eku.critical && eku.value.time_stamping, "RFC 3161: the TSA's EKU is critical");
        let receipts = again.issue(&Profile::Receipts, now).unwrap();
        let parsed = crate::pki::Cert::parse(&receipts.cert_der).unwrap();
        assert!(crate::pki::path::check_usage(&parsed, crate::pki::path::Usage::ReceiptSigning).is_ok());
        let crl = again.crl(&[(issued.serial_hex.clone(), now, None)], 1, now, Duration::days(7)).unwrap();
        assert!(!crl.is_empty());
    }
}

//! The one policy table: what a certificate must allow for each use, which
//! extensions vanthu understands, how large a signature may be for each key,
//! and how missing or stale revocation data is judged.
//!
//! Signing and verification both ask [`check_usage`], so a certificate that
//! `vanthu sign` refuses is one `vanthu verify` reports as failing, for the
//! same reason in the same words. Before this table the two read the key
//! usage separately and disagreed on a malformed extension (signing took it
//! as "no restriction", verification as a failure). A malformed extension
//! is now always a refusal: a certificate whose restrictions cannot be read
//! cannot be shown to allow anything.

use super::Cert;
use super::algorithms::KeyKind;
use crate::asn1::der::Oid;
use thiserror::Error;

/// The extended key usage of vanthu's receipt-signing certificate: a
/// UUID-based OID (2.25.27609334001088197430184025840851897400), needing no
/// registration. The internal CA also issues units' client certificates,
/// whose keys can sign; without a usage of its own, any unit could sign a
/// "receipt" that chains to the same CA.
pub const RECEIPT_SIGNING: Oid<'static> = Oid(&[
    0x69, 0xA9, 0xC5, 0xAE, 0xD0, 0xEC, 0xF0, 0x8A, 0x94, 0x89, 0xBE, 0xCE, 0x86, 0x92, 0xC3, 0xA4, 0xC1, 0x98, 0x38,
]);

/// The DER value (ExtKeyUsageSyntax) of an extended-key-usage extension
/// holding only [`RECEIPT_SIGNING`], for a CA issuing the receipt
/// certificate (rcgen's EKU list cannot hold an arc this large; pass this as
/// a custom extension 2.5.29.37, not critical).
pub fn receipt_signing_eku_value() -> Vec<u8> {
    // Both lengths are below 128, so each is a single byte.
    let oid = RECEIPT_SIGNING.0;
    let mut out = vec![0x30, (oid.len() + 2) as u8, 0x06, oid.len() as u8];
    out.extend_from_slice(oid);
    out
}

/// What the certificate at the end of a path is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    /// A document signer (a person or an organisation's seal).
    DocumentSigning,
    /// A time-stamping authority (RFC 3161).
    TimeStamping,
    /// vanthu signing a receipt: a document signer with the extended key
    /// usage [`RECEIPT_SIGNING`].
    ReceiptSigning,
}

/// A keyUsage bit (RFC 5280 §4.2.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bit {
    DigitalSignature,
    /// Called contentCommitment in X.509 (2008).
    NonRepudiation,
    KeyCertSign,
    CrlSign,
}

/// What the extended key usage must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Eku {
    /// Anything, or no extension at all.
    Any,
    /// id-kp-timeStamping, in a critical extension (RFC 3161 §2.3; `openssl
    /// ts -verify` insists on both).
    TimeStampingCritical,
    /// vanthu's [`RECEIPT_SIGNING`].
    Receipt,
}

/// One row of the table.
struct Rule {
    /// When keyUsage is present, one of these bits must be set. Absent, the
    /// key is not restricted by it (RFC 5280 §4.2.1.3).
    key_usage: &'static [Bit],
    /// The bit ETSI practice expects (EN 319 412-2 §4.3.2: nonRepudiation
    /// for signatures and seals); a certificate without it, or without
    /// keyUsage at all, is accepted with a warning.
    expected: Option<Bit>,
    eku: Eku,
}

/// The table itself.
fn rule(usage: Usage) -> Rule {
    const SIGNING: &[Bit] = &[Bit::DigitalSignature, Bit::NonRepudiation];
    match usage {
        Usage::DocumentSigning => Rule { key_usage: SIGNING, expected: Some(Bit::NonRepudiation), eku: Eku::Any },
        Usage::TimeStamping => Rule { key_usage: SIGNING, expected: None, eku: Eku::TimeStampingCritical },
        Usage::ReceiptSigning => Rule { key_usage: SIGNING, expected: None, eku: Eku::Receipt },
    }
}

/// Why a certificate may not be used as asked.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum UsageError {
    #[error("the certificate has a critical extension vanthu does not understand ({0})")]
    UnknownCriticalExtension(String),
    #[error("the certificate's key usage extension is malformed or repeated")]
    MalformedKeyUsage,
    #[error("the certificate's extended key usage extension is malformed or repeated")]
    MalformedExtendedKeyUsage,
    #[error("the certificate's key usage allows neither digitalSignature nor nonRepudiation")]
    NoSigningKeyUsage,
    #[error("the TSA certificate lacks the timeStamping extended key usage")]
    NoTimeStamping,
    #[error("the TSA certificate's timeStamping extended key usage is not critical (RFC 3161 §2.3)")]
    TimeStampingNotCritical,
    #[error("certificate lacks vanthu's receipt-signing extended key usage: it is not vanthu's receipt certificate")]
    NoReceiptSigning,
    #[error("the certificate's key usage does not allow signing certificates")]
    NoKeyCertSign,
    #[error("the certificate's key usage does not allow signing CRLs")]
    NoCrlSign,
}

/// What a certificate is accepted with but worth knowing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageWarning {
    /// No keyUsage extension: the key is not restricted.
    NoKeyUsage,
    /// keyUsage without nonRepudiation (an authentication certificate, in
    /// ETSI practice).
    NoNonRepudiation,
}

impl std::fmt::Display for UsageWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UsageWarning::NoKeyUsage => {
                "the signer's certificate has no key usage extension (ETSI EN 319 412-2 expects nonRepudiation)"
            }
            UsageWarning::NoNonRepudiation => {
                "the signer's certificate allows digitalSignature but not nonRepudiation (ETSI EN 319 412-2 expects nonRepudiation for signing documents)"
            }
        })
    }
}

fn has(ku: &x509_parser::extensions::KeyUsage, bit: Bit) -> bool {
    match bit {
        Bit::DigitalSignature => ku.digital_signature(),
        Bit::NonRepudiation => ku.non_repudiation(),
        Bit::KeyCertSign => ku.key_cert_sign(),
        Bit::CrlSign => ku.crl_sign(),
    }
}

/// Whether `cert` may be used for `usage`: the one check signing and
/// verification share. `Ok` carries what was accepted with a warning.
pub fn check_usage(cert: &Cert<'_>, usage: Usage) -> Result<Vec<UsageWarning>, UsageError> {
    // A restriction the issuer made mandatory and vanthu cannot read might
    // forbid exactly this use (RFC 5280 §4.2).
    if let Some(oid) = unknown_critical_extension(cert) {
        return Err(UsageError::UnknownCriticalExtension(oid));
    }
    let rule = rule(usage);
    let mut warnings = Vec::new();
    match cert.x509.key_usage() {
        Err(_) => return Err(UsageError::MalformedKeyUsage),
        Ok(None) => {
            if rule.expected.is_some() {
                warnings.push(UsageWarning::NoKeyUsage);
            }
        }
        Ok(Some(ku)) => {
            if !rule.key_usage.iter().any(|&b| has(ku.value, b)) {
                return Err(UsageError::NoSigningKeyUsage);
            }
            if rule.expected.is_some_and(|b| !has(ku.value, b)) {
                warnings.push(UsageWarning::NoNonRepudiation);
            }
        }
    }
    let eku = cert.x509.extended_key_usage().map_err(|_| UsageError::MalformedExtendedKeyUsage)?;
    match (rule.eku, eku) {
        (Eku::Any, _) => {}
        (Eku::TimeStampingCritical, Some(e)) if e.value.time_stamping => {
            if !e.critical {
                return Err(UsageError::TimeStampingNotCritical);
            }
        }
        (Eku::TimeStampingCritical, _) => return Err(UsageError::NoTimeStamping),
        (Eku::Receipt, Some(e)) if e.value.other.iter().any(|o| o.as_bytes() == RECEIPT_SIGNING.0) => {}
        (Eku::Receipt, _) => return Err(UsageError::NoReceiptSigning),
    }
    Ok(warnings)
}

/// Whether a CA certificate's key usage lets it sign certificates (absent:
/// unrestricted).
pub fn check_ca_usage(cert: &Cert<'_>) -> Result<(), UsageError> {
    check_bit(cert, Bit::KeyCertSign, UsageError::NoKeyCertSign)
}

/// Whether a certificate's key usage lets it sign CRLs (absent: unrestricted).
pub fn check_crl_issuer(cert: &Cert<'_>) -> Result<(), UsageError> {
    check_bit(cert, Bit::CrlSign, UsageError::NoCrlSign)
}

fn check_bit(cert: &Cert<'_>, bit: Bit, missing: UsageError) -> Result<(), UsageError> {
    match cert.x509.key_usage() {
        Err(_) => Err(UsageError::MalformedKeyUsage),
        Ok(Some(ku)) if !has(ku.value, bit) => Err(missing),
        Ok(_) => Ok(()),
    }
}

/// The extensions vanthu understands, by OID, with what it does with each.
/// A certificate with a critical extension not in this list is refused
/// (RFC 5280 §4.2: "A certificate-using system MUST reject the certificate
/// if it encounters a critical extension it does not recognize"). Policy
/// constraints, policy mappings and inhibitAnyPolicy are deliberately
/// absent: vanthu builds no policy tree, so a CA that makes them critical
/// asks for processing vanthu does not do.
pub const UNDERSTOOD_EXTENSIONS: &[(&str, &str)] = &[
    ("2.5.29.15", "key usage: this table"),
    ("2.5.29.37", "extended key usage: this table"),
    ("2.5.29.19", "basic constraints: CA flag and path length (path building)"),
    ("2.5.29.30", "name constraints: enforced on every certificate below (path building)"),
    ("2.5.29.17", "subject alternative name: checked against name constraints"),
    ("2.5.29.14", "subject key identifier: informative"),
    ("2.5.29.35", "authority key identifier: informative (issuers are found by signature)"),
    ("2.5.29.32", "certificate policies: any policy is acceptable (no policy is required)"),
    ("2.5.29.31", "CRL distribution points: informative (CRLs are given, never fetched)"),
    ("2.5.29.18", "issuer alternative name: informative"),
    ("2.5.29.9", "subject directory attributes: informative"),
    ("1.3.6.1.5.5.7.1.1", "authority information access: informative (nothing is fetched)"),
    ("1.3.6.1.5.5.7.1.3", "qualified certificate statements: informative"),
    ("1.3.6.1.5.5.7.48.1.5", "OCSP no-check: informative (OCSP is not used)"),
];

/// The first critical extension of `cert` that vanthu does not understand,
/// as a dotted OID.
pub fn unknown_critical_extension(cert: &Cert<'_>) -> Option<String> {
    cert.x509
        .extensions()
        .iter()
        .filter(|e| e.critical)
        .map(|e| e.oid.to_id_string())
        .find(|oid| !UNDERSTOOD_EXTENSIONS.iter().any(|(known, _)| known == oid))
}

/// The largest signature a key of `kind` makes, in bytes: what a
/// placeholder is sized for, and the most a verifier reads for that key.
pub fn max_signature_len(kind: KeyKind) -> usize {
    match kind {
        KeyKind::Rsa { bits } => bits.div_ceil(8),
        // DER SEQUENCE of two INTEGERs, each up to one byte longer than the
        // field (a leading zero), with their headers.
        KeyKind::EcP256 => 72,
        KeyKind::EcP384 => 104,
        KeyKind::Ed25519 => 64,
    }
}

/// How a validation treats missing or out-of-date revocation data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RevocationPolicy {
    /// Pass with a warning when no current revocation data is available.
    #[default]
    Soft,
    /// No current revocation data: INDETERMINATE (EN 319 102-1 §5.2.6).
    Hard,
}

impl std::str::FromStr for RevocationPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "soft" => Ok(Self::Soft),
            "hard" => Ok(Self::Hard),
            other => Err(format!("revocation policy {other:?}: expected soft or hard")),
        }
    }
}

/// What is missing about a certificate's revocation status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationGap {
    /// No CRL from the issuer at all (EN 319 102-1: TRY_LATER).
    NoData,
    /// Only CRLs past their nextUpdate (EN 319 102-1:
    /// REVOCATION_OUT_OF_BOUNDS_NO_POE).
    NotCurrent,
}

/// What a gap amounts to under a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationOutcome {
    /// Accepted, with a warning.
    Warn,
    /// The signature's status cannot be determined.
    Indeterminate,
}

/// The revocation table: either gap is a warning under the soft policy and
/// leaves the signature indeterminate under the hard one (the gap decides
/// the sub-indication).
pub fn revocation_outcome(policy: RevocationPolicy) -> RevocationOutcome {
    match policy {
        RevocationPolicy::Soft => RevocationOutcome::Warn,
        RevocationPolicy::Hard => RevocationOutcome::Indeterminate,
    }
}

//! Certificate path building and validation (RFC 5280 §6, the parts a
//! document-signature validator needs).

use super::{Cert, TrustStore, algorithms::AlgorithmError};
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

/// Longest path accepted, trust anchor included.
const MAX_DEPTH: usize = 8;
/// Most signature verifications spent on building one path.
const MAX_SIGNATURE_CHECKS: usize = 64;

/// Why no acceptable path was found.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PathError {
    #[error("no certificate chain to a trusted root")]
    NoChain,
    #[error("chain constraints not met: {0}")]
    Constraints(String),
    #[error("chain uses an algorithm refused by policy: {0}")]
    Crypto(String),
    #[error("path building gave up after {MAX_SIGNATURE_CHECKS} signature checks")]
    Budget,
}

impl PathError {
    /// Preference when several failed candidates exist: the most specific wins.
    fn rank(&self) -> u8 {
        match self {
            PathError::NoChain => 0,
            PathError::Budget => 1,
            PathError::Crypto(_) => 2,
            PathError::Constraints(_) => 3,
        }
    }
}

/// What the certificate at the end of the path is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    /// A document signer: digitalSignature or nonRepudiation if keyUsage is present.
    DocumentSigning,
    /// A time-stamping authority: extended key usage id-kp-timeStamping.
    TimeStamping,
    /// vanthu signing a receipt: as a document signer, and the extended key
    /// usage [`RECEIPT_SIGNING`].
    ReceiptSigning,
}

/// A path from the end-entity (index 0) to a trust anchor (last).
pub struct CertPath<'a> {
    pub certs: Vec<Cert<'a>>,
}

struct Builder<'a, 'p> {
    pool: &'p [Cert<'a>],
    anchors: &'p [Cert<'a>],
    checks: usize,
    best_error: PathError,
}

/// Builds a path from `leaf` through certificates of `pool` to an anchor of
/// `store`, checking signatures and CA constraints; then checks the leaf's
/// usage. Validity periods and revocation are checked by the caller, who
/// knows the relevant times.
pub fn build<'a>(
    leaf: &'a [u8],
    pool: &[&'a [u8]],
    store: &'a TrustStore,
    usage: Usage,
) -> Result<CertPath<'a>, PathError> {
    let leaf = Cert::parse(leaf).map_err(|e| PathError::Constraints(format!("signer certificate unreadable: {e}")))?;
    check_usage(&leaf, usage)?;
    let pool: Vec<Cert<'a>> = pool.iter().filter_map(|raw| Cert::parse(raw).ok()).collect();
    let anchors: Vec<Cert<'a>> = store.anchors().filter_map(|raw| Cert::parse(raw).ok()).collect();
    if anchors.iter().any(|a| a.raw == leaf.raw) {
        return Ok(CertPath { certs: vec![leaf] });
    }
    let mut b = Builder { pool: &pool, anchors: &anchors, checks: 0, best_error: PathError::NoChain };
    let mut chain = vec![leaf.raw];
    match b.extend(&leaf, &mut chain) {
        Some(raws) => {
            let certs = raws.into_iter().filter_map(|raw| Cert::parse(raw).ok()).collect();
            Ok(CertPath { certs })
        }
        None => Err(b.best_error),
    }
}

impl<'a> Builder<'a, '_> {
    fn note(&mut self, e: PathError) {
        if e.rank() > self.best_error.rank() {
            self.best_error = e;
        }
    }

    /// Depth-first search upward from `current`; `chain` holds the raw
    /// certificates so far (leaf first) and is returned completed.
    fn extend(&mut self, current: &Cert<'a>, chain: &mut Vec<&'a [u8]>) -> Option<Vec<&'a [u8]>> {
        let candidates = self.anchors.iter().map(|c| (c, true)).chain(self.pool.iter().map(|c| (c, false)));
        for (issuer, is_anchor) in candidates {
            if issuer.subject_raw() != current.issuer_raw() || chain.contains(&issuer.raw) {
                continue;
            }
            if self.checks >= MAX_SIGNATURE_CHECKS {
                self.note(PathError::Budget);
                return None;
            }
            self.checks += 1;
            match current.verify_signed_by(issuer) {
                Ok(()) => {}
                Err(AlgorithmError::Policy(p)) => {
                    self.note(PathError::Crypto(p));
                    continue;
                }
                Err(_) => continue,
            }
            // An anchor is trusted as configured; its own constraints are the
            // administrator's decision. Intermediates must be CAs allowed to sign.
            if !is_anchor {
                let below = chain.len() - 1; // intermediates already under this one
                if let Err(e) = check_ca(issuer, below) {
                    self.note(e);
                    continue;
                }
            }
            chain.push(issuer.raw);
            if is_anchor {
                return Some(chain.clone());
            }
            if chain.len() < MAX_DEPTH
                && let Some(done) = self.extend(issuer, chain)
            {
                return Some(done);
            }
            chain.pop();
        }
        None
    }
}

fn check_ca(cert: &Cert<'_>, intermediates_below: usize) -> Result<(), PathError> {
    let name = cert.subject_text();
    match cert.x509.basic_constraints() {
        Ok(Some(bc)) if bc.value.ca => {
            if let Some(max) = bc.value.path_len_constraint
                && intermediates_below > max as usize
            {
                return Err(PathError::Constraints(format!("path length constraint of {name} exceeded")));
            }
        }
        Ok(_) => {
            return Err(PathError::Constraints(format!("{name} is not a CA certificate")));
        }
        Err(_) => {
            return Err(PathError::Constraints(format!("{name} has malformed basic constraints")));
        }
    }
    match cert.x509.key_usage() {
        Ok(Some(ku)) if !ku.value.key_cert_sign() => {
            Err(PathError::Constraints(format!("{name} may not sign certificates (key usage)")))
        }
        Ok(_) => Ok(()),
        Err(_) => Err(PathError::Constraints(format!("{name} has a malformed key usage"))),
    }
}

/// The table of what an end-entity certificate needs for each use.
pub fn check_usage(cert: &Cert<'_>, usage: Usage) -> Result<(), PathError> {
    match usage {
        Usage::DocumentSigning => match cert.x509.key_usage() {
            // RFC 5280 §4.2.1.3: without the extension the key is not restricted.
            Ok(None) => Ok(()),
            Ok(Some(ku)) if ku.value.digital_signature() || ku.value.non_repudiation() => Ok(()),
            Ok(Some(_)) => Err(PathError::Constraints(
                "signer certificate key usage allows neither digitalSignature nor nonRepudiation".into(),
            )),
            Err(_) => Err(PathError::Constraints("signer certificate has a malformed key usage".into())),
        },
        Usage::TimeStamping => match cert.x509.extended_key_usage() {
            Ok(Some(eku)) if eku.value.time_stamping => Ok(()),
            _ => Err(PathError::Constraints("TSA certificate lacks the timeStamping extended key usage".into())),
        },
        Usage::ReceiptSigning => {
            check_usage(cert, Usage::DocumentSigning)?;
            match cert.x509.extended_key_usage() {
                Ok(Some(eku)) if eku.value.other.iter().any(|o| o.as_bytes() == RECEIPT_SIGNING.0) => Ok(()),
                _ => Err(PathError::Constraints(
                    "certificate lacks vanthu's receipt-signing extended key usage: it is not vanthu's receipt certificate"
                        .into(),
                )),
            }
        }
    }
}

/// Which certificate of a path is outside its validity period at `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValidityError {
    Expired { subject: String, not_after: time::OffsetDateTime },
    NotYetValid { subject: String, not_before: time::OffsetDateTime },
}

impl std::fmt::Display for ValidityError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ValidityError::Expired { subject, not_after } => {
                write!(f, "certificate {subject} expired on {}", crate::asn1::time::fmt_time(*not_after))
            }
            ValidityError::NotYetValid { subject, not_before } => {
                write!(f, "certificate {subject} is not valid before {}", crate::asn1::time::fmt_time(*not_before))
            }
        }
    }
}

impl CertPath<'_> {
    /// Checks every certificate but the anchor against `at`.
    pub fn check_validity(&self, at: time::OffsetDateTime) -> Result<(), ValidityError> {
        let n = self.certs.len().saturating_sub(1).max(1);
        for c in self.certs.iter().take(n) {
            if at > c.not_after() {
                return Err(ValidityError::Expired { subject: c.subject_text(), not_after: c.not_after() });
            }
            if at < c.not_before() {
                return Err(ValidityError::NotYetValid { subject: c.subject_text(), not_before: c.not_before() });
            }
        }
        Ok(())
    }
}

//! Certificate revocation lists supplied by the validator's operator.
//!
//! A CRL counts only after its signature verifies with the key of the
//! certificate it claims to come from (the issuer of the certificate being
//! checked, found in the validated path); otherwise anybody could "un-revoke"
//! a certificate with a forged list.
//!
//! A CRL is current until its nextUpdate: past it, the CA has promised a
//! newer list, and the old one can no longer show that a certificate is
//! good (a certificate revoked since would not be in it). Such a list is
//! not used to say "good"; the caller's [`RevocationPolicy`] decides what
//! the missing answer amounts to. A certificate it lists stays revoked:
//! revocation is not undone by the list ageing.
//!
//! [`RevocationPolicy`]: super::policy::RevocationPolicy

use super::{Cert, PkiError, algorithms, pem_or_der, signed_structure};

/// The revocation status of one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    /// A verified CRL from the issuer covers the certificate and does not list it.
    Good,
    /// Listed in a verified CRL from the issuer.
    Revoked { date: time::OffsetDateTime, reason: Option<String> },
    /// CRLs from this issuer were given and verify, but every one is past
    /// its nextUpdate (or has none) at the time of the check.
    NotCurrent { next_update: Option<time::OffsetDateTime> },
    /// No usable CRL from this issuer was given.
    Unknown,
}

/// The CRLs given for a validation.
#[derive(Default, Clone)]
pub struct CrlSet {
    crls: Vec<Vec<u8>>,
}

impl CrlSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the CRLs in a DER or PEM file's contents.
    pub fn add(&mut self, data: &[u8], source: &str) -> Result<usize, PkiError> {
        let ders = pem_or_der(data, "X509 CRL", source)?;
        if ders.is_empty() {
            return Err(PkiError::BadCrl(source.to_string(), "no CRL found".into()));
        }
        for der in &ders {
            x509_parser::parse_x509_crl(der).map_err(|e| PkiError::BadCrl(source.to_string(), e.to_string()))?;
            signed_structure(der).map_err(|e| PkiError::BadCrl(source.to_string(), e.to_string()))?;
        }
        let n = ders.len();
        self.crls.extend(ders);
        Ok(n)
    }

    /// Replaces every CRL from the issuer of `der` with `der` (a CA's newer
    /// list supersedes its older one; other issuers' lists stay).
    pub fn replace(&mut self, der: &[u8], source: &str) -> Result<(), PkiError> {
        let (_, new) =
            x509_parser::parse_x509_crl(der).map_err(|e| PkiError::BadCrl(source.to_string(), e.to_string()))?;
        let issuer = new.issuer().as_raw().to_vec();
        self.crls.retain(|old| {
            x509_parser::parse_x509_crl(old).map_or(true, |(_, c)| c.issuer().as_raw() != issuer.as_slice())
        });
        self.add(der, source).map(|_| ())
    }

    /// Drops the CRL `der` (its CA is no longer trusted).
    pub fn remove(&mut self, der: &[u8]) {
        self.crls.retain(|c| c.as_slice() != der);
    }

    pub fn is_empty(&self) -> bool {
        self.crls.is_empty()
    }

    /// Whether any CRL given names `issuer` as its issuer (verified or not):
    /// the operator holds that CA's list.
    pub fn names_issuer(&self, issuer: &Cert<'_>) -> bool {
        self.crls.iter().any(|der| {
            x509_parser::parse_x509_crl(der).is_ok_and(|(_, crl)| crl.issuer().as_raw() == issuer.subject_raw())
        })
    }

    /// Status of `cert` according to the CRLs issued by `issuer`, checked at
    /// `at`. CRLs that name the issuer but fail verification are ignored,
    /// and said so in `warnings`.
    pub fn status(
        &self,
        cert: &Cert<'_>,
        issuer: &Cert<'_>,
        at: time::OffsetDateTime,
        warnings: &mut Vec<String>,
    ) -> Revocation {
        let mut checked = false;
        let mut stale: Option<Revocation> = None;
        for der in &self.crls {
            let Ok((_, crl)) = x509_parser::parse_x509_crl(der) else {
                continue;
            };
            if crl.issuer().as_raw() != issuer.subject_raw() {
                continue;
            }
            let Ok((tbs, alg, params, sig)) = signed_structure(der) else {
                continue;
            };
            let check = || algorithms::verify_signature(issuer.spki(), alg, params, None, tbs, sig).map(|_| ());
            if let Err(e) = super::verified::remembered(issuer.spki(), der, check) {
                warnings.push(format!("CRL of {} ignored: {e}", issuer.subject_text()));
                continue;
            }
            if let Err(e) = super::policy::check_crl_issuer(issuer) {
                warnings.push(format!("CRL of {} ignored: {e}", issuer.subject_text()));
                continue;
            }
            let serial = strip(cert.x509.raw_serial());
            if let Some(entry) = crl.iter_revoked_certificates().find(|r| strip(r.raw_serial()) == serial) {
                return Revocation::Revoked {
                    date: entry.revocation_date.to_datetime(),
                    reason: entry.reason_code().map(|(_, r)| format!("{r}")),
                };
            }
            let next_update = crl.next_update().map(|t| t.to_datetime());
            if next_update.is_some_and(|t| at <= t) {
                checked = true;
            } else {
                stale = Some(Revocation::NotCurrent { next_update });
            }
        }
        match (checked, stale) {
            (true, _) => Revocation::Good,
            (false, Some(s)) => s,
            (false, None) => Revocation::Unknown,
        }
    }
}

fn strip(v: &[u8]) -> &[u8] {
    let i = v.iter().position(|&b| b != 0).unwrap_or(v.len());
    &v[i..]
}

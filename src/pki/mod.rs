//! Certificates: parsing, the trust store, path building and validation, CRLs,
//! the policy table of what a certificate must allow ([`policy`]), and
//! private keys sealed at rest ([`keystore`]).
//!
//! A path exists only where each certificate's signature verifies with the
//! next certificate's key; names only propose candidates. Path building has a
//! budget (depth and signature checks) so a CMS stuffed with look-alike
//! certificates cannot make validation expensive.

pub mod algorithms;
pub mod ca;
pub mod crl;
pub mod keys;
pub mod keystore;
pub mod path;
pub mod pkcs12;
pub mod policy;
pub mod verified;

use crate::asn1::der::{self, Oid, Tlv, tag};
use thiserror::Error;
use x509_parser::certificate::X509Certificate;

/// Why certificate material could not be loaded.
#[derive(Debug, Error)]
pub enum PkiError {
    #[error("no certificate found in {0}")]
    NoCertificate(String),
    #[error("malformed certificate in {0}: {1}")]
    BadCertificate(String, CertError),
    #[error("malformed CRL in {0}: {1}")]
    BadCrl(String, String),
    #[error("malformed PEM in {0}")]
    BadPem(String),
}

/// Why bytes are not a certificate.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CertError {
    /// Not an X.509 certificate as x509-parser reads it.
    #[error("{0}")]
    Malformed(x509_parser::error::X509Error),
    #[error("the certificate ends early")]
    Truncated,
    #[error("trailing data after certificate")]
    TrailingData,
    /// Readable as X.509, but not the three-part signed structure whose
    /// slices signature checks need.
    #[error("{0}")]
    Structure(#[from] der::DerError),
}

/// A certificate parsed once, with the slices signature checks need.
pub struct Cert<'a> {
    pub raw: &'a [u8],
    pub x509: X509Certificate<'a>,
    tbs: &'a [u8],
    sig_alg: Oid<'a>,
    sig_params: Option<Tlv<'a>>,
    signature: &'a [u8],
}

impl<'a> Cert<'a> {
    pub fn parse(raw: &'a [u8]) -> Result<Self, CertError> {
        let (rest, x509) = x509_parser::parse_x509_certificate(raw).map_err(|e| match e {
            x509_parser::nom::Err::Error(e) | x509_parser::nom::Err::Failure(e) => CertError::Malformed(e),
            x509_parser::nom::Err::Incomplete(_) => CertError::Truncated,
        })?;
        if !rest.is_empty() {
            return Err(CertError::TrailingData);
        }
        let (tbs, sig_alg, sig_params, signature) = signed_structure(raw)?;
        Ok(Cert { raw, x509, tbs, sig_alg, sig_params, signature })
    }

    /// The SubjectPublicKeyInfo DER.
    pub fn spki(&self) -> &[u8] {
        self.x509.public_key().raw
    }

    pub fn subject_raw(&self) -> &[u8] {
        self.x509.subject().as_raw()
    }

    pub fn issuer_raw(&self) -> &[u8] {
        self.x509.issuer().as_raw()
    }

    /// Whether `issuer`'s key verifies this certificate's signature.
    pub fn verify_signed_by(&self, issuer: &Cert<'_>) -> Result<(), algorithms::AlgorithmError> {
        verified::remembered(issuer.spki(), self.raw, || {
            algorithms::verify_signature(issuer.spki(), self.sig_alg, self.sig_params, None, self.tbs, self.signature)
                .map(|_| ())
        })
    }

    pub fn not_before(&self) -> time::OffsetDateTime {
        self.x509.validity().not_before.to_datetime()
    }

    pub fn not_after(&self) -> time::OffsetDateTime {
        self.x509.validity().not_after.to_datetime()
    }

    /// Subject as text (UTF-8 names kept intact).
    pub fn subject_text(&self) -> String {
        name_text(self.x509.subject())
    }

    pub fn issuer_text(&self) -> String {
        name_text(self.x509.issuer())
    }

    /// Serial number in hex.
    pub fn serial_hex(&self) -> String {
        hex_upper(strip_zeros(self.x509.raw_serial()))
    }
}

fn strip_zeros(v: &[u8]) -> &[u8] {
    let i = v.iter().position(|&b| b != 0).unwrap_or(v.len().saturating_sub(1));
    &v[i..]
}

pub(crate) fn hex_upper(v: &[u8]) -> String {
    v.iter().map(|b| format!("{b:02X}")).collect()
}

/// RFC 4514-like text of a name, most specific attribute first, keeping
/// UTF-8 text intact.
pub fn name_text(name: &x509_parser::x509::X509Name<'_>) -> String {
    let mut parts = Vec::new();
    for rdn in name.iter() {
        for atv in rdn.iter() {
            let key = match atv.attr_type().to_id_string().as_str() {
                "2.5.4.3" => "CN".to_string(),
                "2.5.4.6" => "C".into(),
                "2.5.4.7" => "L".into(),
                "2.5.4.8" => "ST".into(),
                "2.5.4.10" => "O".into(),
                "2.5.4.11" => "OU".into(),
                "2.5.4.12" => "T".into(),
                "2.5.4.5" => "SERIALNUMBER".into(),
                "1.2.840.113549.1.9.1" => "E".into(),
                "0.9.2342.19200300.100.1.1" => "UID".into(),
                other => other.to_string(),
            };
            let value =
                atv.as_str().map(str::to_string).unwrap_or_else(|_| format!("#{}", hex_upper(atv.attr_value().data)));
            parts.push(format!("{key}={value}"));
        }
    }
    parts.reverse();
    parts.join(", ")
}

/// Splits a signed X.509 structure (certificate or CRL) into the signed
/// part, the algorithm, its parameters and the signature bits.
/// The parts of a signed X.509 structure: signed bytes, algorithm, its
/// parameters, signature.
type SignedParts<'a> = (&'a [u8], Oid<'a>, Option<Tlv<'a>>, &'a [u8]);

fn signed_structure(raw: &[u8]) -> Result<SignedParts<'_>, der::DerError> {
    let top = der::parse_prefix(raw)?;
    let mut r = top.reader();
    let tbs = r.expect(tag::SEQUENCE)?.raw;
    let (alg, params) = der::algorithm_identifier(r.expect(tag::SEQUENCE)?)?;
    let bits = r.expect(tag::BIT_STRING)?;
    r.finish()?;
    match bits.value.split_first() {
        Some((0, sig)) => Ok((tbs, alg, params, sig)),
        _ => Err(der::DerError::Malformed("signature bit string")),
    }
}

/// Decodes PEM blocks with the given label, or takes the input as one DER
/// object when it is not PEM.
pub fn pem_or_der(data: &[u8], label: &str, source: &str) -> Result<Vec<Vec<u8>>, PkiError> {
    if !data.starts_with(b"-----") && !data.windows(11).take(4096).any(|w| w == b"-----BEGIN ") {
        return Ok(vec![data.to_vec()]);
    }
    let mut out = Vec::new();
    for pem in x509_parser::pem::Pem::iter_from_buffer(data) {
        let pem = pem.map_err(|_| PkiError::BadPem(source.to_string()))?;
        if pem.label == label || (label == "X509 CRL" && pem.label == "CRL") {
            out.push(pem.contents);
        }
    }
    Ok(out)
}

/// Trust anchors: certificates accepted as the end of a path.
#[derive(Default, Clone)]
pub struct TrustStore {
    anchors: Vec<Vec<u8>>,
}

impl TrustStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds every certificate in a PEM (or single DER) file's contents.
    pub fn add_pem(&mut self, data: &[u8], source: &str) -> Result<usize, PkiError> {
        let certs = pem_or_der(data, "CERTIFICATE", source)?;
        if certs.is_empty() {
            return Err(PkiError::NoCertificate(source.to_string()));
        }
        for der in &certs {
            Cert::parse(der).map_err(|e| PkiError::BadCertificate(source.to_string(), e))?;
        }
        let n = certs.len();
        self.anchors.extend(certs);
        Ok(n)
    }

    /// Stops trusting the anchor `der` (an external CA removed at run time).
    pub fn remove(&mut self, der: &[u8]) {
        self.anchors.retain(|a| a.as_slice() != der);
    }

    pub fn anchors(&self) -> impl Iterator<Item = &[u8]> {
        self.anchors.iter().map(Vec::as_slice)
    }

    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }
}

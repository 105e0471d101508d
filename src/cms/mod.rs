//! CMS SignedData (RFC 5652) as used by PDF signatures and RFC 3161 timestamps.
//!
//! Reading is done over the original bytes with [`crate::asn1::der`], so
//! every structure whose exact encoding matters (signed attributes,
//! certificates, TSTInfo) is available as the slice that arrived. [`verify_signer`] checks one signer
//! info against an expected content digest: attributes, the ESS signing
//! certificate binding, and the signature through the algorithm table in
//! [`crate::pki::algorithms`].

pub mod build;
pub mod timestamp;
pub mod tsa;
pub mod tsp;

use crate::asn1::der::{self, DerError, Oid, Reader, Tlv, tag};
use crate::asn1::oid;
use crate::pki::algorithms::{self, AlgorithmError, DigestAlgorithm, VerifiedAlgorithm};
use thiserror::Error;

/// Most certificates we accept inside one SignedData.
const MAX_CERTIFICATES: usize = 64;

/// Why a CMS structure was rejected.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CmsError {
    #[error("malformed CMS: {0}")]
    Malformed(#[from] DerError),
    #[error("CMS content is not SignedData")]
    NotSignedData,
    #[error("CMS must carry exactly one signer, found {0}")]
    SignerCount(usize),
    #[error("CMS carries more than {MAX_CERTIFICATES} certificates")]
    TooManyCertificates,
    #[error("the signer's certificate is not in the CMS")]
    SignerCertificateNotFound,
    #[error("signed attribute {0} is missing")]
    MissingAttribute(&'static str),
    #[error("signed attribute {0} is malformed")]
    BadAttribute(&'static str),
    #[error("contentType attribute does not match the encapsulated content type")]
    ContentTypeMismatch,
    #[error("the message digest does not match the signed data")]
    DigestMismatch,
    #[error("the signing-certificate attribute does not match the signer's certificate")]
    SigningCertificateMismatch,
    #[error("signatures without signed attributes are not supported")]
    NoSignedAttributes,
    #[error("{0}")]
    Algorithm(#[from] AlgorithmError),
}

/// Who signed: the identifier in the SignerInfo.
#[derive(Debug, Clone, Copy)]
pub enum SignerId<'a> {
    /// Raw issuer Name DER and serial number value bytes.
    IssuerSerial {
        issuer: &'a [u8],
        serial: &'a [u8],
    },
    SubjectKeyId(&'a [u8]),
}

/// One SignerInfo, as slices of the input.
#[derive(Debug, Clone)]
pub struct SignerInfo<'a> {
    pub sid: SignerId<'a>,
    pub digest_algorithm: Oid<'a>,
    /// The `[0] IMPLICIT` element holding the signed attributes, as received.
    pub signed_attrs: Option<Tlv<'a>>,
    pub signature_algorithm: Oid<'a>,
    pub signature_params: Option<Tlv<'a>>,
    pub signature: &'a [u8],
    pub unsigned_attrs: Option<Tlv<'a>>,
}

/// A parsed SignedData.
#[derive(Debug, Clone)]
pub struct SignedData<'a> {
    pub econtent_type: Oid<'a>,
    /// The encapsulated content (absent for detached signatures).
    pub econtent: Option<&'a [u8]>,
    /// Raw DER of each embedded certificate.
    pub certificates: Vec<&'a [u8]>,
    pub signer_infos: Vec<SignerInfo<'a>>,
}

/// Parses a ContentInfo holding SignedData. Returns it and the length of the
/// DER element (bytes after it, e.g. PDF zero padding, are not looked at).
pub fn parse_signed_data(input: &[u8]) -> Result<(SignedData<'_>, usize), CmsError> {
    let ci = der::parse_prefix(input)?;
    if ci.tag != tag::SEQUENCE {
        return Err(CmsError::NotSignedData);
    }
    let mut r = ci.reader();
    let ct = r.expect(tag::OID)?;
    if Oid(ct.value) != oid::SIGNED_DATA {
        return Err(CmsError::NotSignedData);
    }
    let content = r.expect(tag::ctx_cons(0))?;
    let sd = content.reader().expect(tag::SEQUENCE)?;
    let mut r = sd.reader();
    r.expect(tag::INTEGER)?;
    r.expect(tag::SET)?; // digestAlgorithms: informative only; each signer names its own
    let eci = r.expect(tag::SEQUENCE)?;
    let mut er = eci.reader();
    let econtent_type = Oid(er.expect(tag::OID)?.value);
    let econtent = match er.optional(tag::ctx_cons(0))? {
        Some(wrapper) => Some(wrapper.reader().expect(tag::OCTET_STRING)?.value),
        None => None,
    };
    let mut certificates = Vec::new();
    if let Some(certs) = r.optional(tag::ctx_cons(0))? {
        let mut cr = certs.reader();
        while !cr.is_empty() {
            let c = cr.any()?;
            // Other certificate formats (attribute certificates, [n] choices) are skipped.
            if c.tag == tag::SEQUENCE {
                if certificates.len() == MAX_CERTIFICATES {
                    return Err(CmsError::TooManyCertificates);
                }
                certificates.push(c.raw);
            }
        }
    }
    r.optional(tag::ctx_cons(1))?; // crls: revocation data comes from the validator's own sources
    let sis = r.expect(tag::SET)?;
    let mut signer_infos = Vec::new();
    let mut sr = sis.reader();
    while !sr.is_empty() {
        if signer_infos.len() == 8 {
            return Err(CmsError::SignerCount(9));
        }
        signer_infos.push(parse_signer_info(sr.expect(tag::SEQUENCE)?)?);
    }
    Ok((SignedData { econtent_type, econtent, certificates, signer_infos }, ci.raw.len()))
}

fn parse_signer_info(tlv: Tlv<'_>) -> Result<SignerInfo<'_>, CmsError> {
    let mut r = tlv.reader();
    r.expect(tag::INTEGER)?;
    let sid = match r.peek_tag() {
        Some(tag::SEQUENCE) => {
            let ias = r.any()?;
            let mut ir = ias.reader();
            let issuer = ir.expect(tag::SEQUENCE)?.raw;
            let serial = ir.expect(tag::INTEGER)?.value;
            SignerId::IssuerSerial { issuer, serial }
        }
        _ => SignerId::SubjectKeyId(r.expect(tag::ctx_prim(0))?.value),
    };
    let (digest_algorithm, _) = der::algorithm_identifier(r.expect(tag::SEQUENCE)?)?;
    let signed_attrs = r.optional(tag::ctx_cons(0))?;
    let (signature_algorithm, signature_params) = der::algorithm_identifier(r.expect(tag::SEQUENCE)?)?;
    let signature = r.expect(tag::OCTET_STRING)?.value;
    let unsigned_attrs = r.optional(tag::ctx_cons(1))?;
    r.finish()?;
    Ok(SignerInfo {
        sid,
        digest_algorithm,
        signed_attrs,
        signature_algorithm,
        signature_params,
        signature,
        unsigned_attrs,
    })
}

/// Iterates `(type, values)` of an attribute set (signed or unsigned).
pub fn attributes<'a>(set: Tlv<'a>) -> impl Iterator<Item = Result<(Oid<'a>, Tlv<'a>), DerError>> {
    let mut r = set.reader();
    std::iter::from_fn(move || {
        if r.is_empty() {
            return None;
        }
        Some((|| {
            let attr = r.expect(tag::SEQUENCE)?;
            let mut ar = attr.reader();
            let t = Oid(ar.expect(tag::OID)?.value);
            let values = ar.expect(tag::SET)?;
            ar.finish()?;
            Ok((t, values))
        })())
    })
}

/// The single value of an attribute, or an error naming it.
fn single_value<'a>(values: Tlv<'a>, name: &'static str) -> Result<Tlv<'a>, CmsError> {
    let mut r = values.reader();
    let v = r.any().map_err(|_| CmsError::BadAttribute(name))?;
    if !r.is_empty() {
        return Err(CmsError::BadAttribute(name));
    }
    Ok(v)
}

/// Finds the certificate a signer info points at.
pub fn find_signer_certificate<'a>(sd: &SignedData<'a>, si: &SignerInfo<'_>) -> Option<&'a [u8]> {
    sd.certificates.iter().copied().find(|raw| {
        let Ok((_, cert)) = x509_parser::parse_x509_certificate(raw) else {
            return false;
        };
        match si.sid {
            SignerId::IssuerSerial { issuer, serial } => {
                cert.issuer().as_raw() == issuer && strip_zeros(cert.raw_serial()) == strip_zeros(serial)
            }
            SignerId::SubjectKeyId(ski) => cert.extensions().iter().any(|e| {
                matches!(e.parsed_extension(), x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(k) if k.0 == ski)
            }),
        }
    })
}

fn strip_zeros(v: &[u8]) -> &[u8] {
    let i = v.iter().position(|&b| b != 0).unwrap_or(v.len());
    &v[i..]
}

/// What a verified signer info establishes.
#[derive(Debug, Clone)]
pub struct VerifiedSigner<'a> {
    pub certificate: &'a [u8],
    pub digest: DigestAlgorithm,
    pub algorithm: VerifiedAlgorithm,
    /// The signer's claimed signing time (signingTime attribute), if any.
    pub claimed_time: Option<time::OffsetDateTime>,
}

/// The digest algorithm a signer info declares, refused by policy if weak.
pub fn signer_digest(si: &SignerInfo<'_>) -> Result<DigestAlgorithm, CmsError> {
    Ok(DigestAlgorithm::from_oid(si.digest_algorithm)?)
}

/// Verifies the only signer of `sd` against `content_digest`, the digest of
/// the signed content computed with [`signer_digest`]'s algorithm.
///
/// Order matters for the report: structure first, then the digest (a
/// mismatch is a HASH_FAILURE), then the signature (SIG_CRYPTO_FAILURE).
pub fn verify_signer<'a>(sd: &SignedData<'a>, content_digest: &[u8]) -> Result<VerifiedSigner<'a>, CmsError> {
    let [si] = sd.signer_infos.as_slice() else {
        return Err(CmsError::SignerCount(sd.signer_infos.len()));
    };
    let digest = signer_digest(si)?;
    let certificate = find_signer_certificate(sd, si).ok_or(CmsError::SignerCertificateNotFound)?;
    let attrs = si.signed_attrs.ok_or(CmsError::NoSignedAttributes)?;
    let mut content_type = None;
    let mut message_digest = None;
    let mut claimed_time = None;
    let mut ess: Option<(Tlv<'_>, bool)> = None;
    for a in attributes(attrs) {
        let (t, values) = a?;
        if t == oid::CONTENT_TYPE {
            content_type = Some(Oid(single_value(values, "contentType")?.value));
        } else if t == oid::MESSAGE_DIGEST {
            let v = single_value(values, "messageDigest")?;
            if v.tag != tag::OCTET_STRING {
                return Err(CmsError::BadAttribute("messageDigest"));
            }
            message_digest = Some(v.value);
        } else if t == oid::SIGNING_TIME {
            let v = single_value(values, "signingTime")?;
            claimed_time = Some(der::parse_time(&v).map_err(|_| CmsError::BadAttribute("signingTime"))?);
        } else if t == oid::SIGNING_CERTIFICATE_V2 {
            ess = Some((single_value(values, "signingCertificateV2")?, true));
        } else if t == oid::SIGNING_CERTIFICATE {
            ess.get_or_insert((single_value(values, "signingCertificate")?, false));
        }
    }
    if content_type.ok_or(CmsError::MissingAttribute("contentType"))? != sd.econtent_type {
        return Err(CmsError::ContentTypeMismatch);
    }
    if message_digest.ok_or(CmsError::MissingAttribute("messageDigest"))? != content_digest {
        return Err(CmsError::DigestMismatch);
    }
    if let Some((value, v2)) = ess {
        check_signing_certificate(value, v2, certificate)?;
    }
    // The signature covers the DER of the attributes as a SET OF (tag 0x31),
    // not the [0] IMPLICIT tag they travel under; the rest is the received bytes.
    let mut signed = attrs.raw.to_vec();
    signed[0] = tag::SET;
    let (_, cert) = x509_parser::parse_x509_certificate(certificate)
        .map_err(|_| CmsError::Malformed(DerError::Malformed("signer certificate")))?;
    let algorithm = algorithms::verify_signature(
        cert.public_key().raw,
        si.signature_algorithm,
        si.signature_params,
        Some(digest),
        &signed,
        si.signature,
    )?;
    Ok(VerifiedSigner { certificate, digest, algorithm, claimed_time })
}

/// ESS signing-certificate(-v2): the first ESSCertID must hash to the signer's
/// certificate, binding the signature to it (no certificate substitution).
fn check_signing_certificate(value: Tlv<'_>, v2: bool, certificate: &[u8]) -> Result<(), CmsError> {
    let name = if v2 { "signingCertificateV2" } else { "signingCertificate" };
    let bad = |_| CmsError::BadAttribute(name);
    let mut r = value.reader();
    let certs = r.expect(tag::SEQUENCE).map_err(bad)?;
    let first = certs.reader().expect(tag::SEQUENCE).map_err(bad)?;
    let mut fr = first.reader();
    let (alg, hash): (&'static ring::digest::Algorithm, &[u8]) = if v2 {
        let alg = match fr.optional(tag::SEQUENCE).map_err(bad)? {
            Some(a) => DigestAlgorithm::from_oid(der::algorithm_identifier(a).map_err(bad)?.0)?.ring(),
            None => &ring::digest::SHA256,
        };
        (alg, fr.expect(tag::OCTET_STRING).map_err(bad)?.value)
    } else {
        // ESS v1 identifies the certificate by SHA-1; this is a lookup, not a
        // security-relevant signature, so the legacy digest is acceptable here.
        (&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, fr.expect(tag::OCTET_STRING).map_err(bad)?.value)
    };
    if ring::digest::digest(alg, certificate).as_ref() != hash {
        return Err(CmsError::SigningCertificateMismatch);
    }
    Ok(())
}

/// The signature timestamp token, if the signer info carries one.
pub fn timestamp_token<'a>(si: &SignerInfo<'a>) -> Result<Option<&'a [u8]>, CmsError> {
    let Some(set) = si.unsigned_attrs else {
        return Ok(None);
    };
    for a in attributes(set) {
        let (t, values) = a?;
        if t == oid::TIMESTAMP_TOKEN {
            return Ok(Some(single_value(values, "signatureTimeStampToken")?.raw));
        }
    }
    Ok(None)
}

/// Reads the first element of a reader, for callers outside this module.
pub fn first_element(data: &[u8]) -> Result<Tlv<'_>, DerError> {
    Reader::new(data).any()
}

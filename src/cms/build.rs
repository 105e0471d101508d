//! Writing CMS: the SignedData structures vanthu produces (PAdES signer
//! infos and RFC 3161 timestamp tokens), over the DER writer in
//! [`crate::asn1::write`].
//!
//! Everything is built as DER from parts whose encoding we control, so what
//! is signed is exactly what is written: the signed attributes are encoded
//! once, hashed, signed, and embedded as those same bytes.

use crate::asn1::der::{Oid, tag};
use crate::asn1::oid;
use crate::asn1::write::{alg, alg_null, generalized_time, octets, oid, seq, set_of, small_int, tlv, uint};
use crate::pki::algorithms::{self, DigestAlgorithm};

fn attribute(t: Oid<'_>, value: Vec<u8>) -> Vec<u8> {
    seq(&[&oid(t), &set_of(vec![value])])
}

/// The signer's identity as the CMS and ESS need it.
pub struct SignerIdentity<'a> {
    /// Raw DER of the signer's certificate.
    pub certificate: &'a [u8],
    /// Raw issuer Name and serial number value of that certificate.
    pub issuer: &'a [u8],
    pub serial: &'a [u8],
}

impl<'a> SignerIdentity<'a> {
    pub fn from_cert(cert: &'a crate::pki::Cert<'a>) -> Self {
        SignerIdentity { certificate: cert.raw, issuer: cert.issuer_raw(), serial: cert.x509.raw_serial() }
    }

    fn issuer_and_serial(&self) -> Vec<u8> {
        seq(&[self.issuer, &uint(self.serial)])
    }
}

/// A CMS `Time` (RFC 5652 §11.3): UTCTime for the years 1950 to 2049, as
/// the RFC requires, GeneralizedTime otherwise.
pub fn cms_time(t: time::OffsetDateTime) -> Vec<u8> {
    let t = t.to_offset(time::UtcOffset::UTC);
    if (1950..2050).contains(&t.year()) {
        let s = format!(
            "{:02}{:02}{:02}{:02}{:02}{:02}Z",
            t.year().rem_euclid(100),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
        tlv(tag::UTC_TIME, s.as_bytes())
    } else {
        generalized_time(t)
    }
}

/// Signed attributes: contentType, messageDigest, signing-certificate-v2,
/// returned as the DER SET (tag 0x31), which is what gets signed.
pub fn signed_attributes(content_type: Oid<'_>, message_digest: &[u8], signer: &SignerIdentity<'_>) -> Vec<u8> {
    attributes_with_time(content_type, message_digest, signer, None)
}

/// [`signed_attributes`] plus signingTime: for signatures outside a PDF
/// (receipts), where no /M entry carries the claimed time.
pub fn signed_attributes_at(
    content_type: Oid<'_>,
    message_digest: &[u8],
    signer: &SignerIdentity<'_>,
    signing_time: time::OffsetDateTime,
) -> Vec<u8> {
    attributes_with_time(content_type, message_digest, signer, Some(signing_time))
}

fn attributes_with_time(
    content_type: Oid<'_>,
    message_digest: &[u8],
    signer: &SignerIdentity<'_>,
    signing_time: Option<time::OffsetDateTime>,
) -> Vec<u8> {
    // ESSCertIDv2 with the default hash (SHA-256), so hashAlgorithm is omitted.
    let cert_hash = DigestAlgorithm::Sha256.digest(signer.certificate);
    let general_names = seq(&[&tlv(tag::ctx_cons(4), signer.issuer)]);
    let issuer_serial = seq(&[&general_names, &uint(signer.serial)]);
    let ess = seq(&[&seq(&[&seq(&[&octets(&cert_hash), &issuer_serial])])]);
    let mut attrs = vec![
        attribute(oid::CONTENT_TYPE, oid(content_type)),
        attribute(oid::MESSAGE_DIGEST, octets(message_digest)),
        attribute(oid::SIGNING_CERTIFICATE_V2, ess),
    ];
    if let Some(t) = signing_time {
        attrs.push(attribute(oid::SIGNING_TIME, cms_time(t)));
    }
    set_of(attrs)
}

/// A complete ContentInfo(SignedData) with one signer.
pub struct SignedDataParts<'a> {
    pub digest: DigestAlgorithm,
    /// eContentType and, for encapsulated content (timestamp tokens), the content.
    pub content_type: Oid<'a>,
    pub econtent: Option<&'a [u8]>,
    pub signer: SignerIdentity<'a>,
    /// Further certificates to embed (the chain), raw DER.
    pub chain: &'a [Vec<u8>],
    /// The DER SET of signed attributes, as produced by [`signed_attributes`].
    pub signed_attrs: &'a [u8],
    /// AlgorithmIdentifier DER of the signature algorithm.
    pub signature_algorithm: &'a [u8],
    pub signature: &'a [u8],
    /// DER of one unsigned attribute (the signature timestamp), if any.
    pub unsigned_attr: Option<&'a [u8]>,
}

pub fn signed_data(p: &SignedDataParts<'_>) -> Vec<u8> {
    let digest_alg = alg(p.digest.oid());
    // Signed attributes travel under [0] IMPLICIT instead of the SET tag.
    let mut attrs = p.signed_attrs.to_vec();
    if let Some(first) = attrs.first_mut() {
        *first = tag::ctx_cons(0);
    }
    let unsigned = p.unsigned_attr.map(|a| tlv(tag::ctx_cons(1), a)).unwrap_or_default();
    let signer_info = seq(&[
        &small_int(1),
        &p.signer.issuer_and_serial(),
        &digest_alg,
        &attrs,
        p.signature_algorithm,
        &octets(p.signature),
        &unsigned,
    ]);
    let econtent = match p.econtent {
        Some(c) => seq(&[&oid(p.content_type), &tlv(tag::ctx_cons(0), &octets(c))]),
        None => seq(&[&oid(p.content_type)]),
    };
    let mut certs: Vec<Vec<u8>> = vec![p.signer.certificate.to_vec()];
    certs.extend(p.chain.iter().filter(|c| c.as_slice() != p.signer.certificate).cloned());
    let certs = tlv(tag::ctx_cons(0), &certs.concat());
    let version = if p.econtent.is_some() { 3 } else { 1 };
    let sd =
        seq(&[&small_int(version), &set_of(vec![digest_alg.clone()]), &econtent, &certs, &set_of(vec![signer_info])]);
    seq(&[&oid(oid::SIGNED_DATA), &tlv(tag::ctx_cons(0), &sd)])
}

/// The unsigned attribute carrying a signature timestamp token.
pub fn timestamp_attribute(token: &[u8]) -> Vec<u8> {
    attribute(oid::TIMESTAMP_TOKEN, token.to_vec())
}

/// TSTInfo (RFC 3161 §2.4.2) for an imprint.
pub fn tst_info(
    policy: Oid<'_>,
    imprint_alg: DigestAlgorithm,
    imprint: &[u8],
    serial: &[u8],
    gen_time: time::OffsetDateTime,
    nonce: Option<&[u8]>,
) -> Vec<u8> {
    let message_imprint = seq(&[&alg(imprint_alg.oid()), &octets(imprint)]);
    let nonce = nonce.map(uint).unwrap_or_default();
    seq(&[&small_int(1), &oid(policy), &message_imprint, &uint(serial), &generalized_time(gen_time), &nonce])
}

/// The AlgorithmIdentifier DER for a signing scheme.
pub fn signature_algorithm_id(scheme: algorithms::SignatureScheme) -> Vec<u8> {
    use algorithms::SignatureScheme as S;
    match scheme {
        S::RsaPkcs1Sha256 => alg_null(algorithms::oid::SHA256_WITH_RSA),
        S::RsaPkcs1Sha384 => alg_null(algorithms::oid::SHA384_WITH_RSA),
        S::RsaPkcs1Sha512 => alg_null(algorithms::oid::SHA512_WITH_RSA),
        S::EcdsaP256Sha256 => alg(algorithms::oid::ECDSA_WITH_SHA256),
        S::EcdsaP384Sha384 => alg(algorithms::oid::ECDSA_WITH_SHA384),
        S::Ed25519 => alg(algorithms::oid::ED25519),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_integers() {
        assert_eq!(tlv(0x04, &[1, 2]), vec![0x04, 2, 1, 2]);
        let long = tlv(0x04, &[0u8; 300]);
        assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2C]);
        assert_eq!(uint(&[0x80]), vec![0x02, 2, 0, 0x80]);
        assert_eq!(uint(&[0, 0, 5]), vec![0x02, 1, 5]);
        assert_eq!(uint(&[]), vec![0x02, 1, 0]);
    }

    #[test]
    fn cms_times_switch_to_generalized_time_in_2050() {
        let utc = cms_time(time::macros::datetime!(2026-11-30 16:05:01 +07:00));
        assert_eq!(utc, tlv(tag::UTC_TIME, b"261130090501Z"));
        let generalized = cms_time(time::macros::datetime!(2050-01-01 00:00:00 UTC));
        assert_eq!(generalized, tlv(tag::GENERALIZED_TIME, b"20500101000000Z"));
    }
}

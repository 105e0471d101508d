//! The one table of algorithms vanthu accepts, and the policy around them.
//!
//! Every signature check in the crate — CMS signer infos, timestamp tokens,
//! certificates, CRLs — goes through [`verify_signature`], so the decision
//! "which algorithms and key sizes are acceptable" lives here and nowhere else.
//! SHA-1 and RSA keys under 2048 bits are refused by policy (reported as a
//! crypto-constraints failure, not as a broken signature).

use crate::asn1::der::{self, Oid, Reader, Tlv, tag};
use thiserror::Error;

macro_rules! oids {
    ($($name:ident = [$($b:expr),*];)*) => {
        $(pub const $name: Oid<'static> = Oid(&[$($b),*]);)*
    };
}

/// Object identifiers (DER value bytes) of the algorithms we know.
pub mod oid {
    use super::Oid;
    oids! {
        SHA1 = [0x2B, 0x0E, 0x03, 0x02, 0x1A];
        SHA224 = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04];
        SHA256 = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
        SHA384 = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
        SHA512 = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];
        RSA_ENCRYPTION = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
        MD5_WITH_RSA = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x04];
        SHA1_WITH_RSA = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x05];
        MGF1 = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x08];
        RSASSA_PSS = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0A];
        SHA256_WITH_RSA = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B];
        SHA384_WITH_RSA = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0C];
        SHA512_WITH_RSA = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0D];
        EC_PUBLIC_KEY = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
        ECDSA_WITH_SHA1 = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x01];
        ECDSA_WITH_SHA256 = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02];
        ECDSA_WITH_SHA384 = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x03];
        ECDSA_WITH_SHA512 = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x04];
        ED25519 = [0x2B, 0x65, 0x70];
        CURVE_P256 = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
        CURVE_P384 = [0x2B, 0x81, 0x04, 0x00, 0x22];
    }
}

/// Why a signature could not be accepted.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum AlgorithmError {
    /// An algorithm or parameter combination we do not implement.
    #[error("unsupported algorithm: {0}")]
    Unsupported(String),
    /// Known but refused by policy (SHA-1, short RSA keys).
    #[error("algorithm refused by policy: {0}")]
    Policy(String),
    /// The public key or the algorithm parameters are malformed.
    #[error("malformed key or algorithm parameters: {0}")]
    Malformed(String),
    /// Everything parsed, and the signature does not match.
    #[error("signature does not verify")]
    BadSignature,
}

/// Digest algorithms accepted for document and attribute hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    Sha256,
    Sha384,
    Sha512,
}

impl DigestAlgorithm {
    /// Maps a digest OID, refusing SHA-1 and unknown digests.
    pub fn from_oid(o: Oid<'_>) -> Result<Self, AlgorithmError> {
        match o {
            x if x == oid::SHA256 => Ok(Self::Sha256),
            x if x == oid::SHA384 => Ok(Self::Sha384),
            x if x == oid::SHA512 => Ok(Self::Sha512),
            x if x == oid::SHA1 => Err(AlgorithmError::Policy("SHA-1 digest".into())),
            x if x == oid::SHA224 => Err(AlgorithmError::Unsupported("SHA-224 digest".into())),
            x => Err(AlgorithmError::Unsupported(format!("digest {x:?}"))),
        }
    }

    pub fn ring(self) -> &'static ring::digest::Algorithm {
        match self {
            Self::Sha256 => &ring::digest::SHA256,
            Self::Sha384 => &ring::digest::SHA384,
            Self::Sha512 => &ring::digest::SHA512,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
        }
    }

    pub fn oid(self) -> Oid<'static> {
        match self {
            Self::Sha256 => oid::SHA256,
            Self::Sha384 => oid::SHA384,
            Self::Sha512 => oid::SHA512,
        }
    }

    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        ring::digest::digest(self.ring(), data).as_ref().to_vec()
    }
}

/// The key family of a public key, as named in reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Rsa { bits: usize },
    EcP256,
    EcP384,
    Ed25519,
}

/// What was verified, for reports ("RSA-PSS with SHA-256").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedAlgorithm {
    pub name: String,
}

/// A parsed SubjectPublicKeyInfo: the key family and the bytes ring needs.
struct PublicKey<'a> {
    kind: KeyKind,
    /// RSAPublicKey DER for RSA, the point for EC, the raw key for Ed25519.
    key: &'a [u8],
    /// RSA modulus and exponent (for the `rsa` crate's PSS verifier).
    rsa_parts: Option<(&'a [u8], &'a [u8])>,
}

fn parse_spki(spki: &[u8]) -> Result<PublicKey<'_>, AlgorithmError> {
    let bad = |e: der::DerError| AlgorithmError::Malformed(format!("public key: {e}"));
    let top = der::parse_prefix(spki).map_err(bad)?;
    let mut r = top.reader();
    let (alg, params) = der::algorithm_identifier(r.expect(tag::SEQUENCE).map_err(bad)?).map_err(bad)?;
    let bits = r.expect(tag::BIT_STRING).map_err(bad)?;
    let key = match bits.value.split_first() {
        Some((0, k)) => k,
        _ => return Err(AlgorithmError::Malformed("public key bit string".into())),
    };
    if alg == oid::RSA_ENCRYPTION {
        let seq = der::parse_prefix(key).map_err(bad)?;
        let mut kr = seq.reader();
        let n = kr.expect(tag::INTEGER).map_err(bad)?.value;
        let e = kr.expect(tag::INTEGER).map_err(bad)?.value;
        let n = strip_leading_zeros(n);
        // A zero (empty) modulus has no bits; it is refused below by policy.
        let bits = n.len().saturating_mul(8).saturating_sub(n.first().map_or(8, |b| b.leading_zeros() as usize));
        Ok(PublicKey { kind: KeyKind::Rsa { bits }, key, rsa_parts: Some((n, strip_leading_zeros(e))) })
    } else if alg == oid::EC_PUBLIC_KEY {
        let curve = params.filter(|p| p.tag == tag::OID).map(|p| Oid(p.value));
        let kind = match curve {
            Some(c) if c == oid::CURVE_P256 => KeyKind::EcP256,
            Some(c) if c == oid::CURVE_P384 => KeyKind::EcP384,
            Some(c) => return Err(AlgorithmError::Unsupported(format!("elliptic curve {c:?}"))),
            None => {
                return Err(AlgorithmError::Unsupported("elliptic curve without a named curve".into()));
            }
        };
        Ok(PublicKey { kind, key, rsa_parts: None })
    } else if alg == oid::ED25519 {
        Ok(PublicKey { kind: KeyKind::Ed25519, key, rsa_parts: None })
    } else {
        Err(AlgorithmError::Unsupported(format!("public key algorithm {alg:?}")))
    }
}

fn strip_leading_zeros(v: &[u8]) -> &[u8] {
    let start = v.iter().position(|&b| b != 0).unwrap_or(v.len());
    &v[start..]
}

/// The key family of a SubjectPublicKeyInfo.
pub fn key_kind(spki: &[u8]) -> Result<KeyKind, AlgorithmError> {
    parse_spki(spki).map(|k| k.kind)
}

/// Minimum RSA modulus size accepted.
pub const MIN_RSA_BITS: usize = 2048;

/// Verifies `signature` over `message` with the public key in `spki`.
///
/// `sig_alg` and `sig_params` come from the signature's AlgorithmIdentifier;
/// `digest_hint` is the CMS digestAlgorithm, used when the signature algorithm
/// names only the key family (`rsaEncryption`, `id-ecPublicKey`).
pub fn verify_signature(
    spki: &[u8],
    sig_alg: Oid<'_>,
    sig_params: Option<Tlv<'_>>,
    digest_hint: Option<DigestAlgorithm>,
    message: &[u8],
    signature: &[u8],
) -> Result<VerifiedAlgorithm, AlgorithmError> {
    use ring::signature as rs;
    let key = parse_spki(spki)?;
    if let KeyKind::Rsa { bits } = key.kind {
        if bits < MIN_RSA_BITS {
            return Err(AlgorithmError::Policy(format!("RSA key of {bits} bits (minimum {MIN_RSA_BITS})")));
        }
        if bits > 8192 {
            return Err(AlgorithmError::Unsupported(format!("RSA key of {bits} bits")));
        }
    }
    // The policy table's size for this key: anything longer is not a
    // signature by it, and is refused before any arithmetic.
    if signature.len() > super::policy::max_signature_len(key.kind) {
        return Err(AlgorithmError::BadSignature);
    }
    let need_digest = |d: Option<DigestAlgorithm>| {
        d.ok_or_else(|| AlgorithmError::Unsupported("signature algorithm without a digest".into()))
    };
    let (ring_alg, name): (&'static dyn rs::VerificationAlgorithm, String) = match (sig_alg, key.kind) {
        (a, _) if a == oid::SHA1_WITH_RSA || a == oid::ECDSA_WITH_SHA1 || a == oid::MD5_WITH_RSA => {
            return Err(AlgorithmError::Policy("SHA-1 or MD5 signature".into()));
        }
        (a, KeyKind::Rsa { .. }) if a == oid::RSASSA_PSS => {
            return verify_pss(&key, sig_params, message, signature);
        }
        (a, KeyKind::Rsa { .. })
            if a == oid::RSA_ENCRYPTION
                || a == oid::SHA256_WITH_RSA
                || a == oid::SHA384_WITH_RSA
                || a == oid::SHA512_WITH_RSA =>
        {
            let d = match a {
                x if x == oid::SHA256_WITH_RSA => DigestAlgorithm::Sha256,
                x if x == oid::SHA384_WITH_RSA => DigestAlgorithm::Sha384,
                x if x == oid::SHA512_WITH_RSA => DigestAlgorithm::Sha512,
                _ => need_digest(digest_hint)?,
            };
            let alg: &'static dyn rs::VerificationAlgorithm = match d {
                DigestAlgorithm::Sha256 => &rs::RSA_PKCS1_2048_8192_SHA256,
                DigestAlgorithm::Sha384 => &rs::RSA_PKCS1_2048_8192_SHA384,
                DigestAlgorithm::Sha512 => &rs::RSA_PKCS1_2048_8192_SHA512,
            };
            (alg, format!("RSA PKCS#1 v1.5 with {}", d.name()))
        }
        (a, KeyKind::EcP256 | KeyKind::EcP384)
            if a == oid::EC_PUBLIC_KEY
                || a == oid::ECDSA_WITH_SHA256
                || a == oid::ECDSA_WITH_SHA384
                || a == oid::ECDSA_WITH_SHA512 =>
        {
            let d = match a {
                x if x == oid::ECDSA_WITH_SHA256 => DigestAlgorithm::Sha256,
                x if x == oid::ECDSA_WITH_SHA384 => DigestAlgorithm::Sha384,
                x if x == oid::ECDSA_WITH_SHA512 => DigestAlgorithm::Sha512,
                _ => need_digest(digest_hint)?,
            };
            let (alg, curve): (&'static dyn rs::VerificationAlgorithm, &str) = match (key.kind, d) {
                (KeyKind::EcP256, DigestAlgorithm::Sha256) => (&rs::ECDSA_P256_SHA256_ASN1, "P-256"),
                (KeyKind::EcP256, DigestAlgorithm::Sha384) => (&rs::ECDSA_P256_SHA384_ASN1, "P-256"),
                (KeyKind::EcP384, DigestAlgorithm::Sha256) => (&rs::ECDSA_P384_SHA256_ASN1, "P-384"),
                (KeyKind::EcP384, DigestAlgorithm::Sha384) => (&rs::ECDSA_P384_SHA384_ASN1, "P-384"),
                (kind, d) => return verify_ecdsa_prehash(kind, key.key, d, message, signature),
            };
            (alg, format!("ECDSA {curve} with {}", d.name()))
        }
        (a, KeyKind::Ed25519) if a == oid::ED25519 => (&rs::ED25519, "Ed25519".to_string()),
        (a, kind) => {
            return Err(AlgorithmError::Unsupported(format!("signature algorithm {a:?} with a {kind:?} key")));
        }
    };
    rs::UnparsedPublicKey::new(ring_alg, key.key)
        .verify(message, signature)
        .map_err(|_| AlgorithmError::BadSignature)?;
    Ok(VerifiedAlgorithm { name })
}

/// ECDSA pairs ring does not offer (a curve with SHA-512): verify over the
/// digest with the RustCrypto curve crates, which truncate it as FIPS 186 says.
fn verify_ecdsa_prehash(
    kind: KeyKind,
    point: &[u8],
    d: DigestAlgorithm,
    message: &[u8],
    signature: &[u8],
) -> Result<VerifiedAlgorithm, AlgorithmError> {
    use p256::ecdsa::signature::hazmat::PrehashVerifier;
    let digest = d.digest(message);
    let bad_key = |_| AlgorithmError::Malformed("EC public key".into());
    let ok = match kind {
        KeyKind::EcP256 => {
            let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(bad_key)?;
            let sig = p256::ecdsa::Signature::from_der(signature).map_err(|_| AlgorithmError::BadSignature)?;
            key.verify_prehash(&digest, &sig).is_ok()
        }
        KeyKind::EcP384 => {
            let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(bad_key)?;
            let sig = p384::ecdsa::Signature::from_der(signature).map_err(|_| AlgorithmError::BadSignature)?;
            key.verify_prehash(&digest, &sig).is_ok()
        }
        other => return Err(AlgorithmError::Unsupported(format!("ECDSA with a {other:?} key"))),
    };
    if !ok {
        return Err(AlgorithmError::BadSignature);
    }
    let curve = if kind == KeyKind::EcP256 { "P-256" } else { "P-384" };
    Ok(VerifiedAlgorithm { name: format!("ECDSA {curve} with {}", d.name()) })
}

/// RSASSA-PSS: the `rsa` crate honours the salt length from the parameters
/// (ring only accepts salt = hash length, which many producers do not use).
fn verify_pss(
    key: &PublicKey<'_>,
    params: Option<Tlv<'_>>,
    message: &[u8],
    signature: &[u8],
) -> Result<VerifiedAlgorithm, AlgorithmError> {
    let p = pss_params(params)?;
    let (n, e) = key.rsa_parts.ok_or_else(|| AlgorithmError::Malformed("RSA key".into()))?;
    let public = rsa::RsaPublicKey::new(rsa::BigUint::from_bytes_be(n), rsa::BigUint::from_bytes_be(e))
        .map_err(|e| AlgorithmError::Malformed(format!("RSA key: {e}")))?;
    let hashed = p.digest.digest(message);
    let scheme = match p.digest {
        DigestAlgorithm::Sha256 => rsa::Pss::new_with_salt::<sha2::Sha256>(p.salt_len),
        DigestAlgorithm::Sha384 => rsa::Pss::new_with_salt::<sha2::Sha384>(p.salt_len),
        DigestAlgorithm::Sha512 => rsa::Pss::new_with_salt::<sha2::Sha512>(p.salt_len),
    };
    public.verify(scheme, &hashed, signature).map_err(|_| AlgorithmError::BadSignature)?;
    Ok(VerifiedAlgorithm { name: format!("RSA-PSS with {} (salt {})", p.digest.name(), p.salt_len) })
}

struct PssParams {
    digest: DigestAlgorithm,
    salt_len: usize,
}

/// RSASSA-PSS-params: hash [0], MGF [1], salt length [2] (default 20),
/// trailer [3]. Defaults name SHA-1, which policy refuses, so real signers
/// always spell the hash out.
fn pss_params(params: Option<Tlv<'_>>) -> Result<PssParams, AlgorithmError> {
    let bad = |e: der::DerError| AlgorithmError::Malformed(format!("RSA-PSS parameters: {e}"));
    let params = params.ok_or_else(|| AlgorithmError::Policy("RSA-PSS with default (SHA-1) parameters".into()))?;
    let mut r = Reader::new(params.value);
    let mut digest = None;
    let mut mgf_digest = None;
    let mut salt_len = 20usize;
    if let Some(h) = r.optional(tag::ctx_cons(0)).map_err(bad)? {
        let (o, _) = der::algorithm_identifier(h.reader().any().map_err(bad)?).map_err(bad)?;
        digest = Some(DigestAlgorithm::from_oid(o)?);
    }
    if let Some(m) = r.optional(tag::ctx_cons(1)).map_err(bad)? {
        let (o, p) = der::algorithm_identifier(m.reader().any().map_err(bad)?).map_err(bad)?;
        if o != oid::MGF1 {
            return Err(AlgorithmError::Unsupported(format!("PSS mask generation {o:?}")));
        }
        let p = p.ok_or_else(|| AlgorithmError::Malformed("MGF1 without a hash".into()))?;
        let (ho, _) = der::algorithm_identifier(p).map_err(bad)?;
        mgf_digest = Some(DigestAlgorithm::from_oid(ho)?);
    }
    if let Some(s) = r.optional(tag::ctx_cons(2)).map_err(bad)? {
        let v = s.reader().expect(tag::INTEGER).map_err(bad)?.value;
        if v.len() > 2 {
            return Err(AlgorithmError::Malformed("PSS salt length".into()));
        }
        salt_len = v.iter().fold(0usize, |a, &b| (a << 8) | b as usize);
    }
    let digest = digest.ok_or_else(|| AlgorithmError::Policy("RSA-PSS with SHA-1".into()))?;
    if mgf_digest != Some(digest) {
        return Err(AlgorithmError::Unsupported("RSA-PSS with a different MGF1 hash".into()));
    }
    // Producers often use the maximum salt (modulus bytes - hash - 2); no
    // accepted key has more than 1024 modulus bytes.
    if salt_len > 1024 {
        return Err(AlgorithmError::Malformed("PSS salt length".into()));
    }
    Ok(PssParams { digest, salt_len })
}

/// The schemes vanthu signs with (the subset of the table ring can produce).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureScheme {
    RsaPkcs1Sha256,
    RsaPkcs1Sha384,
    RsaPkcs1Sha512,
    EcdsaP256Sha256,
    EcdsaP384Sha384,
    Ed25519,
}

impl SignatureScheme {
    /// The digest used for the document and the signed attributes
    /// (SHA-512 for Ed25519, RFC 8419).
    pub fn digest(self) -> DigestAlgorithm {
        match self {
            Self::RsaPkcs1Sha256 | Self::EcdsaP256Sha256 => DigestAlgorithm::Sha256,
            Self::RsaPkcs1Sha384 | Self::EcdsaP384Sha384 => DigestAlgorithm::Sha384,
            Self::RsaPkcs1Sha512 | Self::Ed25519 => DigestAlgorithm::Sha512,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_rsa_key_with_a_zero_modulus_is_an_error_not_an_underflow() {
        // SubjectPublicKeyInfo { rsaEncryption, RSAPublicKey { n = 0, e = 65537 } }.
        let rsa_key = [0x30, 0x08, 0x02, 0x01, 0x00, 0x02, 0x03, 0x01, 0x00, 0x01];
        let mut bits = vec![0x03, 0x0B, 0x00];
        bits.extend_from_slice(&rsa_key);
        let alg = [0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01, 0x05, 0x00];
        let mut spki = vec![0x30, (alg.len() + bits.len()) as u8];
        spki.extend_from_slice(&alg);
        spki.extend_from_slice(&bits);
        assert!(matches!(key_kind(&spki), Ok(KeyKind::Rsa { bits: 0 }) | Err(_)));
        let verdict = verify_signature(&spki, oid::SHA256_WITH_RSA, None, None, b"message", &[0; 256]);
        assert!(verdict.is_err());
    }
}

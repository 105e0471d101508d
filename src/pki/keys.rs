//! Signing keys: the object the gateway holds, and what an external token
//! stands in for.
//!
//! [`SigningKey`] is the one interface the signing code needs. [`LocalKey`]
//! implements it with ring over an unencrypted PKCS#8 key; a hardware token
//! is served by the prepare/finish split instead (see `crate::sign`).

use crate::pki::algorithms::{KeyKind, SignatureScheme};
use ring::signature::{self as rs, KeyPair};
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum KeyError {
    #[error("no PKCS#8 private key found (expected -----BEGIN PRIVATE KEY-----)")]
    NotPkcs8,
    #[error("unsupported or malformed private key: RSA 2048-8192, ECDSA P-256/P-384 and Ed25519 are supported")]
    Unsupported,
    #[error("the signing operation failed")]
    SigningFailed,
}

/// A private key able to sign a message with one scheme.
pub trait SigningKey: Send + Sync {
    fn scheme(&self) -> SignatureScheme;
    /// Signs `message` (hashing it as the scheme says).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError>;
    /// Upper bound of a signature's length, for sizing the placeholder.
    fn max_signature_len(&self) -> usize;
    /// The public key as it appears in a certificate's subjectPublicKey bits.
    fn public_key(&self) -> &[u8];
}

enum Inner {
    Rsa(rs::RsaKeyPair),
    Ecdsa(rs::EcdsaKeyPair, SignatureScheme),
    Ed25519(rs::Ed25519KeyPair),
}

/// A PKCS#8 key in memory, signing with ring.
pub struct LocalKey {
    inner: Inner,
    rng: ring::rand::SystemRandom,
}

impl LocalKey {
    /// Reads the first `PRIVATE KEY` block of a PEM file (or DER).
    pub fn from_pem(data: &[u8]) -> Result<Self, KeyError> {
        let ders = crate::pki::pem_or_der(data, "PRIVATE KEY", "key").map_err(|_| KeyError::NotPkcs8)?;
        let der = ders.first().ok_or(KeyError::NotPkcs8)?;
        Self::from_pkcs8(der)
    }

    pub fn from_pkcs8(der: &[u8]) -> Result<Self, KeyError> {
        let rng = ring::rand::SystemRandom::new();
        if let Ok(k) = rs::RsaKeyPair::from_pkcs8(der) {
            return Ok(LocalKey { inner: Inner::Rsa(k), rng });
        }
        if let Ok(k) = rs::EcdsaKeyPair::from_pkcs8(&rs::ECDSA_P256_SHA256_ASN1_SIGNING, der, &rng) {
            return Ok(LocalKey { inner: Inner::Ecdsa(k, SignatureScheme::EcdsaP256Sha256), rng });
        }
        if let Ok(k) = rs::EcdsaKeyPair::from_pkcs8(&rs::ECDSA_P384_SHA384_ASN1_SIGNING, der, &rng) {
            return Ok(LocalKey { inner: Inner::Ecdsa(k, SignatureScheme::EcdsaP384Sha384), rng });
        }
        if let Ok(k) = rs::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
            return Ok(LocalKey { inner: Inner::Ed25519(k), rng });
        }
        Err(KeyError::Unsupported)
    }
}

impl SigningKey for LocalKey {
    fn scheme(&self) -> SignatureScheme {
        match &self.inner {
            Inner::Rsa(_) => SignatureScheme::RsaPkcs1Sha256,
            Inner::Ecdsa(_, s) => *s,
            Inner::Ed25519(_) => SignatureScheme::Ed25519,
        }
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        match &self.inner {
            Inner::Rsa(k) => {
                let mut sig = vec![0u8; k.public().modulus_len()];
                k.sign(&rs::RSA_PKCS1_SHA256, &self.rng, message, &mut sig).map_err(|_| KeyError::SigningFailed)?;
                Ok(sig)
            }
            Inner::Ecdsa(k, _) => {
                k.sign(&self.rng, message).map(|s| s.as_ref().to_vec()).map_err(|_| KeyError::SigningFailed)
            }
            Inner::Ed25519(k) => Ok(k.sign(message).as_ref().to_vec()),
        }
    }

    fn max_signature_len(&self) -> usize {
        let kind = match &self.inner {
            Inner::Rsa(k) => KeyKind::Rsa { bits: k.public().modulus_len().saturating_mul(8) },
            Inner::Ecdsa(_, SignatureScheme::EcdsaP256Sha256) => KeyKind::EcP256,
            Inner::Ecdsa(..) => KeyKind::EcP384,
            Inner::Ed25519(_) => KeyKind::Ed25519,
        };
        super::policy::max_signature_len(kind)
    }

    fn public_key(&self) -> &[u8] {
        match &self.inner {
            Inner::Rsa(k) => k.public_key().as_ref(),
            Inner::Ecdsa(k, _) => k.public_key().as_ref(),
            Inner::Ed25519(k) => k.public_key().as_ref(),
        }
    }
}

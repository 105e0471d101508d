//! Time-stamping: the [`Timestamper`] interface signing uses, and
//! [`LocalTsa`], vanthu acting as its own RFC 3161 time-stamping authority
//! in-process (the CLI's `--tsa-key/--tsa-cert`, and the gateway's TSA).

use super::build::{self, SignedDataParts, SignerIdentity};
use crate::asn1::der::Oid;
use crate::asn1::oid;
use crate::pki::Cert;
use crate::pki::algorithms::DigestAlgorithm;
use crate::pki::keys::{KeyError, SigningKey};
use std::sync::atomic::{AtomicU64, Ordering};
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TsaError {
    #[error("TSA certificate unreadable: {0}")]
    Certificate(String),
    #[error("the TSA key does not match the TSA certificate")]
    KeyMismatch,
    #[error("the TSA certificate lacks the timeStamping extended key usage")]
    NotTsaCertificate,
    #[error("TSA signing failed: {0}")]
    Key(#[from] KeyError),
    #[error("time-stamping service failed: {0}")]
    Service(String),
}

/// Something that returns an RFC 3161 TimeStampToken for an imprint.
pub trait Timestamper: Send + Sync {
    fn timestamp(&self, imprint_alg: DigestAlgorithm, imprint: &[u8]) -> Result<Vec<u8>, TsaError>;

    /// The largest token, in bytes, this TSA returns. Signing sizes the
    /// /Contents gap from it before the document is hashed, so the TSA is
    /// asked once per signature, after signing, and a token larger than this
    /// is refused then (the gap can no longer grow). An exact bound where it
    /// is known (the in-process TSA), a configured or conservative one for a
    /// remote TSA.
    fn max_token_len(&self) -> usize;
}

/// vanthu's TSA policy: a UUID-based OID (2.25.146377889814165865282181621505560885793),
/// needing no registration.
pub const DEFAULT_POLICY: Oid<'static> = Oid(&[
    0x69, 0x81, 0xDC, 0x9F, 0xAD, 0xCA, 0xD3, 0xC3, 0xEA, 0xBE, 0x9D, 0xA1, 0xD9, 0x9F, 0xAD, 0xC5, 0xF2, 0xBC, 0xF4,
    0x21,
]);

/// An in-process time-stamping authority.
pub struct LocalTsa {
    key: Box<dyn SigningKey>,
    cert: Vec<u8>,
    chain: Vec<Vec<u8>>,
    serial_base: u64,
    counter: AtomicU64,
    /// The longest token [`Timestamper::timestamp`] can make.
    max_token: usize,
}

impl LocalTsa {
    /// A TSA from its key, its certificate (which must carry the
    /// timeStamping EKU and match the key) and the chain to embed.
    pub fn new(key: Box<dyn SigningKey>, cert: Vec<u8>, chain: Vec<Vec<u8>>) -> Result<Self, TsaError> {
        let parsed = Cert::parse(&cert).map_err(TsaError::Certificate)?;
        if parsed.x509.public_key().subject_public_key.data.as_ref() != key.public_key() {
            return Err(TsaError::KeyMismatch);
        }
        if !matches!(parsed.x509.extended_key_usage(), Ok(Some(e)) if e.value.time_stamping) {
            return Err(TsaError::NotTsaCertificate);
        }
        // Serial numbers: the start time in nanoseconds plus a counter, unique
        // across restarts without state on disk.
        let serial_base = time::OffsetDateTime::now_utc().unix_timestamp_nanos() as u64;
        let mut tsa = LocalTsa { key, cert, chain, serial_base, counter: AtomicU64::new(0), max_token: 0 };
        // The exact bound: a token with the longest imprint (SHA-512), the
        // largest serial and the key's largest signature. Everything else
        // (policy, GeneralizedTime to the second, certificates, signed
        // attributes) has the same length in every token.
        let info = build::tst_info(
            DEFAULT_POLICY,
            DigestAlgorithm::Sha512,
            &[0xFF; 64],
            &[0xFF; 8],
            time::OffsetDateTime::now_utc(),
            None,
        );
        let largest = vec![0xFF; tsa.key.max_signature_len()];
        tsa.max_token = tsa.token(&info, |_| Ok(largest))?.len();
        Ok(tsa)
    }

    /// A token answering a request that carried `nonce` (RFC 3161 requires
    /// the TSA to echo it; a TSA served over HTTP answers with this).
    pub fn timestamp_with_nonce(
        &self,
        imprint_alg: DigestAlgorithm,
        imprint: &[u8],
        nonce: Option<&[u8]>,
    ) -> Result<Vec<u8>, TsaError> {
        let serial = self.serial_base.wrapping_add(self.counter.fetch_add(1, Ordering::Relaxed));
        let now = time::OffsetDateTime::now_utc();
        let info = build::tst_info(DEFAULT_POLICY, imprint_alg, imprint, &serial.to_be_bytes(), now, nonce);
        self.token(&info, |attrs| self.key.sign(attrs))
    }

    /// The token over `info`, signed by `sign` over the signed attributes.
    fn token(&self, info: &[u8], sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, KeyError>) -> Result<Vec<u8>, TsaError> {
        let parsed = Cert::parse(&self.cert).map_err(TsaError::Certificate)?;
        let signer = SignerIdentity::from_cert(&parsed);
        let scheme = self.key.scheme();
        let digest = scheme.digest();
        let attrs = build::signed_attributes(oid::TST_INFO, &digest.digest(info), &signer);
        let signature = sign(&attrs)?;
        Ok(build::signed_data(&SignedDataParts {
            digest,
            content_type: oid::TST_INFO,
            econtent: Some(info),
            signer,
            chain: &self.chain,
            signed_attrs: &attrs,
            signature_algorithm: &build::signature_algorithm_id(scheme),
            signature: &signature,
            unsigned_attr: None,
        }))
    }
}

impl Timestamper for LocalTsa {
    fn timestamp(&self, imprint_alg: DigestAlgorithm, imprint: &[u8]) -> Result<Vec<u8>, TsaError> {
        self.timestamp_with_nonce(imprint_alg, imprint, None)
    }

    fn max_token_len(&self) -> usize {
        self.max_token
    }
}

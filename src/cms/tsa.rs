//! Time-stamping: the [`Timestamper`] interface signing uses, and
//! [`LocalTsa`], vanthu acting as its own RFC 3161 time-stamping authority
//! in-process (the CLI's `--tsa-key/--tsa-cert`, and the gateway's TSA).

use super::build::{self, SignedDataParts, SignerIdentity};
use super::der::Oid;
use super::oid;
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
}

impl LocalTsa {
    /// A TSA from its key, its certificate (which must carry the
    /// timeStamping EKU and match the key) and the chain to embed.
    pub fn new(key: Box<dyn SigningKey>, cert: Vec<u8>, chain: Vec<Vec<u8>>) -> Result<Self, TsaError> {
        let parsed = Cert::parse(&cert).map_err(TsaError::Certificate)?;
        if parsed.x509.public_key().subject_public_key.data.as_ref() != key.public_key() {
            return Err(TsaError::KeyMismatch);
        }
        if crate::pki::policy::check_usage(&parsed, crate::pki::policy::Usage::TimeStamping).is_err() {
            return Err(TsaError::NotTsaCertificate);
        }
        // Serial numbers: the start time in nanoseconds plus a counter, unique
        // across restarts without state on disk.
        let serial_base = time::OffsetDateTime::now_utc().unix_timestamp_nanos() as u64;
        Ok(LocalTsa { key, cert, chain, serial_base, counter: AtomicU64::new(0) })
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
        let parsed = Cert::parse(&self.cert).map_err(TsaError::Certificate)?;
        let signer = SignerIdentity::from_cert(&parsed);
        let scheme = self.key.scheme();
        let digest = scheme.digest();
        let attrs = build::signed_attributes(oid::TST_INFO, &digest.digest(&info), &signer);
        let signature = self.key.sign(&attrs)?;
        Ok(build::signed_data(&SignedDataParts {
            digest,
            content_type: oid::TST_INFO,
            econtent: Some(&info),
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
}

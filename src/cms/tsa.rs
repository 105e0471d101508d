//! Time-stamping: the [`Timestamper`] interface signing uses, and
//! [`LocalTsa`], vanthu acting as its own RFC 3161 time-stamping authority
//! in-process (the CLI's `--tsa-key/--tsa-cert`, and the gateway's TSA).

use super::CmsError;
use super::build::{self, SignedDataParts, SignerIdentity};
use crate::asn1::der::{DerError, Oid};
use crate::asn1::oid;
use crate::pki::algorithms::DigestAlgorithm;
use crate::pki::keys::{KeyError, SigningKey};
use crate::pki::{Cert, CertError};
use std::sync::atomic::{AtomicU64, Ordering};
use thiserror::Error;

/// Why no time-stamp token came. The variants follow what the caller can
/// do about it: fix the configuration (`BadUrl`), retry or pick another TSA
/// (`Transport`, `HttpStatus`), or report a TSA that misbehaves
/// (`BadResponse`) or refuses (`Rejected`, with its PKIStatus).
#[derive(Debug, Error, Clone, PartialEq)]
pub enum TsaError {
    #[error("TSA certificate unreadable: {0}")]
    Certificate(CertError),
    #[error("the TSA key does not match the TSA certificate")]
    KeyMismatch,
    #[error("the TSA certificate lacks the timeStamping extended key usage")]
    NotTsaCertificate,
    #[error("TSA signing failed: {0}")]
    Key(#[from] KeyError),
    /// The TSA's URL cannot be used.
    #[error("bad TSA URL {url:?}: {why}")]
    BadUrl { url: String, why: &'static str },
    #[error("https TSA URLs are not supported yet; use http:// or --tsa-key/--tsa-cert")]
    HttpsUnsupported,
    /// The imprint does not have its algorithm's length: the caller's bug,
    /// said here rather than relayed as the TSA's badDataFormat.
    #[error("a {algorithm} imprint must be {expected} bytes")]
    ImprintLength { algorithm: &'static str, expected: usize },
    #[error("no system randomness for the time-stamp nonce")]
    NoRandomness,
    /// The TSA could not be reached, or the exchange broke off.
    #[error("{0}")]
    Transport(#[from] TransportError),
    /// The TSA answered with an HTTP status other than 200.
    #[error("the TSA answered HTTP {code} {reason}")]
    HttpStatus { code: u16, reason: String },
    /// The reply is not a usable TimeStampResp, or its token does not
    /// answer our request.
    #[error("{0}")]
    BadResponse(#[from] ResponseError),
    /// The TSA refused: a PKIStatus other than granted (RFC 3161 §2.4.2),
    /// its statusString texts and its failInfo bits.
    #[error("{}", refusal_text(*status, texts, fail_info))]
    Rejected { status: i64, texts: Vec<String>, fail_info: Vec<&'static str> },
}

/// Reaching the TSA: name resolution, connection, the exchange's deadline.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TransportError {
    #[error("cannot resolve the TSA host {host}: {detail}")]
    Resolve { host: String, detail: String },
    #[error("the TSA host {host} has no address")]
    NoAddress { host: String },
    #[error("cannot connect to the TSA at {endpoint}: {detail}")]
    Connect { endpoint: String, detail: String },
    /// The exchange's one deadline passed during `step`.
    #[error("the TSA at {endpoint} {step} within {ms} ms")]
    TimedOut { endpoint: String, step: &'static str, ms: u128 },
    #[error("TSA connection to {endpoint}: {detail}")]
    Io { endpoint: String, detail: String },
}

/// A reply that cannot be used: its HTTP framing, the TimeStampResp, or a
/// token that does not answer our request.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ResponseError {
    #[error("the TSA closed the connection without answering")]
    NoAnswer,
    #[error("the TSA's reply is not HTTP: {0:?}")]
    NotHttp(String),
    #[error("the TSA's reply was cut short")]
    CutShort,
    #[error("the TSA's reply is over {kib} KiB")]
    TooLarge { kib: usize },
    #[error("the TSA's reply has an over-long HTTP header")]
    HeadTooLong,
    #[error("the TSA tried to switch protocols")]
    SwitchProtocols,
    #[error("the TSA's reply has a malformed header line {0:?}")]
    HeaderLine(String),
    #[error("the TSA's reply has a bad Content-Length {0:?}")]
    ContentLength(String),
    #[error("the TSA's reply has conflicting Content-Length headers")]
    ConflictingLengths,
    #[error("the TSA's reply uses an unsupported transfer coding {0:?}")]
    TransferCoding(String),
    #[error("the TSA's reply uses an unrequested content coding {0:?}")]
    ContentCoding(String),
    #[error("the TSA's reply has a bad chunk size {0:?}")]
    ChunkSize(String),
    #[error("the TSA's reply has chunk data longer than its size")]
    ChunkOverrun,
    #[error("the TSA's reply has an over-long chunk line")]
    ChunkLineTooLong,
    #[error("malformed TimeStampResp: the reply body is empty")]
    EmptyBody,
    #[error("malformed TimeStampResp: {0}")]
    Malformed(DerError),
    #[error("malformed TimeStampResp: status out of range")]
    StatusOutOfRange,
    #[error("malformed TimeStampResp: the token is not a ContentInfo")]
    NotContentInfo,
    /// A malformed TimeStampResp and what the transport labelled it (a
    /// proxy's HTML error page is the usual cause).
    #[error("{error} (the reply's content type is {content_type})")]
    Labelled { error: Box<ResponseError>, content_type: String },
    #[error("the TSA granted the request but sent no token")]
    NoToken,
    #[error("the TSA's token is unusable: {0}")]
    TokenUnusable(CmsError),
    #[error("the TSA's token is unusable: malformed TSTInfo: {0}")]
    TstInfo(DerError),
    #[error("the TSA's token has no TSTInfo")]
    NoTstInfo,
    #[error("the TSA stamped a {stamped} imprint, {asked} was asked")]
    ImprintAlgorithm { stamped: &'static str, asked: &'static str },
    #[error("the TSA's token stamps another imprint than the one asked")]
    ImprintMismatch,
    #[error("the TSA's token carries no nonce (ours was not echoed)")]
    NoNonce,
    #[error("the TSA's token carries another nonce than ours (a replayed or misrouted reply)")]
    NonceMismatch,
    #[error("the TSA's token does not verify: {0}")]
    DoesNotVerify(CmsError),
}

/// PKIStatus values (RFC 3161 §2.4.2), for messages.
pub(crate) fn status_name(status: i64) -> &'static str {
    match status {
        0 => "granted",
        1 => "grantedWithMods",
        2 => "rejection",
        3 => "waiting",
        4 => "revocationWarning",
        5 => "revocationNotification",
        _ => "unknown status",
    }
}

fn refusal_text(status: i64, texts: &[String], fail_info: &[&str]) -> String {
    let mut msg = format!("the TSA refused the request: status {status} ({})", status_name(status));
    if !texts.is_empty() {
        msg.push_str(": ");
        msg.push_str(&texts.join("; "));
    }
    if !fail_info.is_empty() {
        msg.push_str(&format!(" [{}]", fail_info.join(", ")));
    }
    msg
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
        if crate::pki::policy::check_usage(&parsed, crate::pki::policy::Usage::TimeStamping).is_err() {
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

//! The RFC 3161 time-stamp protocol without the transport: a request
//! ([`Request`]), and the checks a reply must pass before its token is used.
//!
//! A TSA is a server we do not control, so nothing it sends is trusted until
//! checked: the token is only returned once its signature verifies, its
//! imprint is the one we asked for and its nonce is ours (a replayed or
//! misrouted reply would carry another). Carrying the bytes is the edge's
//! job ([`crate::clients::tsa`] over HTTP); nothing here touches a socket,
//! so every check is testable with byte vectors.

use super::timestamp;
use super::tsa::{ResponseError, TsaError};
use crate::asn1::der::{self, Reader, tag};
use crate::asn1::write::{alg, octets, seq, small_int, uint};
use crate::pki::algorithms::DigestAlgorithm;

/// Bytes of nonce: 64 bits make a collision with a replayed reply negligible
/// and fit the INTEGER every TSA implementation accepts.
const NONCE_LEN: usize = 8;

/// One time-stamp request: its DER, and what the reply must echo.
#[derive(Debug, Clone)]
pub struct Request {
    imprint_alg: DigestAlgorithm,
    imprint: Vec<u8>,
    nonce: [u8; NONCE_LEN],
    der: Vec<u8>,
}

impl Request {
    /// A request for `imprint` with a fresh random nonce.
    pub fn new(imprint_alg: DigestAlgorithm, imprint: &[u8]) -> Result<Self, TsaError> {
        // A wrong-length imprint is our bug; say so rather than relay the
        // TSA's badDataFormat.
        if imprint.len() != imprint_alg.ring().output_len() {
            return Err(TsaError::ImprintLength {
                algorithm: imprint_alg.name(),
                expected: imprint_alg.ring().output_len(),
            });
        }
        let mut nonce = [0u8; NONCE_LEN];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut nonce)
            .map_err(|_| TsaError::NoRandomness)?;
        let der = timestamp_request(imprint_alg, imprint, &nonce);
        Ok(Request { imprint_alg, imprint: imprint.to_vec(), nonce, der })
    }

    /// The DER TimeStampReq to send.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The token of a TimeStampResp answering this request, once checked.
    /// `content_type` is the transport's label of the reply, if any: only
    /// used to explain a reply that is not a TimeStampResp (a proxy's HTML
    /// error page is the usual cause).
    pub fn accept(&self, response: &[u8], content_type: Option<&str>) -> Result<Vec<u8>, TsaError> {
        let token = token_from_response(response).map_err(|e| match (e, content_type) {
            (
                TsaError::BadResponse(
                    e @ (ResponseError::EmptyBody
                    | ResponseError::Malformed(_)
                    | ResponseError::StatusOutOfRange
                    | ResponseError::NotContentInfo),
                ),
                Some(ct),
            ) => ResponseError::Labelled { error: Box::new(e), content_type: ct.to_string() }.into(),
            (e, _) => e,
        })?;
        check_token(token, self.imprint_alg, &self.imprint, &self.nonce)?;
        Ok(token.to_vec())
    }
}

/// DER TimeStampReq (RFC 3161 §2.4.1): no policy (the TSA's default), a
/// nonce, and certReq so the token carries the TSA certificate — validators
/// need it and we check the signature with it below.
pub fn timestamp_request(imprint_alg: DigestAlgorithm, imprint: &[u8], nonce: &[u8]) -> Vec<u8> {
    let message_imprint = seq(&[&alg(imprint_alg.oid()), &octets(imprint)]);
    let cert_req = [tag::BOOLEAN, 1, 0xFF];
    seq(&[&small_int(1), &message_imprint, &uint(nonce), &cert_req])
}

/// PKIFailureInfo bits (RFC 3161 §2.4.2), for messages.
const FAILURE_BITS: &[(usize, &str)] = &[
    (0, "badAlg"),
    (2, "badRequest"),
    (5, "badDataFormat"),
    (14, "timeNotAvailable"),
    (15, "unacceptedPolicy"),
    (16, "unacceptedExtension"),
    (17, "addInfoNotAvailable"),
    (25, "systemFailure"),
];

/// The value of a small DER INTEGER (status codes); `None` past 64 bits.
fn small_integer(v: &[u8]) -> Option<i64> {
    if v.is_empty() || v.len() > 8 {
        return None;
    }
    let init = if v[0] & 0x80 != 0 { -1i64 } else { 0 };
    Some(v.iter().fold(init, |acc, &b| (acc << 8) | i64::from(b)))
}

/// Text for a message: printable ASCII kept, anything else replaced, cut
/// at `max` characters (the bytes come from the network, possibly a
/// terminal's escape sequences).
pub(crate) fn printable(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out: String = text.chars().take(max).map(|c| if c.is_control() { '?' } else { c }).collect();
    if text.chars().count() > max {
        out.push('…');
    }
    out
}

/// Why the TSA said no: status, statusString texts and failInfo bits.
fn refusal(status: i64, rest: &mut Reader<'_>) -> TsaError {
    let mut texts = Vec::new();
    if let Ok(Some(list)) = rest.optional(tag::SEQUENCE) {
        let mut r = list.reader();
        while let Ok(t) = r.any() {
            texts.push(printable(t.value, 200));
            if texts.len() == 4 {
                break;
            }
        }
    }
    let mut fail_info = Vec::new();
    if let Ok(Some(bits)) = rest.optional(tag::BIT_STRING) {
        let data = bits.value.get(1..).unwrap_or_default();
        fail_info = FAILURE_BITS
            .iter()
            .filter(|&&(bit, _)| data.get(bit / 8).is_some_and(|&b| b & (0x80 >> (bit % 8)) != 0))
            .map(|&(_, name)| name)
            .collect();
    }
    TsaError::Rejected { status, texts, fail_info }
}

/// The TimeStampToken (ContentInfo) of a TimeStampResp, exactly as received,
/// if the status grants it (RFC 3161 §2.4.2). The token is not checked here.
pub fn token_from_response(resp: &[u8]) -> Result<&[u8], TsaError> {
    let bad = |e: der::DerError| TsaError::from(ResponseError::Malformed(e));
    if resp.is_empty() {
        return Err(ResponseError::EmptyBody.into());
    }
    let top = der::parse_prefix(resp).map_err(bad)?;
    if top.tag != tag::SEQUENCE {
        return Err(bad(der::DerError::UnexpectedTag { expected: tag::SEQUENCE, found: top.tag }));
    }
    if top.raw.len() != resp.len() {
        return Err(bad(der::DerError::TrailingData));
    }
    let mut r = top.reader();
    let status_info = r.expect(tag::SEQUENCE).map_err(bad)?;
    let mut sr = status_info.reader();
    let status_int = sr.expect(tag::INTEGER).map_err(bad)?;
    let status = small_integer(status_int.value).ok_or(ResponseError::StatusOutOfRange)?;
    if status != 0 && status != 1 {
        return Err(refusal(status, &mut sr));
    }
    let token = match r.optional(tag::SEQUENCE).map_err(bad)? {
        Some(t) => t,
        None if r.is_empty() => return Err(ResponseError::NoToken.into()),
        None => return Err(ResponseError::NotContentInfo.into()),
    };
    r.finish().map_err(bad)?;
    Ok(token.raw)
}

/// The nonce of a TSTInfo, if present: the INTEGER after genTime and the
/// optional accuracy and ordering (RFC 3161 §2.4.2).
fn tst_nonce(tst_info: &[u8]) -> Result<Option<&[u8]>, der::DerError> {
    let top = der::parse_prefix(tst_info)?;
    let mut r = top.reader();
    r.expect(tag::INTEGER)?; // version
    r.expect(tag::OID)?; // policy
    r.expect(tag::SEQUENCE)?; // messageImprint
    r.expect(tag::INTEGER)?; // serialNumber
    r.expect(tag::GENERALIZED_TIME)?;
    r.optional(tag::SEQUENCE)?; // accuracy
    r.optional(tag::BOOLEAN)?; // ordering
    Ok(r.optional(tag::INTEGER)?.map(|n| n.value))
}

/// INTEGER contents without sign padding, so that `00 80` (DER for 128) and
/// the unsigned `80` we generated compare equal.
fn strip_leading_zeros(v: &[u8]) -> &[u8] {
    let i = v.iter().position(|&b| b != 0).unwrap_or(v.len());
    &v[i..]
}

/// Accepts a token only if it answers our request: the imprint and its
/// algorithm, our nonce (RFC 3161 §2.4.2: it MUST be echoed), and a TSA
/// signature that verifies with the embedded certificate. Whether that
/// certificate is trusted is the validator's question, as for any token.
fn check_token(token: &[u8], imprint_alg: DigestAlgorithm, imprint: &[u8], nonce: &[u8]) -> Result<(), TsaError> {
    let (sd, _) = super::parse_signed_data(token).map_err(ResponseError::TokenUnusable)?;
    let content = sd.econtent.ok_or(ResponseError::NoTstInfo)?;
    let info = timestamp::parse_tst_info(content).map_err(ResponseError::TokenUnusable)?;
    if info.imprint_algorithm != imprint_alg {
        return Err(ResponseError::ImprintAlgorithm {
            stamped: info.imprint_algorithm.name(),
            asked: imprint_alg.name(),
        }
        .into());
    }
    if info.imprint != imprint {
        return Err(ResponseError::ImprintMismatch.into());
    }
    match tst_nonce(content).map_err(ResponseError::TstInfo)? {
        None => return Err(ResponseError::NoNonce.into()),
        Some(n) if strip_leading_zeros(n) != strip_leading_zeros(nonce) => {
            return Err(ResponseError::NonceMismatch.into());
        }
        Some(_) => {}
    }
    timestamp::verify_token_with(token, &|_| imprint.to_vec()).map_err(ResponseError::DoesNotVerify)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asn1::write::{self, tlv};
    use crate::cms::build;

    fn message(e: TsaError) -> String {
        e.to_string()
    }

    #[test]
    fn request_encoding() {
        let imprint = DigestAlgorithm::Sha256.digest(b"x");
        let req = timestamp_request(DigestAlgorithm::Sha256, &imprint, &[0x80, 1, 2, 3, 4, 5, 6, 7]);
        let top = der::parse_prefix(&req).unwrap();
        assert_eq!(top.raw.len(), req.len());
        let mut r = top.reader();
        assert_eq!(r.expect(tag::INTEGER).unwrap().value, &[1]);
        let mut mi = r.expect(tag::SEQUENCE).unwrap().reader();
        let (o, params) = der::algorithm_identifier(mi.expect(tag::SEQUENCE).unwrap()).unwrap();
        assert_eq!((o, params.is_none()), (DigestAlgorithm::Sha256.oid(), true));
        assert_eq!(mi.expect(tag::OCTET_STRING).unwrap().value, imprint.as_slice());
        // A positive INTEGER: the high bit forces a leading zero.
        assert_eq!(r.expect(tag::INTEGER).unwrap().value, &[0, 0x80, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(r.expect(tag::BOOLEAN).unwrap().value, &[0xFF]);
        assert!(r.finish().is_ok());
    }

    fn response(status: &[u8], token: Option<&[u8]>) -> Vec<u8> {
        let status_info = tlv(tag::SEQUENCE, status);
        seq(&[&status_info, token.unwrap_or_default()])
    }

    #[test]
    fn timestamp_responses() {
        let token = seq(&[&write::oid(crate::asn1::oid::SIGNED_DATA)]);
        for granted in [0, 1] {
            let resp = response(&small_int(granted), Some(&token));
            assert_eq!(token_from_response(&resp).unwrap(), token.as_slice());
        }
        let text = seq(&[&tlv(0x0C, b"unsupported algorithm"), &tlv(0x0C, b"\x1b[2Jsee docs")]);
        // failInfo badAlg (bit 0) and systemFailure (bit 25).
        let fail_info = tlv(tag::BIT_STRING, &[6, 0x80, 0, 0, 0x40]);
        let resp = response(&[small_int(2), text, fail_info].concat(), None);
        let e = message(token_from_response(&resp).unwrap_err());
        assert!(e.contains("status 2 (rejection): unsupported algorithm; ?[2Jsee docs"), "{e}");
        assert!(e.contains("[badAlg, systemFailure]"), "{e}");
        let e = message(token_from_response(&response(&small_int(3), Some(&token))).unwrap_err());
        assert!(e.contains("status 3 (waiting)"), "{e}");
        let e = message(token_from_response(&response(&[0x02, 0x01, 0xFF], None)).unwrap_err());
        assert!(e.contains("status -1"), "{e}");
        assert!(token_from_response(&response(&[0x02, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0], None)).is_err());
        assert!(message(token_from_response(&response(&small_int(0), None)).unwrap_err()).contains("no token"));
        assert!(token_from_response(&response(&small_int(0), Some(&octets(b"x")))).is_err());
        let mut trailing = response(&small_int(0), Some(&token));
        trailing.push(0);
        assert!(token_from_response(&trailing).is_err());
        for garbage in [&b""[..], b"\x30", b"<html>proxy error</html>", b"\x30\x80\x00\x00", b"\x04\x00"] {
            assert!(token_from_response(garbage).is_err());
        }
    }

    /// No reply bytes make the codec panic: every truncation of a valid
    /// reply is refused or accepted, never a crash (the HTTP layer's own
    /// mutations are in `clients::tsa`).
    #[test]
    fn truncated_replies_do_not_panic() {
        let token = seq(&[&write::oid(crate::asn1::oid::SIGNED_DATA), &tlv(tag::ctx_cons(0), &seq(&[]))]);
        let text = seq(&[&tlv(0x0C, b"no")]);
        for resp in [response(&small_int(0), Some(&token)), response(&[small_int(2), text].concat(), None)] {
            for i in 0..resp.len() {
                let _ = token_from_response(&resp[..i]);
                let _ = check_token(&resp[..i], DigestAlgorithm::Sha256, &[0; 32], &[1]);
            }
        }
    }

    #[test]
    fn nonces_in_tst_info() {
        let imprint = DigestAlgorithm::Sha256.digest(b"x");
        let t = time::macros::datetime!(2026-03-05 07:30 UTC);
        let policy = crate::cms::tsa::DEFAULT_POLICY;
        let with = build::tst_info(policy, DigestAlgorithm::Sha256, &imprint, &[7], t, Some(&[0x80, 1]));
        assert_eq!(tst_nonce(&with).unwrap(), Some(&[0, 0x80, 1][..]));
        assert_eq!(strip_leading_zeros(tst_nonce(&with).unwrap().unwrap()), &[0x80, 1]);
        let without = build::tst_info(policy, DigestAlgorithm::Sha256, &imprint, &[7], t, None);
        assert_eq!(tst_nonce(&without).unwrap(), None);
        // accuracy and ordering come between genTime and the nonce.
        let with_optionals = seq(&[
            &small_int(1),
            &write::oid(policy),
            &seq(&[&alg(DigestAlgorithm::Sha256.oid()), &octets(&imprint)]),
            &small_int(7),
            &write::generalized_time(t),
            &seq(&[&small_int(1)]),
            &[tag::BOOLEAN, 1, 0],
            &uint(&[9, 9]),
            &tlv(tag::ctx_cons(0), &[]),
        ]);
        assert_eq!(tst_nonce(&with_optionals).unwrap(), Some(&[9, 9][..]));
        assert!(tst_nonce(b"\x30\x00").is_err());
    }
}

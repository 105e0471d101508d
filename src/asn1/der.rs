//! A minimal DER reader that hands out exact byte slices.
//!
//! CMS verification needs the *original* bytes of several structures: the
//! signed attributes (the signature is over their encoding as received, not
//! over a re-encoding), each embedded certificate (handed to x509-parser), the
//! timestamp's TSTInfo. General ASN.1 crates decode into owned values and lose
//! those slices, so this reader stays at the TLV level: it never allocates,
//! refuses indefinite lengths and lengths past the input, and caps nesting
//! through the caller's recursion (every parser built on it descends a fixed
//! schema).

use thiserror::Error;

/// Universal and context tags used by the CMS and TSP schemas we read.
pub mod tag {
    pub const BOOLEAN: u8 = 0x01;
    pub const INTEGER: u8 = 0x02;
    pub const BIT_STRING: u8 = 0x03;
    pub const OCTET_STRING: u8 = 0x04;
    pub const NULL: u8 = 0x05;
    pub const OID: u8 = 0x06;
    pub const UTC_TIME: u8 = 0x17;
    pub const GENERALIZED_TIME: u8 = 0x18;
    pub const SEQUENCE: u8 = 0x30;
    pub const SET: u8 = 0x31;
    /// `[n]` constructed context-specific tag.
    pub const fn ctx_cons(n: u8) -> u8 {
        0xA0 | n
    }
    /// `[n]` primitive context-specific tag.
    pub const fn ctx_prim(n: u8) -> u8 {
        0x80 | n
    }
}

/// Why a DER structure could not be read.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DerError {
    #[error("DER input ends early")]
    Truncated,
    #[error("DER length form not allowed (indefinite or over-long)")]
    BadLength,
    #[error("multi-byte DER tags are not supported")]
    HighTag,
    #[error("expected DER tag {expected:#04x}, found {found:#04x}")]
    UnexpectedTag { expected: u8, found: u8 },
    #[error("unexpected data after a DER structure")]
    TrailingData,
    #[error("malformed DER {0}")]
    Malformed(&'static str),
}

/// One tag-length-value element.
#[derive(Debug, Clone, Copy)]
pub struct Tlv<'a> {
    pub tag: u8,
    /// The value bytes (without tag and length).
    pub value: &'a [u8],
    /// The whole element, tag and length included.
    pub raw: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// A reader over the contents of this (constructed) element.
    pub fn reader(&self) -> Reader<'a> {
        Reader::new(self.value)
    }
}

/// Sequential reader over a run of DER elements.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Tag of the next element, if any.
    pub fn peek_tag(&self) -> Option<u8> {
        self.data.first().copied()
    }

    /// Reads the next element, whatever its tag.
    pub fn any(&mut self) -> Result<Tlv<'a>, DerError> {
        let data = self.data;
        let (&tag, rest) = data.split_first().ok_or(DerError::Truncated)?;
        if tag & 0x1F == 0x1F {
            return Err(DerError::HighTag);
        }
        let (&first, rest) = rest.split_first().ok_or(DerError::Truncated)?;
        let (len, rest) = if first < 0x80 {
            (first as usize, rest)
        } else {
            let n = (first & 0x7F) as usize;
            // 0x80 is BER's indefinite form; more than 4 length bytes would
            // describe more data than any input we accept.
            if n == 0 || n > 4 {
                return Err(DerError::BadLength);
            }
            if rest.len() < n {
                return Err(DerError::Truncated);
            }
            let len = rest[..n].iter().fold(0usize, |acc, &b| (acc << 8) | b as usize);
            (len, &rest[n..])
        };
        if rest.len() < len {
            return Err(DerError::Truncated);
        }
        let header = data.len() - rest.len();
        let raw = &data[..header + len];
        let value = &rest[..len];
        self.data = &rest[len..];
        Ok(Tlv { tag, value, raw })
    }

    /// Reads the next element and checks its tag.
    pub fn expect(&mut self, tag: u8) -> Result<Tlv<'a>, DerError> {
        let found = self.peek_tag().ok_or(DerError::Truncated)?;
        if found != tag {
            return Err(DerError::UnexpectedTag { expected: tag, found });
        }
        self.any()
    }

    /// Reads the next element only if it carries `tag`.
    pub fn optional(&mut self, tag: u8) -> Result<Option<Tlv<'a>>, DerError> {
        if self.peek_tag() == Some(tag) { self.any().map(Some) } else { Ok(None) }
    }

    /// Fails unless every byte was consumed.
    pub fn finish(&self) -> Result<(), DerError> {
        if self.data.is_empty() { Ok(()) } else { Err(DerError::TrailingData) }
    }
}

/// Reads exactly one element spanning the whole input; returns it and the
/// number of bytes it occupies. Bytes after it are left to the caller (a PDF
/// /Contents string is zero-padded after the CMS).
pub fn parse_prefix(data: &[u8]) -> Result<Tlv<'_>, DerError> {
    Reader::new(data).any()
}

/// An OID in its DER value encoding (without tag and length), compared
/// bytewise: cheaper and less error-prone than decoding arcs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Oid<'a>(pub &'a [u8]);

impl std::fmt::Debug for Oid<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&oid_to_string(self.0))
    }
}

/// Dotted form of an OID value, for messages.
pub fn oid_to_string(value: &[u8]) -> String {
    let mut arcs: Vec<u64> = Vec::new();
    let mut acc: u64 = 0;
    for &b in value {
        acc = acc.saturating_mul(128) | u64::from(b & 0x7F);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (acc / 40).min(2);
                arcs.push(first);
                arcs.push(acc - first * 40);
            } else {
                arcs.push(acc);
            }
            acc = 0;
        }
    }
    arcs.iter().map(u64::to_string).collect::<Vec<_>>().join(".")
}

/// Reads an AlgorithmIdentifier: the OID value and the raw parameters, if any.
pub fn algorithm_identifier<'a>(tlv: Tlv<'a>) -> Result<(Oid<'a>, Option<Tlv<'a>>), DerError> {
    if tlv.tag != tag::SEQUENCE {
        return Err(DerError::UnexpectedTag { expected: tag::SEQUENCE, found: tlv.tag });
    }
    let mut r = tlv.reader();
    let oid = r.expect(tag::OID)?;
    let params = if r.is_empty() { None } else { Some(r.any()?) };
    r.finish()?;
    Ok((Oid(oid.value), params))
}

/// Parses an ASN.1 UTCTime or GeneralizedTime in the restricted DER forms
/// (`YYMMDDHHMMSSZ`, `YYYYMMDDHHMMSS[.f]Z`).
pub fn parse_time(tlv: &Tlv<'_>) -> Result<time::OffsetDateTime, DerError> {
    let s = std::str::from_utf8(tlv.value).map_err(|_| DerError::Malformed("time"))?;
    let s = s.strip_suffix('Z').ok_or(DerError::Malformed("time zone"))?;
    let (year, rest) = match tlv.tag {
        tag::UTC_TIME => {
            let yy: i32 = s.get(..2).and_then(|v| v.parse().ok()).ok_or(DerError::Malformed("time"))?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &s[2..])
        }
        tag::GENERALIZED_TIME => {
            let yyyy: i32 = s.get(..4).and_then(|v| v.parse().ok()).ok_or(DerError::Malformed("time"))?;
            (yyyy, &s[4..])
        }
        _ => return Err(DerError::Malformed("time tag")),
    };
    let (main, frac) = match rest.split_once('.') {
        Some((m, f)) => (m, Some(f)),
        None => (rest, None),
    };
    if main.len() != 10 || !main.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DerError::Malformed("time"));
    }
    let num = |i: usize| -> u8 { (main.as_bytes()[i] - b'0') * 10 + (main.as_bytes()[i + 1] - b'0') };
    let month = time::Month::try_from(num(0)).map_err(|_| DerError::Malformed("time month"))?;
    let date = time::Date::from_calendar_date(year, month, num(2)).map_err(|_| DerError::Malformed("time date"))?;
    let mut nanos = 0u32;
    if let Some(f) = frac {
        if f.is_empty() || f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DerError::Malformed("time fraction"));
        }
        let v: u32 = f.parse().map_err(|_| DerError::Malformed("time fraction"))?;
        nanos = v * 10u32.pow(9 - f.len() as u32);
    }
    let t = time::Time::from_hms_nano(num(4), num(6), num(8), nanos).map_err(|_| DerError::Malformed("time of day"))?;
    Ok(time::PrimitiveDateTime::new(date, t).assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_and_slices() {
        let data = [0x30, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0xFF, 0x00];
        let top = parse_prefix(&data).unwrap();
        assert_eq!(top.raw.len(), 8);
        let mut r = top.reader();
        assert_eq!(r.expect(tag::INTEGER).unwrap().value, &[5]);
        assert_eq!(r.expect(tag::OCTET_STRING).unwrap().value, &[0xFF]);
        assert!(r.finish().is_ok());
    }

    #[test]
    fn refuses_indefinite_and_overlong() {
        assert_eq!(parse_prefix(&[0x30, 0x80, 0, 0]).unwrap_err(), DerError::BadLength);
        assert_eq!(parse_prefix(&[0x04, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]).unwrap_err(), DerError::Truncated);
        assert_eq!(parse_prefix(&[0x04, 0x02, 0x00]).unwrap_err(), DerError::Truncated);
    }

    #[test]
    fn oid_text() {
        assert_eq!(oid_to_string(&[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02]), "1.2.840.113549.1.7.2");
    }

    #[test]
    fn times() {
        let t = Tlv { tag: tag::GENERALIZED_TIME, value: b"20260305073000.25Z", raw: &[] };
        let v = parse_time(&t).unwrap();
        assert_eq!(v.year(), 2026);
        assert_eq!(v.millisecond(), 250);
        let t = Tlv { tag: tag::UTC_TIME, value: b"491231235959Z", raw: &[] };
        assert_eq!(parse_time(&t).unwrap().year(), 2049);
    }
}

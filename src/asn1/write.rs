//! A small DER writer. Every element is built from parts whose encoding we
//! control, so what is signed is exactly what is written.

use super::der::{Oid, tag};

/// A DER element from its tag and content.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

pub fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(tag::SEQUENCE, &parts.concat())
}

/// A DER SET OF: elements sorted by their encodings (X.690 §11.6).
pub fn set_of(mut parts: Vec<Vec<u8>>) -> Vec<u8> {
    parts.sort();
    tlv(tag::SET, &parts.concat())
}

pub fn oid(o: Oid<'_>) -> Vec<u8> {
    tlv(tag::OID, o.0)
}

pub fn octets(v: &[u8]) -> Vec<u8> {
    tlv(tag::OCTET_STRING, v)
}

/// An INTEGER from unsigned big-endian bytes.
pub fn uint(v: &[u8]) -> Vec<u8> {
    let start = v.iter().position(|&b| b != 0).unwrap_or(v.len().saturating_sub(1));
    let v = &v[start.min(v.len())..];
    let mut content = Vec::with_capacity(v.len() + 1);
    if v.first().is_none_or(|&b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(v);
    tlv(tag::INTEGER, &content)
}

pub fn small_int(v: u8) -> Vec<u8> {
    tlv(tag::INTEGER, &[v])
}

/// AlgorithmIdentifier without parameters (SHA-2 digests, ECDSA, Ed25519).
pub fn alg(o: Oid<'_>) -> Vec<u8> {
    seq(&[&oid(o)])
}

/// AlgorithmIdentifier with NULL parameters (the RSA PKCS#1 family).
pub fn alg_null(o: Oid<'_>) -> Vec<u8> {
    seq(&[&oid(o), &[tag::NULL, 0]])
}

pub fn generalized_time(t: time::OffsetDateTime) -> Vec<u8> {
    let t = t.to_offset(time::UtcOffset::UTC);
    let s = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    tlv(tag::GENERALIZED_TIME, s.as_bytes())
}

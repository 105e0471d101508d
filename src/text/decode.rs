//! Stream data for content streams, fonts and CMaps: the ASCII filters
//! (reportlab writes every content stream as `[/ASCII85Decode
//! /FlateDecode]`) are decoded here, each step of FlateDecode by the PDF
//! reader's filter under its budget.
//!
//! The ASCII filters only shrink their input (except `z` in ASCII85, which
//! is at most four bytes per input byte), so their output is bounded by the
//! file's size.

use crate::pdf::object::{Dict, Object, Stream, dict_get};
use crate::pdf::{Document, PdfError, filters};

/// The decoded data of a stream.
pub(crate) fn stream_data(doc: &Document<'_>, s: &Stream) -> Result<Vec<u8>, PdfError> {
    let raw = doc.stream_raw(s)?;
    let raw = &raw[..];
    let names: Vec<Vec<u8>> = match dict_get(&s.dict, b"Filter") {
        Some(Object::Array(a)) => a.iter().filter_map(Object::as_name).map(<[u8]>::to_vec).collect(),
        Some(Object::Name(n)) => vec![n.clone()],
        _ => return filters::decode(&s.dict, raw, doc.budget),
    };
    if !names.iter().any(|n| is_ascii_filter(n)) {
        return filters::decode(&s.dict, raw, doc.budget);
    }
    let params: Vec<Option<&Object>> = match dict_get(&s.dict, b"DecodeParms") {
        Some(Object::Array(a)) => a.iter().map(Some).collect(),
        Some(p) => vec![Some(p)],
        None => vec![],
    };
    let mut data = raw.to_vec();
    for (i, name) in names.iter().enumerate() {
        data = match name.as_slice() {
            b"ASCII85Decode" | b"A85" => ascii85(&data)?,
            b"ASCIIHexDecode" | b"AHx" => ascii_hex(&data)?,
            other => {
                // One step through the reader's own filter, with its parameters.
                let mut step: Dict = vec![(b"Filter".to_vec(), Object::Name(other.to_vec()))];
                if let Some(p) = params.get(i).copied().flatten() {
                    step.push((b"DecodeParms".to_vec(), p.clone()));
                }
                filters::decode(&step, &data, doc.budget)?
            }
        };
    }
    Ok(data)
}

fn is_ascii_filter(n: &[u8]) -> bool {
    matches!(n, b"ASCII85Decode" | b"A85" | b"ASCIIHexDecode" | b"AHx")
}

fn bad(what: &str) -> PdfError {
    PdfError::Syntax { offset: 0, what: what.to_string() }
}

/// ASCII base-85 (ISO 32000-1 §7.4.3), ending at `~>` or the end of data.
fn ascii85(data: &[u8]) -> Result<Vec<u8>, PdfError> {
    let mut out = Vec::with_capacity(data.len());
    let mut group = [0u8; 5];
    let mut n = 0usize;
    for &c in data {
        match c {
            b'~' => break,
            b'z' if n == 0 => out.extend_from_slice(&[0; 4]),
            b'!'..=b'u' => {
                if let Some(slot) = group.get_mut(n) {
                    *slot = c - b'!';
                }
                n += 1;
                if n == 5 {
                    let v = group.iter().try_fold(0u32, |a, &d| a.checked_mul(85)?.checked_add(u32::from(d)));
                    out.extend_from_slice(&v.ok_or_else(|| bad("ASCII85 group out of range"))?.to_be_bytes());
                    n = 0;
                }
            }
            c if c.is_ascii_whitespace() || c == 0 => {}
            _ => return Err(bad("bad ASCII85 character")),
        }
    }
    if n == 1 {
        return Err(bad("ASCII85 data ends with a single character"));
    }
    if n > 1 {
        // A final partial group is padded with 'u' and cut to n - 1 bytes.
        for slot in group.iter_mut().skip(n) {
            *slot = 84;
        }
        let v = group.iter().try_fold(0u32, |a, &d| a.checked_mul(85)?.checked_add(u32::from(d)));
        let v = v.ok_or_else(|| bad("ASCII85 group out of range"))?.to_be_bytes();
        out.extend_from_slice(v.get(..n - 1).unwrap_or_default());
    }
    Ok(out)
}

/// ASCII hexadecimal, ending at `>`; an odd final digit is followed by 0.
fn ascii_hex(data: &[u8]) -> Result<Vec<u8>, PdfError> {
    let mut out = Vec::with_capacity(data.len() / 2);
    let mut high: Option<u8> = None;
    for &c in data {
        let v = match c {
            b'>' => break,
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            c if c.is_ascii_whitespace() || c == 0 => continue,
            _ => return Err(bad("bad ASCIIHex character")),
        };
        match high.take() {
            Some(h) => out.push(h << 4 | v),
            None => high = Some(v),
        }
    }
    out.extend(high.map(|h| h << 4));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii85_round_trips_known_vectors() {
        assert_eq!(ascii85(b"87cURD]i,\"Ebo7~>").unwrap(), b"Hello World");
        assert_eq!(ascii85(b"87cURD]i,\"Ebo80~>").unwrap(), b"Hello World!");
        assert_eq!(ascii85(b"z~>").unwrap(), [0, 0, 0, 0]);
        assert_eq!(ascii85(b"s8W-!~>").unwrap(), [0xFF; 4]);
        assert!(ascii85(b"s8W-\"~>").is_err(), "a group above 2^32 - 1");
        assert!(ascii85(b"v~>").is_err());
    }

    #[test]
    fn ascii_hex() {
        assert_eq!(super::ascii_hex(b"48 65 6C6c 7>").unwrap(), b"Hellp");
    }
}

//! Stream filters needed to read cross-reference and object streams:
//! FlateDecode with PNG predictors. Output is capped by the caller's budget,
//! so a decompression bomb ends as an error after at most that many bytes.

use super::object::{Dict, Object, dict_get};
use super::{Budget, PdfError};
use std::io::Read;

/// Decodes stream data according to its /Filter and /DecodeParms.
pub fn decode(dict: &Dict, raw: &[u8], budget: &Budget) -> Result<Vec<u8>, PdfError> {
    let filters: Vec<&[u8]> = match dict_get(dict, b"Filter") {
        None => vec![],
        Some(Object::Name(n)) => vec![n.as_slice()],
        Some(Object::Array(a)) => a.iter().filter_map(Object::as_name).collect(),
        Some(_) => return Err(PdfError::Unsupported("filter specification".into())),
    };
    let params: Vec<Option<&Object>> = match dict_get(dict, b"DecodeParms") {
        Some(Object::Array(a)) => a.iter().map(Some).collect(),
        Some(p) => vec![Some(p)],
        None => vec![],
    };
    let mut data = raw.to_vec();
    for (i, f) in filters.iter().enumerate() {
        data = match *f {
            b"FlateDecode" | b"Fl" => {
                let out = inflate(&data, budget)?;
                match params.get(i).copied().flatten() {
                    Some(p) => predict(out, p)?,
                    None => out,
                }
            }
            other => {
                return Err(PdfError::Unsupported(format!("stream filter /{}", String::from_utf8_lossy(other))));
            }
        };
    }
    Ok(data)
}

fn inflate(data: &[u8], budget: &Budget) -> Result<Vec<u8>, PdfError> {
    let allowance = budget.inflate_allowance();
    let mut out = Vec::new();
    let mut dec = flate2::read::ZlibDecoder::new(data).take(allowance as u64 + 1);
    match dec.read_to_end(&mut out) {
        Ok(_) => {}
        // Truncated or slightly damaged streams are common; keep what inflated.
        Err(_) if !out.is_empty() => {}
        Err(e) => {
            return Err(PdfError::Syntax { offset: 0, what: format!("FlateDecode: {e}") });
        }
    }
    if out.len() > allowance {
        return Err(PdfError::Limit("decompressed size"));
    }
    budget.spend_inflated(out.len())?;
    Ok(out)
}

/// PNG predictors (Predictor >= 10) as used by cross-reference streams.
fn predict(data: Vec<u8>, params: &Object) -> Result<Vec<u8>, PdfError> {
    let predictor = params.get(b"Predictor").and_then(Object::as_int).unwrap_or(1);
    if predictor == 1 {
        return Ok(data);
    }
    if predictor < 10 {
        return Err(PdfError::Unsupported(format!("predictor {predictor}")));
    }
    let colors = params.get(b"Colors").and_then(Object::as_int).unwrap_or(1);
    let bpc = params.get(b"BitsPerComponent").and_then(Object::as_int).unwrap_or(8);
    let columns = params.get(b"Columns").and_then(Object::as_int).unwrap_or(1);
    if !(1..=32).contains(&colors) || ![1, 2, 4, 8, 16].contains(&bpc) || !(1..=1 << 20).contains(&columns) {
        return Err(PdfError::Unsupported("predictor parameters".into()));
    }
    let bpp = ((colors * bpc + 7) / 8) as usize;
    let row = ((colors * bpc * columns + 7) / 8) as usize;
    let mut out = Vec::with_capacity(data.len());
    let mut prev = vec![0u8; row];
    for chunk in data.chunks(row + 1) {
        let (&kind, line) = match chunk.split_first() {
            Some(x) => x,
            None => break,
        };
        let mut cur = line.to_vec();
        cur.resize(row, 0);
        for i in 0..row {
            let left = if i >= bpp { cur[i - bpp] } else { 0 };
            let up = prev[i];
            let up_left = if i >= bpp { prev[i - bpp] } else { 0 };
            cur[i] = match kind {
                0 => cur[i],
                1 => cur[i].wrapping_add(left),
                2 => cur[i].wrapping_add(up),
                3 => cur[i].wrapping_add(((u16::from(left) + u16::from(up)) / 2) as u8),
                4 => cur[i].wrapping_add(paeth(left, up, up_left)),
                _ => {
                    return Err(PdfError::Syntax { offset: 0, what: "bad PNG predictor row".into() });
                }
            };
        }
        out.extend_from_slice(&cur);
        prev = cur;
    }
    Ok(out)
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = ((p - i16::from(a)).abs(), (p - i16::from(b)).abs(), (p - i16::from(c)).abs());
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

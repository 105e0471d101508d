//! Fonts as far as text extraction needs them: how a string splits into
//! codes, what Unicode each code stands for, how far each advances, and how
//! tall the glyphs are (ascent and descent, for word boxes).
//!
//! The order of trust for Unicode follows ISO 32000-1 §9.10.2: the font's
//! ToUnicode map first, then the encoding's glyph names; a code nothing
//! explains becomes U+FFFD rather than a guess.

use super::cmap::CMap;
use super::encoding::{self, Base};
use crate::pdf::object::Object;
use crate::pdf::{Document, PdfError, View};

/// Default ascent and descent (fractions of the em) when a font declares
/// none: generous values that cover accented capitals, the same as
/// poppler's, so boxes agree with what other tools show.
const DEFAULT_ASCENT: f64 = 0.95;
const DEFAULT_DESCENT: f64 = -0.35;

/// A font loaded from a page's resources.
#[derive(Debug)]
pub struct Font {
    kind: Kind,
    to_unicode: Option<CMap>,
    /// Top of the glyphs above the baseline, in em.
    pub ascent: f64,
    /// Bottom of the glyphs below the baseline, in em (negative).
    pub descent: f64,
    /// Glyph space to text space (1/1000 except for Type 3 fonts).
    scale: f64,
}

#[derive(Debug)]
enum Kind {
    Simple {
        chars: Box<[Option<char>; 256]>,
        widths: Box<[f64; 256]>,
    },
    /// Type0: codes through a CMap (`None`: Identity, two bytes = CID).
    Composite {
        encoding: Option<CMap>,
        /// (first CID, last CID, width).
        widths: Vec<(u32, u32, f64)>,
        default_width: f64,
    },
}

/// One decoded character code.
#[derive(Debug, Clone)]
pub struct Glyph {
    /// Its Unicode text (usually one character; ligatures give more).
    pub text: String,
    /// Advance in text space per unit of font size.
    pub advance: f64,
    /// The single-byte code 32, to which word spacing (Tw) applies.
    pub is_space_code: bool,
}

/// Most entries read from a /W array.
const MAX_W_ENTRIES: usize = 100_000;

fn num(o: &Object) -> Option<f64> {
    match o {
        Object::Int(i) => Some(*i as f64),
        Object::Real(r) if r.is_finite() => Some(*r),
        _ => None,
    }
}

impl Font {
    /// Loads a font dictionary (resolved); fails only on errors of the
    /// underlying reader (budget, syntax of referenced objects).
    pub fn load(doc: &Document<'_>, font: &Object) -> Result<Font, PdfError> {
        let get = |o: Option<&Object>| -> Result<Option<Object>, PdfError> {
            match o {
                Some(o) => doc.resolve(o, View::Latest),
                None => Ok(None),
            }
        };
        let to_unicode = match get(font.get(b"ToUnicode"))? {
            Some(Object::Stream(s)) => Some(CMap::parse(&super::decode::stream_data(doc, &s)?)),
            _ => None,
        };
        let base_font = font.get(b"BaseFont").and_then(Object::as_name).unwrap_or_default().to_vec();
        let is_type0 = font.has_name(b"Subtype", b"Type0");
        let is_type3 = font.has_name(b"Subtype", b"Type3");
        let descendant = if is_type0 {
            match get(font.get(b"DescendantFonts"))? {
                Some(Object::Array(a)) => match a.first() {
                    Some(d) => get(Some(d))?,
                    None => None,
                },
                _ => None,
            }
        } else {
            None
        };
        let descriptor_owner = descendant.as_ref().unwrap_or(font);
        let descriptor = get(descriptor_owner.get(b"FontDescriptor"))?;
        let (ascent, descent) = metrics(descriptor.as_ref(), &base_font);
        let scale = if is_type3 {
            match get(font.get(b"FontMatrix"))? {
                Some(Object::Array(m)) => m.first().and_then(num).filter(|v| *v != 0.0).unwrap_or(0.001),
                _ => 0.001,
            }
        } else {
            0.001
        };
        let kind = if let Some(cid_font) = descendant {
            let encoding = match get(font.get(b"Encoding"))? {
                Some(Object::Stream(s)) => Some(CMap::parse(&super::decode::stream_data(doc, &s)?)),
                // Identity-H/V, and (approximately) the predefined CJK CMaps,
                // which are two-byte for the scripts our documents use.
                _ => None,
            };
            let default_width = cid_font.get(b"DW").and_then(num).unwrap_or(1000.0);
            let mut widths = match get(cid_font.get(b"W"))? {
                Some(Object::Array(w)) => cid_widths(doc, &w)?,
                _ => Vec::new(),
            };
            widths.sort_by_key(|e| e.0);
            Kind::Composite { encoding, widths, default_width }
        } else {
            let (chars, widths) = simple(doc, font, descriptor.as_ref(), &base_font)?;
            Kind::Simple { chars, widths }
        };
        Ok(Font { kind, to_unicode, ascent, descent, scale })
    }

    /// Splits `bytes` into glyphs.
    pub fn decode(&self, bytes: &[u8], out: &mut Vec<Glyph>) {
        match &self.kind {
            Kind::Simple { chars, widths } => {
                for &b in bytes {
                    let text = self
                        .to_unicode
                        .as_ref()
                        .and_then(|m| m.unicode(1, u32::from(b)))
                        .or_else(|| chars[usize::from(b)].map(String::from))
                        .unwrap_or_else(|| '\u{FFFD}'.to_string());
                    out.push(Glyph { text, advance: widths[usize::from(b)] * self.scale, is_space_code: b == 32 });
                }
            }
            Kind::Composite { encoding, widths, default_width } => {
                let mut i = 0;
                while i < bytes.len() {
                    let rest = &bytes[i..];
                    let len = match encoding {
                        Some(m) if m.has_code_space() => m.code_len(rest),
                        _ => 2.min(rest.len()),
                    };
                    let code_bytes = rest.get(..len).unwrap_or(rest);
                    let code = code_bytes.iter().fold(0u32, |a, &b| a << 8 | u32::from(b));
                    let cid = match encoding {
                        Some(m) => m.cid(len, code).unwrap_or(code),
                        None => code,
                    };
                    let w = cid_width(widths, cid).unwrap_or(*default_width);
                    let text = self
                        .to_unicode
                        .as_ref()
                        .and_then(|m| m.unicode(len, code))
                        .unwrap_or_else(|| '\u{FFFD}'.to_string());
                    out.push(Glyph { text, advance: w * self.scale, is_space_code: len == 1 && code == 32 });
                    i += len.max(1);
                }
            }
        }
    }
}

/// The width of `cid` from /W entries sorted by first CID (later entries
/// win over earlier ones, as when the array repeats a CID).
fn cid_width(widths: &[(u32, u32, f64)], cid: u32) -> Option<f64> {
    let end = widths.partition_point(|e| e.0 <= cid);
    // Overlapping entries are rare; a few are examined, never all.
    widths.get(end.saturating_sub(16)..end)?.iter().rev().find(|e| e.1 >= cid).map(|e| e.2)
}

/// Ascent and descent from the descriptor, each on its own: a zero or
/// absurd value (LibreOffice writes zeros; some writers flip the sign)
/// falls back to the standard font's, else to a generic default.
fn metrics(descriptor: Option<&Object>, base_font: &[u8]) -> (f64, f64) {
    let name = String::from_utf8_lossy(base_font).to_ascii_lowercase();
    // The standard 14 fonts' ascender and descender (their published metrics).
    let (mut ascent, mut descent) = if name.contains("courier") {
        (0.629, -0.157)
    } else if name.contains("helvetica") || name.contains("arial") {
        (0.718, -0.207)
    } else if name.contains("times") {
        (0.683, -0.217)
    } else {
        (DEFAULT_ASCENT, DEFAULT_DESCENT)
    };
    if let Some(a) = descriptor.and_then(|d| d.get(b"Ascent")).and_then(num).map(|a| a.abs() / 1000.0)
        && a > 0.0
        && a < 3.0
    {
        ascent = a;
    }
    if let Some(d) = descriptor.and_then(|d| d.get(b"Descent")).and_then(num).map(|d| -d.abs() / 1000.0)
        && d < 0.0
        && d > -3.0
    {
        descent = d;
    }
    (ascent, descent)
}

type SimpleTables = (Box<[Option<char>; 256]>, Box<[f64; 256]>);

/// The code → character table and widths of a simple font.
fn simple(
    doc: &Document<'_>,
    font: &Object,
    descriptor: Option<&Object>,
    base_font: &[u8],
) -> Result<SimpleTables, PdfError> {
    let flags = descriptor.and_then(|d| d.get(b"Flags")).and_then(Object::as_int).unwrap_or(0);
    let symbolic = flags & 4 != 0;
    let encoding = match font.get(b"Encoding") {
        Some(e) => doc.resolve(e, View::Latest)?,
        None => None,
    };
    let default_base = if font.has_name(b"Subtype", b"TrueType") { Base::WinAnsi } else { Base::Standard };
    let base = match &encoding {
        Some(Object::Name(n)) => Base::from_name(n),
        Some(d @ Object::Dict(_)) => d.get(b"BaseEncoding").and_then(Object::as_name).and_then(Base::from_name),
        _ => None,
    };
    let mut chars: Box<[Option<char>; 256]> = Box::new([None; 256]);
    for (code, slot) in (0u8..=255).zip(chars.iter_mut()) {
        *slot = match base {
            Some(b) => b.char(code),
            // A symbolic font without an encoding uses its built-in one,
            // which we cannot see; Latin-1 is the least wrong reading.
            None if symbolic => (code >= 0x20).then(|| char::from(code)),
            None => default_base.char(code),
        };
    }
    if let Some(Object::Array(diffs)) = encoding.as_ref().and_then(|e| e.get(b"Differences")).cloned() {
        let mut code: i64 = 0;
        for d in &diffs {
            match d {
                Object::Int(i) => code = *i,
                Object::Name(n) => {
                    if let Some(slot) = usize::try_from(code).ok().and_then(|c| chars.get_mut(c)) {
                        *slot = encoding::glyph_char(&String::from_utf8_lossy(n));
                    }
                    code = code.saturating_add(1);
                }
                _ => {}
            }
        }
    }
    let mut widths: Box<[f64; 256]> = Box::new([0.0; 256]);
    let declared = match font.get(b"Widths") {
        Some(w) => doc.resolve(w, View::Latest)?,
        None => None,
    };
    let missing = descriptor.and_then(|d| d.get(b"MissingWidth")).and_then(num).unwrap_or(0.0);
    match declared {
        Some(Object::Array(w)) => {
            let first = font.get(b"FirstChar").and_then(Object::as_int).unwrap_or(0);
            for (code, slot) in widths.iter_mut().enumerate() {
                let idx =
                    i64::try_from(code).ok().and_then(|c| c.checked_sub(first)).and_then(|i| usize::try_from(i).ok());
                *slot = idx.and_then(|i| w.get(i)).and_then(num).unwrap_or(missing);
            }
        }
        _ => {
            for (code, slot) in (0u8..=255).zip(widths.iter_mut()) {
                *slot =
                    encoding::standard_width(base_font, code).unwrap_or(if missing > 0.0 { missing } else { 500.0 });
            }
        }
    }
    Ok((chars, widths))
}

/// The /W array of a CIDFont: `c [w1 w2 ...]` and `c_first c_last w`.
fn cid_widths(doc: &Document<'_>, w: &[Object]) -> Result<Vec<(u32, u32, f64)>, PdfError> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < w.len() && out.len() < MAX_W_ENTRIES {
        let Some(first) = w.get(i).and_then(Object::as_int).and_then(|v| u32::try_from(v).ok()) else {
            break;
        };
        let next = match w.get(i + 1) {
            Some(o) => doc.resolve(o, View::Latest)?,
            None => None,
        };
        match next {
            Some(Object::Array(list)) => {
                for (k, o) in list.iter().enumerate().take(MAX_W_ENTRIES) {
                    if let (Some(v), Some(cid)) = (num(o), u32::try_from(k).ok().and_then(|k| first.checked_add(k))) {
                        out.push((cid, cid, v));
                    }
                }
                i += 2;
            }
            Some(Object::Int(last)) => {
                let (Some(last), Some(v)) = (u32::try_from(last).ok(), w.get(i + 2).and_then(num)) else { break };
                out.push((first, last, v));
                i += 3;
            }
            _ => break,
        }
    }
    Ok(out)
}

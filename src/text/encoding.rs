//! Simple-font encodings (ISO 32000-1 Annex D): the base encodings by name,
//! /Differences by glyph name, and the widths of the standard 14 fonts that
//! files may use without embedding or declaring /Widths.

use super::tables;

/// WinAnsiEncoding's codes 0x80–0x9F (the rest is Latin-1).
const WIN_ANSI_80: [Option<char>; 32] = [
    Some('€'),
    None,
    Some('‚'),
    Some('ƒ'),
    Some('„'),
    Some('…'),
    Some('†'),
    Some('‡'),
    Some('ˆ'),
    Some('‰'),
    Some('Š'),
    Some('‹'),
    Some('Œ'),
    None,
    Some('Ž'),
    None,
    None,
    Some('‘'),
    Some('’'),
    Some('“'),
    Some('”'),
    Some('•'),
    Some('–'),
    Some('—'),
    Some('˜'),
    Some('™'),
    Some('š'),
    Some('›'),
    Some('œ'),
    None,
    Some('ž'),
    Some('Ÿ'),
];

/// The base encodings a simple font can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    /// Adobe StandardEncoding (the default of Type 1 fonts).
    Standard,
    WinAnsi,
    /// MacRomanEncoding: its ASCII half is decoded; its upper half is read as
    /// WinAnsi, which agrees on letters common in Vietnamese documents only
    /// partly (a documented approximation: such fonts are rare here).
    MacRoman,
}

impl Base {
    /// The base encoding named by `/Encoding /...` or `/BaseEncoding`.
    pub fn from_name(n: &[u8]) -> Option<Base> {
        match n {
            b"WinAnsiEncoding" => Some(Base::WinAnsi),
            b"StandardEncoding" => Some(Base::Standard),
            b"MacRomanEncoding" | b"MacExpertEncoding" => Some(Base::MacRoman),
            _ => None,
        }
    }

    /// The character for a one-byte code.
    pub fn char(self, code: u8) -> Option<char> {
        match (self, code) {
            (Base::Standard, 0x27) => Some('’'),
            (Base::Standard, 0x60) => Some('‘'),
            (Base::Standard, 0x80..) => None,
            (_, 0x20..=0x7E) => Some(char::from(code)),
            (_, 0x80..=0x9F) => WIN_ANSI_80.get(usize::from(code - 0x80)).copied().flatten(),
            (_, 0xA0..) => Some(char::from(code)),
            _ => None,
        }
    }
}

/// The character a glyph name stands for: a name of the glyph table, or
/// `uniXXXX` / `uXXXX[XX]`.
pub fn glyph_char(name: &str) -> Option<char> {
    if let Ok(i) = tables::GLYPH_NAMES.binary_search_by(|(n, _)| (*n).cmp(name)) {
        return tables::GLYPH_NAMES.get(i).map(|(_, c)| *c);
    }
    let hex = name
        .strip_prefix("uni")
        .filter(|h| h.len() >= 4)
        .map(|h| &h[..4])
        .or_else(|| name.strip_prefix('u').filter(|h| (4..=6).contains(&h.len())))?;
    u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
}

/// Advance widths (1/1000 em) of a standard 14 font by base font name, for
/// a WinAnsi code; `None` for fonts that are not among them.
pub fn standard_width(base_font: &[u8], code: u8) -> Option<f64> {
    // Subset prefixes ("ABCDEF+") and style suffixes in the TrueType names
    // some producers use for the same fonts ("Arial,Bold").
    let name = String::from_utf8_lossy(base_font);
    let name = name.split_once('+').map_or(name.as_ref(), |(_, n)| n).to_ascii_lowercase();
    let bold = name.contains("bold");
    let italic = name.contains("italic") || name.contains("oblique");
    let table = if name.starts_with("courier") {
        return Some(600.0);
    } else if name.starts_with("helvetica") || name.starts_with("arial") {
        if bold { &tables::HELVETICA_BOLD } else { &tables::HELVETICA }
    } else if name.starts_with("times") {
        match (bold, italic) {
            (false, false) => &tables::TIMES,
            (true, false) => &tables::TIMES_BOLD,
            (false, true) => &tables::TIMES_ITALIC,
            (true, true) => &tables::TIMES_BOLD_ITALIC,
        }
    } else {
        return None;
    };
    let w = table.get(usize::from(code).checked_sub(32)?).copied()?;
    Some(f64::from(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glyph_names() {
        assert_eq!(glyph_char("a"), Some('a'));
        assert_eq!(glyph_char("acircumflexacute"), Some('ấ'));
        assert_eq!(glyph_char("uhorndotbelow"), Some('ự'));
        assert_eq!(glyph_char("uni1EA1"), Some('ạ'));
        assert_eq!(glyph_char("u1F600"), Some('😀'));
        assert_eq!(glyph_char("nosuchglyph"), None);
    }

    #[test]
    fn base_encodings() {
        assert_eq!(Base::WinAnsi.char(0x93), Some('“'));
        assert_eq!(Base::WinAnsi.char(0xE1), Some('á'));
        assert_eq!(Base::Standard.char(0x27), Some('’'));
        assert_eq!(standard_width(b"Helvetica", b' '), Some(278.0));
        assert_eq!(standard_width(b"Times-Roman", b'W'), Some(944.0));
    }
}

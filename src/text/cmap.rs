//! CMaps embedded in PDFs (Adobe TN 5014/5411): the code space that splits a
//! string into character codes, code → CID (`cidchar`/`cidrange`) for Type0
//! encodings, and code → Unicode (`bfchar`/`bfrange`) for ToUnicode maps.
//!
//! Ranges are kept as ranges, never expanded: a hostile `bfrange` of four
//! billion codes costs one entry. The number of entries is capped.

use crate::pdf::object::{Object, Parser};

/// Most mapping entries (chars plus ranges) read from one CMap.
const MAX_ENTRIES: usize = 200_000;

/// One code-space range: codes of `len` bytes between `lo` and `hi`.
#[derive(Debug, Clone, Copy)]
struct CodeSpace {
    len: u8,
    lo: u32,
    hi: u32,
}

/// What a `bfrange` maps to.
#[derive(Debug, Clone)]
enum RangeDst {
    /// The first code's UTF-16 units; each next code increments the last unit.
    Offset(Vec<u16>),
    /// One string per code.
    List(Vec<String>),
}

#[derive(Debug, Clone)]
struct BfRange {
    len: u8,
    lo: u32,
    hi: u32,
    dst: RangeDst,
}

/// A parsed CMap (either kind; a file may carry both sections).
#[derive(Debug, Clone, Default)]
pub struct CMap {
    spaces: Vec<CodeSpace>,
    bf_chars: std::collections::HashMap<(u8, u32), String>,
    bf_ranges: Vec<BfRange>,
    /// (len, lo, hi, first CID), sorted by `lo`.
    cid_ranges: Vec<(u8, u32, u32, u32)>,
    /// `bf_chars` by code value alone, for maps whose code lengths disagree
    /// with the font's.
    by_value: std::collections::HashMap<u32, String>,
}

/// Overlapping ranges examined before a lookup gives up: real maps do not
/// overlap; a hostile one must not make every lookup scan all its ranges.
const MAX_OVERLAP: usize = 16;

/// The index range of entries (sorted by their `lo`) that may contain `code`.
fn candidates<T>(sorted: &[T], lo: impl Fn(&T) -> u32, code: u32) -> std::ops::Range<usize> {
    let end = sorted.partition_point(|e| lo(e) <= code);
    end.saturating_sub(MAX_OVERLAP)..end
}

impl CMap {
    /// Parses CMap program text; unknown operators and malformed entries are
    /// skipped (real files carry many), so this never fails.
    pub fn parse(data: &[u8]) -> CMap {
        let mut map = CMap::default();
        let mut p = Parser::new(data, 0);
        let mut entries = 0usize;
        while p.pos < data.len() && entries < MAX_ENTRIES {
            p.skip_ws();
            let Some(&b) = data.get(p.pos) else { break };
            if matches!(b, b'/' | b'(' | b'<' | b'[' | b'0'..=b'9' | b'-' | b'+' | b'.') {
                if p.object(0).is_err() {
                    p.pos += 1;
                }
                continue;
            }
            let kw = p.token();
            if kw.is_empty() {
                p.pos += 1;
                continue;
            }
            match kw {
                b"begincodespacerange" => {
                    for [lo, hi] in section::<2>(&mut p, b"endcodespacerange", &mut entries) {
                        if let (Some((l1, lo)), Some((l2, hi))) = (code(&lo), code(&hi))
                            && l1 == l2
                        {
                            map.spaces.push(CodeSpace { len: l1, lo, hi });
                        }
                    }
                }
                b"beginbfchar" => {
                    for [src, dst] in section::<2>(&mut p, b"endbfchar", &mut entries) {
                        if let (Some(k), Some(v)) = (code(&src), unicode(&dst)) {
                            map.bf_chars.insert(k, v);
                        }
                    }
                }
                b"beginbfrange" => {
                    for [lo, hi, dst] in section::<3>(&mut p, b"endbfrange", &mut entries) {
                        let (Some((len, lo)), Some((_, hi))) = (code(&lo), code(&hi)) else { continue };
                        let dst = match &dst {
                            Object::Str(s) => RangeDst::Offset(utf16_units(&s.bytes)),
                            Object::Array(a) => {
                                RangeDst::List(a.iter().map(|o| unicode(o).unwrap_or_default()).collect())
                            }
                            _ => continue,
                        };
                        if lo <= hi {
                            map.bf_ranges.push(BfRange { len, lo, hi, dst });
                        }
                    }
                }
                b"begincidrange" => {
                    for [lo, hi, cid] in section::<3>(&mut p, b"endcidrange", &mut entries) {
                        if let (Some((len, lo)), Some((_, hi)), Some(cid)) = (code(&lo), code(&hi), cid.as_int())
                            && let Ok(cid) = u32::try_from(cid)
                            && lo <= hi
                        {
                            map.cid_ranges.push((len, lo, hi, cid));
                        }
                    }
                }
                b"begincidchar" => {
                    for [src, cid] in section::<2>(&mut p, b"endcidchar", &mut entries) {
                        if let (Some((len, c)), Some(cid)) = (code(&src), cid.as_int())
                            && let Ok(cid) = u32::try_from(cid)
                        {
                            map.cid_ranges.push((len, c, c, cid));
                        }
                    }
                }
                _ => {}
            }
        }
        map.bf_ranges.sort_by_key(|r| r.lo);
        map.cid_ranges.sort_by_key(|r| r.1);
        for ((_, code), text) in &map.bf_chars {
            map.by_value.entry(*code).or_insert_with(|| text.clone());
        }
        map
    }

    /// Whether the map declares a code space (otherwise callers pick a
    /// default code length).
    pub fn has_code_space(&self) -> bool {
        !self.spaces.is_empty()
    }

    /// Length in bytes of the code starting at `bytes` (1 to 4), by the code
    /// space; 1 when nothing matches, as the specification's fallback for
    /// a partial match is to consume at least one byte.
    pub fn code_len(&self, bytes: &[u8]) -> usize {
        let mut value = 0u32;
        for (i, &b) in bytes.iter().take(4).enumerate() {
            value = value << 8 | u32::from(b);
            let n = i + 1;
            if self.spaces.iter().any(|s| usize::from(s.len) == n && s.lo <= value && value <= s.hi) {
                return n;
            }
        }
        let shortest = self.spaces.iter().map(|s| usize::from(s.len)).min().unwrap_or(1);
        shortest.clamp(1, bytes.len().max(1))
    }

    /// The CID for a code, if a cidchar/cidrange covers it.
    pub fn cid(&self, len: usize, code: u32) -> Option<u32> {
        self.cid_ranges
            .get(candidates(&self.cid_ranges, |r| r.1, code))?
            .iter()
            .rev()
            .find(|(l, lo, hi, _)| usize::from(*l) == len && *lo <= code && code <= *hi)
            .and_then(|(_, lo, _, cid)| cid.checked_add(code - lo))
    }

    /// The Unicode text for a code, if the map has it.
    pub fn unicode(&self, len: usize, code: u32) -> Option<String> {
        let len8 = u8::try_from(len).ok()?;
        if let Some(s) = self.bf_chars.get(&(len8, code)) {
            return Some(s.clone());
        }
        // Producers disagree on code lengths in ToUnicode maps of simple
        // fonts (two-byte `<0041>` for one-byte codes); match on value too.
        let near = self.bf_ranges.get(candidates(&self.bf_ranges, |r| r.lo, code))?;
        let r = near
            .iter()
            .rev()
            .find(|r| r.len == len8 && r.lo <= code && code <= r.hi)
            .or_else(|| near.iter().rev().find(|r| r.lo <= code && code <= r.hi));
        if let Some(r) = r {
            let k = code - r.lo;
            return match &r.dst {
                RangeDst::Offset(units) => {
                    let mut u = units.clone();
                    let last = u.last_mut()?;
                    *last = last.checked_add(u16::try_from(k).ok()?)?;
                    Some(String::from_utf16_lossy(&u))
                }
                RangeDst::List(list) => list.get(usize::try_from(k).ok()?).cloned(),
            };
        }
        self.by_value.get(&code).cloned()
    }
}

/// Reads groups of `N` operands until `end`, counting entries against the cap.
fn section<const N: usize>(p: &mut Parser<'_>, end: &[u8], entries: &mut usize) -> Vec<[Object; N]> {
    let mut out = Vec::new();
    let mut group: Vec<Object> = Vec::with_capacity(N);
    loop {
        p.skip_ws();
        let Some(&b) = p.buf.get(p.pos) else { break };
        if b.is_ascii_alphabetic() {
            let kw = p.token();
            if kw == end {
                break;
            }
            continue;
        }
        let Ok(o) = p.object(0) else {
            p.pos += 1;
            continue;
        };
        group.push(o);
        if group.len() == N {
            *entries += 1;
            if *entries > MAX_ENTRIES {
                break;
            }
            if let Ok(arr) = <[Object; N]>::try_from(std::mem::take(&mut group)) {
                out.push(arr);
            }
        }
    }
    out
}

/// A source code: its length in bytes (1–4) and value.
fn code(o: &Object) -> Option<(u8, u32)> {
    let Object::Str(s) = o else { return None };
    if s.bytes.is_empty() || s.bytes.len() > 4 {
        return None;
    }
    let v = s.bytes.iter().fold(0u32, |a, &b| a << 8 | u32::from(b));
    Some((u8::try_from(s.bytes.len()).ok()?, v))
}

/// A destination: UTF-16BE bytes (or a glyph name, rarely).
fn unicode(o: &Object) -> Option<String> {
    match o {
        Object::Str(s) => Some(String::from_utf16_lossy(&utf16_units(&s.bytes))),
        Object::Name(n) => super::encoding::glyph_char(&String::from_utf8_lossy(n)).map(String::from),
        _ => None,
    }
}

fn utf16_units(b: &[u8]) -> Vec<u16> {
    let mut units: Vec<u16> = b.chunks(2).map(|c| u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)])).collect();
    if b.len() == 1 {
        // A one-byte destination is a Latin-1 code written short.
        units = vec![u16::from(b[0])];
    }
    units
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bfchar_bfrange_and_code_space() {
        let m = CMap::parse(
            b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n\
              1 begincodespacerange <0000> <FFFF> endcodespacerange\n\
              2 beginbfchar <0003> <0020> <0011> <1EA5> endbfchar\n\
              2 beginbfrange <0020> <0022> <0041> <0030> <0031> [<0110> <00E1>] endbfrange\n\
              endcmap CMapName currentdict /CMap defineresource pop end end",
        );
        assert_eq!(m.code_len(&[0, 3, 9]), 2);
        assert_eq!(m.unicode(2, 3).as_deref(), Some(" "));
        assert_eq!(m.unicode(2, 0x11).as_deref(), Some("ấ"));
        assert_eq!(m.unicode(2, 0x22).as_deref(), Some("C"));
        assert_eq!(m.unicode(2, 0x31).as_deref(), Some("á"));
        assert_eq!(m.unicode(2, 0x40), None);
    }

    #[test]
    fn huge_range_is_not_expanded() {
        let m = CMap::parse(b"1 beginbfrange <00000000> <FFFFFFFF> <0041> endbfrange");
        assert_eq!(m.unicode(4, 1).as_deref(), Some("B"));
    }

    #[test]
    fn cid_ranges() {
        let m =
            CMap::parse(b"1 begincodespacerange <00> <FF> endcodespacerange 1 begincidrange <20> <7E> 1 endcidrange");
        assert_eq!(m.code_len(&[0x41]), 1);
        assert_eq!(m.cid(1, 0x41), Some(0x22));
    }
}

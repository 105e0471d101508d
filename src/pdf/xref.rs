//! Cross-reference sections: classic tables, cross-reference streams and
//! hybrid files, followed through /Prev from the last `startxref`.
//!
//! Each section is one step of the file's history; a signature covers the
//! sections written before its byte range ends, and the verifier compares
//! what later sections define against that state.

use super::object::{Dict, Object, Parser, dict_get};
use super::source::Source;
use super::{Budget, PdfError, filters, parse_indirect_in};
use std::collections::{HashMap, HashSet};

/// Where an object lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    Free,
    InUse { offset: usize, generation: u16 },
    Compressed { stream: u32, index: u32 },
}

/// One cross-reference section with its trailer.
#[derive(Debug, Clone)]
pub struct Section {
    /// Byte offset of the `xref` keyword or of the cross-reference stream object.
    pub(crate) offset: usize,
    pub(crate) entries: HashMap<u32, Entry>,
    pub(crate) trailer: Dict,
    pub(crate) is_stream: bool,
}

/// The chain of sections, newest first (the order /Prev walks them).
#[derive(Debug, Clone)]
pub struct Xref {
    pub(crate) sections: Vec<Section>,
    /// The `startxref` value of the newest revision read.
    pub(crate) startxref: usize,
    /// What had to be repaired or skipped to read the file, one sentence
    /// each (empty for a file that parses cleanly). Damage is never
    /// silently ignored: readers report these.
    pub(crate) repairs: Vec<String>,
    /// Where the newest complete revision read ends (after its `%%EOF`),
    /// when bytes that belong to no revision follow it.
    pub(crate) damaged_tail: Option<usize>,
}

/// Most `startxref` keywords tried, newest first, when the last revision
/// cannot be read.
const MAX_RECOVERY_TRIES: usize = 64;

/// Most entries one section may declare.
const MAX_ENTRIES: usize = 8_000_000;

impl Xref {
    /// Reads the chain from the last `startxref`. When that fails (a
    /// truncated file, a broken last revision), the newest earlier revision
    /// that reads cleanly is used instead and the damage is recorded in
    /// `Xref::repairs`; only a file with no readable revision is an error.
    pub fn load(src: Source<'_>, budget: &Budget) -> Result<Xref, PdfError> {
        let first = last_startxref_in(src, src.len())?
            .ok_or_else(|| PdfError::Xref("no startxref at the end of the file".into()))
            .and_then(|at| Self::load_chain(src, at, budget));
        let mut xref = match first {
            Ok(x) => x,
            Err(e) if e.is_budget() || matches!(e, PdfError::Io(_)) => return Err(e),
            Err(e) => Self::recover(src, budget, e)?,
        };
        let complete = complete_end(src)?;
        if let Some(end) = complete
            && trim_ws_end(src)? > end
        {
            xref.damaged_tail = Some(end);
            xref.repairs.push(format!(
                "the file is truncated or damaged: its last {} bytes (after byte {end}) are not a complete revision",
                src.len() - end
            ));
        } else if complete.is_none() {
            xref.damaged_tail = Some(0);
            xref.repairs.push("the file is truncated: it does not end with %%EOF".into());
        }
        Ok(xref)
    }

    /// The newest earlier revision that reads cleanly.
    fn recover(src: Source<'_>, budget: &Budget, first: PdfError) -> Result<Xref, PdfError> {
        let mut end = src.len();
        for _ in 0..MAX_RECOVERY_TRIES {
            let Some(kw) = src.rfind(end, b"startxref")? else { break };
            end = kw;
            let Some(at) = startxref_value_in(src, kw)? else { continue };
            match Self::load_chain(src, at, budget) {
                Ok(mut x) => {
                    x.repairs.push(format!(
                        "the last revision cannot be read ({first}); the revision whose startxref is at byte {kw} was read instead"
                    ));
                    return Ok(x);
                }
                Err(e) if e.is_budget() => return Err(e),
                Err(_) => {}
            }
        }
        Err(first)
    }

    fn load_chain(src: Source<'_>, startxref: usize, budget: &Budget) -> Result<Xref, PdfError> {
        let mut sections = Vec::new();
        let mut seen = HashSet::new();
        let mut next = Some(startxref);
        while let Some(offset) = next {
            if !seen.insert(offset) {
                return Err(PdfError::Xref("/Prev chain loops".into()));
            }
            if sections.len() >= budget.limits().max_sections {
                return Err(PdfError::Limit("number of revisions"));
            }
            budget.check_time()?;
            let mut section = read_section(src, offset, budget)?;
            // Hybrid-reference files: the table's /XRefStm holds more entries;
            // the table's own entries take precedence.
            if let Some(stm) = dict_get(&section.trailer, b"XRefStm").and_then(Object::as_int) {
                let stm = usize::try_from(stm).map_err(|_| PdfError::Xref("bad /XRefStm".into()))?;
                if seen.insert(stm) {
                    let extra = read_section(src, stm, budget)?;
                    for (k, v) in extra.entries {
                        section.entries.entry(k).or_insert(v);
                    }
                }
            }
            next = match dict_get(&section.trailer, b"Prev") {
                Some(Object::Int(p)) => Some(usize::try_from(*p).map_err(|_| PdfError::Xref("bad /Prev".into()))?),
                Some(Object::Real(p)) if *p >= 0.0 && p.fract() == 0.0 => Some(*p as usize),
                _ => None,
            };
            sections.push(section);
        }
        Ok(Xref { sections, startxref, repairs: Vec::new(), damaged_tail: None })
    }

    /// Offsets of all sections.
    pub fn offsets(&self) -> impl Iterator<Item = usize> + '_ {
        self.sections.iter().map(|s| s.offset)
    }
}

/// The value of the last `startxref` keyword before `end`, searched in the
/// final 64 KiB before it (enough for any trailer; trailing junk beyond
/// that is not a PDF we read).
pub fn last_startxref(data: &[u8], end: usize) -> Option<usize> {
    last_startxref_in(Source::Bytes(data), end).ok().flatten()
}

/// [`last_startxref`] read by position: only the last 64 KiB before `end`.
pub fn last_startxref_in(src: Source<'_>, end: usize) -> Result<Option<usize>, PdfError> {
    let end = end.min(src.len());
    let from = end.saturating_sub(64 << 10);
    let tail = src.window(from, end - from)?;
    match memchr::memmem::rfind(&tail, b"startxref") {
        Some(pos) => startxref_value_in(src, pos + from),
        None => Ok(None),
    }
}

/// Where a section pointed at by `offset` starts: past any whitespace or
/// line break that a `startxref` or /Prev value points at.
pub fn section_start(data: &[u8], offset: usize) -> usize {
    let mut p = Parser::new(data, offset);
    p.skip_ws();
    p.pos
}

/// [`section_start`] read by position.
pub fn section_start_in(src: Source<'_>, offset: usize) -> Result<usize, PdfError> {
    let w = src.rest(offset, 4 << 10)?;
    let mut p = Parser::at_base(&w, 0, offset);
    p.skip_ws();
    Ok(offset + p.pos)
}

/// The number after the `startxref` keyword at `pos`.
fn startxref_value_in(src: Source<'_>, pos: usize) -> Result<Option<usize>, PdfError> {
    let Some(at) = pos.checked_add(b"startxref".len()) else { return Ok(None) };
    let w = src.rest(at, 4 << 10)?;
    Ok(Parser::new(&w, 0).uint().and_then(|v| usize::try_from(v).ok()))
}

/// Where the last complete revision ends: just after the last `%%EOF`
/// that follows a `startxref` and its number.
pub fn complete_end(src: Source<'_>) -> Result<Option<usize>, PdfError> {
    let Some(kw) = src.rfind(src.len(), b"startxref")? else { return Ok(None) };
    if startxref_value_in(src, kw)?.is_none() {
        return Ok(None);
    }
    Ok(src.find(kw, b"%%EOF")?.map(|eof| eof + b"%%EOF".len()))
}

/// The length of the file without trailing whitespace (NULs included),
/// read backwards a few KiB at a time.
fn trim_ws_end(src: Source<'_>) -> Result<usize, PdfError> {
    let mut end = src.len();
    while end > 0 {
        let start = end.saturating_sub(4 << 10);
        let w = src.window(start, end - start)?;
        if let Some(i) = w.iter().rposition(|&c| !super::object::is_whitespace(c)) {
            return Ok(start + i + 1);
        }
        end = start;
    }
    Ok(0)
}

/// The first window a cross-reference table is read in, and the largest
/// (a table of 3 million entries).
const TABLE_WINDOW: (usize, usize) = (64 << 10, 64 << 20);

fn read_section(src: Source<'_>, offset: usize, budget: &Budget) -> Result<Section, PdfError> {
    if offset >= src.len() {
        return Err(PdfError::Xref(format!("section offset {offset} beyond end of file")));
    }
    let offset = section_start_in(src, offset)?;
    let head = src.rest(offset, 16)?;
    if !Parser::new(&head, 0).keyword(b"xref") {
        return read_stream(src, offset, budget);
    }
    // A table is read in a window that grows while the table runs past it.
    let mut want = TABLE_WINDOW.0;
    loop {
        let w = src.rest(offset, want)?;
        let whole = src.reaches_end(offset, w.len());
        let mut p = Parser::at_base(&w, 0, offset);
        p.keyword(b"xref");
        match read_table(&mut p, offset, src.len()) {
            Err(e) if !whole && !e.is_budget() && want < TABLE_WINDOW.1 => want = want.saturating_mul(8),
            r => return r,
        }
    }
}

fn read_table(p: &mut Parser<'_>, offset: usize, file_len: usize) -> Result<Section, PdfError> {
    let mut entries = HashMap::new();
    loop {
        if p.keyword(b"trailer") {
            break;
        }
        let (Some(start), Some(count)) = (p.uint(), p.uint()) else {
            return Err(PdfError::Xref(format!("bad cross-reference table at byte {offset}")));
        };
        let count = usize::try_from(count).map_err(|_| PdfError::Limit("cross-reference entries"))?;
        // Each entry takes at least 18 bytes: a declared count that the rest of
        // the file cannot hold is refused before any allocation.
        if count > file_len.saturating_sub(p.base + p.pos) / 18 + 1 || entries.len() + count > MAX_ENTRIES {
            return Err(PdfError::Limit("cross-reference entries"));
        }
        for i in 0..count as u64 {
            let (Some(off), Some(generation)) = (p.uint(), p.uint()) else {
                return Err(PdfError::Xref(format!("bad cross-reference entry in table at byte {offset}")));
            };
            let kind = p.token();
            let num = start + i;
            if num > u32::MAX as u64 {
                return Err(PdfError::Xref("object number too large".into()));
            }
            let entry = match kind {
                b"n" => Entry::InUse {
                    offset: usize::try_from(off).map_err(|_| PdfError::Xref("bad offset".into()))?,
                    generation: u16::try_from(generation).unwrap_or(u16::MAX),
                },
                b"f" => Entry::Free,
                _ => {
                    return Err(PdfError::Xref(format!("bad cross-reference entry type in table at byte {offset}")));
                }
            };
            entries.entry(num as u32).or_insert(entry);
        }
    }
    let trailer = match p.object(0)? {
        Object::Dict(d) => d,
        _ => return Err(PdfError::Xref("trailer is not a dictionary".into())),
    };
    Ok(Section { offset, entries, trailer, is_stream: false })
}

fn read_stream(src: Source<'_>, offset: usize, budget: &Budget) -> Result<Section, PdfError> {
    let (_, obj, _) = parse_indirect_in(src, offset, None)
        .map_err(|e| PdfError::Xref(format!("no cross-reference section at byte {offset}: {e}")))?;
    let Object::Stream(s) = obj else {
        return Err(PdfError::Xref(format!("no cross-reference section at byte {offset}")));
    };
    if dict_get(&s.dict, b"Type").and_then(Object::as_name) != Some(b"XRef") {
        return Err(PdfError::Xref(format!("object at byte {offset} is not a cross-reference stream")));
    }
    let w: Vec<usize> = dict_get(&s.dict, b"W")
        .and_then(Object::as_array)
        .map(|a| a.iter().filter_map(Object::as_int).filter_map(|v| usize::try_from(v).ok()).collect())
        .unwrap_or_default();
    if w.len() != 3 || w.iter().any(|&x| x > 8) || w.iter().sum::<usize>() == 0 {
        return Err(PdfError::Xref("bad /W in cross-reference stream".into()));
    }
    let size = dict_get(&s.dict, b"Size").and_then(Object::as_int).unwrap_or(0);
    let index: Vec<i64> = match dict_get(&s.dict, b"Index").and_then(Object::as_array) {
        Some(a) => a.iter().filter_map(Object::as_int).collect(),
        None => vec![0, size],
    };
    if !index.len().is_multiple_of(2) || index.iter().any(|&v| v < 0 || v > u32::MAX as i64) {
        return Err(PdfError::Xref("bad /Index in cross-reference stream".into()));
    }
    let raw = src.window(s.data.0, s.data.1.saturating_sub(s.data.0))?;
    let body = filters::decode(&s.dict, &raw, budget)?;
    let row: usize = w.iter().sum();
    let mut rows = body.chunks_exact(row);
    let mut entries = HashMap::new();
    for pair in index.chunks(2) {
        let (start, count) = (pair[0] as u64, pair[1] as u64);
        if entries.len() as u64 + count > MAX_ENTRIES as u64 {
            return Err(PdfError::Limit("cross-reference entries"));
        }
        for i in 0..count {
            let Some(r) = rows.next() else { break };
            let field = |k: usize| -> u64 {
                let from: usize = w[..k].iter().sum();
                r[from..from + w[k]].iter().fold(0u64, |a, &b| (a << 8) | u64::from(b))
            };
            let kind = if w[0] == 0 { 1 } else { field(0) };
            let num = start + i;
            if num > u32::MAX as u64 {
                break;
            }
            let entry = match kind {
                0 => Entry::Free,
                1 => Entry::InUse {
                    offset: usize::try_from(field(1)).map_err(|_| PdfError::Xref("bad offset".into()))?,
                    generation: u16::try_from(field(2)).unwrap_or(u16::MAX),
                },
                2 => Entry::Compressed {
                    stream: u32::try_from(field(1)).map_err(|_| PdfError::Xref("bad object stream number".into()))?,
                    index: u32::try_from(field(2)).map_err(|_| PdfError::Xref("bad object stream index".into()))?,
                },
                // Unknown types are to be ignored (ISO 32000-1 §7.5.8.3).
                _ => continue,
            };
            entries.entry(num as u32).or_insert(entry);
        }
    }
    Ok(Section { offset, entries, trailer: s.dict, is_stream: true })
}

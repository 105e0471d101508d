//! PDF structure at the level signatures need: revisions (cross-reference
//! sections), indirect objects, and the byte positions of strings.
//!
//! This is deliberately not a full PDF library. Verifying a signature over a
//! 50 MB file must cost little more than hashing it, so nothing here parses
//! objects that nobody asked for: the cross-reference sections are read, and
//! objects are parsed on demand (the signature dictionaries, the form, and
//! whatever later revisions changed). Signing reuses the same reader to find
//! the catalog and pages it must update.
//!
//! Every reader of outside bytes here works under a [`Budget`]: decompressed
//! bytes, objects parsed, revisions followed, and a deadline.

pub mod byterange;
pub mod filters;
pub mod object;
pub mod signatures;
pub mod source;
pub mod write;
pub mod xref;

use object::{ObjRef, Object, Parser, dict_get};
use source::Source;
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, Instant};
use thiserror::Error;
use xref::{Entry, Xref};

/// Why a PDF could not be read.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum PdfError {
    #[error("not a PDF file (no %PDF- header)")]
    NotPdf,
    #[error("PDF syntax error at byte {offset}: {what}")]
    Syntax { offset: usize, what: String },
    #[error("broken cross-reference data: {0}")]
    Xref(String),
    #[error("PDF exceeds a safety limit: {0}")]
    Limit(&'static str),
    #[error("PDF processing took longer than the time limit")]
    Timeout,
    #[error("unsupported PDF feature: {0}")]
    Unsupported(String),
    #[error("encrypted PDFs are not supported")]
    Encrypted,
    /// The file could not be read at a position the reader needed.
    #[error("cannot read the file: {0}")]
    Io(std::io::ErrorKind),
}

impl PdfError {
    /// Whether this is the budget running out (a limit or the deadline):
    /// such errors end the whole operation and are never swallowed.
    pub fn is_budget(&self) -> bool {
        matches!(self, PdfError::Timeout | PdfError::Limit(_))
    }

    /// For reads whose failure may be treated as "absent": passes budget
    /// errors on, and turns any other error into `Ok(None)`.
    pub fn unless_budget<T>(self) -> Result<Option<T>, PdfError> {
        if self.is_budget() { Err(self) } else { Ok(None) }
    }
}

/// Resource limits for reading one PDF.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Total bytes all decompressed streams may produce.
    pub max_inflated_total: usize,
    /// Bytes one stream may decompress to.
    pub max_inflated_stream: usize,
    /// Objects parsed (each indirect object load counts one).
    pub max_objects: usize,
    /// Cross-reference sections followed through /Prev.
    pub max_sections: usize,
    /// Signature dictionaries examined (each costs a hash of the file).
    pub max_signatures: usize,
    /// Wall-clock budget.
    pub time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_inflated_total: 256 << 20,
            max_inflated_stream: 64 << 20,
            max_objects: 200_000,
            max_sections: 1024,
            max_signatures: 100,
            time: Duration::from_secs(30),
        }
    }
}

/// The running account against [`Limits`].
pub struct Budget {
    limits: Limits,
    deadline: Instant,
    inflated: Cell<usize>,
    objects: Cell<usize>,
}

impl Budget {
    pub fn new(limits: Limits) -> Self {
        let deadline = Instant::now() + limits.time;
        Budget { limits, deadline, inflated: Cell::new(0), objects: Cell::new(0) }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    fn inflate_allowance(&self) -> usize {
        self.limits.max_inflated_stream.min(self.limits.max_inflated_total.saturating_sub(self.inflated.get()))
    }

    fn spend_inflated(&self, n: usize) -> Result<(), PdfError> {
        let total = self.inflated.get() + n;
        self.inflated.set(total);
        if total > self.limits.max_inflated_total {
            return Err(PdfError::Limit("decompressed size"));
        }
        self.check_time()
    }

    /// Counts one object load and checks the clock.
    pub fn tick(&self) -> Result<(), PdfError> {
        let n = self.objects.get() + 1;
        self.objects.set(n);
        if n > self.limits.max_objects {
            return Err(PdfError::Limit("number of objects"));
        }
        self.check_time()
    }

    pub fn check_time(&self) -> Result<(), PdfError> {
        if Instant::now() > self.deadline { Err(PdfError::Timeout) } else { Ok(()) }
    }
}

/// Which state of the document a lookup sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The newest revision.
    Latest,
    /// The document as written in bytes `[0, n)`: only sections located there.
    Before(usize),
}

struct ObjStm {
    data: Vec<u8>,
    /// (object number, offset within `data`) in stream order.
    index: Vec<(u32, usize)>,
}

/// A PDF file opened for reading.
pub struct Document<'a> {
    src: Source<'a>,
    pub(crate) xref: Xref,
    pub(crate) budget: &'a Budget,
    objstms: RefCell<HashMap<(u32, usize), Rc<ObjStm>>>,
    /// Set while an indirect /Length is being read (see `stream_length`).
    in_length: Cell<bool>,
    /// Repairs and skipped damage found while reading objects on demand
    /// (the cross-reference repairs are in `xref.repairs`).
    notes: RefCell<Vec<String>>,
    /// Where each `N G obj` header sits, by object number: built on the
    /// first object that is not where its cross-reference entry says.
    headers: RefCell<Option<HashMap<u32, Vec<usize>>>>,
    /// Objects found by that reconstruction: (number, offset of the
    /// cross-reference section that listed them).
    repaired: RefCell<Vec<(u32, usize)>>,
}

/// Most object streams kept decoded at once.
const OBJSTM_CACHE: usize = 64;

impl<'a> Document<'a> {
    /// Opens a PDF: checks the header and reads the cross-reference chain.
    pub fn open(data: &'a [u8], budget: &'a Budget) -> Result<Self, PdfError> {
        Self::open_source(Source::Bytes(data), budget)
    }

    /// Opens a PDF read by position (see [`source`]).
    pub fn open_source(src: Source<'a>, budget: &'a Budget) -> Result<Self, PdfError> {
        let head = src.window(0, 1024)?;
        if memchr::memmem::find(&head, b"%PDF-").is_none() {
            return Err(PdfError::NotPdf);
        }
        let xref = Xref::load(src, budget)?;
        let doc = Document {
            src,
            xref,
            budget,
            objstms: RefCell::new(HashMap::new()),
            in_length: Cell::new(false),
            notes: RefCell::new(Vec::new()),
            headers: RefCell::new(None),
            repaired: RefCell::new(Vec::new()),
        };
        if doc.trailer_get(b"Encrypt").is_some() {
            return Err(PdfError::Encrypted);
        }
        Ok(doc)
    }

    /// Where the bytes come from.
    pub fn source(&self) -> Source<'a> {
        self.src
    }

    /// The file's length in bytes.
    pub fn len(&self) -> usize {
        self.src.len()
    }

    pub fn is_empty(&self) -> bool {
        self.src.is_empty()
    }

    /// Records a repair or skipped damage (each distinct sentence once).
    pub fn note(&self, what: String) {
        let mut notes = self.notes.borrow_mut();
        if notes.len() < 100 && !notes.contains(&what) {
            notes.push(what);
        }
    }

    /// Everything repaired or skipped to read the document so far: the
    /// cross-reference repairs, then those found reading objects.
    pub fn repairs(&self) -> Vec<String> {
        let mut all = self.xref.repairs.clone();
        all.extend(self.notes.borrow().iter().cloned());
        all
    }

    /// The first object of the newest revision that does not parse, when
    /// that revision is an incremental update. (A first revision is not
    /// re-parsed whole: a 50 MB file would pay for objects nobody needs.)
    /// Signing refuses such a file and verifying reports it, so both read a
    /// damaged update the same way.
    pub fn last_revision_problem(&self) -> Result<Option<String>, PdfError> {
        let (Some(last), true) = (self.xref.sections.first(), self.xref.sections.len() > 1) else {
            return Ok(None);
        };
        let mut nums: Vec<(u32, Entry)> = last.entries.iter().map(|(&n, &e)| (n, e)).collect();
        nums.sort_unstable_by_key(|&(n, _)| n);
        for (n, e) in nums {
            if n == 0 || e == Entry::Free {
                continue;
            }
            match self.load(n, e, View::Latest) {
                Ok(_) => {}
                Err(err) if err.is_budget() => return Err(err),
                Err(err) => return Ok(Some(format!("object {n} of the last revision cannot be read: {err}"))),
            }
        }
        Ok(None)
    }

    /// A trailer entry from the newest section that has it.
    pub fn trailer_get(&self, key: &[u8]) -> Option<&Object> {
        self.xref.sections.iter().find_map(|s| dict_get(&s.trailer, key))
    }

    /// The trailer entry as of a view.
    pub fn trailer_get_in(&self, key: &[u8], view: View) -> Option<&Object> {
        self.xref.sections.iter().filter(|s| view.sees(s.offset)).find_map(|s| dict_get(&s.trailer, key))
    }

    /// The cross-reference entry for `num` in `view`.
    pub fn entry(&self, num: u32, view: View) -> Option<Entry> {
        self.xref.sections.iter().filter(|s| view.sees(s.offset)).find_map(|s| s.entries.get(&num).copied())
    }

    /// Loads object `r` as seen in `view`; `None` when absent or free.
    pub fn get_in(&self, r: ObjRef, view: View) -> Result<Option<Object>, PdfError> {
        match self.entry(r.num, view) {
            None | Some(Entry::Free) => Ok(None),
            Some(e) => self.load(r.num, e, view).map(Some),
        }
    }

    pub fn get(&self, r: ObjRef) -> Result<Option<Object>, PdfError> {
        self.get_in(r, View::Latest)
    }

    /// Follows references until a direct object (at most a few hops).
    pub fn resolve(&self, o: &Object, view: View) -> Result<Option<Object>, PdfError> {
        let mut cur = o.clone();
        for _ in 0..8 {
            match cur {
                Object::Ref(r) => match self.get_in(r, view)? {
                    Some(next) => cur = next,
                    None => return Ok(None),
                },
                other => return Ok(Some(other)),
            }
        }
        Err(PdfError::Limit("reference chain"))
    }

    /// Objects found only by reconstruction, with the offset of the
    /// cross-reference section that listed them at a wrong offset.
    pub fn repaired(&self) -> Vec<(u32, usize)> {
        self.repaired.borrow().clone()
    }

    /// Where object `num` (listed in use at `offset` in `view`) really
    /// starts. Producers in the wild write wrong offsets; like viewers, the
    /// object is then found by its `num G obj` header: the last one before
    /// the section that lists it. Each such repair is noted.
    pub fn locate(&self, num: u32, offset: usize, view: View) -> Result<Option<usize>, PdfError> {
        if header_at(&self.src.rest(offset, 256)?, 0) == Some(num) {
            return Ok(Some(offset));
        }
        let section = self
            .xref
            .sections
            .iter()
            .filter(|s| view.sees(s.offset))
            .find(|s| s.entries.contains_key(&num))
            .map_or(self.src.len(), |s| s.offset);
        if self.headers.borrow().is_none() {
            let index = index_headers(self.src, self.budget)?;
            *self.headers.borrow_mut() = Some(index);
        }
        let found = self
            .headers
            .borrow()
            .as_ref()
            .and_then(|h| h.get(&num))
            .and_then(|v| v.iter().copied().rfind(|&at| at < section));
        if let Some(at) = found {
            self.note(format!(
                "object {num} is not at byte {offset} as its cross-reference entry says; found at byte {at}"
            ));
            self.repaired.borrow_mut().push((num, section));
        }
        Ok(found)
    }

    /// Loads the object an entry points at.
    pub fn load(&self, num: u32, entry: Entry, view: View) -> Result<Object, PdfError> {
        self.budget.tick()?;
        match entry {
            Entry::Free => Ok(Object::Null),
            Entry::InUse { offset, .. } => {
                let at = self.locate(num, offset, view)?.ok_or_else(|| {
                    PdfError::Xref(format!("object {num} is neither at byte {offset} nor anywhere else in the file"))
                })?;
                let (_, obj) = self.parse_indirect(at)?;
                Ok(obj)
            }
            Entry::Compressed { stream, index } => {
                let stm = self.objstm(stream, view)?;
                let &(n, off) = stm
                    .index
                    .get(index as usize)
                    .ok_or_else(|| PdfError::Xref(format!("object stream {stream} has no index {index}")))?;
                if n != num {
                    return Err(PdfError::Xref(format!("object stream {stream} index {index} holds {n}, not {num}")));
                }
                Parser::new(&stm.data, off).object(0)
            }
        }
    }

    fn objstm(&self, stream: u32, view: View) -> Result<Rc<ObjStm>, PdfError> {
        let Some(Entry::InUse { offset, .. }) = self.entry(stream, view) else {
            return Err(PdfError::Xref(format!("object stream {stream} not found")));
        };
        if let Some(s) = self.objstms.borrow().get(&(stream, offset)) {
            return Ok(s.clone());
        }
        let (_, obj) = self.parse_indirect(offset)?;
        let Object::Stream(s) = obj else {
            return Err(PdfError::Xref(format!("object {stream} is not an object stream")));
        };
        let n = dict_get(&s.dict, b"N").and_then(Object::as_int).unwrap_or(-1);
        let first = dict_get(&s.dict, b"First").and_then(Object::as_int).unwrap_or(-1);
        if !(0..=1_000_000).contains(&n) || first < 0 {
            return Err(PdfError::Xref(format!("object stream {stream} has a bad header")));
        }
        let data = filters::decode(&s.dict, &self.stream_raw(&s)?, self.budget)?;
        let first = first as usize;
        let mut p = Parser::new(&data, 0);
        // Each index entry takes at least 4 bytes: a declared count the data
        // cannot hold is not allocated for.
        let mut index = Vec::with_capacity(usize::try_from(n).unwrap_or(0).min(data.len() / 4));
        for _ in 0..n {
            let (Some(num), Some(off)) = (p.uint(), p.uint()) else {
                return Err(PdfError::Xref(format!("object stream {stream} has a bad index")));
            };
            let at = first.checked_add(off as usize).filter(|&a| a <= data.len() && num <= u32::MAX as u64);
            let at = at.ok_or_else(|| PdfError::Xref(format!("object stream {stream} has a bad offset")))?;
            index.push((num as u32, at));
        }
        let stm = Rc::new(ObjStm { data, index });
        let mut cache = self.objstms.borrow_mut();
        if cache.len() >= OBJSTM_CACHE {
            cache.clear();
        }
        cache.insert((stream, offset), stm.clone());
        Ok(stm)
    }

    /// Parses `n g obj ... endobj` at `offset` (top level, so string spans
    /// are file offsets).
    pub fn parse_indirect(&self, offset: usize) -> Result<(ObjRef, Object), PdfError> {
        self.parse_indirect_span(offset).map(|(r, o, _)| (r, o))
    }

    /// [`Document::parse_indirect`], also returning where the object ends.
    pub fn parse_indirect_span(&self, offset: usize) -> Result<(ObjRef, Object, usize), PdfError> {
        parse_indirect_in(self.src, offset, Some(self))
    }

    /// The value of an indirect /Length. Only one level is followed: a
    /// /Length that leads to a stream whose own /Length is indirect again
    /// (a loop between two streams) is not followed, and the stream's data
    /// then runs to its `endstream` keyword. An unreadable /Length is
    /// treated the same way; running out of budget is an error.
    fn stream_length(&self, r: ObjRef) -> Result<Option<usize>, PdfError> {
        if self.in_length.replace(true) {
            return Ok(None);
        }
        let got = self.get(r);
        self.in_length.set(false);
        match got {
            Ok(o) => Ok(o.and_then(|o| o.as_int()).and_then(|n| usize::try_from(n).ok())),
            Err(e @ (PdfError::Timeout | PdfError::Limit(_))) => Err(e),
            Err(_) => Ok(None),
        }
    }

    /// Raw data of a stream (not decoded).
    pub fn stream_raw(&self, s: &object::Stream) -> Result<Cow<'a, [u8]>, PdfError> {
        self.src.window(s.data.0, s.data.1.saturating_sub(s.data.0))
    }
}

impl View {
    fn sees(self, section_offset: usize) -> bool {
        match self {
            View::Latest => true,
            View::Before(n) => section_offset < n,
        }
    }
}

/// The object number of an `N G obj` header at `offset`, if one is there.
pub fn header_at(data: &[u8], offset: usize) -> Option<u32> {
    let mut p = Parser::new(data, offset);
    let num = p.uint()?;
    p.uint().filter(|&g| g <= u64::from(u16::MAX))?;
    if !p.keyword(b"obj") {
        return None;
    }
    u32::try_from(num).ok()
}

/// If `obj_kw` is the `obj` of a header `N G obj`, where that header starts.
pub fn object_header_start(data: &[u8], obj_kw: usize) -> Option<usize> {
    let after = obj_kw.checked_add(3)?;
    if data.get(after).is_some_and(|&b| !object::is_whitespace(b) && !b"<[/(%".contains(&b)) {
        return None;
    }
    // Back over "G" and "N", each preceded by whitespace.
    let mut i = obj_kw;
    for _ in 0..2 {
        let end = i;
        while i > 0 && data.get(i - 1).is_some_and(|&b| object::is_whitespace(b)) {
            i -= 1;
        }
        let digits_end = i;
        while i > 0 && data.get(i - 1).is_some_and(u8::is_ascii_digit) {
            i -= 1;
        }
        if !(digits_end > i && digits_end < end) {
            return None;
        }
    }
    header_at(data, i).map(|_| i)
}

/// Every object header in the file, by number, in file order.
/// (Read in chunks: each sees the 1 KiB before it, for the header's
/// numbers, and a little after, for what follows `obj`.)
fn index_headers(src: Source<'_>, budget: &Budget) -> Result<HashMap<u32, Vec<usize>>, PdfError> {
    let mut index: HashMap<u32, Vec<usize>> = HashMap::new();
    let mut i = 0usize;
    src.chunks(0, src.len(), 1 << 10, 64, |w, base, (s, e)| {
        for hit in memchr::memmem::find_iter(w, b"obj") {
            if !(s..e).contains(&(base + hit)) {
                continue;
            }
            if i.is_multiple_of(65_536) {
                budget.check_time()?;
            }
            i += 1;
            if let Some(start) = object_header_start(w, hit)
                && let Some(num) = header_at(w, start)
            {
                index.entry(num).or_default().push(base + start);
            }
        }
        Ok(true)
    })?;
    Ok(index)
}

/// Parses an indirect object at `offset` of `data`. A stream's /Length is
/// trusted only when `endstream` follows it; otherwise the data runs to the
/// next `endstream` keyword.
pub fn parse_indirect_at(data: &[u8], offset: usize, doc: Option<&Document<'_>>) -> Result<(ObjRef, Object), PdfError> {
    parse_indirect_span(data, offset, doc).map(|(r, o, _)| (r, o))
}

/// [`parse_indirect_at`], also returning where the object's value ends
/// (after the dictionary, or after `endstream`).
pub fn parse_indirect_span(
    data: &[u8],
    offset: usize,
    doc: Option<&Document<'_>>,
) -> Result<(ObjRef, Object, usize), PdfError> {
    parse_indirect_in(Source::Bytes(data), offset, doc)
}

/// The first window an object is parsed in when read from a file, and the
/// largest it grows to (a stream's data is never in it: only its
/// dictionary, and the `endstream` found by position).
const OBJECT_WINDOW: (usize, usize) = (4 << 10, 16 << 20);

/// [`parse_indirect_span`] read by position: the object is parsed in a
/// window that grows (up to a bound) while the object runs past it.
pub fn parse_indirect_in(
    src: Source<'_>,
    offset: usize,
    doc: Option<&Document<'_>>,
) -> Result<(ObjRef, Object, usize), PdfError> {
    if offset >= src.len() {
        return Err(PdfError::Xref(format!("object offset {offset} beyond end of file")));
    }
    let mut want = OBJECT_WINDOW.0;
    loop {
        let w = src.rest(offset, want)?;
        let whole = src.reaches_end(offset, w.len());
        match parse_in_window(src, &w, offset, whole, doc) {
            Ok(Some(done)) => return Ok(done),
            Err(e) if whole || e.is_budget() || matches!(e, PdfError::Io(_)) || want >= OBJECT_WINDOW.1 => {
                return Err(e);
            }
            // A header is read whole in the first window: an object that
            // does not start with one is not grown into.
            Err(e @ PdfError::Syntax { offset: at, .. }) if at == offset => return Err(e),
            // The window ended inside the object (or the object is
            // malformed: a larger window tells which), within the
            // document's allowance for reading again.
            Ok(None) | Err(_) if src.may_grow(want.saturating_mul(8)) => want = want.saturating_mul(8),
            Ok(None) => return Err(PdfError::Limit("objects read again in larger windows")),
            Err(e) => return Err(e),
        }
    }
}

/// Parses the object at the start of `w` (the file's bytes from `offset`);
/// `None` when the window ends too early to know the object is complete.
fn parse_in_window(
    src: Source<'_>,
    w: &[u8],
    offset: usize,
    whole: bool,
    doc: Option<&Document<'_>>,
) -> Result<Option<(ObjRef, Object, usize)>, PdfError> {
    let mut p = Parser::at_base(w, 0, offset);
    let (Some(num), Some(generation)) = (p.uint(), p.uint()) else {
        return Err(PdfError::Syntax { offset, what: "expected an object header".into() });
    };
    if num > u32::MAX as u64 || generation > u16::MAX as u64 || !p.keyword(b"obj") {
        return Err(PdfError::Syntax { offset, what: "expected an object header".into() });
    }
    let r = ObjRef { num: num as u32, generation: generation as u16 };
    let obj = p.object(0)?;
    // A token cut by the window's end would read as a shorter one: what
    // follows the object must be in the window too.
    if !whole && p.pos.saturating_add(32) > w.len() {
        return Ok(None);
    }
    let Object::Dict(dict) = obj else {
        return Ok(Some((r, obj, offset + p.pos)));
    };
    let save = p.pos;
    if !p.keyword(b"stream") {
        return Ok(Some((r, Object::Dict(dict), offset + save)));
    }
    // The keyword is followed by CRLF or LF (a lone CR is tolerated).
    let mut start = p.pos;
    if w.get(start) == Some(&b'\r') {
        start += 1;
    }
    if w.get(start) == Some(&b'\n') {
        start += 1;
    }
    let start = offset + start;
    let declared = match (dict_get(&dict, b"Length"), doc) {
        (Some(Object::Int(n)), _) => usize::try_from(*n).ok(),
        (Some(Object::Ref(lr)), Some(d)) if lr.num != r.num => d.stream_length(*lr)?,
        _ => None,
    };
    // The keyword after the data, read where it should be.
    let endstream_at = |end: usize| -> Result<Option<usize>, PdfError> {
        if end > src.len() {
            return Ok(None);
        }
        let t = src.rest(end, 1 << 10)?;
        let mut q = Parser::new(&t, 0);
        Ok(q.keyword(b"endstream").then_some(end + q.pos))
    };
    if let Some(end) = declared.and_then(|n| start.checked_add(n))
        && let Some(after) = endstream_at(end)?
    {
        return Ok(Some((r, Object::Stream(object::Stream { dict, data: (start, end) }), after)));
    }
    let found =
        src.find(start, b"endstream")?.ok_or(PdfError::Syntax { offset, what: "stream without endstream".into() })?;
    let mut end = found;
    let before = src.window(start.max(found.saturating_sub(2)), found - start.max(found.saturating_sub(2)))?;
    if end > start && before.last() == Some(&b'\n') {
        end -= 1;
    }
    if end > start && before.get(before.len().wrapping_sub(1 + found - end)) == Some(&b'\r') {
        end -= 1;
    }
    let after = endstream_at(end)?.unwrap_or(end);
    Ok(Some((r, Object::Stream(object::Stream { dict, data: (start, end) }), after)))
}

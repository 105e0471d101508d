//! PDF objects and a bounded parser for them (ISO 32000-1 §7.2–7.3).
//!
//! The parser works on byte slices and records where every string sits, so
//! the verifier can check that a /ByteRange gap is exactly the /Contents
//! string. Nesting depth and container sizes are capped; a hostile file gets
//! an error, not a stack overflow or an allocation storm.

use super::PdfError;

/// Deepest nesting of arrays and dictionaries accepted.
pub const MAX_DEPTH: usize = 64;
/// Most elements in one array or dictionary.
pub const MAX_ELEMENTS: usize = 1 << 20;

/// An indirect reference `n g R`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjRef {
    pub num: u32,
    pub generation: u16,
}

impl std::fmt::Display for ObjRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} R", self.num, self.generation)
    }
}

/// A string with the position of its delimiters in the parsed buffer.
#[derive(Debug, Clone)]
pub struct PdfString {
    pub bytes: Vec<u8>,
    pub hex: bool,
    /// Offsets of the opening delimiter and one past the closing one.
    pub span: (usize, usize),
}

/// Dictionary entries in file order (keys without the slash).
pub type Dict = Vec<(Vec<u8>, Object)>;

/// A stream: its dictionary and where its raw data lies in the buffer.
#[derive(Debug, Clone)]
pub struct Stream {
    pub dict: Dict,
    pub data: (usize, usize),
}

#[derive(Debug, Clone)]
pub enum Object {
    Null,
    Bool(bool),
    Int(i64),
    Real(f64),
    Name(Vec<u8>),
    Str(PdfString),
    Array(Vec<Object>),
    Dict(Dict),
    Ref(ObjRef),
    Stream(Stream),
}

/// Looks a key up in a dictionary.
pub fn dict_get<'d>(d: &'d Dict, key: &[u8]) -> Option<&'d Object> {
    d.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

impl Object {
    pub fn as_dict(&self) -> Option<&Dict> {
        match self {
            Object::Dict(d) => Some(d),
            Object::Stream(s) => Some(&s.dict),
            _ => None,
        }
    }

    pub fn get(&self, key: &[u8]) -> Option<&Object> {
        self.as_dict().and_then(|d| dict_get(d, key))
    }

    pub fn as_name(&self) -> Option<&[u8]> {
        match self {
            Object::Name(n) => Some(n),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Object::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_ref(&self) -> Option<ObjRef> {
        match self {
            Object::Ref(r) => Some(*r),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Object]> {
        match self {
            Object::Array(a) => Some(a),
            _ => None,
        }
    }

    /// Whether `key` names `value`.
    pub fn has_name(&self, key: &[u8], value: &[u8]) -> bool {
        self.get(key).and_then(Object::as_name) == Some(value)
    }

    /// Structural equality that ignores where things sit in the file; stream
    /// data is compared through `data_of`.
    pub fn same_as(&self, other: &Object, data_of: &dyn Fn(&Stream, bool) -> Option<Vec<u8>>) -> bool {
        match (self, other) {
            (Object::Null, Object::Null) => true,
            (Object::Bool(a), Object::Bool(b)) => a == b,
            (Object::Int(a), Object::Int(b)) => a == b,
            (Object::Real(a), Object::Real(b)) => a == b,
            (Object::Int(a), Object::Real(b)) | (Object::Real(b), Object::Int(a)) => (*a as f64) == *b,
            (Object::Name(a), Object::Name(b)) => a == b,
            (Object::Str(a), Object::Str(b)) => a.bytes == b.bytes,
            (Object::Ref(a), Object::Ref(b)) => a == b,
            (Object::Array(a), Object::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_as(y, data_of))
            }
            (Object::Dict(a), Object::Dict(b)) => dicts_same(a, b, data_of),
            (Object::Stream(a), Object::Stream(b)) => {
                dicts_same(&a.dict, &b.dict, data_of) && {
                    let (x, y) = (data_of(a, true), data_of(b, false));
                    x.is_some() && x == y
                }
            }
            _ => false,
        }
    }
}

/// Dictionary equality regardless of key order.
pub fn dicts_same(a: &Dict, b: &Dict, data_of: &dyn Fn(&Stream, bool) -> Option<Vec<u8>>) -> bool {
    a.len() == b.len() && a.iter().all(|(k, v)| dict_get(b, k).is_some_and(|w| v.same_as(w, data_of)))
}

pub(crate) fn is_whitespace(b: u8) -> bool {
    matches!(b, b'\0' | b'\t' | b'\n' | b'\x0C' | b'\r' | b' ')
}

pub(crate) fn is_delimiter(b: u8) -> bool {
    matches!(b, b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%')
}

fn is_regular(b: u8) -> bool {
    !is_whitespace(b) && !is_delimiter(b)
}

/// A cursor over a buffer that parses objects.
pub(crate) struct Parser<'a> {
    pub(crate) buf: &'a [u8],
    pub(crate) pos: usize,
    /// Where `buf` starts in the file: a parser over a window of a file
    /// reports string spans and error offsets as file offsets.
    pub(crate) base: usize,
}

impl<'a> Parser<'a> {
    pub fn new(buf: &'a [u8], pos: usize) -> Self {
        Parser { buf, pos, base: 0 }
    }

    /// A parser over `buf`, which holds the file's bytes from `base` on.
    pub fn at_base(buf: &'a [u8], pos: usize, base: usize) -> Self {
        Parser { buf, pos, base }
    }

    fn err(&self, what: &str) -> PdfError {
        PdfError::Syntax { offset: self.base + self.pos, what: what.to_string() }
    }

    /// Skips whitespace and comments.
    pub fn skip_ws(&mut self) {
        while let Some(&b) = self.buf.get(self.pos) {
            if is_whitespace(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(&c) = self.buf.get(self.pos) {
                    if c == b'\r' || c == b'\n' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// Reads a bare keyword or number token (regular characters).
    pub fn token(&mut self) -> &'a [u8] {
        self.skip_ws();
        let start = self.pos;
        while self.buf.get(self.pos).is_some_and(|&b| is_regular(b)) {
            self.pos += 1;
        }
        // A cursor placed past the end (an offset from the file) reads an
        // empty token.
        self.buf.get(start..self.pos).unwrap_or_default()
    }

    /// Consumes `kw` if it is the next token.
    pub fn keyword(&mut self, kw: &[u8]) -> bool {
        let save = self.pos;
        if self.token() == kw {
            true
        } else {
            self.pos = save;
            false
        }
    }

    /// Reads an unsigned integer token.
    pub fn uint(&mut self) -> Option<u64> {
        let save = self.pos;
        let t = self.token();
        match parse_uint(t) {
            Some(v) => Some(v),
            None => {
                self.pos = save;
                None
            }
        }
    }

    /// Parses one object (no streams: those need the object header context).
    pub fn object(&mut self, depth: usize) -> Result<Object, PdfError> {
        if depth > MAX_DEPTH {
            return Err(PdfError::Limit("nesting depth"));
        }
        self.skip_ws();
        let Some(&b) = self.buf.get(self.pos) else {
            return Err(self.err("unexpected end of data"));
        };
        match b {
            b'/' => {
                self.pos += 1;
                Ok(Object::Name(self.name_body()))
            }
            b'(' => self.literal_string().map(Object::Str),
            b'<' if self.buf.get(self.pos + 1) == Some(&b'<') => {
                self.pos += 2;
                self.dict_body(depth).map(Object::Dict)
            }
            b'<' => self.hex_string().map(Object::Str),
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    match self.buf.get(self.pos) {
                        None => return Err(self.err("unterminated array")),
                        Some(b']') => {
                            self.pos += 1;
                            break;
                        }
                        _ => {}
                    }
                    if items.len() >= MAX_ELEMENTS {
                        return Err(PdfError::Limit("array size"));
                    }
                    items.push(self.object(depth + 1)?);
                }
                Ok(Object::Array(items))
            }
            _ if b.is_ascii_digit() || b == b'+' || b == b'-' || b == b'.' => self.number_or_ref(),
            _ => {
                let t = self.token();
                match t {
                    b"true" => Ok(Object::Bool(true)),
                    b"false" => Ok(Object::Bool(false)),
                    b"null" => Ok(Object::Null),
                    _ => {
                        if t.is_empty() {
                            self.pos += 1;
                        }
                        Err(self.err("unexpected token"))
                    }
                }
            }
        }
    }

    fn dict_body(&mut self, depth: usize) -> Result<Dict, PdfError> {
        let mut d: Dict = Vec::new();
        loop {
            self.skip_ws();
            match self.buf.get(self.pos) {
                None => return Err(self.err("unterminated dictionary")),
                Some(b'>') if self.buf.get(self.pos + 1) == Some(&b'>') => {
                    self.pos += 2;
                    return Ok(d);
                }
                Some(b'/') => {
                    self.pos += 1;
                    let key = self.name_body();
                    let value = self.object(depth + 1)?;
                    if d.len() >= MAX_ELEMENTS {
                        return Err(PdfError::Limit("dictionary size"));
                    }
                    // A repeated key: the last one wins, as in most readers.
                    if let Some(slot) = d.iter_mut().find(|(k, _)| *k == key) {
                        slot.1 = value;
                    } else {
                        d.push((key, value));
                    }
                }
                Some(_) => return Err(self.err("dictionary key is not a name")),
            }
        }
    }

    fn name_body(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(&b) = self.buf.get(self.pos) {
            if !is_regular(b) {
                break;
            }
            if b == b'#'
                && let Some(v) = self.buf.get(self.pos + 1..self.pos + 3).and_then(|h| hex_pair(h[0], h[1]))
            {
                out.push(v);
                self.pos += 3;
                continue;
            }
            out.push(b);
            self.pos += 1;
        }
        out
    }

    fn literal_string(&mut self) -> Result<PdfString, PdfError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = Vec::new();
        let mut level = 1usize;
        loop {
            let Some(&b) = self.buf.get(self.pos) else {
                return Err(PdfError::Syntax { offset: self.base + start, what: "unterminated string".into() });
            };
            self.pos += 1;
            match b {
                b'(' => {
                    level += 1;
                    out.push(b);
                }
                b')' => {
                    level -= 1;
                    if level == 0 {
                        break;
                    }
                    out.push(b);
                }
                b'\\' => {
                    let Some(&e) = self.buf.get(self.pos) else {
                        continue;
                    };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'\r' => {
                            if self.buf.get(self.pos) == Some(&b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.buf.get(self.pos) {
                                    Some(&d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push(v as u8);
                        }
                        other => out.push(other),
                    }
                }
                _ => out.push(b),
            }
        }
        Ok(PdfString { bytes: out, hex: false, span: (self.base + start, self.base + self.pos) })
    }

    fn hex_string(&mut self) -> Result<PdfString, PdfError> {
        let start = self.pos;
        self.pos += 1;
        let rest = &self.buf[self.pos..];
        let end = memchr::memchr(b'>', rest)
            .ok_or_else(|| PdfError::Syntax { offset: self.base + start, what: "unterminated hex string".into() })?;
        let mut out = Vec::with_capacity(end / 2);
        let mut high: Option<u8> = None;
        for &c in &rest[..end] {
            if is_whitespace(c) {
                continue;
            }
            let v = hex_val(c)
                .ok_or_else(|| PdfError::Syntax { offset: self.base + start, what: "bad hex string".into() })?;
            match high.take() {
                Some(h) => out.push(h << 4 | v),
                None => high = Some(v),
            }
        }
        if let Some(h) = high {
            out.push(h << 4);
        }
        self.pos += end + 1;
        Ok(PdfString { bytes: out, hex: true, span: (self.base + start, self.base + self.pos) })
    }

    fn number_or_ref(&mut self) -> Result<Object, PdfError> {
        let start = self.pos;
        let t = self.token();
        if let Some(n) = parse_uint(t) {
            // Look ahead for `generation R`.
            let save = self.pos;
            if n <= u32::MAX as u64
                && let Some(g) = self.uint()
                && g <= u16::MAX as u64
                && self.keyword(b"R")
            {
                return Ok(Object::Ref(ObjRef { num: n as u32, generation: g as u16 }));
            }
            self.pos = save;
            return i64::try_from(n)
                .map(Object::Int)
                .map_err(|_| PdfError::Syntax { offset: self.base + start, what: "integer too large".into() });
        }
        let s = std::str::from_utf8(t)
            .map_err(|_| PdfError::Syntax { offset: self.base + start, what: "bad number".into() })?;
        if let Ok(i) = s.parse::<i64>() {
            return Ok(Object::Int(i));
        }
        match s.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Object::Real(f)),
            _ if s.starts_with("--") || s.starts_with("-.") || s.ends_with('.') => {
                // Lenient forms seen in the wild ("--1", "4."): read what is numeric.
                let cleaned: String = s.trim_start_matches('-').trim_end_matches('.').to_string();
                cleaned
                    .parse::<f64>()
                    .map(Object::Real)
                    .map_err(|_| PdfError::Syntax { offset: self.base + start, what: "bad number".into() })
            }
            _ => Err(PdfError::Syntax { offset: self.base + start, what: "bad number".into() }),
        }
    }
}

fn parse_uint(t: &[u8]) -> Option<u64> {
    if t.is_empty() || t.len() > 19 || !t.iter().all(u8::is_ascii_digit) {
        return None;
    }
    t.iter().try_fold(0u64, |a, &d| a.checked_mul(10)?.checked_add(u64::from(d - b'0')))
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn hex_pair(a: u8, b: u8) -> Option<u8> {
    Some(hex_val(a)? << 4 | hex_val(b)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &[u8]) -> Object {
        Parser::new(s, 0).object(0).unwrap()
    }

    #[test]
    fn parses_dict_with_refs_and_strings() {
        let o = parse(b"<< /Type /Sig /ByteRange [0 10 20 30] /Contents <0A0b> /V 12 0 R /M (D:2026\\051) >>");
        assert!(o.has_name(b"Type", b"Sig"));
        assert_eq!(o.get(b"V").and_then(Object::as_ref), Some(ObjRef { num: 12, generation: 0 }));
        match o.get(b"Contents") {
            Some(Object::Str(s)) => {
                assert_eq!(s.bytes, vec![0x0A, 0x0B]);
                assert!(s.hex);
            }
            other => panic!("{other:?}"),
        }
        match o.get(b"M") {
            Some(Object::Str(s)) => assert_eq!(s.bytes, b"D:2026)"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let deep = vec![b'['; 100_000];
        assert!(matches!(Parser::new(&deep, 0).object(0), Err(PdfError::Limit(_))));
    }

    #[test]
    fn a_cursor_past_the_end_reads_nothing() {
        let mut p = Parser::new(b"1 0 obj", 100);
        assert_eq!(p.token(), b"");
        assert_eq!(p.uint(), None);
        assert!(!p.keyword(b"obj"));
        assert!(p.object(0).is_err());
    }

    #[test]
    fn truncated_inputs_are_errors() {
        for s in [&b"<< /A"[..], b"(abc", b"<0A", b"[1 2", b"/"] {
            let _ = Parser::new(s, 0).object(0);
        }
        assert!(Parser::new(b"<< /A 1", 0).object(0).is_err());
    }
}

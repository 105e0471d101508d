//! Incremental updates: new and replaced objects appended after the original
//! bytes, with a cross-reference section of the same kind as the file's last
//! one (table or stream) and a trailer whose /Prev links to it. The original
//! bytes are never touched, so earlier signatures stay valid.

use super::object::{Dict, ObjRef, Object, dict_get};
use super::{Document, PdfError};

/// The body of an object written by an update.
pub enum Body {
    Object(Object),
    Stream {
        dict: Dict,
        data: Vec<u8>,
    },
    /// Pre-serialized bytes (the signature dictionary, whose placeholders
    /// are patched later).
    Raw(Vec<u8>),
}

/// Highest object number an update writes: other readers (poppler, qpdf)
/// hold object numbers in a signed 32-bit integer.
const MAX_OBJECT_NUMBER: u32 = i32::MAX as u32;

/// Objects to append to a document.
pub struct Update<'d, 'a> {
    doc: &'d Document<'a>,
    /// The first number this update hands out.
    first_new: u64,
    next: u64,
    objects: Vec<(ObjRef, Body)>,
}

/// Where the update's objects landed, relative to the start of the file.
pub struct Written {
    pub tail: Vec<u8>,
    /// Absolute offset of each written object.
    pub offsets: Vec<(ObjRef, usize)>,
}

impl<'d, 'a> Update<'d, 'a> {
    /// An update whose new objects are numbered after every number the
    /// document uses (its trailers' /Size and its cross-reference entries).
    pub fn new(doc: &'d Document<'a>) -> Self {
        let size = doc
            .xref
            .sections
            .iter()
            .filter_map(|s| dict_get(&s.trailer, b"Size").and_then(Object::as_int))
            .max()
            .unwrap_or(0);
        let max_entry = doc.xref.sections.iter().flat_map(|s| s.entries.keys().copied()).max().unwrap_or(0);
        // Kept in u64: a file naming object 4294967295 must not make the
        // next number wrap to 0; `reserve` refuses numbers past the cap.
        let next = u64::try_from(size).unwrap_or(0).max(u64::from(max_entry) + 1).max(1);
        Update { doc, first_new: next, next, objects: Vec::new() }
    }

    /// Reserves a number for a new object (its body is given with [`Self::set`]).
    pub fn reserve(&mut self) -> Result<ObjRef, PdfError> {
        // The xref stream of `write` takes one more number after these.
        let num = u32::try_from(self.next)
            .ok()
            .filter(|&n| n < MAX_OBJECT_NUMBER)
            .ok_or(PdfError::Limit("object numbers (the document already uses the highest ones)"))?;
        self.next = self.next.saturating_add(1);
        Ok(ObjRef { num, generation: 0 })
    }

    /// Adds a new object and returns its number.
    pub fn add(&mut self, body: Body) -> Result<ObjRef, PdfError> {
        let r = self.reserve()?;
        self.objects.push((r, body));
        Ok(r)
    }

    /// Sets the body of an object reserved with [`Self::reserve`].
    pub fn set(&mut self, r: ObjRef, body: Body) {
        self.objects.retain(|(o, _)| *o != r);
        self.objects.push((r, body));
    }

    /// Replaces an object the document already has. A reference to an object
    /// that does not exist is refused: writing it could collide with a
    /// number this update reserved.
    pub fn replace(&mut self, r: ObjRef, body: Body) -> Result<(), PdfError> {
        match self.doc.entry(r.num, super::View::Latest) {
            Some(super::xref::Entry::InUse { .. } | super::xref::Entry::Compressed { .. })
                if u64::from(r.num) < self.first_new =>
            {
                self.set(r, body);
                Ok(())
            }
            _ => Err(PdfError::Xref(format!("object {} does not exist", r.num))),
        }
    }

    /// Serializes the update for a file of `base_len` bytes.
    pub fn write(self, base_len: usize, ends_with_eol: bool) -> Result<Written, PdfError> {
        let mut tail = Vec::new();
        if !ends_with_eol {
            tail.push(b'\n');
        }
        let mut offsets = Vec::with_capacity(self.objects.len() + 1);
        for (r, body) in &self.objects {
            offsets.push((*r, base_len + tail.len()));
            tail.extend_from_slice(format!("{} {} obj\n", r.num, r.generation).as_bytes());
            match body {
                Body::Object(o) => serialize(o, &mut tail),
                Body::Raw(raw) => tail.extend_from_slice(raw),
                Body::Stream { dict, data } => {
                    let mut d = dict.clone();
                    d.retain(|(k, _)| k != b"Length");
                    d.push((b"Length".to_vec(), Object::Int(data.len() as i64)));
                    serialize(&Object::Dict(d), &mut tail);
                    tail.extend_from_slice(b"\nstream\n");
                    tail.extend_from_slice(data);
                    tail.extend_from_slice(b"\nendstream");
                }
            }
            tail.extend_from_slice(b"\nendobj\n");
        }
        let latest =
            self.doc.xref.sections.first().ok_or_else(|| PdfError::Xref("no cross-reference section".into()))?;
        let mut trailer: Dict = Vec::new();
        for key in [&b"Root"[..], b"Info", b"ID"] {
            if let Some(v) = self.doc.trailer_get(key) {
                trailer.push((key.to_vec(), v.clone()));
            }
        }
        trailer.push((b"Prev".to_vec(), Object::Int(self.doc.xref.startxref as i64)));
        let xref_at = base_len + tail.len();
        if latest.is_stream {
            // A cross-reference stream, listing itself too.
            let own =
                ObjRef { num: u32::try_from(self.next).map_err(|_| PdfError::Limit("object numbers"))?, generation: 0 };
            offsets.push((own, xref_at));
            let mut rows = offsets.clone();
            rows.sort_by_key(|(r, _)| r.num);
            let mut data = Vec::with_capacity(rows.len() * 7);
            let mut index = Vec::new();
            for (r, off) in &rows {
                data.push(1);
                data.extend_from_slice(&u32::try_from(*off).map_err(|_| PdfError::Limit("file size"))?.to_be_bytes());
                data.extend_from_slice(&r.generation.to_be_bytes());
                index.push(Object::Int(r.num as i64));
                index.push(Object::Int(1));
            }
            trailer.push((b"Type".to_vec(), Object::Name(b"XRef".to_vec())));
            trailer.push((b"Size".to_vec(), Object::Int(i64::from(own.num) + 1)));
            trailer.push((b"Index".to_vec(), Object::Array(index)));
            trailer.push((b"W".to_vec(), Object::Array(vec![Object::Int(1), Object::Int(4), Object::Int(2)])));
            trailer.push((b"Length".to_vec(), Object::Int(data.len() as i64)));
            tail.extend_from_slice(format!("{} 0 obj\n", own.num).as_bytes());
            serialize(&Object::Dict(trailer), &mut tail);
            tail.extend_from_slice(b"\nstream\n");
            tail.extend_from_slice(&data);
            tail.extend_from_slice(b"\nendstream\nendobj\n");
            offsets.pop();
        } else {
            let mut rows = offsets.clone();
            rows.sort_by_key(|(r, _)| r.num);
            tail.extend_from_slice(b"xref\n");
            let mut i = 0;
            while i < rows.len() {
                let mut j = i + 1;
                while j < rows.len() && Some(rows[j].0.num) == rows[j - 1].0.num.checked_add(1) {
                    j += 1;
                }
                tail.extend_from_slice(format!("{} {}\n", rows[i].0.num, j - i).as_bytes());
                for (r, off) in &rows[i..j] {
                    tail.extend_from_slice(format!("{off:010} {:05} n\r\n", r.generation).as_bytes());
                }
                i = j;
            }
            trailer.push((
                b"Size".to_vec(),
                Object::Int(i64::try_from(self.next).map_err(|_| PdfError::Limit("object numbers"))?),
            ));
            tail.extend_from_slice(b"trailer\n");
            serialize(&Object::Dict(trailer), &mut tail);
            tail.push(b'\n');
        }
        tail.extend_from_slice(format!("startxref\n{xref_at}\n%%EOF\n").as_bytes());
        Ok(Written { tail, offsets })
    }
}

/// Writes an object in PDF syntax. Streams are not serialized here (their
/// data is not carried by [`Object`]); a stream object must not be rewritten.
pub fn serialize(o: &Object, out: &mut Vec<u8>) {
    match o {
        Object::Null => out.extend_from_slice(b"null"),
        Object::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Object::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Object::Real(f) => {
            let s = format!("{f:.6}");
            let s = s.trim_end_matches('0').trim_end_matches('.');
            out.extend_from_slice(if s.is_empty() || s == "-" { b"0" } else { s.as_bytes() });
        }
        Object::Name(n) => write_name(n, out),
        Object::Str(s) => write_string(&s.bytes, out),
        Object::Ref(r) => out.extend_from_slice(format!("{} {} R", r.num, r.generation).as_bytes()),
        Object::Array(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                serialize(x, out);
            }
            out.push(b']');
        }
        Object::Dict(d) | Object::Stream(super::object::Stream { dict: d, .. }) => {
            out.extend_from_slice(b"<<");
            for (k, v) in d {
                write_name(k, out);
                out.push(b' ');
                serialize(v, out);
                out.push(b'\n');
            }
            out.extend_from_slice(b">>");
        }
    }
}

pub fn write_name(n: &[u8], out: &mut Vec<u8>) {
    out.push(b'/');
    for &b in n {
        if b.is_ascii_graphic() && !b"()<>[]{}/%#".contains(&b) {
            out.push(b);
        } else {
            out.extend_from_slice(format!("#{b:02X}").as_bytes());
        }
    }
}

/// Literal string with escapes for bytes that need them.
pub fn write_string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'(');
    for &b in s {
        match b {
            b'(' | b')' | b'\\' => {
                out.push(b'\\');
                out.push(b);
            }
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\n' => out.extend_from_slice(b"\\n"),
            _ => out.push(b),
        }
    }
    out.push(b')');
}

/// A PDF text string: PDFDocEncoding-compatible ASCII as is, anything else
/// as UTF-16BE with a byte-order mark.
pub fn text_string(s: &str) -> Vec<u8> {
    if s.bytes().all(|b| (0x20..0x7F).contains(&b)) {
        s.as_bytes().to_vec()
    } else {
        let mut v = vec![0xFE, 0xFF];
        for u in s.encode_utf16() {
            v.extend_from_slice(&u.to_be_bytes());
        }
        v
    }
}

/// A PDF date string for `t` (`D:YYYYMMDDHHmmSS+HH'mm'`).
pub fn pdf_date(t: time::OffsetDateTime) -> String {
    let off = t.offset();
    let (h, m) = (off.whole_hours(), off.minutes_past_hour());
    let sign = if off.is_negative() { '-' } else { '+' };
    format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}{sign}{:02}'{:02}'",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        h.unsigned_abs(),
        m.unsigned_abs()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::object::{Parser, PdfString};

    #[test]
    fn serialized_objects_parse_back() {
        let o = Object::Dict(vec![
            (b"Type".to_vec(), Object::Name(b"Sig".to_vec())),
            (b"T".to_vec(), Object::Str(PdfString { bytes: text_string("Chữ ký (1)"), hex: false, span: (0, 0) })),
            (
                b"A".to_vec(),
                Object::Array(vec![Object::Int(-3), Object::Real(1.5), Object::Ref(ObjRef { num: 4, generation: 0 })]),
            ),
            (b"N a#me".to_vec(), Object::Bool(true)),
        ]);
        let mut out = Vec::new();
        serialize(&o, &mut out);
        let back = Parser::new(&out, 0).object(0).unwrap();
        let none = |_: &super::super::object::Stream, _: bool| None;
        assert!(o.same_as(&back, &none), "{}", String::from_utf8_lossy(&out));
    }
}

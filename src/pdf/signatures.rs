//! Finding signature dictionaries: through the form's signature fields, and
//! by looking for any dictionary with a /ByteRange (a signature that no field
//! points at is still reported, never silently ignored).

use super::object::{Dict, ObjRef, Object, dict_get};
use super::xref::Entry;
use super::{Document, PdfError, View};
use std::collections::HashSet;

/// Most form fields visited, and the deepest field hierarchy followed.
const MAX_FIELDS: usize = 100_000;
const MAX_FIELD_DEPTH: usize = 32;

/// A signature dictionary and where it came from.
#[derive(Debug, Clone)]
pub struct FoundSignature {
    /// Fully qualified field name, if a signature field points at it.
    pub field: Option<String>,
    /// The indirect object holding the dictionary (None if direct in a field).
    pub object: Option<ObjRef>,
    pub dict: Dict,
    /// Byte span of the object holding the dictionary, when it is a top-level
    /// object of the file (then string spans in `dict` are file offsets).
    pub span: Option<(usize, usize)>,
    /// Why the dictionary could not be read, when a field points at an
    /// unreadable object: reported as a failed signature, not hidden.
    pub error: Option<String>,
}

/// A signature field in the current form.
#[derive(Debug, Clone)]
pub struct SigField {
    pub name: String,
    pub field: ObjRef,
    pub value: Option<Object>,
}

/// All signature fields reachable from the catalog's /AcroForm in `view`.
pub fn signature_fields(doc: &Document<'_>, view: View) -> Result<Vec<SigField>, PdfError> {
    let mut out = Vec::new();
    let Some(root) = doc.trailer_get_in(b"Root", view).cloned() else {
        return Ok(out);
    };
    let Some(catalog) = doc.resolve(&root, view)? else {
        return Ok(out);
    };
    let Some(acroform) = catalog.get(b"AcroForm") else {
        return Ok(out);
    };
    let Some(acroform) = doc.resolve(acroform, view)? else {
        return Ok(out);
    };
    let Some(fields) = acroform.get(b"Fields") else {
        return Ok(out);
    };
    let Some(Object::Array(fields)) = doc.resolve(fields, view)? else {
        return Ok(out);
    };
    let mut seen = HashSet::new();
    for f in &fields {
        walk(doc, view, f, "", None, 0, &mut seen, &mut out)?;
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn walk(
    doc: &Document<'_>,
    view: View,
    node: &Object,
    prefix: &str,
    inherited_ft: Option<&[u8]>,
    depth: usize,
    seen: &mut HashSet<ObjRef>,
    out: &mut Vec<SigField>,
) -> Result<(), PdfError> {
    let Some(r) = node.as_ref() else {
        return Ok(());
    };
    if depth > MAX_FIELD_DEPTH || seen.len() >= MAX_FIELDS || !seen.insert(r) {
        return Ok(());
    }
    // One unreadable field (a malformed number in its /Rect, say) does not
    // hide the others.
    let field = match doc.get_in(r, view) {
        Ok(Some(f)) => f,
        Ok(None) => return Ok(()),
        Err(e) if e.is_budget() => return Err(e),
        Err(e) => {
            doc.note(format!("form field {} cannot be read, skipped: {e}", r.num));
            return Ok(());
        }
    };
    let Some(d) = field.as_dict() else {
        return Ok(());
    };
    let name = match dict_get(d, b"T") {
        Some(Object::Str(s)) => {
            let t = text_string(&s.bytes);
            if prefix.is_empty() { t } else { format!("{prefix}.{t}") }
        }
        _ => prefix.to_string(),
    };
    let ft = dict_get(d, b"FT").and_then(Object::as_name).or(inherited_ft);
    let kids = dict_get(d, b"Kids").map(|k| doc.resolve(k, view)).transpose()?.flatten();
    // A field's kids are either sub-fields or widgets; widgets have no /T.
    let mut has_field_kids = false;
    if let Some(Object::Array(a)) = &kids {
        for kr in a.iter().filter_map(Object::as_ref) {
            match doc.get_in(kr, view) {
                Ok(Some(o)) if o.get(b"T").is_some() => {
                    has_field_kids = true;
                    break;
                }
                Err(e @ (PdfError::Timeout | PdfError::Limit(_))) => return Err(e),
                _ => {}
            }
        }
    }
    if has_field_kids {
        if let Some(Object::Array(a)) = kids {
            for k in &a {
                walk(doc, view, k, &name, ft, depth + 1, seen, out)?;
            }
        }
    } else if ft == Some(b"Sig") {
        out.push(SigField { name, field: r, value: dict_get(d, b"V").cloned() });
    }
    Ok(())
}

/// Decodes a PDF text string (UTF-16BE with BOM, UTF-8 with BOM, or
/// PDFDocEncoding, approximated by Latin-1).
pub fn text_string(b: &[u8]) -> String {
    if let Some(rest) = b.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
        String::from_utf16_lossy(&units)
    } else if let Some(rest) = b.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        String::from_utf8_lossy(rest).into_owned()
    } else {
        b.iter().map(|&c| c as char).collect()
    }
}

/// Every signature dictionary of the document: field values first (in form
/// order), then dictionaries carrying /ByteRange that no field points at.
pub fn find_signatures(doc: &Document<'_>) -> Result<Vec<FoundSignature>, PdfError> {
    let mut out: Vec<FoundSignature> = Vec::new();
    let mut seen_objects = HashSet::new();
    // An unreadable form does not hide signatures: the /ByteRange scan
    // below still finds their dictionaries.
    let fields = match signature_fields(doc, View::Latest) {
        Ok(f) => f,
        Err(e) if e.is_budget() => return Err(e),
        Err(e) => {
            doc.note(format!("the form's signature fields cannot be read: {e}"));
            Vec::new()
        }
    };
    for f in fields {
        match f.value {
            Some(Object::Ref(r)) => {
                if !seen_objects.insert(r) {
                    continue;
                }
                match load_top_level(doc, r) {
                    Ok(Some(found)) => out.push(FoundSignature { field: Some(f.name), ..found }),
                    Ok(None) => {}
                    Err(e @ (PdfError::Timeout | PdfError::Limit(_))) => return Err(e),
                    Err(e) => out.push(FoundSignature {
                        field: Some(f.name),
                        object: Some(r),
                        dict: Vec::new(),
                        span: None,
                        error: Some(format!("signature dictionary unreadable: {e}")),
                    }),
                }
            }
            Some(Object::Dict(d)) => {
                // A direct dictionary inside the field object: spans are file
                // offsets only if the field itself is a top-level object.
                let span = match load_top_level(doc, f.field) {
                    Ok(x) => x.and_then(|x| x.span),
                    Err(e @ (PdfError::Timeout | PdfError::Limit(_))) => return Err(e),
                    Err(_) => None,
                };
                out.push(FoundSignature { field: Some(f.name), object: None, dict: d, span, error: None });
            }
            _ => {}
        }
    }
    // Any other signature dictionary (/Type /Sig or /DocTimeStamp, or
    // anything with a /ByteRange) in a top-level object.
    // One pass over the file (in chunks when it is read by position).
    let needles: [&[u8]; 3] = [b"/ByteRange", b"/Sig", b"/DocTimeStamp"];
    let mut hits: Vec<usize> = Vec::new();
    let src = doc.source();
    src.chunks(0, src.len(), 0, 16, |w, base, (s, e)| {
        for i in memchr::memchr_iter(b'/', w) {
            let at = base + i;
            if (s..e).contains(&at) && needles.iter().any(|n| w.get(i..).is_some_and(|r| r.starts_with(n))) {
                hits.push(at);
            }
        }
        Ok(true)
    })?;
    hits.sort_unstable();
    if hits.is_empty() {
        return Ok(out);
    }
    let mut starts: Vec<(usize, u32)> = doc
        .xref
        .sections
        .iter()
        .flat_map(|s| s.entries.iter())
        .filter_map(|(&n, e)| match e {
            Entry::InUse { offset, .. } => Some((*offset, n)),
            _ => None,
        })
        .collect();
    starts.sort_unstable();
    starts.dedup();
    let mut checked = HashSet::new();
    for hit in hits {
        let i = starts.partition_point(|&(o, _)| o <= hit);
        let Some(&(offset, _)) = i.checked_sub(1).and_then(|i| starts.get(i)) else {
            continue;
        };
        if !checked.insert(offset) {
            continue;
        }
        doc.budget.tick()?;
        let Ok((r, obj, end)) = doc.parse_indirect_span(offset) else {
            continue;
        };
        if end < hit || seen_objects.contains(&r) {
            continue;
        }
        let is_sig = |d: &Dict| {
            dict_get(d, b"ByteRange").is_some()
                || matches!(dict_get(d, b"Type").and_then(Object::as_name), Some(b"Sig" | b"DocTimeStamp"))
        };
        if let Object::Dict(d) = obj
            && is_sig(&d)
        {
            // Only the newest definition of each object number is reported as
            // "unlinked"; older ones were replaced and are compared by the
            // revision analysis.
            let latest = matches!(doc.entry(r.num, View::Latest), Some(Entry::InUse { offset: o, .. }) if o == offset);
            if latest {
                seen_objects.insert(r);
                out.push(FoundSignature {
                    field: None,
                    object: Some(r),
                    dict: d,
                    span: Some((offset, end)),
                    error: None,
                });
            }
        }
    }
    Ok(out)
}

fn load_top_level(doc: &Document<'_>, r: ObjRef) -> Result<Option<FoundSignature>, PdfError> {
    match doc.entry(r.num, View::Latest) {
        Some(Entry::InUse { offset, .. }) => {
            doc.budget.tick()?;
            let offset = doc
                .locate(r.num, offset, View::Latest)?
                .ok_or_else(|| PdfError::Xref(format!("object {} expected at byte {offset}", r.num)))?;
            let (_, obj, end) = doc.parse_indirect_span(offset)?;
            Ok(obj.as_dict().cloned().map(|dict| FoundSignature {
                field: None,
                object: Some(r),
                dict,
                span: Some((offset, end)),
                error: None,
            }))
        }
        Some(e @ Entry::Compressed { .. }) => {
            let obj = doc.load(r.num, e, View::Latest)?;
            Ok(obj.as_dict().cloned().map(|dict| FoundSignature {
                field: None,
                object: Some(r),
                dict,
                span: None,
                error: None,
            }))
        }
        _ => Ok(None),
    }
}

//! What changed after a signature: the revision analysis.
//!
//! Signers legitimately append revisions (another signature, a timestamp,
//! validation data, filled-in form fields, metadata). The analysis compares
//! every object that later cross-reference sections define against the
//! document as the signature saw it, and classifies each change through one
//! table ([`classify`]). Anything it cannot place is "other": a disallowed
//! modification. Bytes after the signed range must form proper revisions
//! built on the signed one, or they count as a modification too (the
//! "incremental saving attack" of the 2019 PDF-insecurity study).

use crate::pdf::object::{Dict, ObjRef, Object, Stream, dict_get};
use crate::pdf::xref::{Entry, last_startxref_in, section_start_in};
use crate::pdf::{Document, PdfError, View, object_header_start};
use crate::verify::report::Changes;
use std::collections::{BTreeSet, HashSet};

/// The outcome for one signed revision.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub level: Changes,
    /// Whether a later revision adds a signature field or value (matters for
    /// DocMDP level 1, which allows validation data but no new signatures).
    pub adds_signatures: bool,
    /// One sentence per notable change, the disallowed ones first.
    pub notes: Vec<String>,
    /// Allowed but worth knowing (objects added that nothing refers to).
    pub warnings: Vec<String>,
}

impl Analysis {
    fn none() -> Self {
        Analysis { level: Changes::None, adds_signatures: false, notes: Vec::new(), warnings: Vec::new() }
    }

    /// The outcome when later revisions cannot be read at all.
    pub fn unreadable(note: String) -> Self {
        let mut a = Analysis::none();
        a.add(Changes::Other, note);
        a
    }

    fn add(&mut self, level: Changes, note: impl Into<String>) {
        if level == Changes::Other {
            self.notes.insert(0, note.into());
        } else if self.notes.len() < 20 {
            self.notes.push(note.into());
        }
        self.level = self.level.max(level);
    }
}

/// Analyses everything after `signed_end` (the end of a signature's byte range).
pub fn analyse(doc: &Document<'_>, signed_end: usize) -> Result<Analysis, PdfError> {
    let src = doc.source();
    let mut a = Analysis::none();
    if signed_end >= src.len() {
        return Ok(a);
    }
    let head = src.before(signed_end, 64 << 10)?;
    if !trim_end_ws(&head).ends_with(b"%%EOF") {
        a.add(Changes::Other, "the signed bytes do not end at the end of a revision");
        return Ok(a);
    }
    let mut blank = true;
    src.chunks(signed_end, src.len(), 0, 0, |w, base, (s, e)| {
        blank = w.get(s - base..e - base).unwrap_or_default().iter().all(|&b| crate::pdf::object::is_whitespace(b));
        Ok(blank)
    })?;
    if blank {
        return Ok(a);
    }
    let later: Vec<_> = doc.xref.sections.iter().filter(|s| s.offset >= signed_end).collect();
    if later.is_empty() {
        a.add(Changes::Other, "data appended after the signed revision is not a PDF revision");
        return Ok(a);
    }
    // Sections are known by where their keyword or object starts; a
    // startxref may point at the whitespace before it.
    let signed_xref = match last_startxref_in(src, signed_end)? {
        Some(o) => Some(section_start_in(src, o)?),
        None => None,
    };
    if !signed_xref.is_some_and(|o| doc.xref.offsets().any(|s| s == o)) {
        a.add(Changes::Other, "later revisions do not build on the signed revision");
        return Ok(a);
    }
    let view_old = View::Before(signed_end);
    if doc.trailer_get(b"Root").and_then(Object::as_ref)
        != doc.trailer_get_in(b"Root", view_old).and_then(Object::as_ref)
    {
        a.add(Changes::Other, "the document catalog was replaced");
        return Ok(a);
    }
    check_unlisted_objects(doc, signed_end, &later, &mut a)?;

    let ctx = Context::new(doc, view_old)?;
    let numbers: BTreeSet<u32> = later.iter().flat_map(|s| s.entries.keys().copied()).filter(|&n| n != 0).collect();
    // Objects the later revisions add, and every number they refer to.
    let mut added: Vec<u32> = Vec::new();
    let mut referenced: HashSet<u32> = HashSet::new();
    for s in &later {
        refs_in(&Object::Dict(s.trailer.clone()), &mut referenced);
    }
    for n in numbers {
        doc.budget.check_time()?;
        let new_e = doc.entry(n, View::Latest);
        let old_e = doc.entry(n, view_old);
        let old_present = matches!(old_e, Some(Entry::InUse { .. } | Entry::Compressed { .. }));
        let new_obj = match new_e {
            None | Some(Entry::Free) => {
                if old_present {
                    a.add(Changes::Other, format!("object {n} was deleted"));
                }
                continue;
            }
            Some(e) => match doc.load(n, e, View::Latest) {
                Ok(o) => o,
                Err(err) if err.is_budget() => return Err(err),
                Err(err) => {
                    a.add(Changes::Other, format!("object {n} of a later revision cannot be read: {err}"));
                    continue;
                }
            },
        };
        refs_in(&new_obj, &mut referenced);
        if !old_present {
            // New objects matter only through what refers to them.
            let plumbing = new_obj.has_name(b"Type", b"XRef") || new_obj.has_name(b"Type", b"ObjStm");
            if !plumbing {
                added.push(n);
            }
            continue;
        }
        let old_obj = match old_e {
            Some(e) => match doc.load(n, e, view_old) {
                Ok(o) => o,
                Err(err) if err.is_budget() => return Err(err),
                Err(err) => {
                    a.add(
                        Changes::Other,
                        format!("object {n} was replaced, and its signed version cannot be read: {err}"),
                    );
                    continue;
                }
            },
            None => continue,
        };
        if same(doc, &old_obj, &new_obj) {
            continue;
        }
        let (level, note) = ctx.classify(n, &old_obj, &new_obj, &mut a.adds_signatures)?;
        a.add(level, note);
    }
    // Unreachable additions change nothing a reader shows, but say so:
    // they are room for content a later revision could link in.
    let orphans = added.iter().filter(|n| !referenced.contains(n)).count();
    if orphans > 0 {
        a.warnings.push(format!("later revisions add {orphans} object(s) that nothing refers to"));
    }
    // A later revision that could only be read by repair is not shown
    // harmless by that repair.
    for (n, section) in doc.repaired() {
        if section >= signed_end {
            a.add(
                Changes::Other,
                format!("object {n} of a later revision is not where its cross-reference entry says"),
            );
        }
    }
    Ok(a)
}

/// Whether the object holding a signature dictionary was redefined by a
/// later revision into something else. The dictionary a reader shows is the
/// newest one; the one that was signed is older, so a redefinition (a new
/// /Reason, /M or /Contents) is a modification whatever the new one says.
/// Unreadable older definitions count as different.
pub fn signature_redefined(doc: &Document<'_>, num: u32) -> Result<bool, PdfError> {
    let mut defs = doc.xref.sections.iter().filter_map(|s| match s.entries.get(&num) {
        Some(e @ (Entry::InUse { .. } | Entry::Compressed { .. })) => Some((*e, s.offset)),
        _ => None,
    });
    let Some((newest, _)) = defs.next() else { return Ok(false) };
    let Some((older, older_section)) = defs.next() else { return Ok(false) };
    if newest == older {
        return Ok(false);
    }
    let load = |e: Entry, view: View| match doc.load(num, e, view) {
        Ok(o) => Ok(Some(o)),
        Err(err) if err.is_budget() => Err(err),
        Err(_) => Ok(None),
    };
    let new = load(newest, View::Latest)?;
    let old = load(older, View::Before(older_section.saturating_add(1)))?;
    Ok(match (old, new) {
        (Some(a), Some(b)) => !same(doc, &a, &b),
        _ => true,
    })
}

fn trim_end_ws(b: &[u8]) -> &[u8] {
    let end = b.iter().rposition(|&c| !crate::pdf::object::is_whitespace(c)).map_or(0, |i| i + 1);
    &b[..end]
}

fn same(doc: &Document<'_>, a: &Object, b: &Object) -> bool {
    let data_of = |s: &Stream, _old: bool| doc.stream_raw(s).ok().map(|d| d.into_owned());
    a.same_as(b, &data_of)
}

/// Objects written after the signature but listed in no cross-reference
/// section are invisible to a conforming reader yet picked up by repairing
/// ones: a classic way to show different content to different viewers.
fn check_unlisted_objects(
    doc: &Document<'_>,
    signed_end: usize,
    later: &[&crate::pdf::xref::Section],
    a: &mut Analysis,
) -> Result<(), PdfError> {
    let src = doc.source();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut listed: HashSet<usize> = later.iter().map(|s| s.offset).collect();
    for s in later {
        for e in s.entries.values() {
            if let Entry::InUse { offset, .. } = *e
                && offset >= signed_end
            {
                listed.insert(offset);
            }
        }
    }
    for &offset in &listed {
        doc.budget.tick()?;
        if let Ok((_, _, end)) = doc.parse_indirect_span(offset) {
            spans.push((offset, end));
        }
    }
    spans.sort_unstable();
    let mut pos = signed_end;
    let mut gaps = Vec::new();
    for (s, e) in spans {
        if s > pos {
            gaps.push((pos, s));
        }
        pos = pos.max(e);
    }
    gaps.push((pos, src.len()));
    for (s, e) in gaps {
        // Each gap is read with the 1 KiB before it, for a header's numbers.
        let lo = s.saturating_sub(1 << 10);
        let w = src.window(lo, e.saturating_add(8) - lo)?;
        for hit in memchr::memmem::find_iter(w.get(s - lo..e - lo).unwrap_or_default(), b"obj") {
            let at = s - lo + hit;
            if let Some(start) = object_header_start(&w, at).map(|st| st + lo)
                && !listed.contains(&start)
            {
                a.add(
                    Changes::Other,
                    format!("an object at byte {start} after the signature is not in any cross-reference section"),
                );
                return Ok(());
            }
        }
    }
    Ok(())
}

/// What the signed revision looked like, for placing changed objects.
struct Context<'d, 'a> {
    doc: &'d Document<'a>,
    view: View,
    root: Option<ObjRef>,
    info: Option<ObjRef>,
    metadata: Option<ObjRef>,
    acroform: Option<ObjRef>,
    fields: Option<ObjRef>,
    dss: HashSet<ObjRef>,
}

/// Catalog entries a signer may add or update, and what they amount to.
const CATALOG_ALLOWED: &[&[u8]] = &[b"AcroForm", b"DSS", b"Metadata", b"Extensions", b"Version", b"NeedsRendering"];
/// Field entries filling in a value may touch.
const FIELD_FILL_KEYS: &[&[u8]] = &[b"V", b"AP", b"AS", b"MK", b"DA", b"M", b"F", b"P", b"Lock", b"SV"];
/// AcroForm entries a signer may touch besides /Fields.
const ACROFORM_KEYS: &[&[u8]] = &[b"SigFlags", b"DR", b"DA", b"NeedAppearances"];

impl<'d, 'a> Context<'d, 'a> {
    fn new(doc: &'d Document<'a>, view: View) -> Result<Self, PdfError> {
        let root = doc.trailer_get_in(b"Root", view).and_then(Object::as_ref);
        let info = doc.trailer_get_in(b"Info", view).and_then(Object::as_ref);
        let catalog = match root {
            Some(r) => doc.get_in(r, view)?,
            None => None,
        };
        let cat_ref = |k: &[u8]| catalog.as_ref().and_then(|c| c.get(k)).and_then(Object::as_ref);
        let metadata = cat_ref(b"Metadata");
        let acroform = cat_ref(b"AcroForm");
        let af_obj = match catalog.as_ref().and_then(|c| c.get(b"AcroForm")) {
            Some(o) => doc.resolve(o, view)?,
            None => None,
        };
        let fields = af_obj.as_ref().and_then(|a| a.get(b"Fields")).and_then(Object::as_ref);
        let mut dss = HashSet::new();
        if let Some(d) = catalog.as_ref().and_then(|c| c.get(b"DSS")) {
            collect_refs(doc, view, d, 3, &mut dss)?;
        }
        Ok(Context { doc, view, root, info, metadata, acroform, fields, dss })
    }

    /// The table: where a changed object sits decides what its change means.
    fn classify(&self, n: u32, old: &Object, new: &Object, adds_sig: &mut bool) -> Result<(Changes, String), PdfError> {
        let is = |r: Option<ObjRef>| r.is_some_and(|r| r.num == n);
        if is(self.root) {
            return self.catalog_change(old, new, adds_sig);
        }
        if is(self.info) {
            return Ok((Changes::Signatures, "document information updated".into()));
        }
        if is(self.metadata) {
            return Ok((Changes::Signatures, "XMP metadata updated".into()));
        }
        if is(self.acroform) {
            return self.acroform_change(old, new, adds_sig);
        }
        if is(self.fields) {
            return self.array_additions(old, new, adds_sig, "form fields");
        }
        if self.dss.iter().any(|r| r.num == n) {
            return Ok((Changes::Signatures, "validation data (DSS) updated".into()));
        }
        let (Some(od), Some(nd)) = (old.as_dict(), new.as_dict()) else {
            if let (Object::Array(_), Object::Array(_)) = (old, new) {
                return self.annots_array(n, old, new, adds_sig);
            }
            return Ok((Changes::Other, format!("object {n} changed")));
        };
        if matches!(old, Object::Stream(_)) || matches!(new, Object::Stream(_)) {
            return Ok((Changes::Other, format!("content stream or other stream object {n} changed")));
        }
        if old.has_name(b"Type", b"Sig")
            || old.has_name(b"Type", b"DocTimeStamp")
            || dict_get(od, b"ByteRange").is_some()
        {
            return Ok((Changes::Other, format!("existing signature dictionary {n} was changed")));
        }
        let keys = changed_keys(self.doc, od, nd);
        if old.has_name(b"Type", b"Page") {
            if keys.iter().all(|k| k == b"Annots") {
                let o = dict_get(od, b"Annots").cloned().unwrap_or(Object::Array(vec![]));
                let nw = dict_get(nd, b"Annots").cloned().unwrap_or(Object::Array(vec![]));
                let o = self.doc.resolve(&o, self.view)?.unwrap_or(Object::Array(vec![]));
                let nw = self.doc.resolve(&nw, View::Latest)?.unwrap_or(Object::Array(vec![]));
                return self.array_additions(&o, &nw, adds_sig, "annotations");
            }
            return Ok((Changes::Other, format!("page object {n} changed ({})", key_list(&keys))));
        }
        let is_field = ["FT", "T", "Parent", "Kids"].iter().any(|k| dict_get(od, k.as_bytes()).is_some());
        let is_widget = old.has_name(b"Subtype", b"Widget");
        if is_field || is_widget {
            let is_sig = self.field_type(old)? == Some(b"Sig".to_vec());
            if !keys.iter().all(|k| FIELD_FILL_KEYS.contains(&k.as_slice())) {
                return Ok((Changes::Other, format!("form field {n} changed ({})", key_list(&keys))));
            }
            // A new appearance is part of filling in a value; without a new
            // value it is a different picture over the same field (a signed
            // signature's visible stamp redrawn, say).
            if keys.iter().any(|k| k == b"AP") && !keys.iter().any(|k| k == b"V") && !self.parent_value_changed(od)? {
                return Ok((
                    Changes::Other,
                    format!("the appearance of form field {n} was replaced without a new value"),
                ));
            }
            if is_sig {
                if dict_get(od, b"V").is_some() && keys.iter().any(|k| k == b"V") {
                    return Ok((Changes::Other, format!("the value of signature field {n} was replaced")));
                }
                if keys.iter().any(|k| k == b"V") {
                    *adds_sig = true;
                }
                return Ok((Changes::Signatures, format!("signature field {n} filled")));
            }
            return Ok((Changes::FormFilling, format!("form field {n} filled")));
        }
        if dict_get(od, b"Subtype").is_some() && dict_get(od, b"Rect").is_some() {
            return Ok((Changes::Annotations, format!("annotation {n} changed")));
        }
        Ok((Changes::Other, format!("object {n} changed ({})", key_list(&keys))))
    }

    fn catalog_change(&self, old: &Object, new: &Object, adds_sig: &mut bool) -> Result<(Changes, String), PdfError> {
        let (Some(od), Some(nd)) = (old.as_dict(), new.as_dict()) else {
            return Ok((Changes::Other, "the document catalog is not a dictionary".into()));
        };
        let keys = changed_keys(self.doc, od, nd);
        let mut level = (Changes::Signatures, "catalog updated for signatures".to_string());
        for k in &keys {
            if !CATALOG_ALLOWED.contains(&k.as_slice()) {
                return Ok((Changes::Other, format!("document catalog entry /{} changed", String::from_utf8_lossy(k))));
            }
            if k == b"AcroForm" {
                match (dict_get(od, b"AcroForm"), dict_get(nd, b"AcroForm")) {
                    (None, _) => {
                        // A form created to hold the new signature field.
                        *adds_sig = true;
                    }
                    (Some(Object::Dict(_)), Some(Object::Dict(_))) => {
                        let o = dict_get(od, b"AcroForm").cloned().unwrap_or(Object::Null);
                        let n = dict_get(nd, b"AcroForm").cloned().unwrap_or(Object::Null);
                        let r = self.acroform_change(&o, &n, adds_sig)?;
                        if r.0 > level.0 {
                            level = r;
                        }
                    }
                    _ => return Ok((Changes::Other, "the interactive form was replaced".into())),
                }
            }
        }
        Ok(level)
    }

    fn acroform_change(&self, old: &Object, new: &Object, adds_sig: &mut bool) -> Result<(Changes, String), PdfError> {
        let (Some(od), Some(nd)) = (old.as_dict(), new.as_dict()) else {
            return Ok((Changes::Other, "the interactive form is not a dictionary".into()));
        };
        let mut level = (Changes::Signatures, "form settings updated".to_string());
        for k in changed_keys(self.doc, od, nd) {
            if k == b"Fields" {
                let o = dict_get(od, b"Fields").cloned().unwrap_or(Object::Array(vec![]));
                let n = dict_get(nd, b"Fields").cloned().unwrap_or(Object::Array(vec![]));
                let o = self.doc.resolve(&o, self.view)?.unwrap_or(Object::Array(vec![]));
                let n = self.doc.resolve(&n, View::Latest)?.unwrap_or(Object::Array(vec![]));
                let r = self.array_additions(&o, &n, adds_sig, "form fields")?;
                if r.0 > level.0 {
                    level = r;
                }
            } else if !ACROFORM_KEYS.contains(&k.as_slice()) {
                return Ok((Changes::Other, format!("form entry /{} changed", String::from_utf8_lossy(&k))));
            }
        }
        Ok(level)
    }

    /// An array that only grew: the level is that of what was added.
    fn array_additions(
        &self,
        old: &Object,
        new: &Object,
        adds_sig: &mut bool,
        what: &str,
    ) -> Result<(Changes, String), PdfError> {
        let (Some(o), Some(n)) = (old.as_array(), new.as_array()) else {
            return Ok((Changes::Other, format!("{what} list replaced")));
        };
        let old_refs: HashSet<ObjRef> = o.iter().filter_map(Object::as_ref).collect();
        let new_refs: HashSet<ObjRef> = n.iter().filter_map(Object::as_ref).collect();
        if !old_refs.is_subset(&new_refs) || o.iter().any(|x| x.as_ref().is_none()) {
            let level = if what == "annotations" { Changes::Annotations } else { Changes::Other };
            return Ok((level, format!("{what} removed or rearranged")));
        }
        let mut level = (Changes::None, String::new());
        for r in n.iter().filter_map(Object::as_ref).filter(|r| !old_refs.contains(r)) {
            let item = self.doc.get(r)?.unwrap_or(Object::Null);
            let l = if self.field_type(&item)? == Some(b"Sig".to_vec()) {
                *adds_sig = true;
                (Changes::Signatures, "signature field added".to_string())
            } else if item.has_name(b"Subtype", b"Widget") || item.get(b"FT").is_some() {
                (Changes::FormFilling, "form field added".to_string())
            } else if item.get(b"Subtype").is_some() {
                (Changes::Annotations, "annotation added".to_string())
            } else {
                (Changes::Other, format!("object {} added to {what}", r.num))
            };
            if l.0 > level.0 {
                level = l;
            }
        }
        if level.0 == Changes::None {
            level = (Changes::Signatures, format!("{what} list rewritten unchanged"));
        }
        Ok(level)
    }

    /// An indirect array of annotations (a page's /Annots).
    fn annots_array(
        &self,
        n: u32,
        old: &Object,
        new: &Object,
        adds_sig: &mut bool,
    ) -> Result<(Changes, String), PdfError> {
        let items = old.as_array().unwrap_or(&[]);
        let mut all_annots = !items.is_empty();
        for r in items.iter().take(64) {
            let ok = match r.as_ref() {
                Some(r) => self.doc.get_in(r, self.view)?.is_some_and(|o| o.get(b"Subtype").is_some()),
                None => false,
            };
            all_annots &= ok;
        }
        if all_annots {
            return self.array_additions(old, new, adds_sig, "annotations");
        }
        Ok((Changes::Other, format!("array object {n} changed")))
    }

    /// Whether the /V of a widget's parent field changed in the later
    /// revisions.
    fn parent_value_changed(&self, widget: &Dict) -> Result<bool, PdfError> {
        let Some(p) = dict_get(widget, b"Parent").and_then(Object::as_ref) else {
            return Ok(false);
        };
        let old = self.doc.get_in(p, self.view)?;
        let new = self.doc.get(p)?;
        let v = |o: &Option<Object>| o.as_ref().and_then(|o| o.get(b"V")).cloned();
        Ok(match (v(&old), v(&new)) {
            (None, None) => false,
            (Some(a), Some(b)) => !same(self.doc, &a, &b),
            _ => true,
        })
    }

    /// The field type, inherited through /Parent (a widget's parent field).
    fn field_type(&self, o: &Object) -> Result<Option<Vec<u8>>, PdfError> {
        let mut cur = o.clone();
        for _ in 0..8 {
            if let Some(ft) = cur.get(b"FT").and_then(Object::as_name) {
                return Ok(Some(ft.to_vec()));
            }
            match cur.get(b"Parent").and_then(Object::as_ref) {
                Some(p) => match self.doc.get(p)? {
                    Some(next) => cur = next,
                    None => return Ok(None),
                },
                None => return Ok(None),
            }
        }
        Ok(None)
    }
}

fn changed_keys(doc: &Document<'_>, old: &Dict, new: &Dict) -> Vec<Vec<u8>> {
    let mut keys: Vec<Vec<u8>> = Vec::new();
    for (k, v) in old {
        if !dict_get(new, k).is_some_and(|w| same(doc, v, w)) {
            keys.push(k.clone());
        }
    }
    for (k, _) in new {
        if dict_get(old, k).is_none() {
            keys.push(k.clone());
        }
    }
    keys
}

fn key_list(keys: &[Vec<u8>]) -> String {
    keys.iter().map(|k| format!("/{}", String::from_utf8_lossy(k))).collect::<Vec<_>>().join(", ")
}

/// The object numbers `o` refers to directly (not following references).
fn refs_in(o: &Object, out: &mut HashSet<u32>) {
    match o {
        Object::Ref(r) => {
            out.insert(r.num);
        }
        Object::Array(a) => a.iter().for_each(|x| refs_in(x, out)),
        Object::Dict(d) => d.iter().for_each(|(_, x)| refs_in(x, out)),
        Object::Stream(s) => s.dict.iter().for_each(|(_, x)| refs_in(x, out)),
        _ => {}
    }
}

/// References reachable from `o` within `depth` levels (the DSS tree).
fn collect_refs(
    doc: &Document<'_>,
    view: View,
    o: &Object,
    depth: usize,
    out: &mut HashSet<ObjRef>,
) -> Result<(), PdfError> {
    if out.len() > 10_000 {
        return Ok(());
    }
    match o {
        Object::Ref(r) => {
            if out.insert(*r)
                && depth > 0
                && let Some(x) = doc.get_in(*r, view)?
                && !matches!(x, Object::Stream(_))
            {
                collect_refs(doc, view, &x, depth - 1, out)?;
            }
        }
        Object::Array(a) => {
            for x in a {
                collect_refs(doc, view, x, depth, out)?;
            }
        }
        Object::Dict(d) => {
            for (_, x) in d {
                collect_refs(doc, view, x, depth, out)?;
            }
        }
        _ => {}
    }
    Ok(())
}

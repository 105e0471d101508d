//! A content-stream interpreter that follows only what places text: the
//! graphics state's CTM (q/Q, cm), the text state (Tc, Tw, Tz, TL, Ts, Tf),
//! the text matrices (BT, Tm, Td, TD, T*), the show operators (Tj, TJ, ', ")
//! and form XObjects (Do). Paths, colours and images are skipped.
//!
//! Every glyph shown becomes a [`Placed`] with its box in page space. The
//! work is bounded by [`TextLimits`]: operators, glyphs, form nesting and
//! graphics-state nesting, plus the document's time budget.

use super::font::{Font, Glyph};
use super::{TextError, TextLimits};
use crate::pdf::object::{Dict, ObjRef, Object, Parser, dict_get};
use crate::pdf::{Document, View};
use std::collections::HashMap;
use std::rc::Rc;

/// A 2D affine matrix `[a b c d e f]` as in PDF.
pub(crate) type Matrix = [f64; 6];

pub(crate) const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `m × n` (apply `m` first, then `n`).
pub(crate) fn mul(m: &Matrix, n: &Matrix) -> Matrix {
    [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]
}

fn apply(m: &Matrix, x: f64, y: f64) -> (f64, f64) {
    (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
}

/// A glyph shown on the page.
#[derive(Debug, Clone)]
pub(crate) struct Placed {
    pub text: String,
    /// x1, y1, x2, y2 in page space.
    pub bbox: [f64; 4],
    /// Where the glyph starts and where its advance ends, on the baseline.
    pub origin: (f64, f64),
    pub end: (f64, f64),
    /// Font size in page space (its vertical scale).
    pub size: f64,
}

#[derive(Clone)]
struct GState {
    ctm: Matrix,
    font: Option<Rc<Font>>,
    size: f64,
    char_spacing: f64,
    word_spacing: f64,
    /// Tz / 100.
    hscale: f64,
    leading: f64,
    rise: f64,
}

/// Deepest q/Q nesting accepted.
const MAX_SAVE_DEPTH: usize = 256;
/// Most operands kept before an operator (no operator takes more than 6,
/// except TJ's single array); extra ones are dropped.
const MAX_OPERANDS: usize = 32;

pub(crate) struct Interpreter<'d, 'a> {
    doc: &'d Document<'a>,
    limits: &'d TextLimits,
    fonts: HashMap<ObjRef, Rc<Font>>,
    ops: usize,
    /// Form XObjects being run (against `Do` loops).
    forms: Vec<ObjRef>,
    pub glyphs: Vec<Placed>,
    scratch: Vec<Glyph>,
}

fn num(o: &Object) -> Option<f64> {
    match o {
        Object::Int(i) => Some(*i as f64),
        Object::Real(r) if r.is_finite() => Some(*r),
        _ => None,
    }
}

/// The last `N` operands as numbers, if they all are.
fn nums<const N: usize>(operands: &[Object]) -> Option<[f64; N]> {
    let start = operands.len().checked_sub(N)?;
    let mut out = [0.0; N];
    for (slot, o) in out.iter_mut().zip(operands.get(start..)?) {
        *slot = num(o)?;
    }
    Some(out)
}

impl<'d, 'a> Interpreter<'d, 'a> {
    pub fn new(doc: &'d Document<'a>, limits: &'d TextLimits) -> Self {
        Interpreter {
            doc,
            limits,
            fonts: HashMap::new(),
            ops: 0,
            forms: Vec::new(),
            glyphs: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Runs a content stream with `resources` from graphics state `ctm`.
    pub fn run(&mut self, content: &[u8], resources: Option<&Dict>, ctm: Matrix) -> Result<(), TextError> {
        let mut gs = GState {
            ctm,
            font: None,
            size: 0.0,
            char_spacing: 0.0,
            word_spacing: 0.0,
            hscale: 1.0,
            leading: 0.0,
            rise: 0.0,
        };
        let mut saved: Vec<GState> = Vec::new();
        let mut tm = IDENTITY;
        let mut tlm = IDENTITY;
        let mut operands: Vec<Object> = Vec::new();
        let mut p = Parser::new(content, 0);
        loop {
            p.skip_ws();
            let Some(&b) = content.get(p.pos) else { break };
            if matches!(b, b'/' | b'(' | b'<' | b'[' | b'0'..=b'9' | b'-' | b'+' | b'.') {
                match p.object(0) {
                    Ok(o) if operands.len() < MAX_OPERANDS => operands.push(o),
                    Ok(_) => {}
                    // Damaged operands: skip a byte and resynchronise.
                    Err(_) => p.pos = p.pos.saturating_add(1),
                }
                continue;
            }
            let op = p.token();
            if op.is_empty() {
                p.pos = p.pos.saturating_add(1);
                operands.clear();
                continue;
            }
            self.ops = self.ops.saturating_add(1);
            if self.ops > self.limits.max_operators {
                return Err(TextError::Limit("content-stream operators"));
            }
            if self.ops.is_multiple_of(1024) {
                self.doc.budget.check_time()?;
            }
            match op {
                b"q" => {
                    if saved.len() >= MAX_SAVE_DEPTH {
                        return Err(TextError::Limit("graphics state nesting"));
                    }
                    saved.push(gs.clone());
                }
                b"Q" => {
                    if let Some(s) = saved.pop() {
                        gs = s;
                    }
                }
                b"cm" => {
                    if let Some(m) = nums::<6>(&operands) {
                        gs.ctm = mul(&m, &gs.ctm);
                    }
                }
                b"BT" => {
                    tm = IDENTITY;
                    tlm = IDENTITY;
                }
                b"Tm" => {
                    if let Some(m) = nums::<6>(&operands) {
                        tm = m;
                        tlm = m;
                    }
                }
                b"Td" | b"TD" => {
                    if let Some([tx, ty]) = nums::<2>(&operands) {
                        if op == b"TD" {
                            gs.leading = -ty;
                        }
                        tlm = mul(&[1.0, 0.0, 0.0, 1.0, tx, ty], &tlm);
                        tm = tlm;
                    }
                }
                b"T*" => {
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.leading], &tlm);
                    tm = tlm;
                }
                b"Tc" => gs.char_spacing = nums::<1>(&operands).map_or(gs.char_spacing, |[v]| v),
                b"Tw" => gs.word_spacing = nums::<1>(&operands).map_or(gs.word_spacing, |[v]| v),
                b"Tz" => gs.hscale = nums::<1>(&operands).map_or(gs.hscale, |[v]| v / 100.0),
                b"TL" => gs.leading = nums::<1>(&operands).map_or(gs.leading, |[v]| v),
                b"Ts" => gs.rise = nums::<1>(&operands).map_or(gs.rise, |[v]| v),
                b"Tf" => {
                    if let (Some(Object::Name(name)), Some([size])) =
                        (operands.len().checked_sub(2).and_then(|i| operands.get(i)), nums::<1>(&operands))
                    {
                        gs.size = size;
                        gs.font = self.font(resources, name)?;
                    }
                }
                b"Tj" | b"'" | b"\"" | b"TJ" => {
                    if op == b"'" || op == b"\"" {
                        if op == b"\""
                            && let (Some(aw), Some(ac)) = (
                                operands.len().checked_sub(3).and_then(|i| operands.get(i)).and_then(num),
                                operands.len().checked_sub(2).and_then(|i| operands.get(i)).and_then(num),
                            )
                        {
                            gs.word_spacing = aw;
                            gs.char_spacing = ac;
                        }
                        tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.leading], &tlm);
                        tm = tlm;
                    }
                    match operands.last() {
                        Some(Object::Str(s)) => self.show(&gs, &mut tm, &s.bytes)?,
                        Some(Object::Array(items)) if op == b"TJ" => {
                            for item in items {
                                match item {
                                    Object::Str(s) => self.show(&gs, &mut tm, &s.bytes)?,
                                    other => {
                                        if let Some(n) = num(other) {
                                            let tx = -n / 1000.0 * gs.size * gs.hscale;
                                            tm = mul(&[1.0, 0.0, 0.0, 1.0, tx, 0.0], &tm);
                                        }
                                    }
                                }
                            }
                        }
                        _ => {}
                    }
                }
                b"Do" => {
                    if let Some(Object::Name(name)) = operands.last() {
                        let name = name.clone();
                        self.form(resources, &name, &gs)?;
                    }
                }
                b"BI" => skip_inline_image(&mut p),
                _ => {}
            }
            operands.clear();
        }
        Ok(())
    }

    /// The font named in the resources, loaded once per object.
    fn font(&mut self, resources: Option<&Dict>, name: &[u8]) -> Result<Option<Rc<Font>>, TextError> {
        let Some(fonts) = self.resource_dict(resources, b"Font")? else { return Ok(None) };
        let Some(entry) = dict_get(&fonts, name) else { return Ok(None) };
        if let Object::Ref(r) = entry
            && let Some(f) = self.fonts.get(r)
        {
            return Ok(Some(f.clone()));
        }
        let Some(obj) = self.doc.resolve(entry, View::Latest)? else { return Ok(None) };
        let font = Rc::new(Font::load(self.doc, &obj)?);
        if let Object::Ref(r) = entry {
            self.fonts.insert(*r, font.clone());
        }
        Ok(Some(font))
    }

    fn resource_dict(&self, resources: Option<&Dict>, key: &[u8]) -> Result<Option<Dict>, TextError> {
        let Some(o) = resources.and_then(|r| dict_get(r, key)) else { return Ok(None) };
        Ok(self.doc.resolve(o, View::Latest)?.and_then(|o| o.as_dict().cloned()))
    }

    /// Runs a form XObject in a saved graphics state.
    fn form(&mut self, resources: Option<&Dict>, name: &[u8], gs: &GState) -> Result<(), TextError> {
        let Some(xobjects) = self.resource_dict(resources, b"XObject")? else { return Ok(()) };
        let Some(Object::Ref(r)) = dict_get(&xobjects, name) else { return Ok(()) };
        if self.forms.contains(r) {
            return Ok(());
        }
        if self.forms.len() >= self.limits.max_form_depth {
            return Err(TextError::Limit("form XObject nesting"));
        }
        let Some(Object::Stream(s)) = self.doc.get(*r)? else { return Ok(()) };
        if dict_get(&s.dict, b"Subtype").and_then(Object::as_name) != Some(b"Form") {
            return Ok(());
        }
        let matrix = match dict_get(&s.dict, b"Matrix") {
            Some(m) => self.doc.resolve(m, View::Latest)?.and_then(|m| {
                let a = m.as_array()?;
                nums::<6>(a).filter(|_| a.len() == 6)
            }),
            None => None,
        }
        .unwrap_or(IDENTITY);
        let own = match dict_get(&s.dict, b"Resources") {
            Some(o) => self.doc.resolve(o, View::Latest)?.and_then(|o| o.as_dict().cloned()),
            None => None,
        };
        let data = super::decode::stream_data(self.doc, &s)?;
        self.forms.push(*r);
        let result = self.run(&data, own.as_ref().or(resources), mul(&matrix, &gs.ctm));
        self.forms.pop();
        result
    }

    /// Places the glyphs of one string and advances the text matrix.
    fn show(&mut self, gs: &GState, tm: &mut Matrix, bytes: &[u8]) -> Result<(), TextError> {
        let Some(font) = gs.font.clone() else { return Ok(()) };
        self.scratch.clear();
        font.decode(bytes, &mut self.scratch);
        if self.glyphs.len().saturating_add(self.scratch.len()) > self.limits.max_glyphs {
            return Err(TextError::Limit("glyphs on a page"));
        }
        let glyphs = std::mem::take(&mut self.scratch);
        for g in &glyphs {
            let trm = mul(&[gs.size * gs.hscale, 0.0, 0.0, gs.size, 0.0, gs.rise], &mul(tm, &gs.ctm));
            let corners = [
                apply(&trm, 0.0, font.descent),
                apply(&trm, g.advance, font.descent),
                apply(&trm, 0.0, font.ascent),
                apply(&trm, g.advance, font.ascent),
            ];
            let (mut x1, mut y1, mut x2, mut y2) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
            for (x, y) in corners {
                x1 = x1.min(x);
                y1 = y1.min(y);
                x2 = x2.max(x);
                y2 = y2.max(y);
            }
            let spacing = gs.char_spacing + if g.is_space_code { gs.word_spacing } else { 0.0 };
            let tx = (g.advance * gs.size + spacing) * gs.hscale;
            let size = gs.size.abs() * (trm_scale(tm, &gs.ctm));
            if [x1, y1, x2, y2].iter().all(|v| v.is_finite()) {
                self.glyphs.push(Placed {
                    text: g.text.clone(),
                    bbox: [x1, y1, x2, y2],
                    origin: apply(&trm, 0.0, 0.0),
                    end: apply(&trm, g.advance, 0.0),
                    size,
                });
            }
            *tm = mul(&[1.0, 0.0, 0.0, 1.0, tx, 0.0], tm);
        }
        self.scratch = glyphs;
        Ok(())
    }
}

/// The vertical scale of text space in page space.
fn trm_scale(tm: &Matrix, ctm: &Matrix) -> f64 {
    let m = mul(tm, ctm);
    m[2].hypot(m[3])
}

/// Skips an inline image: its dictionary up to `ID`, then binary data up to
/// an `EI` that stands alone between white space.
fn skip_inline_image(p: &mut Parser<'_>) {
    let buf = p.buf;
    let Some(id) = memchr::memmem::find(buf.get(p.pos..).unwrap_or_default(), b"ID") else {
        p.pos = buf.len();
        return;
    };
    let mut at = p.pos + id + 2;
    while let Some(found) = memchr::memmem::find(buf.get(at..).unwrap_or_default(), b"EI") {
        let start = at + found;
        let before = start.checked_sub(1).and_then(|i| buf.get(i)).is_none_or(|b| b.is_ascii_whitespace());
        let after = buf.get(start + 2).is_none_or(|b| b.is_ascii_whitespace());
        if before && after {
            p.pos = start + 2;
            return;
        }
        at = start + 2;
    }
    p.pos = buf.len();
}

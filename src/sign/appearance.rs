//! Visible signatures in the form Decree 30/2020/NĐ-CP (Appendix I) asks for.
//!
//! - A person's signature: optional handwritten-signature image, the signer's
//!   name, position and signing time.
//! - An organisation's signature: the seal image (transparent PNG) with the
//!   organisation's name and the signing time in ISO 8601 with the Vietnam zone.
//! - An attachment stamp: no image; top right of page 1, the document's number
//!   and notation and the signing time, 10 pt regular.
//!
//! Text is set in Liberation Serif (SIL OFL 1.1, metric-compatible with Times
//! New Roman, with every Vietnamese glyph), embedded as a subset: a Type0 font
//! with Identity-H encoding and a ToUnicode map, so the text renders the same
//! everywhere and can be copied. Latin-only default fonts are why popular
//! signers break Vietnamese diacritics; embedding our own avoids that.

use super::SignError;
use crate::pdf::object::{Dict, ObjRef, Object, PdfString};
use crate::pdf::write::{Body, Update};
use std::collections::BTreeMap;
use std::io::Write;

static FONT: &[u8] = include_bytes!("fonts/LiberationSerif-Regular.ttf");

/// Largest image accepted, per side, in pixels.
const MAX_IMAGE_SIDE: u32 = 4096;

/// What the visible signature stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Person,
    Organization,
    /// The stamp on an attachment issued with the document in a separate file.
    Attachment,
}

/// A visible signature's request.
#[derive(Debug, Clone)]
pub struct Visible {
    pub role: Role,
    /// x, y, width, height in points; a default place for the role if absent.
    pub rect: Option<[f64; 4]>,
    /// PNG bytes of the signature image or the seal.
    pub image: Option<Vec<u8>>,
    /// The document's number and notation ("610/TB-SGDĐT"), for attachment stamps.
    pub doc_number: Option<String>,
    /// Where the image and the text go inside the widget, when placement
    /// by anchor decided it ([`crate::text::place`]); the role's default
    /// arrangement otherwise.
    pub parts: Option<Parts>,
}

/// Boxes inside a widget (x, y, width, height from its lower left corner).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Parts {
    /// The image's box; it is drawn centred in it, keeping its proportions.
    pub image: Option<[f64; 4]>,
    /// The text lines' box; `None` draws no text (a person's signature
    /// placed between title and name: both are already on the page).
    pub text: Option<[f64; 4]>,
}

/// Font size of text placed in given boxes: Decree 30's 10 pt for the
/// organisation's and the copy's lines.
pub const PLACED_TEXT_SIZE: f64 = 10.0;
/// Line height of placed text, as a multiple of its size.
const LEADING: f64 = 1.2;

/// The lines of text a role's appearance shows.
pub fn lines(role: Role, texts: &Texts, doc_number: Option<&str>) -> Result<Vec<String>, SignError> {
    Ok(match role {
        Role::Person => {
            let mut l = vec![texts.name.clone()];
            l.extend(texts.position.clone());
            l.push(format!("Thời gian ký: {}", texts.time));
            l
        }
        Role::Organization => {
            vec![
                texts.organization.clone().unwrap_or_else(|| texts.name.clone()),
                format!("Thời gian ký: {}", texts.time),
            ]
        }
        Role::Attachment => {
            let number = doc_number.ok_or_else(|| {
                SignError::Appearance("an attachment stamp needs the document's number (--doc-number)".into())
            })?;
            vec![format!("Số: {number}"), texts.time.clone()]
        }
    })
}

/// Width and height (points) of `lines` set at [`PLACED_TEXT_SIZE`], with
/// a small margin: the text box placement must find room for.
pub fn text_block(lines: &[String]) -> Result<(f64, f64), SignError> {
    let font = Font::new()?;
    let widest = lines.iter().map(|l| font.width(l)).fold(0.0, f64::max);
    Ok((widest * PLACED_TEXT_SIZE + 6.0, lines.len() as f64 * PLACED_TEXT_SIZE * LEADING + 4.0))
}

/// The texts of an appearance from the signer's certificate (DER), with
/// `time` as the signing time to show.
pub fn certificate_texts(cert_der: &[u8], time: &str) -> Result<Texts, SignError> {
    use x509_parser::oid_registry::{OID_X509_COMMON_NAME, OID_X509_ORGANIZATION_NAME, OID_X509_TITLE};
    let (_, cert) = x509_parser::parse_x509_certificate(cert_der)
        .map_err(|e| SignError::Appearance(format!("signer certificate: {e}")))?;
    let attr = |oid: &x509_parser::der_parser::asn1_rs::Oid<'_>| {
        cert.subject().iter_by_oid(oid).next().and_then(|a| a.as_str().ok()).map(str::to_string)
    };
    Ok(Texts {
        name: attr(&OID_X509_COMMON_NAME).unwrap_or_default(),
        position: attr(&OID_X509_TITLE),
        organization: attr(&OID_X509_ORGANIZATION_NAME),
        time: time.to_string(),
    })
}

/// Whether `png` is an image the appearance can use (checked before any
/// placement work, so a bad file is reported as such).
pub fn check_image(png: &[u8]) -> Result<(u32, u32), SignError> {
    decode_png(png).map(|i| (i.width, i.height))
}

/// The text of the appearance, decided by role.
pub struct Texts {
    pub name: String,
    pub position: Option<String>,
    pub organization: Option<String>,
    pub time: String,
}

/// Builds the appearance stream and its resources; returns the form XObject
/// and the widget rectangle (x1, y1, x2, y2) on a page of size `page`.
pub fn build(
    up: &mut Update<'_, '_>,
    v: &Visible,
    texts: &Texts,
    page: [f64; 4],
) -> Result<(ObjRef, [f64; 4]), SignError> {
    let (pw, ph) = (page[2] - page[0], page[3] - page[1]);
    let [x, y, w, h] = v.rect.unwrap_or(match v.role {
        Role::Person => [pw - 260.0, 70.0, 220.0, 90.0],
        Role::Organization => [pw - 300.0, 70.0, 260.0, 110.0],
        Role::Attachment => [pw - 230.0, ph - 60.0, 210.0, 36.0],
    });
    if !(w > 1.0 && h > 1.0 && w.is_finite() && h.is_finite() && x.is_finite() && y.is_finite()) {
        return Err(SignError::Appearance("the signature rectangle must have a positive width and height".into()));
    }
    let lines = lines(v.role, texts, v.doc_number.as_deref())?;
    let font = Font::new()?;
    let mut content = Vec::new();
    let mut resources_xobj: Dict = Vec::new();
    if let Some(parts) = &v.parts {
        return placed(up, v, parts, &lines, &font, [x, y, w, h], page);
    }
    // Where the text goes: (x, bottom, height). A person's handwritten
    // signature sits above the text, as on paper; an organisation's seal sits
    // on the left and overlaps the start of the text area, as a seal covers
    // part of the signature it authenticates.
    let mut text_box = (4.0, 0.0, h);
    if let (Some(png), true) = (&v.image, v.role != Role::Attachment) {
        let img = decode_png(png)?;
        let (iw_px, ih_px) = (f64::from(img.width), f64::from(img.height));
        let (iw, ih, ix, iy) = if v.role == Role::Person {
            let band = h * 0.55;
            let s = (band / ih_px).min((w - 8.0) / iw_px);
            (iw_px * s, ih_px * s, 4.0, h - ih_px * s)
        } else {
            let s = (h / ih_px).min(w * 0.45 / iw_px);
            (iw_px * s, ih_px * s, 2.0, (h - ih_px * s) / 2.0)
        };
        let image_ref = add_image(up, &img)?;
        resources_xobj.push((b"Im1".to_vec(), Object::Ref(image_ref)));
        writeln!(content, "q {} 0 0 {} {} {} cm /Im1 Do Q", num(iw), num(ih), num(ix), num(iy)).map_err(io)?;
        text_box = if v.role == Role::Person { (4.0, 0.0, h - ih) } else { (2.0 + iw * 0.7, 0.0, h) };
    }
    let (text_x, text_bottom, text_h) = text_box;
    let avail = (w - text_x - 4.0).max(10.0);
    let size = match v.role {
        Role::Attachment => 10.0,
        _ => {
            let widest = lines.iter().map(|l| font.width(l)).fold(0.0, f64::max);
            let by_width = if widest > 0.0 { avail / widest } else { 10.0 };
            let by_height = (text_h - 2.0) / (lines.len() as f64 * 1.2);
            by_width.min(by_height).clamp(5.0, 11.0)
        }
    };
    let mut used = BTreeMap::new();
    let leading = size * 1.2;
    let top = text_bottom + text_h - (text_h - leading * lines.len() as f64) / 2.0 - size;
    content.extend_from_slice(b"0 g BT\n");
    for (i, line) in lines.iter().enumerate() {
        let ty = top - leading * i as f64;
        let hex = font.encode(line, &mut used);
        writeln!(content, "/F1 {} Tf 1 0 0 1 {} {} Tm <{hex}> Tj", num(size), num(text_x), num(ty)).map_err(io)?;
    }
    content.extend_from_slice(b"ET\n");
    let font_ref = font.embed(up, &used)?;
    let mut resources: Dict = vec![(b"Font".to_vec(), Object::Dict(vec![(b"F1".to_vec(), Object::Ref(font_ref))]))];
    if !resources_xobj.is_empty() {
        resources.push((b"XObject".to_vec(), Object::Dict(resources_xobj)));
    }
    let form = vec![
        (b"Type".to_vec(), name(b"XObject")),
        (b"Subtype".to_vec(), name(b"Form")),
        (b"BBox".to_vec(), Object::Array(vec![Object::Int(0), Object::Int(0), Object::Real(w), Object::Real(h)])),
        (b"Resources".to_vec(), Object::Dict(resources)),
        (b"Filter".to_vec(), name(b"FlateDecode")),
    ];
    let ap = up.add(Body::Stream { dict: form, data: deflate(&content)? })?;
    Ok((ap, [page[0] + x, page[1] + y, page[0] + x + w, page[1] + y + h]))
}

/// The appearance in boxes the placement chose: the image centred in its
/// box, the text lines at [`PLACED_TEXT_SIZE`] in theirs.
fn placed(
    up: &mut Update<'_, '_>,
    v: &Visible,
    parts: &Parts,
    lines: &[String],
    font: &Font<'static>,
    [x, y, w, h]: [f64; 4],
    page: [f64; 4],
) -> Result<(ObjRef, [f64; 4]), SignError> {
    let mut content = Vec::new();
    let mut resources: Dict = Vec::new();
    if let (Some(png), Some([bx, by, bw, bh])) = (&v.image, parts.image) {
        let img = decode_png(png)?;
        let (iw_px, ih_px) = (f64::from(img.width), f64::from(img.height));
        let s = (bw / iw_px).min(bh / ih_px);
        let (iw, ih) = (iw_px * s, ih_px * s);
        let (ix, iy) = (bx + (bw - iw) / 2.0, by + (bh - ih) / 2.0);
        let image_ref = add_image(up, &img)?;
        resources.push((b"XObject".to_vec(), Object::Dict(vec![(b"Im1".to_vec(), Object::Ref(image_ref))])));
        writeln!(content, "q {} 0 0 {} {} {} cm /Im1 Do Q", num(iw), num(ih), num(ix), num(iy)).map_err(io)?;
    }
    if let Some([tx, ty, _, th]) = parts.text {
        let size = PLACED_TEXT_SIZE;
        let leading = size * LEADING;
        let top = ty + th - (th - leading * lines.len() as f64) / 2.0 - size;
        let mut used = BTreeMap::new();
        content.extend_from_slice(b"0 g BT\n");
        for (i, line) in lines.iter().enumerate() {
            let hex = font.encode(line, &mut used);
            let ly = top - leading * i as f64;
            writeln!(content, "/F1 {} Tf 1 0 0 1 {} {} Tm <{hex}> Tj", num(size), num(tx + 3.0), num(ly))
                .map_err(io)?;
        }
        content.extend_from_slice(b"ET\n");
        let font_ref = font.embed(up, &used)?;
        resources.push((b"Font".to_vec(), Object::Dict(vec![(b"F1".to_vec(), Object::Ref(font_ref))])));
    }
    let form = vec![
        (b"Type".to_vec(), name(b"XObject")),
        (b"Subtype".to_vec(), name(b"Form")),
        (b"BBox".to_vec(), Object::Array(vec![Object::Int(0), Object::Int(0), Object::Real(w), Object::Real(h)])),
        (b"Resources".to_vec(), Object::Dict(resources)),
        (b"Filter".to_vec(), name(b"FlateDecode")),
    ];
    let ap = up.add(Body::Stream { dict: form, data: deflate(&content)? })?;
    Ok((ap, [page[0] + x, page[1] + y, page[0] + x + w, page[1] + y + h]))
}

fn io(e: std::io::Error) -> SignError {
    SignError::Appearance(e.to_string())
}

fn name(n: &[u8]) -> Object {
    Object::Name(n.to_vec())
}

/// A number for content streams: short, no exponent.
fn num(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn deflate(data: &[u8]) -> Result<Vec<u8>, SignError> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).map_err(io)?;
    e.finish().map_err(io)
}

/// The embedded font and its metrics.
struct Font<'f> {
    face: ttf_parser::Face<'f>,
}

impl Font<'static> {
    fn new() -> Result<Self, SignError> {
        let face = ttf_parser::Face::parse(FONT, 0).map_err(|e| SignError::Appearance(format!("font: {e}")))?;
        Ok(Font { face })
    }

    fn glyph(&self, c: char) -> u16 {
        self.face.glyph_index(c).or_else(|| self.face.glyph_index('?')).map_or(0, |g| g.0)
    }

    /// Advance in thousandths of the font size.
    fn advance(&self, gid: u16) -> f64 {
        let upem = f64::from(self.face.units_per_em());
        f64::from(self.face.glyph_hor_advance(ttf_parser::GlyphId(gid)).unwrap_or(0)) * 1000.0 / upem
    }

    /// Width of a line at size 1.
    fn width(&self, s: &str) -> f64 {
        s.chars().map(|c| self.advance(self.glyph(c))).sum::<f64>() / 1000.0
    }

    /// Hex of the line's glyph ids (as CIDs, Identity-H); records which
    /// characters each glyph stands for, for the ToUnicode map.
    fn encode(&self, s: &str, used: &mut BTreeMap<u16, char>) -> String {
        let mut hex = String::new();
        for c in s.chars() {
            let g = self.glyph(c);
            used.entry(g).or_insert(c);
            hex.push_str(&format!("{g:04X}"));
        }
        hex
    }

    /// Writes the Type0 font, its CIDFont, descriptor, subset and ToUnicode.
    /// The subset keeps the original glyph ids (content streams use them as
    /// CIDs with an identity CID-to-GID map).
    fn embed(&self, up: &mut Update<'_, '_>, used: &BTreeMap<u16, char>) -> Result<ObjRef, SignError> {
        let mut gids: Vec<u16> = used.keys().copied().collect();
        gids.insert(0, 0);
        gids.dedup();
        let mapper = subsetter::GlyphRemapper::new_from_glyphs_sorted(&gids);
        let subset =
            subsetter::subset(FONT, 0, &mapper).map_err(|e| SignError::Appearance(format!("font subset: {e}")))?;
        // The subsetter renumbers glyphs densely; map our CIDs (original ids)
        // to the new ids with an explicit CIDToGIDMap stream.
        let max = gids.iter().copied().max().unwrap_or(0) as usize;
        let mut cid_to_gid = vec![0u8; (max + 1) * 2];
        for &g in &gids {
            let new = mapper.get(g).unwrap_or(0);
            cid_to_gid[g as usize * 2..g as usize * 2 + 2].copy_from_slice(&new.to_be_bytes());
        }
        let tag: String = {
            let h = ring::digest::digest(&ring::digest::SHA256, &subset);
            h.as_ref().iter().take(6).map(|b| char::from(b'A' + b % 26)).collect()
        };
        let base = format!("{tag}+LiberationSerif");
        let file = up.add(Body::Stream {
            dict: vec![
                (b"Length1".to_vec(), Object::Int(subset.len() as i64)),
                (b"Filter".to_vec(), name(b"FlateDecode")),
            ],
            data: deflate(&subset)?,
        })?;
        let upem = f64::from(self.face.units_per_em());
        let scale = |v: i16| Object::Int((f64::from(v) * 1000.0 / upem).round() as i64);
        let bb = self.face.global_bounding_box();
        let descriptor = up.add(Body::Object(Object::Dict(vec![
            (b"Type".to_vec(), name(b"FontDescriptor")),
            (b"FontName".to_vec(), name(base.as_bytes())),
            (b"Flags".to_vec(), Object::Int(6)),
            (
                b"FontBBox".to_vec(),
                Object::Array(vec![scale(bb.x_min), scale(bb.y_min), scale(bb.x_max), scale(bb.y_max)]),
            ),
            (b"ItalicAngle".to_vec(), Object::Int(0)),
            (b"Ascent".to_vec(), scale(self.face.ascender())),
            (b"Descent".to_vec(), scale(self.face.descender())),
            (b"CapHeight".to_vec(), scale(self.face.capital_height().unwrap_or(self.face.ascender()))),
            (b"StemV".to_vec(), Object::Int(80)),
            (b"FontFile2".to_vec(), Object::Ref(file)),
        ])))?;
        let map = up.add(Body::Stream {
            dict: vec![(b"Filter".to_vec(), name(b"FlateDecode"))],
            data: deflate(&cid_to_gid)?,
        })?;
        let mut widths = Vec::new();
        for &g in used.keys() {
            widths.push(Object::Int(g as i64));
            widths.push(Object::Array(vec![Object::Int(self.advance(g).round() as i64)]));
        }
        let cid_font = up.add(Body::Object(Object::Dict(vec![
            (b"Type".to_vec(), name(b"Font")),
            (b"Subtype".to_vec(), name(b"CIDFontType2")),
            (b"BaseFont".to_vec(), name(base.as_bytes())),
            (
                b"CIDSystemInfo".to_vec(),
                Object::Dict(vec![
                    (b"Registry".to_vec(), text(b"Adobe")),
                    (b"Ordering".to_vec(), text(b"Identity")),
                    (b"Supplement".to_vec(), Object::Int(0)),
                ]),
            ),
            (b"FontDescriptor".to_vec(), Object::Ref(descriptor)),
            (b"W".to_vec(), Object::Array(widths)),
            (b"CIDToGIDMap".to_vec(), Object::Ref(map)),
        ])))?;
        let to_unicode = up.add(Body::Stream {
            dict: vec![(b"Filter".to_vec(), name(b"FlateDecode"))],
            data: deflate(&cmap(used))?,
        })?;
        Ok(up.add(Body::Object(Object::Dict(vec![
            (b"Type".to_vec(), name(b"Font")),
            (b"Subtype".to_vec(), name(b"Type0")),
            (b"BaseFont".to_vec(), name(base.as_bytes())),
            (b"Encoding".to_vec(), name(b"Identity-H")),
            (b"DescendantFonts".to_vec(), Object::Array(vec![Object::Ref(cid_font)])),
            (b"ToUnicode".to_vec(), Object::Ref(to_unicode)),
        ])))?)
    }
}

fn text(s: &[u8]) -> Object {
    Object::Str(PdfString { bytes: s.to_vec(), hex: false, span: (0, 0) })
}

/// A ToUnicode CMap for the glyphs used (ISO 32000-1 §9.10.3).
fn cmap(used: &BTreeMap<u16, char>) -> Vec<u8> {
    let mut s = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let entries: Vec<_> = used.iter().collect();
    for chunk in entries.chunks(100) {
        s.push_str(&format!("{} beginbfchar\n", chunk.len()));
        for (g, c) in chunk {
            let mut buf = [0u16; 2];
            let units: String = c.encode_utf16(&mut buf).iter().map(|u| format!("{u:04X}")).collect();
            s.push_str(&format!("<{g:04X}> <{units}>\n"));
        }
        s.push_str("endbfchar\n");
    }
    s.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    s.into_bytes()
}

/// A decoded image: 8-bit RGB and, if it had one, its alpha channel.
struct Image {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
    alpha: Option<Vec<u8>>,
}

fn decode_png(data: &[u8]) -> Result<Image, SignError> {
    let bad = |e: png::DecodingError| SignError::Appearance(format!("image is not a usable PNG: {e}"));
    let mut decoder = png::Decoder::new_with_limits(std::io::Cursor::new(data), png::Limits { bytes: 64 << 20 });
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(bad)?;
    let (width, height) = reader.info().size();
    if width == 0 || height == 0 || width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE {
        return Err(SignError::Appearance(format!(
            "image of {width}x{height} pixels (at most {MAX_IMAGE_SIDE} per side)"
        )));
    }
    let size = reader.output_buffer_size().ok_or_else(|| SignError::Appearance("image too large".into()))?;
    let mut buf = vec![0; size];
    let info = reader.next_frame(&mut buf).map_err(bad)?;
    buf.truncate(info.buffer_size());
    let pixels = (width * height) as usize;
    let (rgb, alpha) = match info.color_type {
        png::ColorType::Rgb => (buf, None),
        png::ColorType::Rgba => {
            let mut rgb = Vec::with_capacity(pixels * 3);
            let mut a = Vec::with_capacity(pixels);
            for px in buf.chunks_exact(4) {
                rgb.extend_from_slice(&px[..3]);
                a.push(px[3]);
            }
            (rgb, Some(a))
        }
        png::ColorType::Grayscale => (buf.iter().flat_map(|&g| [g, g, g]).collect(), None),
        png::ColorType::GrayscaleAlpha => {
            let rgb = buf.chunks_exact(2).flat_map(|p| [p[0], p[0], p[0]]).collect();
            let a = buf.chunks_exact(2).map(|p| p[1]).collect();
            (rgb, Some(a))
        }
        png::ColorType::Indexed => return Err(SignError::Appearance("indexed PNG was not expanded".into())),
    };
    if rgb.len() != pixels * 3 {
        return Err(SignError::Appearance("image data is truncated".into()));
    }
    Ok(Image { width, height, rgb, alpha })
}

fn add_image(up: &mut Update<'_, '_>, img: &Image) -> Result<ObjRef, SignError> {
    let common = |cs: &[u8]| -> Dict {
        vec![
            (b"Type".to_vec(), name(b"XObject")),
            (b"Subtype".to_vec(), name(b"Image")),
            (b"Width".to_vec(), Object::Int(i64::from(img.width))),
            (b"Height".to_vec(), Object::Int(i64::from(img.height))),
            (b"ColorSpace".to_vec(), name(cs)),
            (b"BitsPerComponent".to_vec(), Object::Int(8)),
            (b"Filter".to_vec(), name(b"FlateDecode")),
        ]
    };
    let mut dict = common(b"DeviceRGB");
    if let Some(alpha) = &img.alpha {
        let mask = up.add(Body::Stream { dict: common(b"DeviceGray"), data: deflate(alpha)? })?;
        dict.push((b"SMask".to_vec(), Object::Ref(mask)));
    }
    Ok(up.add(Body::Stream { dict, data: deflate(&img.rgb)? })?)
}

//! Where a visible signature goes, found from the page's text (Decree
//! 30/2020, Appendix I and Article 33), the way a clerk would place it:
//!
//! - a person's signature image centred on the anchor (the signer's name),
//!   in the gap between the line above it (the title) and the name, scaled
//!   to fit that gap and never covering either line;
//! - an organisation's seal at its real size covering the left third of the
//!   person's signature (or of the anchor), its text lines beside it in
//!   free space;
//! - an attachment's stamp at the top right of page 1, in free space.
//!
//! Anchors match whatever the page shows, ignoring white space and line
//! breaks; the last occurrence wins (the signer block closes a document).
//! Nothing here falls back to a default position: a caller that cannot be
//! placed gets an error and decides (the CLI exits 2 unless `--rect` is given).

use super::{PageText, Rect, TextError, TextLimits, page_text, pages};
use crate::pdf::object::Object;
use crate::pdf::{Document, View};
use thiserror::Error;

/// Why a signature could not be placed.
#[derive(Debug, Error)]
pub enum PlaceError {
    /// The page's text could not be read.
    #[error(transparent)]
    Text(#[from] TextError),
    /// The anchor is not on the pages searched.
    #[error("the text {anchor:?} is not on {scope}")]
    AnchorNotFound { anchor: String, scope: String },
    /// The line above the anchor is too close to it for an image.
    #[error("no room for the signature between the line above {anchor:?} and it ({gap:.0} pt)")]
    NoRoom { anchor: String, gap: f64 },
    /// An organisation's seal with no person's signature (nor anchor) to go over.
    #[error("no person's signature on page {page} to place the seal over (give --anchor or --rect)")]
    NoPersonSignature { page: usize },
    /// Text fills the top right of page 1.
    #[error("no free space at the top right of page 1 for a {width:.0} x {height:.0} pt stamp")]
    NoFreeSpace { width: f64, height: f64 },
}

/// A signature's place: the page, the widget rectangle, and where its image
/// and text go inside it. Rectangles are x, y, width, height in points; the
/// widget's is relative to the page's MediaBox corner, as
/// [`crate::sign::appearance::Visible::rect`] takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// 1-based page.
    pub page: usize,
    /// The widget on the page.
    pub rect: [f64; 4],
    /// The image's box inside the widget.
    pub image: Option<[f64; 4]>,
    /// The text lines' box inside the widget.
    pub text: Option<[f64; 4]>,
    /// Words of the page the widget covers (empty unless no free place
    /// existed; the caller may warn).
    pub covers: Vec<String>,
}

/// Space kept between a signature and the text around it, in points.
const CLEARANCE: f64 = 2.0;
/// The widest a person's signature image is drawn, in points (about 5 cm).
const MAX_IMAGE_WIDTH: f64 = 150.0;
/// The smallest gap a signature image is squeezed into, in points.
const MIN_GAP: f64 = 12.0;
/// The stamp's distance from the page's top and right edges, in points.
const STAMP_MARGIN: f64 = 14.0;

/// The text of a document's pages, read on demand.
pub struct Pages<'d, 'a> {
    doc: &'d Document<'a>,
    nodes: Vec<pages::PageNode>,
    limits: &'d TextLimits,
}

impl<'d, 'a> Pages<'d, 'a> {
    /// Reads the page tree of an opened document.
    pub fn new(doc: &'d Document<'a>, limits: &'d TextLimits) -> Result<Self, TextError> {
        Ok(Pages { doc, nodes: pages::pages(doc, limits)?, limits })
    }

    /// Number of pages.
    pub fn count(&self) -> usize {
        self.nodes.len()
    }

    /// The text of page `n` (1-based).
    pub fn text(&self, n: usize) -> Result<PageText, TextError> {
        let node = n
            .checked_sub(1)
            .and_then(|i| self.nodes.get(i))
            .ok_or(TextError::NoSuchPage { requested: n, count: self.nodes.len() })?;
        page_text(self.doc, node, n, self.limits)
    }

    /// The rectangles of signature widgets on page `n`, in /Annots order.
    pub fn signature_widgets(&self, n: usize) -> Result<Vec<Rect>, TextError> {
        let Some(node) = n.checked_sub(1).and_then(|i| self.nodes.get(i)) else { return Ok(Vec::new()) };
        let annots = match node.dict.get(b"Annots") {
            Some(a) => self.doc.resolve(a, View::Latest)?,
            None => None,
        };
        let mut out = Vec::new();
        for a in annots.as_ref().and_then(Object::as_array).unwrap_or_default() {
            let Some(annot) = self.doc.resolve(a, View::Latest)? else { continue };
            if !annot.has_name(b"Subtype", b"Widget") {
                continue;
            }
            let is_sig = annot.has_name(b"FT", b"Sig")
                || match annot.get(b"Parent") {
                    Some(p) => self.doc.resolve(p, View::Latest)?.is_some_and(|p| p.has_name(b"FT", b"Sig")),
                    None => false,
                };
            let rect = match annot.get(b"Rect") {
                Some(r) => self.doc.resolve(r, View::Latest)?.and_then(|r| rect_of(&r)),
                None => None,
            };
            if let (true, Some(r)) = (is_sig, rect)
                && r.width() > 1.0
                && r.height() > 1.0
            {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// The pages to search: the one asked for, or all from the last.
    fn order(&self, page: Option<usize>) -> Vec<usize> {
        match page {
            Some(p) => vec![p],
            None => (1..=self.nodes.len()).rev().collect(),
        }
    }

    fn scope(&self, page: Option<usize>) -> String {
        match page {
            Some(p) => format!("page {p}"),
            None => format!("any of the {} pages", self.nodes.len()),
        }
    }

    /// The anchor's box and page: the last occurrence on the page asked
    /// for, or on the last page that has one.
    pub fn find(&self, anchor: &str, page: Option<usize>) -> Result<(PageText, Rect), PlaceError> {
        for n in self.order(page) {
            let text = self.text(n)?;
            if let Some(r) = find_anchor(&text, anchor) {
                return Ok((text, r));
            }
        }
        Err(PlaceError::AnchorNotFound { anchor: anchor.to_string(), scope: self.scope(page) })
    }
}

fn rect_of(o: &Object) -> Option<Rect> {
    let v: Vec<f64> = o
        .as_array()?
        .iter()
        .filter_map(|o| match o {
            Object::Int(i) => Some(*i as f64),
            Object::Real(r) if r.is_finite() => Some(*r),
            _ => None,
        })
        .collect();
    match v[..] {
        [a, b, c, d] => Some(Rect { x1: a.min(c), y1: b.min(d), x2: a.max(c), y2: b.max(d) }),
        _ => None,
    }
}

/// The box of the last occurrence of `anchor` on the page, matching the
/// page's words in reading order with all white space removed.
pub fn find_anchor(page: &PageText, anchor: &str) -> Option<Rect> {
    let needle: String = anchor.chars().filter(|c| !c.is_whitespace()).collect();
    if needle.is_empty() {
        return None;
    }
    let mut hay = String::new();
    // (byte offset where the word starts in `hay`, its box)
    let mut spans: Vec<(usize, Rect)> = Vec::new();
    for line in page.lines() {
        for w in line.words {
            spans.push((hay.len(), w.rect));
            hay.extend(w.text.chars().filter(|c| !c.is_whitespace()));
        }
    }
    let (start, _) = hay.match_indices(&needle).last()?;
    let end = start + needle.len();
    spans
        .iter()
        .enumerate()
        .filter(|(i, (s, _))| {
            let next = spans.get(i + 1).map_or(hay.len(), |n| n.0);
            *s < end && next > start
        })
        .map(|(_, (_, r))| *r)
        .reduce(|a, b| a.union(b))
}

fn covered(page: &PageText, r: &Rect) -> Vec<String> {
    page.words.iter().filter(|w| w.rect.intersects(r)).map(|w| w.text.clone()).collect()
}

/// A person's signature image of aspect `aspect` (width / height), between
/// the anchor (the name) and the line above it.
pub fn person(pages: &Pages<'_, '_>, anchor: &str, page: Option<usize>, aspect: f64) -> Result<Placement, PlaceError> {
    let aspect = if aspect.is_finite() && aspect > 0.05 { aspect.min(20.0) } else { 2.5 };
    let (text, a) = pages.find(anchor, page)?;
    let centre = (a.x1 + a.x2) / 2.0;
    let max_w = MAX_IMAGE_WIDTH.min(text.media_box.width() - 2.0 * STAMP_MARGIN).max(MIN_GAP);
    let band = Rect { x1: centre - max_w / 2.0, y1: a.y2, x2: centre + max_w / 2.0, y2: f64::MAX };
    let bottom = a.y2 + CLEARANCE;
    // The lowest word above the anchor within the band the image could use.
    let above = text
        .words
        .iter()
        .filter(|w| w.rect.y1 >= a.y2 - 0.5 && w.rect.x1 < band.x2 && band.x1 < w.rect.x2)
        .map(|w| w.rect.y1)
        .fold(f64::MAX, f64::min);
    let top = if above < f64::MAX { above - CLEARANCE } else { (text.media_box.y2 - STAMP_MARGIN).min(bottom + 150.0) };
    let gap = top - bottom;
    if gap < MIN_GAP {
        return Err(PlaceError::NoRoom { anchor: anchor.to_string(), gap: gap.max(0.0) });
    }
    let h = gap.min(max_w / aspect);
    let w = h * aspect;
    let y = bottom + (gap - h) / 2.0;
    let rect = Rect { x1: centre - w / 2.0, y1: y, x2: centre + w / 2.0, y2: y + h };
    Ok(Placement {
        page: text.number,
        rect: [rect.x1 - text.media_box.x1, rect.y1 - text.media_box.y1, w, h],
        image: Some([0.0, 0.0, w, h]),
        text: None,
        covers: covered(&text, &rect),
    })
}

/// An organisation's seal of side `seal` points over the left third of the
/// person's signature (the last signature widget on the page, or the
/// anchor's box), with a text block of `text_size` (width, height) beside it:
/// on its left when that is free, else right of the person's signature.
pub fn organization(
    pages: &Pages<'_, '_>,
    anchor: Option<&str>,
    page: Option<usize>,
    seal: f64,
    text_size: (f64, f64),
) -> Result<Placement, PlaceError> {
    let (text, target) = match anchor {
        Some(a) => pages.find(a, page)?,
        None => {
            let mut found = None;
            for n in pages.order(page) {
                if let Some(r) = pages.signature_widgets(n)?.last() {
                    found = Some((pages.text(n)?, *r));
                    break;
                }
            }
            found.ok_or(PlaceError::NoPersonSignature { page: page.unwrap_or(pages.count()) })?
        }
    };
    let cy = (target.y1 + target.y2) / 2.0;
    let seal_rect = Rect {
        x1: target.x1 + target.width() / 3.0 - seal,
        y1: cy - seal / 2.0,
        x2: target.x1 + target.width() / 3.0,
        y2: cy + seal / 2.0,
    };
    let (tw, th) = text_size;
    let c = CLEARANCE;
    // Beside the seal: left, right of the person's signature, under the
    // seal, over it. The first place where the whole widget (seal and
    // text) covers no word wins.
    let candidates = [
        Rect { x1: seal_rect.x1 - c - tw, y1: cy - th / 2.0, x2: seal_rect.x1 - c, y2: cy + th / 2.0 },
        Rect { x1: target.x2 + c, y1: cy - th / 2.0, x2: target.x2 + c + tw, y2: cy + th / 2.0 },
        Rect { x1: seal_rect.x1, y1: seal_rect.y1 - c - th, x2: seal_rect.x1 + tw, y2: seal_rect.y1 - c },
        Rect { x1: seal_rect.x1, y1: seal_rect.y2 + c, x2: seal_rect.x1 + tw, y2: seal_rect.y2 + c + th },
    ];
    let page_box = text.media_box;
    let fits = |r: &Rect| {
        let w = seal_rect.union(*r);
        w.x1 >= page_box.x1
            && w.x2 <= page_box.x2
            && w.y1 >= page_box.y1
            && w.y2 <= page_box.y2
            && covered(&text, &w).is_empty()
    };
    let text_rect = candidates.iter().find(|r| fits(r)).copied().unwrap_or(candidates[0]);
    let widget = seal_rect.union(text_rect);
    let local = |r: &Rect| [r.x1 - widget.x1, r.y1 - widget.y1, r.width(), r.height()];
    let covers = covered(&text, &widget);
    Ok(Placement {
        page: text.number,
        rect: [widget.x1 - page_box.x1, widget.y1 - page_box.y1, widget.width(), widget.height()],
        image: Some(local(&seal_rect)),
        text: Some(local(&text_rect)),
        covers,
    })
}

/// An attachment's stamp of `size` (width, height) at the top right of page
/// 1: as high and as far right as it goes without touching a word.
pub fn attachment(pages: &Pages<'_, '_>, size: (f64, f64)) -> Result<Placement, PlaceError> {
    let text = pages.text(1)?;
    let (w, h) = size;
    let page_box = text.media_box;
    let free = |r: &Rect| {
        let grown = Rect { x1: r.x1 - CLEARANCE, y1: r.y1 - CLEARANCE, x2: r.x2 + CLEARANCE, y2: r.y2 + CLEARANCE };
        covered(&text, &grown).is_empty()
    };
    let right = page_box.x2 - STAMP_MARGIN;
    let top = page_box.y2 - STAMP_MARGIN;
    // Down the right edge through the top quarter, then leftwards along the
    // top: the first free place wins.
    let lowest = page_box.y2 - page_box.height() / 4.0;
    let mut candidates = Vec::new();
    let mut y2 = top;
    while y2 - h >= lowest {
        candidates.push(Rect { x1: right - w, y1: y2 - h, x2: right, y2 });
        y2 -= 2.0;
    }
    let mut x2 = right;
    while x2 - w >= page_box.x1 + page_box.width() / 2.0 {
        candidates.push(Rect { x1: x2 - w, y1: top - h, x2, y2: top });
        x2 -= 4.0;
    }
    let r = candidates.into_iter().find(|r| free(r)).ok_or(PlaceError::NoFreeSpace { width: w, height: h })?;
    Ok(Placement {
        page: 1,
        rect: [r.x1 - page_box.x1, r.y1 - page_box.y1, w, h],
        image: None,
        text: Some([0.0, 0.0, w, h]),
        covers: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Word;

    fn word(text: &str, x: f64, y: f64) -> Word {
        let w = 6.0 * text.chars().count() as f64;
        Word { text: text.into(), rect: Rect { x1: x, y1: y - 3.0, x2: x + w, y2: y + 10.0 }, size: 13.0, baseline: y }
    }

    #[test]
    fn anchors_match_across_spaces_and_line_breaks() {
        let page = PageText {
            number: 1,
            media_box: Rect { x1: 0.0, y1: 0.0, x2: 595.0, y2: 842.0 },
            words: vec![
                word("TL.", 300.0, 500.0),
                word("GIÁM", 330.0, 500.0),
                word("ĐỐC", 370.0, 500.0),
                word("CHÁNH", 300.0, 484.0),
                word("Hồ", 310.0, 380.0),
                word("Tấn", 330.0, 380.0),
                word("Minh", 355.0, 380.0),
            ],
        };
        let r = find_anchor(&page, "Hồ  Tấn\nMinh").unwrap();
        assert_eq!((r.x1, r.x2), (310.0, 379.0));
        let r = find_anchor(&page, "ĐỐC CHÁNH").unwrap();
        assert_eq!((r.y1, r.y2), (481.0, 510.0));
        assert!(find_anchor(&page, "Nguyễn").is_none());
        assert!(find_anchor(&page, " ").is_none());
    }
}

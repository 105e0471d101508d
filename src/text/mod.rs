//! The text layer of a PDF: the words on each page with their boxes in page
//! space, decoded to Unicode, and the header of an official document read
//! from them ([`header`]).
//!
//! Extraction interprets each page's content streams ([`content`]) with the
//! page's fonts ([`font`]: ToUnicode CMaps, simple encodings with
//! /Differences, Type0/CID fonts with /W widths). Glyphs become words where
//! a space is shown or where the pen jumps; words become [`Line`]s (runs on
//! one baseline without a wide gap), which is what the header reader and
//! anchor placement work on.
//!
//! The independent judge is poppler's `pdftotext -bbox-layout`; the tests
//! compare word boxes with it. Boxes run from the font's descent to its
//! ascent (from the FontDescriptor), as poppler draws them.
//!
//! A page without text (a scan) gives an empty [`PageText`], never an error.
//! Errors are for unreadable files and for exceeded [`TextLimits`].

pub mod cmap;
mod content;
mod decode;
pub mod encoding;
pub mod font;
pub mod header;
pub mod pages;
pub mod place;
mod tables;

use crate::pdf::object::Object;
use crate::pdf::{Budget, Document, Limits, PdfError, View};
use serde::Serialize;
use thiserror::Error;

/// Why the text of a document could not be read.
#[derive(Debug, Error)]
pub enum TextError {
    /// The PDF structure could not be read.
    #[error(transparent)]
    Pdf(#[from] PdfError),
    /// The document has no page tree.
    #[error("the PDF has no page tree")]
    NoPageTree,
    /// A page number outside the document.
    #[error("page {requested} does not exist (the document has {count} pages)")]
    NoSuchPage { requested: usize, count: usize },
    /// A limit of [`TextLimits`] was exceeded.
    #[error("text extraction exceeds a safety limit: {0}")]
    Limit(&'static str),
}

/// Bounds on the work of extracting text (beside the [`Budget`] of the
/// PDF reader, which bounds bytes inflated, objects and time).
#[derive(Debug, Clone)]
pub struct TextLimits {
    /// Operators interpreted per page, forms included.
    pub max_operators: usize,
    /// Glyphs placed per page.
    pub max_glyphs: usize,
    /// Form XObjects nested inside each other.
    pub max_form_depth: usize,
    /// Pages in the document.
    pub max_pages: usize,
    /// The PDF reader's limits (bytes inflated, objects, time).
    pub pdf: Limits,
}

impl Default for TextLimits {
    fn default() -> Self {
        TextLimits {
            max_operators: 2_000_000,
            max_glyphs: 500_000,
            max_form_depth: 12,
            max_pages: 100_000,
            pdf: Limits::default(),
        }
    }
}

/// An axis-aligned rectangle in page space (origin bottom left, points).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rect {
    /// Left.
    pub x1: f64,
    /// Bottom.
    pub y1: f64,
    /// Right.
    pub x2: f64,
    /// Top.
    pub y2: f64,
}

impl Rect {
    fn union(self, o: Rect) -> Rect {
        Rect { x1: self.x1.min(o.x1), y1: self.y1.min(o.y1), x2: self.x2.max(o.x2), y2: self.y2.max(o.y2) }
    }

    /// Whether the two rectangles share an area (touching edges do not count).
    pub fn intersects(&self, o: &Rect) -> bool {
        self.x1 < o.x2 && o.x1 < self.x2 && self.y1 < o.y2 && o.y1 < self.y2
    }

    /// Width.
    pub fn width(&self) -> f64 {
        self.x2 - self.x1
    }

    /// Height.
    pub fn height(&self) -> f64 {
        self.y2 - self.y1
    }
}

/// A word: characters shown next to each other, without a space between.
#[derive(Debug, Clone, Serialize)]
pub struct Word {
    /// The characters, decoded to Unicode.
    pub text: String,
    /// From the font's descent to its ascent, first glyph to last.
    pub rect: Rect,
    /// The font size in page space.
    pub size: f64,
    /// The baseline's height (y) at the word's start.
    pub baseline: f64,
}

/// Words on one baseline with no wide gap between them: a line of a
/// column ("Nơi nhận:" and "TL. GIÁM ĐỐC" on the same baseline are two).
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    /// The words joined by single spaces.
    pub text: String,
    /// The union of the words' boxes.
    pub rect: Rect,
    /// The first word's font size in page space.
    pub size: f64,
    /// The words, left to right.
    pub words: Vec<Word>,
}

/// The text of one page.
#[derive(Debug, Clone, Serialize)]
pub struct PageText {
    /// 1-based page number.
    pub number: usize,
    /// The page's MediaBox.
    pub media_box: Rect,
    /// Words in the order the content shows them.
    pub words: Vec<Word>,
}

impl PageText {
    /// Whether the page has a text layer at all (a scan has none).
    pub fn has_text(&self) -> bool {
        !self.words.is_empty()
    }

    /// The page's lines, top to bottom, then left to right.
    pub fn lines(&self) -> Vec<Line> {
        lines_of(&self.words)
    }
}

/// Opens `data` and extracts the text of every page.
pub fn extract(data: &[u8], limits: &TextLimits) -> Result<Vec<PageText>, TextError> {
    let budget = Budget::new(limits.pdf.clone());
    let doc = Document::open(data, &budget)?;
    let nodes = pages::pages(&doc, limits)?;
    nodes.iter().enumerate().map(|(i, node)| page_text(&doc, node, i + 1, limits)).collect()
}

/// The number of pages of an opened document.
pub fn page_count(doc: &Document<'_>, limits: &TextLimits) -> Result<usize, TextError> {
    Ok(pages::pages(doc, limits)?.len())
}

/// Extracts page `number` (1-based) of an opened document.
pub fn extract_page(doc: &Document<'_>, number: usize, limits: &TextLimits) -> Result<PageText, TextError> {
    let nodes = pages::pages(doc, limits)?;
    let node = number
        .checked_sub(1)
        .and_then(|i| nodes.get(i))
        .ok_or(TextError::NoSuchPage { requested: number, count: nodes.len() })?;
    page_text(doc, node, number, limits)
}

pub(crate) fn page_text(
    doc: &Document<'_>,
    node: &pages::PageNode,
    number: usize,
    limits: &TextLimits,
) -> Result<PageText, TextError> {
    let contents = match node.dict.get(b"Contents") {
        Some(c) => doc.resolve(c, View::Latest)?,
        None => None,
    };
    let streams: Vec<Object> = match contents {
        Some(Object::Array(items)) => {
            let mut v = Vec::with_capacity(items.len());
            for it in &items {
                if let Some(o) = doc.resolve(it, View::Latest)? {
                    v.push(o);
                }
            }
            v
        }
        Some(o) => vec![o],
        None => Vec::new(),
    };
    // The streams of an array are one content stream split anywhere (even
    // inside a token boundary's white space), so they are joined first.
    let mut data = Vec::new();
    for s in &streams {
        if let Object::Stream(s) = s {
            data.extend_from_slice(&decode::stream_data(doc, s)?);
            data.push(b'\n');
        }
    }
    let resources = node.resources.as_ref().and_then(|r| r.as_dict());
    let mut interp = content::Interpreter::new(doc, limits);
    interp.run(&data, resources, content::IDENTITY)?;
    let [x1, y1, x2, y2] = node.media_box;
    Ok(PageText { number, media_box: Rect { x1, y1, x2, y2 }, words: words_of(&interp.glyphs) })
}

/// A gap wider than this share of the font size separates words even
/// without a space character (justified text, TJ kerning gaps).
const WORD_GAP: f64 = 0.15;
/// A gap wider than this many font sizes separates lines on one baseline.
const COLUMN_GAP: f64 = 1.0;

fn words_of(glyphs: &[content::Placed]) -> Vec<Word> {
    let mut words = Vec::new();
    let mut cur: Option<(Word, &content::Placed)> = None;
    for g in glyphs {
        if g.text.chars().all(char::is_whitespace) {
            words.extend(cur.take().map(|(w, _)| w));
            continue;
        }
        let rect = Rect { x1: g.bbox[0], y1: g.bbox[1], x2: g.bbox[2], y2: g.bbox[3] };
        if let Some((w, prev)) = cur.as_mut() {
            let size = prev.size.max(g.size).max(0.1);
            let same_line = (g.origin.1 - prev.end.1).abs() < 0.3 * size;
            let gap = g.origin.0 - prev.end.0;
            if same_line && gap < WORD_GAP * size && gap > -0.5 * size {
                w.text.push_str(&g.text);
                w.rect = w.rect.union(rect);
                *prev = g;
                continue;
            }
        }
        words.extend(cur.take().map(|(w, _)| w));
        cur = Some((Word { text: g.text.clone(), rect, size: g.size, baseline: g.origin.1 }, g));
    }
    words.extend(cur.map(|(w, _)| w));
    words
}

fn lines_of(words: &[Word]) -> Vec<Line> {
    let mut sorted: Vec<&Word> = words.iter().collect();
    sorted.sort_by(|a, b| b.baseline.total_cmp(&a.baseline).then(a.rect.x1.total_cmp(&b.rect.x1)));
    // Group by baseline, then order each group by x.
    let mut rows: Vec<Vec<&Word>> = Vec::new();
    for w in sorted {
        match rows.last_mut() {
            Some(row) if row.first().is_some_and(|f| (f.baseline - w.baseline).abs() < 0.4 * f.size.max(w.size)) => {
                row.push(w)
            }
            _ => rows.push(vec![w]),
        }
    }
    let mut out = Vec::new();
    for mut row in rows {
        row.sort_by(|a, b| a.rect.x1.total_cmp(&b.rect.x1));
        let mut line: Option<Line> = None;
        for w in row {
            if let Some(l) = line.as_mut() {
                let gap = w.rect.x1 - l.rect.x2;
                if gap < COLUMN_GAP * l.size.max(w.size) {
                    l.text.push(' ');
                    l.text.push_str(&w.text);
                    l.rect = l.rect.union(w.rect);
                    l.words.push(w.clone());
                    continue;
                }
            }
            out.extend(line.take());
            line = Some(Line { text: w.text.clone(), rect: w.rect, size: w.size, words: vec![w.clone()] });
        }
        out.extend(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-page PDF with `content` as its page content, a Helvetica font
    /// /F1 and, if given, a form XObject /X1 (object 5) with `form` as content.
    fn pdf(content: &str, form: Option<&str>) -> Vec<u8> {
        let mut objects = vec![
            "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>".to_string(),
            "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 6 0 R >> \
             /XObject << /X1 5 0 R >> >> >>"
                .to_string(),
            format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len() + 1),
        ];
        let form = form.unwrap_or("");
        objects.push(format!(
            "<< /Type /XObject /Subtype /Form /BBox [0 0 500 500] /Matrix [1 0 0 1 100 0] \
             /Resources << /Font << /F1 6 0 R >> /XObject << /X1 5 0 R >> >> /Length {} >>\nstream\n{form}\nendstream",
            form.len() + 1
        ));
        objects.push("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".into());
        let mut out = b"%PDF-1.7\n".to_vec();
        let mut offsets = Vec::new();
        for (i, o) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
        }
        let xref = out.len();
        out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
        for off in offsets {
            out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
        );
        out
    }

    fn words(content: &str, form: Option<&str>) -> Vec<Word> {
        let pages = extract(&pdf(content, form), &TextLimits::default()).unwrap();
        pages.into_iter().next().unwrap().words
    }

    #[test]
    fn text_state_and_matrices_place_words() {
        // 2x scale through cm, then Td: the word starts at (2*50, 2*100).
        let w = words("q 2 0 0 2 0 0 cm BT /F1 10 Tf 50 100 Td (Hello world) Tj ET Q", None);
        assert_eq!(w.iter().map(|w| w.text.as_str()).collect::<Vec<_>>(), ["Hello", "world"]);
        assert!((w[0].rect.x1 - 100.0).abs() < 1e-6 && (w[0].baseline - 200.0).abs() < 1e-6);
        assert!((w[0].size - 20.0).abs() < 1e-6);
        // "Hello" in Helvetica is 22.78 pt wide at 10 pt (its AFM widths), doubled.
        assert!((w[0].rect.x2 - (100.0 + 2.0 * 22.78)).abs() < 0.1, "{:?}", w[0].rect);
    }

    #[test]
    fn tj_gaps_split_words_and_leading_moves_lines() {
        let w = words("BT /F1 10 Tf 12 TL 0 700 Td [(AB) -50 (CD) -600 (EF)] TJ T* (GH) Tj ET", None);
        let texts: Vec<&str> = w.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["ABCD", "EF", "GH"]);
        assert!((w[2].baseline - 688.0).abs() < 1e-6);
    }

    #[test]
    fn forms_are_followed_with_their_matrix_and_loops_end() {
        // The form draws itself again: the loop is cut, the text kept once.
        let w = words("/X1 Do", Some("BT /F1 10 Tf 10 10 Td (Form) Tj ET /X1 Do"));
        assert_eq!(w.len(), 1);
        assert!((w[0].rect.x1 - 110.0).abs() < 1e-6);
    }

    #[test]
    fn operator_budget_ends_in_a_clean_error() {
        let content = "q Q ".repeat(5000);
        let limits = TextLimits { max_operators: 1000, ..TextLimits::default() };
        assert!(matches!(extract(&pdf(&content, None), &limits), Err(TextError::Limit(_))));
        let deep = "q ".repeat(1000);
        assert!(matches!(extract(&pdf(&deep, None), &TextLimits::default()), Err(TextError::Limit(_))));
    }

    #[test]
    fn damaged_content_is_read_as_far_as_it_goes() {
        let w = words("BT /F1 10 Tf 0 0 Td (ok) Tj ] ) >> [ (unterminated", None);
        assert_eq!(w.len(), 1);
        assert!(words("", None).is_empty());
    }
}

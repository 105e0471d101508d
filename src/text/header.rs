//! The header of an official document (Decree 30/2020, Appendix I), read
//! from its own text: number and notation, place and date, document type,
//! subject, the signer block and the "Nơi nhận" list.
//!
//! The gateway calls [`inspect`] on intake to compare what a document says
//! with the header its sender claims. So nothing here guesses: a field the
//! text does not show in its conventional place is reported missing (in
//! [`Header::missing`]), never filled from a likely default.
//!
//! The layout rules are those of the decree's templates: the number line
//! ("Số: 610/TB-SGDĐT") and the place-and-date line ("…, ngày 08 tháng 3
//! năm 2022") on the first page's top; the type title in capitals and the
//! subject below it, or for a công văn the "V/v" line under the number; on
//! the last page, "Nơi nhận:" at the left with one "- " line per recipient
//! and the archive copy ("- Lưu: VT, VP."), and at the right the signer's
//! competence ("TL. GIÁM ĐỐC"), position in capitals and name.

use super::{Line, PageText, TextError, TextLimits, page_text, pages};
use crate::pdf::source::Source;
use crate::pdf::{Budget, Document};
use serde::Serialize;

/// The document types of Decree 30/2020 (Article 7), as their titles read.
const DOCUMENT_TYPES: &[&str] = &[
    "NGHỊ QUYẾT",
    "QUYẾT ĐỊNH",
    "CHỈ THỊ",
    "QUY CHẾ",
    "QUY ĐỊNH",
    "THÔNG CÁO",
    "THÔNG BÁO",
    "HƯỚNG DẪN",
    "CHƯƠNG TRÌNH",
    "KẾ HOẠCH",
    "PHƯƠNG ÁN",
    "ĐỀ ÁN",
    "DỰ ÁN",
    "BÁO CÁO",
    "BIÊN BẢN",
    "TỜ TRÌNH",
    "HỢP ĐỒNG",
    "CÔNG ĐIỆN",
    "BẢN GHI NHỚ",
    "BẢN THỎA THUẬN",
    "GIẤY ỦY QUYỀN",
    "GIẤY MỜI",
    "GIẤY GIỚI THIỆU",
    "GIẤY NGHỈ PHÉP",
    "PHIẾU GỬI",
    "PHIẾU CHUYỂN",
    "PHIẾU BÁO",
    "THƯ CÔNG",
];

/// The type of a document without a type title: a công văn, recognised by
/// its "V/v" subject line.
const LETTER: &str = "CÔNG VĂN";

/// Prefixes of the signing competence (Decree 30, Article 13): on behalf
/// of a collective, signing for, by order of, by authorisation of, acting.
const COMPETENCE_PREFIXES: &[&str] = &["TM.", "KT.", "TL.", "TUQ.", "Q."];

/// The signer block.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Signer {
    /// "TL. GIÁM ĐỐC"; absent when the head signs in their own name.
    pub competence: Option<String>,
    /// "CHÁNH VĂN PHÒNG".
    pub position: Option<String>,
    /// "Hồ Tấn Minh".
    pub name: Option<String>,
}

/// What the document's text says about itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Header {
    /// Whether the document has a text layer at all (a scan has none).
    pub text_layer: bool,
    /// Number and notation, "610/TB-SGDĐT".
    pub number: Option<String>,
    /// "Thành phố Hồ Chí Minh".
    pub place: Option<String>,
    /// The issue date, ISO 8601 ("2022-03-08").
    pub date: Option<String>,
    /// "THÔNG BÁO", …, or "CÔNG VĂN".
    pub document_type: Option<String>,
    /// The subject (trích yếu), lines joined by spaces.
    pub subject: Option<String>,
    /// The signer block.
    pub signer: Signer,
    /// The "Nơi nhận" lines other than the archive copy, without their dash.
    pub recipients: Vec<String>,
    /// The archive copy ("VT, VP." from "- Lưu: VT, VP.").
    pub archive: Option<String>,
    /// The names of the fields above that the text does not show.
    pub missing: Vec<&'static str>,
}

/// Reads the header of a PDF: the first page for the top of the header, the
/// last for the signer block and recipients; the pages between are not read.
pub fn inspect(data: &[u8], limits: &TextLimits) -> Result<Header, TextError> {
    inspect_source(Source::Bytes(data), limits)
}

/// [`inspect`] for a document read by position.
pub fn inspect_source(src: Source<'_>, limits: &TextLimits) -> Result<Header, TextError> {
    let budget = Budget::new(limits.pdf.clone());
    let doc = Document::open_source(src, &budget)?;
    let nodes = pages::pages(&doc, limits)?;
    let mut texts = Vec::new();
    if let Some(first) = nodes.first() {
        texts.push(page_text(&doc, first, 1, limits)?);
    }
    if nodes.len() > 1
        && let Some(last) = nodes.last()
    {
        texts.push(page_text(&doc, last, nodes.len(), limits)?);
    }
    Ok(read(&texts))
}

/// Reads the header from extracted pages (the first and the last are used).
pub fn read(pages: &[PageText]) -> Header {
    let first: Vec<Line> = pages.first().map(PageText::lines).unwrap_or_default();
    let last: Vec<Line> =
        if pages.len() > 1 { pages.last().map(PageText::lines).unwrap_or_default() } else { first.clone() };
    let mut h = Header { text_layer: pages.iter().any(PageText::has_text), ..Header::default() };

    let number_at = (0..first.len()).find(|&i| number_at_line(&first, i).is_some());
    h.number = number_at.and_then(|i| number_at_line(&first, i));
    if let Some((place, date)) = (0..first.len())
        .filter(|&i| first.get(i).is_some_and(|l| l.text.contains("ngày")))
        .find_map(|i| place_and_date(&row_from(&first, i)))
    {
        h.place = place;
        h.date = date;
    }
    let search_from = number_at.unwrap_or(0);
    let title_at = first
        .iter()
        .enumerate()
        .skip(search_from)
        .find(|(_, l)| DOCUMENT_TYPES.contains(&l.text.as_str()))
        .map(|(i, _)| i);
    if let Some(i) = title_at {
        h.document_type = first.get(i).map(|l| l.text.clone());
        h.subject = subject_after_title(&first, i);
    } else if let Some(i) = first.iter().position(|l| l.text.starts_with("V/v ")) {
        h.document_type = Some(LETTER.to_string());
        h.subject = letter_subject(&first, i);
    }
    h.signer = signer(&last);
    let (recipients, archive) = recipients(&last);
    h.recipients = recipients;
    h.archive = archive;
    h.missing = missing(&h);
    h
}

fn missing(h: &Header) -> Vec<&'static str> {
    let fields: [(&'static str, bool); 10] = [
        ("number", h.number.is_some()),
        ("place", h.place.is_some()),
        ("date", h.date.is_some()),
        ("document_type", h.document_type.is_some()),
        ("subject", h.subject.is_some()),
        ("signer.competence", h.signer.competence.is_some()),
        ("signer.position", h.signer.position.is_some()),
        ("signer.name", h.signer.name.is_some()),
        ("recipients", !h.recipients.is_empty()),
        ("archive", h.archive.is_some()),
    ];
    fields.iter().filter(|(_, present)| !present).map(|(name, _)| *name).collect()
}

/// The number on line `i`; a number left blank for the registry splits
/// "Số:" from its notation by a wide gap, so the next line on the same
/// baseline is read with it.
fn number_at_line(lines: &[Line], i: usize) -> Option<String> {
    let l = lines.get(i)?;
    if let Some(n) = number_of(&l.text) {
        return Some(n);
    }
    if !matches!(l.text.as_str(), "Số:" | "Số") {
        return None;
    }
    let next = lines.get(i + 1).filter(|n| gap(l, n).abs() < 0.3 * l.size && n.rect.x1 - l.rect.x2 < 8.0 * l.size)?;
    number_of(&format!("Số: {}", next.text))
}

/// "Số: 610/TB-SGDĐT" → "610/TB-SGDĐT" (a notation always has a slash).
fn number_of(text: &str) -> Option<String> {
    let rest = text.strip_prefix("Số")?;
    let rest = rest.strip_prefix(':').or_else(|| rest.strip_prefix(' '))?;
    // Writers put spaces around the slash of a number left blank for the
    // registry ("Số:   /TB-SGDĐT"); the notation is one token without them.
    let compact: String = rest.split_whitespace().collect::<Vec<_>>().join(" ").replace(" /", "/").replace("/ ", "/");
    let token = compact.split_whitespace().next()?;
    token.contains('/').then(|| token.trim_end_matches([',', ';', '.']).to_string())
}

/// Line `i` with the lines after it on the same baseline (a date left blank
/// for the registry has wide gaps: "ngày      tháng      năm 2026").
fn row_from(lines: &[Line], i: usize) -> String {
    let Some(l) = lines.get(i) else { return String::new() };
    let mut text = l.text.clone();
    for n in lines.iter().skip(i + 1) {
        if gap(l, n).abs() >= 0.3 * l.size {
            break;
        }
        text.push(' ');
        text.push_str(&n.text);
    }
    text
}

/// "Thành phố Hồ Chí Minh, ngày 08 tháng 3 năm 2022" → (place, ISO date).
/// A date with a blank or impossible part is missing, the place kept.
fn place_and_date(text: &str) -> Option<(Option<String>, Option<String>)> {
    let at = text.find("ngày")?;
    let (before, after) = text.split_at(at);
    let words: Vec<&str> = after.split_whitespace().collect();
    let value_after = |key: &str| -> Option<u32> {
        let i = words.iter().position(|w| *w == key)?;
        words.get(i + 1)?.trim_end_matches([',', '.']).parse().ok()
    };
    // The line must carry the three words of a date, even when blank.
    if !(words.contains(&"tháng") && words.contains(&"năm")) {
        return None;
    }
    let place = before.trim().trim_end_matches(',').trim();
    let place = (!place.is_empty()).then(|| place.to_string());
    let date = match (value_after("ngày"), value_after("tháng"), value_after("năm")) {
        (Some(d), Some(m), Some(y)) => iso_date(y, m, d),
        _ => None,
    };
    Some((place, date))
}

fn iso_date(year: u32, month: u32, day: u32) -> Option<String> {
    let month_t = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date = time::Date::from_calendar_date(i32::try_from(year).ok()?, month_t, u8::try_from(day).ok()?).ok()?;
    Some(format!("{:04}-{:02}-{:02}", date.year(), month, day))
}

fn is_upper(text: &str) -> bool {
    text.chars().any(char::is_alphabetic) && !text.chars().any(char::is_lowercase)
}

/// Distance from one line's baseline down to the next one's.
fn gap(a: &Line, b: &Line) -> f64 {
    a.words.first().map_or(a.rect.y1, |w| w.baseline) - b.words.first().map_or(b.rect.y1, |w| w.baseline)
}

fn overlaps_horizontally(a: &Line, b: &Line) -> bool {
    a.rect.x1 < b.rect.x2 && b.rect.x1 < a.rect.x2
}

/// The subject under a type title: the next lines, as long as they follow
/// at line spacing (a blank line or the body's first paragraph ends it) and
/// are not in capitals (the issuing authority's line of a decision is).
fn subject_after_title(lines: &[Line], title: usize) -> Option<String> {
    let title_line = lines.get(title)?;
    let mut parts: Vec<&str> = Vec::new();
    let mut prev = title_line;
    let mut spacing: Option<f64> = None;
    for l in lines.iter().skip(title + 1) {
        let g = gap(prev, l);
        let size = prev.size.max(l.size);
        let close = match spacing {
            None => g > 0.0 && g <= 2.0 * size,
            Some(s) => g > 0.0 && g <= 1.25 * s,
        };
        if !close || is_upper(&l.text) || !overlaps_horizontally(title_line, l) {
            break;
        }
        spacing.get_or_insert(g);
        parts.push(&l.text);
        prev = l;
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// A công văn's subject: the "V/v" line and its continuation lines in the
/// same column.
fn letter_subject(lines: &[Line], start: usize) -> Option<String> {
    let first = lines.get(start)?;
    let mut parts = vec![first.text.as_str()];
    let mut prev = first;
    for l in lines.iter().skip(start + 1) {
        if !overlaps_horizontally(first, l) {
            continue;
        }
        let g = gap(prev, l);
        if g <= 0.0 || g > 1.6 * prev.size.max(l.size) || is_upper(&l.text) {
            break;
        }
        parts.push(&l.text);
        prev = l;
    }
    Some(parts.join(" "))
}

/// Whether `l` is centred under `head` (the signer block is a centred
/// column; the recipients' long lines beside it may reach under it).
fn in_column_of(head: &Line, l: &Line) -> bool {
    let centre = (l.rect.x1 + l.rect.x2) / 2.0;
    let half = head.rect.width() / 2.0;
    centre >= head.rect.x1 - half && centre <= head.rect.x2 + half
}

/// The signer block: the competence line, the position in capitals under
/// it, and the name (not in capitals) further down in the same column. A
/// block without a competence is found as the capitals line level with
/// "Nơi nhận:".
fn signer(lines: &[Line]) -> Signer {
    let competence_at = lines.iter().rposition(|l| {
        is_upper(&l.text)
            && COMPETENCE_PREFIXES.iter().any(|p| l.text.strip_prefix(p).is_some_and(|r| r.starts_with(' ')))
    });
    let (anchor, competence) = match competence_at {
        Some(i) => (i, lines.get(i).map(|l| l.text.clone())),
        None => {
            let Some(nn) = lines.iter().find(|l| is_recipients_title(&l.text)) else { return Signer::default() };
            let level = lines.iter().position(|l| {
                l.rect.x1 > nn.rect.x2 && is_upper(&l.text) && (gap(nn, l).abs() < 0.5 * nn.size.max(l.size))
            });
            match level {
                Some(i) => (i, None),
                None => return Signer::default(),
            }
        }
    };
    let Some(head) = lines.get(anchor) else { return Signer::default() };
    let mut positions: Vec<&str> = Vec::new();
    if competence.is_none() {
        positions.push(&head.text);
    }
    let mut name = None;
    let mut prev = head;
    for l in lines.iter().skip(anchor + 1).filter(|l| in_column_of(head, l)) {
        let g = gap(prev, l);
        if g <= 0.0 {
            continue;
        }
        if is_upper(&l.text) && name.is_none() && g <= 2.0 * prev.size.max(l.size) && competence.is_some() {
            positions.push(&l.text);
            prev = l;
            continue;
        }
        // Notes such as "(Đã ký)" are not the name.
        if l.text.starts_with('(') {
            prev = l;
            continue;
        }
        // The signature's room (image and seal) is at most about 7 cm; a name
        // further down belongs to something else.
        if !is_upper(&l.text) && g <= 16.0 * l.size {
            name = Some(l.text.clone());
        }
        break;
    }
    Signer { competence, position: (!positions.is_empty()).then(|| positions.join(" ")), name }
}

fn is_recipients_title(text: &str) -> bool {
    text.starts_with("Nơi nhận")
}

/// The "Nơi nhận" list: one item per line starting with a dash (lines
/// without one continue the item above); "Lưu" is the archive copy.
fn recipients(lines: &[Line]) -> (Vec<String>, Option<String>) {
    let Some(at) = lines.iter().position(|l| is_recipients_title(&l.text)) else { return (Vec::new(), None) };
    let Some(title) = lines.get(at) else { return (Vec::new(), None) };
    let mut items: Vec<String> = Vec::new();
    let inline = title.text.trim_start_matches("Nơi nhận").trim_start_matches(':').trim();
    if !inline.is_empty() {
        items.push(inline.to_string());
    }
    let mut prev = title;
    for l in lines.iter().skip(at + 1) {
        if (l.rect.x1 - title.rect.x1).abs() > 3.0 * title.size.max(l.size) {
            continue;
        }
        let g = gap(prev, l);
        if g <= 0.0 || g > 2.5 * prev.size.max(l.size) {
            break;
        }
        let t = l.text.trim();
        match t.strip_prefix(['-', '+', '•', '–']) {
            Some(item) => items.push(item.trim().to_string()),
            None => match items.last_mut() {
                Some(last) => {
                    last.push(' ');
                    last.push_str(t);
                }
                None => items.push(t.to_string()),
            },
        }
        prev = l;
        if t.trim_start_matches(['-', '+', '•', '–']).trim_start().starts_with("Lưu") {
            break;
        }
    }
    let mut archive = None;
    items.retain(|item| match item.strip_prefix("Lưu") {
        Some(rest) => {
            let rest = rest.trim_start_matches([':', ' ']).trim();
            archive = Some(rest.to_string());
            false
        }
        None => true,
    });
    (items, archive)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_and_date_lines() {
        assert_eq!(number_of("Số: 610/TB-SGDĐT").as_deref(), Some("610/TB-SGDĐT"));
        assert_eq!(number_of("Số 610/TB-SGDĐT").as_deref(), Some("610/TB-SGDĐT"));
        assert_eq!(number_of("Số:   / TB-SGDĐT").as_deref(), Some("/TB-SGDĐT"));
        assert_eq!(number_of("Số liệu thống kê"), None);
        assert_eq!(
            place_and_date("Thành phố Hồ Chí Minh, ngày 08 tháng 3 năm 2022"),
            Some((Some("Thành phố Hồ Chí Minh".into()), Some("2022-03-08".into())))
        );
        // A date left blank for the registry is missing, not guessed.
        assert_eq!(place_and_date("Hà Nội, ngày    tháng   năm 2024"), Some((Some("Hà Nội".into()), None)));
        assert_eq!(place_and_date("Hà Nội, ngày 31 tháng 2 năm 2024"), Some((Some("Hà Nội".into()), None)));
    }
}

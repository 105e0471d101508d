//! What poppler reads off a page: words with their boxes, the judge the
//! placement tests compare vanthu's widgets with.

use super::run_ok;
use std::path::Path;
use std::process::Command;

/// A rectangle in PDF page space (origin bottom left): x1, y1, x2, y2.
pub type Box4 = [f64; 4];

fn attr(tag: &str, name: &str) -> f64 {
    let key = format!("{name}=\"");
    let start = tag.find(&key).unwrap() + key.len();
    let end = start + tag[start..].find('"').unwrap();
    tag[start..end].parse().unwrap()
}

/// Poppler's words of page 1 (`pdftotext -bbox-layout`), in page space, and
/// the page's height.
pub fn words(pdf: &Path) -> (Vec<(String, Box4)>, f64) {
    let xml = run_ok(Command::new("pdftotext").args(["-bbox-layout", "-f", "1", "-l", "1"]).arg(pdf).arg("-"));
    let mut height = 0.0;
    let mut out = Vec::new();
    for line in xml.lines().map(str::trim) {
        if let Some(tag) = line.strip_prefix("<page ") {
            height = attr(tag, "height");
        } else if let Some(rest) = line.strip_prefix("<word ") {
            let close = rest.find('>').unwrap();
            let (tag, text) = (&rest[..close], rest[close + 1..].trim_end_matches("</word>"));
            let b = [attr(tag, "xMin"), height - attr(tag, "yMax"), attr(tag, "xMax"), height - attr(tag, "yMin")];
            out.push((text.replace("&amp;", "&"), b));
        }
    }
    (out, height)
}

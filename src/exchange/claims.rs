//! The header a sender claims, compared with what the signed document's own
//! text says ([`crate::text::header`]). The national axis trusts the
//! sender's JSON; vanthu reads the document. Differences are warnings in the
//! record (a producer's layout may hide a field from the reader), never a
//! silent pass: a field the text does not show is skipped and said so once.

use crate::directory::normalize;
use crate::envelope::Header;
use crate::text::header::Header as TextHeader;

/// Folded for comparison: case, diacritics and whitespace ignored.
fn squash(s: &str) -> String {
    normalize::fold(s).chars().filter(|c| !c.is_whitespace()).collect()
}

/// The differences between `claimed` and `text`, one sentence each.
pub fn compare(claimed: &Header, text: &TextHeader) -> Vec<String> {
    let mut out = Vec::new();
    if !text.text_layer {
        out.push(
            "the document has no text layer (a scan?): its header could not be compared with the claimed one".into(),
        );
        return out;
    }
    let number = format!("{}/{}", claimed.code.number, claimed.code.notation);
    if let Some(n) = &text.number
        && squash(n) != squash(&number)
    {
        out.push(format!("the document says \"Số: {n}\", the header claims {number}"));
    }
    let date = claimed.promulgation.date.to_string();
    if let Some(d) = &text.date
        && *d != date
    {
        out.push(format!("the document is dated {d}, the header claims {date}"));
    }
    if let Some(t) = &text.document_type
        && squash(t) != squash(&claimed.document_type)
    {
        out.push(format!("the document is a {t}, the header claims {}", claimed.document_type));
    }
    if let Some(name) = &text.signer.name
        && squash(name) != squash(&claimed.signer.full_name)
    {
        out.push(format!("the document is signed by {name}, the header claims {}", claimed.signer.full_name));
    }
    // Recipient lines: each side's lines missing from the other, by their
    // normalised key (abbreviations, punctuation and case aside). A line the
    // page wraps may reach the reader as two: a line counts as shown when its
    // words appear, in order, in the other side's lines joined.
    if !text.recipients.is_empty() {
        let claimed: Vec<&String> = claimed.to_places.iter().filter(|l| !normalize::is_archive_line(l)).collect();
        let claimed_keys: Vec<String> = claimed.iter().map(|l| normalize::key(l)).collect();
        let text_keys: Vec<String> = text.recipients.iter().map(|l| normalize::key(l)).collect();
        let joined_claimed = format!(" {} ", claimed_keys.join(" "));
        let joined_text = format!(" {} ", text_keys.join(" "));
        for (line, key) in text.recipients.iter().zip(&text_keys) {
            if !key.is_empty() && !joined_claimed.contains(&format!(" {key} ")) {
                out.push(format!("the document's \"Nơi nhận\" has \"{line}\", which the header does not claim"));
            }
        }
        for (line, key) in claimed.iter().zip(&claimed_keys) {
            if !key.is_empty() && !joined_text.contains(&format!(" {key} ")) {
                out.push(format!(
                    "the header claims the recipient line \"{line}\", which the document's text does not show"
                ));
            }
        }
    }
    if !text.missing.is_empty() {
        out.push(format!("not compared (the document's text does not show them): {}", text.missing.join(", ")));
    }
    out
}

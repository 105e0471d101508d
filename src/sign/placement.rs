//! Where a visible signature goes. Without a rectangle from the caller, the
//! place comes from the page's text (Decree 30/2020 placement, see
//! [`crate::text::place`]); when no place can be found the caller gets the
//! reason, never a silent default position.

use super::SignError;
use super::appearance::{self, Parts, Role, Visible};
use crate::pdf::source::Source;
use crate::pdf::{Budget, Document, PdfError};
use crate::text::{self, place};
use thiserror::Error;

/// How a caller asks a visible signature to be placed.
#[derive(Debug, Clone, Copy)]
pub struct Placing<'a> {
    /// A rectangle x, y, width, height in points: used as given.
    pub rect: Option<[f64; 4]>,
    /// The text to place by (a person: the signer's name by default).
    pub anchor: Option<&'a str>,
    /// The page to look for the anchor on (default: from the last page back).
    pub anchor_page: Option<usize>,
    /// A seal's real diameter in millimetres.
    pub seal_mm: f64,
}

/// Decree 30's usual seal: 36 mm.
pub const DEFAULT_SEAL_MM: f64 = 36.0;

impl Default for Placing<'_> {
    fn default() -> Self {
        Placing { rect: None, anchor: None, anchor_page: None, seal_mm: DEFAULT_SEAL_MM }
    }
}

/// Why no place was found.
#[derive(Debug, Error)]
pub enum PlacementError {
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error(transparent)]
    Pdf(#[from] PdfError),
    #[error(transparent)]
    Text(#[from] text::TextError),
    #[error(transparent)]
    Place(#[from] place::PlaceError),
    #[error("the certificate has no name to place the signature by")]
    NoName,
    #[error("a seal of {0} mm: a seal is between 5 and 100 mm")]
    SealSize(f64),
}

/// A placed visible signature.
pub struct Placed {
    pub visible: Visible,
    /// The page it was placed on (when placed by the text).
    pub page: Option<usize>,
    /// Words of that page it covers (only when no free place existed).
    pub covers: Vec<String>,
}

/// A signing time of the shown length, for sizing text before signing.
const TIME_FOR_SIZE: &str = "2026-01-01T00:00:00+07:00";

/// The visible signature of `role` for `input`, signed with `cert`.
pub fn visible(
    role: Role,
    image: Option<Vec<u8>>,
    doc_number: Option<String>,
    want: &Placing<'_>,
    input: &[u8],
    cert: &[u8],
) -> Result<Placed, PlacementError> {
    visible_in(role, image, doc_number, want, Source::Bytes(input), cert)
}

/// [`visible`] for a document read by position.
pub fn visible_in(
    role: Role,
    image: Option<Vec<u8>>,
    doc_number: Option<String>,
    want: &Placing<'_>,
    input: Source<'_>,
    cert: &[u8],
) -> Result<Placed, PlacementError> {
    // A bad image is reported as such before any placement work.
    let dims = match &image {
        Some(png) => Some(appearance::check_image(png)?),
        None => None,
    };
    let mut v = Visible { role, rect: want.rect, image, doc_number, parts: None };
    if v.rect.is_some() {
        return Ok(Placed { visible: v, page: None, covers: Vec::new() });
    }
    let texts = appearance::certificate_texts(cert, TIME_FOR_SIZE)?;
    let limits = text::TextLimits::default();
    let budget = Budget::new(limits.pdf.clone());
    let doc = Document::open_source(input, &budget)?;
    let pages = place::Pages::new(&doc, &limits)?;
    let placed = match role {
        Role::Person => {
            let anchor = match want.anchor {
                Some(a) => a.to_string(),
                None if !texts.name.trim().is_empty() => texts.name.clone(),
                None => return Err(PlacementError::NoName),
            };
            let aspect = match dims {
                Some((w, h)) => f64::from(w) / f64::from(h.max(1)),
                None => {
                    let lines = appearance::lines(role, &texts, None)?;
                    let (w, h) = appearance::text_block(&lines)?;
                    w / h
                }
            };
            place::person(&pages, &anchor, want.anchor_page, aspect)?
        }
        Role::Organization => {
            if !(5.0..=100.0).contains(&want.seal_mm) {
                return Err(PlacementError::SealSize(want.seal_mm));
            }
            let lines = appearance::lines(role, &texts, None)?;
            let size = appearance::text_block(&lines)?;
            place::organization(&pages, want.anchor, want.anchor_page, want.seal_mm * 72.0 / 25.4, size)?
        }
        Role::Attachment => {
            let lines = appearance::lines(role, &texts, v.doc_number.as_deref())?;
            let size = appearance::text_block(&lines)?;
            place::attachment(&pages, size)?
        }
    };
    v.rect = Some(placed.rect);
    // A person's signature without an image keeps its text layout.
    if !(role == Role::Person && v.image.is_none()) {
        v.parts = Some(Parts { image: placed.image, text: placed.text });
    }
    Ok(Placed { visible: v, page: Some(placed.page), covers: placed.covers })
}

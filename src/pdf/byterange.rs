//! The /ByteRange of a signature, as a type that can only be built valid.
//!
//! Both the verifier and `sign finish` read a /ByteRange from a file they
//! did not write; both go through [`ByteRange::from_dict`], so they agree on
//! what a sound range is and nothing downstream re-checks (or slices
//! unchecked with) numbers from the file.

use super::object::{Dict, Object, PdfString, dict_get};
use thiserror::Error;

/// Why a /ByteRange (with its /Contents) is not sound.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ByteRangeError {
    #[error("no /ByteRange")]
    Missing,
    #[error("/ByteRange is not an array")]
    NotArray,
    #[error("/ByteRange holds a non-integer")]
    NotInteger,
    #[error("/ByteRange must have 4 numbers, has {0}")]
    Count(usize),
    #[error("/ByteRange lies outside the file")]
    OutsideFile,
    #[error("/ByteRange does not start at byte 0")]
    NotAtZero,
    #[error("/ByteRange ranges overlap, are out of order or run past the end")]
    Order,
    #[error("no /Contents")]
    NoContents,
    #[error("/Contents is not a string")]
    ContentsNotString,
    #[error("/Contents is not a hex string")]
    ContentsNotHex,
    #[error(
        "the gap between the signed ranges ({}..{}) is not exactly the /Contents string ({}..{})",
        gap.0, gap.1, contents.0, contents.1
    )]
    GapMismatch { gap: (usize, usize), contents: (usize, usize) },
}

/// `[0 a b c]`: the signed bytes are `[0, a)` and `[b, b + c)`, and the gap
/// `[a, b)` is exactly the /Contents hex string, delimiters included.
///
/// Invariants, enforced by the only constructor: the first range starts at
/// 0 and is not empty; the second starts after the first ends; both lie in
/// a file of the length given; and the gap is the /Contents string
/// (otherwise a forged range could leave content unsigned, as in
/// signature-wrapping attacks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ByteRange {
    first_len: usize,
    second_start: usize,
    second_len: usize,
}

impl ByteRange {
    /// Reads /ByteRange and /Contents from a signature dictionary whose
    /// string spans are offsets in a file of `file_len` bytes. Returns the
    /// range and the /Contents string.
    pub fn from_dict(dict: &Dict, file_len: usize) -> Result<(ByteRange, &PdfString), ByteRangeError> {
        let nums: Vec<i64> = match dict_get(dict, b"ByteRange") {
            Some(Object::Array(a)) => {
                a.iter().map(|x| x.as_int().ok_or(ByteRangeError::NotInteger)).collect::<Result<_, _>>()?
            }
            Some(_) => return Err(ByteRangeError::NotArray),
            None => return Err(ByteRangeError::Missing),
        };
        let [a0, a1, b0, b1] = nums[..] else {
            return Err(ByteRangeError::Count(nums.len()));
        };
        let in_file = |v: i64| usize::try_from(v).ok().filter(|&v| v <= file_len).ok_or(ByteRangeError::OutsideFile);
        let (a0, a1, b0, b1) = (in_file(a0)?, in_file(a1)?, in_file(b0)?, in_file(b1)?);
        if a0 != 0 {
            return Err(ByteRangeError::NotAtZero);
        }
        if a1 == 0 || b0 <= a1 || b0.checked_add(b1).is_none_or(|e| e > file_len) {
            return Err(ByteRangeError::Order);
        }
        let contents = match dict_get(dict, b"Contents") {
            Some(Object::Str(s)) => s,
            Some(_) => return Err(ByteRangeError::ContentsNotString),
            None => return Err(ByteRangeError::NoContents),
        };
        if !contents.hex {
            return Err(ByteRangeError::ContentsNotHex);
        }
        if contents.span != (a1, b0) {
            return Err(ByteRangeError::GapMismatch { gap: (a1, b0), contents: contents.span });
        }
        Ok((ByteRange { first_len: a1, second_start: b0, second_len: b1 }, contents))
    }

    /// The four numbers as written.
    pub fn numbers(&self) -> [usize; 4] {
        [0, self.first_len, self.second_start, self.second_len]
    }

    /// One past the last signed byte.
    pub fn end(&self) -> usize {
        // Checked at construction: second_start + second_len <= file_len.
        self.second_start.saturating_add(self.second_len)
    }

    /// The gap: the /Contents string, delimiters included.
    pub fn gap(&self) -> (usize, usize) {
        (self.first_len, self.second_start)
    }

    /// Room for hex digits inside the gap (without `<` and `>`).
    pub fn hex_room(&self) -> usize {
        self.second_start.saturating_sub(self.first_len).saturating_sub(2)
    }

    /// The two signed slices of `data`; `None` if `data` is shorter than the
    /// file the range was checked against.
    pub fn signed<'d>(&self, data: &'d [u8]) -> Option<[&'d [u8]; 2]> {
        Some([data.get(..self.first_len)?, data.get(self.second_start..self.end())?])
    }

    /// Whether an object spanning `[start, end)` holds this range's own
    /// signature dictionary soundly: it starts in the first signed range and
    /// ends inside the signed bytes, so its /ByteRange is itself signed.
    pub fn holds_dictionary(&self, start: usize, end: usize) -> bool {
        start < self.first_len && start <= end && end <= self.end()
    }

    /// The digest of the signed bytes of `data`.
    pub fn digest(&self, data: &[u8], alg: &'static ring::digest::Algorithm) -> Option<Vec<u8>> {
        let mut ctx = ring::digest::Context::new(alg);
        for part in self.signed(data)? {
            ctx.update(part);
        }
        Some(ctx.finish().as_ref().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::object::Parser;

    fn dict(s: &str) -> Dict {
        match Parser::new(s.as_bytes(), 0).object(0).unwrap() {
            Object::Dict(d) => d,
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn a_sound_range_is_built() {
        // "<< /Contents <00> /ByteRange [0 13 17 N] >>": the hex string sits at 13..17.
        let d = dict("<< /Contents <00> /ByteRange [0 13 17 20] >>");
        let (br, c) = ByteRange::from_dict(&d, 37).unwrap();
        assert_eq!(br.numbers(), [0, 13, 17, 20]);
        assert_eq!(br.end(), 37);
        assert_eq!(c.bytes, vec![0]);
        assert_eq!(br.hex_room(), 2);
    }

    #[test]
    fn ranges_past_the_end_or_wrapping_are_refused() {
        let cases = [
            ("<< /Contents <00> /ByteRange [0 13 17 21] >>", ByteRangeError::Order),
            ("<< /Contents <00> /ByteRange [0 13 17 9223372036854775807] >>", ByteRangeError::OutsideFile),
            ("<< /Contents <00> /ByteRange [0 13 17 -1] >>", ByteRangeError::OutsideFile),
            ("<< /Contents <00> /ByteRange [1 13 17 20] >>", ByteRangeError::NotAtZero),
            ("<< /Contents <00> /ByteRange [0 17 13 20] >>", ByteRangeError::Order),
            ("<< /Contents <00> /ByteRange [0 13 17] >>", ByteRangeError::Count(3)),
            ("<< /Contents (0) /ByteRange [0 13 17 20] >>", ByteRangeError::ContentsNotHex),
            (
                "<< /Contents <00> /ByteRange [0 12 17 20] >>",
                ByteRangeError::GapMismatch { gap: (12, 17), contents: (13, 17) },
            ),
        ];
        for (s, want) in cases {
            assert_eq!(ByteRange::from_dict(&dict(s), 37).map(|r| r.0), Err(want), "{s}");
        }
    }

    #[test]
    fn the_dictionary_must_start_in_the_signed_bytes() {
        let d = dict("<< /Contents <00> /ByteRange [0 13 17 20] >>");
        let (br, _) = ByteRange::from_dict(&d, 37).unwrap();
        assert!(br.holds_dictionary(0, 37));
        assert!(br.holds_dictionary(5, 20));
        assert!(!br.holds_dictionary(17, 37));
        assert!(!br.holds_dictionary(0, 38));
        assert!(br.signed(&[0u8; 36]).is_none());
    }
}

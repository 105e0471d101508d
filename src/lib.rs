//! vanthu — the registry office ("văn thư") of an education department, as a
//! machine: it verifies and applies digital signatures on official PDF
//! documents and (in later stages) routes them between units.
//!
//! # The journey of a document, module by module
//!
//! Foundations first:
//!
//! - [`pki`]: certificates. Parsing, the trust store, path building with a
//!   budget, validity, CRLs, and [`pki::algorithms`] — the one table of
//!   algorithms and key sizes the crate accepts.
//! - [`cms`]: CMS SignedData read over the original bytes (signed attributes
//!   are verified as received), signer verification, RFC 3161 timestamp tokens.
//! - [`pdf`]: just enough PDF for signatures — cross-reference sections
//!   (revisions), on-demand object loading, string positions for /ByteRange
//!   checks, and finding signature dictionaries. Bounded by a [`pdf::Budget`].
//!
//! - [`text`]: the text layer of a page — words with their boxes in page
//!   space, decoded to Unicode — and the header (number, date, type,
//!   subject, signer, "Nơi nhận") read from a document's own text, and where
//!   a visible signature goes by that text ([`text::place`], Decree 30).
//!
//! Then the journey:
//!
//! - [`verify`]: validation of a signed PDF into a [`verify::report::Report`]
//!   with ETSI EN 319 102-1 indications, including what later revisions
//!   changed ([`verify::changes`]).
//!
//! The core is pure: nothing here opens sockets or databases. The CLI in
//! `main.rs` maps errors to exit codes in one place ([`exit_code`]).

#![forbid(unsafe_code)]

pub mod cms;
pub mod pdf;
pub mod pki;
pub mod sign;
pub mod text;
pub mod verify;

/// Exit codes of the CLI, decided in one place.
pub mod exit_code {
    /// The document is valid (TOTAL-PASSED).
    pub const VALID: i32 = 0;
    /// The document was read but is not valid (failed or indeterminate).
    pub const INVALID: i32 = 1;
    /// The input or the configuration could not be used.
    pub const UNUSABLE: i32 = 2;
}

//! The ground floor: DER read and written over exact byte slices, the object
//! identifiers of the CMS and PKCS #9 structures, and how a time is written
//! in a message or a report.
//!
//! Everything above borrows from here — [`crate::pki`] reads certificates
//! with [`der`], [`crate::cms`] reads and writes SignedData with [`der`]
//! and [`write`](mod@write) — and nothing here imports from the crate at
//! all, so the foundation modules can depend on it without depending on
//! each other.

pub mod der;
pub mod oid;
pub mod time;
pub mod write;

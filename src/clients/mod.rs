//! The outbound clients: the services vanthu calls, as opposed to
//! [`crate::http`], which answers. Socket code lives here and in `http`,
//! never in the core.
//!
//! - [`tsa`]: an RFC 3161 time-stamping authority over HTTP.

pub mod tsa;

//! The header of an official document, read from its text.

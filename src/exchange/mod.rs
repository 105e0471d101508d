//! The document exchange: intake, routing, delivery, statuses and receipts.

pub mod receipt;

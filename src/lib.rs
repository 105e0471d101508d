//! vanthu — the registry office ("văn thư") of an education department, as a
//! machine: it verifies and applies digital signatures on official PDF
//! documents and routes them between units over mutual TLS.
//!
//! # The journey of a document, module by module
//!
//! Foundations first:
//!
//! - [`asn1`]: the ground floor, importing nothing from the crate — the DER
//!   reader that hands out exact byte slices ([`asn1::der`]), the DER writer
//!   ([`asn1::write`]), the CMS and PKCS #9 OIDs ([`asn1::oid`]), and how a
//!   time is written for people ([`asn1::time`]).
//! - [`pki`]: certificates. Parsing, the trust store, path building with a
//!   budget, validity, CRLs, [`pki::algorithms`] — the one table of
//!   algorithms and key sizes the crate accepts — [`pki::policy`], the one
//!   table of what a certificate must allow for each use (shared by signing
//!   and verification), and [`pki::ca`], the
//!   internal CA and the one place a client certificate's identity is read;
//!   [`pki::keystore`] seals the private keys vanthu holds under the master
//!   secret.
//! - [`cms`]: CMS SignedData read over the original bytes (signed attributes
//!   are verified as received), signer verification, RFC 3161 timestamp
//!   tokens, the in-process TSA, and the time-stamp protocol without its
//!   transport ([`cms::tsp`]).
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
//! - [`sign`]: PAdES signing (one step, or prepare/finish for tokens) with
//!   Decree 30/2020 appearances ([`sign::appearance`]).
//! - [`envelope`]: the edXML-style header a document travels with, validated
//!   field by field, and its edXML document id.
//! - [`directory`]: who can receive documents. Units with QĐ 20/2020 organ
//!   ids ([`directory::OrganId`]), groups of units and of groups, aliases, and
//!   the resolution of a notice's "Nơi nhận" lines to units (case,
//!   diacritics and the abbreviations of real recipient blocks ignored; the
//!   archive copy never routed; merged units followed to their successor).
//!   [`directory::sample::hcmc`] is a sample at Ho Chi Minh City's scale;
//!   [`directory::edit`] is an administrator's change, checked whole, and
//!   [`directory::live`] the version a running server routes by.
//! - [`exchange`]: intake → verification → organisation seal → routing →
//!   delivery → statuses ([`exchange::status`], one transition table) →
//!   signed receipts ([`exchange::receipt`], detached CMS over canonical JSON).
//! - [`store`]: the storage trait the exchange talks to, its SQLite backend,
//!   and the content-addressed document store on disk; [`store::directory`]
//!   keeps the directory as versions, each change with its audit entry.
//! - [`audit`]: the hash-chained, append-only audit log of every event,
//!   and its verification (an edited, deleted or reordered entry, or a log
//!   truncated before a head recorded in a receipt).
//!
//! The edges:
//!
//! - [`http`]: hyper over rustls with mutual TLS, the routes (thin
//!   handlers), the one mapping of errors to HTTP statuses, metrics.
//! - [`clients`]: the services vanthu calls — an RFC 3161 TSA over HTTP
//!   ([`clients::tsa`]), carrying the bytes of [`cms::tsp`]'s requests.
//! - [`admin`]: administration of the internal CA — the registry of every
//!   certificate it issues (in the store), revocation, and the CRL re-issued
//!   at once so the TLS layer refuses a revoked certificate at the next
//!   handshake; PKCS#12 output of issued keys ([`pki::pkcs12`]) and the
//!   crash-safe re-sealing of held keys under a new master secret
//!   ([`admin::keys`]); external CAs trusted per purpose, for document
//!   signatures or client authentication ([`admin::trust`]).
//! - [`persons`]: signing for people — the signers whose keys vanthu
//!   holds (remote signing with a PIN checked against an Argon2id hash,
//!   attempts bounded and locked in the store, every attempt audited) and
//!   deferred signing for USB tokens (prepare, the token signs, finish).
//! - [`config`]: defaults, TOML file, `VANTHU_*` variables; [`datadir`]: the
//!   data directory's layout and its initialisation.
//!
//! The core (`asn1` to `directory`) is pure: nothing there opens sockets or
//! databases, and no foundation module (`asn1`, `pki`, `cms`, `pdf`,
//! `text`) imports from a module above it (`tests/layering.rs` checks both).
//! The CLI in `main.rs` maps errors to exit codes in one place
//! ([`exit_code`]).

#![forbid(unsafe_code)]

pub mod admin;
pub mod asn1;
pub mod audit;
pub mod clients;
pub mod cms;
pub mod config;
pub mod datadir;
pub mod directory;
pub mod envelope;
pub mod exchange;
pub mod http;
pub mod pdf;
pub mod persons;
pub mod pki;
pub mod sign;
pub mod store;
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

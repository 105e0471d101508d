//! Storage: the one trait the exchange talks to, its SQLite backend (the
//! embedded default), and the content-addressed document store on disk.
//!
//! The trait is backend-neutral on purpose: plain records in and out, SQL
//! kept portable (no SQLite-only syntax in what a PostgreSQL backend would
//! need to mirror), and every multi-row change submitted as one [`Change`]
//! committed atomically together with its audit entries and receipts. A
//! PostgreSQL backend for many gateway instances implements the same trait;
//! the audit head is read inside the same transaction, so instances never
//! fork the chain.
//!
//! The trait is synchronous: the HTTP edge calls it off the async runtime
//! (`spawn_blocking`), so a slow disk never stalls the accept loop.

pub mod blobs;
pub mod directory;
pub mod sqlite;

use crate::audit::{Entry, Event, Head};
use blobs::BlobId;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("a document with this edXML id from this sender exists already")]
    Duplicate,
    #[error("the delivery changed meanwhile (status is no longer {expected:?})")]
    Conflict { expected: Option<String> },
    #[error("no such delivery")]
    NoDelivery,
    #[error("stored data is corrupt: {0}")]
    Corrupt(&'static str),
    #[error("receipt signing failed: {0}")]
    Receipt(String),
    #[error("the database schema is version {found}, newer than this vanthu ({supported})")]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("no certificate with serial {0} in the registry")]
    NoCertificate(String),
    #[error("certificate {0} is already revoked")]
    AlreadyRevoked(String),
    #[error("the directory changed meanwhile (version {found:?}, expected {expected:?}); try again")]
    DirectoryChanged { expected: Option<u64>, found: Option<u64> },
    #[error("no person {0} among the signers vanthu holds keys for")]
    NoPerson(String),
    #[error("person {0} is locked after too many wrong PINs")]
    PersonLocked(String),
}

/// A document as accepted: the received bytes, the update vanthu appended
/// (its organisation signature), and what was found on arrival.
#[derive(Debug, Clone)]
pub struct DocumentRecord {
    /// vanthu's opaque id, used in URLs.
    pub id: String,
    /// `organ_id,yyyy/mm/dd,number/notation`.
    pub edxml_id: String,
    pub sender: String,
    /// The validated header, as JSON.
    pub header: String,
    pub received: BlobId,
    pub received_len: u64,
    /// The incremental update vanthu appended, if any: the delivered
    /// document is `received ‖ tail`, never a copy.
    pub tail: Option<BlobId>,
    pub delivered_sha256: String,
    pub delivered_len: u64,
    /// The verification report on arrival (JSON).
    pub report: String,
    /// Routing: resolved recipients and unresolved lines (JSON).
    pub routing: String,
    /// Attachments: `[{"name", "sha256", "size"}]` (JSON); bytes in the blob store.
    pub attachments: String,
    pub warnings: Vec<String>,
    pub business_type: String,
    /// The document a revoke/update/replace acts on (vanthu id).
    pub refers_to: Option<String>,
    pub priority: String,
    pub document_type: String,
    pub promulgation_date: String,
    pub created_at: String,
}

/// One recipient's copy of a document.
#[derive(Debug, Clone)]
pub struct DeliveryRecord {
    /// Monotonic: the inbox cursor.
    pub seq: i64,
    pub document_id: String,
    pub recipient: String,
    /// The unit the sender addressed, when it was merged into `recipient`.
    pub requested: Option<String>,
    /// edXML status code; `None` until the recipient first fetches it.
    pub status: Option<String>,
    /// Recall state: "13" requested, "15" agreed, "16" refused.
    pub recall: Option<String>,
    pub updated_at: String,
}

/// A signed receipt as stored.
#[derive(Debug, Clone)]
pub struct ReceiptRecord {
    pub document_id: String,
    pub recipient: String,
    pub status: String,
    /// The canonical JSON that was signed.
    pub content: String,
    /// CMS SignedData (DER), detached over `content`.
    pub cms: Vec<u8>,
}

/// A change of one delivery, applied only if its current state is what the
/// caller saw (compare-and-set), so two concurrent requests cannot both
/// make a transition from the same state.
#[derive(Debug, Clone)]
pub struct DeliveryUpdate {
    pub document_id: String,
    pub recipient: String,
    pub expect_status: Option<String>,
    pub expect_recall: Option<String>,
    pub status: Option<String>,
    pub recall: Option<String>,
    pub time: String,
}

/// New recipient of a new document.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub recipient: String,
    pub requested: Option<String>,
}

/// A certificate the internal CA issued, as the registry keeps it. Times
/// are RFC 3339 text (UTC), which sorts and compares as time in any SQL
/// backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertRecord {
    /// Lower-case hex, no leading zero byte (as the CA writes it).
    pub serial: String,
    /// The profile it was issued for: `client`, `server`, `tsa`,
    /// `receipts`, `organisation`, `person`.
    pub kind: String,
    /// The subject, as text (RFC 4514 order).
    pub subject: String,
    /// The issuing CA's subject, as text: which CA's CRL lists it once
    /// revoked (after a rotation, two CAs issue).
    pub issuer: String,
    /// The vanthu identity in its subjectAltName (`unit:<organ id>`,
    /// `admin:<name>`), for client certificates.
    pub identity: Option<String>,
    pub not_before: String,
    pub not_after: String,
    /// `valid` or `revoked` (expiry is a fact of `not_after`, not stored).
    pub status: String,
    pub revoked_at: Option<String>,
    /// The RFC 5280 reason name (`keyCompromise`, ...).
    pub reason: Option<String>,
}

/// A change to the certificate registry.
#[derive(Debug, Clone)]
pub enum CertChange {
    /// A newly issued certificate.
    Register(CertRecord),
    /// Revokes a valid certificate; a certificate already revoked, or not
    /// in the registry, fails the whole change.
    Revoke { serial: String, at: String, reason: String },
}

/// A new version of the directory.
#[derive(Debug, Clone)]
pub struct DirectoryWrite {
    /// The version the change was made from (`None`: the store has no
    /// directory yet); if another writer got there first, the commit fails
    /// with [`StoreError::DirectoryChanged`] and changes nothing. The new
    /// version is this one plus one (1 for the first).
    pub expect: Option<u64>,
    /// The whole directory, as `Directory::to_json` writes it.
    pub document: String,
    /// SHA-256 of `document`, lower-case hex.
    pub sha256: String,
    /// Who made it (as in the audit log).
    pub actor: String,
}

/// The directory as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDirectory {
    pub version: u64,
    /// The whole directory (JSON).
    pub document: String,
    /// SHA-256 of `document`, lower-case hex.
    pub sha256: String,
}

/// A person whose signing key vanthu holds (remote signing). The key is
/// sealed in the data directory; the PIN is kept only as its Argon2id hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRecord {
    /// vanthu's opaque id (`p-` and 16 hex digits).
    pub id: String,
    /// The organ id of the unit the person belongs to.
    pub unit: String,
    pub name: String,
    pub position: String,
    /// The person signing certificate's serial (lower-case hex, in the registry).
    pub cert_serial: String,
    /// The sealed key file and the certificate, relative to the data directory.
    pub key_file: String,
    pub cert_file: String,
    /// The PIN's Argon2id hash, as a PHC string.
    pub pin_hash: String,
    /// Wrong PINs since the last right one (attempts in flight included).
    pub failed_attempts: u32,
    /// When the person was locked (RFC 3339); `None` while usable.
    pub locked_at: Option<String>,
    pub created_at: String,
}

/// A change to the signers vanthu holds keys for.
#[derive(Debug, Clone)]
pub enum PersonChange {
    Add(PersonRecord),
    /// Counts one attempt before its PIN is checked, so parallel attempts
    /// cannot together try more than `limit` PINs: fails the change with
    /// [`StoreError::PersonLocked`] when the person is locked or has no
    /// attempt left.
    ReserveAttempt {
        id: String,
        limit: u32,
    },
    /// The PIN was right: the count starts again.
    ResetAttempts {
        id: String,
    },
    /// The PIN was wrong: the reserved attempt stays counted, and the person
    /// is locked at `at` once `limit` attempts are spent.
    LockIfSpent {
        id: String,
        limit: u32,
        at: String,
    },
    /// An administrator lifts a lock (and clears the count).
    Unlock {
        id: String,
    },
    /// A new PIN hash (clears the count; a lock stays).
    SetPin {
        id: String,
        pin_hash: String,
    },
}

/// Everything one request changes, committed at once.
#[derive(Debug, Default)]
pub struct Change {
    pub document: Option<(DocumentRecord, Vec<NewDelivery>)>,
    pub updates: Vec<DeliveryUpdate>,
    /// Certificate registry changes (administration).
    pub certificates: Vec<CertChange>,
    /// A new version of the directory (administration).
    pub directory: Option<DirectoryWrite>,
    /// Changes to the signers vanthu holds keys for.
    pub persons: Vec<PersonChange>,
    pub events: Vec<Event>,
}

/// Inbox filters and paging.
#[derive(Debug, Clone, Default)]
pub struct InboxQuery {
    /// Only deliveries after this cursor (a [`DeliveryRecord::seq`]).
    pub after: Option<i64>,
    pub limit: u32,
    /// `Some(None)` matches deliveries not yet fetched.
    pub status: Option<Option<String>>,
    pub priority: Option<String>,
    pub document_type: Option<String>,
    /// Promulgation date range, inclusive, YYYY-MM-DD.
    pub date_from: Option<String>,
    pub date_to: Option<String>,
}

/// Produces the receipts of a change once its audit entries are linked
/// (receipts carry the audit head), inside the change's transaction.
pub type ReceiptMaker<'a> = &'a (dyn Fn(&Head) -> Result<Vec<ReceiptRecord>, StoreError> + Sync);

/// What the exchange needs from storage.
pub trait Store: Send + Sync + 'static {
    /// Commits `change` atomically: the document and its deliveries, the
    /// delivery updates (each a compare-and-set), the audit entries linked
    /// to the chain, and the receipts made by `receipts` from the new head.
    fn commit(&self, change: Change, receipts: ReceiptMaker<'_>) -> Result<Head, StoreError>;
    fn document(&self, id: &str) -> Result<Option<DocumentRecord>, StoreError>;
    fn document_by_edxml(&self, sender: &str, edxml_id: &str) -> Result<Option<DocumentRecord>, StoreError>;
    /// Any sender's document with this edXML id (for business types that refer to one).
    fn documents_by_edxml(&self, edxml_id: &str) -> Result<Vec<DocumentRecord>, StoreError>;
    fn deliveries(&self, document_id: &str) -> Result<Vec<DeliveryRecord>, StoreError>;
    fn delivery(&self, document_id: &str, recipient: &str) -> Result<Option<DeliveryRecord>, StoreError>;
    /// A recipient's deliveries (not recalled-and-agreed), oldest first after the cursor.
    fn inbox(&self, recipient: &str, q: &InboxQuery) -> Result<Vec<(DeliveryRecord, DocumentRecord)>, StoreError>;
    /// A sender's documents, newest first; `before` is a creation cursor (rowid).
    fn outbox(&self, sender: &str, before: Option<i64>, limit: u32) -> Result<Vec<(i64, DocumentRecord)>, StoreError>;
    fn receipts(&self, document_id: &str) -> Result<Vec<ReceiptRecord>, StoreError>;
    /// Audit entries with `seq > after`, in order, at most `limit`.
    fn audit_entries(&self, after: u64, limit: u32) -> Result<Vec<Entry>, StoreError>;
    fn audit_head(&self) -> Result<Head, StoreError>;
    /// Counts for the metrics: documents by verification result, deliveries by status.
    fn counts(&self) -> Result<Counts, StoreError>;
    /// Every registered certificate, oldest first.
    fn certificates(&self) -> Result<Vec<CertRecord>, StoreError>;
    /// One registered certificate by serial (lower-case hex).
    fn certificate(&self, serial: &str) -> Result<Option<CertRecord>, StoreError>;
    /// The current directory, `None` before it was first stored.
    fn directory(&self) -> Result<Option<StoredDirectory>, StoreError>;
    /// The current directory's version alone: cheap enough to poll every
    /// second, so every gateway instance on one store sees a change.
    fn directory_version(&self) -> Result<Option<u64>, StoreError>;
    /// The signers vanthu holds keys for, oldest first; of one unit if given.
    fn persons(&self, unit: Option<&str>) -> Result<Vec<PersonRecord>, StoreError>;
    /// One signer by id.
    fn person(&self, id: &str) -> Result<Option<PersonRecord>, StoreError>;
}

/// Totals the metrics endpoint reports.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub documents: u64,
    /// (status or "sent", count)
    pub deliveries_by_status: Vec<(String, u64)>,
}

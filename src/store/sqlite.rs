//! The embedded default store: one SQLite database in the data directory.
//!
//! WAL mode with `synchronous=FULL`: a commit is on disk before the HTTP
//! answer that reports it. One writing connection behind a mutex (SQLite
//! has one writer anyway) and a few read-only connections beside it, so an
//! inbox listing never waits behind an intake's commit: WAL readers see the
//! last committed state without blocking the writer. Migrations are numbered
//! and applied in order at open (`PRAGMA user_version`).

use super::{
    CertChange, CertRecord, Change, Counts, DeliveryRecord, DirectoryWrite, DocumentRecord, InboxQuery, PersonChange,
    PersonRecord, ReceiptMaker, ReceiptRecord, Store, StoreError, StoredDirectory, blobs::BlobId,
};
use crate::audit::{Chain, Entry, Hash, Head};
use rusqlite::{Connection, OptionalExtension, Row, params};
use std::path::Path;
use std::sync::Mutex;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The schema, one numbered migration per entry; never edit a released
/// one. Numbers are taken by the change that needs them, so a number can be
/// missing here while another branch owns it: the runner records each
/// migration it applies (`schema_migrations`) and applies the missing ones
/// whenever they arrive, not only those above the highest applied.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        r#"
CREATE TABLE documents (
    rowid_ INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    edxml_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    header TEXT NOT NULL,
    received TEXT NOT NULL,
    received_len INTEGER NOT NULL,
    tail TEXT,
    delivered_sha256 TEXT NOT NULL,
    delivered_len INTEGER NOT NULL,
    report TEXT NOT NULL,
    routing TEXT NOT NULL,
    attachments TEXT NOT NULL,
    warnings TEXT NOT NULL,
    business_type TEXT NOT NULL,
    refers_to TEXT,
    priority TEXT NOT NULL,
    document_type TEXT NOT NULL,
    promulgation_date TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (sender, edxml_id)
);
CREATE INDEX documents_edxml ON documents (edxml_id);
CREATE TABLE deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id TEXT NOT NULL REFERENCES documents (id),
    recipient TEXT NOT NULL,
    requested TEXT,
    status TEXT,
    recall TEXT,
    updated_at TEXT NOT NULL,
    UNIQUE (document_id, recipient)
);
CREATE INDEX deliveries_recipient ON deliveries (recipient, seq);
CREATE TABLE receipts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    status TEXT NOT NULL,
    content TEXT NOT NULL,
    cms BLOB NOT NULL
);
CREATE INDEX receipts_document ON receipts (document_id, id);
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    document TEXT,
    detail TEXT NOT NULL,
    prev TEXT NOT NULL,
    hash TEXT NOT NULL
);
"#,
    ),
    (
        2,
        r#"
CREATE TABLE certificates (
    serial TEXT NOT NULL PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    issuer TEXT NOT NULL,
    identity TEXT,
    not_before TEXT NOT NULL,
    not_after TEXT NOT NULL,
    status TEXT NOT NULL,
    revoked_at TEXT,
    reason TEXT,
    issued_seq INTEGER NOT NULL
);
CREATE INDEX certificates_not_after ON certificates (not_after);
"#,
    ),
    (
        3,
        // 3: the directory. One row per version, each the whole directory as
        // JSON: it is checked and indexed as a whole (cycles, ambiguous names),
        // so every reader wants all of it; a change is one insert, and an
        // export is the stored text byte for byte.
        r#"
CREATE TABLE directory_versions (
    version INTEGER NOT NULL PRIMARY KEY,
    document TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    actor TEXT NOT NULL,
    created_at TEXT NOT NULL
);
"#,
    ),
    (
        4,
        r#"
CREATE TABLE persons (
    id TEXT NOT NULL PRIMARY KEY,
    unit TEXT NOT NULL,
    name TEXT NOT NULL,
    position TEXT NOT NULL,
    cert_serial TEXT NOT NULL,
    key_file TEXT NOT NULL,
    cert_file TEXT NOT NULL,
    pin_hash TEXT NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_at TEXT,
    created_at TEXT NOT NULL,
    added_seq INTEGER NOT NULL
);
CREATE INDEX persons_unit ON persons (unit, added_seq);
"#,
    ),
];

/// Applies the migrations `conn` lacks, each in its own transaction with
/// its record. A database from before `schema_migrations` existed had its
/// migrations applied in order up to `user_version`: those are recorded
/// first. `user_version` keeps the highest number applied, so an older
/// vanthu still sees a newer schema and refuses it.
fn migrate(conn: &Connection, migrations: &[(i64, &str)]) -> Result<(), StoreError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = migrations.iter().map(|(n, _)| *n).max().unwrap_or(0);
    if version > known {
        return Err(StoreError::SchemaTooNew { found: version, supported: known });
    }
    let tx = conn.unchecked_transaction()?;
    let fresh: i64 = tx.query_row(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
        [],
        |r| r.get(0),
    )?;
    if fresh == 0 {
        tx.execute_batch(
            "CREATE TABLE schema_migrations (number INTEGER NOT NULL PRIMARY KEY, applied_at TEXT NOT NULL)",
        )?;
        for n in 1..=version {
            tx.execute("INSERT INTO schema_migrations (number, applied_at) VALUES (?1, ?2)", params![n, now_text()])?;
        }
    }
    tx.commit()?;
    let applied: Vec<i64> = {
        let mut stmt = conn.prepare("SELECT number FROM schema_migrations")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    if let Some(&unknown) = applied.iter().find(|n| !migrations.iter().any(|(m, _)| m == *n)) {
        return Err(StoreError::SchemaTooNew { found: unknown, supported: known });
    }
    let mut missing: Vec<&(i64, &str)> = migrations.iter().filter(|(n, _)| !applied.contains(n)).collect();
    missing.sort_by_key(|(n, _)| *n);
    for (n, sql) in missing {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.execute("INSERT INTO schema_migrations (number, applied_at) VALUES (?1, ?2)", params![n, now_text()])?;
        let top: i64 = tx.query_row("SELECT MAX(number) FROM schema_migrations", [], |r| r.get(0))?;
        tx.pragma_update(None, "user_version", top)?;
        tx.commit()?;
    }
    Ok(())
}

pub struct SqliteStore {
    conn: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: std::sync::atomic::AtomicUsize,
}

/// Read-only connections kept open beside the writer.
const READERS: usize = 4;

fn now_text() -> String {
    OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default()
}

impl SqliteStore {
    /// Opens (creating and migrating) the database at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrate(&conn, MIGRATIONS)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let r = Connection::open_with_flags(
                path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            r.busy_timeout(std::time::Duration::from_secs(10))?;
            readers.push(Mutex::new(r));
        }
        Ok(SqliteStore { conn: Mutex::new(conn), readers, next_reader: std::sync::atomic::AtomicUsize::new(0) })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-done transaction
        // (rusqlite rolls back on drop), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A read-only connection: the first free one, else the next in turn.
    fn read(&self) -> std::sync::MutexGuard<'_, Connection> {
        for r in &self.readers {
            if let Ok(g) = r.try_lock() {
                return g;
            }
        }
        let i = self.next_reader.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match self.readers.get(i % self.readers.len().max(1)) {
            Some(r) => r.lock().unwrap_or_else(|p| p.into_inner()),
            None => self.lock(),
        }
    }
}

const DOC_COLUMNS: &str = "id, edxml_id, sender, header, received, received_len, tail, delivered_sha256, \
     delivered_len, report, routing, attachments, warnings, business_type, refers_to, priority, document_type, \
     promulgation_date, created_at";

fn doc_from_row(r: &Row<'_>, base: usize) -> rusqlite::Result<DocumentRecord> {
    let blob = |i: usize| -> rusqlite::Result<BlobId> {
        let s: String = r.get(base + i)?;
        BlobId::try_from(s)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into()))
    };
    let tail: Option<String> = r.get(base + 6)?;
    let warnings: String = r.get(base + 12)?;
    Ok(DocumentRecord {
        id: r.get(base)?,
        edxml_id: r.get(base + 1)?,
        sender: r.get(base + 2)?,
        header: r.get(base + 3)?,
        received: blob(4)?,
        received_len: r.get::<_, i64>(base + 5)?.max(0) as u64,
        tail: match tail {
            Some(t) => Some(
                BlobId::try_from(t)
                    .map_err(|e| rusqlite::Error::FromSqlConversionFailure(6, rusqlite::types::Type::Text, e.into()))?,
            ),
            None => None,
        },
        delivered_sha256: r.get(base + 7)?,
        delivered_len: r.get::<_, i64>(base + 8)?.max(0) as u64,
        report: r.get(base + 9)?,
        routing: r.get(base + 10)?,
        attachments: r.get(base + 11)?,
        warnings: serde_json::from_str(&warnings).unwrap_or_default(),
        business_type: r.get(base + 13)?,
        refers_to: r.get(base + 14)?,
        priority: r.get(base + 15)?,
        document_type: r.get(base + 16)?,
        promulgation_date: r.get(base + 17)?,
        created_at: r.get(base + 18)?,
    })
}

const DELIVERY_COLUMNS: &str = "seq, document_id, recipient, requested, status, recall, updated_at";

fn delivery_from_row(r: &Row<'_>) -> rusqlite::Result<DeliveryRecord> {
    Ok(DeliveryRecord {
        seq: r.get(0)?,
        document_id: r.get(1)?,
        recipient: r.get(2)?,
        requested: r.get(3)?,
        status: r.get(4)?,
        recall: r.get(5)?,
        updated_at: r.get(6)?,
    })
}

fn head_of(conn: &Connection) -> Result<Head, StoreError> {
    let row: Option<(i64, String)> = conn
        .query_row("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match row {
        None => Ok(Head::GENESIS),
        Some((seq, hash)) => Ok(Head {
            seq: u64::try_from(seq).map_err(|_| StoreError::Corrupt("audit sequence"))?,
            hash: hash.parse::<Hash>().map_err(|_| StoreError::Corrupt("audit hash"))?,
        }),
    }
}

const CERT_COLUMNS: &str = "serial, kind, subject, issuer, identity, not_before, not_after, status, revoked_at, reason";

fn cert_from_row(r: &Row<'_>) -> rusqlite::Result<CertRecord> {
    Ok(CertRecord {
        serial: r.get(0)?,
        kind: r.get(1)?,
        subject: r.get(2)?,
        issuer: r.get(3)?,
        identity: r.get(4)?,
        not_before: r.get(5)?,
        not_after: r.get(6)?,
        status: r.get(7)?,
        revoked_at: r.get(8)?,
        reason: r.get(9)?,
    })
}

fn apply_certificate(tx: &rusqlite::Transaction<'_>, c: &CertChange) -> Result<(), StoreError> {
    match c {
        CertChange::Register(r) => {
            // Registration order without AUTOINCREMENT (portable): one more
            // than the largest so far, inside the writer's transaction.
            tx.execute(
                &format!(
                    "INSERT INTO certificates ({CERT_COLUMNS}, issued_seq) \
                     SELECT ?1,?2,?3,?4,?5,?6,?7,?8,?9,?10, COALESCE(MAX(issued_seq), 0) + 1 FROM certificates"
                ),
                params![
                    r.serial,
                    r.kind,
                    r.subject,
                    r.issuer,
                    r.identity,
                    r.not_before,
                    r.not_after,
                    r.status,
                    r.revoked_at,
                    r.reason
                ],
            )?;
        }
        CertChange::Revoke { serial, at, reason } => {
            // Compare-and-set on the status: two revocations of one
            // certificate cannot both succeed (and re-date the first).
            let n = tx.execute(
                "UPDATE certificates SET status = 'revoked', revoked_at = ?1, reason = ?2 \
                 WHERE serial = ?3 AND status = 'valid'",
                params![at, reason, serial],
            )?;
            if n == 0 {
                let exists: Option<String> = tx
                    .query_row("SELECT status FROM certificates WHERE serial = ?1", [serial], |r| r.get(0))
                    .optional()?;
                return Err(match exists {
                    Some(_) => StoreError::AlreadyRevoked(serial.clone()),
                    None => StoreError::NoCertificate(serial.clone()),
                });
            }
        }
    }
    Ok(())
}

/// Directory versions kept besides the current one (older ones are
/// deleted in the commit that adds a new one): enough to look back at
/// recent changes, bounded however often the directory changes. What each
/// change did stays in the audit log.
const DIRECTORY_VERSIONS_KEPT: i64 = 50;

fn directory_version_of(conn: &Connection) -> Result<Option<u64>, StoreError> {
    let v: Option<i64> = conn.query_row("SELECT MAX(version) FROM directory_versions", [], |r| r.get(0))?;
    v.map(|v| u64::try_from(v).map_err(|_| StoreError::Corrupt("directory version"))).transpose()
}

fn write_directory(tx: &rusqlite::Transaction<'_>, w: &DirectoryWrite) -> Result<(), StoreError> {
    // Compare-and-set on the version: two writers that read the same
    // version cannot both write the next one (the loser re-reads).
    let found = directory_version_of(tx)?;
    if found != w.expect {
        return Err(StoreError::DirectoryChanged { expected: w.expect, found });
    }
    let version = w.expect.map_or(Some(1), |v| v.checked_add(1)).ok_or(StoreError::Corrupt("directory version"))?;
    let version = i64::try_from(version).map_err(|_| StoreError::Corrupt("directory version"))?;
    tx.execute(
        "INSERT INTO directory_versions (version, document, sha256, actor, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![version, w.document, w.sha256, w.actor, now_text()],
    )?;
    tx.execute(
        "DELETE FROM directory_versions WHERE version <= ?1",
        params![version.saturating_sub(DIRECTORY_VERSIONS_KEPT)],
    )?;
    Ok(())
}

const PERSON_COLUMNS: &str = "id, unit, name, position, cert_serial, key_file, cert_file, pin_hash, \
     failed_attempts, locked_at, created_at";

fn person_from_row(r: &Row<'_>) -> rusqlite::Result<PersonRecord> {
    Ok(PersonRecord {
        id: r.get(0)?,
        unit: r.get(1)?,
        name: r.get(2)?,
        position: r.get(3)?,
        cert_serial: r.get(4)?,
        key_file: r.get(5)?,
        cert_file: r.get(6)?,
        pin_hash: r.get(7)?,
        failed_attempts: u32::try_from(r.get::<_, i64>(8)?).unwrap_or(u32::MAX),
        locked_at: r.get(9)?,
        created_at: r.get(10)?,
    })
}

fn apply_person(tx: &rusqlite::Transaction<'_>, c: &PersonChange) -> Result<(), StoreError> {
    let touched = |n: usize, id: &str| if n == 0 { Err(StoreError::NoPerson(id.to_string())) } else { Ok(()) };
    match c {
        PersonChange::Add(p) => {
            tx.execute(
                &format!(
                    "INSERT INTO persons ({PERSON_COLUMNS}, added_seq) \
                     SELECT ?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11, COALESCE(MAX(added_seq), 0) + 1 FROM persons"
                ),
                params![
                    p.id,
                    p.unit,
                    p.name,
                    p.position,
                    p.cert_serial,
                    p.key_file,
                    p.cert_file,
                    p.pin_hash,
                    i64::from(p.failed_attempts),
                    p.locked_at,
                    p.created_at
                ],
            )?;
        }
        PersonChange::ReserveAttempt { id, limit } => {
            // Compare-and-set: only an unlocked person with an attempt left.
            let n = tx.execute(
                "UPDATE persons SET failed_attempts = failed_attempts + 1 \
                 WHERE id = ?1 AND locked_at IS NULL AND failed_attempts < ?2",
                params![id, i64::from(*limit)],
            )?;
            if n == 0 {
                let exists: Option<i64> =
                    tx.query_row("SELECT 1 FROM persons WHERE id = ?1", [id], |r| r.get(0)).optional()?;
                return Err(match exists {
                    Some(_) => StoreError::PersonLocked(id.clone()),
                    None => StoreError::NoPerson(id.clone()),
                });
            }
        }
        PersonChange::ResetAttempts { id } => {
            touched(tx.execute("UPDATE persons SET failed_attempts = 0 WHERE id = ?1", [id])?, id)?;
        }
        PersonChange::LockIfSpent { id, limit, at } => {
            tx.execute(
                "UPDATE persons SET locked_at = ?1 WHERE id = ?2 AND locked_at IS NULL AND failed_attempts >= ?3",
                params![at, id, i64::from(*limit)],
            )?;
        }
        PersonChange::Unlock { id } => {
            touched(tx.execute("UPDATE persons SET failed_attempts = 0, locked_at = NULL WHERE id = ?1", [id])?, id)?;
        }
        PersonChange::SetPin { id, pin_hash } => {
            touched(
                tx.execute(
                    "UPDATE persons SET pin_hash = ?1, failed_attempts = 0 WHERE id = ?2",
                    params![pin_hash, id],
                )?,
                id,
            )?;
        }
    }
    Ok(())
}

impl Store for SqliteStore {
    fn commit(&self, change: Change, receipts: ReceiptMaker<'_>) -> Result<Head, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        if let Some((d, deliveries)) = &change.document {
            let inserted = tx.execute(
                &format!("INSERT INTO documents ({DOC_COLUMNS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19) ON CONFLICT (sender, edxml_id) DO NOTHING"),
                params![
                    d.id,
                    d.edxml_id,
                    d.sender,
                    d.header,
                    d.received.as_str(),
                    d.received_len as i64,
                    d.tail.as_ref().map(BlobId::as_str),
                    d.delivered_sha256,
                    d.delivered_len as i64,
                    d.report,
                    d.routing,
                    d.attachments,
                    serde_json::to_string(&d.warnings).unwrap_or_else(|_| "[]".into()),
                    d.business_type,
                    d.refers_to,
                    d.priority,
                    d.document_type,
                    d.promulgation_date,
                    d.created_at,
                ],
            )?;
            if inserted == 0 {
                return Err(StoreError::Duplicate);
            }
            let mut stmt = tx.prepare(
                "INSERT INTO deliveries (document_id, recipient, requested, status, recall, updated_at) VALUES (?1, ?2, ?3, NULL, NULL, ?4)",
            )?;
            for nd in deliveries {
                stmt.execute(params![d.id, nd.recipient, nd.requested, d.created_at])?;
            }
        }
        for u in &change.updates {
            let n = tx.execute(
                "UPDATE deliveries SET status = ?1, recall = ?2, updated_at = ?3 \
                 WHERE document_id = ?4 AND recipient = ?5 AND status IS ?6 AND recall IS ?7",
                params![u.status, u.recall, u.time, u.document_id, u.recipient, u.expect_status, u.expect_recall],
            )?;
            if n == 0 {
                let exists: Option<i64> = tx
                    .query_row(
                        "SELECT seq FROM deliveries WHERE document_id = ?1 AND recipient = ?2",
                        params![u.document_id, u.recipient],
                        |r| r.get(0),
                    )
                    .optional()?;
                return Err(if exists.is_some() {
                    StoreError::Conflict { expected: u.expect_status.clone() }
                } else {
                    StoreError::NoDelivery
                });
            }
        }
        for c in &change.certificates {
            apply_certificate(&tx, c)?;
        }
        if let Some(w) = &change.directory {
            write_directory(&tx, w)?;
        }
        for p in &change.persons {
            apply_person(&tx, p)?;
        }
        let mut chain = Chain::new(head_of(&tx)?);
        {
            let mut stmt = tx.prepare(
                "INSERT INTO audit (seq, time, actor, action, document, detail, prev, hash) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
            )?;
            for e in change.events {
                let entry = chain.append(e).map_err(|_| StoreError::Corrupt("audit sequence exhausted"))?;
                stmt.execute(params![
                    i64::try_from(entry.seq).map_err(|_| StoreError::Corrupt("audit sequence"))?,
                    entry.time.format(&Rfc3339).unwrap_or_default(),
                    entry.actor,
                    entry.action.as_str(),
                    entry.document,
                    entry.detail.to_string(),
                    entry.prev.to_string(),
                    entry.hash.to_string(),
                ])?;
            }
        }
        let head = chain.head();
        let made = receipts(&head)?;
        {
            let mut stmt = tx.prepare(
                "INSERT INTO receipts (document_id, recipient, status, content, cms) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for r in made {
                stmt.execute(params![r.document_id, r.recipient, r.status, r.content, r.cms])?;
            }
        }
        tx.commit()?;
        Ok(head)
    }

    fn document(&self, id: &str) -> Result<Option<DocumentRecord>, StoreError> {
        let conn = self.read();
        Ok(conn
            .query_row(&format!("SELECT {DOC_COLUMNS} FROM documents WHERE id = ?1"), [id], |r| doc_from_row(r, 0))
            .optional()?)
    }

    fn document_by_edxml(&self, sender: &str, edxml_id: &str) -> Result<Option<DocumentRecord>, StoreError> {
        let conn = self.read();
        Ok(conn
            .query_row(
                &format!("SELECT {DOC_COLUMNS} FROM documents WHERE sender = ?1 AND edxml_id = ?2"),
                [sender, edxml_id],
                |r| doc_from_row(r, 0),
            )
            .optional()?)
    }

    fn documents_by_edxml(&self, edxml_id: &str) -> Result<Vec<DocumentRecord>, StoreError> {
        let conn = self.read();
        let mut stmt = conn.prepare(&format!("SELECT {DOC_COLUMNS} FROM documents WHERE edxml_id = ?1 LIMIT 10"))?;
        let rows = stmt.query_map([edxml_id], |r| doc_from_row(r, 0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn deliveries(&self, document_id: &str) -> Result<Vec<DeliveryRecord>, StoreError> {
        let conn = self.read();
        let mut stmt =
            conn.prepare(&format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE document_id = ?1 ORDER BY seq"))?;
        let rows = stmt.query_map([document_id], delivery_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn delivery(&self, document_id: &str, recipient: &str) -> Result<Option<DeliveryRecord>, StoreError> {
        let conn = self.read();
        Ok(conn
            .query_row(
                &format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE document_id = ?1 AND recipient = ?2"),
                [document_id, recipient],
                delivery_from_row,
            )
            .optional()?)
    }

    fn inbox(&self, recipient: &str, q: &InboxQuery) -> Result<Vec<(DeliveryRecord, DocumentRecord)>, StoreError> {
        let conn = self.read();
        let mut sql = format!(
            "SELECT d.seq, d.document_id, d.recipient, d.requested, d.status, d.recall, d.updated_at, {} \
             FROM deliveries d JOIN documents m ON m.id = d.document_id \
             WHERE d.recipient = ?1 AND d.seq > ?2 AND (d.recall IS NULL OR d.recall <> '15')",
            DOC_COLUMNS.split(", ").map(|c| format!("m.{c}")).collect::<Vec<_>>().join(", ")
        );
        let mut args: Vec<Box<dyn rusqlite::ToSql>> =
            vec![Box::new(recipient.to_string()), Box::new(q.after.unwrap_or(0))];
        match &q.status {
            Some(None) => sql.push_str(" AND d.status IS NULL"),
            Some(Some(s)) => {
                args.push(Box::new(s.clone()));
                sql.push_str(&format!(" AND d.status = ?{}", args.len()));
            }
            None => {}
        }
        for (value, column, op) in [
            (&q.priority, "m.priority", "="),
            (&q.document_type, "m.document_type", "="),
            (&q.date_from, "m.promulgation_date", ">="),
            (&q.date_to, "m.promulgation_date", "<="),
        ] {
            if let Some(v) = value {
                args.push(Box::new(v.clone()));
                sql.push_str(&format!(" AND {column} {op} ?{}", args.len()));
            }
        }
        args.push(Box::new(i64::from(q.limit.clamp(1, 500))));
        sql.push_str(&format!(" ORDER BY d.seq LIMIT ?{}", args.len()));
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args.iter().map(|a| a.as_ref())), |r| {
            Ok((delivery_from_row(r)?, doc_from_row(r, 7)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn outbox(&self, sender: &str, before: Option<i64>, limit: u32) -> Result<Vec<(i64, DocumentRecord)>, StoreError> {
        let conn = self.read();
        let mut stmt = conn.prepare(&format!(
            "SELECT rowid_, {DOC_COLUMNS} FROM documents WHERE sender = ?1 AND rowid_ < ?2 ORDER BY rowid_ DESC LIMIT ?3"
        ))?;
        let rows = stmt
            .query_map(params![sender, before.unwrap_or(i64::MAX), i64::from(limit.clamp(1, 500))], |r| {
                Ok((r.get(0)?, doc_from_row(r, 1)?))
            })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn receipts(&self, document_id: &str) -> Result<Vec<ReceiptRecord>, StoreError> {
        let conn = self.read();
        let mut stmt = conn.prepare(
            "SELECT document_id, recipient, status, content, cms FROM receipts WHERE document_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([document_id], |r| {
            Ok(ReceiptRecord {
                document_id: r.get(0)?,
                recipient: r.get(1)?,
                status: r.get(2)?,
                content: r.get(3)?,
                cms: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn audit_entries(&self, after: u64, limit: u32) -> Result<Vec<Entry>, StoreError> {
        let conn = self.read();
        let mut stmt = conn.prepare(
            "SELECT seq, time, actor, action, document, detail, prev, hash FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![i64::try_from(after).unwrap_or(i64::MAX), i64::from(limit)], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, time, actor, action, document, detail, prev, hash) = row?;
            out.push(Entry {
                seq: u64::try_from(seq).map_err(|_| StoreError::Corrupt("audit sequence"))?,
                time: OffsetDateTime::parse(&time, &Rfc3339).map_err(|_| StoreError::Corrupt("audit time"))?,
                actor,
                action: action.parse().map_err(|_| StoreError::Corrupt("audit action"))?,
                document,
                detail: serde_json::from_str(&detail).map_err(|_| StoreError::Corrupt("audit detail"))?,
                prev: prev.parse().map_err(|_| StoreError::Corrupt("audit prev"))?,
                hash: hash.parse().map_err(|_| StoreError::Corrupt("audit hash"))?,
            });
        }
        Ok(out)
    }

    fn audit_head(&self) -> Result<Head, StoreError> {
        head_of(&self.read())
    }

    fn certificates(&self) -> Result<Vec<CertRecord>, StoreError> {
        let conn = self.read();
        let mut stmt = conn.prepare(&format!("SELECT {CERT_COLUMNS} FROM certificates ORDER BY issued_seq"))?;
        let rows = stmt.query_map([], cert_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn certificate(&self, serial: &str) -> Result<Option<CertRecord>, StoreError> {
        let conn = self.read();
        Ok(conn
            .query_row(&format!("SELECT {CERT_COLUMNS} FROM certificates WHERE serial = ?1"), [serial], cert_from_row)
            .optional()?)
    }

    fn directory(&self) -> Result<Option<StoredDirectory>, StoreError> {
        let conn = self.read();
        let row: Option<(i64, String, String)> = conn
            .query_row(
                "SELECT version, document, sha256 FROM directory_versions ORDER BY version DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        row.map(|(version, document, sha256)| {
            Ok(StoredDirectory {
                version: u64::try_from(version).map_err(|_| StoreError::Corrupt("directory version"))?,
                document,
                sha256,
            })
        })
        .transpose()
    }

    fn directory_version(&self) -> Result<Option<u64>, StoreError> {
        directory_version_of(&self.read())
    }

    fn persons(&self, unit: Option<&str>) -> Result<Vec<PersonRecord>, StoreError> {
        let conn = self.read();
        let mut stmt = conn.prepare(&format!(
            "SELECT {PERSON_COLUMNS} FROM persons WHERE ?1 IS NULL OR unit = ?1 ORDER BY added_seq"
        ))?;
        let rows = stmt.query_map([unit], person_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn person(&self, id: &str) -> Result<Option<PersonRecord>, StoreError> {
        let conn = self.read();
        Ok(conn
            .query_row(&format!("SELECT {PERSON_COLUMNS} FROM persons WHERE id = ?1"), [id], person_from_row)
            .optional()?)
    }

    fn counts(&self) -> Result<Counts, StoreError> {
        let conn = self.read();
        let documents: i64 = conn.query_row("SELECT COUNT(*) FROM documents", [], |r| r.get(0))?;
        let mut stmt = conn.prepare("SELECT COALESCE(status, 'sent'), COUNT(*) FROM deliveries GROUP BY status")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64)))?;
        Ok(Counts { documents: documents.max(0) as u64, deliveries_by_status: rows.collect::<Result<_, _>>()? })
    }
}

/// The current time as stored (RFC 3339, UTC).
pub fn timestamp() -> String {
    now_text()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(conn: &Connection) -> Vec<String> {
        let mut stmt = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
    }

    #[test]
    fn a_migration_number_arriving_later_is_still_applied() {
        let conn = Connection::open_in_memory().unwrap();
        // A database of the old runner: migrations 1 and 2, by user_version only.
        conn.execute_batch("CREATE TABLE one (x INTEGER); CREATE TABLE two (x INTEGER); PRAGMA user_version = 2;")
            .unwrap();
        let with_gap: &[(i64, &str)] = &[
            (1, "CREATE TABLE one (x INTEGER)"),
            (2, "CREATE TABLE two (x INTEGER)"),
            (4, "CREATE TABLE four (x INTEGER)"),
        ];
        migrate(&conn, with_gap).unwrap();
        assert!(tables(&conn).contains(&"four".to_string()));
        let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(v, 4);
        // Number 3 lands later (another branch): applied although 4 is.
        let filled: &[(i64, &str)] = &[
            (1, "CREATE TABLE one (x INTEGER)"),
            (2, "CREATE TABLE two (x INTEGER)"),
            (3, "CREATE TABLE three (x INTEGER)"),
            (4, "CREATE TABLE four (x INTEGER)"),
        ];
        migrate(&conn, filled).unwrap();
        assert!(tables(&conn).contains(&"three".to_string()));
        migrate(&conn, filled).unwrap(); // nothing twice
        // A database that has a migration this build does not know is refused.
        assert!(matches!(migrate(&conn, with_gap), Err(StoreError::SchemaTooNew { found: 3, .. })));
    }
}

//! The hash-chained audit log: every event of the gateway (a submission, a
//! verification result, a seal, a delivery, a fetch, a status change, a
//! recall, an administrator's action) as an append-only chain of entries.
//!
//! Each [`Entry`] carries the hash of the one before it (`prev`) and its own
//! hash over its fields and `prev`, so editing, deleting or reordering an
//! entry breaks the chain at a place [`verify`] names. This module is pure:
//! the store persists entries as rows with exactly these fields and hands
//! them back in `seq` order; [`Chain`] only computes the next entry.
//!
//! What a hash chain can and cannot prove: anyone with write access to the
//! store can rewrite every entry from an edited one onwards and recompute all
//! the hashes, and the result is a consistent chain. What exposes that
//! rewrite is a [`Head`] held outside the store: every signed receipt records
//! the head at its moment, and [`verify_against`] checks that the log still
//! contains exactly that entry. A unit holding a later receipt can therefore
//! prove the log was neither truncated nor rewritten before it.
//!
//! # Canonical bytes of an entry
//!
//! `hash = SHA-256("vanthu-audit-v1\n" || canonical JSON of the object
//! {action, actor, detail, document, prev, seq, time})`, where the canonical
//! JSON ([`canonical_json`]) has object keys sorted by their UTF-8 bytes at
//! every depth, no insignificant whitespace, strings escaped as serde_json
//! escapes them (`"`, `\` and control characters; other characters as UTF-8),
//! and numbers as serde_json prints them. The fields are: `action` the
//! snake_case name of the [`Action`], `actor` and `document` strings (or
//! `null` for no document), `detail` the event's JSON, `prev` the previous
//! hash in lowercase hex, `seq` a JSON integer, `time` the UTC time as
//! `YYYY-MM-DDTHH:MM:SS.ffffffZ` (microseconds, so a time survives a round
//! trip through PostgreSQL's `timestamptz`). JSON gives every field an
//! unambiguous boundary; the prefix keeps these hashes apart from any other
//! SHA-256 of JSON the gateway computes.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;
use std::str::FromStr;
use thiserror::Error;
use time::OffsetDateTime;

/// Domain-separation prefix of the hashed bytes; bump the version if the
/// encoding ever changes (old entries keep verifying under the old one).
const DOMAIN: &[u8] = b"vanthu-audit-v1\n";

/// What happened. Stored and hashed by its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A unit submitted a document.
    Submit,
    /// The result of verifying a submitted document's signatures.
    Verify,
    /// vanthu applied an organisation's signature.
    Seal,
    /// A document was delivered to a recipient's inbox.
    Deliver,
    /// A recipient fetched a document.
    Fetch,
    /// A recipient reported a status (02..06, 15, 16).
    Status,
    /// A sender recalled a document (13).
    Recall,
    /// An administrator changed something (units, certificates, keys).
    Admin,
    /// A person's signature by vanthu with their held key: every attempt,
    /// signed or refused (wrong PIN, locked), without the PIN.
    Sign,
    /// vanthu itself did something on its own (start, initialisation).
    System,
}

impl Action {
    /// Every action, in declaration order (the table the names come from).
    pub const ALL: [Action; 10] = [
        Action::Submit,
        Action::Verify,
        Action::Seal,
        Action::Deliver,
        Action::Fetch,
        Action::Status,
        Action::Recall,
        Action::Admin,
        Action::System,
        Action::Sign,
    ];

    /// The stored (and hashed) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::Verify => "verify",
            Action::Seal => "seal",
            Action::Deliver => "deliver",
            Action::Fetch => "fetch",
            Action::Status => "status",
            Action::Recall => "recall",
            Action::Admin => "admin",
            Action::System => "system",
            Action::Sign => "sign",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = AuditError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Action::ALL.into_iter().find(|a| a.as_str() == s).ok_or_else(|| AuditError::UnknownAction(s.to_string()))
    }
}

/// A SHA-256 value; shown and parsed as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The `prev` of the first entry.
    pub const ZERO: Hash = Hash([0; 32]);

    /// SHA-256 of `data`.
    pub fn of(data: &[u8]) -> Hash {
        let mut out = [0u8; 32];
        out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, data).as_ref());
        Hash(out)
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({self})")
    }
}

impl FromStr for Hash {
    type Err = AuditError;

    /// Exactly 64 lowercase hex digits: one spelling per hash, so a hash
    /// read back from a row or a receipt compares equal as text too.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || AuditError::BadHash(s.chars().take(80).collect());
        let bytes = s.as_bytes();
        if bytes.len() != 64 {
            return Err(bad());
        }
        let nibble = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        let mut out = [0u8; 32];
        for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
            let (Some(hi), Some(lo)) = (pair.first().and_then(|&c| nibble(c)), pair.get(1).and_then(|&c| nibble(c)))
            else {
                return Err(bad());
            };
            *o = (hi << 4) | lo;
        }
        Ok(Hash(out))
    }
}

impl Serialize for Hash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The last entry of a chain: its sequence number and hash. The head of an
/// empty log is [`Head::GENESIS`] (seq 0, zero hash).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// The last entry's number (0 for an empty log).
    pub seq: u64,
    /// The last entry's hash (zero for an empty log).
    pub hash: Hash,
}

impl Head {
    /// Before the first entry: the first entry has seq 1 and prev zero.
    pub const GENESIS: Head = Head { seq: 0, hash: Hash::ZERO };
}

/// Something that happened, before it has a place in the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Who: a unit's organ id, `admin:<name>` or `system`.
    pub actor: String,
    pub action: Action,
    /// vanthu's id of the document concerned, if any.
    pub document: Option<String>,
    /// Anything else worth keeping (the verification result, the status, ...).
    pub detail: Value,
    /// When it happened.
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
}

impl Event {
    /// An administrative change by `actor`, happening now, about no document.
    pub fn admin(actor: &str, detail: Value) -> Event {
        Event {
            actor: actor.to_string(),
            action: Action::Admin,
            document: None,
            detail,
            time: OffsetDateTime::now_utc(),
        }
    }
}

/// One link of the chain, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// 1 for the first entry, then consecutive.
    pub seq: u64,
    /// When it happened, to the microsecond.
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// Who: as in [`Event::actor`].
    pub actor: String,
    /// What happened.
    pub action: Action,
    /// vanthu's id of the document concerned, if any.
    pub document: Option<String>,
    /// The event's details.
    pub detail: Value,
    /// The hash of the entry before (zero for the first).
    pub prev: Hash,
    /// SHA-256 of this entry's canonical bytes.
    pub hash: Hash,
}

impl Entry {
    /// The bytes `hash` is computed over (see the module documentation).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut fields = serde_json::Map::new();
        fields.insert("action".into(), Value::String(self.action.as_str().into()));
        fields.insert("actor".into(), Value::String(self.actor.clone()));
        fields.insert("detail".into(), self.detail.clone());
        fields.insert("document".into(), self.document.clone().map_or(Value::Null, Value::String));
        fields.insert("prev".into(), Value::String(self.prev.to_string()));
        fields.insert("seq".into(), Value::from(self.seq));
        fields.insert("time".into(), Value::String(canonical_time(self.time)));
        let mut out = DOMAIN.to_vec();
        out.extend_from_slice(canonical_json(&Value::Object(fields)).as_bytes());
        out
    }

    /// The hash this entry's fields call for (compare with `hash`).
    pub fn compute_hash(&self) -> Hash {
        Hash::of(&self.canonical_bytes())
    }

    /// The head this entry makes when it is the last.
    pub fn head(&self) -> Head {
        Head { seq: self.seq, hash: self.hash }
    }
}

/// The time as hashed: UTC, microseconds, fixed width. Written by hand so it
/// cannot fail or change with a formatting library's defaults.
fn canonical_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// Canonical JSON text of a value: object keys sorted by their UTF-8 bytes
/// at every depth, no whitespace between tokens, strings with serde_json's
/// minimal escaping (non-ASCII characters kept as UTF-8), numbers as
/// serde_json prints them.
///
/// The keys are sorted here rather than trusting `serde_json::Map`'s order:
/// that order is insertion order as soon as any crate in the build enables
/// serde_json's `preserve_order` feature, and a hash must not depend on the
/// dependency graph.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        Value::String(s) => write_string(s, out),
        // Null, booleans and numbers have one compact spelling each.
        other => out.push_str(&other.to_string()),
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push_str(&Value::String(s.to_string()).to_string());
}

/// Appends events to a chain whose head is known (the store's last entry).
#[derive(Debug, Clone)]
pub struct Chain {
    head: Head,
}

impl Chain {
    /// A chain continuing after `head` ([`Head::GENESIS`] for a new log).
    pub fn new(head: Head) -> Self {
        Chain { head }
    }

    /// The head after the entries appended so far.
    pub fn head(&self) -> Head {
        self.head
    }

    /// The next entry for `event`, linked to the head, which it becomes.
    ///
    /// The time is kept to the microsecond (what the hash covers and what
    /// PostgreSQL stores), so the stored entry equals the returned one.
    pub fn append(&mut self, event: Event) -> Result<Entry, AuditError> {
        let seq = self.head.seq.checked_add(1).ok_or(AuditError::SequenceExhausted)?;
        let time = event.time.to_offset(time::UtcOffset::UTC);
        let time = time.replace_nanosecond(time.microsecond() * 1000).unwrap_or(time);
        let mut entry = Entry {
            seq,
            time,
            actor: event.actor,
            action: event.action,
            document: event.document,
            detail: event.detail,
            prev: self.head.hash,
            hash: Hash::ZERO,
        };
        entry.hash = entry.compute_hash();
        self.head = entry.head();
        Ok(entry)
    }
}

/// Why a log does not verify; `seq` is where the chain breaks.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum AuditError {
    /// The entry's content no longer matches its own hash: it was edited.
    #[error("audit entry {seq} was edited: its content does not match its hash")]
    Edited { seq: u64 },
    /// Entries are missing between two that are present (deleted).
    #[error("audit entries {expected}..{} are missing (the next entry present is {found})", found.saturating_sub(1))]
    Missing { expected: u64, found: u64 },
    /// An entry appears out of its place (swapped with a later one).
    #[error("audit entry {found} appears where entry {expected} should be: the log was reordered")]
    Reordered { expected: u64, found: u64 },
    /// An entry number goes backwards or repeats.
    #[error("audit entry {found} appears again or goes backwards after entry {previous}")]
    OutOfSequence { previous: u64, found: u64 },
    /// The entry does not link to the hash of the entry before it: something
    /// before it was replaced, or removed and the rest renumbered.
    #[error("audit entry {seq} does not link to the entry before it")]
    BrokenLink { seq: u64 },
    /// The log ends before a head known from elsewhere (a receipt).
    #[error("the audit log ends at entry {last}, before entry {known} recorded in a receipt: it was truncated")]
    Truncated { known: u64, last: u64 },
    /// The entry a known head names has another hash: the log was rewritten.
    #[error("audit entry {seq} differs from the one recorded in a receipt: the log was rewritten")]
    HeadMismatch { seq: u64 },
    /// No further sequence number exists.
    #[error("the audit log has reached the largest sequence number")]
    SequenceExhausted,
    /// A stored hash is not 64 lowercase hex digits (the text, cut to 80 characters).
    #[error("not a lowercase hex SHA-256 value: {0:?}")]
    BadHash(String),
    /// A stored action name is not one of [`Action::ALL`].
    #[error("unknown audit action {0:?}")]
    UnknownAction(String),
}

/// Verifies a whole log from its first entry; returns its head.
pub fn verify(entries: impl IntoIterator<Item = Entry>) -> Result<Head, AuditError> {
    verify_from(Head::GENESIS, entries)
}

/// Verifies entries continuing after `start` (a head already verified, or
/// [`Head::GENESIS`]); returns the new head. Streams: memory does not grow
/// with the log.
///
/// Checks, for each entry in order: its number follows the one before
/// (else [`AuditError::Missing`], [`AuditError::Reordered`] or
/// [`AuditError::OutOfSequence`]), its hash matches its content
/// ([`AuditError::Edited`]), and its `prev` is the hash of the entry before
/// ([`AuditError::BrokenLink`]).
pub fn verify_from(start: Head, entries: impl IntoIterator<Item = Entry>) -> Result<Head, AuditError> {
    let mut head = start;
    let mut it = entries.into_iter();
    while let Some(entry) = it.next() {
        let expected = head.seq.checked_add(1).ok_or(AuditError::SequenceExhausted)?;
        if entry.seq > expected {
            // A later entry where the next should be: if the expected one
            // still comes further on, the log was reordered; otherwise entries
            // are gone. (The scan ends the verification, so it runs once.)
            let found = entry.seq;
            return Err(if it.any(|e| e.seq == expected) {
                AuditError::Reordered { expected, found }
            } else {
                AuditError::Missing { expected, found }
            });
        }
        if entry.seq < expected {
            return Err(AuditError::OutOfSequence { previous: head.seq, found: entry.seq });
        }
        if entry.compute_hash() != entry.hash {
            return Err(AuditError::Edited { seq: entry.seq });
        }
        if entry.prev != head.hash {
            return Err(AuditError::BrokenLink { seq: entry.seq });
        }
        head = entry.head();
    }
    Ok(head)
}

/// [`verify`], and the log must contain `known` (a head recorded in a
/// receipt): an entry with its number and exactly its hash. Returns the
/// log's head.
pub fn verify_against(entries: impl IntoIterator<Item = Entry>, known: Head) -> Result<Head, AuditError> {
    // Entry 0 is the genesis: its only possible hash is zero.
    if known.seq == 0 && known.hash != Hash::ZERO {
        return Err(AuditError::HeadMismatch { seq: 0 });
    }
    let mut seen = known.seq == 0;
    let mut mismatch = false;
    let checked = entries.into_iter().inspect(|e| {
        if e.seq == known.seq {
            if e.hash == known.hash {
                seen = true;
            } else {
                mismatch = true;
            }
        }
    });
    let head = verify(checked);
    // A rewritten entry at the known place is reported as such even when the
    // chain itself was made consistent again.
    if mismatch {
        return Err(AuditError::HeadMismatch { seq: known.seq });
    }
    let head = head?;
    if !seen {
        return Err(AuditError::Truncated { known: known.seq, last: head.seq });
    }
    Ok(head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    fn event(i: u64) -> Event {
        Event {
            actor: if i.is_multiple_of(2) { "000.00.12.H29".into() } else { "admin:lan".into() },
            action: Action::ALL[(i as usize) % Action::ALL.len()],
            document: (!i.is_multiple_of(3)).then(|| format!("doc-{i}")),
            detail: json!({"n": i, "ghi chú": "Sở Giáo dục và Đào tạo", "z": [1, 2.5, null]}),
            time: datetime!(2026-11-30 09:00:00.123456789 +07:00) + time::Duration::seconds(i as i64),
        }
    }

    fn log(n: u64) -> Vec<Entry> {
        let mut chain = Chain::new(Head::GENESIS);
        (1..=n).map(|i| chain.append(event(i)).unwrap()).collect()
    }

    #[test]
    fn an_untouched_log_verifies_to_its_head() {
        let entries = log(6);
        assert_eq!(entries[0].prev, Hash::ZERO);
        assert_eq!(entries[0].seq, 1);
        let head = verify(entries.clone()).unwrap();
        assert_eq!(head, Head { seq: 6, hash: entries[5].hash });
        assert_eq!(verify(Vec::new()).unwrap(), Head::GENESIS);
        // A chain resumed from a stored head continues the same log.
        let mut resumed = Chain::new(entries[2].head());
        let again = resumed.append(event(4)).unwrap();
        assert_eq!(again, entries[3]);
    }

    #[test]
    fn stored_entries_round_trip_through_json_and_keep_their_hash() {
        let entries = log(3);
        let text = serde_json::to_string(&entries).unwrap();
        let back: Vec<Entry> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, entries);
        assert_eq!(verify(back).unwrap().hash, entries[2].hash);
        // Microseconds are kept, nanoseconds are not.
        assert_eq!(entries[0].time.nanosecond(), 123_456_000);
    }

    #[test]
    fn an_edited_entry_is_found_with_its_number() {
        for edit in 0..5 {
            let mut entries = log(5);
            let e = &mut entries[2];
            match edit {
                0 => e.actor.push('x'),
                1 => e.detail["n"] = json!(99),
                2 => e.document = Some("doc-other".into()),
                3 => e.time += time::Duration::microseconds(1),
                _ => e.action = Action::Recall,
            }
            assert_eq!(verify(entries), Err(AuditError::Edited { seq: 3 }), "edit {edit}");
        }
    }

    #[test]
    fn an_edited_entry_with_a_recomputed_hash_breaks_the_next_link() {
        let mut entries = log(5);
        entries[1].detail = json!({"forged": true});
        entries[1].hash = entries[1].compute_hash();
        assert_eq!(verify(entries), Err(AuditError::BrokenLink { seq: 3 }));
    }

    #[test]
    fn a_deleted_entry_is_found() {
        let mut entries = log(5);
        entries.remove(2);
        assert_eq!(verify(entries.clone()), Err(AuditError::Missing { expected: 3, found: 4 }));
        // Deleted and the rest renumbered (hashes recomputed): the link breaks.
        for e in entries.iter_mut().skip(2) {
            e.seq -= 1;
            e.hash = e.compute_hash();
        }
        assert_eq!(verify(entries), Err(AuditError::BrokenLink { seq: 3 }));
        // The first entry deleted.
        let mut entries = log(3);
        entries.remove(0);
        assert_eq!(verify(entries), Err(AuditError::Missing { expected: 1, found: 2 }));
    }

    #[test]
    fn a_reordered_entry_is_found() {
        let mut entries = log(5);
        entries.swap(1, 2);
        assert_eq!(verify(entries), Err(AuditError::Reordered { expected: 2, found: 3 }));
        let mut entries = log(6);
        entries.swap(1, 4);
        assert_eq!(verify(entries), Err(AuditError::Reordered { expected: 2, found: 5 }));
        // The last entry moved to the front.
        let mut entries = log(4);
        entries.rotate_right(1);
        assert_eq!(verify(entries), Err(AuditError::Reordered { expected: 1, found: 4 }));
        // Swapped and renumbered in place: the hash no longer matches.
        let mut entries = log(5);
        entries.swap(1, 2);
        entries[1].seq = 2;
        entries[2].seq = 3;
        assert_eq!(verify(entries), Err(AuditError::Edited { seq: 2 }));
        // An entry repeated.
        let mut entries = log(3);
        entries.insert(2, entries[1].clone());
        assert_eq!(verify(entries), Err(AuditError::OutOfSequence { previous: 2, found: 2 }));
    }

    #[test]
    fn a_receipts_head_proves_the_log_was_not_truncated_or_rewritten() {
        let entries = log(6);
        let known = entries[3].head();
        assert_eq!(verify_against(entries.clone(), known).unwrap(), entries[5].head());
        // Truncated before the receipt's entry.
        let short: Vec<Entry> = entries.iter().take(3).cloned().collect();
        assert_eq!(verify_against(short, known), Err(AuditError::Truncated { known: 4, last: 3 }));
        // Rewritten from entry 2 on: a consistent chain, but not the one the receipt saw.
        let mut forged = Chain::new(entries[0].head());
        let mut rewritten = vec![entries[0].clone()];
        for i in 2..=6 {
            let mut e = event(i);
            e.detail = json!({"rewritten": i});
            rewritten.push(forged.append(e).unwrap());
        }
        assert!(verify(rewritten.clone()).is_ok());
        assert_eq!(verify_against(rewritten, known), Err(AuditError::HeadMismatch { seq: 4 }));
        // Any head of an empty log is the genesis.
        assert_eq!(verify_against(Vec::new(), Head::GENESIS).unwrap(), Head::GENESIS);
        assert_eq!(
            verify_against(entries, Head { seq: 0, hash: Hash::of(b"x") }),
            Err(AuditError::HeadMismatch { seq: 0 })
        );
    }

    #[test]
    fn hashes_are_lowercase_hex_both_ways() {
        let h = Hash::of(b"abc");
        let text = h.to_string();
        assert_eq!(text, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(text.parse::<Hash>().unwrap(), h);
        assert!(text.to_uppercase().parse::<Hash>().is_err());
        assert!(text[..62].parse::<Hash>().is_err());
        assert!(format!("{}é", &text[..62]).parse::<Hash>().is_err());
        assert_eq!(
            serde_json::to_string(&Head::GENESIS).unwrap(),
            format!("{{\"seq\":0,\"hash\":\"{}\"}}", "0".repeat(64))
        );
    }

    #[test]
    fn canonical_bytes_are_pinned() {
        // The encoding is a format other programs may re-implement: pin it.
        let mut chain = Chain::new(Head::GENESIS);
        let e = chain
            .append(Event {
                actor: "000.00.12.H29".into(),
                action: Action::Submit,
                document: Some("d1".into()),
                detail: json!({"b": 1, "a": "Sở \"GD\"\n"}),
                time: datetime!(2026-11-30 16:05:01.5 +07:00),
            })
            .unwrap();
        let expected = format!(
            "vanthu-audit-v1\n{{\"action\":\"submit\",\"actor\":\"000.00.12.H29\",\"detail\":{{\"a\":\"Sở \\\"GD\\\"\\n\",\"b\":1}},\"document\":\"d1\",\"prev\":\"{}\",\"seq\":1,\"time\":\"2026-11-30T09:05:01.500000Z\"}}",
            "0".repeat(64)
        );
        assert_eq!(String::from_utf8(e.canonical_bytes()).unwrap(), expected);
        assert_eq!(e.hash, Hash::of(expected.as_bytes()));
    }

    #[test]
    fn actions_have_one_name_each() {
        for a in Action::ALL {
            assert_eq!(a.as_str().parse::<Action>().unwrap(), a);
            assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{}\"", a.as_str()));
        }
        assert!("Submit".parse::<Action>().is_err());
    }
}

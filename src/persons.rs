//! Signing for people: the signers whose keys vanthu holds (remote
//! signing, authorised by the unit's client certificate and the person's
//! own PIN), and deferred signing for people whose key lives in a USB
//! token (vanthu prepares, the token signs, vanthu finishes).
//!
//! # Held keys and PINs
//!
//! Adding a person issues a person signing certificate from the internal
//! CA (nonRepudiation + digitalSignature, as [`crate::admin::issue`] does)
//! with a key vanthu generates and seals at once under the master secret
//! (`pki/persons/<id>.key.pem`); the key never leaves through any API. The
//! PIN is kept only as an Argon2id hash ([`pin`]).
//!
//! Attempts are bounded per person, in the store, not in memory: each
//! attempt is counted *before* its PIN is checked (a compare-and-set that
//! refuses a locked person or one with no attempt left), so parallel
//! requests cannot together try more PINs than the limit, and a restart
//! forgets nothing. A right PIN clears the count; the wrong one that spends
//! the last attempt locks the person until an administrator unlocks them.
//! Every attempt — signed, wrong PIN, refused while locked — is an audit
//! entry (action `sign`), never with the PIN.
//!
//! # Deferred signing
//!
//! [`prepare`] lays out the signature with [`crate::sign::prepare`] and
//! keeps the prepared file in `<data>/prepared/<unit>/<id>.pdf` beside its
//! metadata (`<id>.json`) until it expires; [`finish`] claims it (a rename:
//! exactly one finish can win), checks the token's signature with
//! [`crate::sign::finish`] and embeds it with a timestamp. Only the unit
//! that prepared a document can finish it; for anyone else it does not
//! exist.
//!
//! No sockets here: the store trait and files of the data directory only.

use crate::audit::{Action, Event};
use crate::cms::tsa::Timestamper;
use crate::datadir::{DataDir, DataDirError, write_file};
use crate::directory::{Directory, OrganId};
use crate::pki::keys::LocalKey;
use crate::sign::appearance::Role;
use crate::sign::placement::{self, PlacementError, Placing};
use crate::sign::{self, Credentials, SignError, SignOptions};
use crate::store::{Change, PersonChange, PersonRecord, Store, StoreError};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::rand::SecureRandom;
use serde::{Deserialize, Serialize};
use serde_json::json;
use thiserror::Error;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// Why a signing-for-people request did not go through. The HTTP status of
/// each is decided in `http::error`, the exit code in `main`.
#[derive(Debug, Error)]
pub enum PersonError {
    #[error("no person {0} among the signers vanthu holds keys for")]
    NotFound(String),
    #[error("person {0} belongs to another unit")]
    OtherUnit(String),
    #[error("person {0} is locked after too many wrong PINs; an administrator must unlock them")]
    Locked(String),
    #[error("wrong PIN ({remaining} attempts left before the person is locked)")]
    WrongPin { remaining: u32 },
    #[error("{0}")]
    BadPin(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("unit {0} is not in the directory")]
    UnknownUnit(String),
    #[error("the signer's certificate is not usable: {0}")]
    BadCertificate(String),
    #[error("no place for the visible signature: {0}")]
    Placement(#[from] PlacementError),
    #[error("the visible signature would cover text on page {page}: {words}")]
    CoversText { page: usize, words: String },
    #[error("{0}")]
    Sign(#[from] SignError),
    #[error("no prepared document {0} (unknown, expired, or another unit's)")]
    PreparedNotFound(String),
    #[error("prepared document {0} was already finished")]
    AlreadyFinished(String),
    #[error("this unit already has {0} documents waiting for a token signature; finish or let them expire")]
    TooManyPrepared(u32),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    DataDir(#[from] DataDirError),
    #[error("{0}")]
    Admin(#[from] crate::admin::AdminError),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("PIN hashing failed: {0}")]
    Hash(String),
    #[error("the held key is unusable: {0}")]
    Key(String),
}

/// PINs: rules, and Argon2id hashing and checking.
pub mod pin {
    use super::PersonError;
    use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
    use argon2::{Algorithm, Argon2, Params, Version};

    /// Argon2id with OWASP's first recommended set: 19 MiB of memory, two
    /// passes, one lane. About 45 ms on one core of this machine: slow for
    /// a guesser holding a copy of the database, unnoticed by a person.
    pub const MEMORY_KIB: u32 = 19 * 1024;
    pub const PASSES: u32 = 2;
    pub const LANES: u32 = 1;

    /// Longest PIN or passphrase read (a longer one is refused unread).
    pub const MAX_LEN: usize = 128;

    fn argon2() -> Result<Argon2<'static>, PersonError> {
        let params = Params::new(MEMORY_KIB, PASSES, LANES, None).map_err(|e| PersonError::Hash(e.to_string()))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// A PIN a person may choose: 4 to 12 digits, or a passphrase of 13
    /// to 128 characters.
    pub fn check(pin: &str) -> Result<(), PersonError> {
        let n = pin.chars().count();
        let digits = pin.chars().all(|c| c.is_ascii_digit());
        if digits && (4..=12).contains(&n) {
            return Ok(());
        }
        if n > 12 && pin.len() <= MAX_LEN {
            return Ok(());
        }
        Err(PersonError::BadPin(format!("a PIN is 4 to 12 digits, or a passphrase of 13 to {MAX_LEN} characters")))
    }

    /// The Argon2id hash of `pin` as a PHC string (salt and parameters in it).
    pub fn hash(pin: &str) -> Result<String, PersonError> {
        check(pin)?;
        let mut salt = [0u8; 16];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut salt)
            .map_err(|_| PersonError::Hash("the system random generator failed".into()))?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| PersonError::Hash(e.to_string()))?;
        Ok(argon2()?.hash_password(pin.as_bytes(), &salt).map_err(|e| PersonError::Hash(e.to_string()))?.to_string())
    }

    /// Whether `pin` matches the stored `phc` hash (with the parameters the
    /// hash names). An over-long PIN is wrong without being hashed.
    pub fn verify(phc: &str, pin: &str) -> Result<bool, PersonError> {
        if pin.len() > MAX_LEN {
            return Ok(false);
        }
        let parsed = PasswordHash::new(phc).map_err(|e| PersonError::Hash(format!("stored hash unreadable: {e}")))?;
        Ok(argon2()?.verify_password(pin.as_bytes(), &parsed).is_ok())
    }
}

/// A person as shown to administrators and units (never the PIN hash or
/// the key).
#[derive(Debug, Clone, Serialize)]
pub struct PersonView {
    pub id: String,
    pub unit: String,
    pub name: String,
    pub position: String,
    pub certificate_serial: String,
    pub failed_attempts: u32,
    pub locked: bool,
    pub locked_at: Option<String>,
    pub created_at: String,
}

impl From<PersonRecord> for PersonView {
    fn from(p: PersonRecord) -> Self {
        PersonView {
            locked: p.locked_at.is_some(),
            id: p.id,
            unit: p.unit,
            name: p.name,
            position: p.position,
            certificate_serial: p.cert_serial,
            failed_attempts: p.failed_attempts,
            locked_at: p.locked_at,
            created_at: p.created_at,
        }
    }
}

fn now_text(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC).format(&Rfc3339).unwrap_or_default()
}

fn random_hex(bytes: usize) -> Result<String, PersonError> {
    let mut b = vec![0u8; bytes];
    ring::rand::SystemRandom::new().fill(&mut b).map_err(|_| PersonError::Hash("randomness unavailable".into()))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

fn event(actor: &str, action: Action, detail: serde_json::Value) -> Event {
    Event { actor: actor.to_string(), action, document: None, detail, time: OffsetDateTime::now_utc() }
}

/// An id as vanthu makes them (`p-` + 16 hex digits); anything else is
/// unknown without touching the store.
fn person_id(id: &str) -> Result<&str, PersonError> {
    let ok = id.strip_prefix("p-").is_some_and(|h| h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()));
    if ok { Ok(id) } else { Err(PersonError::NotFound(id.chars().take(40).collect())) }
}

fn load(store: &dyn Store, id: &str) -> Result<PersonRecord, PersonError> {
    store.person(person_id(id)?)?.ok_or_else(|| PersonError::NotFound(id.to_string()))
}

/// Who a new person is.
#[derive(Debug, Clone, Deserialize)]
pub struct NewPerson {
    pub unit: String,
    pub name: String,
    pub position: String,
}

/// Adds a person: issues their signing certificate with a new P-256 key,
/// seals the key under the master secret, stores the PIN's hash.
pub fn add(
    store: &dyn Store,
    dd: &DataDir,
    directory: &Directory,
    new: &NewPerson,
    pin: &str,
    actor: &str,
) -> Result<PersonView, PersonError> {
    let pin_hash = pin::hash(pin)?;
    let organ = OrganId::parse(new.unit.trim()).map_err(|e| PersonError::BadRequest(e.to_string()))?;
    if directory.unit(&organ).is_none() {
        return Err(PersonError::UnknownUnit(new.unit.clone()));
    }
    let id = format!("p-{}", random_hex(8)?);
    let key_path = dd.pki(&format!("persons/{id}.key.pem"));
    let master = dd.require_master_key(&key_path)?;
    let subject = crate::admin::Subject::Person {
        name: new.name.clone(),
        position: new.position.clone(),
        unit: organ.as_str().to_string(),
    };
    let issued = crate::admin::issue(
        store,
        dd,
        directory,
        &subject,
        &crate::admin::KeySource::Generate(crate::pki::ca::KeyType::P256),
        actor,
    )?;
    let key_pem = issued.private_key_pem.ok_or_else(|| PersonError::Key("the CA returned no key".into()))?;
    dd.write_key(&master, &key_path, &key_pem)?;
    let cert_path = dd.pki(&format!("persons/{id}.cert.pem"));
    write_file(&cert_path, issued.certificate_pem.as_bytes(), false)?;
    let record = PersonRecord {
        id: id.clone(),
        unit: organ.as_str().to_string(),
        name: new.name.trim().to_string(),
        position: new.position.trim().to_string(),
        cert_serial: issued.certificate.serial.clone(),
        key_file: format!("pki/persons/{id}.key.pem"),
        cert_file: format!("pki/persons/{id}.cert.pem"),
        pin_hash,
        failed_attempts: 0,
        locked_at: None,
        created_at: now_text(OffsetDateTime::now_utc()),
    };
    let change = Change {
        persons: vec![PersonChange::Add(record.clone())],
        events: vec![event(
            actor,
            Action::Admin,
            json!({"op": "person_added", "person": id, "unit": record.unit, "name": record.name,
                   "position": record.position, "serial": record.cert_serial}),
        )],
        ..Change::default()
    };
    store.commit(change, &|_| Ok(Vec::new()))?;
    Ok(record.into())
}

/// Every person (of one unit, if given), oldest first.
pub fn list(store: &dyn Store, unit: Option<&str>) -> Result<Vec<PersonView>, PersonError> {
    Ok(store.persons(unit)?.into_iter().map(PersonView::from).collect())
}

/// One person.
pub fn find(store: &dyn Store, id: &str) -> Result<PersonView, PersonError> {
    Ok(load(store, id)?.into())
}

/// An administrator lifts a lock.
pub fn unlock(store: &dyn Store, id: &str, actor: &str) -> Result<PersonView, PersonError> {
    let p = load(store, id)?;
    let change = Change {
        persons: vec![PersonChange::Unlock { id: p.id.clone() }],
        events: vec![event(actor, Action::Admin, json!({"op": "person_unlocked", "person": p.id}))],
        ..Change::default()
    };
    store.commit(change, &|_| Ok(Vec::new()))?;
    find(store, &p.id)
}

/// An administrator sets a new PIN (the person forgot theirs).
pub fn set_pin(store: &dyn Store, id: &str, new_pin: &str, actor: &str) -> Result<PersonView, PersonError> {
    let p = load(store, id)?;
    let pin_hash = pin::hash(new_pin)?;
    let change = Change {
        persons: vec![PersonChange::SetPin { id: p.id.clone(), pin_hash }],
        events: vec![event(actor, Action::Admin, json!({"op": "person_pin_set", "person": p.id}))],
        ..Change::default()
    };
    store.commit(change, &|_| Ok(Vec::new()))?;
    find(store, &p.id)
}

/// The person `id` of `unit`: another unit's person is refused (403, and
/// the try audited as `op` by `actor`), an unknown one is not found.
fn of_unit(store: &dyn Store, unit: &OrganId, id: &str, op: &str) -> Result<PersonRecord, PersonError> {
    let p = load(store, id)?;
    if p.unit != unit.as_str() {
        let detail = json!({"op": op, "person": p.id, "result": "other_unit"});
        let refused = Change {
            events: vec![event(&format!("unit:{}", unit.as_str()), Action::Sign, detail)],
            ..Change::default()
        };
        store.commit(refused, &|_| Ok(Vec::new()))?;
        return Err(PersonError::OtherUnit(p.id));
    }
    Ok(p)
}

/// One PIN attempt for `p` on behalf of `actor` (`unit:<organ id>`): the
/// attempt is counted first, then the PIN checked. On a right PIN the
/// caller commits [`PersonChange::ResetAttempts`] with its own audit entry;
/// a wrong PIN or a lock is committed and audited here.
fn attempt(
    store: &dyn Store,
    p: &PersonRecord,
    actor: &str,
    pin: &str,
    limit: u32,
    op: &str,
) -> Result<(), PersonError> {
    let limit = limit.max(1);
    let reserve =
        Change { persons: vec![PersonChange::ReserveAttempt { id: p.id.clone(), limit }], ..Change::default() };
    match store.commit(reserve, &|_| Ok(Vec::new())) {
        Ok(_) => {}
        Err(StoreError::PersonLocked(_)) => {
            let refused = Change {
                events: vec![event(actor, Action::Sign, json!({"op": op, "person": p.id, "result": "locked"}))],
                ..Change::default()
            };
            store.commit(refused, &|_| Ok(Vec::new()))?;
            return Err(PersonError::Locked(p.id.clone()));
        }
        Err(e) => return Err(e.into()),
    }
    if pin::verify(&p.pin_hash, pin)? {
        return Ok(());
    }
    // The reserved attempt stays counted; the one that spends the last
    // attempt locks, in the same commit as its audit entry.
    let spent = load(store, &p.id)?.failed_attempts;
    let locked = spent >= limit;
    let wrong = Change {
        persons: vec![PersonChange::LockIfSpent { id: p.id.clone(), limit, at: now_text(OffsetDateTime::now_utc()) }],
        events: vec![event(
            actor,
            Action::Sign,
            json!({"op": op, "person": p.id, "result": "wrong_pin", "failed_attempts": spent, "locked": locked}),
        )],
        ..Change::default()
    };
    store.commit(wrong, &|_| Ok(Vec::new()))?;
    if locked {
        return Err(PersonError::Locked(p.id.clone()));
    }
    Err(PersonError::WrongPin { remaining: limit.saturating_sub(spent) })
}

/// A person changes their own PIN through their unit (the old PIN counts
/// as an attempt).
pub fn change_pin(
    store: &dyn Store,
    unit: &OrganId,
    id: &str,
    old: &str,
    new_pin: &str,
    limit: u32,
) -> Result<(), PersonError> {
    let p = of_unit(store, unit, id, "pin_change")?;
    pin::check(new_pin)?;
    let actor = format!("unit:{}", unit.as_str());
    attempt(store, &p, &actor, old, limit, "pin_change")?;
    let change = Change {
        persons: vec![PersonChange::SetPin { id: p.id.clone(), pin_hash: pin::hash(new_pin)? }],
        events: vec![event(&actor, Action::Sign, json!({"op": "pin_change", "person": p.id, "result": "changed"}))],
        ..Change::default()
    };
    store.commit(change, &|_| Ok(Vec::new()))?;
    Ok(())
}

/// How the caller wants the visible signature.
#[derive(Debug, Clone, Default)]
pub struct Appearance {
    /// The text to place by (default: the signer's name).
    pub anchor: Option<String>,
    pub anchor_page: Option<usize>,
    /// `person` (default), `organisation` or `attachment`.
    pub role: Option<String>,
    pub reason: Option<String>,
    /// The handwritten signature or seal image (transparent PNG).
    pub image: Option<Vec<u8>>,
}

/// The roles a caller may name, and what each is.
const ROLES: &[(&str, Role)] = &[
    ("person", Role::Person),
    ("organisation", Role::Organization),
    ("organization", Role::Organization),
    ("attachment", Role::Attachment),
];

fn role(name: Option<&str>) -> Result<Role, PersonError> {
    let name = name.unwrap_or("person");
    ROLES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, r)| *r)
        .ok_or_else(|| PersonError::BadRequest(format!("role {name:?}: one of person, organisation, attachment")))
}

/// The signature options for `pdf` signed with `cert`, placed by the
/// page's text (Decree 30). A place that covers words is refused.
fn options(pdf: &[u8], cert: &[u8], a: &Appearance, field: String) -> Result<SignOptions, PersonError> {
    let want = Placing {
        anchor: a.anchor.as_deref().filter(|s| !s.trim().is_empty()),
        anchor_page: a.anchor_page,
        ..Placing::default()
    };
    let placed = placement::visible(role(a.role.as_deref())?, a.image.clone(), None, &want, pdf, cert)?;
    if !placed.covers.is_empty() {
        return Err(PersonError::CoversText { page: placed.page.unwrap_or(1), words: placed.covers.join(" ") });
    }
    Ok(SignOptions {
        field: Some(field),
        reason: a.reason.clone(),
        page: placed.page,
        visible: Some(placed.visible),
        ..SignOptions::default()
    })
}

/// What signing needs from the running gateway.
pub struct Signing<'a> {
    pub store: &'a dyn Store,
    pub dd: &'a DataDir,
    pub tsa: &'a dyn Timestamper,
    pub limits: &'a crate::config::Limits,
}

/// The internal CA that issued `cert`, as the chain to embed.
fn chain_for(dd: &DataDir, cert: &[u8]) -> Result<Vec<Vec<u8>>, PersonError> {
    let pki = crate::admin::ca::internal_pki(dd)?;
    let Ok((_, c)) = x509_parser::parse_x509_certificate(cert) else { return Ok(Vec::new()) };
    Ok(pki
        .cas
        .into_iter()
        .filter(|ca| {
            x509_parser::parse_x509_certificate(ca).is_ok_and(|(_, a)| a.subject().as_raw() == c.issuer().as_raw())
        })
        .take(1)
        .collect())
}

/// Remote signing: `unit` asks vanthu to sign `pdf` with person `id`'s
/// held key, authorised by the person's `pin`. Returns the update to
/// append to `pdf` (PAdES B-T, timestamped by vanthu's TSA).
pub fn sign_remote(
    ctx: &Signing<'_>,
    unit: &OrganId,
    id: &str,
    pin: &str,
    pdf: &[u8],
    a: &Appearance,
) -> Result<Vec<u8>, PersonError> {
    let p = of_unit(ctx.store, unit, id, "sign")?;
    let cert_pem = ctx.dd.read(&ctx.dd.root.join(&p.cert_file))?;
    let cert = crate::pki::pem_or_der(&cert_pem, "CERTIFICATE", &p.cert_file)
        .map_err(|e| PersonError::BadCertificate(e.to_string()))?
        .into_iter()
        .next()
        .ok_or_else(|| PersonError::BadCertificate(format!("{}: no certificate", p.cert_file)))?;
    // The document's problems are the caller's to fix and cost no attempt:
    // placed before the PIN is tried.
    let opts = options(pdf, &cert, a, format!("Signature {}", p.id))?;
    let actor = format!("unit:{}", unit.as_str());
    attempt(ctx.store, &p, &actor, pin, ctx.limits.max_pin_attempts, "sign")?;
    let reset = Change { persons: vec![PersonChange::ResetAttempts { id: p.id.clone() }], ..Change::default() };
    ctx.store.commit(reset, &|_| Ok(Vec::new()))?;
    let key_pem = ctx.dd.read_key(&ctx.dd.root.join(&p.key_file))?;
    let key = LocalKey::from_pem(key_pem.as_bytes()).map_err(|e| PersonError::Key(e.to_string()))?;
    let creds = Credentials { chain: chain_for(ctx.dd, &cert)?, cert };
    let result = sign::sign(pdf, &key, &creds, Some(ctx.tsa), &opts);
    let detail = match &result {
        Ok(_) => json!({"op": "sign", "person": p.id, "result": "signed", "serial": p.cert_serial,
                        "document_sha256": sha256_hex(pdf)}),
        Err(e) => json!({"op": "sign", "person": p.id, "result": "failed", "error": e.to_string()}),
    };
    ctx.store.commit(Change { events: vec![event(&actor, Action::Sign, detail)], ..Change::default() }, &|_| {
        Ok(Vec::new())
    })?;
    Ok(result?.tail)
}

fn sha256_hex(data: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, data).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// What a token must sign, as answered by [`prepare`].
#[derive(Debug, Clone, Serialize)]
pub struct PreparedOut {
    pub id: String,
    /// `sha256`, `sha384` or `sha512`.
    pub digest_algorithm: String,
    /// The digest of the signed attributes (hex), for tokens that sign a hash.
    pub digest: String,
    /// The signed attributes (DER SET, base64), for tokens that hash themselves.
    pub signed_attributes: String,
    pub expires: String,
}

/// The metadata kept beside a prepared document.
#[derive(Debug, Serialize, Deserialize)]
struct PreparedMeta {
    /// The signer's certificate and its chain (DER, base64), leaf first.
    chain: Vec<String>,
    expires: String,
}

fn prepared_dir(dd: &DataDir, unit: &OrganId) -> std::path::PathBuf {
    dd.root.join("prepared").join(unit.as_str())
}

fn io_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> PersonError + '_ {
    move |source| PersonError::Io { path: path.display().to_string(), source }
}

/// Removes expired prepared documents and old finish markers of one unit;
/// returns how many are still waiting.
fn sweep(dir: &std::path::Path, now: OffsetDateTime, ttl: Duration) -> Result<u32, PersonError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io_err(dir)(e)),
    };
    let mut waiting = 0u32;
    for entry in entries.flatten() {
        let path = entry.path();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age.as_secs() > ttl.whole_seconds().unsigned_abs().saturating_mul(2));
        match ext {
            "json" => {
                let expired = std::fs::read(&path)
                    .ok()
                    .and_then(|d| serde_json::from_slice::<PreparedMeta>(&d).ok())
                    .and_then(|m| OffsetDateTime::parse(&m.expires, &Rfc3339).ok())
                    .is_none_or(|e| e <= now);
                if expired {
                    let _ = std::fs::remove_file(&path);
                    let _ = std::fs::remove_file(path.with_extension("pdf"));
                } else {
                    waiting = waiting.saturating_add(1);
                }
            }
            // Finish markers (a second finish is told 409) and leftovers of
            // a claim that died, kept a while, then removed.
            "done" | "claimed" | "pdf" | "partial" if old => {
                let _ = std::fs::remove_file(&path);
            }
            _ => {}
        }
    }
    Ok(waiting)
}

/// Step one of deferred signing: lays out `pdf`'s signature for the
/// signer's certificate (`chain_pem`, leaf first) and keeps it until it
/// expires.
pub fn prepare(
    ctx: &Signing<'_>,
    unit: &OrganId,
    chain_pem: &[u8],
    pdf: &[u8],
    a: &Appearance,
) -> Result<PreparedOut, PersonError> {
    let chain = crate::pki::pem_or_der(chain_pem, "CERTIFICATE", "certificate")
        .map_err(|e| PersonError::BadCertificate(e.to_string()))?;
    let Some(cert) = chain.first().cloned() else {
        return Err(PersonError::BadCertificate("no certificate in the `certificate` part".into()));
    };
    if chain.len() > 8 {
        return Err(PersonError::BadCertificate("at most 8 certificates in the chain".into()));
    }
    let scheme = sign::scheme_for(&cert)?;
    let now = OffsetDateTime::now_utc();
    let ttl = Duration::seconds(i64::try_from(ctx.limits.prepared_ttl_secs).unwrap_or(i64::MAX).max(1));
    let dir = prepared_dir(ctx.dd, unit);
    let max = ctx.limits.max_prepared_per_unit;
    if sweep(&dir, now, ttl)? >= max {
        return Err(PersonError::TooManyPrepared(max));
    }
    let opts = options(pdf, &cert, a, format!("Signature {}", random_hex(4)?))?;
    // Room for the timestamp token added at finish: a real one's size.
    let probe = ctx.tsa.timestamp(scheme.digest(), &scheme.digest().digest(b"size probe")).map_err(SignError::from)?;
    let creds = Credentials { cert: cert.clone(), chain: chain.iter().skip(1).cloned().collect() };
    let prepared = sign::prepare(pdf, &creds, scheme, probe.len() + 64, &opts)?;
    let id = format!("d-{}", random_hex(16)?);
    let expires = now_text(now.checked_add(ttl).unwrap_or(now));
    let mut file = pdf.to_vec();
    file.extend_from_slice(&prepared.tail);
    write_file(&dir.join(format!("{id}.pdf")), &file, false)?;
    let meta = PreparedMeta { chain: chain.iter().map(|c| STANDARD.encode(c)).collect(), expires: expires.clone() };
    let meta = serde_json::to_vec(&meta).map_err(|e| PersonError::BadRequest(e.to_string()))?;
    write_file(&dir.join(format!("{id}.json")), &meta, false)?;
    Ok(PreparedOut {
        id,
        digest_algorithm: digest_name(prepared.digest_algorithm).to_string(),
        digest: prepared.digest.iter().map(|b| format!("{b:02x}")).collect(),
        signed_attributes: STANDARD.encode(&prepared.signed_attrs),
        expires,
    })
}

fn digest_name(d: crate::pki::algorithms::DigestAlgorithm) -> &'static str {
    use crate::pki::algorithms::DigestAlgorithm as D;
    match d {
        D::Sha256 => "sha256",
        D::Sha384 => "sha384",
        D::Sha512 => "sha512",
    }
}

/// Step two: checks the token's `signature` over the signed attributes and
/// embeds it with a timestamp. Returns the signed PDF.
pub fn finish(ctx: &Signing<'_>, unit: &OrganId, id: &str, signature: &[u8]) -> Result<Vec<u8>, PersonError> {
    let valid = id.strip_prefix("d-").is_some_and(|h| h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()));
    if !valid {
        return Err(PersonError::PreparedNotFound(id.chars().take(40).collect()));
    }
    let dir = prepared_dir(ctx.dd, unit);
    let meta_path = dir.join(format!("{id}.json"));
    let claimed = dir.join(format!("{id}.claimed"));
    let done = dir.join(format!("{id}.done"));
    // The claim: one rename wins; a second finish finds the marker.
    if let Err(e) = std::fs::rename(&meta_path, &claimed) {
        if e.kind() == std::io::ErrorKind::NotFound {
            if done.exists() || claimed.exists() {
                return Err(PersonError::AlreadyFinished(id.to_string()));
            }
            return Err(PersonError::PreparedNotFound(id.to_string()));
        }
        return Err(io_err(&meta_path)(e));
    }
    let release = |e: PersonError| {
        // Not finished: the document waits for a right signature again.
        let _ = std::fs::rename(&claimed, &meta_path);
        e
    };
    let meta: PreparedMeta = serde_json::from_slice(&std::fs::read(&claimed).map_err(io_err(&claimed))?)
        .map_err(|e| PersonError::BadRequest(format!("prepared metadata unreadable: {e}")))?;
    let expired = OffsetDateTime::parse(&meta.expires, &Rfc3339).map_or(true, |e| e <= OffsetDateTime::now_utc());
    let pdf_path = dir.join(format!("{id}.pdf"));
    if expired {
        let _ = std::fs::remove_file(&claimed);
        let _ = std::fs::remove_file(&pdf_path);
        return Err(PersonError::PreparedNotFound(id.to_string()));
    }
    let chain: Vec<Vec<u8>> = meta.chain.iter().filter_map(|c| STANDARD.decode(c).ok()).collect();
    let Some(cert) = chain.first().cloned() else {
        return Err(release(PersonError::BadCertificate("prepared without a certificate".into())));
    };
    let scheme = sign::scheme_for(&cert).map_err(|e| release(e.into()))?;
    let creds = Credentials { cert, chain: chain.into_iter().skip(1).collect() };
    let mut file = std::fs::read(&pdf_path).map_err(|e| release(io_err(&pdf_path)(e)))?;
    sign::finish(&mut file, &creds, scheme, signature, Some(ctx.tsa)).map_err(|e| release(e.into()))?;
    let _ = std::fs::rename(&claimed, &done);
    let _ = std::fs::remove_file(&pdf_path);
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_digits_or_long_passphrases_hashed_with_argon2id() {
        for ok in ["1234", "123456789012", "a passphrase long enough"] {
            assert!(pin::check(ok).is_ok(), "{ok}");
        }
        for bad in ["123", "abcd", "12345678901a", "short phrase", ""] {
            assert!(pin::check(bad).is_err(), "{bad:?}");
        }
        assert!(pin::check(&"x".repeat(pin::MAX_LEN + 1)).is_err());
        let h = pin::hash("90817263").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(!h.contains("90817263"));
        assert!(pin::verify(&h, "90817263").unwrap());
        assert!(!pin::verify(&h, "90817264").unwrap());
        assert!(!pin::verify(&h, &"9".repeat(10_000)).unwrap());
        assert_ne!(h, pin::hash("90817263").unwrap(), "a fresh salt each time");
        assert!(pin::verify("not a hash", "1234").is_err());
    }
}

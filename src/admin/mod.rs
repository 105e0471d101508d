//! Administration of the internal CA: the registry of every certificate it
//! issues, revocation, and the CRL that makes a revocation count.
//!
//! The registry lives in the store (so a PostgreSQL backend shares it with
//! every instance); the CRL is a file in the data directory,
//! `<data>/pki/crl.der`, with its number in `pki/crl.number`. A revocation
//! is one store commit (the registry row changes and the audit entry is
//! appended together) followed by a new CRL, both under an exclusive lock on
//! `pki/crl.lock`: the CLI and a running server may revoke at the same time,
//! and without the lock two CRLs could carry the same number, or an older
//! list could be written over a newer one.
//!
//! How a revocation reaches the TLS layer: the server that revoked swaps its
//! TLS configuration and its document-verification CRLs at once (see
//! `http::admin`); a revocation made by the CLI is picked up by the server
//! watching `crl.der` (see `http::run`). Either way the next handshake with
//! the revoked certificate is refused, without a restart.
//!
//! No sockets here: the store trait and files of the data directory only.

pub mod ca;
pub mod directory;
pub mod keys;
pub mod trust;

use crate::audit::{Action, Event};
use crate::config::Config;
use crate::datadir::{DataDir, DataDirError, InitSummary, write_file};
use crate::directory::{Directory, OrganId};
use crate::pki::ca::{Identity, KeyType, Profile};
use crate::store::sqlite::SqliteStore;
use crate::store::{CertChange, CertRecord, Change, Store, StoreError};
use rcgen::RevocationReason;
use serde::Serialize;
use thiserror::Error;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// Why an administrative action failed.
#[derive(Debug, Error)]
pub enum AdminError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    DataDir(#[from] DataDirError),
    #[error("{0}")]
    Ca(#[from] crate::pki::ca::CaError),
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("{0:?} is not a certificate serial number (hexadecimal, at most 20 bytes)")]
    BadSerial(String),
    #[error("unknown revocation reason {0:?}; one of: {list}", list = reason_names())]
    BadReason(String),
    #[error("the certificate cannot be read: {0}")]
    BadCertificate(String),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}: the CRL number is unreadable ({content:?})")]
    CrlNumber { path: String, content: String },
    #[error("the CRL number cannot grow any further")]
    CrlNumberExhausted,
    #[error("no CA of this data directory is {0:?} (its files under pki/previous/ are gone)")]
    UnknownIssuer(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("unit {0} is not in the directory")]
    UnknownUnit(String),
    #[error(
        "a certificate issued for a CSR has no key vanthu could put in a PKCS#12 file: the key stays with its holder"
    )]
    NoKeyForPkcs12,
    #[error("{0}")]
    Pkcs12(#[from] crate::pki::pkcs12::Pkcs12Error),
    #[error("{0}")]
    Keys(#[from] keys::RekeyError),
    #[error("{0}")]
    Trust(#[from] trust::TrustError),
}

/// The revocation reasons an administrator may give (RFC 5280 §5.3.1), by
/// the names RFC 5280 and `openssl crl -text` use. certificateHold and
/// removeFromCRL are left out: a revocation here is final.
const REASONS: &[(&str, RevocationReason)] = &[
    ("unspecified", RevocationReason::Unspecified),
    ("keyCompromise", RevocationReason::KeyCompromise),
    ("cACompromise", RevocationReason::CaCompromise),
    ("affiliationChanged", RevocationReason::AffiliationChanged),
    ("superseded", RevocationReason::Superseded),
    ("cessationOfOperation", RevocationReason::CessationOfOperation),
    ("privilegeWithdrawn", RevocationReason::PrivilegeWithdrawn),
    ("aACompromise", RevocationReason::AaCompromise),
];

fn reason_names() -> String {
    REASONS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
}

/// The canonical name of a revocation reason (matched ignoring case).
pub fn parse_reason(s: &str) -> Result<&'static str, AdminError> {
    REASONS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(s.trim()))
        .map(|(n, _)| *n)
        .ok_or_else(|| AdminError::BadReason(s.to_string()))
}

fn reason_code(name: &str) -> Option<RevocationReason> {
    REASONS.iter().find(|(n, _)| *n == name).map(|(_, r)| *r)
}

/// A serial as the registry keys it: lower-case hex without leading zero
/// bytes. Accepts what people paste: `0x` prefix, colons, spaces, any case
/// (`openssl x509 -serial` prints upper case).
pub fn normalize_serial(s: &str) -> Result<String, AdminError> {
    let bad = || AdminError::BadSerial(s.to_string());
    let t = s.trim();
    let t = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")).unwrap_or(t);
    let mut hex: String = t.chars().filter(|c| *c != ':' && !c.is_whitespace()).collect();
    if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad());
    }
    hex.make_ascii_lowercase();
    if !hex.len().is_multiple_of(2) {
        hex.insert(0, '0');
    }
    while hex.len() > 2 && hex.starts_with("00") {
        hex.drain(..2);
    }
    // RFC 5280 §4.1.2.2: at most 20 octets.
    if hex.len() > 40 {
        return Err(bad());
    }
    Ok(hex)
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC).format(&Rfc3339).unwrap_or_default()
}

/// The registry row of a certificate, read from the certificate itself.
pub fn record_of(kind: &str, der: &[u8]) -> Result<CertRecord, AdminError> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| AdminError::BadCertificate(e.to_string()))?;
    let serial: String = cert.raw_serial().iter().map(|b| format!("{b:02x}")).collect();
    let identity = crate::pki::ca::Identity::from_certificate(der).map(|i| match i {
        crate::pki::ca::Identity::Unit(u) => format!("unit:{u}"),
        crate::pki::ca::Identity::Admin(a) => format!("admin:{a}"),
    });
    Ok(CertRecord {
        serial: normalize_serial(&serial)?,
        kind: kind.to_string(),
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        identity,
        not_before: rfc3339(cert.validity().not_before.to_datetime()),
        not_after: rfc3339(cert.validity().not_after.to_datetime()),
        status: "valid".into(),
        revoked_at: None,
        reason: None,
    })
}

/// Registers newly issued certificates (`(kind, DER)`), one audit entry
/// each, in one commit.
pub fn register(store: &dyn Store, issued: &[(&str, &[u8])], actor: &str) -> Result<Vec<CertRecord>, AdminError> {
    let now = OffsetDateTime::now_utc();
    let mut change = Change::default();
    let mut records = Vec::with_capacity(issued.len());
    for (kind, der) in issued {
        let r = record_of(kind, der)?;
        change.events.push(Event {
            actor: actor.to_string(),
            action: Action::Admin,
            document: None,
            detail: serde_json::json!({
                "op": "certificate_issued", "serial": r.serial, "kind": r.kind,
                "subject": r.subject, "identity": r.identity, "not_after": r.not_after,
            }),
            time: now,
        });
        change.certificates.push(CertChange::Register(r.clone()));
        records.push(r);
    }
    store.commit(change, &|_| Ok(Vec::new()))?;
    Ok(records)
}

/// Opens the configured store (for the CLI verbs, which work on the data
/// directory while a server may be running on it: SQLite in WAL mode lets
/// both write, one transaction at a time).
pub fn open_store(cfg: &Config) -> Result<SqliteStore, AdminError> {
    Ok(SqliteStore::open(&cfg.database_path()?)?)
}

/// `vanthu init`: creates the data directory ([`crate::datadir::init`]) and
/// registers every certificate it made, as `system`.
pub fn init(cfg: &Config) -> Result<InitSummary, AdminError> {
    let summary = crate::datadir::init(cfg)?;
    if summary.created {
        let store = open_store(cfg)?;
        let dd = DataDir::new(&cfg.data);
        let ca_der = ca::slots(&dd)?.first().map(|s| s.cert_der(&dd)).transpose()?.unwrap_or_default();
        let mut issued: Vec<(&str, &[u8])> = vec![("ca", ca_der.as_slice())];
        issued.extend(summary.issued.iter().map(|(k, d)| (*k, d.as_slice())));
        register(&store, &issued, "system")?;
    }
    Ok(summary)
}

/// What an administrator asks a certificate for.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Subject {
    /// A unit's TLS client certificate (its organ id in the SAN URI).
    Unit { unit: String },
    /// An administrator's TLS client certificate.
    Admin { name: String },
    /// A person's document-signing certificate.
    Person { name: String, position: String, unit: String },
    /// An organisation's document-signing certificate (its seal).
    Organisation { unit: String },
}

/// Where the certificate's key comes from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// vanthu generates it and hands it out once; it keeps no copy.
    Generate(KeyType),
    /// The holder's certificate signing request (PEM); the key never
    /// leaves the holder.
    Csr(String),
}

/// Parses a key type name (`p256`, `rsa2048`).
pub fn parse_key_type(s: &str) -> Result<KeyType, AdminError> {
    match s.trim().to_ascii_lowercase().as_str() {
        "p256" | "p-256" | "ec" => Ok(KeyType::P256),
        "rsa2048" | "rsa" | "rsa-2048" => Ok(KeyType::Rsa2048),
        _ => Err(AdminError::BadRequest(format!("unknown key type {s:?}; p256 or rsa2048"))),
    }
}

/// A certificate just issued, to hand to its holder.
#[derive(Debug, Clone, Serialize)]
pub struct IssuedOut {
    pub certificate: CertView,
    pub certificate_pem: String,
    /// PKCS#8 PEM, when vanthu generated the key (given once, not kept).
    pub private_key_pem: Option<String>,
    /// Every internal CA (PEM), for the holder's trust.
    pub ca_pem: String,
    /// The key, the certificate and its CA in one PKCS#12 file (base64),
    /// when a password for it was given (see [`crate::pki::pkcs12`]).
    pub pkcs12: Option<String>,
}

fn profile_for(subject: &Subject, directory: &Directory) -> Result<(Profile, &'static str), AdminError> {
    let unit = |id: &str| -> Result<(String, String), AdminError> {
        let organ = OrganId::parse(id).map_err(|e| AdminError::BadRequest(e.to_string()))?;
        let u = directory.unit(&organ).ok_or_else(|| AdminError::UnknownUnit(id.to_string()))?;
        Ok((organ.as_str().to_string(), u.name.clone()))
    };
    let nonempty = |what: &str, v: &str| {
        if v.trim().is_empty() {
            Err(AdminError::BadRequest(format!("{what} is empty")))
        } else {
            Ok(v.trim().to_string())
        }
    };
    Ok(match subject {
        Subject::Unit { unit: id } => {
            let (organ, name) = unit(id)?;
            (Profile::Client { identity: Identity::Unit(organ), display_name: name }, "client")
        }
        Subject::Admin { name } => {
            let name = nonempty("name", name)?;
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')) {
                return Err(AdminError::BadRequest(format!("admin name {name:?}: letters, digits, . - _ only")));
            }
            (
                Profile::Client { display_name: format!("vanthu admin {name}"), identity: Identity::Admin(name) },
                "client",
            )
        }
        Subject::Person { name, position, unit: id } => {
            let (organ_id, unit_name) = unit(id)?;
            let person = Profile::Person {
                name: nonempty("name", name)?,
                position: nonempty("position", position)?,
                organ_id,
                unit: unit_name,
            };
            (person, "person")
        }
        Subject::Organisation { unit: id } => {
            let (organ_id, name) = unit(id)?;
            (Profile::Organisation { organ_id, name }, "organisation")
        }
    })
}

/// Issues a certificate for `subject` from the current CA, with a new key
/// or for a CSR, and registers it (one audit entry).
pub fn issue(
    store: &dyn Store,
    dd: &DataDir,
    directory: &Directory,
    subject: &Subject,
    key: &KeySource,
    actor: &str,
) -> Result<IssuedOut, AdminError> {
    issue_with(store, dd, directory, subject, key, None, actor)
}

/// [`issue`], and with `p12_password` also the PKCS#12 file of the new key
/// (refused for a CSR, which has no key here). The password is checked
/// before anything is issued, so a refused one leaves no certificate
/// behind.
pub fn issue_with(
    store: &dyn Store,
    dd: &DataDir,
    directory: &Directory,
    subject: &Subject,
    key: &KeySource,
    p12_password: Option<&str>,
    actor: &str,
) -> Result<IssuedOut, AdminError> {
    if let Some(pw) = p12_password {
        if matches!(key, KeySource::Csr(_)) {
            return Err(AdminError::NoKeyForPkcs12);
        }
        crate::pki::pkcs12::check_password(pw)?;
    }
    let (profile, kind) = profile_for(subject, directory)?;
    let ca = dd.ca()?;
    let now = OffsetDateTime::now_utc();
    let (cert_pem, cert_der, private_key_pem) = match key {
        KeySource::Generate(t) => {
            let i = ca.issue_new_key(&profile, *t, now)?;
            (i.cert_pem, i.cert_der, Some(i.key_pem))
        }
        KeySource::Csr(pem) => {
            let i = ca.issue_for_csr(&profile, pem, now)?;
            (i.cert_pem, i.cert_der, None)
        }
    };
    // Built before registering: an encoding failure leaves no certificate
    // registered without its holder ever receiving it.
    let pkcs12 = match (p12_password, &private_key_pem) {
        (Some(pw), Some(key_pem)) => Some(pkcs12_of(dd, key_pem, &cert_der, pw)?),
        _ => None,
    };
    let record = register(store, &[(kind, &cert_der)], actor)?
        .pop()
        .ok_or(AdminError::Store(StoreError::Corrupt("registration returned nothing")))?;
    Ok(IssuedOut {
        certificate: view(record, now),
        certificate_pem: cert_pem,
        private_key_pem,
        ca_pem: ca::bundle_pem(dd)?,
        pkcs12,
    })
}

/// The PKCS#12 file (base64) of a new key and its certificate, with the
/// current CA (its issuer) as the chain; the friendlyName is the
/// certificate's common name.
fn pkcs12_of(dd: &DataDir, key_pem: &str, cert_der: &[u8], password: &str) -> Result<String, AdminError> {
    use base64::Engine;
    let bad = |what: &str| AdminError::BadCertificate(format!("the new {what} cannot be read back"));
    let key = crate::pki::pem_or_der(key_pem.as_bytes(), "PRIVATE KEY", "the new key")
        .ok()
        .and_then(|v| v.into_iter().next())
        .ok_or_else(|| bad("key"))?;
    let issuer = ca::slots(dd)?.first().map(|s| s.cert_der(dd)).transpose()?.ok_or_else(|| bad("CA"))?;
    let (_, cert) = x509_parser::parse_x509_certificate(cert_der).map_err(|_| bad("certificate"))?;
    let name = cert.subject().iter_common_name().next().and_then(|cn| cn.as_str().ok()).unwrap_or("vanthu").to_string();
    let der = crate::pki::pkcs12::write(&key, cert_der, &[issuer], &name, password)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(der))
}

/// What a revocation produced.
#[derive(Debug, Clone)]
pub struct Revoked {
    pub record: CertRecord,
    /// The new CRL (DER), already written to `<data>/pki/crl.der`.
    pub crl: Vec<u8>,
    pub crl_number: u64,
}

/// An exclusive lock on the CRL of a data directory, held across the
/// registry change and the CRL write, and released when dropped.
///
/// The lock is the existence of `pki/crl.lock`, created with `create_new`
/// (atomic on every local file system), because `File::lock` is newer than
/// the crate's minimum Rust and advisory locks need `unsafe` or a new
/// dependency. The critical section takes milliseconds; a lock file older
/// than [`STALE_LOCK`] was left by a process that died inside it and is
/// removed.
struct CrlLock(std::path::PathBuf);

/// Age after which a CRL lock file is taken to be abandoned.
const STALE_LOCK: std::time::Duration = std::time::Duration::from_secs(30);
/// How long to wait for another revocation to finish.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

impl CrlLock {
    fn take(dd: &DataDir) -> Result<CrlLock, AdminError> {
        let path = dd.pki("crl.lock");
        let io = |source| AdminError::Io { path: path.display().to_string(), source };
        let start = std::time::Instant::now();
        loop {
            match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(_) => return Ok(CrlLock(path)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let stale = std::fs::metadata(&path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok())
                        .is_some_and(|age| age > STALE_LOCK);
                    if stale {
                        let _ = std::fs::remove_file(&path);
                        continue;
                    }
                    if start.elapsed() > LOCK_WAIT {
                        return Err(io(std::io::Error::new(
                            std::io::ErrorKind::WouldBlock,
                            "another revocation holds the CRL lock",
                        )));
                    }
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Err(e) => return Err(io(e)),
            }
        }
    }
}

impl Drop for CrlLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// How long a CRL is valid; a revocation re-issues it at once, and `serve`
/// re-issues it when less than half of this is left (see `http::run`).
pub const CRL_VALIDITY: Duration = Duration::days(7);

/// Revokes the certificate `serial` for `reason` and re-issues the CRL.
pub fn revoke(store: &dyn Store, dd: &DataDir, serial: &str, reason: &str, actor: &str) -> Result<Revoked, AdminError> {
    let serial = normalize_serial(serial)?;
    let reason = parse_reason(reason)?;
    let _lock = CrlLock::take(dd)?;
    let known = store.certificate(&serial)?.ok_or_else(|| StoreError::NoCertificate(serial.clone()))?;
    let slot = issuer_slot(dd, &known.issuer)?;
    let now = OffsetDateTime::now_utc();
    let at = rfc3339(now);
    let change = Change {
        certificates: vec![CertChange::Revoke { serial: serial.clone(), at: at.clone(), reason: reason.to_string() }],
        events: vec![Event {
            actor: actor.to_string(),
            action: Action::Admin,
            document: None,
            detail: serde_json::json!({"op": "certificate_revoked", "serial": serial, "reason": reason}),
            time: now,
        }],
        ..Change::default()
    };
    store.commit(change, &|_| Ok(Vec::new()))?;
    let (crl, crl_number) = write_crl(store, dd, &slot, now)?;
    let record = store.certificate(&serial)?.ok_or_else(|| StoreError::NoCertificate(serial.clone()))?;
    Ok(Revoked { record, crl, crl_number })
}

/// The CA (current or earlier) that issued certificates of `issuer`.
fn issuer_slot(dd: &DataDir, issuer: &str) -> Result<ca::CaSlot, AdminError> {
    for slot in ca::slots(dd)? {
        if slot.subject(dd)? == issuer {
            return Ok(slot);
        }
    }
    Err(AdminError::UnknownIssuer(issuer.to_string()))
}

/// Whether some CA's CRL on disk misses a revocation the registry holds:
/// the process that revoked stopped between its commit and its CRL write.
/// The server checks at start and every minute, and re-issues.
pub fn crls_behind(store: &dyn Store, dd: &DataDir) -> Result<bool, AdminError> {
    let registry = store.certificates()?;
    for slot in ca::slots(dd)? {
        let issuer = slot.subject(dd)?;
        let der = dd.read(&slot.crl_path())?;
        let listed: Vec<String> = match x509_parser::parse_x509_crl(&der) {
            Ok((_, crl)) => crl
                .iter_revoked_certificates()
                .filter_map(|r| {
                    normalize_serial(&r.raw_serial().iter().map(|b| format!("{b:02x}")).collect::<String>()).ok()
                })
                .collect(),
            Err(_) => return Ok(true),
        };
        if registry.iter().any(|c| c.status == "revoked" && c.issuer == issuer && !listed.contains(&c.serial)) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Re-issues every CA's CRL from the registry (new numbers), e.g. before
/// the ones in force run out.
pub fn reissue_crls(store: &dyn Store, dd: &DataDir) -> Result<(), AdminError> {
    let _lock = CrlLock::take(dd)?;
    let now = OffsetDateTime::now_utc();
    for slot in ca::slots(dd)? {
        write_crl(store, dd, &slot, now)?;
    }
    Ok(())
}

/// Builds the CRL of every revoked certificate with the next number and
/// writes it atomically (temp file, fsync, rename): a reader — the server's
/// watcher, `/crl/internal.crl` — sees the old list or the new one, never
/// half of it.
fn write_crl(
    store: &dyn Store,
    dd: &DataDir,
    slot: &ca::CaSlot,
    now: OffsetDateTime,
) -> Result<(Vec<u8>, u64), AdminError> {
    let number_path = slot.number_path();
    let issuer = slot.subject(dd)?;
    let text = dd.read_text(&number_path).unwrap_or_default();
    let current: u64 = if text.trim().is_empty() {
        0
    } else {
        text.trim()
            .parse()
            .map_err(|_| AdminError::CrlNumber { path: number_path.display().to_string(), content: text.clone() })?
    };
    let number = current.checked_add(1).ok_or(AdminError::CrlNumberExhausted)?;
    let mut revoked = Vec::new();
    for c in store.certificates()? {
        if c.status != "revoked" || c.issuer != issuer {
            continue;
        }
        let at = c
            .revoked_at
            .as_deref()
            .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
            .ok_or(StoreError::Corrupt("a revoked certificate without a revocation time"))?;
        revoked.push((c.serial.clone(), at, c.reason.as_deref().and_then(reason_code)));
    }
    let der = slot.load(dd)?.crl(&revoked, number, now, CRL_VALIDITY)?;
    // The number first, then the list: a crash in between leaves a number
    // ahead of the list, never a list whose number is reused.
    write_file(&number_path, number.to_string().as_bytes(), false)?;
    write_file(&slot.crl_path(), &der, false)?;
    Ok((der, number))
}

/// A certificate as listed to an administrator: the registry row with its
/// status now (`valid`, `expired`, `revoked`) and the days left.
#[derive(Debug, Clone, Serialize)]
pub struct CertView {
    pub serial: String,
    pub kind: String,
    pub subject: String,
    pub identity: Option<String>,
    pub not_before: String,
    pub not_after: String,
    pub status: &'static str,
    /// Whole days until `not_after` (negative once expired).
    pub days_left: i64,
    pub revoked_at: Option<String>,
    pub reason: Option<String>,
}

/// The listing form of a registry row at `now`.
pub fn view(r: CertRecord, now: OffsetDateTime) -> CertView {
    let end = OffsetDateTime::parse(&r.not_after, &Rfc3339).ok();
    let days_left = end.map_or(0, |e| (e - now).whole_days());
    let status = if r.status == "revoked" {
        "revoked"
    } else if end.is_none_or(|e| e <= now) {
        "expired"
    } else {
        "valid"
    };
    CertView {
        serial: r.serial,
        kind: r.kind,
        subject: r.subject,
        identity: r.identity,
        not_before: r.not_before,
        not_after: r.not_after,
        status,
        days_left,
        revoked_at: r.revoked_at,
        reason: r.reason,
    }
}

/// The horizon of "expiring soon" (the metric, and the default of
/// `cert expiring`).
pub const EXPIRING_DAYS: u32 = 30;

/// One registered certificate by serial.
pub fn find(store: &dyn Store, serial: &str, now: OffsetDateTime) -> Result<CertView, AdminError> {
    let serial = normalize_serial(serial)?;
    let r = store.certificate(&serial)?.ok_or(StoreError::NoCertificate(serial))?;
    Ok(view(r, now))
}

/// Every registered certificate, oldest first.
pub fn list(store: &dyn Store, now: OffsetDateTime) -> Result<Vec<CertView>, AdminError> {
    Ok(store.certificates()?.into_iter().map(|r| view(r, now)).collect())
}

/// Valid (not revoked, not yet expired) certificates that expire within
/// `days`, soonest first.
pub fn expiring(store: &dyn Store, now: OffsetDateTime, days: u32) -> Result<Vec<CertView>, AdminError> {
    // `days` comes from a query string: a horizon past the end of the
    // calendar means "every valid certificate", not an overflow.
    let horizon = now.checked_add(Duration::days(i64::from(days)));
    let mut v: Vec<CertView> = list(store, now)?
        .into_iter()
        .filter(|c| {
            c.status == "valid"
                && OffsetDateTime::parse(&c.not_after, &Rfc3339).is_ok_and(|e| horizon.is_none_or(|h| e <= h))
        })
        .collect();
    v.sort_by(|a, b| a.not_after.cmp(&b.not_after));
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_normalised_as_people_paste_them() {
        assert_eq!(normalize_serial("0x00AB:CD").unwrap(), "abcd");
        assert_eq!(normalize_serial(" 7f 01 ").unwrap(), "7f01");
        assert_eq!(normalize_serial("abc").unwrap(), "0abc");
        assert!(normalize_serial("xyz").is_err());
        assert!(normalize_serial("").is_err());
        assert!(normalize_serial(&"1".repeat(42)).is_err());
    }

    #[test]
    fn reasons_come_from_one_table() {
        assert_eq!(parse_reason("keycompromise").unwrap(), "keyCompromise");
        assert!(matches!(parse_reason("certificateHold"), Err(AdminError::BadReason(_))));
        assert!(parse_reason("nope").unwrap_err().to_string().contains("keyCompromise"));
    }
}

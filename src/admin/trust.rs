//! External CAs (the Government CA's roots, a commercial CA) trusted for
//! one purpose each: `documents` (signatures on intake), `clients` (TLS
//! client authentication), or both.
//!
//! ```text
//! <data>/pki/trusted/documents/<sha256>.pem   anchors for document signatures
//! <data>/pki/trusted/clients/<sha256>.pem     anchors for client certificates
//! <data>/pki/trusted/crl/<sha256>.der         the CA's CRL, if given (both purposes)
//! ```
//!
//! Files, not store rows, because the running server already watches the
//! data directory's PKI files every second (`http::run::watch_crl`): the
//! CLI writes here (atomically) and the server has the change in force
//! within about a second, removals included. The purpose is where the file
//! is, so a CA trusted for documents can never be picked up as a client
//! CA by mistake: the two sets are read from two directories.
//!
//! Every change is one audit entry (action `admin`, op `trust_added` /
//! `trust_removed`).

use super::AdminError;
use crate::audit::Event;
use crate::datadir::{DataDir, write_file};
use crate::store::{Change, Store};
use serde::Serialize;
use std::path::PathBuf;
use thiserror::Error;
use time::OffsetDateTime;

/// Most bytes of a CA certificate or CRL file given to `add`.
pub const MAX_INPUT_BYTES: usize = 1 << 20;
/// Most external CAs trusted at once (each one costs every handshake and
/// every verification a little).
pub const MAX_TRUSTED: usize = 256;

/// What an external CA is trusted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Documents,
    Clients,
    Both,
}

impl Purpose {
    pub fn parse(s: &str) -> Result<Purpose, TrustError> {
        match s {
            "documents" => Ok(Purpose::Documents),
            "clients" => Ok(Purpose::Clients),
            "both" => Ok(Purpose::Both),
            other => Err(TrustError::BadPurpose(other.to_string())),
        }
    }

    /// The directories (purposes) this purpose stands for.
    fn dirs(self) -> &'static [&'static str] {
        match self {
            Purpose::Documents => &["documents"],
            Purpose::Clients => &["clients"],
            Purpose::Both => &["documents", "clients"],
        }
    }
}

/// Why a trust change was refused.
#[derive(Debug, Error)]
pub enum TrustError {
    #[error("unknown purpose {0:?}; one of: documents, clients, both")]
    BadPurpose(String),
    #[error("the file holds no usable certificate: {0}")]
    BadCertificate(String),
    #[error("the file holds {0} certificates; give one CA certificate per file")]
    SeveralCertificates(usize),
    #[error("{0} is not a CA certificate (basicConstraints CA is not set)")]
    NotCa(String),
    #[error("{subject} expired on {not_after}")]
    Expired { subject: String, not_after: String },
    #[error("{subject} is not valid before {not_before}")]
    NotYetValid { subject: String, not_before: String },
    #[error("that CA is trusted already (sha256 {0}, for {1}); remove it first to change its purpose")]
    Duplicate(String, String),
    #[error("no trusted external CA has sha256 {0}")]
    NotFound(String),
    #[error("{0:?} is not a SHA-256 fingerprint (64 hexadecimal digits)")]
    BadFingerprint(String),
    #[error("the CRL is not usable: {0}")]
    BadCrl(String),
    #[error("the CRL was issued by {crl_issuer}, not by the CA ({ca})")]
    CrlIssuer { crl_issuer: String, ca: String },
    #[error("the file is larger than {MAX_INPUT_BYTES} bytes")]
    TooLarge,
    #[error("{MAX_TRUSTED} external CAs are trusted already")]
    TooMany,
}

/// An external CA as `vanthu ca trust list` and the admin API show it.
#[derive(Debug, Clone, Serialize)]
pub struct TrustedView {
    pub sha256: String,
    /// `documents`, `clients` or `both`.
    pub purpose: String,
    pub subject: String,
    pub not_after: String,
    /// Whether a CRL of this CA is held.
    pub crl: bool,
}

/// What the server puts in force: DER certificates per purpose and the CRLs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct External {
    pub documents: Vec<Vec<u8>>,
    pub clients: Vec<Vec<u8>>,
    pub crls: Vec<Vec<u8>>,
}

fn root(dd: &DataDir) -> PathBuf {
    dd.pki("trusted")
}

fn sha256_hex(der: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, der).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The `.pem`/`.der` files of one purpose directory, sorted.
fn files(dd: &DataDir, sub: &str, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = match std::fs::read_dir(root(dd).join(sub)) {
        Ok(entries) => {
            entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == ext)).collect()
        }
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

/// The files whose change (or appearance, or removal) means the external
/// trust changed.
pub fn watched_files(dd: &DataDir) -> Vec<PathBuf> {
    let mut v = files(dd, "documents", "pem");
    v.extend(files(dd, "clients", "pem"));
    v.extend(files(dd, "crl", "der"));
    v
}

fn cert_of(dd: &DataDir, path: &std::path::Path) -> Result<Vec<u8>, AdminError> {
    let text = dd.read(path)?;
    crate::pki::pem_or_der(&text, "CERTIFICATE", &path.display().to_string())
        .ok()
        .and_then(|v| v.into_iter().next())
        .ok_or_else(|| AdminError::BadCertificate(path.display().to_string()))
}

/// Reads what is trusted now. A file that cannot be read or parsed is
/// left out and logged: a stray file here must not stop the watcher from
/// putting the internal CA's next revocation in force (it reads both).
pub fn load(dd: &DataDir) -> Result<External, AdminError> {
    let mut ext = External::default();
    let skip = |p: &std::path::Path, e: &dyn std::fmt::Display| {
        tracing::warn!(file = %p.display(), error = %e, "trusted external CA file left out");
    };
    for (sub, into) in [("documents", &mut ext.documents), ("clients", &mut ext.clients)] {
        for p in files(dd, sub, "pem") {
            match cert_of(dd, &p) {
                Ok(der) if crate::pki::Cert::parse(&der).is_ok() => into.push(der),
                Ok(_) => skip(&p, &"not a certificate"),
                Err(e) => skip(&p, &e),
            }
        }
    }
    for p in files(dd, "crl", "der") {
        match dd.read(&p) {
            Ok(der) if crate::pki::crl::CrlSet::new().add(&der, "CRL").is_ok() => ext.crls.push(der),
            Ok(_) => skip(&p, &"not a usable CRL"),
            Err(e) => skip(&p, &e),
        }
    }
    Ok(ext)
}

fn view_of(dd: &DataDir, sha: &str) -> Result<Option<TrustedView>, AdminError> {
    let docs = root(dd).join("documents").join(format!("{sha}.pem"));
    let clients = root(dd).join("clients").join(format!("{sha}.pem"));
    let purpose = match (docs.is_file(), clients.is_file()) {
        (true, true) => "both",
        (true, false) => "documents",
        (false, true) => "clients",
        (false, false) => return Ok(None),
    };
    let der = cert_of(dd, if docs.is_file() { &docs } else { &clients })?;
    let c = crate::pki::Cert::parse(&der).map_err(|e| AdminError::BadCertificate(e.to_string()))?;
    Ok(Some(TrustedView {
        sha256: sha.to_string(),
        purpose: purpose.to_string(),
        subject: c.subject_text(),
        not_after: super::rfc3339(c.not_after()),
        crl: root(dd).join("crl").join(format!("{sha}.der")).is_file(),
    }))
}

/// Every trusted external CA, by fingerprint.
pub fn list(dd: &DataDir) -> Result<Vec<TrustedView>, AdminError> {
    let mut shas: Vec<String> = watched_files(dd)
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "pem"))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    shas.sort();
    shas.dedup();
    let mut out = Vec::new();
    for sha in shas {
        if let Some(v) = view_of(dd, &sha)? {
            out.push(v);
        }
    }
    Ok(out)
}

fn audit(store: &dyn Store, actor: &str, detail: serde_json::Value) -> Result<(), AdminError> {
    let change = Change { events: vec![Event::admin(actor, detail)], ..Change::default() };
    store.commit(change, &|_| Ok(Vec::new()))?;
    Ok(())
}

/// Trusts the CA certificate in `cert` (PEM or DER, one certificate) for
/// `purpose`, with its CRL if given. Refuses a certificate that is not a
/// CA, is outside its validity, or is trusted already.
pub fn add(
    store: &dyn Store,
    dd: &DataDir,
    cert: &[u8],
    purpose: Purpose,
    crl: Option<&[u8]>,
    actor: &str,
) -> Result<TrustedView, AdminError> {
    if cert.len() > MAX_INPUT_BYTES || crl.is_some_and(|c| c.len() > MAX_INPUT_BYTES) {
        return Err(TrustError::TooLarge.into());
    }
    let ders = crate::pki::pem_or_der(cert, "CERTIFICATE", "the CA certificate")
        .map_err(|e| TrustError::BadCertificate(e.to_string()))?;
    let der = match ders.as_slice() {
        [one] => one.clone(),
        [] => return Err(TrustError::BadCertificate("no certificate found".into()).into()),
        many => return Err(TrustError::SeveralCertificates(many.len()).into()),
    };
    let (_, x) = x509_parser::parse_x509_certificate(&der).map_err(|e| TrustError::BadCertificate(e.to_string()))?;
    let c = crate::pki::Cert::parse(&der).map_err(|e| TrustError::BadCertificate(e.to_string()))?;
    let subject = c.subject_text();
    let is_ca = matches!(x.basic_constraints(), Ok(Some(bc)) if bc.value.ca);
    if !is_ca {
        return Err(TrustError::NotCa(subject).into());
    }
    let now = OffsetDateTime::now_utc();
    if c.not_after() < now {
        return Err(TrustError::Expired { subject, not_after: super::rfc3339(c.not_after()) }.into());
    }
    if c.not_before() > now {
        return Err(TrustError::NotYetValid { subject, not_before: super::rfc3339(c.not_before()) }.into());
    }
    let crl_der = match crl {
        None => None,
        Some(data) => {
            let der = crate::pki::pem_or_der(data, "X509 CRL", "the CRL")
                .map_err(|e| TrustError::BadCrl(e.to_string()))?
                .into_iter()
                .next()
                .ok_or_else(|| TrustError::BadCrl("no CRL found".into()))?;
            let (_, l) = x509_parser::parse_x509_crl(&der).map_err(|e| TrustError::BadCrl(e.to_string()))?;
            if l.issuer().as_raw() != x.subject().as_raw() {
                return Err(TrustError::CrlIssuer { crl_issuer: l.issuer().to_string(), ca: subject }.into());
            }
            // Checked as verification will read it (signature structure).
            crate::pki::crl::CrlSet::new().add(&der, "the CRL").map_err(|e| TrustError::BadCrl(e.to_string()))?;
            Some(der)
        }
    };
    let sha = sha256_hex(&der);
    if let Some(existing) = view_of(dd, &sha)? {
        return Err(TrustError::Duplicate(sha, existing.purpose).into());
    }
    if list(dd)?.len() >= MAX_TRUSTED {
        return Err(TrustError::TooMany.into());
    }
    let pem = pem_text(&der);
    // The CRL first, then the certificates: a server that looks between the
    // two writes sees nothing trusted yet rather than a CA without its list.
    if let Some(l) = &crl_der {
        write_file(&root(dd).join("crl").join(format!("{sha}.der")), l, false)?;
    }
    for sub in purpose.dirs() {
        write_file(&root(dd).join(sub).join(format!("{sha}.pem")), pem.as_bytes(), false)?;
    }
    let view = view_of(dd, &sha)?.ok_or_else(|| TrustError::NotFound(sha.clone()))?;
    audit(
        store,
        actor,
        serde_json::json!({"op": "trust_added", "sha256": sha, "purpose": view.purpose, "subject": view.subject, "crl": view.crl}),
    )?;
    Ok(view)
}

fn pem_text(der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut s = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        s.push_str(&String::from_utf8_lossy(chunk));
        s.push('\n');
    }
    s.push_str("-----END CERTIFICATE-----\n");
    s
}

/// A SHA-256 fingerprint as given (hex, colons allowed), normalised.
pub fn parse_fingerprint(s: &str) -> Result<String, TrustError> {
    let hex: String = s.chars().filter(|c| *c != ':').collect::<String>().to_ascii_lowercase();
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(TrustError::BadFingerprint(s.chars().take(100).collect()));
    }
    Ok(hex)
}

fn remove_files(dd: &DataDir, sha: &str, dirs: &[&str]) -> Result<(), AdminError> {
    for sub in dirs {
        let p = root(dd).join(sub).join(format!("{sha}.pem"));
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(AdminError::Io { path: p.display().to_string(), source }),
        }
    }
    if view_of(dd, sha)?.is_none() {
        let p = root(dd).join("crl").join(format!("{sha}.der"));
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(AdminError::Io { path: p.display().to_string(), source }),
        }
    }
    Ok(())
}

/// Stops trusting the CA with this fingerprint, for every purpose.
pub fn remove(store: &dyn Store, dd: &DataDir, fingerprint: &str, actor: &str) -> Result<TrustedView, AdminError> {
    let sha = parse_fingerprint(fingerprint)?;
    let view = view_of(dd, &sha)?.ok_or_else(|| TrustError::NotFound(sha.clone()))?;
    remove_files(dd, &sha, &["documents", "clients"])?;
    audit(
        store,
        actor,
        serde_json::json!({"op": "trust_removed", "sha256": sha, "purpose": view.purpose, "subject": view.subject}),
    )?;
    Ok(view)
}

/// Stops trusting every external CA for `purpose` (a CA trusted for both
/// keeps the other purpose). Returns what was removed.
pub fn remove_purpose(
    store: &dyn Store,
    dd: &DataDir,
    purpose: Purpose,
    actor: &str,
) -> Result<Vec<TrustedView>, AdminError> {
    let mut out = Vec::new();
    for view in list(dd)? {
        let touched = match (purpose, view.purpose.as_str()) {
            (Purpose::Both, _) | (_, "both") => true,
            (Purpose::Documents, p) => p == "documents",
            (Purpose::Clients, p) => p == "clients",
        };
        if !touched {
            continue;
        }
        remove_files(dd, &view.sha256, purpose.dirs())?;
        audit(
            store,
            actor,
            serde_json::json!({"op": "trust_removed", "sha256": view.sha256, "purpose": purpose_name(purpose), "subject": view.subject}),
        )?;
        out.push(view);
    }
    Ok(out)
}

fn purpose_name(p: Purpose) -> &'static str {
    match p {
        Purpose::Documents => "documents",
        Purpose::Clients => "clients",
        Purpose::Both => "both",
    }
}

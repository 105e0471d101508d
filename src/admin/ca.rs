//! The internal CAs of a data directory: the current one, which issues, and
//! the earlier ones a rotation left, which still vouch (and keep a CRL) for
//! what they issued until it expires.
//!
//! ```text
//! <data>/pki/ca.cert.pem, ca.key.pem, crl.der, crl.number      the current CA
//! <data>/pki/previous/<serial>/ca.cert.pem, ca.key.pem, crl.der, crl.number
//! ```
//!
//! Each CA has its own name ("vanthu internal CA", then "… 2", "… 3"):
//! TLS libraries pick a CA's CRL by the issuer's name, so two CAs with one
//! name would be told apart by luck.

use super::{AdminError, CRL_VALIDITY, CrlLock, register, rfc3339};
use crate::audit::{Action, Event};
use crate::datadir::{DataDir, write_file};
use crate::pki::ca::InternalCa;
use crate::store::{Change, Store};
use serde::Serialize;
use std::path::PathBuf;
use time::OffsetDateTime;

/// One CA of the data directory.
#[derive(Debug, Clone)]
pub struct CaSlot {
    pub dir: PathBuf,
    /// The CA that issues now (the others only keep their CRLs).
    pub current: bool,
}

impl CaSlot {
    pub fn cert_path(&self) -> PathBuf {
        self.dir.join("ca.cert.pem")
    }
    pub fn key_path(&self) -> PathBuf {
        self.dir.join("ca.key.pem")
    }
    pub fn crl_path(&self) -> PathBuf {
        self.dir.join("crl.der")
    }
    pub fn number_path(&self) -> PathBuf {
        self.dir.join("crl.number")
    }

    pub fn load(&self, dd: &DataDir) -> Result<InternalCa, AdminError> {
        Ok(InternalCa::load(&dd.read_text(&self.cert_path())?, &dd.read_key(&self.key_path())?)?)
    }

    pub fn cert_der(&self, dd: &DataDir) -> Result<Vec<u8>, AdminError> {
        let path = self.cert_path();
        crate::pki::pem_or_der(&dd.read(&path)?, "CERTIFICATE", &path.display().to_string())
            .ok()
            .and_then(|v| v.into_iter().next())
            .ok_or_else(|| AdminError::BadCertificate(path.display().to_string()))
    }

    /// The CA's subject as text, as [`super::record_of`] writes a
    /// certificate's issuer.
    pub fn subject(&self, dd: &DataDir) -> Result<String, AdminError> {
        let der = self.cert_der(dd)?;
        let (_, c) =
            x509_parser::parse_x509_certificate(&der).map_err(|e| AdminError::BadCertificate(e.to_string()))?;
        Ok(c.subject().to_string())
    }
}

fn previous_dir(dd: &DataDir) -> PathBuf {
    dd.pki("previous")
}

/// The CAs of `dd`, the current one first, then earlier ones by serial.
pub fn slots(dd: &DataDir) -> Result<Vec<CaSlot>, AdminError> {
    if !dd.is_initialised() {
        return Err(crate::datadir::DataDirError::NotInitialised { path: dd.root.display().to_string() }.into());
    }
    let mut v = vec![CaSlot { dir: dd.root.join("pki"), current: true }];
    let mut earlier: Vec<PathBuf> = match std::fs::read_dir(previous_dir(dd)) {
        Ok(entries) => entries.flatten().map(|e| e.path()).filter(|p| p.join("ca.cert.pem").is_file()).collect(),
        Err(_) => Vec::new(),
    };
    earlier.sort();
    v.extend(earlier.into_iter().map(|dir| CaSlot { dir, current: false }));
    Ok(v)
}

/// Every CA certificate as one PEM text, current first: a client's
/// `ca.pem` (the server's own certificate may come from an earlier CA).
pub fn bundle_pem(dd: &DataDir) -> Result<String, AdminError> {
    let mut s = String::new();
    for slot in slots(dd)? {
        s.push_str(&dd.read_text(&slot.cert_path())?);
        if !s.ends_with('\n') {
            s.push('\n');
        }
    }
    Ok(s)
}

/// What the server trusts of the internal CAs: their certificates and
/// CRLs (DER), current first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternalPki {
    pub cas: Vec<Vec<u8>>,
    pub crls: Vec<Vec<u8>>,
    /// The external CAs trusted per purpose (`pki/trusted/`), read with the
    /// internal ones so that one watcher puts both in force.
    pub external: super::trust::External,
}

impl InternalPki {
    /// The current CA's CRL (served at `/crl/internal.crl`).
    pub fn current_crl(&self) -> Option<&[u8]> {
        self.crls.first().map(Vec::as_slice)
    }
}

pub fn internal_pki(dd: &DataDir) -> Result<InternalPki, AdminError> {
    let mut pki = InternalPki { cas: Vec::new(), crls: Vec::new(), external: super::trust::load(dd)? };
    for slot in slots(dd)? {
        pki.cas.push(slot.cert_der(dd)?);
        pki.crls.push(dd.read(&slot.crl_path())?);
    }
    Ok(pki)
}

/// The files whose change means the internal PKI changed (the server
/// watches their modification times).
pub fn watched_files(dd: &DataDir) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> =
        slots(dd).map(|v| v.iter().flat_map(|s| [s.cert_path(), s.crl_path()]).collect()).unwrap_or_default();
    v.extend(super::trust::watched_files(dd));
    v
}

/// A CA as `vanthu ca show` and the admin API describe it.
#[derive(Debug, Clone, Serialize)]
pub struct CaView {
    pub current: bool,
    pub subject: String,
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
    /// SHA-256 of the certificate (DER), hex: what to compare by phone.
    pub sha256: String,
    pub crl_number: u64,
    /// Certificates it issued that are revoked / still valid (registry).
    pub revoked: usize,
    pub valid: usize,
}

pub fn show(store: &dyn Store, dd: &DataDir) -> Result<Vec<CaView>, AdminError> {
    let registry = store.certificates()?;
    let now = OffsetDateTime::now_utc();
    let mut out = Vec::new();
    for slot in slots(dd)? {
        let der = slot.cert_der(dd)?;
        let (_, c) =
            x509_parser::parse_x509_certificate(&der).map_err(|e| AdminError::BadCertificate(e.to_string()))?;
        let subject = c.subject().to_string();
        let mine = registry.iter().filter(|r| r.issuer == subject && r.kind != "ca");
        let revoked = mine.clone().filter(|r| r.status == "revoked").count();
        let valid = mine
            .filter(|r| {
                r.status == "valid"
                    && OffsetDateTime::parse(&r.not_after, &time::format_description::well_known::Rfc3339)
                        .is_ok_and(|t| t > now)
            })
            .count();
        let number = dd.read_text(&slot.number_path()).ok().and_then(|t| t.trim().parse().ok()).unwrap_or(0);
        out.push(CaView {
            current: slot.current,
            serial: super::normalize_serial(&c.raw_serial().iter().map(|b| format!("{b:02x}")).collect::<String>())?,
            subject,
            not_before: rfc3339(c.validity().not_before.to_datetime()),
            not_after: rfc3339(c.validity().not_after.to_datetime()),
            sha256: ring::digest::digest(&ring::digest::SHA256, &der)
                .as_ref()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
            crl_number: number,
            revoked,
            valid,
        });
    }
    Ok(out)
}

/// The next CA's name: the first one's, numbered by generation.
fn next_name(current: &str, generation: usize) -> String {
    let base = match current.rsplit_once(' ') {
        Some((b, n)) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => b,
        _ => current,
    };
    format!("{base} {generation}")
}

/// `vanthu ca rotate`: a new CA key and certificate become current; the
/// old CA moves to `pki/previous/<serial>/` with its key and CRL, so what
/// it issued stays valid (and revocable) until it expires, and both are
/// trusted for client authentication and document signatures meanwhile.
///
/// The old CA's files are copied before the new ones replace them, and
/// the new key is written last (its presence marks the directory as
/// initialised, as at `init`).
pub fn rotate(store: &dyn Store, dd: &DataDir, actor: &str) -> Result<CaView, AdminError> {
    let _lock = CrlLock::take(dd)?;
    super::keys::refuse_if_pending(dd)?;
    let all = slots(dd)?;
    let current = all.first().ok_or(AdminError::BadCertificate("no current CA".into()))?.clone();
    // The secret first: nothing is written if the new key could not be sealed.
    let master = dd.require_master_key(&current.key_path())?;
    let old = current.load(dd)?;
    let old_der = current.cert_der(dd)?;
    let old_view_serial = {
        let (_, c) =
            x509_parser::parse_x509_certificate(&old_der).map_err(|e| AdminError::BadCertificate(e.to_string()))?;
        super::normalize_serial(&c.raw_serial().iter().map(|b| format!("{b:02x}")).collect::<String>())?
    };
    let keep = CaSlot { dir: previous_dir(dd).join(&old_view_serial), current: false };
    write_file(&keep.crl_path(), &dd.read(&current.crl_path())?, false)?;
    write_file(&keep.number_path(), dd.read_text(&current.number_path())?.as_bytes(), false)?;
    // Re-sealed for its new place (the place is bound to the sealed key).
    dd.write_key(&master, &keep.key_path(), &dd.read_key(&current.key_path())?)?;
    write_file(&keep.cert_path(), old.cert_pem().as_bytes(), false)?;

    let now = OffsetDateTime::now_utc();
    let name = next_name(old.name(), all.len().saturating_add(1));
    let (ca, key_pem) = InternalCa::create(&name, now)?;
    let crl = ca.crl(&[], 1, now, CRL_VALIDITY)?;
    write_file(&current.crl_path(), &crl, false)?;
    write_file(&current.number_path(), b"1", false)?;
    write_file(&current.cert_path(), ca.cert_pem().as_bytes(), false)?;
    dd.write_key(&master, &current.key_path(), &key_pem)?;

    let new_der = current.cert_der(dd)?;
    let records = register(store, &[("ca", &new_der)], actor)?;
    let new_serial = records.first().map(|r| r.serial.clone()).unwrap_or_default();
    let change = Change {
        events: vec![Event {
            actor: actor.to_string(),
            action: Action::Admin,
            document: None,
            detail: serde_json::json!({"op": "ca_rotated", "previous": old_view_serial, "current": new_serial, "name": name}),
            time: now,
        }],
        ..Change::default()
    };
    store.commit(change, &|_| Ok(Vec::new()))?;
    show(store, dd)?.into_iter().next().ok_or(AdminError::BadCertificate("no current CA".into()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_generation_has_its_own_name() {
        assert_eq!(super::next_name("vanthu internal CA", 2), "vanthu internal CA 2");
        assert_eq!(super::next_name("vanthu internal CA 2", 3), "vanthu internal CA 3");
    }
}

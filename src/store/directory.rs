//! The directory as the store keeps it: one version after another, each
//! the whole directory, each change committed with its audit entry.
//!
//! The store is where every gateway instance (and the CLI) finds the
//! directory in force. A change reads the current version, applies the
//! [`Edit`] (the directory module checks the result whole), and commits the
//! next version only if nobody committed one meanwhile; otherwise it reads
//! again and retries, so two administrators never lose each other's edits.
//!
//! The first time a store is used without a directory it is seeded from
//! the directory file (`<data>/directory.json`, what earlier versions of
//! vanthu routed by), or from the sample if there is no file: nothing an
//! operator wrote is lost, and the file is not read again.

use super::{Change, DirectoryWrite, Store, StoreError, StoredDirectory};
use crate::audit::{Event, Hash};
use crate::directory::edit::{Edit, EditError};
use crate::directory::{Directory, DirectoryError, Limits};
use serde_json::{Value, json};
use std::path::Path;
use thiserror::Error;

/// Why the directory could not be read or changed.
#[derive(Debug, Error)]
pub enum DirectoryStoreError {
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The change was refused; nothing changed.
    #[error("{0}")]
    Edit(#[from] EditError),
    /// The stored directory does not pass its own checks (edited by hand?).
    #[error("the directory in the store (version {version}) is invalid: {error}")]
    Corrupt { version: u64, error: DirectoryError },
    /// The file to seed the store from is unusable.
    #[error("{path}: {message}")]
    Seed { path: String, message: String },
    /// Other writers kept committing first.
    #[error("the directory kept changing while this change was made; try again")]
    Busy,
}

/// How often a change is retried when another writer committed first.
const ATTEMPTS: usize = 5;

/// The directory in force and its version, `None` if the store has none yet.
pub fn load(store: &dyn Store) -> Result<Option<(u64, Directory)>, DirectoryStoreError> {
    let Some(stored) = store.directory()? else { return Ok(None) };
    parse(&stored).map(|d| Some((stored.version, d)))
}

/// The stored text of the current directory (an export), with its version.
pub fn export(store: &dyn Store) -> Result<Option<StoredDirectory>, DirectoryStoreError> {
    Ok(store.directory()?)
}

fn parse(stored: &StoredDirectory) -> Result<Directory, DirectoryStoreError> {
    Directory::from_json(stored.document.as_bytes())
        .map_err(|error| DirectoryStoreError::Corrupt { version: stored.version, error })
}

/// The directory in force; if the store has none, first seeds it from the
/// file at `seed` (if it exists) or the sample, as `system`.
pub fn ensure(store: &dyn Store, seed: &Path) -> Result<(u64, Directory), DirectoryStoreError> {
    if let Some(found) = load(store)? {
        return Ok(found);
    }
    let bad = |message: String| DirectoryStoreError::Seed { path: seed.display().to_string(), message };
    let (directory, source) = match std::fs::metadata(seed) {
        Ok(m) if m.is_file() => {
            let limit = Limits::default().max_bytes;
            if m.len() > limit as u64 {
                return Err(bad(format!("{} bytes, more than the limit of {limit}", m.len())));
            }
            let bytes = std::fs::read(seed).map_err(|e| bad(e.to_string()))?;
            (Directory::from_json(&bytes).map_err(|e| bad(e.to_string()))?, seed.display().to_string())
        }
        _ => (crate::directory::sample::hcmc(), "sample".to_string()),
    };
    let document = to_text(&directory)?;
    let sha256 = Hash::of(document.as_bytes()).to_string();
    let detail = json!({"op": "directory_seeded", "version": 1, "source": source, "sha256": sha256,
                        "units": directory.units().len(), "groups": directory.groups().len()});
    match commit(store, None, document, sha256, "system", detail) {
        Ok(()) => Ok((1, directory)),
        // Another process seeded it first: use theirs.
        Err(StoreError::DirectoryChanged { .. }) => load(store)?.ok_or(DirectoryStoreError::Busy),
        Err(e) => Err(e.into()),
    }
}

/// What a change did.
#[derive(Debug)]
pub struct Updated {
    /// The new version.
    pub version: u64,
    pub directory: Directory,
    /// What changed, as the audit log records it.
    pub detail: Value,
}

/// Applies `edit` to the directory in force and commits it as the next
/// version, with an audit entry by `actor` saying what changed.
pub fn update(store: &dyn Store, edit: &Edit, actor: &str) -> Result<Updated, DirectoryStoreError> {
    for _ in 0..ATTEMPTS {
        let (expect, current) = match load(store)? {
            Some((v, d)) => (Some(v), d),
            None => (None, Directory::from_file(Default::default(), Limits::default()).map_err(EditError::from)?),
        };
        let applied = current.apply(edit, Limits::default())?;
        let version = expect.map_or(1, |v| v.saturating_add(1));
        let document = to_text(&applied.directory)?;
        let sha256 = Hash::of(document.as_bytes()).to_string();
        let mut detail = applied.detail;
        if let Some(obj) = detail.as_object_mut() {
            let op = obj.get("op").and_then(Value::as_str).unwrap_or("change").to_string();
            obj.insert("op".into(), Value::String(format!("directory_{op}")));
            obj.insert("version".into(), json!(version));
            obj.insert("sha256".into(), Value::String(sha256.clone()));
        }
        match commit(store, expect, document, sha256, actor, detail.clone()) {
            Ok(()) => return Ok(Updated { version, directory: applied.directory, detail }),
            Err(StoreError::DirectoryChanged { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(DirectoryStoreError::Busy)
}

fn to_text(d: &Directory) -> Result<String, DirectoryStoreError> {
    let bytes = d.to_json().map_err(EditError::from)?;
    String::from_utf8(bytes).map_err(|_| DirectoryStoreError::Store(StoreError::Corrupt("directory text")))
}

fn commit(
    store: &dyn Store,
    expect: Option<u64>,
    document: String,
    sha256: String,
    actor: &str,
    detail: Value,
) -> Result<(), StoreError> {
    let change = Change {
        directory: Some(DirectoryWrite { expect, document, sha256, actor: actor.to_string() }),
        events: vec![Event::admin(actor, detail)],
        ..Change::default()
    };
    store.commit(change, &|_| Ok(Vec::new())).map(|_| ())
}

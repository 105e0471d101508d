//! Re-encryption of every key vanthu holds under a new master secret
//! (`vanthu keys rekey`).
//!
//! # Which files
//!
//! Every regular file of the data directory that the keystore sealed: the
//! rule is the file's own header ([`crate::pki::keystore::is_sealed`]), not
//! a list of names, so keys added by any part of vanthu (CA, earlier CAs,
//! server, TSA, receipts, organisations, people) are found wherever they
//! live. `blobs/` (documents, never keys) is not read; symbolic links are
//! not followed.
//!
//! # Crash safety
//!
//! The old files are never touched until every new one is on disk:
//!
//! 1. The current secret must open every sealed file (else nothing is done,
//!    and the files it does not open are listed).
//! 2. Each key is sealed under the new secret into `<file>.rekey` beside it
//!    (fsynced, then the directories).
//! 3. The commit point: `pki/rekey.pending` (the list of files) is written.
//! 4. Each `<file>.rekey` is renamed over `<file>`; the audit entry is
//!    committed; the marker is removed.
//!
//! A stop before 3 leaves every key under the old secret (the `.rekey`
//! files are removed by the next run). A stop after 3 leaves each file
//! either renamed (new secret) or with its new version beside it: the
//! recovery rule is "rename every `<file>.rekey` over `<file>`", which is
//! what running the same `vanthu keys rekey --new-master-key-file F` again
//! does (it checks that F opens every new file first). `vanthu serve`
//! refuses to start while the marker exists.
//!
//! No sockets; the store only for the audit entry.

use crate::audit::{Action, Event};
use crate::datadir::{DataDir, DataDirError, write_file};
use crate::pki::keystore::{KeystoreError, MasterKey, is_sealed};
use crate::store::{Change, Store, StoreError};
use std::io::Read;
use std::path::{Path, PathBuf};
use thiserror::Error;
use time::OffsetDateTime;

/// The commit marker, relative to the data directory.
pub const MARKER: &str = "pki/rekey.pending";
/// What a key's new version is called beside it until it is renamed.
const NEW_SUFFIX: &str = ".rekey";
/// Directories that hold no keys and may hold very many files.
const SKIP_DIRS: &[&str] = &["blobs"];
/// Budgets of the scan: a data directory is shallow and holds at most
/// one key per person, organisation and CA.
const MAX_DEPTH: usize = 16;
const MAX_KEYS: usize = 100_000;
/// A sealed key is a few KB; anything larger is not one of ours.
const MAX_KEY_FILE: u64 = 1024 * 1024;
/// Test hook: stop (as a crash would) after this many renames. Read only
/// in debug builds (the tests'); a release build ignores it.
const FAULT_VAR: &str = "VANTHU_TEST_REKEY_STOP_AFTER";

/// Why the keys could not be re-sealed.
#[derive(Debug, Error)]
pub enum RekeyError {
    #[error("{0}")]
    DataDir(#[from] DataDirError),
    #[error("{0}")]
    Keystore(#[from] KeystoreError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("the current master secret does not open {} key file(s): {}; nothing was changed", .0.len(), .0.join(", "))]
    OldDoesNotOpen(Vec<String>),
    #[error("the new master secret is the one in use; nothing to do")]
    SameSecret,
    #[error(
        "an interrupted re-encryption is pending ({MARKER}) and this new secret does not open {}: give the --new-master-key-file of the interrupted run", .0.join(", ")
    )]
    ResumeMismatch(Vec<String>),
    #[error(
        "a re-encryption of the keys was interrupted ({0}): run `vanthu keys rekey --new-master-key-file <the new secret>` again to finish it, then start with the new secret"
    )]
    Pending(String),
    #[error("{MARKER} is unreadable; see README (keys at rest) to finish by hand")]
    BadMarker,
    #[error(
        "the key files changed while they were re-sealed (is vanthu serve or another command running?); nothing was changed"
    )]
    Changed,
    #[error("{path} ({size} bytes) is too large for a sealed key")]
    TooLarge { path: String, size: u64 },
    #[error("more than {MAX_KEYS} sealed key files, or directories deeper than {MAX_DEPTH}, under the data directory")]
    Budget,
    #[error(
        "re-sealing stopped after {done} of {total} key files ({reason}); each key's new version is on disk: run the same `vanthu keys rekey --new-master-key-file` again to finish"
    )]
    Interrupted { done: usize, total: usize, reason: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RekeyError + '_ {
    move |source| RekeyError::Io { path: path.display().to_string(), source }
}

/// What a re-encryption did.
#[derive(Debug)]
pub struct Rekeyed {
    /// The key files re-sealed, relative to the data directory.
    pub files: Vec<String>,
    /// It finished an interrupted run.
    pub resumed: bool,
    /// The new secret's file was generated (it did not exist).
    pub secret_created: bool,
}

/// The marker of an interrupted re-encryption, if there is one.
pub fn pending(dd: &DataDir) -> Option<PathBuf> {
    let p = dd.root.join(MARKER);
    p.exists().then_some(p)
}

/// Refuses to go on while a re-encryption is unfinished: a key written now
/// would be sealed under a secret the rest no longer shares.
pub fn refuse_if_pending(dd: &DataDir) -> Result<(), RekeyError> {
    match pending(dd) {
        Some(p) => Err(RekeyError::Pending(p.display().to_string())),
        None => Ok(()),
    }
}

/// Every key file the keystore sealed under `dd`, sorted.
pub fn sealed_files(dd: &DataDir) -> Result<Vec<PathBuf>, RekeyError> {
    let mut found = Vec::new();
    let mut stack = vec![(dd.root.clone(), 0usize)];
    while let Some((dir, depth)) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(io(&dir))? {
            let entry = entry.map_err(io(&dir))?;
            let path = entry.path();
            // Not followed: a link could point out of the data directory.
            let kind = entry.file_type().map_err(io(&path))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if kind.is_dir() {
                if depth == 0 && SKIP_DIRS.contains(&name.as_str()) {
                    continue;
                }
                if depth >= MAX_DEPTH {
                    return Err(RekeyError::Budget);
                }
                stack.push((path, depth + 1));
            } else if kind.is_file()
                && !name.ends_with(NEW_SUFFIX)
                && !name.ends_with(".partial")
                && starts_sealed(&path)?
            {
                if found.len() >= MAX_KEYS {
                    return Err(RekeyError::Budget);
                }
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Whether the file begins as a sealed key (only its head is read).
fn starts_sealed(path: &Path) -> Result<bool, RekeyError> {
    let mut head = Vec::with_capacity(64);
    std::fs::File::open(path).and_then(|f| f.take(64).read_to_end(&mut head)).map_err(io(path))?;
    Ok(is_sealed(&head))
}

fn read_key_file(path: &Path) -> Result<Vec<u8>, RekeyError> {
    let size = std::fs::metadata(path).map_err(io(path))?.len();
    if size > MAX_KEY_FILE {
        return Err(RekeyError::TooLarge { path: path.display().to_string(), size });
    }
    std::fs::read(path).map_err(io(path))
}

fn new_version(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(NEW_SUFFIX);
    PathBuf::from(s)
}

/// Writes a key's new version (mode 0600) and fsyncs it. No temporary
/// file: the new version is itself one until the commit point.
fn write_new_version(path: &Path, data: &[u8]) -> Result<(), RekeyError> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(io(path))?;
    f.write_all(data).and_then(|()| f.sync_all()).map_err(io(path))
}

/// Makes renames and new files in `dirs` durable.
fn sync_dirs(paths: &[PathBuf]) -> Result<(), RekeyError> {
    let mut dirs: Vec<&Path> =
        paths.iter().map(|p| p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."))).collect();
    dirs.sort();
    dirs.dedup();
    for d in dirs {
        std::fs::File::open(d).and_then(|f| f.sync_all()).map_err(io(d))?;
    }
    Ok(())
}

/// Reads the new secret from `path`, or generates one there (mode 0600)
/// when the file does not exist yet.
fn new_secret(dd: &DataDir, path: &Path, may_create: bool) -> Result<(MasterKey, bool), RekeyError> {
    const WHAT: &str = "--new-master-key-file";
    if path.exists() || !may_create {
        dd.outside(WHAT, path)?;
        return Ok((MasterKey::from_text(&dd.read_text(path)?)?, false));
    }
    // Not created inside the directory it protects.
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        dd.outside(WHAT, parent)?;
    } else {
        dd.outside(WHAT, Path::new("."))?;
    }
    let (key, text) = MasterKey::generate()?;
    write_file(path, text.as_bytes(), true)?;
    sync_dirs(&[path.to_path_buf()])?;
    Ok((key, true))
}

/// `vanthu keys rekey`: re-seals every key file under the secret in
/// `new_secret_path` (generated there if the file does not exist), or
/// finishes an interrupted run. The current secret is found as everywhere
/// else ([`DataDir::master_key`]).
pub fn rekey(store: &dyn Store, dd: &DataDir, new_secret_path: &Path, actor: &str) -> Result<Rekeyed, RekeyError> {
    if !dd.is_initialised() {
        return Err(DataDirError::NotInitialised { path: dd.root.display().to_string() }.into());
    }
    if let Some(marker) = pending(dd) {
        let (new, _) = new_secret(dd, new_secret_path, false)?;
        return resume(store, dd, &marker, &new, actor);
    }
    let current = dd.require_master_key(&dd.pki("ca.key.pem"))?;
    // A given secret is checked now; a new one is generated only once the
    // current secret has opened every key (a refusal leaves nothing behind).
    let given = if new_secret_path.exists() { Some(new_secret(dd, new_secret_path, false)?.0) } else { None };
    if given.as_ref().is_some_and(|n| current.same_secret(n)) {
        return Err(RekeyError::SameSecret);
    }

    // 1. The current secret opens every key, or nothing is done.
    let files = sealed_files(dd)?;
    let mut plain = Vec::with_capacity(files.len());
    let mut closed = Vec::new();
    for f in &files {
        let data = read_key_file(f)?;
        match current.open(&dd.place(f), &data, &dd.place(f)) {
            Ok(p) => plain.push(p),
            Err(_) => closed.push(dd.place(f)),
        }
    }
    if !closed.is_empty() {
        return Err(RekeyError::OldDoesNotOpen(closed));
    }
    let (new, secret_created) = match given {
        Some(n) => (n, false),
        None => new_secret(dd, new_secret_path, true)?,
    };

    // 2. The new versions beside the old files.
    let news: Vec<PathBuf> = files.iter().map(|f| new_version(f)).collect();
    let written = (|| {
        for ((f, p), n) in files.iter().zip(&plain).zip(&news) {
            let sealed = new.seal(&dd.place(f), p)?;
            write_new_version(n, sealed.as_bytes())?;
        }
        sync_dirs(&news)?;
        // A key written meanwhile (a rotation, a person added) would be
        // left under the old secret: start again rather than commit.
        if sealed_files(dd)? != files {
            return Err(RekeyError::Changed);
        }
        Ok(())
    })();
    if let Err(e) = written {
        for n in &news {
            let _ = std::fs::remove_file(n);
        }
        return Err(e);
    }

    // 3. The commit point.
    let places: Vec<String> = files.iter().map(|f| dd.place(f)).collect();
    let marker = dd.root.join(MARKER);
    let list = serde_json::json!({ "version": 1, "files": places }).to_string();
    write_file(&marker, list.as_bytes(), false)?;
    sync_dirs(std::slice::from_ref(&marker))?;

    // 4. Renames, audit, marker gone.
    finish(store, dd, &marker, &files, false, actor)?;
    Ok(Rekeyed { files: places, resumed: false, secret_created })
}

/// Finishes a run stopped after its commit point: every listed file, or its
/// new version beside it, must open with `new` (so a wrong secret changes
/// nothing), then the renames go on.
fn resume(store: &dyn Store, dd: &DataDir, marker: &Path, new: &MasterKey, actor: &str) -> Result<Rekeyed, RekeyError> {
    let text = std::fs::read(marker).map_err(io(marker))?;
    let v: serde_json::Value = serde_json::from_slice(&text).map_err(|_| RekeyError::BadMarker)?;
    let places: Vec<String> = v
        .get("files")
        .and_then(|f| f.as_array())
        .ok_or(RekeyError::BadMarker)?
        .iter()
        .map(|p| p.as_str().map(str::to_string).ok_or(RekeyError::BadMarker))
        .collect::<Result<_, _>>()?;
    if places.len() > MAX_KEYS {
        return Err(RekeyError::Budget);
    }
    let mut files = Vec::with_capacity(places.len());
    let mut closed = Vec::new();
    for place in &places {
        // Places are relative paths the run itself wrote; anything else
        // (absolute, `..`) is not followed.
        let rel = Path::new(place);
        if rel.components().any(|c| !matches!(c, std::path::Component::Normal(_))) {
            return Err(RekeyError::BadMarker);
        }
        let f = dd.root.join(rel);
        let n = new_version(&f);
        let candidate = if n.exists() { n } else { f.clone() };
        let opens = read_key_file(&candidate).ok().is_some_and(|d| new.open(place, &d, place).is_ok());
        if !opens {
            closed.push(place.clone());
        }
        files.push(f);
    }
    if !closed.is_empty() {
        return Err(RekeyError::ResumeMismatch(closed));
    }
    finish(store, dd, marker, &files, true, actor)?;
    Ok(Rekeyed { files: places, resumed: true, secret_created: false })
}

/// Step 4: each new version over its file, the audit entry, the marker
/// removed last (a stop before that is resumed by the next run).
fn finish(
    store: &dyn Store,
    dd: &DataDir,
    marker: &Path,
    files: &[PathBuf],
    resumed: bool,
    actor: &str,
) -> Result<(), RekeyError> {
    let stop_after: Option<usize> =
        if cfg!(debug_assertions) { std::env::var(FAULT_VAR).ok().and_then(|v| v.parse().ok()) } else { None };
    let total = files.len();
    for (done, f) in files.iter().enumerate() {
        if stop_after == Some(done) {
            return Err(RekeyError::Interrupted { done, total, reason: format!("stopped by {FAULT_VAR}") });
        }
        let n = new_version(f);
        if n.exists() {
            std::fs::rename(&n, f).map_err(|e| RekeyError::Interrupted {
                done,
                total,
                reason: format!("{}: {e}", f.display()),
            })?;
        }
    }
    sync_dirs(files)?;
    let places: Vec<String> = files.iter().map(|f| dd.place(f)).collect();
    // The audit entry names the files, never a secret.
    let change = Change {
        events: vec![Event {
            actor: actor.to_string(),
            action: Action::Admin,
            document: None,
            detail: serde_json::json!({"op": "keys_resealed", "count": places.len(), "files": places, "resumed": resumed}),
            time: OffsetDateTime::now_utc(),
        }],
        ..Change::default()
    };
    store.commit(change, &|_| Ok(Vec::new()))?;
    std::fs::remove_file(marker).map_err(io(marker))?;
    sync_dirs(&[marker.to_path_buf()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scan_finds_sealed_files_by_their_header_anywhere_but_blobs_and_links() {
        let t = tempfile::tempdir().unwrap();
        let dd = DataDir::new(t.path());
        let (k, _) = MasterKey::generate().unwrap();
        let sealed = k.seal("x", b"-----BEGIN PRIVATE KEY-----\n").unwrap();
        for rel in ["pki/ca.key.pem", "pki/people/deep/er/p.bin", "blobs/ab/cd", "pki/tsa.key.pem.rekey"] {
            let p = t.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, &sealed).unwrap();
        }
        std::fs::write(t.path().join("pki/plain.key.pem"), "-----BEGIN PRIVATE KEY-----\n").unwrap();
        std::os::unix::fs::symlink(t.path().join("pki/ca.key.pem"), t.path().join("pki/link.key.pem")).unwrap();
        let found: Vec<String> = sealed_files(&dd).unwrap().iter().map(|p| dd.place(p)).collect();
        assert_eq!(found, ["pki/ca.key.pem", "pki/people/deep/er/p.bin"]);
    }

    #[test]
    fn a_marker_naming_paths_outside_the_directory_is_refused() {
        let t = tempfile::tempdir().unwrap();
        let dd = DataDir::new(t.path());
        let (k, _) = MasterKey::generate().unwrap();
        let marker = t.path().join(MARKER);
        std::fs::create_dir_all(marker.parent().unwrap()).unwrap();
        for bad in [r#"{"files": ["../etc/x"]}"#, r#"{"files": ["/etc/x"]}"#, r#"{"files": 3}"#, "not json"] {
            std::fs::write(&marker, bad).unwrap();
            let store = crate::store::sqlite::SqliteStore::open(&t.path().join("db")).unwrap();
            assert!(matches!(resume(&store, &dd, &marker, &k, "t"), Err(RekeyError::BadMarker)), "{bad}");
        }
    }
}

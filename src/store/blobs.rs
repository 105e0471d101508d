//! Document bytes on disk, addressed by their SHA-256.
//!
//! A blob is written to a temporary file in the store's own directory,
//! fsynced, and renamed to its digest: a reader never sees a partial blob,
//! and a crash leaves at most an orphan temporary file (swept at start).
//! The same bytes are stored once, whoever sends them.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum BlobError {
    #[error("document store I/O on {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("the upload is over the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("not a blob id: {0:?}")]
    BadId(String),
}

/// A blob's identity: the lowercase hex SHA-256 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BlobId(String);

impl BlobId {
    pub fn from_digest(d: &[u8]) -> BlobId {
        BlobId(d.iter().map(|b| format!("{b:02x}")).collect())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for BlobId {
    type Error = BlobError;
    fn try_from(s: String) -> Result<Self, BlobError> {
        if s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            Ok(BlobId(s))
        } else {
            Err(BlobError::BadId(s))
        }
    }
}

impl From<BlobId> for String {
    fn from(b: BlobId) -> String {
        b.0
    }
}

impl std::fmt::Display for BlobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The content-addressed store under one directory.
#[derive(Debug, Clone)]
pub struct Blobs {
    dir: PathBuf,
}

/// A blob being written: bytes go to a temporary file and into the digest
/// as they arrive, so an upload is never held whole in memory.
pub struct BlobWriter {
    file: File,
    tmp: PathBuf,
    dir: PathBuf,
    digest: ring::digest::Context,
    len: u64,
    limit: u64,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BlobError + '_ {
    move |source| BlobError::Io { path: path.display().to_string(), source }
}

impl Blobs {
    /// Opens (creating) the store in `dir` and removes temporary files a
    /// crash may have left.
    pub fn open(dir: &Path) -> Result<Blobs, BlobError> {
        std::fs::create_dir_all(dir.join("tmp")).map_err(io(dir))?;
        if let Ok(entries) = std::fs::read_dir(dir.join("tmp")) {
            for e in entries.flatten() {
                let _ = std::fs::remove_file(e.path());
            }
        }
        Ok(Blobs { dir: dir.to_path_buf() })
    }

    fn path_of(&self, id: &BlobId) -> PathBuf {
        // Two levels of fan-out keep directories small at millions of blobs.
        let s = id.as_str();
        self.dir.join(s.get(..2).unwrap_or("00")).join(s)
    }

    /// Starts writing a blob of at most `limit` bytes.
    pub fn writer(&self, limit: u64) -> Result<BlobWriter, BlobError> {
        use ring::rand::SecureRandom;
        let mut r = [0u8; 12];
        let _ = ring::rand::SystemRandom::new().fill(&mut r);
        let name: String = r.iter().map(|b| format!("{b:02x}")).collect();
        let tmp = self.dir.join("tmp").join(name);
        let file = File::create(&tmp).map_err(io(&tmp))?;
        Ok(BlobWriter {
            file,
            tmp,
            dir: self.dir.clone(),
            digest: ring::digest::Context::new(&ring::digest::SHA256),
            len: 0,
            limit,
        })
    }

    /// Stores `data` whole (small things: a signature update, a header).
    pub fn put(&self, data: &[u8]) -> Result<BlobId, BlobError> {
        let mut w = self.writer(data.len() as u64)?;
        w.write(data)?;
        Ok(w.commit()?.0)
    }

    /// Opens a blob for reading.
    pub fn open_blob(&self, id: &BlobId) -> Result<File, BlobError> {
        let p = self.path_of(id);
        File::open(&p).map_err(io(&p))
    }

    /// The path of a stored blob (for tools that read files).
    pub fn path(&self, id: &BlobId) -> PathBuf {
        self.path_of(id)
    }

    /// Reads a whole blob.
    pub fn read(&self, id: &BlobId) -> Result<Vec<u8>, BlobError> {
        let p = self.path_of(id);
        let mut v = Vec::new();
        File::open(&p).and_then(|mut f| f.read_to_end(&mut v)).map_err(io(&p))?;
        Ok(v)
    }

    pub fn exists(&self, id: &BlobId) -> bool {
        self.path_of(id).is_file()
    }

    /// Total bytes stored (for the metrics).
    pub fn size(&self) -> u64 {
        let mut total = 0u64;
        let Ok(top) = std::fs::read_dir(&self.dir) else { return 0 };
        for d in top.flatten() {
            if let Ok(files) = std::fs::read_dir(d.path()) {
                for f in files.flatten() {
                    total = total.saturating_add(f.metadata().map(|m| m.len()).unwrap_or(0));
                }
            }
        }
        total
    }
}

impl BlobWriter {
    /// Appends bytes; refuses to go past the limit.
    pub fn write(&mut self, data: &[u8]) -> Result<(), BlobError> {
        let new_len = self.len.saturating_add(data.len() as u64);
        if new_len > self.limit {
            return Err(BlobError::TooLarge { limit: self.limit });
        }
        self.file.write_all(data).map_err(io(&self.tmp))?;
        self.digest.update(data);
        self.len = new_len;
        Ok(())
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    /// The SHA-256 of the bytes written so far, lowercase hex.
    pub fn digest_hex(&self) -> String {
        BlobId::from_digest(self.digest.clone().finish().as_ref()).0
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The path of the bytes written so far (to verify before committing).
    pub fn temp_path(&self) -> &Path {
        &self.tmp
    }

    /// Makes the blob durable and visible under its digest.
    pub fn commit(self) -> Result<(BlobId, u64), BlobError> {
        self.file.sync_all().map_err(io(&self.tmp))?;
        let id = BlobId::from_digest(self.digest.clone().finish().as_ref());
        let s = id.as_str();
        let dir = self.dir.join(s.get(..2).unwrap_or("00"));
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let dest = dir.join(s);
        std::fs::rename(&self.tmp, &dest).map_err(io(&dest))?;
        // The rename itself must survive a crash: sync the directory.
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok((id, self.len))
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        // After a commit the temporary file is gone and this fails quietly.
        let _ = std::fs::remove_file(&self.tmp);
    }
}

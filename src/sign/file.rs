//! Signing a file without holding it.
//!
//! The input is copied to a temporary file beside the output by the kernel
//! (`std::io::copy` between two files uses copy_file_range, so the bytes
//! never pass through this process) while this thread hashes it, read by
//! position: the copy and the hash each cost about one read of the file,
//! and side by side they cost one. The copy's data is flushed to disk as
//! soon as it is complete; the signature is then laid out over the copy,
//! the incremental update appended, the file synced (only the update is
//! left to write) and renamed into place.
//!
//! The hash is of the input and the output is the copy, so the input must
//! not change in between: its length and modification time are compared
//! before and after, and a file that changed is refused rather than given a
//! signature over other bytes than the output holds.

use super::{Credentials, SignError, SignOptions, Signed, sign_hashed};
use crate::cms::tsa::Timestamper;
use crate::pdf::source::{FileSource, Source};
use crate::pki::keys::SigningKey;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why a file could not be signed.
#[derive(Debug, Error)]
pub enum SignFileError {
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{} changed while it was being signed", .0.display())]
    Changed(PathBuf),
}

/// Signs the PDF at `input` into `output` (never a partial output: the
/// result appears complete or not at all).
pub fn sign_file(
    input: &Path,
    output: &Path,
    key: &dyn SigningKey,
    creds: &Credentials,
    tsa: Option<&dyn Timestamper>,
    opts: &SignOptions,
) -> Result<Signed, SignFileError> {
    let dir = output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let write = |source| SignFileError::Write { path: output.to_path_buf(), source };
    let read = |source| SignFileError::Read { path: input.to_path_buf(), source };
    let name = output.file_name().ok_or_else(|| write(std::io::ErrorKind::InvalidInput.into()))?;
    let tmp = dir.join(format!(".{}.vanthu-partial", name.to_string_lossy()));
    let result = (|| {
        let stamp = |f: &File| f.metadata().and_then(|m| Ok((m.len(), m.modified()?))).map_err(read);
        let from = File::open(input).map_err(read)?;
        let before = stamp(&from)?;
        let copy = File::options().read(true).write(true).create(true).truncate(true).open(&tmp).map_err(write)?;
        let original = FileSource::new(from.try_clone().map_err(read)?).map_err(read)?;
        let alg = key.scheme().digest().ring();
        let (copied, hashed) = std::thread::scope(|s| {
            let copier = s.spawn(|| {
                let (mut from, mut to) = (&from, &copy);
                let n = std::io::copy(&mut from, &mut to)?;
                to.sync_data()?;
                Ok::<u64, std::io::Error>(n)
            });
            let mut ctx = ring::digest::Context::new(alg);
            let whole = Source::File(&original);
            let hashed = whole.update(&mut ctx, 0, whole.len()).map(|()| ctx);
            // A panicking copier is an I/O failure to report, not to unwind.
            let copied = copier.join().unwrap_or_else(|_| Err(std::io::ErrorKind::Other.into()));
            (copied, hashed)
        });
        let copied = copied.map_err(write)?;
        let hashed = hashed.map_err(|e| read(std::io::Error::other(e.to_string())))?;
        if stamp(&from)? != before || copied != before.0 {
            return Err(SignFileError::Changed(input.to_path_buf()));
        }
        let src = FileSource::new(copy.try_clone().map_err(write)?).map_err(write)?;
        let signed = sign_hashed(Source::File(&src), Some(hashed), key, creds, tsa, opts)?;
        // The copy's cursor is at its end: the update is appended.
        (&copy).write_all(&signed.tail).map_err(write)?;
        copy.sync_all().map_err(write)?;
        std::fs::rename(&tmp, output).map_err(write)?;
        Ok(signed)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

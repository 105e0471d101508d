//! Signing a file without holding it.
//!
//! The input is copied to a temporary file beside the output by the kernel
//! (`std::io::copy` between two files uses copy_file_range, so the bytes
//! never pass through this process), the signature is laid out and the
//! copy hashed once by position, the incremental update appended, the file
//! synced and renamed into place. The signature is computed over the copy,
//! not the input: a file changed by someone else while it is being signed
//! can never yield an output whose signature covers other bytes than it
//! holds.

use super::{Credentials, SignError, SignOptions, Signed, sign_source};
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
    let name = output.file_name().ok_or_else(|| write(std::io::ErrorKind::InvalidInput.into()))?;
    let tmp = dir.join(format!(".{}.vanthu-partial", name.to_string_lossy()));
    let result = (|| {
        let mut from = File::open(input).map_err(|source| SignFileError::Read { path: input.to_path_buf(), source })?;
        let mut copy = File::options().read(true).write(true).create(true).truncate(true).open(&tmp).map_err(write)?;
        std::io::copy(&mut from, &mut copy).map_err(write)?;
        let src = FileSource::new(copy.try_clone().map_err(write)?).map_err(write)?;
        let signed = sign_source(Source::File(&src), key, creds, tsa, opts)?;
        // The copy's cursor is at its end: the update is appended.
        copy.write_all(&signed.tail).map_err(write)?;
        copy.sync_all().map_err(write)?;
        std::fs::rename(&tmp, output).map_err(write)?;
        Ok(signed)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

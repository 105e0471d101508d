//! Private keys at rest: a key file sealed under the master secret.
//!
//! The keys vanthu holds and uses itself (internal CA, server, TSA,
//! receipts, organisation seals) are written sealed, so a copy of the data
//! directory (a backup, a stolen disk) gives no usable key without the
//! master secret, which is kept outside it. Keys vanthu hands out (the
//! client certificates' `key.pem`, the sample signer's key) belong to their
//! holders and stay plain PEM.
//!
//! # File format, version 1
//!
//! ```text
//! -----BEGIN VANTHU ENCRYPTED KEY-----
//! base64( 0x01 | kdf | salt[16] | nonce[12] | AES-256-GCM(PEM) with its 16-byte tag )
//! -----END VANTHU ENCRYPTED KEY-----
//! ```
//!
//! `kdf` says how the file's AEAD key comes from the master secret: `1`,
//! HKDF-SHA256 over a 32-byte random secret (what `init` generates); `2`,
//! PBKDF2-HMAC-SHA256 for a secret a person chose (a passphrase is guessable,
//! so it must be slow to try). The salt is random per file, so each file
//! has its own key and a random nonce never repeats under one key.
//!
//! The associated data is the file's place in the data directory
//! (`pki/tsa.key.pem`): a sealed file moved over another (the TSA key
//! over the CA key) does not open, rather than silently changing roles.
//!
//! This module is pure: it seals and opens bytes. Finding the secret
//! (variables, the default file) is [`crate::datadir`]'s job.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use ring::{hkdf, pbkdf2};
use std::num::NonZeroU32;
use thiserror::Error;

const BEGIN: &str = "-----BEGIN VANTHU ENCRYPTED KEY-----";
const END: &str = "-----END VANTHU ENCRYPTED KEY-----";
const VERSION: u8 = 1;
const KDF_HKDF: u8 = 1;
const KDF_PBKDF2: u8 = 2;
const SALT_LEN: usize = 16;
const HEADER_LEN: usize = 2 + SALT_LEN + NONCE_LEN;
/// The HKDF "info": binds derived keys to this use and format version.
const INFO: &[u8] = b"vanthu key at rest v1";
/// PBKDF2 rounds for a chosen passphrase (OWASP's figure for HMAC-SHA256).
const PBKDF2_ROUNDS: u32 = 600_000;
/// A passphrase shorter than this is refused: it would be guessed.
const MIN_PASSPHRASE: usize = 16;
/// Bytes of a generated secret.
const SECRET_LEN: usize = 32;

/// Why a key could not be sealed or opened.
#[derive(Debug, Error)]
pub enum KeystoreError {
    /// The secret or the file's place is wrong, or the file was altered.
    #[error("the master key does not open {0}")]
    WrongKey(String),
    #[error("{0} is not a vanthu encrypted key file (version 1)")]
    Malformed(String),
    #[error(
        "the master secret is too short: give 64 hex digits (as `vanthu init` generates) or a passphrase of at least {MIN_PASSPHRASE} characters"
    )]
    WeakSecret,
    #[error("the system random generator failed")]
    Random,
}

/// The master secret, as given (never printed: `Debug` hides it).
pub struct MasterKey {
    secret: Secret,
}

enum Secret {
    /// Random bytes (a generated secret): HKDF is enough.
    Random(Vec<u8>),
    /// Chosen by a person: stretched with PBKDF2.
    Passphrase(Vec<u8>),
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

/// Whether `data` is a sealed key file (as opposed to a plain PEM key).
pub fn is_sealed(data: &[u8]) -> bool {
    data.trim_ascii_start().starts_with(BEGIN.as_bytes())
}

impl MasterKey {
    /// Reads a secret as given in a variable or a file: 64 hex digits are a
    /// random secret, anything else a passphrase. Surrounding whitespace
    /// (the newline of a file) is not part of it.
    pub fn from_text(text: &str) -> Result<MasterKey, KeystoreError> {
        let t = text.trim();
        if let Some(bytes) = from_hex(t).filter(|b| b.len() == SECRET_LEN) {
            return Ok(MasterKey { secret: Secret::Random(bytes) });
        }
        if t.chars().count() < MIN_PASSPHRASE {
            return Err(KeystoreError::WeakSecret);
        }
        Ok(MasterKey { secret: Secret::Passphrase(t.as_bytes().to_vec()) })
    }

    /// A new random secret and its text (64 hex digits and a newline), for
    /// the file `init` writes.
    pub fn generate() -> Result<(MasterKey, String), KeystoreError> {
        let mut bytes = vec![0u8; SECRET_LEN];
        SystemRandom::new().fill(&mut bytes).map_err(|_| KeystoreError::Random)?;
        let mut text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        text.push('\n');
        Ok((MasterKey { secret: Secret::Random(bytes) }, text))
    }

    /// Whether `other` is the same secret (a re-encryption under the
    /// secret already in use would change nothing).
    pub fn same_secret(&self, other: &MasterKey) -> bool {
        match (&self.secret, &other.secret) {
            (Secret::Random(a), Secret::Random(b)) | (Secret::Passphrase(a), Secret::Passphrase(b)) => {
                // Every byte compared, whatever the first difference.
                a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
            }
            _ => false,
        }
    }

    fn kdf(&self) -> u8 {
        match self.secret {
            Secret::Random(_) => KDF_HKDF,
            Secret::Passphrase(_) => KDF_PBKDF2,
        }
    }

    /// The AEAD key of one file, from its salt; `None` if the file was
    /// sealed under the other kind of secret (so it cannot be ours).
    fn file_key(&self, kdf: u8, salt: &[u8]) -> Option<LessSafeKey> {
        let mut raw = [0u8; 32];
        match (&self.secret, kdf) {
            (Secret::Random(ikm), KDF_HKDF) => {
                let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(ikm);
                prk.expand(&[INFO], &AES_256_GCM).ok()?.fill(&mut raw).ok()?;
            }
            (Secret::Passphrase(p), KDF_PBKDF2) => {
                let rounds = NonZeroU32::new(PBKDF2_ROUNDS)?;
                pbkdf2::derive(pbkdf2::PBKDF2_HMAC_SHA256, rounds, salt, p, &mut raw);
            }
            _ => return None,
        }
        UnboundKey::new(&AES_256_GCM, &raw).ok().map(LessSafeKey::new)
    }

    /// Seals `plain` (a PEM private key) for the file at `place` (its path
    /// inside the data directory, bound as associated data).
    pub fn seal(&self, place: &str, plain: &[u8]) -> Result<String, KeystoreError> {
        let rng = SystemRandom::new();
        let mut header = [0u8; HEADER_LEN];
        header[0] = VERSION;
        header[1] = self.kdf();
        rng.fill(&mut header[2..]).map_err(|_| KeystoreError::Random)?;
        let (salt, nonce) = header[2..].split_at(SALT_LEN);
        let key = self.file_key(header[1], salt).ok_or(KeystoreError::Random)?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| KeystoreError::Random)?;
        let mut body = plain.to_vec();
        key.seal_in_place_append_tag(nonce, Aad::from(place.as_bytes()), &mut body)
            .map_err(|_| KeystoreError::Random)?;
        let mut all = header.to_vec();
        all.extend_from_slice(&body);
        let b64 = STANDARD.encode(&all);
        let mut out = String::with_capacity(b64.len() + 100);
        out.push_str(BEGIN);
        out.push('\n');
        // 64 columns, as PEM does.
        for chunk in b64.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(chunk));
            out.push('\n');
        }
        out.push_str(END);
        out.push('\n');
        Ok(out)
    }

    /// Opens the sealed file at `place`; `file` names it in errors.
    pub fn open(&self, place: &str, data: &[u8], file: &str) -> Result<Vec<u8>, KeystoreError> {
        let malformed = || KeystoreError::Malformed(file.to_string());
        let text = std::str::from_utf8(data).map_err(|_| malformed())?.trim();
        let inner = text.strip_prefix(BEGIN).and_then(|t| t.strip_suffix(END)).ok_or_else(malformed)?;
        let b64: String = inner.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let mut all = STANDARD.decode(b64).map_err(|_| malformed())?;
        if all.len() < HEADER_LEN || all.first() != Some(&VERSION) {
            return Err(malformed());
        }
        let mut body = all.split_off(HEADER_LEN);
        let (kdf_salt, nonce) = all.split_at(2 + SALT_LEN);
        let (kdf, salt) = kdf_salt.split_at(2);
        let wrong = || KeystoreError::WrongKey(file.to_string());
        let kdf = kdf.get(1).copied().ok_or_else(malformed)?;
        let key = self.file_key(kdf, salt).ok_or_else(wrong)?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| malformed())?;
        let plain = key.open_in_place(nonce, Aad::from(place.as_bytes()), &mut body).map_err(|_| wrong())?;
        Ok(plain.to_vec())
    }
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.as_bytes().chunks(2).map(|p| std::str::from_utf8(p).ok().and_then(|h| u8::from_str_radix(h, 16).ok())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &[u8] = b"-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMG\n-----END PRIVATE KEY-----\n";

    #[test]
    fn sealed_keys_open_only_with_their_secret_and_place() {
        let (k, text) = MasterKey::generate().unwrap();
        let sealed = k.seal("pki/ca.key.pem", PEM).unwrap();
        assert!(is_sealed(sealed.as_bytes()) && !is_sealed(PEM));
        assert!(!sealed.contains("PRIVATE KEY"));
        let again = MasterKey::from_text(&text).unwrap();
        assert_eq!(again.open("pki/ca.key.pem", sealed.as_bytes(), "f").unwrap(), PEM);
        // Moved over another key's place: refused.
        assert!(matches!(again.open("pki/tsa.key.pem", sealed.as_bytes(), "f"), Err(KeystoreError::WrongKey(_))));
        let (other, _) = MasterKey::generate().unwrap();
        let e = other.open("pki/ca.key.pem", sealed.as_bytes(), "pki/ca.key.pem").unwrap_err();
        assert_eq!(e.to_string(), "the master key does not open pki/ca.key.pem");
        assert!(again.same_secret(&k) && !other.same_secret(&k));
        // Two seals of one key differ (fresh salt and nonce).
        assert_ne!(sealed, k.seal("pki/ca.key.pem", PEM).unwrap());
    }

    #[test]
    fn passphrases_are_stretched_and_short_ones_refused() {
        assert!(matches!(MasterKey::from_text("short"), Err(KeystoreError::WeakSecret)));
        let k = MasterKey::from_text("correct horse battery staple\n").unwrap();
        let sealed = k.seal("pki/org/x.key.pem", PEM).unwrap();
        let same = MasterKey::from_text("correct horse battery staple").unwrap();
        assert_eq!(same.open("pki/org/x.key.pem", sealed.as_bytes(), "f").unwrap(), PEM);
        let (random, _) = MasterKey::generate().unwrap();
        assert!(random.open("pki/org/x.key.pem", sealed.as_bytes(), "f").is_err());
    }

    #[test]
    fn damaged_files_are_errors_not_panics() {
        let (k, _) = MasterKey::generate().unwrap();
        for bad in [&b""[..], b"-----BEGIN VANTHU ENCRYPTED KEY-----\nAQ==\n-----END VANTHU ENCRYPTED KEY-----", PEM] {
            assert!(k.open("p", bad, "f").is_err());
        }
        let mut sealed = k.seal("p", PEM).unwrap().into_bytes();
        sealed[40] = if sealed[40] == b'A' { b'B' } else { b'A' };
        assert!(k.open("p", &sealed, "f").is_err());
    }
}

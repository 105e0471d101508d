//! PKCS#12 (`.p12`/`.pfx`): a key vanthu generated, its certificate and the
//! CA chain in one password-protected file, the form Windows, macOS,
//! browsers, Java and most signing tools import.
//!
//! Only modern protection is written: both the key bag and the certificate
//! bag are PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) and the integrity MAC is
//! HMAC-SHA256, which OpenSSL 3 reads without `-legacy`. RC2 and 3DES
//! (PBES1) are never written: OpenSSL 3 refuses them by default, and they
//! are weak. The encoding itself is the `p12-keystore` crate's.
//!
//! The key bag's localKeyId (SHA-256 of the certificate) ties the key to
//! its certificate, and friendlyNames carry the holder's name, so an
//! importer shows who the key belongs to.
//!
//! Pure: bytes in, bytes out.

use p12_keystore::{
    Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, PrivateKey, PrivateKeyChain,
};
use thiserror::Error;

/// PBKDF2 rounds for the bags and the MAC key: 50 times OpenSSL 3's
/// default (2048), still about a tenth of a second for an importer.
const ITERATIONS: u32 = 100_000;
/// The shortest password accepted: the file travels (mail, USB sticks),
/// and whoever holds it can try passwords offline.
pub const MIN_PASSWORD: usize = 8;
/// The longest password accepted (characters).
pub const MAX_PASSWORD: usize = 1024;

/// Why a PKCS#12 file could not be written.
#[derive(Debug, Error)]
pub enum Pkcs12Error {
    #[error("the PKCS#12 password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters, without control characters")]
    BadPassword,
    #[error("the key or a certificate cannot go into a PKCS#12 file: {0}")]
    Encode(String),
}

/// Checks a password before any work is done with it.
pub fn check_password(password: &str) -> Result<(), Pkcs12Error> {
    let n = password.chars().count();
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&n) || password.chars().any(char::is_control) {
        return Err(Pkcs12Error::BadPassword);
    }
    Ok(())
}

/// The PKCS#12 file of `key_pkcs8` (DER) with its certificate `cert` and
/// the CA certificates `chain` (DER, issuer first), protected by
/// `password`; `name` is the key's friendlyName.
pub fn write(
    key_pkcs8: &[u8],
    cert: &[u8],
    chain: &[Vec<u8>],
    name: &str,
    password: &str,
) -> Result<Vec<u8>, Pkcs12Error> {
    check_password(password)?;
    let enc = |e: p12_keystore::error::Error| Pkcs12Error::Encode(e.to_string());
    let key = PrivateKey::from_der(key_pkcs8).map_err(enc)?;
    let mut certs = vec![Certificate::from_der(cert).map_err(enc)?];
    for c in chain {
        certs.push(Certificate::from_der(c).map_err(enc)?);
    }
    let local_key_id = ring::digest::digest(&ring::digest::SHA256, cert).as_ref().to_vec();
    let mut store = KeyStore::new();
    store.add_entry(name, KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(local_key_id, key, certs)));
    store
        .writer(password)
        .encryption_algorithm(EncryptionAlgorithm::PbeWithHmacSha256AndAes256)
        .encryption_iterations(ITERATIONS)
        .mac_algorithm(MacAlgorithm::HmacSha256)
        .mac_iterations(ITERATIONS)
        .write()
        .map_err(enc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_checked_before_anything_is_written() {
        assert!(check_password("short").is_err());
        assert!(check_password("tab\there!").is_err());
        assert!(check_password("mật khẩu dài").is_ok());
        assert!(matches!(write(b"", b"", &[], "x", "1234567"), Err(Pkcs12Error::BadPassword)));
        // Garbage in: an error, not a panic.
        assert!(matches!(write(b"\x30\x03\x02\x01", b"junk", &[], "x", "long enough"), Err(Pkcs12Error::Encode(_))));
    }
}

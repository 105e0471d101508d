//! A bounded memory of signatures on certificates and CRLs that already
//! verified.
//!
//! A gateway sees the same few chains all day, and re-verifying the same CA
//! signature (P-384 arithmetic) was most of the time spent on a small
//! document. Whether `issuer_key` verifies `signed` over `tbs` depends on
//! nothing else, so a success is remembered under a digest of exactly those
//! bytes (the issuer's whole SubjectPublicKeyInfo, the algorithm identifier
//! and the signature are all inside what is hashed): a certificate that
//! differs by one bit, or the same certificate under another key, is a new
//! entry and is verified afresh. Failures are never remembered, so an error
//! message is always computed from the real check.
//!
//! The memory is bounded: when full it is emptied (the chains a gateway sees
//! come back within a few documents; no entry is ever wrong, only absent).

use std::collections::HashSet;
use std::sync::Mutex;

/// Most successes remembered at once.
const CAPACITY: usize = 4096;

static VERIFIED: Mutex<Option<HashSet<[u8; 32]>>> = Mutex::new(None);

/// The digest a success is remembered under: each part length-prefixed so
/// that no two different triples share a byte string.
fn key(issuer_key: &[u8], signed: &[u8]) -> [u8; 32] {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for part in [issuer_key, signed] {
        ctx.update(&(part.len() as u64).to_be_bytes());
        ctx.update(part);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// Runs `check` unless the same issuer key already verified the same signed
/// structure (`signed` = the whole DER of the certificate or CRL: to-be-signed
/// part, algorithm and signature). Only `Ok` results are remembered.
pub fn remembered<E>(issuer_key: &[u8], signed: &[u8], check: impl FnOnce() -> Result<(), E>) -> Result<(), E> {
    let k = key(issuer_key, signed);
    // A poisoned lock only means another thread panicked mid-insert; the
    // set holds nothing but digests of successes, so it is still sound.
    if VERIFIED.lock().unwrap_or_else(|p| p.into_inner()).as_ref().is_some_and(|s| s.contains(&k)) {
        return Ok(());
    }
    check()?;
    let mut guard = VERIFIED.lock().unwrap_or_else(|p| p.into_inner());
    let set = guard.get_or_insert_with(HashSet::new);
    if set.len() >= CAPACITY {
        set.clear();
    }
    set.insert(k);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_successes_are_remembered() {
        let mut calls = 0;
        let fail: Result<(), ()> = remembered(b"key-a", b"cert-x", || {
            calls += 1;
            Err(())
        });
        assert!(fail.is_err());
        let again: Result<(), ()> = remembered(b"key-a", b"cert-x", || {
            calls += 1;
            Err(())
        });
        assert!(again.is_err());
        assert_eq!(calls, 2, "a failure is checked again every time");
        let ok: Result<(), ()> = remembered(b"key-a", b"cert-y", || {
            calls += 1;
            Ok(())
        });
        assert!(ok.is_ok());
        let cached: Result<(), ()> = remembered(b"key-a", b"cert-y", || {
            calls += 1;
            Err(())
        });
        assert!(cached.is_ok());
        assert_eq!(calls, 3, "a success is not verified twice");
        // Another key over the same bytes is a new check.
        let other: Result<(), ()> = remembered(b"key-b", b"cert-y", || {
            calls += 1;
            Err(())
        });
        assert!(other.is_err());
        assert_eq!(calls, 4);
    }
}

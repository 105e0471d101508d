//! Signing with a remote RFC 3161 server (`--tsa-url`): a TSA served over
//! HTTP on 127.0.0.1 by this test, answering with vanthu's own TSA tokens
//! (the request's nonce echoed). And the in-process TSA as signing uses it:
//! asked once per signature, its size hint an upper bound.

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use vanthu::asn1::der::{self, Oid, tag};
use vanthu::asn1::write::{seq, small_int};
use vanthu::cms::tsa::{LocalTsa, Timestamper, TsaError};
use vanthu::pki::algorithms::DigestAlgorithm;
use vanthu::pki::keys::LocalKey;

/// Serves up to `requests` time-stamp requests, then stops; the counter
/// says how many requests came.
fn serve(requests: usize) -> (u16, Arc<AtomicUsize>) {
    let tsa_files = fixtures().pki.signer("tsa");
    let key = LocalKey::from_pem(&std::fs::read(&tsa_files.key).expect("tsa key")).expect("tsa key");
    let cert = vanthu::pki::pem_or_der(&std::fs::read(&tsa_files.cert).expect("tsa cert"), "CERTIFICATE", "tsa")
        .expect("tsa cert")
        .remove(0);
    let tsa = LocalTsa::new(Box::new(key), cert, vec![]).expect("TSA");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let Ok(mut s) = stream else { continue };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            // Headers, then Content-Length bytes of body.
            let body = loop {
                let Ok(n) = s.read(&mut chunk) else { break None };
                if n == 0 {
                    break None;
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + len {
                        break Some(buf[end + 4..end + 4 + len].to_vec());
                    }
                }
            };
            let Some(req) = body else { continue };
            seen.fetch_add(1, Ordering::SeqCst);
            // TimeStampReq { version, messageImprint { alg, hash }, ... }
            let top = der::parse_prefix(&req).expect("request");
            let mut r = top.reader();
            r.expect(tag::INTEGER).expect("version");
            let mi = r.expect(tag::SEQUENCE).expect("imprint");
            let mut mr = mi.reader();
            let (alg, _) = der::algorithm_identifier(mr.expect(tag::SEQUENCE).expect("alg")).expect("alg");
            let hash = mr.expect(tag::OCTET_STRING).expect("hash").value;
            r.optional(tag::OID).expect("policy");
            let nonce = r.optional(tag::INTEGER).expect("nonce").map(|n| n.value.to_vec());
            let alg = DigestAlgorithm::from_oid(Oid(alg.0)).expect("digest");
            let token = tsa.timestamp_with_nonce(alg, hash, nonce.as_deref()).expect("token");
            let resp = seq(&[&seq(&[&small_int(0)]), &token]);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: {}\r\n\r\n",
                resp.len()
            );
            let _ = s.write_all(head.as_bytes()).and_then(|_| s.write_all(&resp));
        }
    });
    (port, count)
}

#[test]
fn a_remote_tsa_timestamps_the_signature() {
    let dir = scratch();
    // Served twice so that a second request (a size probe, say) would be
    // answered and counted rather than fail the signing.
    let (port, requests) = serve(2);
    let out = dir.path().join("remote-ts.pdf");
    let url = format!("http://127.0.0.1:{port}/tsr");
    let (code, err) = vanthu_sign(&fixtures().pdfs.join("reportlab.pdf"), &out, "p256", &["--tsa-url", &url]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(requests.load(Ordering::SeqCst), 1, "the TSA is asked once per signature");
    let py = pyhanko_validate(&out, &[]);
    assert_eq!(py["signatures"][0]["timestamp_valid"], true, "{py}");
    let v = verify(&out, &[]);
    assert_eq!(v.indication(), "TOTAL-PASSED", "{}", v.json);
    assert!(v.sig(0)["timestamp"]["tsa"].as_str().is_some_and(|t| t.contains("Vanthu Test TSA")));
}

#[test]
fn an_unreachable_or_https_tsa_is_a_clear_error_and_no_output() {
    let dir = scratch();
    let out = dir.path().join("out.pdf");
    // A port nobody listens on.
    let free = TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    for url in [format!("http://127.0.0.1:{free}/"), "https://tsa.example/".to_string()] {
        let (code, err) = vanthu_sign(&fixtures().pdfs.join("reportlab.pdf"), &out, "p256", &["--tsa-url", &url]);
        assert_eq!(code, 2, "{url}: {err}");
        assert!(err.contains("connect") || err.contains("https"), "{url}: {err}");
        assert!(!out.exists());
    }
}

#[test]
fn a_token_over_the_reserved_room_is_a_clear_error_naming_the_sizes_and_no_output() {
    let dir = scratch();
    let (port, requests) = serve(2);
    let out = dir.path().join("out.pdf");
    let url = format!("http://127.0.0.1:{port}/tsr");
    let (code, err) = vanthu_sign(
        &fixtures().pdfs.join("reportlab.pdf"),
        &out,
        "p256",
        &["--tsa-url", &url, "--tsa-max-token", "300"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("over the 300 bytes reserved"), "{err}");
    assert!(err.contains("--tsa-max-token"), "{err}");
    assert!(!out.exists());
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}

/// The dev TSA, in-process.
fn local_tsa() -> LocalTsa {
    let tsa_files = fixtures().pki.signer("tsa");
    let key = LocalKey::from_pem(&std::fs::read(&tsa_files.key).expect("tsa key")).expect("tsa key");
    let cert = vanthu::pki::pem_or_der(&std::fs::read(&tsa_files.cert).expect("tsa cert"), "CERTIFICATE", "tsa")
        .expect("tsa cert")
        .remove(0);
    LocalTsa::new(Box::new(key), cert, vec![]).expect("TSA")
}

/// A TSA that counts what it is asked.
struct Counting {
    inner: LocalTsa,
    calls: AtomicUsize,
}

impl Timestamper for Counting {
    fn timestamp(&self, imprint_alg: DigestAlgorithm, imprint: &[u8]) -> Result<Vec<u8>, TsaError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.timestamp(imprint_alg, imprint)
    }

    fn max_token_len(&self) -> usize {
        self.inner.max_token_len()
    }
}

#[test]
fn signing_in_process_asks_the_tsa_once_and_the_signature_carries_its_token() {
    let (key, creds) = common::build::signer();
    let tsa = Counting { inner: local_tsa(), calls: AtomicUsize::new(0) };
    let input = common::build::minimal_pdf(&[], "");
    let signed = vanthu::sign::sign(&input, &key, &creds, Some(&tsa), &Default::default()).expect("sign");
    assert_eq!(tsa.calls.load(Ordering::SeqCst), 1);
    let mut file = input;
    file.extend_from_slice(&signed.tail);
    let report =
        vanthu::verify::verify_bytes(&file, "stamped.pdf", &common::build::trusting_dev_root()).expect("report");
    assert!(report.signatures[0].timestamp.is_some(), "{}", report.to_json());
}

#[test]
fn the_in_process_tsa_hint_bounds_its_tokens_tightly() {
    let tsa = local_tsa();
    let hint = tsa.max_token_len();
    for alg in [DigestAlgorithm::Sha256, DigestAlgorithm::Sha384, DigestAlgorithm::Sha512] {
        let token = tsa.timestamp(alg, &alg.digest(b"x")).expect("token");
        assert!(token.len() <= hint, "{alg:?}: {} > {hint}", token.len());
        // Only the imprint, the serial's leading bytes and the signature's
        // DER length vary: a hint far above the token wastes the gap.
        assert!(hint - token.len() <= 64, "{alg:?}: {} vs {hint}", token.len());
    }
}

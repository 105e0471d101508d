//! Signing with a remote RFC 3161 server (`--tsa-url`): a TSA served over
//! HTTP on 127.0.0.1 by this test, answering with vanthu's own TSA tokens
//! (the request's nonce echoed).

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::TcpListener;
use vanthu::asn1::der::{self, Oid, tag};
use vanthu::asn1::write::{seq, small_int};
use vanthu::cms::tsa::LocalTsa;
use vanthu::pki::algorithms::DigestAlgorithm;
use vanthu::pki::keys::LocalKey;

/// Serves `requests` time-stamp requests, then stops.
fn serve(requests: usize) -> u16 {
    let tsa_files = fixtures().pki.signer("tsa");
    let key = LocalKey::from_pem(&std::fs::read(&tsa_files.key).expect("tsa key")).expect("tsa key");
    let cert = vanthu::pki::pem_or_der(&std::fs::read(&tsa_files.cert).expect("tsa cert"), "CERTIFICATE", "tsa")
        .expect("tsa cert")
        .remove(0);
    let tsa = LocalTsa::new(Box::new(key), cert, vec![]).expect("TSA");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
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
    port
}

#[test]
fn a_remote_tsa_timestamps_the_signature() {
    let dir = scratch();
    // The placeholder probe and the real signature: two requests.
    let port = serve(2);
    let out = dir.path().join("remote-ts.pdf");
    let url = format!("http://127.0.0.1:{port}/tsr");
    let (code, err) = vanthu_sign(&fixtures().pdfs.join("reportlab.pdf"), &out, "p256", &["--tsa-url", &url]);
    assert_eq!(code, 0, "{err}");
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

//! The RFC 3161 HTTP client ([`vanthu::clients::tsa::HttpTsa`]) against
//! TSAs served on 127.0.0.1 by this test: a well-behaved one answering with
//! tokens signed by the dev TSA key, and the ways a real one goes wrong
//! (refusal, HTTP errors, wrong nonce, silence, a trickle, no listener).
//!
//! The server is written here from std alone, so that the client is tested
//! against an independent reading of the protocol, not against itself.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use vanthu::asn1::der::{self, tag};
use vanthu::asn1::write::{self, seq, small_int};
use vanthu::clients::tsa::HttpTsa;
use vanthu::cms::timestamp::verify_token_with;
use vanthu::cms::tsa::{LocalTsa, Timestamper, TsaError};
use vanthu::pki::algorithms::DigestAlgorithm;
use vanthu::pki::keys::LocalKey;

/// How the test TSA answers.
#[derive(Clone, Copy, Debug)]
enum Behaviour {
    /// A granted TimeStampResp with Content-Length, then close.
    Grant,
    /// The same, chunked, in small writes.
    GrantChunked,
    /// Granted with Content-Length, but the connection is left open.
    GrantKeepOpen,
    /// Granted, but the TSTInfo echoes another nonce.
    WrongNonce,
    /// Granted, but the TSTInfo carries no nonce.
    NoNonce,
    /// A PKIStatus other than granted, with a statusString.
    Status(u8),
    /// An HTTP error status.
    Http(u16),
    /// Reads the request and then says nothing.
    Silent,
    /// Sends a head, then one byte of body every 50 ms.
    Trickle,
}

/// What the server saw of one request.
#[derive(Debug)]
struct Seen {
    head: String,
    version: Vec<u8>,
    alg: DigestAlgorithm,
    imprint: Vec<u8>,
    nonce: Option<Vec<u8>>,
    cert_req: bool,
}

/// The dev TSA's certificate.
fn dev_tsa_cert() -> Vec<u8> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("certs/dev");
    vanthu::pki::pem_or_der(&std::fs::read(dir.join("tsa.cert.pem")).expect("tsa cert"), "CERTIFICATE", "tsa")
        .expect("tsa cert")
        .remove(0)
}

/// vanthu's own TSA with the dev key, as a remote TSA would run it.
fn dev_tsa() -> LocalTsa {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("certs/dev");
    let key = LocalKey::from_pem(&std::fs::read(dir.join("tsa.key.pem")).expect("tsa key")).expect("tsa key");
    LocalTsa::new(Box::new(key), dev_tsa_cert(), vec![]).expect("TSA")
}

/// Reads one HTTP request: the head as text and the Content-Length body.
fn read_request(s: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let len: usize = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string()))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return Some((head, buf[end + 4..end + 4 + len].to_vec()));
            }
        }
    }
}

/// TimeStampReq { version, messageImprint, reqPolicy?, nonce?, certReq?, extensions? }
fn parse_request(head: String, req: &[u8]) -> Seen {
    let top = der::parse_prefix(req).expect("TimeStampReq");
    assert_eq!(top.raw.len(), req.len(), "trailing bytes after TimeStampReq");
    let mut r = top.reader();
    let version = r.expect(tag::INTEGER).expect("version").value.to_vec();
    let mi = r.expect(tag::SEQUENCE).expect("messageImprint");
    let mut mr = mi.reader();
    let (alg, _) = der::algorithm_identifier(mr.expect(tag::SEQUENCE).expect("alg")).expect("alg");
    let alg = DigestAlgorithm::from_oid(alg).expect("digest");
    let imprint = mr.expect(tag::OCTET_STRING).expect("hash").value.to_vec();
    r.optional(tag::OID).expect("reqPolicy");
    let nonce = r.optional(tag::INTEGER).expect("nonce").map(|n| n.value.to_vec());
    let cert_req = r.optional(tag::BOOLEAN).expect("certReq").is_some_and(|b| b.value == [0xFF]);
    r.optional(tag::ctx_cons(0)).expect("extensions");
    r.finish().expect("end of TimeStampReq");
    Seen { head, version, alg, imprint, nonce, cert_req }
}

fn http_ok(body: &[u8]) -> Vec<u8> {
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    [head.as_bytes(), body].concat()
}

/// A test TSA on 127.0.0.1 serving `requests` requests, then stopping.
/// Returns its URL and what it saw of each request.
fn serve(behaviour: Behaviour, requests: usize) -> (String, mpsc::Receiver<Seen>) {
    let tsa = dev_tsa();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let Ok(mut s) = stream else { continue };
            // A client that fails must not leave this thread blocked for long.
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let Some((head, body)) = read_request(&mut s) else { continue };
            let seen = parse_request(head, &body);
            let nonce = seen.nonce.clone();
            let (alg, imprint) = (seen.alg, seen.imprint.clone());
            let _ = tx.send(seen);
            let granted = |nonce: Option<&[u8]>| {
                seq(&[&seq(&[&small_int(0)]), &tsa.timestamp_with_nonce(alg, &imprint, nonce).expect("token")])
            };
            let _ = match behaviour {
                Behaviour::Grant => s.write_all(&http_ok(&granted(nonce.as_deref()))),
                Behaviour::GrantChunked => {
                    let resp = granted(nonce.as_deref());
                    let mut out = s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
                    for piece in resp.chunks(100) {
                        out = out.and_then(|_| {
                            s.write_all(format!("{:x}\r\n", piece.len()).as_bytes())?;
                            s.write_all(piece)?;
                            s.write_all(b"\r\n")?;
                            s.flush()
                        });
                    }
                    out.and_then(|_| s.write_all(b"0\r\n\r\n"))
                }
                Behaviour::GrantKeepOpen => {
                    let r = s.write_all(&http_ok(&granted(nonce.as_deref())));
                    // Hold the connection until the client hangs up.
                    let _ = s.read(&mut [0u8; 1]);
                    r
                }
                Behaviour::WrongNonce => s.write_all(&http_ok(&granted(Some(&[1, 2, 3])))),
                Behaviour::NoNonce => s.write_all(&http_ok(&granted(None))),
                Behaviour::Status(code) => {
                    let text = seq(&[&write::tlv(0x0C, b"policy not accepted here")]);
                    s.write_all(&http_ok(&seq(&[&seq(&[&small_int(code), &text])])))
                }
                Behaviour::Http(code) => s.write_all(
                    format!(
                        "HTTP/1.1 {code} Something Broke\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\noops!"
                    )
                    .as_bytes(),
                ),
                Behaviour::Silent => {
                    let _ = s.read(&mut [0u8; 1]);
                    Ok(())
                }
                Behaviour::Trickle => {
                    let mut out = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
                    while out.is_ok() {
                        std::thread::sleep(Duration::from_millis(50));
                        out = s.write_all(b"0");
                    }
                    out
                }
            };
        }
    });
    (format!("http://127.0.0.1:{port}/tsr"), rx)
}

fn refusal(r: Result<Vec<u8>, TsaError>) -> String {
    match r {
        Ok(_) => panic!("the client accepted the reply"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_granted_token_verifies_and_answers_our_request() {
    let (url, seen) = serve(Behaviour::Grant, 2);
    let tsa = HttpTsa::new(&url).expect("url");
    let stamped = b"the signature value";
    let token = tsa.timestamp(DigestAlgorithm::Sha256, &DigestAlgorithm::Sha256.digest(stamped)).expect("token");
    let verified = verify_token_with(&token, &|alg: DigestAlgorithm| alg.digest(stamped)).expect("verifies");
    assert_eq!(verified.info.imprint_algorithm, DigestAlgorithm::Sha256);
    assert!(verified.certificates.contains(&dev_tsa_cert().as_slice()));
    // The token is the ContentInfo element itself: nothing before or after.
    assert_eq!(der::parse_prefix(&token).expect("DER").raw.len(), token.len());

    let first = seen.recv().expect("request seen");
    let port = url.trim_start_matches("http://127.0.0.1:").trim_end_matches("/tsr");
    let head = first.head.to_ascii_lowercase();
    assert!(head.starts_with("post /tsr http/1.1\r\n"), "{head}");
    for h in [
        format!("host: 127.0.0.1:{port}"),
        "content-type: application/timestamp-query".into(),
        "accept: application/timestamp-reply".into(),
        "connection: close".into(),
    ] {
        assert!(head.lines().any(|l| l == h), "{h:?} missing from\n{head}");
    }
    assert_eq!(first.version, [1]);
    assert!(first.cert_req, "certReq must be TRUE so the token embeds the TSA certificate");
    let n1 = first.nonce.expect("nonce sent");
    assert!(!n1.is_empty() && n1.len() <= 9, "{n1:?}");

    // Another digest, another nonce.
    let token = tsa.timestamp(DigestAlgorithm::Sha384, &DigestAlgorithm::Sha384.digest(stamped)).expect("token");
    let verified = verify_token_with(&token, &|alg: DigestAlgorithm| alg.digest(stamped)).expect("verifies");
    assert_eq!(verified.info.imprint_algorithm, DigestAlgorithm::Sha384);
    assert_ne!(seen.recv().expect("request seen").nonce.expect("nonce"), n1);
}

#[test]
fn chunked_and_kept_open_replies_are_read_to_their_end() {
    for behaviour in [Behaviour::GrantChunked, Behaviour::GrantKeepOpen] {
        let (url, _seen) = serve(behaviour, 1);
        let imprint = DigestAlgorithm::Sha256.digest(b"x");
        let start = Instant::now();
        let tsa = HttpTsa::new(&url).expect("url").with_timeout(Duration::from_secs(5));
        let token = tsa.timestamp(DigestAlgorithm::Sha256, &imprint).expect("token");
        verify_token_with(&token, &|alg: DigestAlgorithm| alg.digest(b"x")).expect("verifies");
        // The kept-open reply completes by its Content-Length, not at the time-out.
        assert!(start.elapsed() < Duration::from_secs(3), "{behaviour:?}: {:?}", start.elapsed());
    }
}

#[test]
fn a_refusing_tsa_is_reported_with_its_status() {
    let (url, _seen) = serve(Behaviour::Status(2), 1);
    let e = refusal(HttpTsa::new(&url).expect("url").timestamp(DigestAlgorithm::Sha256, &[7; 32]));
    assert!(e.contains("status 2 (rejection)") && e.contains("policy not accepted here"), "{e}");
}

#[test]
fn an_http_error_is_reported() {
    let (url, _seen) = serve(Behaviour::Http(500), 1);
    let e = refusal(HttpTsa::new(&url).expect("url").timestamp(DigestAlgorithm::Sha256, &[7; 32]));
    assert!(e.contains("HTTP 500"), "{e}");
}

#[test]
fn a_token_without_our_nonce_is_refused() {
    for behaviour in [Behaviour::WrongNonce, Behaviour::NoNonce] {
        let (url, _seen) = serve(behaviour, 1);
        let e = refusal(HttpTsa::new(&url).expect("url").timestamp(DigestAlgorithm::Sha256, &[7; 32]));
        assert!(e.contains("nonce"), "{behaviour:?}: {e}");
    }
}

#[test]
fn no_listener_fails_fast() {
    // A port that was free a moment ago.
    let port = TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let start = Instant::now();
    let e = refusal(
        HttpTsa::new(&format!("http://127.0.0.1:{port}/")).expect("url").timestamp(DigestAlgorithm::Sha256, &[7; 32]),
    );
    assert!(e.contains("cannot connect to the TSA at 127.0.0.1:"), "{e}");
    assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
}

#[test]
fn a_silent_or_trickling_tsa_times_out() {
    for behaviour in [Behaviour::Silent, Behaviour::Trickle] {
        let (url, _seen) = serve(behaviour, 1);
        let tsa = HttpTsa::new(&url).expect("url").with_timeout(Duration::from_millis(500));
        let start = Instant::now();
        let e = refusal(tsa.timestamp(DigestAlgorithm::Sha256, &[7; 32]));
        let took = start.elapsed();
        assert!(e.contains("did not answer within 500 ms"), "{behaviour:?}: {e}");
        // The budget covers the whole exchange, however the server spreads its bytes.
        assert!(took >= Duration::from_millis(450) && took < Duration::from_secs(2), "{behaviour:?}: {took:?}");
    }
}

//! A remote RFC 3161 time-stamping authority over HTTP (`--tsa-url`).
//!
//! Plain `http://` only: a TLS client is not a dependency yet (it will come
//! with the gateway's rustls setup). Every step is bounded: connect, read and
//! write time-outs, and a 1 MiB cap on the reply. The returned token is
//! checked before use: the TSA's signature and the imprint we asked for.

use super::build::{self, alg, octets, seq};
use super::der::{Reader, tag};
use super::tsa::{Timestamper, TsaError};
use crate::pki::algorithms::DigestAlgorithm;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Largest reply accepted from a TSA.
const MAX_REPLY: usize = 1 << 20;

/// A TSA reached at an `http://host[:port]/path` URL.
pub struct HttpTsa {
    host: String,
    port: u16,
    path: String,
    timeout: Duration,
}

fn service(e: impl std::fmt::Display) -> TsaError {
    TsaError::Service(e.to_string())
}

impl HttpTsa {
    pub fn new(url: &str) -> Result<Self, TsaError> {
        if url.starts_with("https://") {
            return Err(service("https TSA URLs are not supported yet; use http:// or --tsa-key/--tsa-cert"));
        }
        let rest = url.strip_prefix("http://").ok_or_else(|| service(format!("not an http:// URL: {url}")))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().map_err(|_| service(format!("bad port in {url}")))?),
            None => (authority, 80),
        };
        if host.is_empty() || path.contains(char::is_whitespace) {
            return Err(service(format!("bad TSA URL: {url}")));
        }
        Ok(HttpTsa { host: host.to_string(), port, path: path.to_string(), timeout: Duration::from_secs(10) })
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn post(&self, body: &[u8]) -> Result<Vec<u8>, TsaError> {
        let addr = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| service(format!("cannot resolve {}: {e}", self.host)))?
            .next()
            .ok_or_else(|| service(format!("cannot resolve {}", self.host)))?;
        let mut s = TcpStream::connect_timeout(&addr, self.timeout)
            .map_err(|e| service(format!("cannot connect to {}:{}: {e}", self.host, self.port)))?;
        s.set_read_timeout(Some(self.timeout)).map_err(service)?;
        s.set_write_timeout(Some(self.timeout)).map_err(service)?;
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/timestamp-query\r\nAccept: application/timestamp-reply\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.path,
            self.host,
            body.len()
        );
        s.write_all(head.as_bytes())
            .and_then(|_| s.write_all(body))
            .map_err(|e| service(format!("sending the request: {e}")))?;
        let mut reply = Vec::new();
        (&mut s)
            .take(MAX_REPLY as u64 + 1)
            .read_to_end(&mut reply)
            .map_err(|e| service(format!("reading the reply: {e}")))?;
        if reply.len() > MAX_REPLY {
            return Err(service("the TSA's reply is over 1 MiB"));
        }
        http_body(&reply)
    }
}

/// The body of an HTTP/1.x response with status 200 (Content-Length,
/// chunked, or read to the end).
fn http_body(reply: &[u8]) -> Result<Vec<u8>, TsaError> {
    let end = reply.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| service("malformed HTTP reply"))?;
    let head = String::from_utf8_lossy(&reply[..end]);
    let body = &reply[end + 4..];
    let mut lines = head.lines();
    let status = lines.next().unwrap_or_default();
    let code = status.split_whitespace().nth(1).unwrap_or_default();
    if code != "200" {
        return Err(service(format!("the TSA answered {}", status.trim())));
    }
    let header = |name: &str| {
        head.lines()
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_ascii_lowercase())
    };
    if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        let mut out = Vec::new();
        let mut rest = body;
        loop {
            let nl = rest.windows(2).position(|w| w == b"\r\n").ok_or_else(|| service("malformed chunked reply"))?;
            let size_text = String::from_utf8_lossy(&rest[..nl]);
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| service("malformed chunk size"))?;
            rest = &rest[nl + 2..];
            if size == 0 {
                return Ok(out);
            }
            if rest.len() < size {
                return Err(service("truncated chunked reply"));
            }
            out.extend_from_slice(&rest[..size]);
            rest = rest.get(size + 2..).unwrap_or(&[]);
        }
    }
    match header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        Some(n) if n <= body.len() => Ok(body[..n].to_vec()),
        Some(_) => Err(service("truncated reply")),
        None => Ok(body.to_vec()),
    }
}

/// The token in a TimeStampResp, if the status grants it (RFC 3161 §2.4.2).
pub fn token_from_response(resp: &[u8]) -> Result<&[u8], TsaError> {
    let bad = |_| service("malformed TimeStampResp");
    let top = super::der::parse_prefix(resp).map_err(bad)?;
    let mut r = top.reader();
    let status_info = r.expect(tag::SEQUENCE).map_err(bad)?;
    let mut sr = status_info.reader();
    let status = sr.expect(tag::INTEGER).map_err(bad)?.value;
    let code = status.iter().fold(0i64, |a, &b| (a << 8) | i64::from(b));
    if status.len() > 2 || !(0..=1).contains(&code) {
        let text = sr
            .optional(tag::SEQUENCE)
            .ok()
            .flatten()
            .and_then(|t| Reader::new(t.value).any().ok())
            .map(|s| String::from_utf8_lossy(s.value).into_owned())
            .unwrap_or_default();
        return Err(service(format!("the TSA refused the request (status {code}) {text}")));
    }
    let token = r.expect(tag::SEQUENCE).map_err(|_| service("the TSA granted the request but sent no token"))?;
    Ok(token.raw)
}

impl Timestamper for HttpTsa {
    fn timestamp(&self, imprint_alg: DigestAlgorithm, imprint: &[u8]) -> Result<Vec<u8>, TsaError> {
        // TimeStampReq: version 1, messageImprint, certReq TRUE (the token
        // must carry the TSA certificate for validators).
        let req =
            seq(&[&build::small_int(1), &seq(&[&alg(imprint_alg.oid()), &octets(imprint)]), &[tag::BOOLEAN, 1, 0xFF]]);
        let resp = self.post(&req)?;
        let token = token_from_response(&resp)?;
        let check = |alg: DigestAlgorithm| if alg == imprint_alg { imprint.to_vec() } else { Vec::new() };
        super::timestamp::verify_token_with(token, &check)
            .map_err(|e| service(format!("the TSA's token does not verify: {e}")))?;
        Ok(token.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(HttpTsa::new("http://tsa.example:8080/tsr").is_ok());
        assert!(HttpTsa::new("http://tsa.example").is_ok());
        assert!(HttpTsa::new("https://tsa.example/").is_err());
        assert!(HttpTsa::new("ftp://x").is_err());
        assert!(HttpTsa::new("http://h:notaport/").is_err());
    }

    #[test]
    fn replies() {
        assert_eq!(http_body(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef").unwrap(), b"abc");
        assert_eq!(
            http_body(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n1\r\nc\r\n0\r\n\r\n").unwrap(),
            b"abc"
        );
        assert!(http_body(b"HTTP/1.1 500 Oops\r\n\r\n").is_err());
        assert!(http_body(b"garbage").is_err());
        assert!(token_from_response(&[0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x02]).is_err());
        assert!(token_from_response(b"\x30").is_err());
    }
}

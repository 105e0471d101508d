//! The RFC 3161 time-stamping client over HTTP: [`HttpTsa`], the edge
//! where vanthu's outbound clients live.
//!
//! The protocol (request, reply checks) is [`crate::cms::tsp`]; this module
//! carries its bytes. A TSA is reached over a network we do not control, so
//! the exchange has one time budget and a size cap, and the HTTP framing is
//! parsed push by push without assuming well-formed input.
//!
//! Plain `http://` only. A time-stamp token is signed, so TLS adds privacy of
//! the (already hashed) imprint but no integrity we rely on; it will come with
//! the gateway's TLS client, which is not a dependency yet.

use crate::cms::tsa::{ResponseError, Timestamper, TransportError, TsaError};
use crate::cms::tsp::{self, printable};
use crate::pki::algorithms::DigestAlgorithm;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Largest HTTP reply (head and body) accepted from a TSA. A token with a
/// certificate chain is a few kilobytes; anything near this is not a token.
pub const MAX_REPLY: usize = 1 << 20;

/// Time budget of one exchange unless [`HttpTsa::with_timeout`] says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The token size signing reserves room for unless
/// [`HttpTsa::with_max_token`] says otherwise. A token is a SignedData with
/// the TSA's certificate and often its chain: a chain of two RSA-4096
/// certificates with a 4096-bit signature comes to about 5 KB, so 12 KiB is
/// conservative without filling the document with zeros (the /Contents gap
/// is hex: twice this).
pub const DEFAULT_MAX_TOKEN: usize = 12 * 1024;

/// Longest HTTP head, and longest line of a chunked body, we wait for.
const MAX_HEAD: usize = 64 * 1024;
const MAX_CHUNK_LINE: usize = 4096;

/// Resolved addresses tried in turn; a name with dozens of addresses would
/// otherwise spread the budget thin for nothing.
const MAX_ADDRESSES: usize = 4;

/// A remote TSA at an `http://host[:port]/path` URL.
#[derive(Debug, Clone)]
pub struct HttpTsa {
    /// Host as given to the resolver (IPv6 literals without brackets).
    host: String,
    port: u16,
    /// The `Host` header value: brackets for IPv6, the port unless 80.
    host_header: String,
    /// Path and query, as sent in the request line.
    path: String,
    timeout: Duration,
    /// The size hint signing sizes the /Contents gap from.
    max_token: usize,
}

impl HttpTsa {
    /// Parses the TSA URL. Only what ends up in the request line and `Host`
    /// header is accepted: whitespace or control characters would let a URL
    /// from a configuration file inject headers.
    pub fn new(url: &str) -> Result<Self, TsaError> {
        let bad = |why: &'static str| TsaError::BadUrl { url: printable(url.as_bytes(), 200), why };
        let scheme_end = url.find("://").ok_or_else(|| bad("expected http://host[:port]/path"))?;
        let scheme = &url[..scheme_end];
        if scheme.eq_ignore_ascii_case("https") {
            return Err(TsaError::HttpsUnsupported);
        }
        if !scheme.eq_ignore_ascii_case("http") {
            return Err(bad("only http:// is supported"));
        }
        let rest = &url[scheme_end + 3..];
        // The fragment never goes on the wire.
        let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) if rest.as_bytes()[i] == b'?' => (&rest[..i], format!("/{}", &rest[i..])),
            Some(i) => (&rest[..i], rest[i..].to_string()),
            None => (rest, "/".to_string()),
        };
        if path.bytes().any(|b| b <= b' ' || b == 0x7F) {
            return Err(bad("whitespace or control characters in the path"));
        }
        if authority.contains('@') {
            return Err(bad("user names and passwords are not supported"));
        }
        let (host, port_text, bracketed) = if let Some(inner) = authority.strip_prefix('[') {
            let (h, after) = inner.split_once(']').ok_or_else(|| bad("unclosed IPv6 literal"))?;
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':').ok_or_else(|| bad("junk after the IPv6 literal"))?),
            };
            (h, port, true)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p), false),
                None => (authority, None, false),
            }
        };
        let host_ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '%');
        if host.is_empty() || !host.chars().all(host_ok) || (!bracketed && host.contains(':')) {
            return Err(bad("missing or malformed host"));
        }
        let port = match port_text {
            None => 80,
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n != 0 && p.bytes().all(|b| b.is_ascii_digit()) => n,
                _ => return Err(bad("malformed port")),
            },
        };
        let shown = if bracketed { format!("[{host}]") } else { host.to_string() };
        let host_header = if port == 80 { shown } else { format!("{shown}:{port}") };
        Ok(HttpTsa {
            host: host.to_string(),
            port,
            host_header,
            path,
            timeout: DEFAULT_TIMEOUT,
            max_token: DEFAULT_MAX_TOKEN,
        })
    }

    /// Sets the time budget of one exchange. It bounds the whole exchange,
    /// not each socket operation: a per-read limit alone would let a server
    /// that trickles a byte at a time hold the signer for hours.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the largest token this TSA is expected to return (see
    /// [`Timestamper::max_token_len`]); a token over it fails the signature
    /// cleanly, naming both sizes.
    pub fn with_max_token(mut self, bytes: usize) -> Self {
        self.max_token = bytes;
        self
    }

    /// `host:port` as the user wrote it, for messages.
    fn endpoint(&self) -> &str {
        &self.host_header
    }

    fn timed_out(&self, step: &'static str) -> TsaError {
        TransportError::TimedOut { endpoint: self.endpoint().to_string(), step, ms: self.timeout.as_millis() }.into()
    }

    /// What is left of the budget, or the time-out error naming the step.
    fn left(&self, deadline: Instant, what: &'static str) -> Result<Duration, TsaError> {
        match deadline.checked_duration_since(Instant::now()) {
            Some(d) if !d.is_zero() => Ok(d),
            _ => Err(self.timed_out(what)),
        }
    }

    fn connect(&self, deadline: Instant) -> Result<TcpStream, TsaError> {
        // Name resolution has no time-out in std; it is the one unbounded step.
        let addrs: Vec<SocketAddr> = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| TransportError::Resolve { host: self.host.clone(), detail: e.to_string() })?
            .take(MAX_ADDRESSES)
            .collect();
        let mut last = None;
        for addr in &addrs {
            let left = self.left(deadline, "did not accept a connection")?;
            match TcpStream::connect_timeout(addr, left) {
                Ok(s) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        match last {
            Some(e) if is_timeout(&e) => Err(self.timed_out("did not accept a connection")),
            Some(e) => {
                Err(TransportError::Connect { endpoint: self.endpoint().to_string(), detail: e.to_string() }.into())
            }
            None => Err(TransportError::NoAddress { host: self.host.clone() }.into()),
        }
    }

    /// POSTs a TimeStampReq and returns the body of the 200 reply.
    fn post(&self, request: &[u8]) -> Result<HttpBody, TsaError> {
        let deadline = Instant::now() + self.timeout;
        let mut stream = self.connect(deadline)?;
        let io = |e: std::io::Error| {
            TsaError::from(TransportError::Io { endpoint: self.endpoint().to_string(), detail: e.to_string() })
        };
        let mut message = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: vanthu/{}\r\nContent-Type: application/timestamp-query\r\n\
             Accept: application/timestamp-reply\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.path,
            self.host_header,
            env!("CARGO_PKG_VERSION"),
            request.len()
        )
        .into_bytes();
        message.extend_from_slice(request);
        stream.set_write_timeout(Some(self.left(deadline, "did not take the request")?)).map_err(io)?;
        stream
            .write_all(&message)
            .map_err(|e| if is_timeout(&e) { self.timed_out("did not take the request") } else { io(e) })?;
        let mut reply = ResponseReader::default();
        let mut buf = [0u8; 16 * 1024];
        loop {
            stream.set_read_timeout(Some(self.left(deadline, "did not answer")?)).map_err(io)?;
            match stream.read(&mut buf) {
                Ok(0) => return reply.finish(),
                Ok(n) => {
                    if let Some(body) = reply.push(&buf[..n])? {
                        return Ok(body);
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if is_timeout(&e) => return Err(self.timed_out("did not answer")),
                Err(e) => return Err(io(e)),
            }
        }
    }
}

/// Socket time-outs surface as `WouldBlock` on Unix and `TimedOut` elsewhere.
fn is_timeout(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock)
}

impl Timestamper for HttpTsa {
    fn timestamp(&self, imprint_alg: DigestAlgorithm, imprint: &[u8]) -> Result<Vec<u8>, TsaError> {
        let request = tsp::Request::new(imprint_alg, imprint)?;
        let body = self.post(request.der())?;
        request.accept(&body.data, body.content_type.as_deref())
    }

    fn max_token_len(&self) -> usize {
        self.max_token
    }
}

/// The body of a successful reply, and its declared content type (only
/// used to explain a reply that is not a TimeStampResp: servers label
/// replies inconsistently, so the type is not a gate).
#[derive(Debug, Clone, PartialEq, Eq)]
struct HttpBody {
    data: Vec<u8>,
    content_type: Option<String>,
}

/// How the body's end is known (RFC 9112 §6.3).
#[derive(Debug)]
enum Framing {
    Length(usize),
    Chunked(Chunked),
    /// Neither: the body runs to the end of the connection.
    Eof,
}

/// The parsed head of the final response.
#[derive(Debug)]
struct Head {
    /// Offset of the body in the buffer.
    body_start: usize,
    framing: Framing,
    content_type: Option<String>,
}

/// An HTTP/1.x response read incrementally, so that a reply whose length is
/// known completes without waiting for the server to close (some keep the
/// connection open despite `Connection: close`), and each read costs time
/// proportional to what it brought, not to what came before.
#[derive(Debug, Default)]
struct ResponseReader {
    buf: Vec<u8>,
    head: Option<Head>,
    /// Where the search for the end of the head resumes.
    scanned: usize,
    /// Bytes received, interim responses included (they are dropped from
    /// `buf`, but an endless stream of them must still hit the cap).
    received: usize,
}

impl ResponseReader {
    /// Takes received bytes; returns the body once complete.
    fn push(&mut self, data: &[u8]) -> Result<Option<HttpBody>, TsaError> {
        self.received += data.len();
        if self.received > MAX_REPLY {
            return Err(ResponseError::TooLarge { kib: MAX_REPLY / 1024 }.into());
        }
        self.buf.extend_from_slice(data);
        while self.head.is_none() {
            let Some((head_end, body_start)) = find_head_end(&self.buf, self.scanned) else {
                if self.buf.len() > MAX_HEAD {
                    return Err(ResponseError::HeadTooLong.into());
                }
                self.scanned = self.buf.len().saturating_sub(3);
                return Ok(None);
            };
            match parse_head(&self.buf[..head_end], body_start)? {
                // An interim 1xx response: drop it, the real one follows.
                None => {
                    self.buf.drain(..body_start);
                    self.scanned = 0;
                }
                Some(h) => self.head = Some(h),
            }
        }
        self.complete(false)
    }

    /// The connection ended: the body must be complete by now.
    fn finish(mut self) -> Result<HttpBody, TsaError> {
        if self.head.is_none() {
            return Err(if self.buf.is_empty() {
                ResponseError::NoAnswer
            } else {
                ResponseError::NotHttp(printable(&self.buf, 60))
            }
            .into());
        }
        self.complete(true)?.ok_or_else(|| ResponseError::CutShort.into())
    }

    fn complete(&mut self, at_eof: bool) -> Result<Option<HttpBody>, TsaError> {
        let Some(head) = self.head.as_mut() else { return Ok(None) };
        let body = &self.buf[head.body_start..];
        let data = match &mut head.framing {
            Framing::Length(n) if body.len() >= *n => body[..*n].to_vec(),
            Framing::Length(_) => return Ok(None),
            Framing::Chunked(c) => {
                if !c.advance(body, at_eof)? {
                    return Ok(None);
                }
                std::mem::take(&mut c.out)
            }
            Framing::Eof if at_eof => body.to_vec(),
            Framing::Eof => return Ok(None),
        };
        Ok(Some(HttpBody { data, content_type: head.content_type.clone() }))
    }
}

/// End of the head (`\r\n\r\n`, or bare `\n\n` from sloppy servers)
/// searching from `from`: the head's length and where the body starts.
fn find_head_end(buf: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut i = from;
    while let Some(p) = memchr::memchr(b'\n', buf.get(i..)?) {
        let nl = i + p;
        match buf.get(nl + 1..) {
            Some([b'\n', ..]) => return Some((nl, nl + 2)),
            Some([b'\r', b'\n', ..]) => return Some((nl, nl + 3)),
            _ => i = nl + 1,
        }
    }
    None
}

/// Parses a response head. `None` for an interim (1xx) response.
fn parse_head(head: &[u8], body_start: usize) -> Result<Option<Head>, TsaError> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let code = parts.next().unwrap_or_default();
    let reason = parts.next().unwrap_or_default().trim();
    if !version.starts_with("HTTP/1.") || code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ResponseError::NotHttp(printable(status_line.as_bytes(), 60)).into());
    }
    match code {
        "200" => {}
        "101" => return Err(ResponseError::SwitchProtocols.into()),
        c if c.starts_with('1') => return Ok(None),
        _ => {
            // Three ASCII digits, checked above.
            let code = code.parse().unwrap_or(0);
            return Err(TsaError::HttpStatus { code, reason: printable(reason.as_bytes(), 100) });
        }
    }
    let mut length: Option<usize> = None;
    let mut chunked = false;
    let mut content_type = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err(ResponseError::HeaderLine(printable(line.as_bytes(), 60)).into());
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => {
                let n = value
                    .parse::<usize>()
                    .ok()
                    .filter(|_| value.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| ResponseError::ContentLength(value.to_string()))?;
                // Repeated but equal lengths are allowed (RFC 9110 §8.6).
                if length.is_some_and(|l| l != n) {
                    return Err(ResponseError::ConflictingLengths.into());
                }
                length = Some(n);
            }
            "transfer-encoding" => {
                // We sent no TE header, so chunked is the only coding a
                // server may use; anything else we could not decode.
                let codings: Vec<String> =
                    value.split(',').map(|c| c.trim().to_ascii_lowercase()).filter(|c| !c.is_empty()).collect();
                if codings.iter().any(|c| c != "chunked" && c != "identity") {
                    return Err(ResponseError::TransferCoding(value.to_string()).into());
                }
                chunked |= codings.iter().any(|c| c == "chunked");
            }
            "content-encoding" if !value.eq_ignore_ascii_case("identity") => {
                return Err(ResponseError::ContentCoding(value.to_string()).into());
            }
            "content-type" => content_type = Some(printable(value.as_bytes(), 100)),
            _ => {}
        }
    }
    // Transfer-Encoding overrides Content-Length (RFC 9112 §6.3).
    let framing = match (chunked, length) {
        (true, _) => Framing::Chunked(Chunked::default()),
        (false, Some(n)) if n > MAX_REPLY => {
            return Err(ResponseError::TooLarge { kib: MAX_REPLY / 1024 }.into());
        }
        (false, Some(n)) => Framing::Length(n),
        (false, None) => Framing::Eof,
    };
    Ok(Some(Head { body_start, framing, content_type }))
}

/// Where a chunked-body decoder stands (RFC 9112 §7.1).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    #[default]
    Size,
    Data(usize),
    /// The CRLF closing a chunk's data.
    DataEnd,
    /// After the last (zero-size) chunk: trailer lines up to an empty one.
    Trailer,
    Done,
}

/// Decodes a chunked body as it arrives; `pos` is how far it has consumed.
#[derive(Debug, Default)]
struct Chunked {
    pos: usize,
    state: ChunkState,
    out: Vec<u8>,
}

impl Chunked {
    /// Consumes what it can of `body` (everything received after the head);
    /// true once the body is complete. At the end of the connection the
    /// trailer section may be missing: a server that closes right after the
    /// last chunk has still sent the whole body.
    fn advance(&mut self, body: &[u8], at_eof: bool) -> Result<bool, TsaError> {
        loop {
            match self.state {
                ChunkState::Size => {
                    let Some((line, next)) = line_at(body, self.pos)? else { break };
                    let text = String::from_utf8_lossy(line);
                    let digits = text.split(';').next().unwrap_or_default().trim();
                    let size = usize::from_str_radix(digits, 16)
                        .ok()
                        .filter(|&s| !digits.is_empty() && !digits.starts_with('+') && s <= MAX_REPLY)
                        .ok_or_else(|| ResponseError::ChunkSize(printable(line, 40)))?;
                    self.pos = next;
                    self.state = if size == 0 { ChunkState::Trailer } else { ChunkState::Data(size) };
                }
                ChunkState::Data(n) => {
                    let take = n.min(body.len() - self.pos);
                    if take == 0 {
                        break;
                    }
                    self.out.extend_from_slice(&body[self.pos..self.pos + take]);
                    self.pos += take;
                    self.state = if take == n { ChunkState::DataEnd } else { ChunkState::Data(n - take) };
                }
                ChunkState::DataEnd => {
                    let Some((line, next)) = line_at(body, self.pos)? else { break };
                    if !line.is_empty() {
                        return Err(ResponseError::ChunkOverrun.into());
                    }
                    self.pos = next;
                    self.state = ChunkState::Size;
                }
                ChunkState::Trailer => {
                    let Some((line, next)) = line_at(body, self.pos)? else { break };
                    self.pos = next;
                    if line.is_empty() {
                        self.state = ChunkState::Done;
                    }
                }
                ChunkState::Done => return Ok(true),
            }
        }
        Ok(at_eof && self.state == ChunkState::Trailer)
    }
}

/// The line starting at `pos` (without its CRLF or LF) and where the next
/// begins, or `None` if it is not complete yet.
fn line_at(buf: &[u8], pos: usize) -> Result<Option<(&[u8], usize)>, TsaError> {
    let rest = buf.get(pos..).unwrap_or_default();
    match memchr::memchr(b'\n', rest) {
        Some(i) => {
            let line = &rest[..i];
            Ok(Some((line.strip_suffix(b"\r").unwrap_or(line), pos + i + 1)))
        }
        None if rest.len() > MAX_CHUNK_LINE => Err(ResponseError::ChunkLineTooLong.into()),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asn1::der::tag;
    use crate::asn1::write::{self, seq, small_int, tlv};

    fn body(reply: &[u8]) -> Result<Vec<u8>, TsaError> {
        let mut r = ResponseReader::default();
        match r.push(reply)? {
            Some(b) => Ok(b.data),
            None => r.finish().map(|b| b.data),
        }
    }

    /// The same reply fed one byte at a time, as a slow server would send it.
    fn body_bytewise(reply: &[u8]) -> Result<Vec<u8>, TsaError> {
        let mut r = ResponseReader::default();
        for b in reply {
            if let Some(done) = r.push(std::slice::from_ref(b))? {
                return Ok(done.data);
            }
        }
        r.finish().map(|b| b.data)
    }

    fn message(e: TsaError) -> String {
        e.to_string()
    }

    #[test]
    fn urls() {
        let t = HttpTsa::new("http://tsa.example:8080/tsr?x=1").unwrap();
        assert_eq!((t.host.as_str(), t.port, t.path.as_str()), ("tsa.example", 8080, "/tsr?x=1"));
        assert_eq!(t.host_header, "tsa.example:8080");
        let t = HttpTsa::new("HTTP://tsa.example").unwrap();
        assert_eq!((t.port, t.path.as_str(), t.host_header.as_str()), (80, "/", "tsa.example"));
        let t = HttpTsa::new("http://[::1]:3180/ts#frag").unwrap();
        assert_eq!((t.host.as_str(), t.host_header.as_str(), t.path.as_str()), ("::1", "[::1]:3180", "/ts"));
        assert_eq!(HttpTsa::new("http://h?q").unwrap().path, "/?q");
        let https = HttpTsa::new("https://tsa.example/").unwrap_err();
        assert_eq!(https, TsaError::HttpsUnsupported);
        assert_eq!(https.to_string(), "https TSA URLs are not supported yet; use http:// or --tsa-key/--tsa-cert");
        for bad in [
            "ftp://x/",
            "tsa.example/tsr",
            "http://",
            "http:///path",
            "http://h:notaport/",
            "http://h:0/",
            "http://h:/",
            "http://h:+80/",
            "http://h:99999/",
            "http://user:pw@h/",
            "http://h/a b",
            "http://h/a\r\nX-Injected: 1",
            "http://h\r\nX: 1/",
            "http://[::1/",
            "http://[::1]x/",
            "http://a:b:c/",
        ] {
            assert!(HttpTsa::new(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn good_replies() {
        let plain = b"HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: 3\r\n\r\nabc";
        assert_eq!(body(plain).unwrap(), b"abc");
        assert_eq!(body_bytewise(plain).unwrap(), b"abc");
        // Bytes past Content-Length (a keep-alive server's next response) are not ours.
        assert_eq!(body(b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabcdef").unwrap(), b"abc");
        // No length: the body runs to the end of the connection.
        assert_eq!(body(b"HTTP/1.0 200 OK\r\n\r\nabcdef").unwrap(), b"abcdef");
        // Interim responses are skipped; bare LF line ends are tolerated.
        let interim = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\nContent-Length: 2\n\nok";
        assert_eq!(body(interim).unwrap(), b"ok");
        assert_eq!(body_bytewise(interim).unwrap(), b"ok");
        let mut r = ResponseReader::default();
        let b = r.push(plain).unwrap().unwrap();
        assert_eq!(b.content_type.as_deref(), Some("application/timestamp-reply"));
    }

    #[test]
    fn chunked_bodies() {
        let reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 99\r\n\r\n\
                      2;ext=1\r\nab\r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\nnext";
        assert_eq!(body(reply).unwrap(), b"ab0123456789");
        assert_eq!(body_bytewise(reply).unwrap(), b"ab0123456789");
        // Closed right after the last chunk, without the final CRLF: still whole.
        assert_eq!(body(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n").unwrap(), b"z");
        for bad in [
            &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab"[..],
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\nab\r\n0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc\r\n0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        ] {
            assert!(body(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
            assert!(body_bytewise(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn bad_replies() {
        let e = message(body(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n").unwrap_err());
        assert!(e.contains("HTTP 500 Internal Server Error"), "{e}");
        assert!(message(body(b"HTTP/1.1 404\r\n\r\n").unwrap_err()).contains("404"));
        assert!(message(body(b"").unwrap_err()).contains("without answering"));
        assert!(message(body(b"garbage\r\n\r\n").unwrap_err()).contains("not HTTP"));
        assert!(message(body(b"\x1b[31mgarbage").unwrap_err()).contains("not HTTP"));
        assert!(message(body(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc").unwrap_err()).contains("cut short"));
        assert!(body(b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n").is_err());
        assert!(body(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab").is_err());
        assert!(body(b"HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n").is_err());
        assert!(body(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\nab").is_err());
        assert!(body(b"HTTP/1.1 200 OK\r\nno colon\r\n\r\nab").is_err());
        assert!(body(b"HTTP/1.1 101 Switching\r\n\r\n").is_err());
        let mut huge = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
        huge.resize(MAX_REPLY + 1, b'a');
        assert!(message(body(&huge).unwrap_err()).contains("over 1024 KiB"));
        assert!(body(&vec![b'a'; MAX_HEAD + 10]).is_err());
    }

    fn response(status: &[u8], token: Option<&[u8]>) -> Vec<u8> {
        let status_info = tlv(tag::SEQUENCE, status);
        seq(&[&status_info, token.unwrap_or_default()])
    }

    /// No reply bytes make the parsers panic: every truncation and every
    /// single-byte change of a valid reply is refused or accepted, never a crash.
    #[test]
    fn mutated_replies_do_not_panic() {
        let token = seq(&[&write::oid(crate::asn1::oid::SIGNED_DATA), &tlv(tag::ctx_cons(0), &seq(&[]))]);
        let text = seq(&[&tlv(0x0C, b"no")]);
        for resp in [response(&small_int(0), Some(&token)), response(&[small_int(2), text].concat(), None)] {
            let http = [
                format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n", resp.len()).as_bytes(),
                &resp,
                b"\r\n0\r\n\r\n",
            ]
            .concat();
            for i in 0..http.len() {
                let _ = body(&http[..i]).map(|b| tsp::token_from_response(&b).map(<[u8]>::len));
                for flip in [0x01, 0x20, 0x80, 0xFF] {
                    let mut m = http.clone();
                    m[i] ^= flip;
                    let _ = body(&m).map(|b| tsp::token_from_response(&b).map(<[u8]>::len));
                }
            }
        }
    }

    #[test]
    fn wrong_imprint_length_is_refused_before_connecting() {
        // Port 9 (discard) on a documentation address: never contacted.
        let tsa = HttpTsa::new("http://192.0.2.1:9/").unwrap().with_timeout(Duration::from_millis(1));
        let e = message(tsa.timestamp(DigestAlgorithm::Sha256, &[0; 31]).unwrap_err());
        assert!(e.contains("must be 32 bytes"), "{e}");
    }
}

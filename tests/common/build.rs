//! PDFs built byte by byte for tests, and signing with the dev key through
//! the library: cases that need no independent tool, made in milliseconds.

use vanthu::pki::keys::LocalKey;
use vanthu::sign::{Credentials, SignOptions, sign};
use vanthu::verify::Options;

pub fn dev(name: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("certs/dev").join(name)).expect("dev file")
}

/// The dev P-256 signer (its chain is not embedded).
pub fn signer() -> (LocalKey, Credentials) {
    let key = LocalKey::from_pem(&dev("p256.key.pem")).expect("key");
    let cert = vanthu::pki::pem_or_der(&dev("p256.cert.pem"), "CERTIFICATE", "cert").expect("cert").remove(0);
    let chain = vanthu::pki::pem_or_der(&dev("p256.chain.pem"), "CERTIFICATE", "chain").unwrap_or_default();
    (key, Credentials { cert, chain })
}

/// Verification options trusting the dev root.
pub fn trusting_dev_root() -> Options {
    let mut opts = Options::default();
    opts.trust.add_pem(&dev("root.pem"), "certs/dev/root.pem").expect("dev root");
    opts
}

/// A PDF whose objects 1, 2, … are `bodies` (1 must be the catalog), with a
/// classic cross-reference table; `extra_xref` is added to the table as is.
pub fn pdf_from_bodies(bodies: &[Vec<u8>], extra_xref: &str) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", bodies.len() + 1).as_bytes());
    for o in &offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(extra_xref.as_bytes());
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", bodies.len() + 1).as_bytes(),
    );
    out
}

/// A one-page PDF; `objects` become objects 4, 5, ….
pub fn minimal_pdf(objects: &[Vec<u8>], extra_xref: &str) -> Vec<u8> {
    pdf_with_catalog("<< /Type /Catalog /Pages 2 0 R >>", objects, extra_xref)
}

/// [`minimal_pdf`] with another catalog.
pub fn pdf_with_catalog(catalog: &str, objects: &[Vec<u8>], extra_xref: &str) -> Vec<u8> {
    let mut bodies: Vec<Vec<u8>> = vec![
        catalog.as_bytes().to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>".to_vec(),
    ];
    bodies.extend(objects.iter().cloned());
    pdf_from_bodies(&bodies, extra_xref)
}

/// `data` with a vanthu signature by the dev signer appended.
pub fn signed_copy(data: &[u8]) -> Vec<u8> {
    let (key, creds) = signer();
    let s = sign(data, &key, &creds, None, &SignOptions::default()).expect("sign");
    let mut out = data.to_vec();
    out.extend_from_slice(&s.tail);
    out
}

/// The value after the last `startxref`.
pub fn last_startxref(data: &[u8]) -> usize {
    let sx = data.windows(9).rposition(|w| w == b"startxref").expect("startxref") + 9;
    String::from_utf8_lossy(&data[sx..]).split_whitespace().next().and_then(|v| v.parse().ok()).expect("number")
}

/// Appends an incremental update defining `objects` with a classic xref
/// (catalog 1 0 R, /Prev to the last section); `trailer_extra` goes into
/// its trailer.
pub fn append_update(data: &[u8], objects: &[(u32, String)], trailer_extra: &str) -> Vec<u8> {
    let objects: Vec<(u32, Vec<u8>)> = objects.iter().map(|(n, b)| (*n, b.clone().into_bytes())).collect();
    append_update_bytes(data, &objects, trailer_extra)
}

/// [`append_update`] with bodies as bytes.
pub fn append_update_bytes(data: &[u8], objects: &[(u32, Vec<u8>)], trailer_extra: &str) -> Vec<u8> {
    let prev = last_startxref(data);
    let mut out = data.to_vec();
    let mut offsets = Vec::new();
    for (num, body) in objects {
        offsets.push((*num, out.len()));
        out.extend_from_slice(format!("{num} 0 obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(b"xref\n");
    for (num, off) in &offsets {
        out.extend_from_slice(format!("{num} 1\n{off:010} 00000 n \n").as_bytes());
    }
    let size = objects.iter().map(|(n, _)| n + 1).max().unwrap_or(1).max(100);
    out.extend_from_slice(
        format!("trailer\n<< /Size {size} /Root 1 0 R /Prev {prev} {trailer_extra} >>\nstartxref\n{xref}\n%%EOF\n")
            .as_bytes(),
    );
    out
}

/// A stream object body.
pub fn stream(dict: &str, data: &str) -> String {
    format!("<< {dict} /Length {} >>\nstream\n{data}\nendstream", data.len())
}

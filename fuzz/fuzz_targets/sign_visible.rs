//! `sign --visible` on arbitrary input, with each role: byte 0 picks the
//! role, bytes 1..9 the rectangle (four i16, with 0 meaning "the role's
//! default place"), the rest is the PDF. An error or a signed document,
//! never a panic; what vanthu signs must verify.
#![no_main]

mod common;

use common::fixture;
use libfuzzer_sys::fuzz_target;
use vanthu::sign::appearance::{Role, Visible};
use vanthu::sign::{SignOptions, sign};

fuzz_target!(|data: &[u8]| {
    if data.len() < 9 {
        return;
    }
    let (head, pdf) = data.split_at(9);
    let (role, image): (Role, Option<&[u8]>) = match head[0] % 3 {
        0 => (Role::Person, Some(include_bytes!("../../certs/dev/signature.png"))),
        1 => (Role::Organization, Some(include_bytes!("../../certs/dev/seal.png"))),
        _ => (Role::Attachment, None),
    };
    let n = |i: usize| f64::from(i16::from_le_bytes([head[i], head[i + 1]]));
    let rect = [n(1), n(3), n(5), n(7)];
    let visible = Visible {
        role,
        rect: (rect != [0.0; 4]).then_some(rect),
        image: image.map(<[u8]>::to_vec),
        doc_number: Some("610/TB-SGDĐT".into()),
        parts: None,
    };
    let opts = SignOptions { visible: Some(visible), ..SignOptions::default() };
    let f = fixture();
    if let Ok(signed) = sign(pdf, &f.key, &f.creds, None, &opts) {
        let mut out = pdf.to_vec();
        out.extend_from_slice(&signed.tail);
        let report = vanthu::verify::verify_bytes(&out, "fuzz.pdf", &vanthu::verify::Options::default());
        let report = report.expect("a document vanthu signed must be readable");
        assert!(!report.signatures.is_empty());
    }
});

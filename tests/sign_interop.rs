//! A civil servant signs an outgoing document with vanthu: every output must
//! be accepted by independent validators (pyHanko trusting the test root,
//! poppler's pdfsig, qpdf), keep earlier signatures valid, and leave the
//! input's bytes untouched.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn input(name: &str) -> PathBuf {
    fixtures().pdfs.join(format!("{name}.pdf"))
}

fn tsa_flags() -> Vec<String> {
    tsa_args()
}

fn assert_accepted(out: &Path, signer: &str, what: &str) {
    let py = pyhanko_validate(out, &[]);
    assert!(pyhanko_accepts(&py), "pyHanko rejects {what}: {py}");
    let last = py["signatures"].as_array().and_then(|s| s.last()).cloned().unwrap_or_default();
    assert_eq!(last["coverage"], "ENTIRE_FILE", "{what}: {py}");
    let v = verify(out, &[]);
    assert_eq!(v.indication(), "TOTAL-PASSED", "{what}: {}", v.json);
    if signer != "ed25519" {
        // NSS, behind pdfsig, has no Ed25519.
        let sig = pdfsig(out);
        assert!(
            !sig.contains("Signature is Invalid") && sig.matches("Signature is Valid").count() >= 1,
            "pdfsig on {what}: {sig}"
        );
        assert!(sig.trim_end().contains("Total document signed"), "pdfsig on {what}: {sig}");
    }
    assert!(qpdf_check(out), "qpdf --check fails on {what}");
}

#[test]
fn every_key_type_on_every_producer_is_accepted_by_independent_validators() {
    let dir = scratch();
    // An input already signed by pyHanko: its signature must stay valid.
    let pre = dir.path().join("pyhanko-signed.pdf");
    pyhanko_sign(&input("objstm"), &pre, "rsa", "Earlier", &[]);
    let cases: &[(&Path, &str)] = &[
        (&input("reportlab"), "rsa"),
        (&input("fpdf2"), "p256"),
        (&input("objstm"), "p384"),
        (&input("linearized"), "ed25519"),
        (&input("many_pages"), "p256"),
        (&pre, "p256"),
        (&pre, "ed25519"),
    ];
    for (i, (inp, signer)) in cases.iter().enumerate() {
        let out = dir.path().join(format!("out-{i}-{signer}.pdf"));
        let (code, err) = vanthu_sign(
            inp,
            &out,
            signer,
            &["--field", "Chữ ký số", "--reason", "Phê duyệt", "--location", "TP. Hồ Chí Minh"],
        );
        assert_eq!(code, 0, "{}: {err}", inp.display());
        let original = std::fs::read(inp).expect("input");
        let signed = std::fs::read(&out).expect("output");
        assert!(signed.starts_with(&original), "the input's bytes must be kept");
        assert_accepted(&out, signer, &format!("{} / {signer}", inp.display()));
        let v = verify(&out, &[]);
        let last = v.json["signatures"].as_array().map_or(0, Vec::len) - 1;
        assert_eq!(v.sig(last)["field"], "Chữ ký số");
        assert!(v.sig(last)["signer"]["subject"].as_str().is_some_and(|s| s.contains("Sở Giáo dục")));
    }
}

#[test]
fn a_timestamped_signature_carries_a_token_pyhanko_accepts() {
    let dir = scratch();
    let out = dir.path().join("bt.pdf");
    let flags = tsa_flags();
    let extra: Vec<&str> = flags.iter().map(String::as_str).collect();
    let (code, err) = vanthu_sign(&input("reportlab"), &out, "rsa", &extra);
    assert_eq!(code, 0, "{err}");
    let py = pyhanko_validate(&out, &[]);
    assert_eq!(py["signatures"][0]["timestamp_valid"], true, "{py}");
    assert!(pyhanko_accepts(&py));
    let v = verify(&out, &[]);
    assert!(v.sig(0)["timestamp"]["tsa"].as_str().is_some_and(|t| t.contains("Vanthu Test TSA")), "{}", v.json);
    // Signing the same document again (the organisation after the person)
    // keeps the first signature and its timestamp valid.
    let twice = dir.path().join("bt2.pdf");
    let (code, err) = vanthu_sign(&out, &twice, "p256", &extra);
    assert_eq!(code, 0, "{err}");
    assert_accepted(&twice, "p256", "second timestamped signature");
}

#[test]
fn a_certification_signature_is_recognised_and_enforced() {
    let dir = scratch();
    let out = dir.path().join("certified.pdf");
    let (code, err) = vanthu_sign(&input("reportlab"), &out, "rsa", &["--certify=1"]);
    assert_eq!(code, 0, "{err}");
    assert_accepted(&out, "rsa", "certified");
    assert_eq!(verify(&out, &[]).sig(0)["certification"], 1);
    let annotated = dir.path().join("annotated.pdf");
    modify("add-annotation", &out, &annotated);
    assert!(pyhanko_rejects(&pyhanko_validate(&annotated, &[])));
    assert_eq!(verify(&annotated, &[]).indication(), "TOTAL-FAILED");
    // Certification must come first.
    let again = dir.path().join("again.pdf");
    let (code, err) = vanthu_sign(&out, &again, "p256", &["--certify"]);
    assert_eq!(code, 2);
    assert!(err.contains("first signature"), "{err}");
    assert!(!again.exists());
}

#[test]
fn bad_input_ends_with_a_clear_error_and_no_output_file() {
    let dir = scratch();
    let out = dir.path().join("out.pdf");
    let not_pdf = dir.path().join("x.pdf");
    std::fs::write(&not_pdf, b"this is not a PDF").expect("write");
    let encrypted = dir.path().join("enc.pdf");
    run_ok(Command::new("qpdf").args(["--encrypt", "u", "o", "256", "--"]).arg(input("reportlab")).arg(&encrypted));
    let rsa = fixtures().pki.signer("rsa");
    for (name, inp, signer, extra, expect) in [
        ("not a PDF", not_pdf.clone(), "rsa", vec![], "not a PDF"),
        ("encrypted", encrypted.clone(), "rsa", vec![], "encrypted"),
        ("expired certificate", input("reportlab"), "expired", vec![], "expired"),
        ("key usage", input("reportlab"), "wrongku", vec![], "key usage"),
        ("missing page", input("reportlab"), "rsa", vec!["--page", "99"], "no page 99"),
    ] {
        let (code, err) = vanthu_sign(&inp, &out, signer, &extra);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(err.contains(expect), "{name}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{name}: {err}");
        assert!(!out.exists(), "{name}: no output file");
    }
    // A key that does not belong to the certificate.
    let p256 = fixtures().pki.signer("p256");
    let o = vanthu()
        .args(["sign", "--key"])
        .arg(&p256.key)
        .arg("--cert")
        .arg(&rsa.cert)
        .arg(input("reportlab"))
        .arg(&out)
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("does not match"));
    assert!(!out.exists());
    // Leftover partial files are not left behind either.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains("partial"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn deferred_signing_with_a_key_outside_vanthu_passes_pyhanko() {
    let dir = scratch();
    for signer in ["p256", "rsa"] {
        let s = fixtures().pki.signer(signer);
        let prepared = dir.path().join(format!("prepared-{signer}.pdf"));
        let attrs = dir.path().join(format!("attrs-{signer}.der"));
        let printed = run_ok(
            vanthu()
                .args(["sign", "prepare", "--cert"])
                .arg(&s.cert)
                .arg("--chain")
                .arg(&s.chain)
                .arg("--attrs-out")
                .arg(&attrs)
                .arg(input("reportlab"))
                .arg(&prepared),
        );
        assert!(printed.contains("digest: "), "{printed}");
        // The "token": openssl with the key, which vanthu never sees.
        let sig = dir.path().join(format!("sig-{signer}.bin"));
        run_ok(
            Command::new("openssl").args(["dgst", "-sha256", "-sign"]).arg(&s.key).arg("-out").arg(&sig).arg(&attrs),
        );
        let out = dir.path().join(format!("finished-{signer}.pdf"));
        run_ok(
            vanthu()
                .args(["sign", "finish", "--cert"])
                .arg(&s.cert)
                .arg("--chain")
                .arg(&s.chain)
                .arg("--signature")
                .arg(&sig)
                .arg(&prepared)
                .arg(&out),
        );
        assert_accepted(&out, signer, &format!("deferred {signer}"));
        // A signature by another key is refused, not embedded.
        let other = fixtures().pki.signer(if signer == "rsa" { "p256" } else { "rsa" });
        let wrong = dir.path().join("wrong.bin");
        run_ok(
            Command::new("openssl")
                .args(["dgst", "-sha256", "-sign"])
                .arg(&other.key)
                .arg("-out")
                .arg(&wrong)
                .arg(&attrs),
        );
        let bad_out = dir.path().join("bad.pdf");
        let o = vanthu()
            .args(["sign", "finish", "--cert"])
            .arg(&s.cert)
            .arg("--signature")
            .arg(&wrong)
            .arg(&prepared)
            .arg(&bad_out)
            .output()
            .expect("run");
        assert_eq!(o.status.code(), Some(2));
        assert!(!bad_out.exists());
    }
}

/// A transparent PNG: a ring of `rgb` (a seal) or a stroke (a signature).
fn make_png(path: &Path, w: u32, h: u32, rgb: [u8; 3], ring: bool) {
    let mut px = vec![0u8; (w * h * 4) as usize];
    for y in 0..h {
        for x in 0..w {
            let (fx, fy) = (x as f64 / w as f64 - 0.5, y as f64 / h as f64 - 0.5);
            let on = if ring {
                let r = (fx * fx + fy * fy).sqrt();
                (0.40..0.48).contains(&r) || (0.28..0.31).contains(&r)
            } else {
                (fy - 0.3 * (fx * 12.0).sin()).abs() < 0.06
            };
            if on {
                let i = ((y * w + x) * 4) as usize;
                px[i..i + 4].copy_from_slice(&[rgb[0], rgb[1], rgb[2], 255]);
            }
        }
    }
    let file = std::fs::File::create(path).expect("png file");
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header().expect("png header").write_image_data(&px).expect("png data");
}

/// Non-white pixels of page 1 rendered at 72 dpi inside a PDF rectangle.
/// The signature widgets of page 1 (field name, /Rect as x, y, w, h), in
/// form order, read with vanthu's own reader.
fn signature_widgets(pdf: &Path) -> Vec<(String, [f64; 4])> {
    use vanthu::pdf::object::Object;
    let data = std::fs::read(pdf).expect("read");
    let budget = vanthu::pdf::Budget::new(vanthu::pdf::Limits::default());
    let doc = vanthu::pdf::Document::open(&data, &budget).expect("open");
    let fields = vanthu::pdf::signatures::signature_fields(&doc, vanthu::pdf::View::Latest).expect("fields");
    fields
        .iter()
        .map(|f| {
            let field = doc.get(f.field).expect("field").expect("present");
            let r: Vec<f64> = field
                .get(b"Rect")
                .and_then(Object::as_array)
                .expect("a /Rect")
                .iter()
                .map(|o| match o {
                    Object::Int(i) => *i as f64,
                    Object::Real(r) => *r,
                    other => panic!("{other:?}"),
                })
                .collect();
            (f.name.clone(), [r[0].min(r[2]), r[1].min(r[3]), (r[2] - r[0]).abs(), (r[3] - r[1]).abs()])
        })
        .collect()
}

/// pdftotext of page 1 inside `rect` (x, y, w, h in points, origin at the
/// bottom left; the page is A4).
fn text_in(pdf: &Path, rect: [f64; 4]) -> String {
    let [x, y, w, h] = rect.map(|v| v.round() as i64);
    run_ok(
        Command::new("pdftotext")
            .args(["-f", "1", "-l", "1", "-r", "72"])
            .args(["-x", &x.to_string(), "-y", &(842 - y - h).to_string(), "-W", &w.to_string(), "-H", &h.to_string()])
            .arg(pdf)
            .arg("-"),
    )
}

fn ink_in(pdf: &Path, rect: [f64; 4], dir: &Path) -> usize {
    let prefix = dir.join("render");
    run_ok(
        Command::new("pdftoppm").args(["-r", "72", "-f", "1", "-l", "1", "-png", "-singlefile"]).arg(pdf).arg(&prefix),
    );
    let file = std::fs::File::open(prefix.with_extension("png")).expect("rendered page");
    let mut dec = png::Decoder::new(std::io::BufReader::new(file));
    dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = dec.read_info().expect("png");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("frame");
    let channels = info.color_type.samples();
    let (w, h) = (info.width as f64, info.height as f64);
    let [x, y, rw, rh] = rect;
    let mut ink = 0;
    for py in ((h - y - rh).max(0.0) as usize)..((h - y).min(h) as usize) {
        for px in (x.max(0.0) as usize)..((x + rw).min(w) as usize) {
            let i = (py * info.width as usize + px) * channels;
            if buf[i..i + 3].iter().any(|&c| c < 200) {
                ink += 1;
            }
        }
    }
    ink
}

#[test]
fn visible_signatures_follow_decree_30_and_render_vietnamese_text() {
    let dir = scratch();
    let sig_png = dir.path().join("signature.png");
    let seal_png = dir.path().join("seal.png");
    make_png(&sig_png, 300, 120, [20, 40, 200], false);
    make_png(&seal_png, 240, 240, [220, 20, 20], true);
    let sample = dir.path().join("sample.pdf");
    run_ok(Command::new("python3").arg(support("make_sample.py")).arg(&sample));
    let person = dir.path().join("person.pdf");
    let org = dir.path().join("org.pdf");
    let attach = dir.path().join("attachment.pdf");
    let sig = sig_png.display().to_string();
    let seal = seal_png.display().to_string();
    let (code, err) = vanthu_sign(
        &sample,
        &person,
        "rsa",
        &["--visible", "--role", "person", "--image", &sig, "--rect", "330,120,220,100"],
    );
    assert_eq!(code, 0, "{err}");
    let (code, err) = vanthu_sign(
        &person,
        &org,
        "p256",
        &["--visible", "--role", "organization", "--image", &seal, "--rect", "260,110,200,110"],
    );
    assert_eq!(code, 0, "{err}");
    let (code, err) =
        vanthu_sign(&org, &attach, "p256", &["--visible", "--role", "attachment", "--doc-number", "610/TB-SGDĐT"]);
    assert_eq!(code, 0, "{err}");
    assert_accepted(&attach, "p256", "three visible signatures");
    let v = verify(&attach, &[]);
    assert_eq!(v.json["signatures"].as_array().map(Vec::len), Some(3));

    // The appearances are drawn where they were asked to be.
    assert!(ink_in(&person, [330.0, 120.0, 220.0, 100.0], dir.path()) > 200, "person signature area is blank");
    let blank_before = ink_in(&person, [260.0, 110.0, 70.0, 110.0], dir.path());
    assert!(ink_in(&org, [260.0, 110.0, 70.0, 110.0], dir.path()) > blank_before + 200, "seal area is blank");
    // Vietnamese text survives: rendered from the embedded font and copyable,
    // read from inside each widget vanthu added (the sample notice itself
    // already carries some of these words, elsewhere on the page).
    let widgets = signature_widgets(&attach);
    assert_eq!(widgets.len(), 3, "{widgets:?}");
    for ((field, rect), expected) in widgets.iter().zip([
        &["Hồ Tấn Minh", "Thời gian ký:"][..],
        &["Sở Giáo dục và Đào tạo Thành phố", "+07:00"][..],
        &["Số: 610/TB-SGDĐT", "+07:00"][..],
    ]) {
        let inside = text_in(&attach, *rect);
        let before = text_in(&sample, *rect);
        for e in expected {
            assert!(inside.contains(e), "{e:?} not drawn in {field} at {rect:?}:\n{inside}");
            assert!(!before.contains(e), "{e:?} was already at {rect:?} before signing");
        }
    }
    // The font is embedded as a subset, not whole (about 400 KB).
    let grown = std::fs::metadata(&org).expect("org").len() - std::fs::metadata(&person).expect("person").len();
    assert!(grown < 120_000, "the organisation signature added {grown} bytes");
    let fonts = run_ok(Command::new("pdffonts").arg(&attach));
    assert!(fonts.contains("+LiberationSerif") && fonts.contains("yes"), "{fonts}");
}

#[test]
fn a_bad_image_or_missing_document_number_is_refused_cleanly() {
    let dir = scratch();
    let bogus = dir.path().join("bogus.png");
    std::fs::write(&bogus, b"not a png at all").expect("write");
    let out = dir.path().join("out.pdf");
    let (code, err) =
        vanthu_sign(&input("reportlab"), &out, "rsa", &["--visible", "--image", bogus.to_str().expect("utf-8")]);
    assert_eq!(code, 2);
    assert!(err.contains("PNG"), "{err}");
    assert!(!out.exists());
    let (code, err) = vanthu_sign(&input("reportlab"), &out, "rsa", &["--visible", "--role", "attachment"]);
    assert_eq!(code, 2);
    assert!(err.contains("--doc-number"), "{err}");
    assert!(!out.exists());
}

/// The CMS of the last signature of `pdf` (DER, without the zero padding)
/// and the bytes its /ByteRange covers.
fn last_cms_and_content(pdf: &Path) -> (Vec<u8>, Vec<u8>) {
    let data = std::fs::read(pdf).expect("read");
    let budget = vanthu::pdf::Budget::new(vanthu::pdf::Limits::default());
    let doc = vanthu::pdf::Document::open(&data, &budget).expect("open");
    let found = vanthu::pdf::signatures::find_signatures(&doc).expect("signatures");
    let f = found.last().expect("a signature");
    let (br, contents) = vanthu::pdf::byterange::ByteRange::from_dict(&f.dict, data.len()).expect("sound range");
    let (_, len) = vanthu::cms::parse_signed_data(&contents.bytes).expect("cms");
    let content = br.signed(&data).expect("ranges").concat();
    (contents.bytes[..len].to_vec(), content)
}

#[test]
fn openssl_verifies_vanthus_cms_and_its_timestamp_token() {
    let dir = scratch();
    let out = dir.path().join("bt.pdf");
    let flags = tsa_flags();
    let extra: Vec<&str> = flags.iter().map(String::as_str).collect();
    let (code, err) = vanthu_sign(&input("reportlab"), &out, "rsa", &extra);
    assert_eq!(code, 0, "{err}");
    let (cms, content) = last_cms_and_content(&out);
    let cms_path = dir.path().join("sig.der");
    let content_path = dir.path().join("content.bin");
    std::fs::write(&cms_path, &cms).expect("write");
    std::fs::write(&content_path, &content).expect("write");
    let root = &fixtures().pki.root;
    // The detached CMS over the signed ranges, chained to the test root.
    let o = Command::new("openssl")
        .args(["cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any", "-out", "/dev/null"])
        .arg("-in")
        .arg(&cms_path)
        .arg("-content")
        .arg(&content_path)
        .arg("-CAfile")
        .arg(root)
        .output()
        .expect("openssl");
    let said = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success() && said.contains("Verification successful"), "openssl cms: {said}");
    // One changed byte of content: openssl refuses it.
    let mut tampered = content.clone();
    tampered[100] ^= 1;
    std::fs::write(&content_path, &tampered).expect("write");
    let o = Command::new("openssl")
        .args(["cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any", "-out", "/dev/null"])
        .arg("-in")
        .arg(&cms_path)
        .arg("-content")
        .arg(&content_path)
        .arg("-CAfile")
        .arg(root)
        .output()
        .expect("openssl");
    assert!(!o.status.success(), "openssl accepted tampered content");
    // The RFC 3161 token in the unsigned attributes: its imprint is the
    // signature value, its TSA chains to the same root.
    let (sd, _) = vanthu::cms::parse_signed_data(&cms).expect("cms");
    let si = sd.signer_infos.first().expect("signer");
    let token = vanthu::cms::timestamp_token(si).expect("attribute").expect("a token");
    let token_path = dir.path().join("token.der");
    let sigval_path = dir.path().join("sigval.bin");
    std::fs::write(&token_path, token).expect("write");
    std::fs::write(&sigval_path, si.signature).expect("write");
    let tsa = fixtures().pki.signer("tsa");
    let o = Command::new("openssl")
        .args(["ts", "-verify", "-token_in"])
        .arg("-in")
        .arg(&token_path)
        .arg("-data")
        .arg(&sigval_path)
        .arg("-CAfile")
        .arg(root)
        .arg("-untrusted")
        .arg(&tsa.cert)
        .output()
        .expect("openssl");
    let said = String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success() && said.contains("Verification: OK"), "openssl ts: {said}");
}

#[test]
fn vanthu_demo_signs_the_sample_notice_twice_and_it_verifies() {
    let dir = scratch();
    let out = dir.path().join("demo.pdf");
    let dev = Path::new(env!("CARGO_MANIFEST_DIR")).join("certs/dev");
    let o = vanthu().arg("demo").arg("--dev").arg(&dev).arg("--out").arg(&out).output().expect("run demo");
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    // Judged by the independent validator against the dev root.
    let dev_root = dev.join("root.pem");
    let py = run_ok(Command::new("python3").arg(support("validate.py")).arg("--trust").arg(&dev_root).arg(&out));
    let py: serde_json::Value = serde_json::from_str(&py).expect("json");
    assert_eq!(py["signatures"].as_array().map(Vec::len), Some(2), "{py}");
    assert!(pyhanko_accepts(&py), "{py}");
    assert!(py["signatures"].as_array().unwrap().iter().all(|s| s["timestamp_valid"] == true), "{py}");
    let o = vanthu().arg("verify").arg("--json").arg("--trust").arg(&dev_root).arg(&out).output().expect("verify");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["indication"], "TOTAL-PASSED", "{v}");
}

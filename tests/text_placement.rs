//! Visible signatures placed by the page's text, as Decree 30/2020 puts
//! them, judged by poppler (`pdftotext -bbox-layout` for the words of the
//! page, `pdftoppm` for where the ink went) and pyHanko's reader for the
//! widget rectangles.

mod common;

use common::poppler::{Box4, words};
use common::{run_ok, scratch, support};
use std::path::{Path, PathBuf};
use std::process::Command;

fn dev(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("certs/dev").join(name)
}

fn vanthu() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vanthu"))
}

fn intersects(a: &Box4, b: &Box4) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

/// The union of the boxes of consecutive words spelling `phrase`.
fn phrase_box(words: &[(String, Box4)], phrase: &str) -> Box4 {
    let parts: Vec<&str> = phrase.split(' ').collect();
    let i = (0..words.len())
        .rev()
        .find(|&i| parts.iter().enumerate().all(|(k, p)| words.get(i + k).is_some_and(|w| w.0 == *p)))
        .unwrap_or_else(|| panic!("{phrase:?} not on the page"));
    words[i..i + parts.len()].iter().fold([f64::MAX, f64::MAX, f64::MIN, f64::MIN], |a, (_, b)| {
        [a[0].min(b[0]), a[1].min(b[1]), a[2].max(b[2]), a[3].max(b[3])]
    })
}

/// The signature fields' rectangles, as pyHanko reads them.
fn widgets(pdf: &Path) -> Vec<(String, Box4)> {
    let script = "import sys\nfrom pyhanko.pdf_utils.reader import PdfFileReader\n\
                  r = PdfFileReader(open(sys.argv[1], 'rb'))\n\
                  for f in r.root['/AcroForm']['/Fields']:\n    f = f.get_object()\n\
                  \x20   print(f['/T'] + '|' + ' '.join(str(float(x)) for x in f['/Rect']))\n";
    let out = run_ok(Command::new("python3").arg("-c").arg(script).arg(pdf));
    out.lines()
        .map(|l| {
            let (name, rect) = l.split_once('|').unwrap();
            let v: Vec<f64> = rect.split(' ').map(|x| x.parse().unwrap()).collect();
            (name.to_string(), [v[0].min(v[2]), v[1].min(v[3]), v[0].max(v[2]), v[1].max(v[3])])
        })
        .collect()
}

/// Pixels of page 1 rendered at 72 dpi whose colour passes `pick`, in page
/// space (one point per pixel).
fn ink(pdf: &Path, dir: &Path, pick: fn([u8; 3]) -> bool) -> Vec<(f64, f64)> {
    let prefix = dir.join("render");
    run_ok(
        Command::new("pdftoppm").args(["-r", "72", "-f", "1", "-l", "1", "-png", "-singlefile"]).arg(pdf).arg(&prefix),
    );
    let mut dec =
        png::Decoder::new(std::io::BufReader::new(std::fs::File::open(prefix.with_extension("png")).unwrap()));
    dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let ch = info.color_type.samples();
    let (w, h) = (info.width as usize, info.height as usize);
    let mut out = Vec::new();
    for y in 0..h {
        for x in 0..w {
            let i = (y * w + x) * ch;
            if pick([buf[i], buf[i + 1], buf[i + 2]]) {
                out.push((x as f64 + 0.5, (h - y) as f64 - 0.5));
            }
        }
    }
    out
}

fn sign(input: &Path, output: &Path, who: &str, extra: &[&str]) -> std::process::Output {
    vanthu()
        .arg("sign")
        .arg("--key")
        .arg(dev(&format!("{who}.key.pem")))
        .arg("--cert")
        .arg(dev(&format!("{who}.cert.pem")))
        .arg("--chain")
        .arg(dev(&format!("{who}.chain.pem")))
        .arg("--visible")
        .args(extra)
        .arg(input)
        .arg(output)
        .output()
        .unwrap()
}

#[test]
fn demo_puts_the_signature_between_title_and_name_and_the_seal_over_its_left_third() {
    let dir = scratch();
    let out = dir.path().join("demo.pdf");
    let o = vanthu().arg("demo").arg("--dev").arg(dev("")).arg("--out").arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.stderr.is_empty(), "no warning expected: {}", String::from_utf8_lossy(&o.stderr));

    let (words, _) = words(&dev("sample.pdf"));
    let title = phrase_box(&words, "CHÁNH VĂN PHÒNG");
    let name = phrase_box(&words, "Hồ Tấn Minh");
    let w = widgets(&out);
    let person = w.iter().find(|(n, _)| n == "Người ký").unwrap().1;
    let org = w.iter().find(|(n, _)| n == "Cơ quan").unwrap().1;

    // No widget covers a word of the page.
    for (text, b) in &words {
        assert!(!intersects(b, &person), "the person's signature covers {text:?}");
        assert!(!intersects(b, &org), "the organisation's signature covers {text:?}");
    }
    // The person's widget lies between the title line and the name line,
    // centred on the name.
    assert!(person[3] <= title[1] && person[1] >= name[3], "person {person:?}, title {title:?}, name {name:?}");
    let (pc, nc) = ((person[0] + person[2]) / 2.0, (name[0] + name[2]) / 2.0);
    assert!((pc - nc).abs() < 1.0, "person centred at {pc}, name at {nc}");

    // The ink: the blue signature between the lines; the red seal over the
    // person's signature, on its left third only.
    let blue = ink(&out, dir.path(), |[r, g, b]| b > 150 && r < 100 && g < 120);
    assert!(blue.len() > 300, "{} blue pixels", blue.len());
    assert!(blue.iter().all(|&(x, y)| y < title[1] && y > name[3] && x > person[0] - 1.0 && x < person[2] + 1.0));
    let red = ink(&out, dir.path(), |[r, g, b]| r > 150 && g < 90 && b < 90);
    let third = person[0] + (person[2] - person[0]) / 3.0;
    let over_person = red.iter().filter(|&&(x, y)| x >= person[0] && x <= third && y >= person[1] && y <= person[3]);
    assert!(over_person.count() > 100, "the seal does not cover the signature's left third");
    assert!(red.iter().all(|&(x, _)| x <= third + 1.5), "the seal reaches beyond the signature's left third");
    assert!(red.iter().any(|&(x, _)| x < person[0] - 20.0), "the seal is not at its real size");
}

#[test]
fn attachment_stamp_never_touches_a_word() {
    let dir = scratch();
    let docs = dir.path().join("docs");
    run_ok(Command::new("python3").arg(support("make_text_pdfs.py")).arg(&docs).arg("--libreoffice"));
    for input in
        [dev("sample.pdf"), docs.join("rl_plan.pdf"), docs.join("fpdf2_decision.pdf"), docs.join("lo_letter.pdf")]
    {
        let out = dir.path().join("stamped.pdf");
        let o = sign(&input, &out, "p256", &["--role", "attachment", "--doc-number", "610/TB-SGDĐT"]);
        assert_eq!(o.status.code(), Some(0), "{}: {}", input.display(), String::from_utf8_lossy(&o.stderr));
        let (words, height) = words(&input);
        let stamp = widgets(&out)[0].1;
        for (text, b) in &words {
            assert!(!intersects(b, &stamp), "{}: the stamp {stamp:?} covers {text:?}", input.display());
        }
        assert!(stamp[0] > 595.0 / 2.0 && stamp[1] > height * 0.75, "{}: {stamp:?} is not top right", input.display());
        // Its text is the decree's: number and time, set in the embedded serif.
        let text = run_ok(Command::new("pdftotext").arg(&out).arg("-"));
        assert!(text.contains("Số: 610/TB-SGDĐT") && text.contains("+07:00"), "{text}");
    }
}

#[test]
fn an_anchor_inside_a_form_xobject_places_the_image_between_its_lines() {
    let dir = scratch();
    run_ok(Command::new("python3").arg(support("make_text_pdfs.py")).arg(dir.path()));
    let input = dir.path().join("rl_plan.pdf");
    let out = dir.path().join("signed.pdf");
    let o =
        sign(&input, &out, "rsa", &["--image", dev("signature.png").to_str().unwrap(), "--anchor", "Nguyễn Thị\nMai"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let (words, _) = words(&input);
    let title = phrase_box(&words, "PHÓ GIÁM ĐỐC");
    let name = phrase_box(&words, "Nguyễn Thị Mai");
    let person = widgets(&out)[0].1;
    assert!(person[3] <= title[1] && person[1] >= name[3], "person {person:?}, title {title:?}, name {name:?}");
    assert!(words.iter().all(|(_, b)| !intersects(b, &person)));
}

#[test]
fn without_an_anchor_on_the_page_and_without_rect_nothing_is_signed() {
    let dir = scratch();
    run_ok(Command::new("python3").arg(support("make_text_pdfs.py")).arg(dir.path()));
    let input = dir.path().join("rl_plan.pdf");
    let out = dir.path().join("signed.pdf");
    // The certificate's name (Hồ Tấn Minh) is not on this plan.
    let o = sign(&input, &out, "rsa", &["--image", dev("signature.png").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("Hồ Tấn Minh") && err.contains("--rect"), "{err}");
    assert!(!out.exists());
    // Nor an organisation's seal with no person's signature to go over.
    let o = sign(&input, &out, "p256", &["--role", "organization", "--image", dev("seal.png").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no person's signature"));
    assert!(!out.exists());
    // With --rect the caller decides.
    let o = sign(&input, &out, "rsa", &["--rect", "300,100,150,60"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn ocr_still_reads_the_signer_block_with_its_diacritics() {
    let dir = scratch();
    let out = dir.path().join("demo.pdf");
    let o = vanthu().arg("demo").arg("--dev").arg(dev("")).arg("--out").arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let prefix = dir.path().join("page");
    run_ok(
        Command::new("pdftoppm")
            .args(["-r", "300", "-f", "1", "-l", "1", "-png", "-singlefile"])
            .arg(&out)
            .arg(&prefix),
    );
    // Tesseract with its Vietnamese model, as a reader of the rendered page.
    let text = run_ok(Command::new("tesseract").arg(prefix.with_extension("png")).arg("-").args(["-l", "vie"]));
    for expected in ["TL. GIÁM ĐỐC", "CHÁNH VĂN PHÒNG", "Hồ Tấn Minh", "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh"]
    {
        assert!(text.contains(expected), "OCR lost {expected:?}:\n{text}");
    }
}

//! `vanthu inspect`: the header read from a document's own text, compared
//! with the values each generator put in (reportlab, fpdf2, LibreOffice and
//! the sample notice), and nothing guessed where the text is silent.

mod common;

use common::{run_ok, scratch, support, vanthu};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

struct Docs {
    dir: tempfile::TempDir,
}

fn docs() -> &'static Path {
    static D: OnceLock<Docs> = OnceLock::new();
    D.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        run_ok(Command::new("python3").arg(support("make_text_pdfs.py")).arg(dir.path()).arg("--libreoffice"));
        Docs { dir }
    })
    .dir
    .path()
}

fn inspect(pdf: &Path) -> Value {
    let out = vanthu().arg("inspect").arg("--json").arg(pdf).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Checks every field against what the generator wrote in `NAME.json`.
fn matches_generator(name: &str) {
    let pdf = docs().join(format!("{name}.pdf"));
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(docs().join(format!("{name}.json"))).unwrap()).unwrap();
    let got = inspect(&pdf);
    for key in ["number", "place", "date", "document_type", "subject", "recipients", "archive"] {
        assert_eq!(got[key], expected[key], "{name}: {key}");
    }
    for key in ["competence", "position", "name"] {
        assert_eq!(got["signer"][key], expected[key], "{name}: signer {key}");
    }
    let missing: Vec<&str> = got["missing"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    let expected_missing: Vec<&str> = if expected["competence"].is_null() { vec!["signer.competence"] } else { vec![] };
    assert_eq!(missing, expected_missing, "{name}");
}

#[test]
fn seed_notice_header() {
    let got = inspect(&Path::new(env!("CARGO_MANIFEST_DIR")).join("certs/dev/sample.pdf"));
    assert_eq!(
        got,
        json!({
            "text_layer": true,
            "number": "610/TB-SGDĐT",
            "place": "Thành phố Hồ Chí Minh",
            "date": "2022-03-08",
            "document_type": "THÔNG BÁO",
            "subject": "Kết luận và chỉ đạo của Giám đốc Sở Giáo dục và Đào tạo tại Hội nghị Giao ban chuyên môn năm học 2021 - 2022",
            "signer": { "competence": "TL. GIÁM ĐỐC", "position": "CHÁNH VĂN PHÒNG", "name": "Hồ Tấn Minh" },
            "recipients": [
                "UBND thành phố Thủ Đức và các quận, huyện;",
                "BTV, BGĐ Sở GD&ĐT, BTV Công đoàn GD Thành phố;",
                "Trưởng các Phòng thuộc Sở;",
                "Trưởng Phòng GD&ĐT tp. Thủ Đức và các Q/H;",
                "Hiệu trưởng các Trường THPT, trường phổ thông có nhiều cấp học (có cấp THPT);",
                "Giám đốc các TT.GDNN-GDTX;",
                "Thủ trưởng các đơn vị trực thuộc;"
            ],
            "archive": "VT, VP (M-H).",
            "missing": []
        })
    );
}

#[test]
fn reportlab_plan_header() {
    matches_generator("rl_plan");
}

#[test]
fn fpdf2_decision_header_without_competence() {
    matches_generator("fpdf2_decision");
}

#[test]
fn libreoffice_letter_header() {
    matches_generator("lo_letter");
}

#[test]
fn readable_text_output_names_missing_fields() {
    let out = run_ok(vanthu().arg("inspect").arg(docs().join("fpdf2_decision.pdf")));
    assert!(out.contains("Number:           45/QĐ-SGDĐT"), "{out}");
    assert!(out.contains("Competence:       (missing)"), "{out}");
    assert!(out.contains("Name:             Lê Thị Bích Thuận"), "{out}");
}

fn reportlab(script: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = scratch();
    let pdf = dir.path().join("doc.pdf");
    let code = format!(
        "import sys\nfrom reportlab.pdfbase import pdfmetrics\nfrom reportlab.pdfbase.ttfonts import TTFont\n\
         from reportlab.pdfgen import canvas\n\
         pdfmetrics.registerFont(TTFont('S', '/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf'))\n\
         c = canvas.Canvas(sys.argv[1])\nc.setFont('S', 13)\n{script}\nc.showPage()\nc.save()\n"
    );
    run_ok(Command::new("python3").arg("-c").arg(code).arg(&pdf));
    (dir, pdf)
}

#[test]
fn blank_date_and_absent_blocks_are_missing_not_guessed() {
    // A draft: number and date left blank for the registry, no signer block,
    // no recipients.
    let (_d, pdf) = reportlab(
        "c.drawString(60, 780, 'Số:      /TB-SGDĐT')\n\
         c.drawString(300, 780, 'Hà Nội, ngày      tháng      năm 2026')\n\
         c.drawString(250, 740, 'THÔNG BÁO')\n\
         c.drawString(60, 700, 'Nội dung dự thảo.')",
    );
    let got = inspect(&pdf);
    assert_eq!(got["number"], "/TB-SGDĐT");
    assert_eq!(got["place"], "Hà Nội");
    assert_eq!(got["date"], Value::Null);
    assert_eq!(got["document_type"], "THÔNG BÁO");
    assert_eq!(got["subject"], Value::Null, "the body is not a subject");
    assert_eq!(got["signer"], json!({ "competence": null, "position": null, "name": null }));
    assert_eq!(
        got["missing"],
        json!(["date", "subject", "signer.competence", "signer.position", "signer.name", "recipients", "archive"])
    );
}

#[test]
fn a_scan_has_no_text_layer_and_every_field_missing() {
    let (_d, pdf) = reportlab("c.rect(100, 100, 300, 400, fill=1)");
    let got = inspect(&pdf);
    assert_eq!(got["text_layer"], false);
    assert_eq!(got["missing"].as_array().unwrap().len(), 10);
}

#[test]
fn the_signer_block_and_recipients_are_read_from_the_last_page() {
    let (_d, pdf) = reportlab(
        "c.drawString(60, 780, 'Số: 7/BC-SGDĐT')\n\
         c.drawString(300, 780, 'Cần Thơ, ngày 31 tháng 12 năm 2024')\n\
         c.drawCentredString(297, 740, 'BÁO CÁO')\n\
         c.drawCentredString(297, 724, 'Tổng kết năm học 2023 - 2024')\n\
         c.drawString(60, 690, 'Trang một của báo cáo.')\n\
         c.showPage()\nc.setFont('S', 13)\n\
         c.drawString(60, 700, 'Trang hai của báo cáo.')\n\
         c.drawString(60, 600, 'Nơi nhận:')\n\
         c.drawString(60, 586, '- Bộ Giáo dục và Đào tạo;')\n\
         c.drawString(60, 572, '- Lưu: VT.')\n\
         c.drawCentredString(430, 600, 'Q. GIÁM ĐỐC')\n\
         c.drawCentredString(430, 500, 'Phạm Văn An')",
    );
    let got = inspect(&pdf);
    assert_eq!(got["number"], "7/BC-SGDĐT");
    assert_eq!(got["date"], "2024-12-31");
    assert_eq!(got["document_type"], "BÁO CÁO");
    assert_eq!(got["subject"], "Tổng kết năm học 2023 - 2024");
    // An acting head ("Q.") signs; the position is the competence's own.
    assert_eq!(got["signer"], json!({ "competence": "Q. GIÁM ĐỐC", "position": null, "name": "Phạm Văn An" }));
    assert_eq!(got["recipients"], json!(["Bộ Giáo dục và Đào tạo;"]));
    assert_eq!(got["archive"], "VT.");
}

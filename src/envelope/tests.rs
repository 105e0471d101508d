use super::*;

/// The header of notice 610/TB-SGDĐT (seeds/004), as its sender would submit it.
const HEADER_004: &str = r#"{
  "from": "000.00.12.H29",
  "to": [],
  "code": { "number": 610, "notation": "TB-SGDĐT" },
  "promulgation": { "place": "Thành phố Hồ Chí Minh", "date": "2022-03-08" },
  "document_type": "Thông báo",
  "subject": "Kết luận và chỉ đạo của Giám đốc Sở Giáo dục và Đào tạo tại Hội nghị Giao ban chuyên môn năm học 2021-2022",
  "signer": { "competence": "TL. GIÁM ĐỐC", "position": "CHÁNH VĂN PHÒNG", "full_name": "Hồ Tấn Minh" },
  "due_date": "2022-03-11",
  "to_places": [
    "- UBND thành phố Thủ Đức và các quận, huyện;",
    "- BTV, BGĐ Sở GD&ĐT, BTV Công đoàn GD Thành phố;",
    "- Trưởng các Phòng thuộc Sở;",
    "- Trưởng Phòng GD&ĐT tp. Thủ Đức và các Q/H;",
    "- Hiệu trưởng các Trường THPT, trường phổ thông có nhiều cấp học (có cấp THPT);",
    "- Giám đốc các TT.GDNN-GDTX;",
    "- Thủ trưởng các đơn vị trực thuộc;",
    "- Lưu: VT, VP (M-H)."
  ],
  "priority": "thường"
}"#;

fn fields(errors: &[FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.field.as_str()).collect()
}

#[test]
fn the_004_header_parses() {
    let h = parse(HEADER_004.as_bytes()).unwrap();
    assert_eq!(h.from.as_str(), "000.00.12.H29");
    assert_eq!(h.code, Code { number: 610, notation: "TB-SGDĐT".into() });
    assert_eq!(h.promulgation.date.to_string(), "2022-03-08");
    assert_eq!(h.signer.competence.as_deref(), Some("TL. GIÁM ĐỐC"));
    assert_eq!(h.to_places.len(), 8);
    assert_eq!(h.priority, Priority::Normal);
    assert_eq!(h.business, Business::New);
    assert_eq!(h.edxml_id().to_string(), "000.00.12.H29,2022/03/08,610/TB-SGDĐT");
}

#[test]
fn a_header_written_back_parses_to_the_same_header() {
    let h = parse(HEADER_004.as_bytes()).unwrap();
    let again = parse(&serde_json::to_vec(&h).unwrap()).unwrap();
    assert_eq!(again, h);
}

#[test]
fn the_004_header_routes_to_every_unit_once() {
    use crate::directory::{GroupId, Member, sample};
    let mut h = parse(HEADER_004.as_bytes()).unwrap();
    let d = sample::hcmc();
    let n = |g: &str| d.expand(&Member::Group(GroupId::parse(g).unwrap())).len();
    let r = d.route(&h.to, h.to_places.iter().map(String::as_str));
    assert!(r.unknown_to.is_empty());
    assert_eq!(r.lines.len(), 8);
    // Committees, the three bodies, divisions, offices, centres, and the
    // attached units (which include every high and multi-level school of
    // line 5, delivered once).
    let want = 22 + 3 + 11 + 22 + 22 + n("don-vi-truc-thuoc");
    assert_eq!(r.recipients.units.len(), want);
    // A `to` entry already reached by a line adds nothing; an unknown one is listed.
    h.to = vec![Member::parse("phong-gddt").unwrap(), Member::parse("999.99.99.H29").unwrap()];
    let r = d.route(&h.to, h.to_places.iter().map(String::as_str));
    assert_eq!(r.recipients.units.len(), want);
    assert_eq!(r.unknown_to, [Member::parse("999.99.99.H29").unwrap()]);
}

#[test]
fn the_004_lines_route_through_the_sample_directory() {
    let h = parse(HEADER_004.as_bytes()).unwrap();
    let d = crate::directory::sample::hcmc();
    let mut archive = 0;
    for line in &h.to_places {
        match d.resolve_line(line) {
            crate::directory::LineResolution::Archive { .. } => archive += 1,
            crate::directory::LineResolution::Resolved { unresolved_parts, .. } => assert!(unresolved_parts.is_empty()),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(archive, 1);
}

#[test]
fn every_bad_field_is_listed_at_once() {
    let bad = r#"{
      "from": "000.00.12.h29",
      "to": ["Phòng GD", 7],
      "code": { "number": 0, "notation": "TB,SGD", "extra": 1 },
      "promulgation": { "place": "", "date": "2022-02-30" },
      "document_type": 5,
      "signer": { "position": "CHÁNH VĂN PHÒNG" },
      "due_date": "08/03/2022",
      "to_places": [],
      "priority": "gấp",
      "response_for": "000.00.12.H29,2022-03-08,610/TB",
      "business_type": "revoke",
      "subjet": "typo"
    }"#;
    let errors = parse(bad.as_bytes()).unwrap_err();
    let mut got = fields(&errors);
    got.sort_unstable();
    let mut want = vec![
        "from",
        "to[0]",
        "to[1]",
        "code.number",
        "code.notation",
        "code.extra",
        "promulgation.place",
        "promulgation.date",
        "document_type",
        "subject",
        "signer.full_name",
        "due_date",
        "priority",
        "response_for",
        "business_document",
        "subjet",
    ];
    want.sort_unstable();
    assert_eq!(got, want, "{errors:#?}");
    // Messages say what is wrong, for a person.
    let msg = |f: &str| errors.iter().find(|e| e.field == f).unwrap().message.clone();
    assert!(msg("subject").contains("required"));
    assert!(msg("code.notation").contains("comma"));
    assert!(msg("subjet").contains("unknown"));
}

#[test]
fn no_recipient_at_all_is_refused() {
    let h = HEADER_004.replace(r#""priority": "thường""#, r#""priority": "flash""#);
    let start = h.find("\"to_places\"").unwrap();
    let end = h[start..].find(']').unwrap() + start + 1;
    let none = format!("{}\"to_places\": []{}", &h[..start], &h[end..]);
    assert_eq!(fields(&parse(none.as_bytes()).unwrap_err()), ["to"]);
    // The ASCII priority is accepted and written back in Vietnamese.
    let ok = parse(h.as_bytes()).unwrap();
    assert_eq!(ok.priority, Priority::Flash);
    let json = serde_json::to_value(&ok).unwrap();
    assert_eq!(json["priority"], "hỏa tốc");
}

#[test]
fn priorities_in_any_spelling() {
    for (text, p) in [
        ("thường", Priority::Normal),
        ("THƯỢNG KHẨN", Priority::VeryUrgent),
        // Decomposed: u + horn, o + horn + dot below, a + circumflex + hook above.
        ("thu\u{31b}o\u{31b}\u{323}ng kha\u{302}\u{309}n", Priority::VeryUrgent),
        ("hoả tốc", Priority::Flash),
        ("thuong khan", Priority::VeryUrgent),
        ("urgent", Priority::Urgent),
    ] {
        assert_eq!(Priority::parse(text), Some(p), "{text:?}");
    }
    assert_eq!(Priority::parse("gấp"), None);
    assert_eq!(Priority::VeryUrgent.as_str(), "thượng khẩn");
}

#[test]
fn limits_are_enforced() {
    let huge = format!(r#"{{"subject": "{}"}}"#, "a".repeat(MAX_HEADER_BYTES));
    let e = parse(huge.as_bytes()).unwrap_err();
    assert_eq!(fields(&e), [""]);
    let mut v: serde_json::Value = serde_json::from_str(HEADER_004).unwrap();
    v["to_places"] = serde_json::Value::Array(
        (0..=LIMITS.to_places_entries).map(|i| serde_json::Value::String(format!("dòng {i}"))).collect(),
    );
    v["subject"] = serde_json::Value::String("x".repeat(LIMITS.subject_chars + 1));
    let e = parse(serde_json::to_string(&v).unwrap().as_bytes()).unwrap_err();
    assert_eq!(fields(&e), ["to_places", "subject"]);
    assert!(parse(b"not json").is_err());
    assert!(parse(b"[1,2]").is_err());
}

#[test]
fn business_types_name_the_document_they_act_on() {
    let mut v: serde_json::Value = serde_json::from_str(HEADER_004).unwrap();
    v["business_type"] = "replace".into();
    v["business_document"] = "000.00.12.H29,2022/03/01,590/TB-SGDĐT".into();
    v["response_for"] = "000.01.30.H29,2022/02/20,12/BC-GDĐT".into();
    let h = parse(serde_json::to_string(&v).unwrap().as_bytes()).unwrap();
    let target = EdxmlId::parse("000.00.12.H29,2022/03/01,590/TB-SGDĐT").unwrap();
    assert_eq!(h.business, Business::Replace(target));
    let out = serde_json::to_value(&h).unwrap();
    assert_eq!(out["business_type"], "replace");
    assert_eq!(out["business_document"], "000.00.12.H29,2022/03/01,590/TB-SGDĐT");
    assert_eq!(out["response_for"], "000.01.30.H29,2022/02/20,12/BC-GDĐT");
    assert_eq!(out["promulgation"]["date"], "2022-03-08");
    // A new document cannot name one.
    v["business_type"] = "new".into();
    assert_eq!(fields(&parse(serde_json::to_string(&v).unwrap().as_bytes()).unwrap_err()), ["business_document"]);
}

#[test]
fn edxml_ids_round_trip_and_refuse_bad_parts() {
    for text in ["000.00.12.H29,2022/03/08,610/TB-SGDĐT", "000.00.00.G01,2020/04/13,20/2020/QĐ-TTg"] {
        let id = EdxmlId::parse(text).unwrap();
        assert_eq!(id.to_string(), text);
    }
    let id = EdxmlId::parse("000.00.00.G01,2020/04/13,20/2020/QĐ-TTg").unwrap();
    assert_eq!((id.number, id.notation.as_str()), (20, "2020/QĐ-TTg"));
    for bad in [
        "",
        "000.00.12.H29,2022/03/08",
        "000.00.12.H29,2022/03/08,610",
        "000.00.12.H29,2022-03-08,610/TB",
        "000.00.12.H29,2022/02/30,610/TB",
        "000.00.12.H29,2022/03/08,0/TB",
        "000.00.12.H29,2022/03/08,-1/TB",
        "000.00.12.H29,2022/03/08,610/",
        "000.00.12.H29,2022/03/08,610/TB,x",
        "00.00.12.H29,2022/03/08,610/TB",
    ] {
        assert!(EdxmlId::parse(bad).is_err(), "{bad:?}");
    }
}

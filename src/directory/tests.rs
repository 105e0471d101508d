use super::sample::{self, DEPARTMENT};
use super::*;

/// The "Nơi nhận" block of the real notice 610/TB-SGDĐT (seeds/004), as printed.
const NOTICE_004: &[&str] = &[
    "- UBND thành phố Thủ Đức và các quận, huyện;",
    "- BTV, BGĐ Sở GD&ĐT, BTV Công đoàn GD Thành phố;",
    "- Trưởng các Phòng thuộc Sở;",
    "- Trưởng Phòng GD&ĐT tp. Thủ Đức và các Q/H;",
    "- Hiệu trưởng các Trường THPT, trường phổ thông có nhiều cấp học (có cấp THPT);",
    "- Giám đốc các TT.GDNN-GDTX;",
    "- Thủ trưởng các đơn vị trực thuộc;",
    "- Lưu: VT, VP (M-H).",
];

fn gid(s: &str) -> Member {
    Member::Group(GroupId::parse(s).unwrap())
}

fn oid(s: &str) -> OrganId {
    OrganId::parse(s).unwrap()
}

fn resolved(r: &LineResolution) -> (Vec<Member>, Recipients, Vec<String>) {
    match r {
        LineResolution::Resolved { matches, recipients, unresolved_parts, .. } => {
            (matches.iter().flat_map(|m| m.targets.clone()).collect(), recipients.clone(), unresolved_parts.clone())
        }
        other => panic!("not resolved: {other:?}"),
    }
}

fn count_kind(d: &Directory, kind: UnitKind) -> usize {
    d.units().iter().filter(|u| u.kind == kind && u.active).count()
}

#[test]
fn sample_has_the_scale_of_hcmc() {
    assert!(!sample::hcmc_file().units.is_empty());
    let d = sample::try_hcmc().unwrap();
    let schools: usize = [
        UnitKind::HighSchool,
        UnitKind::MultiLevelSchool,
        UnitKind::LowerSecondarySchool,
        UnitKind::PrimarySchool,
        UnitKind::Kindergarten,
    ]
    .into_iter()
    .map(|k| count_kind(&d, k))
    .sum();
    println!("sample: {} units, {} schools, {} groups", d.units().len(), schools, d.groups().len());
    assert!((1_800..=2_300).contains(&schools), "{schools} schools");
    assert_eq!(count_kind(&d, UnitKind::DistrictPeoplesCommittee), 22);
    assert_eq!(count_kind(&d, UnitKind::DistrictEducationOffice), 22);
    assert!(d.unit(&oid(DEPARTMENT)).is_some());
    // Deterministic: two builds are the same file.
    assert_eq!(sample::hcmc_file(), sample::hcmc_file());
}

#[test]
fn every_line_of_the_004_notice_resolves_as_intended() {
    let d = sample::hcmc();
    let n_high = d.expand(&gid("thpt-cong-lap")).len();
    let n_multi = d.expand(&gid("nhieu-cap-thpt")).len();
    let n_attached = d.expand(&gid("don-vi-truc-thuoc")).len();
    assert!(n_high > 100 && n_multi >= 30, "{n_high} {n_multi}");
    assert_eq!(n_attached, n_high + n_multi + 12);

    let expected: &[(&[&str], usize)] = &[
        (&["ubnd-quan-huyen"], 22),
        (&[], 3),
        (&["phong-thuoc-so"], 11),
        (&["phong-gddt"], 22),
        (&["thpt-cong-lap", "nhieu-cap-thpt"], n_high + n_multi),
        (&["tt-gdnn-gdtx"], 22),
        (&["don-vi-truc-thuoc"], n_attached),
    ];
    for (line, (groups, count)) in NOTICE_004.iter().zip(expected) {
        let r = d.resolve_line(line);
        let (targets, recipients, unresolved) = resolved(&r);
        assert!(unresolved.is_empty(), "{line}: {unresolved:?}");
        if !groups.is_empty() {
            let want: Vec<Member> = groups.iter().map(|g| gid(g)).collect();
            assert_eq!(targets, want, "{line}");
        }
        assert_eq!(recipients.units.len(), *count, "{line}");
        assert!(recipients.closed.is_empty());
    }
    // The second line names three bodies of the Department and the union.
    let (_, r, _) = resolved(&d.resolve_line(NOTICE_004[1]));
    let kinds: Vec<UnitKind> = r.units.iter().map(|u| d.unit(&u.unit).unwrap().kind).collect();
    assert_eq!(kinds, [UnitKind::PartyCommittee, UnitKind::Board, UnitKind::TradeUnion]);

    assert!(matches!(d.resolve_line(NOTICE_004[7]), LineResolution::Archive { .. }));
}

#[test]
fn variants_of_a_line_resolve_the_same() {
    let d = sample::hcmc();
    let same = |a: &str, b: &str| {
        let (ta, ra, ua) = resolved(&d.resolve_line(a));
        let (tb, rb, ub) = resolved(&d.resolve_line(b));
        assert_eq!((ta, ra, ua), (tb, rb, ub), "{a:?} vs {b:?}");
    };
    same(
        "- Hiệu trưởng các Trường THPT, trường phổ thông có nhiều cấp học (có cấp THPT);",
        "hieu truong cac truong thpt, truong pho thong co nhieu cap hoc (co cap thpt)",
    );
    same(
        "- Hiệu trưởng các Trường THPT, trường phổ thông có nhiều cấp học (có cấp THPT);",
        "HIỆU TRƯỞNG CÁC TRƯỜNG TRUNG HỌC PHỔ THÔNG,   trường phổ thông có nhiều cấp học có cấp Trung học phổ thông.",
    );
    same(
        "- Trưởng Phòng GD&ĐT tp. Thủ Đức và các Q/H;",
        "Trưởng Phòng Giáo dục và Đào tạo thành phố Thủ Đức và các quận, huyện",
    );
    same("- Giám đốc các TT.GDNN-GDTX;", "Giám đốc các Trung tâm Giáo dục nghề nghiệp - Giáo dục thường xuyên");
    same("- UBND thành phố Thủ Đức và các quận, huyện;", "Ủy ban nhân dân TP Thủ Đức và các Q/H");
    // Decomposed (NFD) input folds like composed input.
    same(
        "- Trưởng các Phòng thuộc Sở;",
        "- Tru\u{31b}o\u{31b}\u{309}ng ca\u{301}c Pho\u{300}ng thuo\u{302}\u{323}c So\u{31b}\u{309};",
    );
}

#[test]
fn a_line_naming_several_units_resolves_to_all() {
    let d = sample::hcmc();
    let (targets, r, unresolved) =
        resolved(&d.resolve_line("- Trường THPT Nguyễn Du, Trường THPT Gia Định và Phòng GD&ĐT Quận 3;"));
    assert!(unresolved.is_empty(), "{unresolved:?}");
    assert_eq!(targets.len(), 3);
    assert_eq!(r.units.len(), 3);
}

#[test]
fn unknown_lines_and_parts_are_reported_never_dropped() {
    let d = sample::hcmc();
    let r = d.resolve_line("- Bộ Giáo dục và Đào tạo (để báo cáo);");
    assert!(matches!(r, LineResolution::Unresolved { ref text } if text.contains("Bộ Giáo dục")));
    let (_, recipients, unresolved) = resolved(&d.resolve_line("- Trường THPT Nguyễn Du, Sở Y tế;"));
    assert_eq!(recipients.units.len(), 1);
    assert_eq!(unresolved, ["so y te"]);
    // A line longer than the bound is unresolved, not matched at any cost.
    let long = "Trường THPT Nguyễn Du, ".repeat(200);
    assert!(matches!(d.resolve_line(&long), LineResolution::Unresolved { .. }));
}

#[test]
fn purposes_roles_and_level_groups() {
    let d = sample::hcmc();
    let units = |line: &str| {
        let (_, r, unresolved) = resolved(&d.resolve_line(line));
        assert!(unresolved.is_empty(), "{line}: {unresolved:?}");
        r.units.len()
    };
    assert_eq!(units("- UBND thành phố Thủ Đức và các quận, huyện (để b/c);"), 22);
    assert_eq!(units("- Phòng GD&ĐT Quận 3 (để thực hiện);"), 1);
    assert_eq!(units("- Trường THPT Lê Lợi (để báo cáo và thực hiện);"), 1);
    assert_eq!(units("- Các Phòng GD&ĐT;"), 22);
    assert_eq!(
        units("- Hiệu trưởng các trường THCS, Tiểu học và Mầm non;"),
        d.expand(&gid("truong-quan-huyen")).len() - 1
    );
    // "Chánh Văn phòng Sở" is the Office, not the Department.
    let (targets, _, _) = resolved(&d.resolve_line("- Chánh Văn phòng Sở;"));
    let office = d.units().iter().find(|u| u.name == "Văn phòng Sở").unwrap();
    assert_eq!(targets, [Member::Unit(office.id.clone())]);
}

#[test]
fn as_above_is_its_own_kind() {
    let d = sample::hcmc();
    assert!(matches!(d.resolve_line("- Như trên;"), LineResolution::AsAbove { .. }));
    assert!(matches!(d.resolve_line("- Nhu tren."), LineResolution::AsAbove { .. }));
}

#[test]
fn a_name_shared_by_two_units_is_not_guessed() {
    let json = r#"{"units":[
        {"id":"001.01.30.H29","name":"Trường Tiểu học Lê Lợi","kind":"primary_school"},
        {"id":"001.01.31.H29","name":"Trường Tiểu học Lê Lợi","kind":"primary_school"}]}"#;
    let d = Directory::from_json(json.as_bytes()).unwrap();
    assert!(matches!(d.resolve_line("- Trường TH Lê Lợi;"), LineResolution::Unresolved { .. }));
    assert_eq!(d.resolve_to("001.01.31.H29").unwrap().units.len(), 1);
}

#[test]
fn merged_units_resolve_to_their_successor_and_say_so() {
    let d = sample::hcmc();
    let merged = d.units().iter().find(|u| u.name == "Phòng Giáo dục và Đào tạo Quận 2").unwrap();
    let r = d.resolve_to(merged.id.as_str()).unwrap();
    assert_eq!(r.units.len(), 1);
    let got = &r.units[0];
    assert_eq!(d.unit(&got.unit).unwrap().name, "Phòng Giáo dục và Đào tạo thành phố Thủ Đức");
    assert_eq!(got.merged_from.as_ref(), Some(&merged.id));
    assert_eq!(got.requested, merged.id);
    // Named in a line, the same.
    let (_, r, _) = resolved(&d.resolve_line("- Phòng GD&ĐT Quận 2;"));
    assert_eq!(r.units[0].unit, got.unit);
    // The merged school, addressed with its district's schools, is not
    // delivered twice: its successor is in the same group.
    let school = d.units().iter().find(|u| u.kind == UnitKind::PrimarySchool && u.merged_into.is_some()).unwrap();
    let r = d.resolve_to("truong-quan-1").unwrap();
    assert!(r.units.iter().all(|u| u.unit != school.id));
    let ids: HashSet<_> = r.units.iter().map(|u| &u.unit).collect();
    assert_eq!(ids.len(), r.units.len());
}

#[test]
fn resolve_to_takes_ids_only() {
    let d = sample::hcmc();
    assert_eq!(d.resolve_to(DEPARTMENT).unwrap().units.len(), 1);
    assert_eq!(d.resolve_to("phong-gddt").unwrap().units.len(), 22);
    assert!(matches!(d.resolve_to("999.99.99.H29"), Err(ResolveError::UnknownUnit(_))));
    assert!(matches!(d.resolve_to("no-such-group"), Err(ResolveError::UnknownGroup(_))));
    assert!(matches!(d.resolve_to("Trường THPT"), Err(ResolveError::NotAnId(_))));
}

#[test]
fn groups_of_groups_expand_once() {
    let d = sample::hcmc();
    let all = d.expand(&gid("toan-nganh"));
    let set: HashSet<_> = all.iter().collect();
    assert_eq!(set.len(), all.len());
    assert!(all.len() > 1_900, "{}", all.len());
}

#[test]
fn organ_ids_are_checked() {
    assert!(OrganId::parse("000.00.12.H29").is_ok());
    for bad in ["", "000.00.12.h29", "00.00.12.H29", "000.00.12.H2", "000-00-12-H29", "000.00.12.H29 ", "٠٠٠.00.12.H29"]
    {
        assert!(OrganId::parse(bad).is_err(), "{bad:?}");
    }
    assert!(serde_json::from_str::<OrganId>("\"000.00.12.X\"").is_err());
    let json = r#"{"units":[{"id":"000.00.12.H2","name":"Sở","kind":"department"}]}"#;
    assert!(matches!(Directory::from_json(json.as_bytes()), Err(DirectoryError::Json(_))));
}

fn tiny(groups: &str, units_extra: &str) -> String {
    format!(
        r#"{{"units":[{{"id":"000.00.12.H29","name":"Sở A","kind":"department"}},
            {{"id":"000.01.12.H29","name":"Phòng B","kind":"division","parent":"000.00.12.H29"}}{units_extra}],
           "groups":[{groups}]}}"#
    )
}

#[test]
fn group_cycles_and_bad_references_are_refused() {
    let ok = tiny(r#"{"id":"a","name":"A","members":["b"]},{"id":"b","name":"B","members":["000.01.12.H29"]}"#, "");
    assert!(Directory::from_json(ok.as_bytes()).is_ok());
    let cycle = tiny(
        r#"{"id":"a","name":"A","members":["b"]},{"id":"b","name":"B","members":["c"]},{"id":"c","name":"C","members":["a"]}"#,
        "",
    );
    assert!(matches!(Directory::from_json(cycle.as_bytes()), Err(DirectoryError::GroupCycle(_))));
    let unknown = tiny(r#"{"id":"a","name":"A","members":["000.09.12.H29"]}"#, "");
    assert!(matches!(Directory::from_json(unknown.as_bytes()), Err(DirectoryError::UnknownMember { .. })));
    let dup = tiny("", r#",{"id":"000.01.12.H29","name":"C","kind":"division"}"#);
    assert!(matches!(Directory::from_json(dup.as_bytes()), Err(DirectoryError::DuplicateUnit(_))));
    let merge_cycle = tiny(
        "",
        r#",{"id":"000.02.12.H29","name":"C","kind":"division","active":false,"merged_into":"000.03.12.H29"},
           {"id":"000.03.12.H29","name":"D","kind":"division","active":false,"merged_into":"000.02.12.H29"}"#,
    );
    assert!(matches!(Directory::from_json(merge_cycle.as_bytes()), Err(DirectoryError::MergeCycle(_))));
    let active_merged =
        tiny("", r#",{"id":"000.02.12.H29","name":"C","kind":"division","merged_into":"000.01.12.H29"}"#);
    assert!(matches!(Directory::from_json(active_merged.as_bytes()), Err(DirectoryError::MergedButActive(_))));
    let big = vec![b' '; Limits::default().max_bytes + 1];
    assert!(matches!(Directory::from_json(&big), Err(DirectoryError::TooLarge { .. })));
}

#[test]
fn a_long_parent_chain_is_checked_in_linear_time() {
    let n = 50_000usize;
    let mut file = DirectoryFile::default();
    for i in 0..n {
        let id = OrganId::parse(&format!("{:03}.{:02}.{:02}.H29", i % 1000, (i / 1000) % 100, 12)).unwrap();
        let parent = (i > 0).then(|| file.units[i - 1].id.clone());
        file.units.push(Unit {
            id,
            name: format!("Đơn vị {i}"),
            parent,
            kind: UnitKind::Other,
            active: true,
            merged_into: None,
        });
    }
    let t = std::time::Instant::now();
    assert!(Directory::from_file(file, Limits::default()).is_ok());
    assert!(t.elapsed().as_secs() < 10);
}

#[test]
fn json_round_trip_keeps_everything() {
    let d = sample::hcmc();
    let json = d.to_json().unwrap();
    let back = Directory::from_json(&json).unwrap();
    assert_eq!(back.file(), d.file());
    assert_eq!(back.resolve_line(NOTICE_004[4]), d.resolve_line(NOTICE_004[4]));
}

#[test]
fn resolving_a_line_is_fast() {
    let d = sample::hcmc();
    let rounds = 200;
    let t = std::time::Instant::now();
    for _ in 0..rounds {
        for line in NOTICE_004 {
            std::hint::black_box(d.resolve_line(line));
        }
    }
    let per_line = t.elapsed() / (rounds * NOTICE_004.len() as u32);
    // Most of a line's cost is listing its recipients (up to ~150 units here).
    println!("resolve_line: {per_line:?} per line against {} units (debug build)", d.units().len());
    assert!(per_line.as_millis() < 20, "{per_line:?}");
    let t = std::time::Instant::now();
    for _ in 0..1_000 {
        std::hint::black_box(d.resolve_line("- Hiệu trưởng Trường THPT Nguyễn Du, Phòng GD&ĐT Quận 3;"));
    }
    println!("resolve_line: {:?} for a line naming two units (debug build)", t.elapsed() / 1_000);
}

//! Directory administration as an admin meets it: `vanthu serve` running,
//! units, groups and aliases changed through the admin API and the CLI, and
//! the effect seen from outside with curl — a new unit sends and receives,
//! a deactivated one gets 403 on its next request and nothing new, a group
//! edit reroutes the next document, an export imports back byte for byte,
//! an invalid import changes nothing — without restarting the server, and
//! every change in the audit log with who made it.

mod common;

use common::gateway::{Client, Reply, Server, start};
use common::vanthu;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const DEPARTMENT: &str = "000.00.12.H29";
/// Sample units with client certificates made at init.
const SCHOOL: &str = "001.20.12.H29";
const OFFICE: &str = "000.01.30.H29";
/// A unit the tests add.
const NEW_UNIT: &str = "990.20.12.H29";

impl Server {
    /// The TLS files in `client`, checking the server against the internal CA.
    fn tls(&self, client: &Path) -> Client {
        Client { server_ca: self.data.join("pki/ca.cert.pem"), ..Client::in_dir(client) }
    }

    /// curl over mutual TLS with the certificate in `client`.
    fn curl(&self, client: &Path, args: &[&str], path: &str) -> Reply {
        self.request(&self.tls(client), args, path)
            .unwrap_or_else(|e| panic!("curl {path}: {e}\nserver log:\n{}", self.log()))
    }

    /// Whether the handshake with this client's certificate still succeeds.
    fn connects(&self, client: &Path) -> bool {
        self.request(&self.tls(client), &[], "/healthz").is_ok()
    }

    fn get(&self, client: &Path, path: &str) -> Reply {
        self.curl(client, &[], path)
    }

    fn send_json(&self, client: &Path, method: &str, path: &str, body: &Value) -> Reply {
        self.json_request(&self.tls(client), method, path, body)
            .unwrap_or_else(|e| panic!("curl {path}: {e}\nserver log:\n{}", self.log()))
    }

    fn admin(&self, method: &str, path: &str, body: &Value) -> Reply {
        self.send_json(&self.client("admin"), method, path, body)
    }

    /// The sample notice sent by the Department with its number changed
    /// (a new edXML id, so a new document) and addressed to `to` and
    /// `to_places`.
    fn send_notice(&self, number: u32, to: &[&str], to_places: &[&str]) -> Reply {
        self.send_notice_as(&self.client(DEPARTMENT), DEPARTMENT, number, to, to_places)
    }

    /// The same, sent by the unit of `client` as `from`.
    fn send_notice_as(&self, client: &Path, from: &str, number: u32, to: &[&str], to_places: &[&str]) -> Reply {
        let mut header: Value =
            serde_json::from_slice(&std::fs::read(self.data.join("sample/notice-610.header.json")).unwrap()).unwrap();
        header["code"]["number"] = json!(number);
        header["to"] = json!(to);
        header["to_places"] = json!(to_places);
        header["from"] = json!(from);
        let header_file = self.dir.path().join(format!("header-{number}.json"));
        std::fs::write(&header_file, header.to_string()).unwrap();
        self.curl(
            client,
            &[
                "-F",
                &format!("header=<{}", header_file.display()),
                "-F",
                &format!("document=@{}", self.data.join("sample/notice-610.pdf").display()),
            ],
            "/api/v1/documents",
        )
    }

    /// `vanthu ARGS --data DATA` as the OS user `tester`, whatever its outcome.
    fn cli_as_tester(&self, args: &[&str]) -> Output {
        self.cli_run(args, &[("USER", "tester")])
    }

    fn cli_ok(&self, args: &[&str]) -> Output {
        self.cli_checked(args, &[("USER", "tester")])
    }

    fn export(&self) -> (Vec<u8>, String) {
        let out_file = tempfile::NamedTempFile::new().unwrap();
        let headers = tempfile::NamedTempFile::new().unwrap();
        let admin = self.client("admin");
        let st = Command::new("curl")
            .args(["-sS", "-f", "--cacert"])
            .arg(self.data.join("pki/ca.cert.pem"))
            .arg("--cert")
            .arg(admin.join("cert.pem"))
            .arg("--key")
            .arg(admin.join("key.pem"))
            .arg("-o")
            .arg(out_file.path())
            .arg("-D")
            .arg(headers.path())
            .arg(format!("https://127.0.0.1:{}/api/v1/admin/directory", self.api))
            .status()
            .unwrap();
        assert!(st.success(), "export");
        let h = std::fs::read_to_string(headers.path()).unwrap().to_lowercase();
        let version = h
            .lines()
            .find_map(|l| l.strip_prefix("x-vanthu-directory-version:"))
            .map(|v| v.trim().to_string())
            .expect("the version header");
        (std::fs::read(out_file.path()).unwrap(), version)
    }

    /// Recipients of a 201 answer.
    fn recipients(reply: &Reply) -> Vec<String> {
        let v = reply.json();
        v["routing"]["recipients"]
            .as_array()
            .unwrap_or_else(|| panic!("no recipients: {v}"))
            .iter()
            .map(|r| r["unit"].as_str().unwrap().to_string())
            .collect()
    }
}

fn has_op(audit: &[(String, Value)], actor: &str, op: &str, key: &str, value: &str) -> bool {
    audit.iter().any(|(a, d)| a == actor && d["op"] == op && d[key] == value)
}

/// Writes the credentials the admin API handed out, as curl reads them.
fn write_client(dir: &Path, issued: &Value) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("cert.pem"), issued["certificate_pem"].as_str().unwrap()).unwrap();
    std::fs::write(dir.join("key.pem"), issued["private_key_pem"].as_str().unwrap()).unwrap();
    dir.to_path_buf()
}

fn inbox_ids(s: &Server, client: &Path) -> Vec<String> {
    let r = s.get(client, "/api/v1/inbox");
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect()
}

#[test]
fn a_unit_added_by_the_api_works_and_deactivation_shuts_it_out_at_once() {
    let s = start();
    // Added, with a certificate issued for it: both through the API.
    let r = s.admin(
        "POST",
        "/api/v1/admin/directory/units",
        &json!({"id": NEW_UNIT, "name": "Trường THPT Thí Điểm Số Một", "kind": "high_school", "parent": DEPARTMENT}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let added_version = r.json()["version"].as_u64().unwrap();
    let r = s.admin("POST", "/api/v1/admin/certificates", &json!({"kind": "unit", "unit": NEW_UNIT}));
    assert_eq!(r.status, 201, "a certificate for the new unit: {}", r.text());
    let new_unit = write_client(&s.dir.path().join("new-unit"), &r.json());

    // It receives what is addressed to it, and acts on it.
    let sent = s.send_notice(1001, &[NEW_UNIT], &[]);
    assert_eq!(sent.status, 201, "{}", sent.text());
    assert_eq!(Server::recipients(&sent), [NEW_UNIT]);
    let first = sent.json()["id"].as_str().unwrap().to_string();
    assert_eq!(inbox_ids(&s, &new_unit), std::slice::from_ref(&first), "the new unit's inbox");
    assert_eq!(s.get(&new_unit, &format!("/api/v1/documents/{first}/pdf")).status, 200);
    let r = s.send_json(&new_unit, "POST", &format!("/api/v1/documents/{first}/status"), &json!({"status": "03"}));
    assert_eq!(r.status, 200, "the new unit accepts the document: {}", r.text());
    // And sends one of its own, which the Department receives.
    let own = s.send_notice_as(&new_unit, NEW_UNIT, 1100, &[DEPARTMENT], &[]);
    assert_eq!(own.status, 201, "the new unit sends: {}", own.text());
    assert_eq!(Server::recipients(&own), [DEPARTMENT]);
    let own_id = own.json()["id"].as_str().unwrap().to_string();
    assert!(inbox_ids(&s, &s.client(DEPARTMENT)).contains(&own_id), "the Department's inbox");

    // Deactivated: its next request is refused, same server, same TLS configuration.
    let r = s.admin("POST", &format!("/api/v1/admin/directory/units/{NEW_UNIT}/deactivate"), &json!({}));
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json()["version"].as_u64().unwrap() > added_version);
    let refused = s.get(&new_unit, "/api/v1/inbox");
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert!(refused.text().contains("deactivated"), "{}", refused.text());
    let r = s.send_json(&new_unit, "POST", &format!("/api/v1/documents/{first}/status"), &json!({"status": "04"}));
    assert_eq!(r.status, 403, "every unit route: {}", r.text());
    // An upload gets the answer too (its body read first, not a reset connection).
    let r = s.send_notice_as(&new_unit, NEW_UNIT, 1101, &[DEPARTMENT], &[]);
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("deactivated"), "{}", r.text());

    // A document addressed to it is not delivered to it: it is listed as
    // closed beside the units that do receive, and with it alone, refused.
    let sent = s.send_notice(1002, &[NEW_UNIT, SCHOOL], &[]);
    assert_eq!(sent.status, 201, "{}", sent.text());
    let v = sent.json();
    assert_eq!(Server::recipients(&sent), [SCHOOL], "{v}");
    assert_eq!(v["routing"]["closed"], json!([NEW_UNIT]), "{v}");
    assert!(v["warnings"].to_string().contains(NEW_UNIT), "the sender is told: {v}");
    let second = v["id"].as_str().unwrap().to_string();
    let alone = s.send_notice(1003, &[NEW_UNIT], &[]);
    assert_eq!(alone.status, 400, "{}", alone.text());
    assert!(alone.text().contains(NEW_UNIT), "{}", alone.text());
    let twice = s.admin("POST", &format!("/api/v1/admin/directory/units/{NEW_UNIT}/deactivate"), &json!({}));
    assert_eq!(twice.status, 409, "{}", twice.text());

    // Reactivated: back in at once, and what was sent meanwhile never arrived.
    let r = s.admin("POST", &format!("/api/v1/admin/directory/units/{NEW_UNIT}/activate"), &json!({}));
    assert_eq!(r.status, 200, "{}", r.text());
    let ids = inbox_ids(&s, &new_unit);
    assert!(ids.contains(&first) && !ids.contains(&second), "{ids:?}");

    // Renamed through PATCH; an unknown unit is 404, a bad id 400.
    let r = s.admin(
        "PATCH",
        &format!("/api/v1/admin/directory/units/{NEW_UNIT}"),
        &json!({"name": "Trường THPT Thí Điểm"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["change"]["after"]["name"], "Trường THPT Thí Điểm");
    let r = s.admin("PATCH", "/api/v1/admin/directory/units/991.20.12.H29", &json!({"name": "X"}));
    assert_eq!(r.status, 404, "{}", r.text());
    let r = s.admin("PATCH", "/api/v1/admin/directory/units/not-an-id", &json!({"name": "X"}));
    assert_eq!(r.status, 400, "{}", r.text());
    let r = s.admin("PATCH", &format!("/api/v1/admin/directory/units/{NEW_UNIT}"), &json!({"parent": "991.20.12.H29"}));
    assert_eq!(r.status, 422, "a parent that does not exist: {}", r.text());

    // Deactivation with revocation: the certificate is refused at the
    // handshake, and stays refused after reactivation (revocation is final).
    let r = s.admin(
        "POST",
        &format!("/api/v1/admin/directory/units/{NEW_UNIT}/deactivate"),
        &json!({"revoke": true, "reason": "affiliationChanged"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["revoked"].as_array().map(Vec::len), Some(1), "{}", r.text());
    assert!(!s.connects(&new_unit), "the revoked certificate still connects");
    let r = s.admin("POST", &format!("/api/v1/admin/directory/units/{NEW_UNIT}/activate"), &json!({}));
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(!s.connects(&new_unit), "revocation outlives reactivation");

    // Every change in the audit log, with the admin who made it.
    let audit = s.admin_entries();
    for (op, key) in [
        ("directory_add_unit", None),
        ("directory_deactivate", Some(NEW_UNIT)),
        ("directory_activate", Some(NEW_UNIT)),
        ("directory_update_unit", Some(NEW_UNIT)),
    ] {
        let found = audit.iter().any(|(a, d)| {
            a == "admin:admin" && d["op"] == op && key.is_none_or(|k| d["unit"] == k) && d["version"].is_u64()
        });
        assert!(found, "{op} by admin:admin: {audit:?}");
    }
    assert!(has_op(&audit, "admin:admin", "certificate_revoked", "reason", "affiliationChanged"), "{audit:?}");
    let added = audit.iter().find(|(_, d)| d["op"] == "directory_add_unit").unwrap();
    assert_eq!(added.1["unit"]["id"], NEW_UNIT, "what changed is recorded: {added:?}");
    assert!(String::from_utf8_lossy(&s.cli_ok(&["audit", "verify"]).stdout).contains("intact"));
}

#[test]
fn a_cli_deactivation_is_seen_by_the_running_server_within_two_seconds() {
    let s = start();
    let school = s.client(SCHOOL);
    assert_eq!(s.get(&school, "/api/v1/inbox").status, 200);
    let out = s.cli_ok(&["directory", "deactivate", SCHOOL]);
    let started = Instant::now();
    assert!(String::from_utf8_lossy(&out.stdout).contains("version"), "{out:?}");
    let mut status = 0;
    while started.elapsed() < Duration::from_secs(2) {
        status = s.get(&school, "/api/v1/inbox").status;
        if status == 403 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let took = started.elapsed();
    assert_eq!(status, 403, "the CLI's deactivation not in force after {took:?}");
    eprintln!("CLI deactivation in force after {:.0} ms", took.as_secs_f64() * 1000.0);
    assert_eq!(s.get(&s.client(OFFICE), "/api/v1/inbox").status, 200, "other units are not affected");

    s.cli_ok(&["directory", "activate", SCHOOL]);
    let started = Instant::now();
    while s.get(&school, "/api/v1/inbox").status != 200 {
        assert!(started.elapsed() < Duration::from_secs(2), "reactivation not in force within 2 s");
        std::thread::sleep(Duration::from_millis(50));
    }

    // --revoke through the CLI: the unit's certificate is refused at the handshake.
    let out = s.cli_ok(&["directory", "deactivate", OFFICE, "--revoke", "--reason", "superseded"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("revoked"), "{out:?}");
    let started = Instant::now();
    while s.connects(&s.client(OFFICE)) {
        assert!(started.elapsed() < Duration::from_secs(5), "the CLI's revocation not in force");
        std::thread::sleep(Duration::from_millis(100));
    }

    // A refused change says why and changes nothing.
    let out = s.cli_as_tester(&["directory", "deactivate", SCHOOL, "--revoke", "--reason", "because"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(s.get(&school, "/api/v1/inbox").status, 200, "a bad reason refuses the whole change");

    let audit = s.admin_entries();
    assert!(has_op(&audit, "cli:tester", "directory_deactivate", "unit", SCHOOL), "{audit:?}");
    assert!(has_op(&audit, "cli:tester", "directory_activate", "unit", SCHOOL), "{audit:?}");
    assert!(has_op(&audit, "cli:tester", "certificate_revoked", "reason", "superseded"), "{audit:?}");
}

#[test]
fn a_group_edit_changes_the_routing_of_a_group_recipient() {
    let s = start();
    let school_b = "002.20.12.H29";
    let r = s.admin(
        "POST",
        "/api/v1/admin/directory/groups",
        &json!({"id": "thi-diem", "name": "Các trường thí điểm số hóa", "members": [SCHOOL]}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let sent = s.send_notice(2001, &["thi-diem"], &[]);
    assert_eq!(sent.status, 201, "{}", sent.text());
    assert_eq!(Server::recipients(&sent), [SCHOOL]);
    // By its name in a "Nơi nhận" line, too.
    let sent = s.send_notice(2002, &[], &["- Hiệu trưởng các trường thí điểm số hóa;"]);
    assert_eq!(sent.status, 201, "{}", sent.text());
    assert_eq!(Server::recipients(&sent), [SCHOOL]);

    let r =
        s.admin("PATCH", "/api/v1/admin/directory/groups/thi-diem", &json!({"add": [school_b], "remove": [SCHOOL]}));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["change"]["added"], json!([school_b]));
    assert_eq!(r.json()["change"]["removed"], json!([SCHOOL]));
    let sent = s.send_notice(2003, &["thi-diem"], &[]);
    assert_eq!(Server::recipients(&sent), [school_b], "the edited group routes the next document");

    // An alias names the group; removed, the line no longer resolves.
    let r = s.admin(
        "POST",
        "/api/v1/admin/directory/aliases",
        &json!({"text": "Các đơn vị chuyển đổi số", "targets": ["thi-diem"]}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let sent = s.send_notice(2004, &[DEPARTMENT], &["- Các đơn vị chuyển đổi số;"]);
    assert_eq!(Server::recipients(&sent), [DEPARTMENT, school_b]);
    let r = s.curl(
        &s.client("admin"),
        &["-X", "DELETE", "-G", "--data-urlencode", "text=Các đơn vị chuyển đổi số"],
        "/api/v1/admin/directory/aliases",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let sent = s.send_notice(2005, &[DEPARTMENT], &["- Các đơn vị chuyển đổi số;"]);
    assert_eq!(Server::recipients(&sent), [DEPARTMENT]);
    assert_eq!(sent.json()["routing"]["unresolved"], json!(["- Các đơn vị chuyển đổi số;"]));

    // A cycle is refused; a group still named elsewhere cannot go.
    let r = s.admin(
        "POST",
        "/api/v1/admin/directory/groups",
        &json!({"id": "vong", "name": "Vòng", "members": ["thi-diem"]}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let r = s.admin("PATCH", "/api/v1/admin/directory/groups/thi-diem", &json!({"add": ["vong"]}));
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("cycle"), "{}", r.text());
    let r = s.curl(&s.client("admin"), &["-X", "DELETE"], "/api/v1/admin/directory/groups/thi-diem");
    assert_eq!(r.status, 422, "{}", r.text());
    let r = s.curl(&s.client("admin"), &["-X", "DELETE"], "/api/v1/admin/directory/groups/vong");
    assert_eq!(r.status, 200, "{}", r.text());

    let audit = s.admin_entries();
    assert!(
        audit
            .iter()
            .any(|(a, d)| a == "admin:admin" && d["op"] == "directory_add_group" && d["group"]["id"] == "thi-diem"),
        "{audit:?}"
    );
    assert!(has_op(&audit, "admin:admin", "directory_update_group", "group", "thi-diem"), "{audit:?}");
    assert!(audit.iter().any(|(a, d)| a == "admin:admin" && d["op"] == "directory_remove_alias"), "{audit:?}");
    assert!(
        audit
            .iter()
            .any(|(a, d)| a == "admin:admin" && d["op"] == "directory_remove_group" && d["group"]["id"] == "vong")
    );
}

#[test]
fn export_then_import_round_trips_and_an_invalid_import_changes_nothing() {
    let s = start();
    let (exported, version) = s.export();
    let file: Value = serde_json::from_slice(&exported).unwrap();
    assert!(file["units"].as_array().unwrap().len() > 2000, "the whole sample directory");
    // The CLI exports the same bytes.
    let out = s.cli_ok(&["directory", "export"]);
    assert_eq!(out.stdout, exported, "CLI and API export the same file");

    // Changed, then the export imported back: the directory is what it was, byte for byte.
    let r = s.admin(
        "POST",
        "/api/v1/admin/directory/units",
        &json!({"id": NEW_UNIT, "name": "Trường Tạm", "kind": "primary_school"}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let export_file = s.dir.path().join("export.json");
    std::fs::write(&export_file, &exported).unwrap();
    let r = s.curl(
        &s.client("admin"),
        &["-X", "PUT", "-H", "content-type: application/json", "--data-binary", &format!("@{}", export_file.display())],
        "/api/v1/admin/directory",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["change"]["units"]["removed"], 1, "{}", r.text());
    let (again, version_after) = s.export();
    assert!(again == exported, "export → import → export is the same file");
    assert!(version_after.parse::<u64>().unwrap() > version.parse::<u64>().unwrap());

    // Invalid imports are refused with the reason and change nothing.
    let mut cycle = file.clone();
    cycle["groups"].as_array_mut().unwrap().extend([
        json!({"id": "vong-a", "name": "Vòng A", "members": ["vong-b"]}),
        json!({"id": "vong-b", "name": "Vòng B", "members": ["vong-a", "991.99.99.H29"]}),
    ]);
    let mut bad_id = file.clone();
    bad_id["units"][5]["id"] = json!("12.345.H29");
    for (what, body, reasons) in [
        ("a cycle and an unknown member", cycle, vec!["cycle", "991.99.99.H29"]),
        ("a bad organ id", bad_id, vec!["12.345.H29", "not an organ id"]),
    ] {
        let f = s.dir.path().join("bad.json");
        std::fs::write(&f, serde_json::to_vec(&body).unwrap()).unwrap();
        let r = s.curl(
            &s.client("admin"),
            &["-X", "PUT", "-H", "content-type: application/json", "--data-binary", &format!("@{}", f.display())],
            "/api/v1/admin/directory",
        );
        assert_eq!(r.status, 422, "{what}: {}", r.text());
        let v = r.json();
        assert_eq!(v["error"], "invalid_directory");
        for reason in &reasons {
            assert!(v["errors"].to_string().contains(reason), "{what}: the reason {reason:?} listed: {v}");
        }
        // The CLI refuses it the same way.
        let out = s.cli_as_tester(&["directory", "import", f.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{what}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(reasons.iter().all(|r| err.contains(r)), "{what}: {err}");
        let (now, v) = s.export();
        assert!(now == exported && v == version_after, "{what}: the directory changed");
    }

    let audit = s.admin_entries();
    let import = audit.iter().find(|(_, d)| d["op"] == "directory_import").expect("the import audited");
    assert_eq!(import.0, "admin:admin");
    assert_eq!(import.1["units"]["removed"], 1);
    assert!(audit.iter().any(|(a, d)| a == "system" && d["op"] == "directory_seeded"), "{audit:?}");
}

#[test]
fn unit_certificates_get_403_on_every_directory_admin_route() {
    let s = start();
    let (before, version) = s.export();
    let unit = s.client(DEPARTMENT);
    let body = json!({"id": NEW_UNIT, "name": "X", "kind": "other", "members": [], "text": "x", "targets": [SCHOOL]});
    for (method, path) in [
        ("GET", "/api/v1/admin/directory".to_string()),
        ("PUT", "/api/v1/admin/directory".to_string()),
        ("POST", "/api/v1/admin/directory/units".to_string()),
        ("PATCH", format!("/api/v1/admin/directory/units/{SCHOOL}")),
        ("POST", format!("/api/v1/admin/directory/units/{SCHOOL}/deactivate")),
        ("POST", format!("/api/v1/admin/directory/units/{SCHOOL}/activate")),
        ("POST", "/api/v1/admin/directory/groups".to_string()),
        ("PATCH", "/api/v1/admin/directory/groups/thpt-cong-lap".to_string()),
        ("DELETE", "/api/v1/admin/directory/groups/thpt-cong-lap".to_string()),
        ("POST", "/api/v1/admin/directory/aliases".to_string()),
        ("DELETE", "/api/v1/admin/directory/aliases?text=x".to_string()),
    ] {
        let r = s.send_json(&unit, method, &path, &body);
        assert_eq!(r.status, 403, "{method} {path}: {}", r.text());
    }
    let (after, v) = s.export();
    assert!(after == before && v == version, "nothing changed");
    assert_eq!(s.get(&s.client(SCHOOL), "/api/v1/inbox").status, 200);
}

#[test]
fn a_data_directory_with_only_the_json_file_is_migrated_on_start() {
    // What an earlier vanthu left: the directory in directory.json only
    // (a unit added by hand), and a database at migration 2 (user_version
    // 2, no migration table, no directory or persons tables).
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = vanthu().args(["init", "--data"]).arg(&data).output().unwrap();
    assert!(out.status.success());
    let db = data.join("vanthu.db");
    let st = Command::new("sqlite3")
        .arg(&db)
        .arg(
            "DROP TABLE directory_versions; DROP TABLE persons; DROP TABLE schema_migrations; \
             DELETE FROM audit WHERE detail LIKE '%directory_seeded%'; PRAGMA user_version = 2;",
        )
        .status()
        .unwrap();
    assert!(st.success());
    let mut file: Value = serde_json::from_slice(&std::fs::read(data.join("directory.json")).unwrap()).unwrap();
    file["units"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": NEW_UNIT, "name": "Trường Thêm Bằng Tay", "kind": "kindergarten"}));
    std::fs::write(data.join("directory.json"), serde_json::to_vec_pretty(&file).unwrap()).unwrap();

    let (child, api, public) = common::server::spawn(&data, Some(&dir.path().join("server.log")), &[]);
    let s = Server { child, api, public, data: data.clone(), dir };
    let (exported, version) = s.export();
    assert_eq!(version, "1");
    let v: Value = serde_json::from_slice(&exported).unwrap();
    assert!(v["units"].as_array().unwrap().iter().any(|u| u["id"] == NEW_UNIT), "the hand-added unit survived");
    assert_eq!(v["units"].as_array().unwrap().len(), file["units"].as_array().unwrap().len(), "no unit lost");
    let audit = s.admin_entries();
    assert!(
        audit.iter().any(|(a, d)| a == "system"
            && d["op"] == "directory_seeded"
            && d["source"].as_str().unwrap().ends_with("directory.json")),
        "{audit:?}"
    );
}

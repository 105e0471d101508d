//! The API contract as a unit's software meets it: `vanthu serve` on
//! loopback, and schemathesis (an independent OpenAPI fuzzer) driving every
//! operation of `/api/v1/openapi.json` over mutual TLS with generated valid
//! and invalid input. Any 5xx answer, or any answer the document does not
//! describe (status, content type, body schema), fails the test.
//!
//! Three units run it against the same server: the Department that sent the
//! sample notice (its documents exist), a school the notice went to, and a
//! school it did not reach (every document is a 404 for it). Half the
//! generated `{id}`s are the real document's id, so the found paths are
//! exercised as well as the not-found ones.
//!
//! Then the admin certificate runs it, last: a unit's runs only ever see
//! 403 from the admin routes, and the admin's own run may revoke the one
//! certificate the test issued for it (half the generated `{serial}`s are
//! that one's). CA rotation is left out of the fuzzed run — it replaces the
//! CA file the test trusts and would need a key generation per case — and
//! is driven once with curl at the end instead.

mod common;

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Instant;

const DEPARTMENT: &str = "000.00.12.H29";

/// Generated cases per operation and phase: enough to reach every branch
/// of the handlers' input checks, few enough for three runs in well under two minutes.
const MAX_EXAMPLES: &str = "50";

/// The checks the issue names — no 5xx, every answer as documented (status,
/// content type, headers, body) — and that input the document rules out is
/// refused rather than half-accepted.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_headers_conformance,response_schema_conformance,negative_data_rejection";

struct Server {
    child: Child,
    api: u16,
    data: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn vanthu() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vanthu"))
}

/// Starts `vanthu serve` on free ports with a new data directory and waits
/// until it says where it listens.
fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (child, api, _) = common::server::spawn(&data, None, &[]);
    Server { child, api, data, _dir: dir }
}

impl Server {
    fn base(&self) -> String {
        format!("https://127.0.0.1:{}", self.api)
    }

    fn ca(&self) -> PathBuf {
        self.data.join("pki/ca.cert.pem")
    }

    /// The client certificate directory of `unit` (cert.pem, key.pem),
    /// issued with the CLI when `init` made none.
    fn client(&self, unit: &str) -> PathBuf {
        let dir = self.data.join("clients").join(unit);
        if dir.join("cert.pem").is_file() {
            return dir;
        }
        let out = self.data.join("clients").join(format!("issued-{unit}"));
        let st = vanthu()
            .args(["cert", "issue", "--unit", unit, "--data"])
            .arg(&self.data)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(st.status.success(), "cert issue: {}", String::from_utf8_lossy(&st.stderr));
        out
    }

    /// Sends the sample notice as the Department with curl; its answer.
    fn submit_sample(&self) -> Value {
        let client = self.client(DEPARTMENT);
        let out = Command::new("curl")
            .args(["-sS", "--max-time", "60", "--cacert"])
            .arg(self.ca())
            .arg("--cert")
            .arg(client.join("cert.pem"))
            .arg("--key")
            .arg(client.join("key.pem"))
            .arg("-F")
            .arg(format!("header=<{}", self.data.join("sample/notice-610.header.json").display()))
            .arg("-F")
            .arg(format!("document=@{}", self.data.join("sample/notice-610.pdf").display()))
            .arg(format!("{}/api/v1/documents", self.base()))
            .output()
            .expect("curl runs");
        assert!(out.status.success(), "curl: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&out.stdout)))
    }

    /// Every active unit of the directory with its kind.
    fn units(&self) -> Vec<(String, String)> {
        let out = vanthu().args(["directory", "list", "--json", "--data"]).arg(&self.data).output().unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["units"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u["active"] != false)
            .map(|u| (u["id"].as_str().unwrap().to_string(), u["kind"].as_str().unwrap_or("").to_string()))
            .collect()
    }

    /// Runs schemathesis as `unit`: whether it passed, its output, and the
    /// statuses each operation answered (from its event report).
    /// `serial` is the certificate the admin routes may find (and revoke);
    /// `exclude` lists operation ids left out of the run.
    fn schemathesis(&self, unit: &str, document_id: &str, serial: &str, exclude: &[&str]) -> (bool, String, Answers) {
        let client = self.client(unit);
        let work = tempfile::tempdir().unwrap();
        // Half of the generated `{id}`s are the real document's id, half the
        // `{serial}`s the given certificate's; the rest are whatever
        // schemathesis makes of the parameter's schema. Values seen in
        // answers are not reused as inputs (schemathesis' default in the
        // fuzzing phase): the admin run would otherwise take the serials
        // `GET /api/v1/admin/certificates` lists — its own certificate's
        // among them — revoke its own credential, and end in TLS errors
        // instead of answers to judge.
        let config = format!(
            "[dictionaries.documents]\nvalues = [\"{document_id}\"]\n\n\
             [dictionaries.serials]\nvalues = [\"{serial}\"]\n\n\
             [parameters]\n\"path.id\" = {{ dictionary = \"documents\", probability = 0.5 }}\n\
             \"path.serial\" = {{ dictionary = \"serials\", probability = 0.5 }}\n\n\
             [phases.fuzzing.extra-data-sources]\nresponses = false\n"
        );
        let exclude = exclude.iter().flat_map(|id| ["--exclude-operation-id", id]);
        std::fs::write(work.path().join("schemathesis.toml"), config).unwrap();
        let out = Command::new("schemathesis")
            .current_dir(work.path())
            .env("NO_COLOR", "1")
            .arg("--config-file")
            .arg(work.path().join("schemathesis.toml"))
            .arg("run")
            .arg(format!("{}/api/v1/openapi.json", self.base()))
            .args(["--url", &self.base()])
            .args(exclude)
            .arg("--tls-verify")
            .arg(self.ca())
            .arg("--request-cert")
            .arg(client.join("cert.pem"))
            .arg("--request-cert-key")
            .arg(client.join("key.pem"))
            .args(["--checks", CHECKS])
            .args(["--phases", "examples,coverage,fuzzing"])
            .args(["--max-examples", MAX_EXAMPLES])
            .args(["--seed", "12"])
            // One worker: with two, hypothesis describes strategies by
            // parsing source in both threads at once, and CPython 3.11.7's
            // parser then fails at random ("AST constructor recursion depth
            // mismatch"), a runtime error of the tool, not of the API.
            .args(["--workers", "1"])
            .args(["--request-timeout", "30"])
            .args(["--generation-database", "none"])
            .args(["--report", "ndjson", "--report-ndjson-path"])
            .arg(work.path().join("events.ndjson"))
            .args(["--suppress-health-check", "too_slow,filter_too_much"])
            .arg("--no-color")
            .output()
            .expect("schemathesis runs (pip install -r tests/support/requirements.txt)");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        let events = std::fs::read_to_string(work.path().join("events.ndjson")).unwrap_or_default();
        (out.status.success(), text, answers(&events))
    }
}

/// Statuses answered, by operation ("GET /api/v1/documents/{id}").
type Answers = std::collections::BTreeMap<String, std::collections::BTreeSet<u64>>;

/// The statuses in schemathesis' NDJSON events: each finished scenario
/// records its operation's label and every interaction's response.
fn answers(events: &str) -> Answers {
    let mut out = Answers::new();
    for line in events.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else { continue };
        let recorder = &v["ScenarioFinished"]["recorder"];
        let Some(label) = recorder["label"].as_str() else { continue };
        for i in recorder["interactions"].as_object().into_iter().flat_map(|m| m.values()) {
            if let Some(code) = i["response"]["status_code"].as_u64() {
                out.entry(label.to_string()).or_default().insert(code);
            }
        }
    }
    out
}

/// The operations of the document: the units' and the admin's.
const OPERATIONS: usize = 38;

/// The admin operations, as schemathesis labels them.
const ADMIN_OPERATIONS: [&str; 26] = [
    "GET /api/v1/admin/certificates",
    "POST /api/v1/admin/certificates",
    "GET /api/v1/admin/certificates/expiring",
    "GET /api/v1/admin/certificates/{serial}",
    "POST /api/v1/admin/certificates/{serial}/revoke",
    "GET /api/v1/admin/ca",
    "POST /api/v1/admin/ca/rotate",
    "GET /api/v1/admin/trust",
    "POST /api/v1/admin/trust",
    "DELETE /api/v1/admin/trust/{sha256}",
    "GET /api/v1/admin/directory",
    "PUT /api/v1/admin/directory",
    "POST /api/v1/admin/directory/units",
    "PATCH /api/v1/admin/directory/units/{id}",
    "POST /api/v1/admin/directory/units/{id}/deactivate",
    "POST /api/v1/admin/directory/units/{id}/activate",
    "POST /api/v1/admin/directory/groups",
    "PATCH /api/v1/admin/directory/groups/{id}",
    "DELETE /api/v1/admin/directory/groups/{id}",
    "POST /api/v1/admin/directory/aliases",
    "DELETE /api/v1/admin/directory/aliases",
    "GET /api/v1/admin/persons",
    "POST /api/v1/admin/persons",
    "GET /api/v1/admin/persons/{id}",
    "POST /api/v1/admin/persons/{id}/unlock",
    "POST /api/v1/admin/persons/{id}/pin",
];

/// Runs the contract as `unit` (or `admin`), without the operations of
/// `exclude`; the statuses each operation answered.
fn assert_contract(s: &Server, who: &str, unit: &str, ids: (&str, &str), exclude: &[&str]) -> Answers {
    let start = Instant::now();
    let (ok, text, answers) = s.schemathesis(unit, ids.0, ids.1, exclude);
    eprintln!("schemathesis as {who} ({unit}): {:.1} s, {answers:?}", start.elapsed().as_secs_f64());
    assert!(ok, "schemathesis found answers outside the contract as {who} ({unit}):\n{text}");
    // A run that tested nothing would also exit 0: make sure every
    // operation was reached.
    assert_eq!(answers.len(), OPERATIONS - exclude.len(), "schemathesis reached every operation:\n{answers:?}\n{text}");
    answers
}

fn saw(a: &Answers, op: &str, status: u64) -> bool {
    a.get(op).is_some_and(|s| s.contains(&status))
}

#[test]
fn every_answer_matches_the_openapi_document_and_none_is_a_server_error() {
    let s = start();
    let sent = s.submit_sample();
    let id = sent["id"].as_str().unwrap_or_else(|| panic!("the sample notice is accepted: {sent}")).to_string();
    let recipients: Vec<String> = sent["routing"]["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["unit"].as_str().unwrap().to_string())
        .collect();
    let units = s.units();
    let school_kinds = ["high_school", "lower_secondary", "primary", "kindergarten"];
    let reached = units
        .iter()
        .find(|(u, k)| school_kinds.contains(&k.as_str()) && recipients.contains(u))
        .map(|(u, _)| u.clone())
        .expect("the notice reaches a school");
    let outside = units
        .iter()
        .find(|(u, k)| school_kinds.contains(&k.as_str()) && !recipients.contains(u))
        .map(|(u, _)| u.clone())
        .expect("a school the notice does not reach");

    // A certificate issued for the admin run to find and revoke.
    let admin = s.client("admin");
    let ca = std::fs::read(s.ca()).unwrap();
    let issue = [
        "-X",
        "POST",
        "-H",
        "content-type: application/json",
        "--data-binary",
        r#"{"kind": "admin", "name": "contract-run"}"#,
    ];
    let (status, _, issued) = curl_as(&s, &admin, &ca, &issue, "/api/v1/admin/certificates", "");
    assert_eq!(status, 201, "{issued}");
    let serial = issued["certificate"]["serial"].as_str().unwrap().to_string();
    assert!(issued["private_key_pem"].as_str().is_some_and(|k| k.contains("PRIVATE KEY")), "{issued}");

    // The real document was found by those who may see it, and did not
    // exist for the school it never reached: the runs covered both sides.
    // No unit's certificate gets past the admin routes' door.
    let ids = (id.as_str(), serial.as_str());
    let sender = assert_contract(&s, "the sender", DEPARTMENT, ids, &[]);
    assert!(saw(&sender, "GET /api/v1/documents/{id}", 200), "{sender:?}");
    assert!(saw(&sender, "GET /api/v1/documents/{id}/receipts", 200), "{sender:?}");
    let recipient = assert_contract(&s, "a recipient school", &reached, ids, &[]);
    assert!(saw(&recipient, "GET /api/v1/documents/{id}/pdf", 200), "{recipient:?}");
    let outsider = assert_contract(&s, "a school outside the recipients", &outside, ids, &[]);
    for op in ["GET /api/v1/documents/{id}", "GET /api/v1/documents/{id}/pdf", "GET /api/v1/documents/{id}/receipts"] {
        assert!(saw(&outsider, op, 404) && !saw(&outsider, op, 200), "{op}: {outsider:?}");
    }
    // (405: schemathesis also tries the methods a route does not take.)
    for (who, answers) in [("sender", &sender), ("recipient", &recipient), ("outsider", &outsider)] {
        for op in ADMIN_OPERATIONS {
            let got = answers.get(op).cloned().unwrap_or_default();
            assert!(got.contains(&403) && got.iter().all(|c| [403, 405].contains(c)), "{who}: {op}: {got:?}");
        }
    }

    // The admin, last: its run may revoke the certificate issued above.
    let admin_run = assert_contract(&s, "the admin", "admin", ids, &["adminRotateCa"]);
    for op in ["GET /api/v1/admin/certificates", "GET /api/v1/admin/certificates/{serial}", "GET /api/v1/admin/ca"] {
        assert!(saw(&admin_run, op, 200), "{op}: {admin_run:?}");
    }
    assert!(saw(&admin_run, "POST /api/v1/admin/certificates/{serial}/revoke", 200), "{admin_run:?}");
    assert!(saw(&admin_run, "POST /api/v1/admin/certificates/{serial}/revoke", 409), "{admin_run:?}");
    // An admin cannot act as a unit.
    assert!(saw(&admin_run, "GET /api/v1/inbox", 403) && !saw(&admin_run, "GET /api/v1/inbox", 200), "{admin_run:?}");
    let (status, _, one) = curl_as(&s, &admin, &ca, &[], &format!("/api/v1/admin/certificates/{serial}"), "");
    assert_eq!((status, one["status"].as_str()), (200, Some("revoked")), "{one}");

    // Rotation, once: a new current CA, the old one kept, and the server
    // (its certificate from the old CA) still reachable with the old trust.
    let (status, _, before) = curl_as(&s, &admin, &ca, &[], "/api/v1/admin/ca", "");
    assert_eq!(status, 200, "{before}");
    let (status, _, rotated) = curl_as(&s, &admin, &ca, &["-X", "POST"], "/api/v1/admin/ca/rotate", "");
    assert_eq!((status, rotated["current"].as_bool()), (200, Some(true)), "{rotated}");
    assert_ne!(rotated["serial"], before[0]["serial"], "a new CA");
    let (status, _, after) = curl_as(&s, &admin, &ca, &[], "/api/v1/admin/ca", "");
    assert_eq!(status, 200, "{after}");
    let serials: Vec<&Value> = after.as_array().unwrap().iter().map(|c| &c["serial"]).collect();
    assert_eq!(serials, [&rotated["serial"], &before[0]["serial"]], "the new CA first, the old one kept: {after}");
}

/// A status, the named response header and the body of one curl request
/// as the Department.
fn curl(s: &Server, args: &[&str], path: &str, header: &str) -> (u16, String, Value) {
    let ca = std::fs::read(s.ca()).unwrap();
    curl_as(s, &s.client(DEPARTMENT), &ca, args, path, header)
}

/// The same, with the client certificate of the directory `client`, trusting
/// the CA certificate `ca` (PEM; kept by the caller, as a rotation replaces
/// the file).
fn curl_as(
    s: &Server,
    client: &std::path::Path,
    ca: &[u8],
    args: &[&str],
    path: &str,
    header: &str,
) -> (u16, String, Value) {
    let dir = tempfile::tempdir().unwrap();
    let (body, head) = (dir.path().join("body"), dir.path().join("head"));
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca).unwrap();
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "60", "--cacert"])
        .arg(&ca_file)
        .arg("--cert")
        .arg(client.join("cert.pem"))
        .arg("--key")
        .arg(client.join("key.pem"))
        .args(args)
        .arg("-o")
        .arg(&body)
        .arg("-D")
        .arg(&head)
        .args(["-w", "%{http_code}"])
        .arg(format!("{}{path}", s.base()))
        .output()
        .unwrap();
    assert!(out.status.success(), "curl: {}", String::from_utf8_lossy(&out.stderr));
    let status = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    let head = std::fs::read_to_string(&head).unwrap();
    let value = head
        .lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case(header)).map(|(_, v)| v.trim()))
        .unwrap_or_default()
        .to_string();
    let bytes = std::fs::read(&body).unwrap();
    let json = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("{path}: not JSON ({status}): {}", String::from_utf8_lossy(&bytes)));
    (status, value, json)
}

/// What a client that gets the request wrong sees: a 4xx with the one JSON
/// error shape, never axum's plain-text rejections or an empty body.
#[test]
fn malformed_requests_are_answered_in_the_documented_error_shape() {
    let s = start();
    let id = s.submit_sample()["id"].as_str().unwrap().to_string();
    let cases: Vec<(Vec<&str>, String, u16, &str)> = vec![
        (vec![], "/api/v1/inbox?limit=ten".into(), 400, "bad_request"),
        (vec![], "/api/v1/inbox?to=2026-01-01&to=2026-01-02".into(), 400, "bad_request"),
        (vec![], "/api/v1/outbox?limit=0".into(), 400, "bad_request"),
        (vec![], "/api/v1/inbox?priority=soon".into(), 400, "bad_request"),
        (vec![], "/api/v1/documents/%FF%FE".into(), 400, "bad_request"),
        (vec!["-X", "DELETE"], format!("/api/v1/documents/{id}"), 405, "method_not_allowed"),
        (vec!["-X", "POST", "--data-binary", "{}"], "/api/v1/documents".into(), 415, "unsupported_media_type"),
        (
            vec!["-H", "content-type: multipart/form-data; boundary=XYZ", "--data-binary", "--XYZ\r\nno headers"],
            "/api/v1/documents".into(),
            400,
            "bad_request",
        ),
        (vec!["-F", "header={}"], "/api/v1/documents".into(), 422, "invalid_header"),
        (
            vec!["-X", "POST", "-H", "content-type: text/plain", "--data-binary", "{\"status\": \"03\"}"],
            format!("/api/v1/documents/{id}/status"),
            415,
            "unsupported_media_type",
        ),
        (
            vec!["-X", "POST", "-H", "content-type: application/json", "--data-binary", "{\"status\": 3"],
            format!("/api/v1/documents/{id}/status"),
            400,
            "bad_request",
        ),
        (vec!["-H", "Range: bytes=999999999-"], format!("/api/v1/documents/{id}/pdf"), 416, "range_not_satisfiable"),
        (vec![], "/api/v1/nothing-here".into(), 404, "not_found"),
    ];
    for (args, path, want, code) in cases {
        let (status, range, body) = curl(&s, &args, &path, "content-range");
        assert_eq!((status, body["error"].as_str()), (want, Some(code)), "{args:?} {path}: {body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{path}: a message for a person");
        if want == 416 {
            assert!(range.starts_with("bytes */"), "416 says the document's length: {range:?}");
        }
    }

    // A status body over the limit is refused before it is buffered whole.
    let big = format!("{{\"status\": \"02\", \"reason\": \"{}\"}}", "x".repeat(100_000));
    let tmp = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(tmp.path(), big).unwrap();
    let (status, _, body) = curl(
        &s,
        &["-X", "POST", "-H", "content-type: application/json", "--data-binary", &format!("@{}", tmp.path().display())],
        &format!("/api/v1/documents/{id}/status"),
        "content-range",
    );
    assert_eq!((status, body["error"].as_str()), (413, Some("too_large")), "{body}");
}

/// The contract is only as good as the document: it must describe the
/// routes the gateway serves, with a schema for every answer.
#[test]
fn the_served_document_describes_every_answer() {
    let s = start();
    let client = s.client(DEPARTMENT);
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "30", "--cacert"])
        .arg(s.ca())
        .arg("--cert")
        .arg(client.join("cert.pem"))
        .arg("--key")
        .arg(client.join("key.pem"))
        .arg(format!("{}/api/v1/openapi.json", s.base()))
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            for (code, r) in responses {
                let r = match r.get("$ref").and_then(Value::as_str) {
                    Some(reference) => {
                        let name = reference.rsplit('/').next().unwrap();
                        &doc["components"]["responses"][name]
                    }
                    None => r,
                };
                assert!(
                    r.get("content").is_some(),
                    "{method} {path} answers {code} without a documented body (every answer has one)"
                );
            }
        }
    }
}

/// The admin routes answer a malformed request in the same JSON error shape
/// (axum's own extractors would answer in plain text), and a horizon past
/// the end of the calendar is "every valid certificate", not a 500.
#[test]
fn admin_routes_answer_malformed_requests_in_the_error_shape() {
    let s = start();
    let admin = s.client("admin");
    let ca = std::fs::read(s.ca()).unwrap();
    let json = |body: &'static str| vec!["-X", "POST", "-H", "content-type: application/json", "--data-binary", body];
    let cases: Vec<(Vec<&str>, &str, u16, &str)> = vec![
        (vec![], "/api/v1/admin/certificates/expiring?days=-1", 400, "bad_request"),
        (vec![], "/api/v1/admin/certificates/zz", 400, "bad_request"),
        (vec![], "/api/v1/admin/certificates/%FF%FE", 400, "bad_request"),
        (vec![], "/api/v1/admin/certificates/0abc", 404, "not_found"),
        (json(r#"{"kind": "admin""#), "/api/v1/admin/certificates", 400, "bad_request"),
        (json(r#"{"kind": "admin", "name": "a", "csr": null}"#), "/api/v1/admin/certificates", 400, "bad_request"),
        (
            json(r#"{"kind": "admin", "name": "a", "key_type": "p256", "csr": "x"}"#),
            "/api/v1/admin/certificates",
            400,
            "bad_request",
        ),
        (
            vec!["-X", "POST", "-H", "content-type: text/plain", "--data-binary", "{}"],
            "/api/v1/admin/certificates",
            415,
            "unsupported_media_type",
        ),
        (json(r#"{"reason": "certificateHold"}"#), "/api/v1/admin/certificates/0abc/revoke", 400, "bad_request"),
        (json(r#"{"reason": "keyCompromise"}"#), "/api/v1/admin/certificates/0abc/revoke", 404, "not_found"),
    ];
    for (args, path, want, code) in cases {
        let (status, _, body) = curl_as(&s, &admin, &ca, &args, path, "");
        assert_eq!((status, body["error"].as_str()), (want, Some(code)), "{args:?} {path}: {body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{path}: a message for a person");
    }
    let (status, _, all) = curl_as(&s, &admin, &ca, &[], "/api/v1/admin/certificates/expiring?days=4294967295", "");
    assert_eq!(status, 200, "{all}");
    let listed = all.as_array().unwrap();
    assert!(!listed.is_empty() && listed.iter().all(|c| c["status"] == "valid"), "every valid certificate: {all}");
}

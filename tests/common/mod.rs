//! Shared test fixtures: a fresh PKI, PDFs from several producers, and
//! wrappers around vanthu and the independent validators (pyHanko, pdfsig,
//! qpdf) so each test reads as a user journey.
#![allow(dead_code)]

pub mod build;
pub mod gateway;
pub mod pki;
pub mod poppler;
pub mod server;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub struct Fixtures {
    pub pki: pki::Pki,
    /// Unsigned PDFs from make_pdfs.py, by producer name.
    pub pdfs: PathBuf,
    _dir: tempfile::TempDir,
}

/// The PKI and input PDFs, made once per test binary.
pub fn fixtures() -> &'static Fixtures {
    static F: OnceLock<Fixtures> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let pki = pki::generate(&dir.path().join("pki"));
        let pdfs = dir.path().join("pdfs");
        run_ok(Command::new("python3").arg(support("make_pdfs.py")).arg(&pdfs));
        Fixtures { pki, pdfs, _dir: dir }
    })
}

pub fn support(script: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support").join(script)
}

pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A scratch directory for one test's outputs.
pub fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

/// Signs `input` into `output` with pyHanko as `signer` (a PKI signer name).
pub fn pyhanko_sign(input: &Path, output: &Path, signer: &str, field: &str, extra: &[&str]) {
    let s = fixtures().pki.signer(signer);
    let mut cmd = Command::new("python3");
    cmd.arg(support("sign.py")).arg("--key").arg(&s.key).arg("--cert").arg(&s.cert).arg("--field").arg(field);
    if std::fs::metadata(&s.chain).map(|m| m.len() > 0).unwrap_or(false) {
        cmd.arg("--chain").arg(&s.chain);
    }
    cmd.args(extra).arg(input).arg(output);
    run_ok(&mut cmd);
}

/// The TSA arguments for sign.py.
pub fn tsa_args() -> Vec<String> {
    let t = fixtures().pki.signer("tsa");
    vec!["--tsa-key".into(), t.key.display().to_string(), "--tsa-cert".into(), t.cert.display().to_string()]
}

/// Result of `vanthu verify --json`.
pub struct Verdict {
    pub code: i32,
    pub json: Value,
    pub stderr: String,
}

impl Verdict {
    pub fn indication(&self) -> &str {
        self.json["indication"].as_str().unwrap_or("")
    }
    pub fn sig(&self, i: usize) -> &Value {
        &self.json["signatures"][i]
    }
    pub fn sub(&self, i: usize) -> &str {
        self.sig(i)["subindication"].as_str().unwrap_or("")
    }
}

pub fn vanthu() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vanthu"))
}

/// `vanthu sign` as `signer`, with extra arguments; returns the exit code and stderr.
pub fn vanthu_sign(inp: &Path, out: &Path, signer: &str, extra: &[&str]) -> (i32, String) {
    let s = fixtures().pki.signer(signer);
    let o = vanthu()
        .arg("sign")
        .arg("--key")
        .arg(&s.key)
        .arg("--cert")
        .arg(&s.cert)
        .arg("--chain")
        .arg(&s.chain)
        .args(extra)
        .arg(inp)
        .arg(out)
        .output()
        .expect("run vanthu sign");
    (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stderr).into_owned())
}

/// Runs `vanthu verify --json` trusting the test root (plus `extra` args).
pub fn verify(file: &Path, extra: &[&str]) -> Verdict {
    let mut cmd = vanthu();
    cmd.arg("verify").arg("--json").arg("--trust").arg(&fixtures().pki.root).args(extra).arg(file);
    let out = cmd.output().expect("run vanthu");
    let code = out.status.code().unwrap_or(-1);
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    Verdict { code, json, stderr: String::from_utf8_lossy(&out.stderr).into_owned() }
}

/// pyHanko's opinion, as printed by validate.py.
pub fn pyhanko_validate(file: &Path, extra: &[&str]) -> Value {
    let mut cmd = Command::new("python3");
    cmd.arg(support("validate.py")).arg("--trust").arg(&fixtures().pki.root).args(extra).arg(file);
    let out = run_ok(&mut cmd);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("validate.py output {out}: {e}"))
}

/// Whether pyHanko accepts every signature (and found at least one).
pub fn pyhanko_accepts(v: &Value) -> bool {
    v["signatures"].as_array().is_some_and(|s| !s.is_empty() && s.iter().all(|x| x["bottom_line"] == Value::Bool(true)))
}

/// Whether pyHanko itself rejects the document: it read it, found at least
/// one signature, processed every one without a helper error, and at least
/// one has a negative bottom line. A helper error (pyHanko crashing on a
/// signature) fails the test instead of passing for a rejection.
pub fn pyhanko_rejects(v: &Value) -> bool {
    let sigs = v["signatures"].as_array().unwrap_or_else(|| panic!("validate.py gave no signature list: {v}"));
    assert!(!sigs.is_empty(), "pyHanko found no signature, so it gave no verdict: {v}");
    for s in sigs {
        assert!(s["error"].is_null(), "pyHanko could not process a signature (not a verdict): {v}");
    }
    sigs.iter().any(|s| s["bottom_line"] == Value::Bool(false))
}

/// poppler's pdfsig output (certificate trust is not its job here: it has no
/// access to our test root, so only the signature and coverage lines count).
pub fn pdfsig(file: &Path) -> String {
    let out = Command::new("pdfsig").arg(file).output().expect("run pdfsig");
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

pub fn qpdf_check(file: &Path) -> bool {
    Command::new("qpdf").arg("--check").arg(file).output().map(|o| o.status.code() == Some(0)).unwrap_or(false)
}

/// Runs modify.py's `action` on a signed file.
pub fn modify(action: &str, input: &Path, output: &Path) {
    run_ok(Command::new("python3").arg(support("modify.py")).arg(action).arg(input).arg(output));
}

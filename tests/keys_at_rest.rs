//! Private keys at rest, as an operator meets them: after `vanthu init` the
//! keys vanthu holds are not readable as keys (openssl tries), the gateway
//! starts with the generated master secret, and without it, or with a wrong
//! one, `serve` stops with one clear line and exit 2.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

const DEPARTMENT: &str = "000.00.12.H29";

/// The key files vanthu uses itself, relative to the data directory.
const HELD_KEYS: &[&str] = &[
    "pki/ca.key.pem",
    "pki/server.key.pem",
    "pki/tsa.key.pem",
    "pki/receipts.key.pem",
    "pki/org/000.00.12.H29.key.pem",
];

/// `vanthu` with no master secret in its environment unless a test gives one.
fn vanthu() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vanthu"));
    c.env_remove("VANTHU_MASTER_KEY").env_remove("VANTHU_MASTER_KEY_FILE");
    c
}

fn init(data: &Path) -> Output {
    let out = vanthu().arg("init").arg("--data").arg(data).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out
}

fn openssl_reads_key(file: &Path) -> bool {
    Command::new("openssl")
        .args(["pkey", "-noout", "-in"])
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success()
}

struct Server {
    child: Child,
    api: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve_cmd(data: &Path, env: &[(&str, &str)]) -> Command {
    let mut cmd = vanthu();
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--public-listen", "127.0.0.1:0", "--data"]).arg(data);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Starts `vanthu serve` and waits until it listens.
fn start(data: &Path, env: &[(&str, &str)]) -> Server {
    let (child, api, _) = common::server::spawn(data, None, env);
    Server { child, api }
}

/// `serve` that must refuse to start: its exit code and last stderr line.
fn refused(data: &Path, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let out = serve_cmd(data, env).stdout(Stdio::null()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let last = err.lines().last().unwrap_or_default().to_string();
    (out.status.code(), last)
}

/// Submits the sample notice as the Department: this uses the server key
/// (TLS), the organisation key (seal), the TSA key and the receipt key.
fn submit_sample(s: &Server, data: &Path) -> u16 {
    let client = data.join("clients").join(DEPARTMENT);
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "60", "-o", "/dev/null", "-w", "%{http_code}", "--cacert"])
        // The client's CA file (the server certificate's issuer, also after a rotation).
        .arg(client.join("ca.pem"))
        .arg("--cert")
        .arg(client.join("cert.pem"))
        .arg("--key")
        .arg(client.join("key.pem"))
        .arg("-F")
        .arg(format!("header=<{}", data.join("sample/notice-610.header.json").display()))
        .arg("-F")
        .arg(format!("document=@{}", data.join("sample/notice-610.pdf").display()))
        .arg(format!("https://127.0.0.1:{}/api/v1/documents", s.api))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

fn master_file(data: &Path) -> PathBuf {
    data.with_file_name("data.master-key")
}

#[test]
fn keys_held_by_vanthu_are_unreadable_without_the_master_secret() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    let out = init(&data);
    let stdout = String::from_utf8_lossy(&out.stdout);

    // init made a secret beside the directory, said where, and how to move it.
    let secret = master_file(&data);
    assert!(stdout.contains(&secret.display().to_string()), "{stdout}");
    assert!(stdout.contains("VANTHU_MASTER_KEY_FILE"), "{stdout}");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&secret).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    assert!(!std::fs::read_dir(&data).unwrap().flatten().any(|e| e.file_name().to_string_lossy().contains("master")));

    for rel in HELD_KEYS {
        let file = data.join(rel);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(!text.contains("PRIVATE KEY"), "{rel} is a plain key");
        assert!(text.starts_with("-----BEGIN VANTHU ENCRYPTED KEY-----"), "{rel}");
        assert!(!openssl_reads_key(&file), "openssl reads {rel}");
    }
    // Keys handed out stay their holders' plain keys.
    assert!(openssl_reads_key(&data.join("clients/admin/key.pem")));
    assert!(openssl_reads_key(&data.join("sample/signer.key.pem")));

    // The gateway runs on the generated secret: a submission is sealed,
    // timestamped and receipted.
    {
        let s = start(&data, &[]);
        assert_eq!(submit_sample(&s, &data), 201);
    }

    // The secret moved away: one clear line, exit 2.
    let moved = t.path().join("elsewhere.key");
    std::fs::rename(&secret, &moved).unwrap();
    let (code, line) = refused(&data, &[]);
    assert_eq!(code, Some(2), "{line}");
    assert!(line.contains("is encrypted and no master secret was found"), "{line}");
    assert!(line.contains("VANTHU_MASTER_KEY_FILE") && line.contains("or VANTHU_MASTER_KEY"), "{line}");

    // Named by the variable, the moved secret opens the keys again.
    {
        // (Every held key is loaded at start; the same notice again is
        // answered as the earlier submission, 200, over TLS with the server key.)
        let s = start(&data, &[("VANTHU_MASTER_KEY_FILE", moved.to_str().unwrap())]);
        assert_eq!(submit_sample(&s, &data), 200);
    }

    // A wrong secret (well-formed, just not this one): a clear error.
    let wrong = "00".repeat(32);
    let (code, line) = refused(&data, &[("VANTHU_MASTER_KEY", &wrong)]);
    assert_eq!(code, Some(2), "{line}");
    assert!(line.contains("the master key does not open") && line.contains(".key.pem"), "{line}");
    assert!(!line.contains("panicked"), "{line}");
}

#[test]
fn a_given_secret_is_used_and_never_written_into_the_data_directory() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    let secret = "a passphrase of the registry office";
    let out = vanthu().arg("init").arg("--data").arg(&data).env("VANTHU_MASTER_KEY", secret).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!master_file(&data).exists(), "no file when a secret is given");
    assert!(!openssl_reads_key(&data.join("pki/ca.key.pem")));

    // The CA opens with it (a certificate is issued), and a secret file
    // inside the data directory is refused.
    let issued = t.path().join("unit");
    let out = vanthu()
        .args(["cert", "issue", "--unit", DEPARTMENT, "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&issued)
        .env("VANTHU_MASTER_KEY", secret)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let inside = data.join("secret.txt");
    std::fs::write(&inside, secret).unwrap();
    let (code, line) = refused(&data, &[("VANTHU_MASTER_KEY_FILE", inside.to_str().unwrap())]);
    assert_eq!(code, Some(2), "{line}");
    assert!(line.contains("inside the data directory"), "{line}");
}

// --- Re-encryption under a new master secret (`vanthu keys rekey`) ---

fn support(script: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support").join(script)
}

/// Every sealed file under `data` and whether `secret` opens it, by an
/// independent reader of the format (tests/support/keystore.py, Python's
/// cryptography): `(path, opens)`.
fn opened_by(secret: &Path, data: &Path) -> Vec<(String, bool)> {
    let out = Command::new("python3").arg(support("keystore.py")).arg("check").arg(secret).arg(data).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let (p, v) = l.split_once('\t').unwrap();
            (p.to_string(), v == "OK")
        })
        .collect()
}

/// Writes a key sealed under `secret` at `place`, as another part of vanthu
/// (people's keys) would: a file no list in the rekey code names.
fn seal_elsewhere(secret: &Path, data: &Path, place: &str) {
    let out = Command::new("python3")
        .arg(support("keystore.py"))
        .arg("seal")
        .arg(secret)
        .arg(data)
        .arg(place)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn rekey(data: &Path, new: &Path, env: &[(&str, &str)]) -> Output {
    let mut c = vanthu();
    c.args(["keys", "rekey", "--data"]).arg(data).arg("--new-master-key-file").arg(new);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

/// Files a rekey leaves only while unfinished.
fn leftovers(data: &Path) -> Vec<String> {
    let out =
        Command::new("find").arg(data).args(["-name", "*.rekey", "-o", "-name", "rekey.pending"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
}

#[test]
fn rekey_reseals_every_key_under_the_new_secret_and_only_it_opens_them() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    init(&data);
    let old = master_file(&data);
    // An earlier CA (pki/previous/…) and a key no list names.
    let out = vanthu().args(["ca", "rotate", "--data"]).arg(&data).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    seal_elsewhere(&old, &data, "pki/people/p-0001.key.pem");
    let before = opened_by(&old, &data);
    let places: Vec<&String> = before.iter().map(|(p, _)| p).collect();
    for rel in HELD_KEYS.iter().chain(&["pki/people/p-0001.key.pem"]) {
        assert!(places.iter().any(|p| p == rel), "{rel} in {places:?}");
    }
    assert!(places.iter().any(|p| p.starts_with("pki/previous/") && p.ends_with("/ca.key.pem")), "{places:?}");
    assert!(before.iter().all(|(_, ok)| *ok), "{before:?}");

    // The new secret is generated where asked (outside the data directory).
    let new = t.path().join("new.master-key");
    let out = rekey(&data, &new, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("generated a new master secret"), "{stdout}");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&new).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    assert!(stdout.contains(&format!("re-sealed {} key file(s)", before.len())), "{stdout}");

    // The old secret opens none of them, the new one every one; nothing is
    // left half-done.
    let after_old = opened_by(&old, &data);
    let after_new = opened_by(&new, &data);
    assert_eq!(after_old.iter().map(|(p, _)| p).collect::<Vec<_>>(), places, "the same files, no others");
    assert!(after_old.iter().all(|(_, ok)| !ok), "the old secret still opens some: {after_old:?}");
    assert!(after_new.iter().all(|(_, ok)| *ok), "{after_new:?}");
    assert!(leftovers(&data).is_empty(), "{:?}", leftovers(&data));

    // Audited: which files, never a secret; the chain intact.
    let rows = Command::new("python3")
        .arg("-c")
        .arg("import sqlite3,sys\nfor (d,) in sqlite3.connect(sys.argv[1]).execute('select detail from audit'): print(d)")
        .arg(data.join("vanthu.db"))
        .output()
        .unwrap();
    let audit = String::from_utf8_lossy(&rows.stdout);
    let entry =
        audit.lines().find(|l| l.contains("keys_resealed")).unwrap_or_else(|| panic!("no audit entry: {audit}"));
    for p in &places {
        assert!(entry.contains(p.as_str()), "{p} not in {entry}");
    }
    for secret in [&old, &new] {
        let hex = std::fs::read_to_string(secret).unwrap();
        assert!(!audit.contains(hex.trim()), "a secret is in the audit log");
    }
    let out = vanthu().args(["audit", "verify", "--data"]).arg(&data).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));

    // The gateway runs on the new secret (TLS, seal, TSA, receipts) ...
    {
        let s = start(&data, &[("VANTHU_MASTER_KEY_FILE", new.to_str().unwrap())]);
        assert_eq!(submit_sample(&s, &data), 201);
    }
    // ... and not on the old one (still the default file): one clear line.
    let (code, line) = refused(&data, &[]);
    assert_eq!(code, Some(2), "{line}");
    assert!(line.contains("the master key does not open"), "{line}");
    // Re-sealing under the secret in use is refused.
    let out = rekey(&data, &new, &[("VANTHU_MASTER_KEY_FILE", new.to_str().unwrap())]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the one in use"));
}

#[test]
fn rekey_refuses_while_the_current_secret_does_not_open_every_key_and_changes_nothing() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    init(&data);
    let old = master_file(&data);
    let stranger = t.path().join("stranger.key");
    std::fs::write(&stranger, "11".repeat(32)).unwrap();
    seal_elsewhere(&stranger, &data, "pki/people/p-0002.key.pem");
    let before = opened_by(&old, &data);

    let new = t.path().join("new.master-key");
    let out = rekey(&data, &new, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("does not open 1 key file(s): pki/people/p-0002.key.pem"), "{err}");
    assert!(err.contains("nothing was changed"), "{err}");
    assert!(!new.exists(), "a refused rekey generated a secret");
    assert_eq!(opened_by(&old, &data), before);
    assert!(leftovers(&data).is_empty(), "{:?}", leftovers(&data));

    // A new secret inside the directory it would protect: refused, not made.
    std::fs::remove_file(data.join("pki/people/p-0002.key.pem")).unwrap();
    let inside = data.join("new.master-key");
    let out = rekey(&data, &inside, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("inside the data directory"), "{err}");
    assert!(!inside.exists());
    assert!(opened_by(&old, &data).iter().all(|(_, ok)| *ok));
}

#[test]
fn an_interrupted_rekey_leaves_keys_the_recovery_opens_and_running_it_again_finishes() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    init(&data);
    let old = master_file(&data);
    let new = t.path().join("new.master-key");
    std::fs::write(&new, format!("{}\n", "5a".repeat(32))).unwrap();
    let all = opened_by(&old, &data);

    // A new version that cannot be written (its name is taken by a
    // directory): refused before the commit point, every key as it was.
    let blocked = data.join("pki/tsa.key.pem.rekey");
    std::fs::create_dir(&blocked).unwrap();
    let out = rekey(&data, &new, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(opened_by(&old, &data), all);
    assert_eq!(leftovers(&data), vec![blocked.display().to_string()]);
    std::fs::remove_dir(&blocked).unwrap();

    // Stopped after two renames, as a crash would leave it.
    let out = rekey(&data, &new, &[("VANTHU_TEST_REKEY_STOP_AFTER", "2")]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("stopped after 2 of {} key files", all.len())), "{err}");
    assert!(data.join("pki/rekey.pending").is_file());
    // Neither secret opens everything, but the documented recovery does:
    // each key opens with the new secret, or its <key>.rekey beside it does.
    let with_new: std::collections::HashMap<String, bool> = opened_by(&new, &data).into_iter().collect();
    let with_old: std::collections::HashMap<String, bool> = opened_by(&old, &data).into_iter().collect();
    assert_eq!(all.iter().filter(|(p, _)| with_new[p]).count(), 2, "{with_new:?}");
    for (p, _) in &all {
        let beside = format!("{p}.rekey");
        assert!(with_new[p] || with_new.get(&beside) == Some(&true), "{p}: no version the new secret opens");
        assert!(with_new[p] || with_old[p], "{p}: neither secret opens it");
    }
    // The gateway will not start on such a directory, whichever secret.
    for env in [vec![], vec![("VANTHU_MASTER_KEY_FILE", new.to_str().unwrap())]] {
        let (code, line) = refused(&data, &env);
        assert_eq!(code, Some(2), "{line}");
        assert!(line.contains("interrupted") && line.contains("vanthu keys rekey"), "{line}");
    }
    // Finishing with another secret is refused (it would open nothing).
    let wrong = t.path().join("wrong.key");
    std::fs::write(&wrong, "33".repeat(32)).unwrap();
    let out = rekey(&data, &wrong, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("give the --new-master-key-file of the interrupted run"));

    // The same command again finishes it.
    let out = rekey(&data, &new, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("finished an interrupted run"), "{stdout}");
    assert!(opened_by(&new, &data).iter().all(|(_, ok)| *ok));
    assert!(opened_by(&old, &data).iter().all(|(_, ok)| !ok));
    assert!(leftovers(&data).is_empty(), "{:?}", leftovers(&data));
    let s = start(&data, &[("VANTHU_MASTER_KEY_FILE", new.to_str().unwrap())]);
    assert_eq!(submit_sample(&s, &data), 201);
}

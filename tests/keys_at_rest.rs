//! Private keys at rest, as an operator meets them: after `vanthu init` the
//! keys vanthu holds are not readable as keys (openssl tries), the gateway
//! starts with the generated master secret, and without it, or with a wrong
//! one, `serve` stops with one clear line and exit 2.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

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
    let mut cmd = serve_cmd(data, env);
    cmd.stdout(Stdio::piped()).stderr(Stdio::null());
    // The Server guard kills and waits for the child on every path.
    #[allow(clippy::zombie_processes)]
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut server = Server { child, api: 0 };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the server did not say where it listens");
        if let Some(rest) = line.strip_prefix("listening: https://127.0.0.1:") {
            server.api = rest.split(' ').next().unwrap().parse().unwrap();
            std::thread::spawn(move || while rx.recv().is_ok() {});
            return server;
        }
    }
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
        .arg(data.join("pki/ca.cert.pem"))
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

//! A running gateway for the tests that drive it over real sockets: the
//! `vanthu serve` child (killed on drop), its data directory and log, and
//! curl over mutual TLS with a client's certificate.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};

/// `vanthu serve` on a fresh data directory; killed and reaped on drop.
pub struct Server {
    pub child: Child,
    pub api: u16,
    pub public: u16,
    pub data: PathBuf,
    pub dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a server on a new data directory, its log in `server.log` beside it.
pub fn start() -> Server {
    start_with(&[])
}

/// The same, with `env` set for the server.
pub fn start_with(env: &[(&str, &str)]) -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let (child, api, public) = super::server::spawn(&data, Some(&dir.path().join("server.log")), env);
    Server { child, api, public, data, dir }
}

/// An HTTP reply as curl saw it.
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON ({}): {}", self.status, String::from_utf8_lossy(&self.body)))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A client's TLS files: certificate, key, and the CA file that checks the server.
pub struct Client {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub server_ca: PathBuf,
}

impl Client {
    /// The files in a client directory as init and the admin API write them
    /// (`cert.pem`, `key.pem`, `ca.pem`).
    pub fn in_dir(d: &Path) -> Client {
        Client { cert: d.join("cert.pem"), key: d.join("key.pem"), server_ca: d.join("ca.pem") }
    }
}

impl Server {
    /// Stops the server and starts it again on the same data directory.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (child, api, public) = super::server::spawn(&self.data, Some(&self.dir.path().join("server.log")), &[]);
        (self.child, self.api, self.public) = (child, api, public);
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// The directory of a client certificate made at init (or issued later).
    pub fn client(&self, name: &str) -> PathBuf {
        self.data.join("clients").join(name)
    }

    /// The TLS files of the client `name`.
    pub fn internal(&self, name: &str) -> Client {
        Client::in_dir(&self.client(name))
    }

    /// curl over mutual TLS as `c` on the API listener; `Err` with curl's
    /// message when the connection itself fails.
    pub fn request(&self, c: &Client, args: &[&str], path: &str) -> Result<Reply, String> {
        let out_file = tempfile::NamedTempFile::new().expect("temp file");
        let out = Command::new("curl")
            .args(["-sS", "--max-time", "120", "--cacert"])
            .arg(&c.server_ca)
            .arg("--cert")
            .arg(&c.cert)
            .arg("--key")
            .arg(&c.key)
            .args(args)
            .arg("-o")
            .arg(out_file.path())
            .args(["-w", "%{http_code}"])
            .arg(format!("https://127.0.0.1:{}{path}", self.api))
            .output()
            .expect("curl runs");
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        let status = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0);
        Ok(Reply { status, body: std::fs::read(out_file.path()).expect("curl's output") })
    }

    /// A JSON body sent with `method` as `c`; `Err` as for `request`.
    pub fn json_request(&self, c: &Client, method: &str, path: &str, body: &Value) -> Result<Reply, String> {
        let body = body.to_string();
        self.request(c, &["-X", method, "-H", "content-type: application/json", "--data-binary", &body], path)
    }

    /// `vanthu ARGS --data DATA` with `env` set, whatever its outcome.
    pub fn cli_run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = super::vanthu();
        cmd.args(args).arg("--data").arg(&self.data);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("run vanthu")
    }

    /// The same, which must succeed.
    pub fn cli_checked(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let out = self.cli_run(args, env);
        assert!(
            out.status.success(),
            "vanthu {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// `vanthu ARGS --data DATA`, which must succeed.
    pub fn cli(&self, args: &[&str]) -> Output {
        self.cli_checked(args, &[])
    }

    /// The audit log's `admin` entries, oldest first, as (actor, detail),
    /// read from the database by Python's sqlite3 (not by vanthu).
    pub fn admin_entries(&self) -> Vec<(String, Value)> {
        let out = Command::new("python3")
            .arg("-c")
            .arg(
                "import sqlite3,sys,json; c=sqlite3.connect(sys.argv[1]); \
                 print(json.dumps([[a, json.loads(d)] \
                 for a, d in c.execute(\"SELECT actor, detail FROM audit WHERE action='admin' ORDER BY seq\")]))",
            )
            .arg(self.data.join("vanthu.db"))
            .output()
            .expect("python3 runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("the audit rows as JSON")
    }
}

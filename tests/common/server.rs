//! `vanthu serve` as a child process on free loopback ports, for the tests
//! that drive the gateway over real sockets.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Starts `vanthu serve` on `data` (initialised on first start) with `env`
/// set and its log in `log` (or nowhere), and waits until it says where it
/// listens. Returns the child (the caller kills and waits for it) and the
/// API and public ports.
pub fn spawn(data: &Path, log: Option<&Path>, env: &[(&str, &str)]) -> (Child, u16, u16) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vanthu"));
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--public-listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(match log {
            Some(p) => Stdio::from(std::fs::File::create(p).expect("server log")),
            None => Stdio::null(),
        });
    // No master secret from the environment running the tests: a server
    // uses its data directory's own unless a test gives one in `env`.
    cmd.env_remove("VANTHU_MASTER_KEY").env_remove("VANTHU_MASTER_KEY_FILE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    // The callers' guards kill and wait for the child on every path.
    #[allow(clippy::zombie_processes)]
    let mut child = cmd.spawn().expect("vanthu serve starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server did not say where it listens");
        };
        if let Some(rest) = line.strip_prefix("listening: https://127.0.0.1:") {
            let api: u16 = rest.split(' ').next().unwrap().parse().unwrap();
            let public: u16 =
                line.split("http://127.0.0.1:").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
            // Keep draining stdout so the server never blocks on it.
            std::thread::spawn(move || while rx.recv().is_ok() {});
            return (child, api, public);
        }
    }
}

//! Speed and memory of `vanthu verify` and `vanthu sign` on a large PDF,
//! against `sha256sum` of the same file (the targets: at most 2x its time,
//! peak memory under file size + 32 MiB).
//!
//! `cargo bench --bench verify_large [-- SIZE_MB]` (default 50). Needs python3
//! with pyHanko and reportlab (tests/support/requirements.txt) and /usr/bin/time.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn run(cmd: &mut Command) -> Duration {
    let start = Instant::now();
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let elapsed = start.elapsed();
    assert!(out.status.code().is_some_and(|c| c <= 1), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    elapsed
}

/// Median of `n` runs.
fn median(n: usize, mut f: impl FnMut() -> Duration) -> Duration {
    let mut v: Vec<Duration> = (0..n).map(|_| f()).collect();
    v.sort();
    v[n / 2]
}

/// Peak resident set (KiB) of a command, from GNU time.
fn peak_rss_kib(args: &[&str]) -> u64 {
    let out = Command::new("/usr/bin/time").arg("-f").arg("%M").args(args).output().expect("/usr/bin/time");
    let err = String::from_utf8_lossy(&out.stderr);
    err.lines().last().and_then(|l| l.trim().parse().ok()).unwrap_or(0)
}

fn main() {
    let size_mb: u64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(50);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let support = root.join("tests/support");
    let certs = root.join("certs/dev");
    let dir = std::env::temp_dir().join(format!("vanthu-bench-{size_mb}"));
    std::fs::create_dir_all(&dir).expect("bench dir");
    let unsigned = dir.join("large.pdf");
    let signed: PathBuf = dir.join("large-signed.pdf");
    if !signed.exists() {
        let ok = Command::new("python3")
            .arg(support.join("make_pdfs.py"))
            .arg("--large")
            .arg(size_mb.to_string())
            .arg(&unsigned)
            .status()
            .expect("make_pdfs.py");
        assert!(ok.success());
        let ok = Command::new("python3")
            .arg(support.join("sign.py"))
            .args(["--key", &certs.join("rsa.key.pem").display().to_string()])
            .args(["--cert", &certs.join("rsa.cert.pem").display().to_string()])
            .args(["--chain", &certs.join("rsa.chain.pem").display().to_string()])
            .arg(&unsigned)
            .arg(&signed)
            .status()
            .expect("sign.py");
        assert!(ok.success());
    }
    let bytes = std::fs::metadata(&signed).expect("signed file").len();
    let vanthu = env!("CARGO_BIN_EXE_vanthu");
    let root_pem = certs.join("root.pem").display().to_string();
    let file = signed.display().to_string();
    // Warm the page cache so both commands read from memory.
    run(Command::new("cat").arg(&signed).stdout(std::process::Stdio::null()));
    let sha = median(7, || run(Command::new("sha256sum").arg(&signed)));
    let ver = median(7, || run(Command::new(vanthu).args(["verify", "--trust", &root_pem, &file])));
    let rss = peak_rss_kib(&[vanthu, "verify", "--trust", &root_pem, &file]);
    let limit_kib = bytes / 1024 + 32 * 1024;
    println!("file: {} ({:.1} MB)", file, bytes as f64 / 1e6);
    println!("sha256sum:      {:>8.1} ms (median of 7)", sha.as_secs_f64() * 1e3);
    println!("vanthu verify:  {:>8.1} ms (median of 7)", ver.as_secs_f64() * 1e3);
    println!("ratio:          {:>8.2}x  (target <= 2.00x)", ver.as_secs_f64() / sha.as_secs_f64());
    println!("peak RSS:       {:>8} KiB (target < {} KiB = file + 32 MiB)", rss, limit_kib);
    // Signing: the unsigned file, with the dev RSA key and the in-process TSA.
    let key = certs.join("rsa.key.pem").display().to_string();
    let cert = certs.join("rsa.cert.pem").display().to_string();
    let chain = certs.join("rsa.chain.pem").display().to_string();
    let tsa_key = certs.join("tsa.key.pem").display().to_string();
    let tsa_cert = certs.join("tsa.cert.pem").display().to_string();
    let input = unsigned.display().to_string();
    let output = dir.join("large-vanthu-signed.pdf").display().to_string();
    let in_bytes = std::fs::metadata(&unsigned).expect("unsigned file").len();
    run(Command::new("cat").arg(&unsigned).stdout(std::process::Stdio::null()));
    let sha_in = median(7, || run(Command::new("sha256sum").arg(&unsigned)));
    let sign_args = [
        "sign",
        "--key",
        &key,
        "--cert",
        &cert,
        "--chain",
        &chain,
        "--tsa-key",
        &tsa_key,
        "--tsa-cert",
        &tsa_cert,
        &input,
        &output,
    ];
    let signing = median(7, || run(Command::new(vanthu).args(sign_args)));
    let mut timed = vec![vanthu];
    timed.extend(sign_args);
    let sign_rss = peak_rss_kib(&timed);
    println!("--");
    println!("unsigned input: {:.1} MB", in_bytes as f64 / 1e6);
    println!("sha256sum:      {:>8.1} ms (median of 7)", sha_in.as_secs_f64() * 1e3);
    println!("vanthu sign:    {:>8.1} ms (median of 7, B-T with in-process TSA)", signing.as_secs_f64() * 1e3);
    println!("ratio:          {:>8.2}x  (target <= 2.00x)", signing.as_secs_f64() / sha_in.as_secs_f64());
    println!("peak RSS:       {:>8} KiB (target < {} KiB = file + 32 MiB)", sign_rss, in_bytes / 1024 + 32 * 1024);
    if Command::new("pdfsig").arg("-v").output().is_ok() {
        let p = median(3, || run(Command::new("pdfsig").arg(&signed)));
        println!(
            "pdfsig:         {:>8.1} ms ({:.2}x sha256sum)",
            p.as_secs_f64() * 1e3,
            p.as_secs_f64() / sha.as_secs_f64()
        );
    }
}

//! Load on the gateway over mutual TLS on loopback, sender and gateway on
//! this machine together: `cargo bench --bench gateway_load [-- DOCS]`.
//!
//! Prints, for the targets:
//! - intake of signed ~40 KB notices with 10 recipients (verify + the
//!   Department's seal + durable commit): documents/s, p50/p99 latency;
//! - one notice to ~2,000 recipients: time to the answer;
//! - inbox listing and PDF fetch by a school while the intake runs: p50/p99;
//! - a 50 MB upload: growth of the gateway's peak memory (VmHWM).
//!
//! Needs python3 with reportlab (tests/support/requirements.txt) for the
//! 50 MB file. The gateway is the release binary, started as `vanthu serve`.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, pem::PemObject};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const DEPARTMENT: &str = "000.00.12.H29";

struct Gateway {
    child: Child,
    port: u16,
    data: PathBuf,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(data: &Path) -> Gateway {
    #[allow(clippy::zombie_processes)]
    let mut child = Command::new(env!("CARGO_BIN_EXE_vanthu"))
        .args(["serve", "--listen", "127.0.0.1:0", "--public-listen", "", "--data"])
        .arg(data)
        .env("VANTHU_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("vanthu serve");
    let out = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(out).lines();
    let port = loop {
        let line = lines.next().and_then(Result::ok).expect("serve prints its address");
        if let Some(rest) = line.strip_prefix("listening: https://127.0.0.1:") {
            break rest.split(' ').next().and_then(|p| p.parse().ok()).expect("port");
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Gateway { child, port, data: data.to_path_buf() }
}

fn vm_hwm_kib(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn tls_config(data: &Path, client: &str) -> Arc<rustls::ClientConfig> {
    let ca = std::fs::read(data.join("pki/ca.cert.pem")).expect("ca");
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(&ca) {
        roots.add(c.expect("ca pem")).expect("root");
    }
    let dir = data.join("clients").join(client);
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(dir.join("cert.pem")).expect("cert").map(|c| c.expect("cert pem")).collect();
    let key = PrivateKeyDer::from_pem_file(dir.join("key.pem")).expect("key");
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .expect("client cert");
    Arc::new(cfg)
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(port: u16, cfg: Arc<rustls::ClientConfig>) -> Sender {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
    tcp.set_nodelay(true).ok();
    let tls = tokio_rustls::TlsConnector::from(cfg)
        .connect(ServerName::try_from("localhost").expect("name"), tcp)
        .await
        .expect("handshake");
    let (sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls)).await.expect("http1");
    tokio::spawn(conn);
    sender
}

const BOUNDARY: &str = "vanthu-bench-boundary";

fn multipart(header: &str, pdf: &[u8]) -> Bytes {
    let mut b = Vec::with_capacity(pdf.len() + header.len() + 512);
    b.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"header\"\r\nContent-Type: application/json\r\n\r\n{header}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"document\"; filename=\"d.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes(),
    );
    b.extend_from_slice(pdf);
    b.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    Bytes::from(b)
}

async fn request(s: &mut Sender, method: &str, path: &str, body: Option<Bytes>) -> (u16, Bytes) {
    s.ready().await.expect("ready");
    let mut req = hyper::Request::builder().method(method).uri(path).header("host", "localhost");
    if body.is_some() {
        req = req.header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"));
    }
    let req = req.body(Full::new(body.unwrap_or_default())).expect("request");
    let res = s.send_request(req).await.expect("response");
    let status = res.status().as_u16();
    let body = res.into_body().collect().await.expect("body").to_bytes();
    (status, body)
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)]
}

fn header(number: u64, to: &[String]) -> String {
    let base =
        std::fs::read_to_string(format!("{}/sample-header.json", std::env::temp_dir().display())).unwrap_or_default();
    let mut v: serde_json::Value = serde_json::from_str(&base).expect("sample header");
    v["code"]["number"] = serde_json::json!(number);
    v["to"] = serde_json::json!(to);
    v["to_places"] = serde_json::json!(["Lưu: VT, VP."]);
    v.to_string()
}

fn main() {
    let docs: u64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(2000);
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let gw = start(&data);
    std::fs::copy(data.join("sample/notice-610.header.json"), std::env::temp_dir().join("sample-header.json"))
        .expect("header");
    let pdf = std::fs::read(data.join("sample/notice-610.pdf")).expect("sample");
    let dir: serde_json::Value = serde_json::from_slice(
        &Command::new(env!("CARGO_BIN_EXE_vanthu"))
            .args(["directory", "list", "--json", "--data"])
            .arg(&data)
            .output()
            .expect("directory")
            .stdout,
    )
    .expect("directory json");
    let units: Vec<(String, String)> = dir["units"]
        .as_array()
        .expect("units")
        .iter()
        .filter(|u| u["active"] != false)
        .map(|u| (u["id"].as_str().unwrap_or("").to_string(), u["kind"].as_str().unwrap_or("").to_string()))
        .collect();
    let schools: Vec<String> = units
        .iter()
        .filter(|(_, k)| k.contains("school") || k.contains("kindergarten"))
        .map(|(i, _)| i.clone())
        .collect();
    let ten: Vec<String> = schools.iter().take(10).cloned().collect();
    let reader = ten[0].clone();
    let reader_dir = data.join("clients").join(format!("bench-{reader}"));
    let ok = Command::new(env!("CARGO_BIN_EXE_vanthu"))
        .args(["cert", "issue", "--unit", &reader, "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&reader_dir)
        .output()
        .expect("cert issue");
    assert!(ok.status.success());

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("rt");
    let sender_cfg = tls_config(&data, DEPARTMENT);
    let reader_cfg = tls_config(&data, &format!("bench-{reader}"));
    let port = gw.port;
    println!(
        "gateway load on loopback, mTLS, {} cores; sample notice {} bytes",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        pdf.len()
    );

    // 1. Intake with 10 recipients, several senders at once, readers alongside.
    let concurrency = 8u64;
    let (intake, reads, elapsed) = rt.block_on(async {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut readers = Vec::new();
        for _ in 0..2 {
            let cfg = reader_cfg.clone();
            let stop = stop.clone();
            readers.push(tokio::spawn(async move {
                let mut s = connect(port, cfg).await;
                let mut lat = Vec::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let t = Instant::now();
                    let (st, body) = request(&mut s, "GET", "/api/v1/inbox?limit=20", None).await;
                    lat.push(("inbox", t.elapsed()));
                    assert_eq!(st, 200);
                    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                    if let Some(id) = v["items"].as_array().and_then(|a| a.last()).and_then(|i| i["id"].as_str()) {
                        let t = Instant::now();
                        let (st, _) = request(&mut s, "GET", &format!("/api/v1/documents/{id}/pdf"), None).await;
                        assert_eq!(st, 200);
                        lat.push(("pdf", t.elapsed()));
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                lat
            }));
        }
        let start = Instant::now();
        let mut tasks = Vec::new();
        for w in 0..concurrency {
            let cfg = sender_cfg.clone();
            let pdf = pdf.clone();
            let ten = ten.clone();
            tasks.push(tokio::spawn(async move {
                let mut s = connect(port, cfg).await;
                let mut lat = Vec::new();
                let mut n = w;
                while n < docs {
                    let body = multipart(&header(10_000 + n, &ten), &pdf);
                    let t = Instant::now();
                    let (st, b) = request(&mut s, "POST", "/api/v1/documents", Some(body)).await;
                    assert_eq!(st, 201, "{}", String::from_utf8_lossy(&b));
                    lat.push(t.elapsed());
                    n += concurrency;
                }
                lat
            }));
        }
        let mut intake = Vec::new();
        for t in tasks {
            intake.extend(t.await.expect("sender"));
        }
        let elapsed = start.elapsed();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut reads = Vec::new();
        for r in readers {
            reads.extend(r.await.expect("reader"));
        }
        (intake, reads, elapsed)
    });
    let mut intake = intake;
    let rate = intake.len() as f64 / elapsed.as_secs_f64();
    let (p50, p99) = (pct(&mut intake, 0.5), pct(&mut intake, 0.99));
    let mut inbox: Vec<Duration> = reads.iter().filter(|(k, _)| *k == "inbox").map(|(_, d)| *d).collect();
    let mut fetch: Vec<Duration> = reads.iter().filter(|(k, _)| *k == "pdf").map(|(_, d)| *d).collect();
    println!("\n| measure | figure | target |");
    println!("|---|---|---|");
    println!(
        "| intake, 10 recipients, {concurrency} senders | {rate:.0} documents/s ({} in {:.1} s) | ≥ 200/s |",
        intake.len(),
        elapsed.as_secs_f64()
    );
    println!("| intake latency p50 / p99 | {:.1} / {:.1} ms | |", p50.as_secs_f64() * 1e3, p99.as_secs_f64() * 1e3);
    println!(
        "| inbox listing under load p50 / p99 ({} calls) | {:.1} / {:.1} ms | p99 ≤ 20 ms |",
        inbox.len(),
        pct(&mut inbox, 0.5).as_secs_f64() * 1e3,
        pct(&mut inbox, 0.99).as_secs_f64() * 1e3
    );
    println!(
        "| PDF fetch under load p50 / p99 ({} calls) | {:.1} / {:.1} ms | p99 ≤ 20 ms |",
        fetch.len(),
        pct(&mut fetch, 0.5).as_secs_f64() * 1e3,
        pct(&mut fetch, 0.99).as_secs_f64() * 1e3
    );

    // 2. One notice to every school.
    let groups = ["thpt-cong-lap", "nhieu-cap-thpt", "truong-quan-huyen"];
    let to: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
    let fanout = rt.block_on(async {
        let mut s = connect(port, sender_cfg.clone()).await;
        let body = multipart(&header(99_999, &to), &pdf);
        let t = Instant::now();
        let (st, b) = request(&mut s, "POST", "/api/v1/documents", Some(body)).await;
        let took = t.elapsed();
        assert_eq!(st, 201, "{}", String::from_utf8_lossy(&b));
        let v: serde_json::Value = serde_json::from_slice(&b).unwrap_or_default();
        (took, v["routing"]["recipients"].as_array().map_or(0, Vec::len))
    });
    println!(
        "| one notice to {} recipients | {:.0} ms to the answer | ≤ 1 s |",
        fanout.1,
        fanout.0.as_secs_f64() * 1e3
    );

    // 3. A 50 MB upload: growth of the gateway's peak memory.
    let big = tmp.path().join("large.pdf");
    let signed = tmp.path().join("large-signed.pdf");
    let made = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/make_pdfs.py"))
        .args(["--large", "50"])
        .arg(&big)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if made {
        let ok = Command::new(env!("CARGO_BIN_EXE_vanthu"))
            .arg("sign")
            .arg("--key")
            .arg(data.join("sample/signer.key.pem"))
            .arg("--cert")
            .arg(data.join("sample/signer.cert.pem"))
            .arg("--chain")
            .arg(data.join("pki/ca.cert.pem"))
            .arg(&big)
            .arg(&signed)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "sign the 50 MB file");
        let size = std::fs::metadata(&signed).map(|m| m.len()).unwrap_or(0);
        let before = vm_hwm_kib(gw.child.id());
        let h = tmp.path().join("h.json");
        std::fs::write(&h, header(77_777, &ten)).expect("header");
        let c = data.join("clients").join(DEPARTMENT);
        let t = Instant::now();
        let out = Command::new("curl")
            .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert"])
            .arg(gw.data.join("pki/ca.cert.pem"))
            .arg("--cert")
            .arg(c.join("cert.pem"))
            .arg("--key")
            .arg(c.join("key.pem"))
            .arg("-F")
            .arg(format!("header=<{}", h.display()))
            .arg("-F")
            .arg(format!("document=@{}", signed.display()))
            .arg(format!("https://127.0.0.1:{port}/api/v1/documents"))
            .output()
            .expect("curl");
        let took = t.elapsed();
        let after = vm_hwm_kib(gw.child.id());
        println!(
            "| {:.1} MB upload (HTTP {}) | {:.2} s; peak memory {:.1} → {:.1} MiB (+{:.1} MiB) | growth ≤ 32 MiB |",
            size as f64 / 1e6,
            String::from_utf8_lossy(&out.stdout),
            took.as_secs_f64(),
            before as f64 / 1024.0,
            after as f64 / 1024.0,
            after.saturating_sub(before) as f64 / 1024.0
        );
    } else {
        println!("| 50 MB upload | skipped: tests/support/make_pdfs.py --large failed (reportlab?) | |");
    }
}

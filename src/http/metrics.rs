//! Prometheus text-format metrics. A handful of counters and one
//! histogram, kept by hand: the exposition format is a few lines, and a
//! metrics framework would add a global recorder for no gain here.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Upper bounds (seconds) of the intake latency histogram.
const BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, u16), u64>,
    intake_buckets: Vec<u64>,
    intake_sum: f64,
    intake_count: u64,
    verification: BTreeMap<String, u64>,
}

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
    /// Valid certificates of the registry expiring within 30 days, as last
    /// counted (`run::watch_crl` recounts it every minute).
    certificates_expiring: std::sync::atomic::AtomicU64,
}

impl Metrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set_certificates_expiring(&self, n: u64) {
        self.certificates_expiring.store(n, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn request(&self, route: &str, status: u16) {
        let mut g = self.lock();
        let c = g.requests.entry((route.to_string(), status)).or_insert(0);
        *c = c.saturating_add(1);
    }

    pub fn intake(&self, seconds: f64, result: &str) {
        let mut g = self.lock();
        if g.intake_buckets.len() != BUCKETS.len() {
            g.intake_buckets = vec![0; BUCKETS.len()];
        }
        for (b, bound) in g.intake_buckets.iter_mut().zip(BUCKETS) {
            if seconds <= *bound {
                *b = b.saturating_add(1);
            }
        }
        g.intake_sum += seconds;
        g.intake_count = g.intake_count.saturating_add(1);
        let c = g.verification.entry(result.to_string()).or_insert(0);
        *c = c.saturating_add(1);
    }

    /// The exposition text, with the store's totals appended.
    pub fn render(&self, documents: u64, deliveries: &[(String, u64)], store_bytes: u64) -> String {
        let g = self.lock();
        let mut s = String::new();
        let _ = writeln!(s, "# HELP vanthu_requests_total API requests by route and HTTP status.");
        let _ = writeln!(s, "# TYPE vanthu_requests_total counter");
        for ((route, status), n) in &g.requests {
            let _ = writeln!(s, "vanthu_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}");
        }
        let _ = writeln!(s, "# HELP vanthu_intake_seconds Time to accept a document (verify, seal, commit).");
        let _ = writeln!(s, "# TYPE vanthu_intake_seconds histogram");
        for (i, bound) in BUCKETS.iter().enumerate() {
            let n = g.intake_buckets.get(i).copied().unwrap_or(0);
            let _ = writeln!(s, "vanthu_intake_seconds_bucket{{le=\"{bound}\"}} {n}");
        }
        let _ = writeln!(s, "vanthu_intake_seconds_bucket{{le=\"+Inf\"}} {}", g.intake_count);
        let _ = writeln!(s, "vanthu_intake_seconds_sum {}", g.intake_sum);
        let _ = writeln!(s, "vanthu_intake_seconds_count {}", g.intake_count);
        let _ = writeln!(s, "# HELP vanthu_documents_verified_total Submitted documents by verification result.");
        let _ = writeln!(s, "# TYPE vanthu_documents_verified_total counter");
        for (r, n) in &g.verification {
            let _ = writeln!(s, "vanthu_documents_verified_total{{result=\"{r}\"}} {n}");
        }
        let _ = writeln!(s, "# HELP vanthu_documents Documents held.");
        let _ = writeln!(s, "# TYPE vanthu_documents gauge");
        let _ = writeln!(s, "vanthu_documents {documents}");
        let _ = writeln!(s, "# HELP vanthu_deliveries Deliveries by status (\"sent\": not yet fetched).");
        let _ = writeln!(s, "# TYPE vanthu_deliveries gauge");
        for (st, n) in deliveries {
            let _ = writeln!(s, "vanthu_deliveries{{status=\"{st}\"}} {n}");
        }
        let _ = writeln!(s, "# HELP vanthu_store_bytes Bytes in the document store.");
        let _ = writeln!(s, "# TYPE vanthu_store_bytes gauge");
        let _ = writeln!(s, "vanthu_store_bytes {store_bytes}");
        let _ = writeln!(
            s,
            "# HELP vanthu_certificates_expiring Valid certificates of the internal CA expiring within 30 days."
        );
        let _ = writeln!(s, "# TYPE vanthu_certificates_expiring gauge");
        let n = self.certificates_expiring.load(std::sync::atomic::Ordering::Relaxed);
        let _ = writeln!(s, "vanthu_certificates_expiring {n}");
        s
    }
}

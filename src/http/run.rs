//! `vanthu serve`: loads the data directory and the configuration into the
//! exchange, binds the two listeners, and runs until SIGTERM or Ctrl-C.

use super::api::AppState;
use super::metrics::Metrics;
use super::tls::{LiveTls, TlsMaterial, certs_from_pem};
use crate::config::Config;
use crate::datadir::{DataDir, DataDirError};
use crate::directory::live::Live;
use crate::exchange::{Exchange, OrgKey, ReceiptKey};
use crate::pki::keys::LocalKey;
use crate::pki::policy::RevocationPolicy;
use crate::store::blobs::Blobs;
use crate::store::sqlite::SqliteStore;
use arc_swap::ArcSwap;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum RunError {
    #[error("{0}")]
    DataDir(#[from] DataDirError),
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    Blob(#[from] crate::store::blobs::BlobError),
    #[error("{0}")]
    Tls(#[from] super::tls::TlsError),
    #[error("{path}: {message}")]
    Material { path: String, message: String },
    #[error("{0}")]
    Admin(#[from] crate::admin::AdminError),
    #[error("directory: {0}")]
    Directory(#[from] crate::store::directory::DirectoryStoreError),
    #[error("trusted CAs: {0}")]
    Apply(#[from] super::admin::ApplyError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: String, source: std::io::Error },
}

fn material(path: &std::path::Path, message: impl std::fmt::Display) -> RunError {
    RunError::Material { path: path.display().to_string(), message: message.to_string() }
}

fn first_cert(dd: &DataDir, path: &std::path::Path) -> Result<Vec<u8>, RunError> {
    let pem = dd.read(path)?;
    crate::pki::pem_or_der(&pem, "CERTIFICATE", &path.display().to_string())
        .map_err(|e| material(path, e))?
        .into_iter()
        .next()
        .ok_or_else(|| material(path, "no certificate"))
}

fn key(dd: &DataDir, path: &std::path::Path) -> Result<LocalKey, RunError> {
    LocalKey::from_pem(dd.read_key(path)?.as_bytes()).map_err(|e| material(path, e))
}

/// The internal CA that issued `cert` (its chain), among `cas`: after a
/// rotation the server's own certificates may come from an earlier CA.
fn issuer_of(cert: &[u8], cas: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let Ok((_, c)) = x509_parser::parse_x509_certificate(cert) else { return Vec::new() };
    cas.iter()
        .find(|ca| {
            x509_parser::parse_x509_certificate(ca).is_ok_and(|(_, a)| a.subject().as_raw() == c.issuer().as_raw())
        })
        .map(|ca| vec![ca.clone()])
        .unwrap_or_default()
}

/// Everything `serve` runs on, loaded from the configuration.
pub fn load(cfg: &Config) -> Result<AppState, RunError> {
    let dd = DataDir::new(&cfg.data);
    // The internal CAs: the current one, and earlier ones a rotation left
    // (trusted until what they issued expires), with their CRLs.
    let internal = crate::admin::ca::internal_pki(&dd)?;

    // Document-signature trust: the internal CAs (unless disabled), the
    // configured anchors and CRLs.
    let mut verify = crate::verify::Options::default();
    if cfg.trust_internal_ca {
        for der in &internal.cas {
            verify.trust.add_pem(der, "internal CA").map_err(|e| material(&dd.pki("ca.cert.pem"), e))?;
        }
    }
    for p in &cfg.trust {
        verify.trust.add_pem(&dd.read(p)?, &p.display().to_string()).map_err(|e| material(p, e))?;
    }
    for p in &cfg.crls {
        verify.crls.add(&dd.read(p)?, &p.display().to_string()).map_err(|e| material(p, e))?;
    }
    for der in &internal.crls {
        verify.crls.add(der, "internal CA CRL").map_err(|e| material(&dd.pki("crl.der"), e))?;
    }
    let crl_der = internal.current_crl().unwrap_or_default().to_vec();
    verify.max_file_size = cfg.limits.max_document_bytes;
    // For the CAs whose CRLs the gateway holds (the internal CA, and every
    // `crls` entry) a stale or missing answer is not a pass; for others it
    // has nothing to check against, and says so in a warning.
    verify.revocation = RevocationPolicy::Soft;
    verify.revocation_with_crl = RevocationPolicy::Hard;

    // The directory lives in the store; a data directory that only has
    // the file (made before the store kept it) is migrated here.
    let store = SqliteStore::open(&cfg.database_path()?)?;
    let (dir_version, directory) = crate::store::directory::ensure(&store, &cfg.directory_path())?;

    // Organisation keys: those the config names, or every one in pki/org/.
    let mut orgs = HashMap::new();
    let wanted: Vec<String> = if cfg.org_keys.is_empty() {
        let mut v = Vec::new();
        if let Ok(entries) = std::fs::read_dir(dd.org_dir()) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some(organ) = name.strip_suffix(".key.pem") {
                    v.push(organ.to_string());
                }
            }
        }
        v
    } else {
        cfg.org_keys.clone()
    };
    for organ in wanted {
        let dir = dd.org_dir();
        let cert = first_cert(&dd, &dir.join(format!("{organ}.cert.pem")))?;
        let k = key(&dd, &dir.join(format!("{organ}.key.pem")))?;
        let seal_path = dir.join(format!("{organ}.seal.png"));
        let seal = if seal_path.is_file() { dd.read(&seal_path)? } else { crate::datadir::SEAL_PNG.to_vec() };
        orgs.insert(
            organ,
            OrgKey { key: k, creds: crate::sign::Credentials { chain: issuer_of(&cert, &internal.cas), cert }, seal },
        );
    }

    let tsa_cert = first_cert(&dd, &dd.pki("tsa.cert.pem"))?;
    let tsa_chain = issuer_of(&tsa_cert, &internal.cas);
    let tsa = crate::cms::tsa::LocalTsa::new(Box::new(key(&dd, &dd.pki("tsa.key.pem"))?), tsa_cert, tsa_chain)
        .map_err(|e| material(&dd.pki("tsa.cert.pem"), e))?;
    let receipts_cert = first_cert(&dd, &dd.pki("receipts.cert.pem"))?;
    let receipts = ReceiptKey {
        key: key(&dd, &dd.pki("receipts.key.pem"))?,
        chain: issuer_of(&receipts_cert, &internal.cas),
        cert: receipts_cert,
    };

    let blobs = Blobs::open(&dd.blobs())?;
    let exchange = Exchange {
        store: Arc::new(store),
        blobs,
        directory: Live::new(dir_version, directory),
        verify: ArcSwap::from_pointee(verify),
        orgs,
        tsa,
        receipts,
    };

    let mut client_roots = Vec::new();
    for p in &cfg.client_ca {
        client_roots.extend(certs_from_pem(&dd.read(p)?)?);
    }
    let server_chain = certs_from_pem(&dd.read(&dd.pki("server.cert.pem"))?)?;
    let tls = TlsMaterial {
        server_chain,
        server_key_pem: dd.read_key(&dd.pki("server.key.pem"))?,
        client_roots,
        internal_roots: internal.cas.iter().map(|d| CertificateDer::from(d.clone())).collect(),
        crls: internal.crls.iter().map(|d| CertificateRevocationListDer::from(d.clone())).collect(),
        external_roots: Vec::new(),
        external_crls: Vec::new(),
    };
    let state = AppState {
        exchange: Arc::new(exchange),
        limits: cfg.limits.clone(),
        tls: Arc::new(LiveTls::new(&tls)?),
        crl: ArcSwap::from_pointee(crl_der),
        metrics: Metrics::default(),
        data: dd.clone(),
        intake_slots: tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())),
        applied_external: std::sync::Mutex::new(crate::admin::trust::External::default()),
    };
    // The external CAs trusted per purpose (`pki/trusted/`), as the
    // watcher will apply their later changes.
    super::admin::apply_internal(&state, &internal)?;
    Ok(state)
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested: finishing in-flight requests");
}

/// Binds both listeners and serves until a shutdown signal.
pub async fn run(
    cfg: &Config,
    state: AppState,
    ready: impl FnOnce(SocketAddr, Option<SocketAddr>),
) -> Result<(), RunError> {
    let state = Arc::new(state);
    let api = tokio::net::TcpListener::bind(&cfg.listen)
        .await
        .map_err(|source| RunError::Bind { addr: cfg.listen.clone(), source })?;
    let api_addr = api.local_addr().map_err(|source| RunError::Bind { addr: cfg.listen.clone(), source })?;
    let public = if cfg.public_listen.trim().is_empty() {
        None
    } else {
        Some(
            tokio::net::TcpListener::bind(&cfg.public_listen)
                .await
                .map_err(|source| RunError::Bind { addr: cfg.public_listen.clone(), source })?,
        )
    };
    let public_addr = public.as_ref().and_then(|l| l.local_addr().ok());
    ready(api_addr, public_addr);
    let (tx, rx) = tokio::sync::watch::channel(false);
    let wait = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|v| *v).await;
    };
    let watcher = tokio::spawn(watch_crl(state.clone()));
    let dir_watcher = tokio::spawn(watch_directory(state.clone()));
    let public_task = public.map(|l| tokio::spawn(super::serve_public(l, state.clone(), wait(rx.clone()))));
    let signal = tokio::spawn(async move {
        shutdown_signal().await;
        let _ = tx.send(true);
    });
    super::serve_api(api, state, wait(rx))
        .await
        .map_err(|source| RunError::Bind { addr: cfg.listen.clone(), source })?;
    signal.abort();
    watcher.abort();
    dir_watcher.abort();
    if let Some(t) = public_task {
        let _ = t.await;
    }
    Ok(())
}

/// How often `serve` looks at the internal CAs' files.
pub const CRL_POLL: std::time::Duration = std::time::Duration::from_secs(1);

/// Watches the internal CAs' certificates and CRLs and puts changed ones
/// in force.
///
/// `vanthu cert revoke` and `vanthu ca rotate` (the CLI) write new files
/// atomically while the server runs; polling their modification times and
/// sizes every [`CRL_POLL`] is enough to refuse a revoked certificate
/// within about a second, needs no platform file-notification API, and
/// costs a few `stat`s a second. The server's own changes (admin API)
/// write the same files and are in force already; applying them again
/// changes nothing. Files that do not parse are logged and what is in
/// force stays.
///
/// Once a minute it also recounts the certificates expiring within 30
/// days (the metric) and re-issues the CRLs when less than half of their
/// validity is left, so a quiet CA never serves an out-of-date list.
pub async fn watch_crl(state: Arc<AppState>) {
    let mut seen: Vec<(std::path::PathBuf, Option<(std::time::SystemTime, u64)>)> = Vec::new();
    let mut ticks = tokio::time::interval(CRL_POLL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut tick: u32 = 0;
    loop {
        ticks.tick().await;
        if tick.is_multiple_of(60) {
            refresh_expiring(&state).await;
            renew_crls(&state).await;
        }
        tick = tick.wrapping_add(1);
        let dd = state.data.clone();
        let stamps = tokio::task::spawn_blocking(move || {
            crate::admin::ca::watched_files(&dd)
                .into_iter()
                .map(|p| {
                    let m =
                        std::fs::metadata(&p).ok().map(|m| (m.modified().unwrap_or(std::time::UNIX_EPOCH), m.len()));
                    (p, m)
                })
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        if stamps == seen {
            continue;
        }
        let dd = state.data.clone();
        let loaded = tokio::task::spawn_blocking(move || crate::admin::ca::internal_pki(&dd)).await;
        match loaded {
            Ok(Ok(pki)) => match super::admin::apply_internal(&state, &pki) {
                Ok(()) => {
                    if !seen.is_empty() {
                        tracing::info!("internal CAs and CRLs reloaded");
                    }
                    seen = stamps;
                }
                Err(e) => tracing::warn!(error = %e, "internal CA files ignored; what is in force stays"),
            },
            Ok(Err(e)) => tracing::warn!(error = %e, "internal CA files unreadable; what is in force stays"),
            Err(_) => {}
        }
    }
}

/// How often `serve` asks the store for the directory's version.
pub const DIRECTORY_POLL: std::time::Duration = std::time::Duration::from_secs(1);

/// Puts in force the directory changes made elsewhere: by the CLI on this
/// data directory, or by another gateway instance on the same store.
///
/// Changes through this server's own admin API are in force before their
/// answer; this catches the others within [`DIRECTORY_POLL`]: one indexed
/// `MAX(version)` a second, and the directory read and checked again only
/// when the version moved. A stored directory that fails its checks is
/// logged and the one in force stays.
pub async fn watch_directory(state: Arc<AppState>) {
    let mut ticks = tokio::time::interval(DIRECTORY_POLL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let store = state.exchange.store.clone();
        let in_force = state.exchange.directory.version();
        let loaded = tokio::task::spawn_blocking(move || match store.directory_version() {
            Ok(Some(v)) if v > in_force => crate::store::directory::load(store.as_ref()),
            Ok(_) => Ok(None),
            Err(e) => Err(e.into()),
        })
        .await;
        match loaded {
            Ok(Ok(Some((version, directory)))) => {
                if state.exchange.directory.offer(version, directory) {
                    tracing::info!(version, "directory changed: new version in force");
                }
            }
            Ok(Ok(None)) | Err(_) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "directory not reloaded; the one in force stays"),
        }
    }
}

/// Re-issues the CRLs when the one in force has less than half its
/// validity left, or when a CRL misses a revocation of the registry (a
/// revoking process stopped before writing it).
async fn renew_crls(state: &Arc<AppState>) {
    let current = state.crl.load_full();
    let next = x509_parser::parse_x509_crl(&current).ok().and_then(|(_, c)| c.next_update().map(|t| t.to_datetime()));
    let half = crate::admin::CRL_VALIDITY / 2;
    let fresh = next.is_some_and(|n| n - time::OffsetDateTime::now_utc() > half);
    let store = state.exchange.store.clone();
    let dd = state.data.clone();
    let renew = move || {
        if fresh && !crate::admin::crls_behind(store.as_ref(), &dd)? {
            return Ok(false);
        }
        crate::admin::reissue_crls(store.as_ref(), &dd).map(|()| true)
    };
    match tokio::task::spawn_blocking(renew).await {
        Ok(Ok(false)) => {}
        Ok(Ok(true)) => tracing::info!("CRLs re-issued (running out, or missing a revocation)"),
        Ok(Err(e)) => tracing::warn!(error = %e, "CRLs could not be re-issued"),
        Err(_) => {}
    }
}

/// Updates the `vanthu_certificates_expiring` gauge from the registry.
async fn refresh_expiring(state: &Arc<AppState>) {
    let store = state.exchange.store.clone();
    let count = tokio::task::spawn_blocking(move || {
        crate::admin::expiring(store.as_ref(), time::OffsetDateTime::now_utc(), crate::admin::EXPIRING_DAYS)
            .map(|v| v.len())
    })
    .await;
    if let Ok(Ok(n)) = count {
        state.metrics.set_certificates_expiring(u64::try_from(n).unwrap_or(u64::MAX));
    }
}

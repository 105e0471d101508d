//! The edge: hyper over rustls with mutual TLS, the routes of the JSON API,
//! and the plain-HTTP listener for `/healthz` and CRL downloads.
//!
//! Each accepted connection gets its own task: the TLS handshake runs there
//! under a timeout, so a silent client holds nothing but its own task. The
//! identity in the client certificate is read once per connection and
//! travels with every request on it as an extension ([`Peer`]). Handlers
//! are thin: identity and input in, a call to [`crate::exchange`], the
//! result mapped in one place ([`error`]).

pub mod admin;
pub mod admin_directory;
pub mod admin_trust;
pub mod api;
pub mod error;
pub mod metrics;
pub mod openapi;
pub mod run;
pub mod signing;
pub mod tls;

use crate::pki::ca::Identity;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// Who is on the other end of a connection.
#[derive(Debug, Clone)]
pub struct Peer {
    pub identity: Option<Identity>,
    pub addr: SocketAddr,
}

/// How long in-flight requests may run after a shutdown signal.
const DRAIN: Duration = Duration::from_secs(30);

/// Serves the API on `listener` until `shutdown` resolves, then lets
/// in-flight requests finish (up to [`DRAIN`]).
pub async fn serve_api(
    listener: TcpListener,
    state: Arc<api::AppState>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let router = api::router(state.clone());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(state.limits.max_connections.max(1)));
    let handshake = Duration::from_millis(state.limits.handshake_timeout_ms);
    let header_timeout = Duration::from_millis(state.limits.header_read_timeout_ms);
    tokio::pin!(shutdown);
    loop {
        let (tcp, addr) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: back off, keep serving.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Answers are written in several pieces (headers, then the body in
        // chunks): without TCP_NODELAY, Nagle's algorithm meets the client's
        // delayed ACK and a small PDF waits ~40 ms for nothing.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(%addr, error = %e, "TCP_NODELAY not set");
        }
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%addr, "connection refused: too many connections");
            continue;
        };
        let acceptor = tokio_rustls::TlsAcceptor::from(state.tls.current());
        let tls_state = state.tls.clone();
        let router = router.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _slot = slot;
            let tls = match tokio::time::timeout(handshake, acceptor.accept(tcp)).await {
                Ok(Ok(t)) => t,
                Ok(Err(e)) => {
                    tracing::info!(%addr, error = %e, "TLS handshake refused");
                    return;
                }
                Err(_) => {
                    tracing::info!(%addr, "TLS handshake timed out");
                    return;
                }
            };
            let chain = tls.get_ref().1.peer_certificates().unwrap_or_default();
            let identity = match chain.first().and_then(|c| Identity::from_certificate(c.as_ref())) {
                // An external CA trusted for clients vouches for units only:
                // an admin name counts in a certificate of an internal CA.
                Some(Identity::Admin(_)) if !tls_state.issued_internally(chain) => None,
                other => other,
            };
            let peer = Peer { identity, addr };
            let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(peer.clone());
                router.clone().oneshot(req)
            });
            let mut builder = auto::Builder::new(TokioExecutor::new());
            builder.http1().timer(TokioTimer::new()).header_read_timeout(header_timeout);
            builder.http2().timer(TokioTimer::new()).keep_alive_interval(Some(Duration::from_secs(30)));
            let conn = builder.serve_connection(TokioIo::new(tls), svc);
            if let Err(e) = watcher.watch(conn.into_owned()).await {
                tracing::debug!(%addr, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections drained"),
        () = tokio::time::sleep(DRAIN) => tracing::warn!("drain timed out; closing remaining connections"),
    }
    Ok(())
}

/// Serves `/healthz` and `/crl/{ca}.crl` over plain HTTP.
pub async fn serve_public(
    listener: TcpListener,
    state: Arc<api::AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = api::public_router(state);
    axum::serve(listener, router).with_graceful_shutdown(shutdown).await
}

//! TLS for the API: rustls (ring provider), TLS 1.3 and 1.2, client
//! certificates verified against the internal CA and any CA the config
//! trusts for client authentication, with the internal CA's CRL.
//!
//! rustls fixes CRLs when a verifier is built, so the server keeps its
//! `ServerConfig` behind an [`ArcSwap`]: a new CRL builds a new config
//! (about 10 µs) and the next handshake uses it, without a restart.
//!
//! A client certificate is required at the handshake: a connection without
//! one, or with one from another CA, or revoked, never reaches HTTP. The
//! unauthenticated endpoints (`/healthz`, the CRL download) are served on a
//! separate plain-HTTP listener, as CRL distribution points usually are.

use arc_swap::ArcSwap;
use rustls::RootCertStore;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer, pem::PemObject};
use rustls::server::WebPkiClientVerifier;
use std::sync::Arc;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum TlsError {
    #[error("TLS material unreadable: {0}")]
    Pem(String),
    #[error("TLS configuration refused: {0}")]
    Config(#[from] rustls::Error),
    #[error("client certificate verifier: {0}")]
    Verifier(String),
}

/// What a TLS configuration is built from.
#[derive(Clone)]
pub struct TlsMaterial {
    pub server_chain: Vec<CertificateDer<'static>>,
    pub server_key_pem: String,
    /// CAs the configuration trusts to authenticate clients (`client_ca`).
    pub client_roots: Vec<CertificateDer<'static>>,
    /// The internal CAs (the current one, and earlier ones during a
    /// rotation's overlap): they change at run time.
    pub internal_roots: Vec<CertificateDer<'static>>,
    /// CRLs (DER) of those CAs.
    pub crls: Vec<CertificateRevocationListDer<'static>>,
}

/// Parses every certificate of a PEM text.
pub fn certs_from_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    CertificateDer::pem_slice_iter(pem).collect::<Result<Vec<_>, _>>().map_err(|e| TlsError::Pem(e.to_string()))
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Builds the server configuration.
pub fn server_config(m: &TlsMaterial) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let mut roots = RootCertStore::empty();
    for c in m.client_roots.iter().chain(&m.internal_roots) {
        roots.add(c.clone()).map_err(|e| TlsError::Verifier(e.to_string()))?;
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
        .with_crls(m.crls.iter().cloned())
        .build()
        .map_err(|e| TlsError::Verifier(e.to_string()))?;
    let key = PrivateKeyDer::from_pem_slice(m.server_key_pem.as_bytes()).map_err(|e| TlsError::Pem(e.to_string()))?;
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_client_cert_verifier(verifier)
        .with_single_cert(m.server_chain.clone(), key)?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// The live configuration, swappable when a CRL changes.
pub struct LiveTls {
    current: ArcSwap<rustls::ServerConfig>,
    /// What `current` was built from, so one part (the CRLs) can change.
    material: std::sync::Mutex<TlsMaterial>,
}

impl LiveTls {
    pub fn new(m: &TlsMaterial) -> Result<LiveTls, TlsError> {
        Ok(LiveTls { current: ArcSwap::new(server_config(m)?), material: std::sync::Mutex::new(m.clone()) })
    }

    /// The configuration for the next handshake.
    pub fn current(&self) -> Arc<rustls::ServerConfig> {
        self.current.load_full()
    }

    /// Replaces the configuration (new CRLs or roots) for later handshakes.
    pub fn replace(&self, m: &TlsMaterial) -> Result<(), TlsError> {
        let mut held = self.material.lock().unwrap_or_else(|p| p.into_inner());
        self.current.store(server_config(m)?);
        *held = m.clone();
        Ok(())
    }

    /// Replaces the internal CAs and the CRLs (a revocation, a rotation):
    /// the next handshake refuses a certificate they list and accepts one
    /// of a new CA. Material rustls refuses leaves the old configuration in
    /// place and says why.
    pub fn replace_internal(
        &self,
        internal_roots: Vec<CertificateDer<'static>>,
        crls: Vec<CertificateRevocationListDer<'static>>,
    ) -> Result<(), TlsError> {
        let mut held = self.material.lock().unwrap_or_else(|p| p.into_inner());
        let mut m = held.clone();
        m.internal_roots = internal_roots;
        m.crls = crls;
        self.current.store(server_config(&m)?);
        *held = m;
        Ok(())
    }
}

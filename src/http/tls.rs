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
use rustls::server::danger::ClientCertVerifier;
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
    /// External CAs trusted for client authentication (`vanthu ca trust
    /// add --purpose clients`): they change at run time.
    pub external_roots: Vec<CertificateDer<'static>>,
    /// The CRLs held for external CAs.
    pub external_crls: Vec<CertificateRevocationListDer<'static>>,
}

/// Parses every certificate of a PEM text.
pub fn certs_from_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    CertificateDer::pem_slice_iter(pem).collect::<Result<Vec<_>, _>>().map_err(|e| TlsError::Pem(e.to_string()))
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The verifier of the internal CAs alone: an admin identity counts only
/// in a certificate they issued (an external CA trusted for clients
/// vouches for units, never for administrators).
fn internal_verifier(m: &TlsMaterial) -> Result<Arc<dyn ClientCertVerifier>, TlsError> {
    let mut roots = RootCertStore::empty();
    for c in &m.internal_roots {
        roots.add(c.clone()).map_err(|e| TlsError::Verifier(e.to_string()))?;
    }
    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
        .with_crls(m.crls.iter().cloned())
        .build()
        .map_err(|e| TlsError::Verifier(e.to_string()))
}

/// Builds the server configuration.
pub fn server_config(m: &TlsMaterial) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let mut roots = RootCertStore::empty();
    for c in m.client_roots.iter().chain(&m.internal_roots).chain(&m.external_roots) {
        roots.add(c.clone()).map_err(|e| TlsError::Verifier(e.to_string()))?;
    }
    let mut builder = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
        .with_crls(m.crls.iter().chain(&m.external_crls).cloned());
    // The internal CAs always have their CRL here; an external CA may come
    // without one, and rustls would otherwise refuse every certificate it
    // issued as of unknown status.
    if !m.client_roots.is_empty() || !m.external_roots.is_empty() {
        builder = builder.allow_unknown_revocation_status();
    }
    let verifier = builder.build().map_err(|e| TlsError::Verifier(e.to_string()))?;
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
    /// The internal CAs' verifier, built with `current` (see [`LiveTls::issued_internally`]).
    internal: ArcSwap<Arc<dyn ClientCertVerifier>>,
    /// What `current` was built from, so one part (the CRLs) can change.
    material: std::sync::Mutex<TlsMaterial>,
}

impl LiveTls {
    pub fn new(m: &TlsMaterial) -> Result<LiveTls, TlsError> {
        Ok(LiveTls {
            current: ArcSwap::new(server_config(m)?),
            internal: ArcSwap::from_pointee(internal_verifier(m)?),
            material: std::sync::Mutex::new(m.clone()),
        })
    }

    /// Whether a verified client chain (end entity first) was issued by an
    /// internal CA and is not revoked: what an admin identity needs.
    pub fn issued_internally(&self, chain: &[CertificateDer<'static>]) -> bool {
        let Some((end, rest)) = chain.split_first() else { return false };
        self.internal.load().verify_client_cert(end, rest, rustls::pki_types::UnixTime::now()).is_ok()
    }

    fn install(&self, m: &TlsMaterial) -> Result<(), TlsError> {
        let cfg = server_config(m)?;
        let internal = internal_verifier(m)?;
        self.current.store(cfg);
        self.internal.store(Arc::new(internal));
        Ok(())
    }

    /// The configuration for the next handshake.
    pub fn current(&self) -> Arc<rustls::ServerConfig> {
        self.current.load_full()
    }

    /// Replaces the configuration (new CRLs or roots) for later handshakes.
    pub fn replace(&self, m: &TlsMaterial) -> Result<(), TlsError> {
        let mut held = self.material.lock().unwrap_or_else(|p| p.into_inner());
        self.install(m)?;
        *held = m.clone();
        Ok(())
    }

    /// Replaces the internal CAs, the external client CAs and the CRLs (a
    /// revocation, a rotation, a trust change):
    /// the next handshake refuses a certificate they list and accepts one
    /// of a new CA. Material rustls refuses leaves the old configuration in
    /// place and says why.
    pub fn replace_internal(
        &self,
        internal_roots: Vec<CertificateDer<'static>>,
        crls: Vec<CertificateRevocationListDer<'static>>,
        external_roots: Vec<CertificateDer<'static>>,
        external_crls: Vec<CertificateRevocationListDer<'static>>,
    ) -> Result<(), TlsError> {
        let mut held = self.material.lock().unwrap_or_else(|p| p.into_inner());
        let mut m = held.clone();
        m.internal_roots = internal_roots;
        m.crls = crls;
        m.external_roots = external_roots;
        m.external_crls = external_crls;
        self.install(&m)?;
        *held = m;
        Ok(())
    }
}

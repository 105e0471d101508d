//! The gateway's configuration: embedded defaults, then a TOML file, then
//! environment variables (`VANTHU_*`), then command-line flags. README.md
//! lists every option; this is the one place they are read.

use serde::Deserialize;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("config file {path}: {message}")]
    Parse { path: String, message: String },
    #[error("environment variable {name}: {message}")]
    Env { name: String, message: String },
    #[error("unsupported database URL {0:?} (this build supports sqlite:PATH)")]
    Database(String),
}

/// Every size and time limit of the gateway.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest PDF (or attachment) accepted, bytes.
    pub max_document_bytes: u64,
    /// Largest JSON header, bytes.
    pub max_header_bytes: u64,
    /// Most attachments per document.
    pub max_attachments: u32,
    /// TLS handshake must finish within this, milliseconds.
    pub handshake_timeout_ms: u64,
    /// Request headers must arrive within this, milliseconds.
    pub header_read_timeout_ms: u64,
    /// Each chunk of a request body must arrive within this, milliseconds.
    pub body_read_timeout_ms: u64,
    /// Most connections served at once; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// Largest page of an inbox or outbox listing.
    pub max_page: u32,
    /// Wrong PINs in a row after which a person whose key vanthu holds is
    /// locked until an administrator unlocks them.
    pub max_pin_attempts: u32,
    /// How long a document prepared for a token signature waits for its
    /// signature, seconds.
    pub prepared_ttl_secs: u64,
    /// Most documents one unit may have waiting for a token signature.
    pub max_prepared_per_unit: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_document_bytes: 100 << 20,
            max_header_bytes: 64 << 10,
            max_attachments: 20,
            handshake_timeout_ms: 10_000,
            header_read_timeout_ms: 10_000,
            body_read_timeout_ms: 30_000,
            max_connections: 1024,
            max_page: 500,
            max_pin_attempts: 5,
            prepared_ttl_secs: 900,
            max_prepared_per_unit: 20,
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTPS API listens on (client certificates required).
    pub listen: String,
    /// Address of the plain-HTTP listener for `/healthz` and the CRL
    /// download (`/crl/{ca}.crl`); empty to disable.
    pub public_listen: String,
    /// The data directory: database, document store, PKI, directory.
    pub data: PathBuf,
    /// `sqlite:PATH`; default `sqlite:<data>/vanthu.db`.
    pub database_url: Option<String>,
    /// Host names and IP addresses in the server certificate made at init.
    pub server_names: Vec<String>,
    /// Extra trust anchors (PEM) for document signatures.
    pub trust: Vec<PathBuf>,
    /// CRLs (DER or PEM) for document signatures.
    pub crls: Vec<PathBuf>,
    /// Whether certificates of the internal CA count for document signatures.
    pub trust_internal_ca: bool,
    /// Extra CAs (PEM) whose certificates may authenticate units.
    pub client_ca: Vec<PathBuf>,
    /// The directory file; default `<data>/directory.json` (the sample, made at init).
    pub directory: Option<PathBuf>,
    /// Organ ids of the units whose organisation key vanthu holds and applies.
    pub org_keys: Vec<String>,
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8443".into(),
            public_listen: "127.0.0.1:8080".into(),
            data: PathBuf::from("vanthu-data"),
            database_url: None,
            server_names: vec!["localhost".into(), "127.0.0.1".into()],
            trust: Vec::new(),
            crls: Vec::new(),
            trust_internal_ca: true,
            client_ca: Vec::new(),
            directory: None,
            org_keys: Vec::new(),
            limits: Limits::default(),
        }
    }
}

impl Config {
    /// Defaults, then `file` if given, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let mut c = match file {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|source| ConfigError::Read { path: p.display().to_string(), source })?;
                toml::from_str(&text)
                    .map_err(|e| ConfigError::Parse { path: p.display().to_string(), message: e.to_string() })?
            }
            None => Config::default(),
        };
        c.apply_env(|k| std::env::var(k).ok())?;
        Ok(c)
    }

    /// Environment overrides, one variable per option (lists are
    /// comma-separated).
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn num<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, ConfigError> {
            v.trim()
                .parse()
                .map_err(|_| ConfigError::Env { name: name.into(), message: format!("not a number: {v:?}") })
        }
        let list = |v: &str| -> Vec<String> {
            v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
        };
        if let Some(v) = get("VANTHU_LISTEN") {
            self.listen = v;
        }
        if let Some(v) = get("VANTHU_PUBLIC_LISTEN") {
            self.public_listen = v;
        }
        if let Some(v) = get("VANTHU_DATA") {
            self.data = v.into();
        }
        if let Some(v) = get("VANTHU_DATABASE_URL") {
            self.database_url = Some(v);
        }
        if let Some(v) = get("VANTHU_SERVER_NAMES") {
            self.server_names = list(&v);
        }
        if let Some(v) = get("VANTHU_TRUST") {
            self.trust = list(&v).into_iter().map(PathBuf::from).collect();
        }
        if let Some(v) = get("VANTHU_CRLS") {
            self.crls = list(&v).into_iter().map(PathBuf::from).collect();
        }
        if let Some(v) = get("VANTHU_TRUST_INTERNAL_CA") {
            self.trust_internal_ca = matches!(v.trim(), "1" | "true" | "yes");
        }
        if let Some(v) = get("VANTHU_CLIENT_CA") {
            self.client_ca = list(&v).into_iter().map(PathBuf::from).collect();
        }
        if let Some(v) = get("VANTHU_DIRECTORY") {
            self.directory = Some(v.into());
        }
        if let Some(v) = get("VANTHU_ORG_KEYS") {
            self.org_keys = list(&v);
        }
        let l = &mut self.limits;
        for (name, slot) in [
            ("VANTHU_MAX_DOCUMENT_BYTES", &mut l.max_document_bytes),
            ("VANTHU_MAX_HEADER_BYTES", &mut l.max_header_bytes),
            ("VANTHU_HANDSHAKE_TIMEOUT_MS", &mut l.handshake_timeout_ms),
            ("VANTHU_HEADER_READ_TIMEOUT_MS", &mut l.header_read_timeout_ms),
            ("VANTHU_BODY_READ_TIMEOUT_MS", &mut l.body_read_timeout_ms),
            ("VANTHU_PREPARED_TTL_SECS", &mut l.prepared_ttl_secs),
        ] {
            if let Some(v) = get(name) {
                *slot = num(name, &v)?;
            }
        }
        if let Some(v) = get("VANTHU_MAX_ATTACHMENTS") {
            l.max_attachments = num("VANTHU_MAX_ATTACHMENTS", &v)?;
        }
        for (name, slot) in [
            ("VANTHU_MAX_PIN_ATTEMPTS", &mut l.max_pin_attempts),
            ("VANTHU_MAX_PREPARED_PER_UNIT", &mut l.max_prepared_per_unit),
        ] {
            if let Some(v) = get(name) {
                *slot = num(name, &v)?;
            }
        }
        if let Some(v) = get("VANTHU_MAX_CONNECTIONS") {
            l.max_connections = num("VANTHU_MAX_CONNECTIONS", &v)?;
        }
        Ok(())
    }

    /// The SQLite database file.
    pub fn database_path(&self) -> Result<PathBuf, ConfigError> {
        match &self.database_url {
            None => Ok(self.data.join("vanthu.db")),
            Some(u) => u
                .strip_prefix("sqlite://")
                .or_else(|| u.strip_prefix("sqlite:"))
                .filter(|p| !p.is_empty())
                .map(PathBuf::from)
                .ok_or_else(|| ConfigError::Database(u.clone())),
        }
    }

    pub fn directory_path(&self) -> PathBuf {
        self.directory.clone().unwrap_or_else(|| self.data.join("directory.json"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment_override_defaults() {
        let mut c: Config = toml::from_str("listen = \"0.0.0.0:9000\"\n[limits]\nmax_document_bytes = 10\n").unwrap();
        assert_eq!(c.listen, "0.0.0.0:9000");
        assert_eq!(c.limits.max_document_bytes, 10);
        assert_eq!(c.limits.max_attachments, Limits::default().max_attachments);
        c.apply_env(|k| (k == "VANTHU_MAX_DOCUMENT_BYTES").then(|| "2048".to_string())).unwrap();
        assert_eq!(c.limits.max_document_bytes, 2048);
        assert!(c.apply_env(|k| (k == "VANTHU_MAX_ATTACHMENTS").then(|| "many".to_string())).is_err());
        assert!(toml::from_str::<Config>("lisen = 1").is_err(), "unknown keys are refused");
    }
}

//! The data directory: where the gateway keeps its database, its document
//! store, its PKI and its directory, laid out in one place.
//!
//! ```text
//! <data>/vanthu.db                      SQLite (unless database_url says otherwise)
//! <data>/blobs/                         document store, content-addressed
//! <data>/directory.json                 units, groups, aliases (the sample at init)
//! <data>/pki/ca.cert.pem, ca.key.pem    the internal CA
//! <data>/pki/crl.der, crl.number        its current CRL
//! <data>/pki/server.*, tsa.*, receipts.*
//! <data>/pki/org/<organ id>.{cert,key}.pem, .seal.png   organisation keys vanthu applies
//! <data>/clients/<name>/{cert,key,ca}.pem               client certificates issued at init
//! <data>/sample/notice-610.{pdf,header.json}            the sample notice, signed by its signer
//! ```
//!
//! Keys are written with mode 0600. The keys vanthu uses itself (CA,
//! server, TSA, receipts, organisation keys) are sealed under the master
//! secret ([`crate::pki::keystore`]); the secret is never inside the data
//! directory: `VANTHU_MASTER_KEY_FILE` (a path), `VANTHU_MASTER_KEY`, or
//! else `<data>.master-key` beside it, which `init` generates when no secret
//! is given. Keys handed out (clients/*/key.pem, sample/signer.key.pem) are
//! their holders' and stay plain PEM.

use crate::config::Config;
use crate::directory::{Directory, OrganId, UnitKind};
use crate::pki::ca::{Identity, InternalCa, Issued, Profile};
use crate::pki::keystore::{KeystoreError, MasterKey};
use std::path::{Path, PathBuf};
use thiserror::Error;
use time::OffsetDateTime;

#[derive(Debug, Error)]
pub enum DataDirError {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{0}")]
    Ca(#[from] crate::pki::ca::CaError),
    #[error("directory: {0}")]
    Directory(#[from] crate::directory::DirectoryError),
    #[error("{0}")]
    Sign(#[from] crate::sign::SignError),
    #[error("{0}")]
    Key(#[from] crate::pki::keys::KeyError),
    #[error("{0}")]
    Tsa(#[from] crate::cms::tsa::TsaError),
    #[error("{path} is not initialised (run `vanthu init`, or `vanthu serve` which initialises on first start)")]
    NotInitialised { path: String },
    #[error("unit {0} is not in the directory")]
    UnknownUnit(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Keystore(#[from] KeystoreError),
    #[error(
        "{file} is encrypted and no master secret was found: set {MASTER_KEY_FILE_VAR} (a path) or {MASTER_KEY_VAR}, or restore {default}"
    )]
    NoMasterKey { file: String, default: String },
    #[error("{var}: {path} is inside the data directory; keep the master secret elsewhere")]
    MasterKeyInside { var: &'static str, path: String },
}

/// The variable naming a file that holds the master secret.
pub const MASTER_KEY_FILE_VAR: &str = "VANTHU_MASTER_KEY_FILE";
/// The variable holding the master secret itself.
pub const MASTER_KEY_VAR: &str = "VANTHU_MASTER_KEY";

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DataDirError + '_ {
    move |source| DataDirError::Io { path: path.display().to_string(), source }
}

/// The sample notice (generated from seed 004 by tests/support/make_sample.py).
pub const SAMPLE_PDF: &[u8] = include_bytes!("../certs/dev/sample.pdf");
/// A handwritten signature (blue, transparent).
pub const SIGNATURE_PNG: &[u8] = include_bytes!("../certs/dev/signature.png");
/// A seal (red, transparent).
pub const SEAL_PNG: &[u8] = include_bytes!("../certs/dev/seal.png");

/// Paths inside a data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    pub root: PathBuf,
}

impl DataDir {
    pub fn new(root: &Path) -> DataDir {
        DataDir { root: root.to_path_buf() }
    }
    pub fn pki(&self, name: &str) -> PathBuf {
        self.root.join("pki").join(name)
    }
    pub fn org_dir(&self) -> PathBuf {
        self.root.join("pki").join("org")
    }
    pub fn client_dir(&self, name: &str) -> PathBuf {
        self.root.join("clients").join(name)
    }
    pub fn blobs(&self) -> PathBuf {
        self.root.join("blobs")
    }
    pub fn sample(&self, name: &str) -> PathBuf {
        self.root.join("sample").join(name)
    }
    pub fn is_initialised(&self) -> bool {
        self.pki("ca.key.pem").is_file()
    }

    pub fn read(&self, path: &Path) -> Result<Vec<u8>, DataDirError> {
        std::fs::read(path).map_err(io(path))
    }

    pub fn read_text(&self, path: &Path) -> Result<String, DataDirError> {
        std::fs::read_to_string(path).map_err(io(path))
    }

    /// Where `init` puts a generated master secret: beside the data
    /// directory (`./vanthu-data` → `./vanthu-data.master-key`), so a copy
    /// of the directory alone carries no usable key.
    pub fn default_master_key_path(&self) -> PathBuf {
        // `--data .` has no name of its own: use the directory's real name.
        let root = match self.root.file_name() {
            Some(_) => self.root.clone(),
            None => self.root.canonicalize().unwrap_or_else(|_| self.root.clone()),
        };
        let name = root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "vanthu-data".into());
        root.with_file_name(format!("{name}.master-key"))
    }

    /// The master secret: `VANTHU_MASTER_KEY_FILE`, else `VANTHU_MASTER_KEY`,
    /// else the default file if it exists; `None` if there is none.
    pub fn master_key(&self) -> Result<Option<MasterKey>, DataDirError> {
        if let Some(p) = std::env::var_os(MASTER_KEY_FILE_VAR).filter(|v| !v.is_empty()) {
            let path = PathBuf::from(p);
            self.outside(MASTER_KEY_FILE_VAR, &path)?;
            return Ok(Some(MasterKey::from_text(&self.read_text(&path)?)?));
        }
        if let Some(v) = std::env::var(MASTER_KEY_VAR).ok().filter(|v| !v.is_empty()) {
            return Ok(Some(MasterKey::from_text(&v)?));
        }
        let path = self.default_master_key_path();
        if path.is_file() {
            return Ok(Some(MasterKey::from_text(&self.read_text(&path)?)?));
        }
        Ok(None)
    }

    /// A secret stored inside the directory it protects protects nothing.
    pub(crate) fn outside(&self, var: &'static str, path: &Path) -> Result<(), DataDirError> {
        let (Ok(file), Ok(root)) = (path.canonicalize(), self.root.canonicalize()) else { return Ok(()) };
        if file.starts_with(&root) {
            return Err(DataDirError::MasterKeyInside { var, path: path.display().to_string() });
        }
        Ok(())
    }

    /// The master secret, or the error that says how to give it.
    pub fn require_master_key(&self, for_file: &Path) -> Result<MasterKey, DataDirError> {
        self.master_key()?.ok_or_else(|| DataDirError::NoMasterKey {
            file: for_file.display().to_string(),
            default: self.default_master_key_path().display().to_string(),
        })
    }

    /// A key file's place in the data directory (`pki/tsa.key.pem`), bound
    /// to its sealed content so files cannot be swapped.
    pub(crate) fn place(&self, path: &Path) -> String {
        let rel = path.strip_prefix(&self.root).unwrap_or(path);
        rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
    }

    /// Reads a private key vanthu holds, as PEM: a sealed file is opened
    /// with the master secret; a plain PEM file (a data directory from
    /// before sealing) is read as it is.
    pub fn read_key(&self, path: &Path) -> Result<String, DataDirError> {
        let data = self.read(path)?;
        if !crate::pki::keystore::is_sealed(&data) {
            return String::from_utf8(data)
                .map_err(|_| DataDirError::Invalid(format!("{}: not UTF-8", path.display())));
        }
        let master = self.require_master_key(path)?;
        let plain = master.open(&self.place(path), &data, &path.display().to_string())?;
        String::from_utf8(plain).map_err(|_| DataDirError::Invalid(format!("{}: not UTF-8", path.display())))
    }

    /// Writes a private key vanthu holds, sealed under `master` (mode 0600).
    pub fn write_key(&self, master: &MasterKey, path: &Path, pem: &str) -> Result<(), DataDirError> {
        let sealed = master.seal(&self.place(path), pem.as_bytes())?;
        write_file(path, sealed.as_bytes(), true)
    }

    /// Loads the internal CA.
    pub fn ca(&self) -> Result<InternalCa, DataDirError> {
        if !self.is_initialised() {
            return Err(DataDirError::NotInitialised { path: self.root.display().to_string() });
        }
        Ok(InternalCa::load(&self.read_text(&self.pki("ca.cert.pem"))?, &self.read_key(&self.pki("ca.key.pem"))?)?)
    }
}

/// Writes `data` to `path` atomically (temp, fsync, rename); keys get 0600.
pub fn write_file(path: &Path, data: &[u8], secret: bool) -> Result<(), DataDirError> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let tmp = path.with_extension("partial");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(if secret { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut f = opts.open(&tmp).map_err(io(&tmp))?;
    f.write_all(data).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// Writes a certificate and its key, sealed under `master`.
fn write_pair(dd: &DataDir, master: &MasterKey, dir: &Path, stem: &str, issued: &Issued) -> Result<(), DataDirError> {
    write_file(&dir.join(format!("{stem}.cert.pem")), issued.cert_pem.as_bytes(), false)?;
    dd.write_key(master, &dir.join(format!("{stem}.key.pem")), &issued.key_pem)
}

/// Issues a client certificate into `out` as cert.pem, key.pem and ca.pem.
pub fn issue_client(
    ca: &InternalCa,
    identity: Identity,
    display_name: &str,
    out: &Path,
) -> Result<Issued, DataDirError> {
    let issued =
        ca.issue(&Profile::Client { identity, display_name: display_name.to_string() }, OffsetDateTime::now_utc())?;
    write_file(&out.join("cert.pem"), issued.cert_pem.as_bytes(), false)?;
    write_file(&out.join("key.pem"), issued.key_pem.as_bytes(), true)?;
    write_file(&out.join("ca.pem"), ca.cert_pem().as_bytes(), false)?;
    Ok(issued)
}

/// What `init` made, for the message it prints.
pub struct InitSummary {
    pub created: bool,
    /// Every certificate made, `(kind, DER)`, for the registry
    /// ([`crate::admin::init`] registers them).
    pub issued: Vec<(&'static str, Vec<u8>)>,
    pub clients: Vec<(String, PathBuf)>,
    pub department: String,
    /// The master secret file `init` generated (none was given).
    pub master_key_created: Option<PathBuf>,
}

/// Creates everything the embedded default needs, unless it exists.
pub fn init(cfg: &Config) -> Result<InitSummary, DataDirError> {
    let dd = DataDir::new(&cfg.data);
    let department = crate::directory::sample::DEPARTMENT.to_string();
    if dd.is_initialised() {
        return Ok(InitSummary {
            created: false,
            issued: Vec::new(),
            clients: existing_clients(&dd),
            department,
            master_key_created: None,
        });
    }
    std::fs::create_dir_all(&dd.root).map_err(io(&dd.root))?;
    // The master secret before any key: the given one, or a new one in the
    // default file beside the directory (never inside it).
    let (master, master_key_created) = match dd.master_key()? {
        Some(m) => (m, None),
        None => {
            let (m, text) = MasterKey::generate()?;
            let path = dd.default_master_key_path();
            write_file(&path, text.as_bytes(), true)?;
            (m, Some(path))
        }
    };
    let now = OffsetDateTime::now_utc();
    let (ca, ca_key) = InternalCa::create("vanthu internal CA", now)?;

    // The directory first: the certificates name its units.
    let dir_path = cfg.directory_path();
    let directory = if dir_path.is_file() {
        Directory::from_json(&dd.read(&dir_path)?)?
    } else {
        let d = crate::directory::sample::hcmc();
        write_file(&dir_path, &d.to_json()?, false)?;
        d
    };

    let pki = dd.root.join("pki");
    let mut issued: Vec<(&'static str, Vec<u8>)> = Vec::new();
    let server = ca.issue(&Profile::Server { names: cfg.server_names.clone() }, now)?;
    write_pair(&dd, &master, &pki, "server", &server)?;
    issued.push(("server", server.cert_der));
    let tsa = ca.issue(&Profile::Tsa, now)?;
    write_pair(&dd, &master, &pki, "tsa", &tsa)?;
    issued.push(("tsa", tsa.cert_der.clone()));
    let receipts = ca.issue(&Profile::Receipts, now)?;
    write_pair(&dd, &master, &pki, "receipts", &receipts)?;
    issued.push(("receipts", receipts.cert_der));

    // Organisation keys: the Department's (and any unit the config names).
    let mut orgs: Vec<String> = vec![department.clone()];
    orgs.extend(cfg.org_keys.iter().filter(|o| **o != department).cloned());
    let mut orgs_issued = Vec::new();
    for organ in &orgs {
        let id = OrganId::parse(organ).map_err(|e| DataDirError::Invalid(e.to_string()))?;
        let unit = directory.unit(&id).ok_or_else(|| DataDirError::UnknownUnit(organ.clone()))?;
        let issued = ca.issue(&Profile::Organisation { organ_id: organ.clone(), name: unit.name.clone() }, now)?;
        write_pair(&dd, &master, &dd.org_dir(), organ, &issued)?;
        write_file(&dd.org_dir().join(format!("{organ}.seal.png")), SEAL_PNG, false)?;
        orgs_issued.push(("organisation", issued.cert_der));
    }

    // Client certificates: an admin, the Department, and a few sample units.
    issued.extend(orgs_issued);
    let mut clients = Vec::new();
    let admin = dd.client_dir("admin");
    issued.push(("client", issue_client(&ca, Identity::Admin("admin".into()), "vanthu admin", &admin)?.cert_der));
    clients.push(("admin".to_string(), admin));
    for unit in sample_units(&directory) {
        let out = dd.client_dir(unit.0.as_str());
        let cert = issue_client(&ca, Identity::Unit(unit.0.as_str().to_string()), &unit.1, &out)?;
        issued.push(("client", cert.cert_der));
        clients.push((format!("{} ({})", unit.0.as_str(), unit.1), out));
    }

    // The sample notice, signed by its signer with a person certificate of
    // the internal CA, and its header.
    let dept_id = OrganId::parse(&department).map_err(|e| DataDirError::Invalid(e.to_string()))?;
    let dept_name = directory.unit(&dept_id).map(|u| u.name.clone()).unwrap_or_default();
    let person = ca.issue(
        &Profile::Person {
            name: "Hồ Tấn Minh".into(),
            position: "Chánh Văn phòng".into(),
            organ_id: department.clone(),
            unit: dept_name,
        },
        now,
    )?;
    // The sample signer's key is handed to the user (to try `vanthu sign`),
    // like a client key: plain PEM.
    write_file(&dd.sample("signer.cert.pem"), person.cert_pem.as_bytes(), false)?;
    write_file(&dd.sample("signer.key.pem"), person.key_pem.as_bytes(), true)?;
    issued.push(("person", person.cert_der.clone()));
    let key = crate::pki::keys::LocalKey::from_pem(person.key_pem.as_bytes())?;
    let tsa_key = crate::pki::keys::LocalKey::from_pem(tsa.key_pem.as_bytes())?;
    let local_tsa = crate::cms::tsa::LocalTsa::new(Box::new(tsa_key), tsa.cert_der.clone(), Vec::new())?;
    let creds = crate::sign::Credentials { cert: person.cert_der.clone(), chain: Vec::new() };
    // Placed as a clerk would: the signature image between "CHÁNH VĂN
    // PHÒNG" and the signer's name (Decree 30 placement by the page's text).
    let placed = crate::sign::placement::visible(
        crate::sign::appearance::Role::Person,
        Some(SIGNATURE_PNG.to_vec()),
        None,
        &crate::sign::placement::Placing::default(),
        SAMPLE_PDF,
        &person.cert_der,
    )
    .map_err(|e| DataDirError::Invalid(format!("placing the sample signature: {e}")))?;
    let opts = crate::sign::SignOptions {
        field: Some("Người ký".into()),
        page: placed.page,
        visible: Some(placed.visible),
        ..crate::sign::SignOptions::default()
    };
    let signed = crate::sign::sign(SAMPLE_PDF, &key, &creds, Some(&local_tsa), &opts)?;
    let mut pdf = SAMPLE_PDF.to_vec();
    pdf.extend_from_slice(&signed.tail);
    write_file(&dd.sample("notice-610.pdf"), &pdf, false)?;
    write_file(&dd.sample("notice-610.header.json"), sample_header(&department).as_bytes(), false)?;

    let crl = ca.crl(&[], 1, now, time::Duration::days(7))?;
    write_file(&dd.pki("crl.der"), &crl, false)?;
    write_file(&dd.pki("crl.number"), b"1", false)?;
    // The CA key last: its presence marks the directory as initialised.
    write_file(&dd.pki("ca.cert.pem"), ca.cert_pem().as_bytes(), false)?;
    dd.write_key(&master, &dd.pki("ca.key.pem"), &ca_key)?;
    Ok(InitSummary { created: true, issued, clients, department, master_key_created })
}

/// The units that get a client certificate at init: the Department, one
/// public high school, one district education office.
fn sample_units(d: &Directory) -> Vec<(OrganId, String)> {
    let mut out = Vec::new();
    let mut want = vec![UnitKind::Department, UnitKind::HighSchool, UnitKind::DistrictEducationOffice];
    for u in d.units() {
        if let Some(pos) = want.iter().position(|k| *k == u.kind) {
            want.remove(pos);
            out.push((u.id.clone(), u.name.clone()));
        }
    }
    out
}

fn existing_clients(dd: &DataDir) -> Vec<(String, PathBuf)> {
    let mut v = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dd.root.join("clients")) {
        for e in entries.flatten() {
            v.push((e.file_name().to_string_lossy().into_owned(), e.path()));
        }
    }
    v.sort();
    v
}

/// The header of the sample notice (seed 004), as a unit would send it.
pub fn sample_header(department: &str) -> String {
    serde_json::json!({
        "from": department,
        "to": [],
        "code": {"number": 610, "notation": "TB-SGDĐT"},
        "promulgation": {"place": "Thành phố Hồ Chí Minh", "date": "2022-03-08"},
        "document_type": "Thông báo",
        "subject": "Kết luận và chỉ đạo của Giám đốc Sở Giáo dục và Đào tạo tại Hội nghị Giao ban chuyên môn năm học 2021-2022",
        "signer": {"competence": "TL. GIÁM ĐỐC", "position": "CHÁNH VĂN PHÒNG", "full_name": "Hồ Tấn Minh"},
        "to_places": [
            "UBND thành phố Thủ Đức và các quận, huyện;",
            "BTV, BGĐ Sở GD&ĐT, BTV Công đoàn GD Thành phố;",
            "Trưởng các Phòng thuộc Sở;",
            "Trưởng Phòng GD&ĐT tp. Thủ Đức và các Q/H;",
            "Hiệu trưởng các Trường THPT, trường phổ thông có nhiều cấp học (có cấp THPT);",
            "Giám đốc các TT.GDNN-GDTX;",
            "Thủ trưởng các đơn vị trực thuộc;",
            "Lưu: VT, VP (M-H)."
        ],
        "priority": "thường",
        "business_type": "new"
    })
    .to_string()
}

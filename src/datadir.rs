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
//! Keys are written with mode 0600. (Encryption at rest under a master
//! secret comes with the administration work.)

use crate::config::Config;
use crate::directory::{Directory, OrganId, UnitKind};
use crate::pki::ca::{Identity, InternalCa, Issued, Profile};
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
}

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

    /// Loads the internal CA.
    pub fn ca(&self) -> Result<InternalCa, DataDirError> {
        if !self.is_initialised() {
            return Err(DataDirError::NotInitialised { path: self.root.display().to_string() });
        }
        Ok(InternalCa::load(&self.read_text(&self.pki("ca.cert.pem"))?, &self.read_text(&self.pki("ca.key.pem"))?)?)
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

fn write_pair(dir: &Path, stem: &str, issued: &Issued) -> Result<(), DataDirError> {
    write_file(&dir.join(format!("{stem}.cert.pem")), issued.cert_pem.as_bytes(), false)?;
    write_file(&dir.join(format!("{stem}.key.pem")), issued.key_pem.as_bytes(), true)
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
}

/// Creates everything the embedded default needs, unless it exists.
pub fn init(cfg: &Config) -> Result<InitSummary, DataDirError> {
    let dd = DataDir::new(&cfg.data);
    let department = crate::directory::sample::DEPARTMENT.to_string();
    if dd.is_initialised() {
        return Ok(InitSummary { created: false, issued: Vec::new(), clients: existing_clients(&dd), department });
    }
    std::fs::create_dir_all(&dd.root).map_err(io(&dd.root))?;
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
    write_pair(&pki, "server", &server)?;
    issued.push(("server", server.cert_der));
    let tsa = ca.issue(&Profile::Tsa, now)?;
    write_pair(&pki, "tsa", &tsa)?;
    issued.push(("tsa", tsa.cert_der.clone()));
    let receipts = ca.issue(&Profile::Receipts, now)?;
    write_pair(&pki, "receipts", &receipts)?;
    issued.push(("receipts", receipts.cert_der));

    // Organisation keys: the Department's (and any unit the config names).
    let mut orgs: Vec<String> = vec![department.clone()];
    orgs.extend(cfg.org_keys.iter().filter(|o| **o != department).cloned());
    let mut orgs_issued = Vec::new();
    for organ in &orgs {
        let id = OrganId::parse(organ).map_err(|e| DataDirError::Invalid(e.to_string()))?;
        let unit = directory.unit(&id).ok_or_else(|| DataDirError::UnknownUnit(organ.clone()))?;
        let issued = ca.issue(&Profile::Organisation { organ_id: organ.clone(), name: unit.name.clone() }, now)?;
        write_pair(&dd.org_dir(), organ, &issued)?;
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
    write_pair(&dd.root.join("sample"), "signer", &person)?;
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
    write_file(&dd.pki("ca.key.pem"), ca_key.as_bytes(), true)?;
    Ok(InitSummary { created: true, issued, clients, department })
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

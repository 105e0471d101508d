//! The crate's shape, checked so it cannot rot: the foundation modules
//! (`asn1`, `pki`, `cms`, `pdf`, `text`) import nothing from the modules
//! built on them (nor `pki` from `cms`), the core does no network or
//! database I/O (sockets live in `http` and `clients`), and `lib.rs`'s map
//! names every module.
//!
//! The checks read the source as text, so they see what a reviewer sees: a
//! `use crate::verify::...` in `pki` fails here before it fails in review.

use std::path::{Path, PathBuf};

/// The foundation, bottom up, and what each may import from the crate
/// besides itself. Anything else — `verify`, `sign`, `exchange`, `http`, a
/// module added tomorrow — is above it. `cms` verifies certificates, so it
/// may use `pki`; `pki` may not use `cms`.
const FOUNDATION: &[(&str, &[&str])] =
    &[("asn1", &[]), ("pki", &["asn1"]), ("cms", &["asn1", "pki"]), ("pdf", &["asn1"]), ("text", &["asn1", "pdf"])];

/// Modules that must not touch a socket or a database.
const CORE: &[&str] = &["asn1", "pki", "cms", "pdf", "text", "verify", "sign"];

/// What network or database I/O looks like in Rust source: the socket
/// types and name resolution (`std::net`'s address types are plain values,
/// a certificate's IP address SAN uses them), async sockets, HTTP clients,
/// the database.
const IO_MARKERS: &[&str] = &[
    "ToSocketAddrs",
    "tokio::net",
    "TcpStream",
    "TcpListener",
    "UdpSocket",
    "UnixStream",
    "UnixListener",
    "hyper::client",
    "hyper_util::client",
    "reqwest",
    "ureq",
    "rusqlite",
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file of a module: `src/<m>.rs` or everything under `src/<m>/`.
fn module_files(module: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let file = src().join(format!("{module}.rs"));
    if file.is_file() {
        out.push(file);
    }
    let mut dirs = vec![src().join(module)];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    out
}

/// The source without comments (doc comments included: they may name an
/// upper module in a link without importing it).
fn code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let block = |b: usize, rest: &mut &str, out: &mut String| {
            out.push_str(&rest[..b]);
            *rest = rest[b..].find("*/").map_or("", |e| &rest[b + e + 2..]);
        };
        match (rest.find("//"), rest.find("/*")) {
            (Some(l), Some(b)) if b < l => block(b, &mut rest, &mut out),
            (Some(l), _) => {
                out.push_str(&rest[..l]);
                rest = rest[l..].find('\n').map_or("", |n| &rest[l + n..]);
            }
            (None, Some(b)) => block(b, &mut rest, &mut out),
            (None, None) => {
                out.push_str(rest);
                rest = "";
            }
        }
    }
    out
}

/// The top-level modules named by `crate::` paths in `text`, grouped
/// imports (`use crate::{a, b::c}`) included.
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in code(text).lines().enumerate() {
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
                let inner = group.split('}').next().unwrap_or_default();
                inner.split(',').map(|p| p.trim().split("::").next().unwrap_or_default()).collect()
            } else {
                vec![rest.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or_default()]
            };
            found.extend(names.into_iter().filter(|s| !s.is_empty()).map(|s| (n + 1, s.to_string())));
        }
    }
    found
}

/// Imports in one file of `module` that its row of [`FOUNDATION`] does
/// not allow.
fn upward_imports(file: &str, module: &str, allowed: &[&str], text: &str) -> Vec<String> {
    crate_paths(text)
        .into_iter()
        .filter(|(_, m)| m != module && !allowed.contains(&m.as_str()))
        .map(|(line, m)| format!("{file}:{line} imports crate::{m}"))
        .collect()
}

/// Socket or database code in one core file.
fn io_code(file: &str, text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (n, line) in code(text).lines().enumerate() {
        for marker in IO_MARKERS {
            if line.contains(marker) {
                found.push(format!("{file}:{} uses {marker}", n + 1));
            }
        }
    }
    found
}

fn read(p: &Path) -> (String, String) {
    let name = p.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(p).display().to_string();
    (name, std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
}

#[test]
fn no_foundation_module_imports_from_a_module_above_it() {
    let mut bad = Vec::new();
    for (m, allowed) in FOUNDATION {
        let files = module_files(m);
        assert!(!files.is_empty(), "module {m} not found under src/");
        for f in files {
            let (name, text) = read(&f);
            bad.extend(upward_imports(&name, m, allowed, &text));
        }
    }
    assert!(bad.is_empty(), "foundation modules import from above:\n{}", bad.join("\n"));
}

#[test]
fn the_core_has_no_socket_or_database_code() {
    let mut bad = Vec::new();
    for m in CORE {
        for f in module_files(m) {
            let (name, text) = read(&f);
            bad.extend(io_code(&name, &text));
        }
    }
    assert!(bad.is_empty(), "network or database I/O in the core:\n{}", bad.join("\n"));
}

#[test]
fn the_crate_map_names_every_module() {
    let (_, lib) = read(&src().join("lib.rs"));
    let modules: Vec<&str> = lib.lines().filter_map(|l| l.trim().strip_prefix("pub mod ")?.strip_suffix(';')).collect();
    assert!(modules.len() > 10, "lib.rs declares {modules:?}");
    let described = |m: &str| lib.lines().any(|l| l.starts_with("//!") && l.contains(&format!("[`{m}`]")));
    let missing: Vec<&&str> = modules.iter().filter(|m| !described(m)).collect();
    assert!(missing.is_empty(), "lib.rs's map does not describe {missing:?}");
}

/// The checks above would see the faults they look for: without this, a
/// parser bug could make them pass on anything.
#[test]
fn the_checks_catch_what_they_look_for() {
    let upward = "use crate::pki::Cert;\nuse crate::{asn1, verify::report};\n  let t = crate::sign::x();";
    let found = upward_imports("src/cms/x.rs", "cms", &["asn1", "pki"], upward);
    assert_eq!(found, ["src/cms/x.rs:2 imports crate::verify", "src/cms/x.rs:3 imports crate::sign"]);
    let sideways = "use crate::cms::der;\nuse crate::pki::Cert;";
    assert_eq!(upward_imports("src/pki/x.rs", "pki", &["asn1"], sideways), ["src/pki/x.rs:1 imports crate::cms"]);
    let commented = "//! see [`crate::verify`]\n/* crate::http */ use crate::asn1;";
    assert!(upward_imports("x", "pki", &["asn1"], commented).is_empty());
    let io = "use std::net::{IpAddr, TcpStream};\n// a TcpStream in a comment\nlet s = TcpStream::connect(a);";
    assert_eq!(io_code("src/cms/x.rs", io), ["src/cms/x.rs:1 uses TcpStream", "src/cms/x.rs:3 uses TcpStream"]);
    assert!(io_code("x", "let ip: std::net::IpAddr = n.parse()?;").is_empty());
}

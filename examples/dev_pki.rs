//! Regenerates the development PKI in `certs/dev/` (test material only; never
//! a production key): `cargo run --example dev_pki`.

#[path = "../tests/common/pki.rs"]
#[allow(dead_code)]
mod pki;

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("certs/dev");
    let pki = pki::generate(&dir);
    println!("dev PKI written to {}", pki.dir.display());
}

//! The `vanthu` command line: parses arguments, calls the library, prints.

#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use vanthu::exit_code;
use vanthu::pki::TrustStore;
use vanthu::pki::crl::CrlSet;
use vanthu::verify::{self, Options};

#[derive(Parser)]
#[command(name = "vanthu", version, about = "Digital signatures for official documents: verify signed PDFs")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Verify every signature in a PDF (exit 0 valid, 1 not valid, 2 unusable input).
    Verify {
        /// PEM file of trust anchors (one or more certificates); repeatable.
        #[arg(long = "trust", value_name = "CERT.pem")]
        trust: Vec<PathBuf>,
        /// CRL in DER or PEM, used after its signature verifies; repeatable.
        #[arg(long = "crl", value_name = "FILE")]
        crl: Vec<PathBuf>,
        /// Validation time, RFC 3339 (default: now).
        #[arg(long = "at", value_name = "RFC3339")]
        at: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// The PDF to verify.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Verify { trust, crl, at, json, file } => run_verify(&trust, &crl, at.as_deref(), json, &file),
    };
    ExitCode::from(code as u8)
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn options(trust: &[PathBuf], crl: &[PathBuf], at: Option<&str>) -> Result<Options, String> {
    let mut opts = Options::default();
    let mut store = TrustStore::new();
    for p in trust {
        store.add_pem(&read(p)?, &p.display().to_string()).map_err(|e| e.to_string())?;
    }
    let mut crls = CrlSet::new();
    for p in crl {
        crls.add(&read(p)?, &p.display().to_string()).map_err(|e| e.to_string())?;
    }
    if let Some(at) = at {
        let t = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
            .map_err(|e| format!("--at {at}: not an RFC 3339 time ({e})"))?;
        opts.at = Some(t);
    }
    opts.trust = store;
    opts.crls = crls;
    Ok(opts)
}

fn run_verify(trust: &[PathBuf], crl: &[PathBuf], at: Option<&str>, json: bool, file: &Path) -> i32 {
    let opts = match options(trust, crl, at) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("vanthu: {e}");
            return exit_code::UNUSABLE;
        }
    };
    match verify::verify_file(file, &opts) {
        Ok(report) => {
            if json {
                println!("{}", report.to_json());
            } else {
                print!("{}", report.to_text());
            }
            if report.indication == verify::report::Indication::TotalPassed {
                exit_code::VALID
            } else {
                exit_code::INVALID
            }
        }
        Err(e) => {
            eprintln!("vanthu: {}: {e}", file.display());
            exit_code::UNUSABLE
        }
    }
}

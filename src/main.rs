//! The `vanthu` command line: parses arguments, calls the library, prints.
//! Exit codes are decided in one place ([`vanthu::exit_code`]).

#![forbid(unsafe_code)]

use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use vanthu::admin::Subject;
use vanthu::clients::tsa::HttpTsa;
use vanthu::cms::tsa::{LocalTsa, Timestamper};
use vanthu::exit_code;
use vanthu::pki::TrustStore;
use vanthu::pki::crl::CrlSet;
use vanthu::pki::keys::LocalKey;
use vanthu::pki::policy::RevocationPolicy;
use vanthu::sign::appearance::{self, Role};
use vanthu::sign::placement::{self, Placed, PlacementError, Placing};
use vanthu::sign::{self, Credentials, SignError, SignOptions};
use vanthu::text::{self, place};
use vanthu::verify::{self, Options};

#[derive(Parser)]
#[command(name = "vanthu", version, about = "Digital signatures for official documents: verify and sign PDFs")]
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
        /// Without current revocation data: soft passes with a warning, hard
        /// makes the signature INDETERMINATE (TRY_LATER or
        /// REVOCATION_OUT_OF_BOUNDS_NO_POE).
        #[arg(long, value_name = "soft|hard", default_value = "soft")]
        revocation: RevocationPolicy,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// The PDF to verify.
        file: PathBuf,
    },
    /// The main job on the embedded default: sign the sample notice as the head of
    /// office and then with the Department's organisation certificate (visible,
    /// timestamped), and verify it. Runs from any directory.
    Demo {
        /// Directory of the dev PKI and sample (default: the copy of certs/dev built
        /// into vanthu; certs/regenerate.sh makes a new one).
        #[arg(long, value_name = "DIR")]
        dev: Option<PathBuf>,
        /// Where to write the signed notice.
        #[arg(long, default_value = "target/vanthu-demo.pdf")]
        out: PathBuf,
    },
    /// Signed receipts of the document exchange.
    Receipt {
        #[command(subcommand)]
        action: ReceiptCommand,
    },
    /// Run the gateway: HTTPS API with mutual TLS, and /healthz and the CRL on plain HTTP.
    /// Initialises the data directory on first start (see `init`).
    Serve {
        #[command(flatten)]
        gw: GatewayArgs,
        /// Address of the HTTPS API (default 127.0.0.1:8443).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Address of the plain-HTTP listener for /healthz and /crl (default 127.0.0.1:8080).
        #[arg(long, value_name = "ADDR")]
        public_listen: Option<String>,
        /// PEM file of trust anchors for document signatures; repeatable.
        #[arg(long = "trust", value_name = "CERT.pem")]
        trust: Vec<PathBuf>,
        /// CRL (DER or PEM) for document signatures; repeatable.
        #[arg(long = "crl", value_name = "FILE")]
        crl: Vec<PathBuf>,
    },
    /// Create the data directory: internal CA, server/TSA/receipt certificates, the
    /// sample directory, organisation keys, client certificates and the sample notice.
    Init {
        #[command(flatten)]
        gw: GatewayArgs,
    },
    /// Certificates of the internal CA.
    Cert {
        #[command(subcommand)]
        cmd: CertCmd,
    },
    /// The internal CA itself.
    Ca {
        #[command(subcommand)]
        cmd: CaCmd,
    },
    /// The private keys vanthu holds, sealed under the master secret.
    Keys {
        #[command(subcommand)]
        cmd: KeysCmd,
    },
    /// The gateway's hash-chained audit log.
    Audit {
        #[command(subcommand)]
        cmd: AuditCmd,
    },
    /// People whose signing keys vanthu holds (remote signing with a PIN).
    Person {
        #[command(subcommand)]
        cmd: PersonCmd,
    },
    /// The directory of units and groups the gateway routes by.
    Directory {
        #[command(subcommand)]
        cmd: DirectoryCmd,
    },
    /// Read the header a document's own text shows: number, place and date, type,
    /// subject, signer block and "Nơi nhận" (exit 0 read, 2 unreadable; a field
    /// the text does not show is listed as missing).
    Inspect {
        /// Print the header as JSON.
        #[arg(long)]
        json: bool,
        /// The PDF to read.
        file: PathBuf,
    },
    /// Sign a PDF (PAdES, incremental update); `prepare`/`finish` for external tokens.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Sign {
        #[command(subcommand)]
        step: Option<Box<SignStep>>,
        #[command(flatten)]
        args: Box<SignArgs>,
    },
}

#[derive(Subcommand)]
enum ReceiptCommand {
    /// Verify receipts offline: one line per receipt (exit 0 all valid, 1 not, 2 unusable input).
    Verify {
        /// PEM file of trust anchors (vanthu's CA certificate); repeatable.
        #[arg(long = "trust", value_name = "CA.pem", required = true)]
        trust: Vec<PathBuf>,
        /// Validation time, RFC 3339 (default: now).
        #[arg(long = "at", value_name = "RFC3339")]
        at: Option<String>,
        /// A receipt JSON object, or a JSON array of them.
        file: PathBuf,
    },
}

#[derive(Args, Clone)]
struct GatewayArgs {
    /// TOML configuration file (every option is in README.md; VANTHU_* variables override it).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory (default ./vanthu-data).
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
}

#[derive(Subcommand)]
enum CertCmd {
    /// Issue a certificate from the internal CA: a unit's TLS client certificate
    /// (--unit), an admin's (--admin), a person's signing certificate (--person
    /// --position --unit) or an organisation's (--organisation --unit).
    Issue {
        #[command(flatten)]
        gw: GatewayArgs,
        /// The unit's organ id (e.g. 000.00.12.H29).
        #[arg(long, value_name = "ORGAN_ID", required_unless_present = "admin", conflicts_with = "admin")]
        unit: Option<String>,
        /// Issue an admin certificate with this name instead.
        #[arg(long, value_name = "NAME")]
        admin: Option<String>,
        /// A person's signing certificate (nonRepudiation + digitalSignature) for this name, of --unit.
        #[arg(long, value_name = "NAME", requires = "position", conflicts_with = "organisation")]
        person: Option<String>,
        /// The person's position (with --person).
        #[arg(long, value_name = "TEXT")]
        position: Option<String>,
        /// The organisation signing certificate (seal) of --unit.
        #[arg(long)]
        organisation: bool,
        /// Key to generate: p256 (default) or rsa2048.
        #[arg(long, value_name = "TYPE", conflicts_with = "csr")]
        key_type: Option<String>,
        /// Certify the key of this CSR (PEM) instead of generating one; no key.pem is written.
        #[arg(long, value_name = "FILE")]
        csr: Option<PathBuf>,
        /// Where to write cert.pem, key.pem and ca.pem.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Also write the key, the certificate and the CA as one PKCS#12 file (PBES2
        /// AES-256, SHA-256 MAC); its password from --p12-password-file or
        /// VANTHU_P12_PASSWORD (never on the command line). Not with --csr.
        #[arg(long, value_name = "FILE")]
        p12: Option<PathBuf>,
        /// File holding the PKCS#12 password (its first line).
        #[arg(long, value_name = "FILE", requires = "p12")]
        p12_password_file: Option<PathBuf>,
    },
    /// Revoke a certificate: the CRL is re-issued at once, and a running server
    /// refuses the certificate from its next handshake (it watches the CRL file).
    Revoke {
        #[command(flatten)]
        gw: GatewayArgs,
        /// The serial number in hex (as `cert list` or `openssl x509 -serial` prints it).
        #[arg(long, value_name = "HEX")]
        serial: String,
        /// RFC 5280 reason: keyCompromise, cACompromise, affiliationChanged, superseded,
        /// cessationOfOperation, privilegeWithdrawn, aACompromise or unspecified.
        #[arg(long)]
        reason: String,
    },
    /// List the certificates the internal CA issued, with status and expiry.
    List {
        #[command(flatten)]
        gw: GatewayArgs,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List the valid certificates that expire within N days.
    Expiring {
        #[command(flatten)]
        gw: GatewayArgs,
        #[arg(long, value_name = "N", default_value_t = 30)]
        days: u32,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum PersonCmd {
    /// Add a person: issues their signing certificate (nonRepudiation +
    /// digitalSignature) with a key vanthu generates and seals, and sets their PIN.
    Add {
        #[command(flatten)]
        gw: GatewayArgs,
        /// The organ id of the person's unit.
        #[arg(long, value_name = "ORGAN_ID")]
        unit: String,
        /// Full name, as signed (e.g. "Hồ Tấn Minh").
        #[arg(long, value_name = "NAME")]
        name: String,
        /// Position (e.g. "Chánh Văn phòng").
        #[arg(long, value_name = "TEXT")]
        position: String,
        /// File holding the PIN (4-12 digits, or a passphrase of 13+ characters;
        /// one trailing newline is ignored). Never on the command line.
        #[arg(long, value_name = "FILE")]
        pin_file: PathBuf,
    },
    /// List the persons (of one unit with --unit): id, unit, lock state, name.
    List {
        #[command(flatten)]
        gw: GatewayArgs,
        #[arg(long, value_name = "ORGAN_ID")]
        unit: Option<String>,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Lift a lock left by too many wrong PINs.
    Unlock {
        #[command(flatten)]
        gw: GatewayArgs,
        /// The person's id (as `person list` prints it).
        id: String,
    },
    /// Set a new PIN (the person forgot theirs); clears the wrong-PIN count.
    SetPin {
        #[command(flatten)]
        gw: GatewayArgs,
        id: String,
        #[arg(long, value_name = "FILE")]
        pin_file: PathBuf,
    },
}

#[derive(Subcommand)]
enum CaCmd {
    /// The current CA and the earlier ones still trusted: subject, serial, validity,
    /// SHA-256 fingerprint, CRL number, certificates issued.
    Show {
        #[command(flatten)]
        gw: GatewayArgs,
        #[arg(long)]
        json: bool,
    },
    /// A new CA key and certificate; what the old CA issued stays valid until it
    /// expires, and both are trusted meanwhile (a running server picks it up).
    Rotate {
        #[command(flatten)]
        gw: GatewayArgs,
    },
    /// External CAs (a government or commercial CA) trusted for document
    /// signatures, client certificates, or both; a running server picks changes
    /// up within about a second.
    Trust {
        #[command(subcommand)]
        cmd: TrustCmd,
    },
}

#[derive(Subcommand)]
enum TrustCmd {
    /// Trust a CA certificate (PEM or DER, one per file) for a purpose.
    Add {
        #[command(flatten)]
        gw: GatewayArgs,
        /// documents (signatures on intake), clients (TLS client
        /// certificates of units), or both.
        #[arg(long, value_name = "PURPOSE")]
        purpose: String,
        /// The CA's CRL (DER or PEM), used for both purposes.
        #[arg(long, value_name = "CRL")]
        crl: Option<PathBuf>,
        file: PathBuf,
    },
    /// The trusted external CAs: SHA-256, purpose, subject, expiry, CRL held.
    List {
        #[command(flatten)]
        gw: GatewayArgs,
        #[arg(long)]
        json: bool,
    },
    /// Stop trusting a CA (by SHA-256 of its certificate), or every CA for a purpose.
    Remove {
        #[command(flatten)]
        gw: GatewayArgs,
        /// Remove every external CA trusted for this purpose (one trusted for
        /// both keeps the other purpose; `both` removes them all).
        #[arg(long, value_name = "PURPOSE", conflicts_with = "sha256")]
        all_for_purpose: Option<String>,
        #[arg(required_unless_present = "all_for_purpose")]
        sha256: Option<String>,
    },
}

#[derive(Subcommand)]
enum KeysCmd {
    /// Re-seal every key vanthu holds under a new master secret (stop the server
    /// first). The current secret is found as `serve` finds it. Crash-safe: if it
    /// stops, run it again with the same --new-master-key-file to finish.
    Rekey {
        #[command(flatten)]
        gw: GatewayArgs,
        /// The new secret (64 hex digits or a passphrase of 16+ characters); a
        /// random one is generated into it (mode 0600) if the file does not exist.
        /// Keep it outside the data directory.
        #[arg(long, value_name = "FILE")]
        new_master_key_file: PathBuf,
    },
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Check the whole chain: finds an edited, deleted or reordered entry (exit 1).
    Verify {
        #[command(flatten)]
        gw: GatewayArgs,
    },
}

#[derive(Subcommand)]
enum DirectoryCmd {
    /// Print the units and groups the server uses.
    List {
        #[command(flatten)]
        gw: GatewayArgs,
        /// Print the whole directory as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write the sample directory (Ho Chi Minh City's education sector) as JSON.
    Generate {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Write the directory in force as one JSON file (stdout without --out).
    Export {
        #[command(flatten)]
        gw: GatewayArgs,
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Replace the whole directory by a JSON file: checked whole first, then in
    /// force as one new version, or refused with the problems found (nothing changes).
    Import {
        #[command(flatten)]
        gw: GatewayArgs,
        /// The directory file (as `export` writes it).
        file: PathBuf,
    },
    /// Add a unit.
    AddUnit {
        #[command(flatten)]
        gw: GatewayArgs,
        /// Its organ id (QĐ 20/2020, e.g. 001.20.12.H29).
        #[arg(long, value_name = "ORGAN_ID")]
        id: String,
        #[arg(long)]
        name: String,
        /// department, division, high_school, primary_school, ... (see README).
        #[arg(long, value_parser = parse_kind)]
        kind: vanthu::directory::UnitKind,
        /// The unit it reports to.
        #[arg(long, value_name = "ORGAN_ID")]
        parent: Option<String>,
    },
    /// Change a unit's name, kind or parent.
    UpdateUnit {
        #[command(flatten)]
        gw: GatewayArgs,
        #[arg(value_name = "ORGAN_ID")]
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_parser = parse_kind)]
        kind: Option<vanthu::directory::UnitKind>,
        #[arg(long, value_name = "ORGAN_ID", conflicts_with = "no_parent")]
        parent: Option<String>,
        /// Remove the unit's parent.
        #[arg(long)]
        no_parent: bool,
    },
    /// Deactivate a unit: it receives nothing new and its certificates get 403
    /// (a running server sees it within a second).
    Deactivate {
        #[command(flatten)]
        gw: GatewayArgs,
        #[arg(value_name = "ORGAN_ID")]
        id: String,
        /// Also revoke the unit's client certificates (final).
        #[arg(long)]
        revoke: bool,
        /// Revocation reason with --revoke.
        #[arg(long, default_value = "cessationOfOperation", requires = "revoke")]
        reason: String,
    },
    /// Reactivate a unit.
    Activate {
        #[command(flatten)]
        gw: GatewayArgs,
        #[arg(value_name = "ORGAN_ID")]
        id: String,
    },
    /// Add a group of units and groups.
    AddGroup {
        #[command(flatten)]
        gw: GatewayArgs,
        /// Its id: lower-case letters, digits, hyphens (e.g. thpt-cong-lap).
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// A member (organ id or group id); repeatable.
        #[arg(long = "member", value_name = "ID")]
        members: Vec<String>,
    },
    /// Change a group's name or members.
    UpdateGroup {
        #[command(flatten)]
        gw: GatewayArgs,
        #[arg(value_name = "GROUP_ID")]
        id: String,
        #[arg(long)]
        name: Option<String>,
        /// Add a member; repeatable.
        #[arg(long = "add", value_name = "ID")]
        add: Vec<String>,
        /// Remove a member; repeatable.
        #[arg(long = "remove", value_name = "ID")]
        remove: Vec<String>,
    },
    /// Remove a group (refused while another group or an alias names it).
    RemoveGroup {
        #[command(flatten)]
        gw: GatewayArgs,
        #[arg(value_name = "GROUP_ID")]
        id: String,
    },
    /// Add an alias: a phrase of "Nơi nhận" lines and the units or groups it names.
    AddAlias {
        #[command(flatten)]
        gw: GatewayArgs,
        #[arg(long)]
        text: String,
        /// A target (organ id or group id); repeatable.
        #[arg(long = "target", value_name = "ID", required = true)]
        targets: Vec<String>,
    },
    /// Remove the alias with exactly this text.
    RemoveAlias {
        #[command(flatten)]
        gw: GatewayArgs,
        #[arg(long)]
        text: String,
    },
}

fn parse_kind(s: &str) -> Result<vanthu::directory::UnitKind, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| format!("{s:?} is not a unit kind (department, division, high_school, primary_school, ...)"))
}

#[derive(Args)]
struct Signature {
    /// Signer certificate (PEM or DER).
    #[arg(long, value_name = "CERT.pem")]
    cert: PathBuf,
    #[command(flatten)]
    options: SignatureOptions,
}

#[derive(Args)]
struct SignatureOptions {
    /// Chain certificates to embed (PEM, one or more per file); repeatable.
    #[arg(long, value_name = "CHAIN.pem")]
    chain: Vec<PathBuf>,
    /// Signature field: an existing empty one, or a new one (default SignatureN).
    #[arg(long)]
    field: Option<String>,
    #[arg(long)]
    reason: Option<String>,
    #[arg(long)]
    location: Option<String>,
    /// Page the signature belongs to (1-based).
    #[arg(long, value_name = "N")]
    page: Option<usize>,
    /// Certification signature (DocMDP): 1 no changes, 2 form filling (default), 3 annotations too.
    #[arg(long, value_name = "P", num_args = 0..=1, require_equals = true, default_missing_value = "2", value_parser = clap::value_parser!(u8).range(1..=3))]
    certify: Option<u8>,
    /// Visible signature (Decree 30/2020 appearance).
    #[arg(long)]
    visible: bool,
    /// Where on the page: x,y,width,height in points (default: placed by the page's text).
    #[arg(long, value_name = "x,y,w,h", requires = "visible", value_parser = parse_rect)]
    rect: Option<[f64; 4]>,
    /// Place by text: the words the signature goes with, white space ignored (person:
    /// default the certificate's name; organization: default the person's signature).
    #[arg(long, value_name = "TEXT", requires = "visible", conflicts_with = "rect")]
    anchor: Option<String>,
    /// The page to look for the anchor (or, for the seal, the person's signature) on
    /// (default: from the last page back).
    #[arg(long, value_name = "N", requires = "visible")]
    anchor_page: Option<usize>,
    /// The seal's real size in millimetres (organization).
    #[arg(long, value_name = "MM", default_value_t = 36.0)]
    seal_mm: f64,
    /// Signature image or seal, transparent PNG.
    #[arg(long, value_name = "IMAGE.png", requires = "visible")]
    image: Option<PathBuf>,
    /// person (name, position, time), organization (seal, name, time) or attachment (number, time; page 1 top right).
    #[arg(long, value_enum, default_value_t = RoleArg::Person, requires = "visible")]
    role: RoleArg,
    /// The document's number and notation, for attachment stamps (e.g. 610/TB-SGDĐT).
    #[arg(long, value_name = "TEXT")]
    doc_number: Option<String>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum RoleArg {
    Person,
    Organization,
    Attachment,
}

fn parse_rect(s: &str) -> Result<[f64; 4], String> {
    let v: Vec<f64> =
        s.split(',').map(|p| p.trim().parse::<f64>()).collect::<Result<_, _>>().map_err(|e| e.to_string())?;
    match v[..] {
        [x, y, w, h] if w > 0.0 && h > 0.0 && v.iter().all(|c| c.is_finite()) => Ok([x, y, w, h]),
        _ => Err("expected x,y,width,height with a positive width and height".into()),
    }
}

#[derive(Args)]
struct Tsa {
    /// Timestamp with vanthu's own TSA: its PKCS#8 key...
    #[arg(long, value_name = "K.pem", requires = "tsa_cert")]
    tsa_key: Option<PathBuf>,
    /// ...and its certificate (with the timeStamping extended key usage).
    #[arg(long, value_name = "C.pem", requires = "tsa_key")]
    tsa_cert: Option<PathBuf>,
    /// Timestamp with a remote RFC 3161 server (http:// URLs).
    #[arg(long, value_name = "URL", conflicts_with = "tsa_key")]
    tsa_url: Option<String>,
    /// Room to reserve for the remote TSA's token, in bytes (default 12288).
    #[arg(long, value_name = "BYTES", requires = "tsa_url")]
    tsa_max_token: Option<usize>,
}

#[derive(Args)]
struct SignArgs {
    /// Private key, PKCS#8 PEM (RSA 2048+, ECDSA P-256/P-384, Ed25519).
    #[arg(long, value_name = "KEY.pem", required = true)]
    key: Option<PathBuf>,
    /// Signer certificate (PEM or DER).
    #[arg(long, value_name = "CERT.pem", required = true)]
    cert: Option<PathBuf>,
    #[command(flatten)]
    sig: SignatureOptions,
    #[command(flatten)]
    tsa: Tsa,
    /// Print nothing on success.
    #[arg(long, short)]
    quiet: bool,
    #[arg(required = true)]
    input: Option<PathBuf>,
    #[arg(required = true)]
    output: Option<PathBuf>,
}

#[derive(Subcommand)]
enum SignStep {
    /// Write the prepared PDF and print the digest of the signed attributes to sign.
    Prepare {
        #[command(flatten)]
        sig: Signature,
        /// Bytes to reserve for a timestamp token added at `finish`.
        #[arg(long, default_value_t = 0)]
        tsa_reserve: usize,
        /// Also write the DER signed attributes (for keys that sign the message, not a digest).
        #[arg(long, value_name = "FILE")]
        attrs_out: Option<PathBuf>,
        input: PathBuf,
        output: PathBuf,
    },
    /// Embed the external signature (raw bytes, or hex) into a prepared PDF.
    Finish {
        #[arg(long, value_name = "CERT.pem")]
        cert: PathBuf,
        #[arg(long, value_name = "CHAIN.pem")]
        chain: Vec<PathBuf>,
        /// The signature over the signed attributes, raw or hex.
        #[arg(long, value_name = "SIG")]
        signature: PathBuf,
        #[command(flatten)]
        tsa: Tsa,
        /// Print nothing on success.
        #[arg(long, short)]
        quiet: bool,
        input: PathBuf,
        output: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return argument_error(&e),
    };
    let result = match cli.command {
        Command::Verify { trust, crl, at, revocation, json, file } => {
            run_verify(&trust, &crl, at.as_deref(), revocation, json, &file)
        }
        Command::Sign { step: Some(step), .. } => run_sign_step(*step),
        Command::Sign { step: None, args } => run_sign(*args),
        Command::Demo { dev, out } => run_demo(dev.as_deref(), &out),
        Command::Receipt { action: ReceiptCommand::Verify { trust, at, file } } => {
            run_receipt_verify(&trust, at.as_deref(), &file)
        }
        Command::Serve { gw, listen, public_listen, trust, crl } => run_serve(&gw, listen, public_listen, trust, crl),
        Command::Init { gw } => run_init(&gw),
        Command::Cert {
            cmd:
                CertCmd::Issue {
                    gw,
                    unit,
                    admin,
                    person,
                    position,
                    organisation,
                    key_type,
                    csr,
                    out,
                    p12,
                    p12_password_file,
                },
        } => issue_subject(unit, admin, person, position, organisation).and_then(|subject| {
            let p12 = p12.map(|file| P12Out { file, password_file: p12_password_file });
            run_cert_issue(&gw, subject, key_type, csr, &out, p12)
        }),
        Command::Cert { cmd: CertCmd::Revoke { gw, serial, reason } } => run_cert_revoke(&gw, &serial, &reason),
        Command::Cert { cmd: CertCmd::List { gw, json } } => run_cert_list(&gw, None, json),
        Command::Cert { cmd: CertCmd::Expiring { gw, days, json } } => run_cert_list(&gw, Some(days), json),
        Command::Ca { cmd: CaCmd::Show { gw, json } } => run_ca_show(&gw, json),
        Command::Ca { cmd: CaCmd::Rotate { gw } } => run_ca_rotate(&gw),
        Command::Ca { cmd: CaCmd::Trust { cmd } } => run_ca_trust(cmd),
        Command::Audit { cmd: AuditCmd::Verify { gw } } => run_audit_verify(&gw),
        Command::Keys { cmd: KeysCmd::Rekey { gw, new_master_key_file } } => run_keys_rekey(&gw, &new_master_key_file),
        Command::Person { cmd } => run_person(cmd),
        Command::Directory { cmd: DirectoryCmd::List { gw, json } } => run_directory_list(&gw, json),
        Command::Directory { cmd: DirectoryCmd::Generate { out } } => run_directory_generate(&out),
        Command::Directory { cmd: DirectoryCmd::Export { gw, out } } => run_directory_export(&gw, out.as_deref()),
        Command::Directory { cmd } => {
            directory_edit(cmd).and_then(|(gw, edit, revoke)| run_directory_edit(&gw, &edit, revoke))
        }
        Command::Inspect { json, file } => run_inspect(json, &file),
    };
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("vanthu: {e}");
            ExitCode::from(exit_code::UNUSABLE as u8)
        }
    }
}

/// An argument error as the README promises: one line on stderr, exit 2.
/// clap's own rendering spans several lines (the error, a tip, the usage, a
/// pointer to --help); the error and its tip are kept, joined on one line,
/// and the usage is left to the --help the line names. `--help` and
/// `--version` are answers, not errors: printed as clap prints them, exit 0.
fn argument_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let (path, cmd) = command_path(std::env::args_os().skip(1));
    let message = match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            return if e.print().is_ok() { ExitCode::SUCCESS } else { ExitCode::from(exit_code::UNUSABLE as u8) };
        }
        // `vanthu` or `vanthu receipt` alone: clap would print the whole help.
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand => {
            let names: Vec<&str> =
                cmd.get_subcommands().map(clap::Command::get_name).filter(|n| *n != "help").collect();
            format!("a command is needed: {}", names.join(", "))
        }
        _ => one_line(&e.render().to_string()),
    };
    eprintln!("vanthu: {message} (see {path} --help)");
    ExitCode::from(exit_code::UNUSABLE as u8)
}

/// clap's rendered error on one line: its first line without the "error: "
/// label, the lines that complete it (a list of missing arguments, possible
/// values) after it, and its tips; not the usage or the pointer to --help.
fn one_line(rendered: &str) -> String {
    let mut lines = rendered
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty());
    let mut out = lines.next().unwrap_or("invalid arguments").trim_start_matches("error:").trim().to_string();
    let mut listed = 0;
    for l in lines {
        if let Some(tip) = l.strip_prefix("tip:") {
            out.push_str("; ");
            out.push_str(tip.trim());
        } else {
            out.push_str(if listed == 0 { " " } else { ", " });
            out.push_str(l);
            listed += 1;
        }
    }
    out
}

/// The command the arguments name ("vanthu sign", "vanthu cert issue") and its
/// clap definition: subcommand names in order, skipping options, up to the
/// first word that is not a subcommand.
fn command_path(args: impl Iterator<Item = std::ffi::OsString>) -> (String, clap::Command) {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    let mut path = String::from("vanthu");
    for arg in args {
        let Some(word) = arg.to_str() else { break };
        if word.starts_with('-') {
            continue;
        }
        let Some(sub) = cmd.find_subcommand(word).cloned() else { break };
        path.push(' ');
        path.push_str(sub.get_name());
        cmd = sub;
    }
    (path, cmd)
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn options(trust: &[PathBuf], crl: &[PathBuf], at: Option<&str>) -> Result<Options, String> {
    let mut opts = Options::default();
    for p in trust {
        opts.trust.add_pem(&read(p)?, &p.display().to_string()).map_err(|e| e.to_string())?;
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
    opts.crls = crls;
    Ok(opts)
}

fn run_verify(
    trust: &[PathBuf],
    crl: &[PathBuf],
    at: Option<&str>,
    revocation: RevocationPolicy,
    json: bool,
    file: &Path,
) -> Result<i32, String> {
    print_report(file, &options(trust, crl, at)?.with_revocation(revocation), json)
}

/// Verifies `file` and prints the report; the exit code says whether it passed.
fn print_report(file: &Path, opts: &Options, json: bool) -> Result<i32, String> {
    let report = verify::verify_file(file, opts).map_err(|e| match e {
        // Already names the file.
        verify::VerifyError::Io { .. } => e.to_string(),
        other => format!("{}: {other}", file.display()),
    })?;
    if json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    Ok(if report.indication == verify::report::Indication::TotalPassed { exit_code::VALID } else { exit_code::INVALID })
}

fn run_receipt_verify(trust: &[PathBuf], at: Option<&str>, file: &Path) -> Result<i32, String> {
    let opts = options(trust, &[], at)?;
    let at = opts.at.unwrap_or_else(time::OffsetDateTime::now_utc);
    let checks = vanthu::exchange::receipt::check_file(&read(file)?, &opts.trust, at)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    for c in &checks {
        println!("{}", c.line);
    }
    Ok(if checks.iter().all(|c| c.valid) { exit_code::VALID } else { exit_code::INVALID })
}

fn run_inspect(json: bool, file: &Path) -> Result<i32, String> {
    let h = text::header::inspect(&read(file)?, &text::TextLimits::default())
        .map_err(|e| format!("{}: {e}", file.display()))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&h).map_err(|e| e.to_string())?);
        return Ok(exit_code::VALID);
    }
    if !h.text_layer {
        println!("{}: no text layer (a scanned document?)", file.display());
    }
    let show = |label: &str, v: &Option<String>| println!("{label:<18}{}", v.as_deref().unwrap_or("(missing)"));
    show("Number:", &h.number);
    show("Place:", &h.place);
    show("Date:", &h.date);
    show("Type:", &h.document_type);
    show("Subject:", &h.subject);
    show("Competence:", &h.signer.competence);
    show("Position:", &h.signer.position);
    show("Name:", &h.signer.name);
    if h.recipients.is_empty() {
        println!("{:<18}(missing)", "Recipients:");
    }
    for (i, r) in h.recipients.iter().enumerate() {
        println!("{:<18}{r}", if i == 0 { "Recipients:" } else { "" });
    }
    show("Archive copy:", &h.archive);
    Ok(exit_code::VALID)
}

/// Certificates from the bytes of a PEM/DER file; `label` names it in errors.
fn certs_from(data: &[u8], label: &str) -> Result<Vec<Vec<u8>>, String> {
    let mut store = TrustStore::new();
    store.add_pem(data, label).map_err(|e| e.to_string())?;
    Ok(store.anchors().map(<[u8]>::to_vec).collect())
}

/// Certificates from PEM/DER files.
fn certificates(paths: &[PathBuf]) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    for p in paths {
        out.extend(certs_from(&read(p)?, &p.display().to_string())?);
    }
    Ok(out)
}

fn credentials(cert: &Path, chain: &[PathBuf]) -> Result<Credentials, String> {
    let first = certificates(&[cert.to_path_buf()])?.into_iter().next();
    let cert = first.ok_or_else(|| format!("{}: no certificate", cert.display()))?;
    Ok(Credentials { cert, chain: certificates(chain)? })
}

fn key_from(data: &[u8], label: &str) -> Result<LocalKey, String> {
    LocalKey::from_pem(data).map_err(|e| format!("{label}: {e}"))
}

/// The name a person knows a signer by: the certificate's CN (the subject
/// when it has none).
fn signer_name(cert: &[u8]) -> String {
    match appearance::certificate_texts(cert, "") {
        Ok(t) if !t.name.trim().is_empty() => t.name,
        _ => vanthu::pki::Cert::parse(cert).map(|c| c.subject_text()).unwrap_or_else(|_| "(unreadable)".into()),
    }
}

/// The files a signing is given, so that each error message names the file
/// it is about, once.
struct SignFiles<'a> {
    input: &'a Path,
    key: Option<&'a Path>,
    cert: &'a Path,
    signature: Option<&'a Path>,
}

impl SignFiles<'_> {
    /// One table: which file a signing error is about.
    fn error(&self, e: &SignError) -> String {
        let about = match e {
            SignError::Pdf(_)
            | SignError::Damaged(_)
            | SignError::NoSuchPage(_)
            | SignError::FieldAlreadySigned(_)
            | SignError::CertifyNotFirst
            | SignError::NoCatalog
            | SignError::NotPrepared
            | SignError::PlaceholderTooSmall(..) => Some(self.input),
            SignError::Key(_) | SignError::KeyMismatch => self.key,
            SignError::Certificate(_)
            | SignError::CertificateExpired(_)
            | SignError::CertificateNotYetValid(_)
            | SignError::CertificateKey(_)
            | SignError::Usage(_) => Some(self.cert),
            SignError::BadExternalSignature(_) => self.signature,
            // About the TSA (its URL or key, named by its own message) or the
            // visible signature's options; the image is checked when read.
            SignError::Tsa(_) | SignError::TimestampTooLarge { .. } | SignError::Appearance(_) => None,
            // vanthu's own fault, about no file.
            SignError::AlgorithmIdentifier(_) => None,
        };
        match (about, e) {
            (Some(key), SignError::KeyMismatch) => format!("{}: {e} {}", key.display(), self.cert.display()),
            (Some(file), _) => format!("{}: {e}", file.display()),
            (None, _) => e.to_string(),
        }
    }

    /// Placement errors: about the input's text, or the signer's name.
    fn placement_error(&self, e: PlacementError) -> String {
        match e {
            PlacementError::Sign(e) => self.error(&e),
            PlacementError::Place(place::PlaceError::AnchorNotFound { .. }) => {
                format!("{}: {e}; give --anchor TEXT or --rect x,y,w,h", self.input.display())
            }
            PlacementError::NoName => format!("{}: {e}; give --anchor TEXT or --rect x,y,w,h", self.cert.display()),
            PlacementError::SealSize(mm) => format!("--seal-mm {mm}: a seal is between 5 and 100 mm"),
            PlacementError::Pdf(_) | PlacementError::Text(_) | PlacementError::Place(_) => {
                format!("{}: {e}", self.input.display())
            }
        }
    }
}

/// `input` is the document when already read; a visible signature reads it
/// (to place itself by the text) when not.
fn sign_options(
    s: &SignatureOptions,
    files: &SignFiles<'_>,
    input: Option<&[u8]>,
    cert: &[u8],
) -> Result<SignOptions, String> {
    let mut page = s.page;
    let visible = if s.visible {
        let read_now;
        let input = match input {
            Some(held) => held,
            None => {
                read_now = read(files.input)?;
                &read_now[..]
            }
        };
        let image = match &s.image {
            Some(p) => {
                let png = read(p)?;
                appearance::check_image(&png).map_err(|e| format!("{}: {e}", p.display()))?;
                Some(png)
            }
            None => None,
        };
        let role = match s.role {
            RoleArg::Person => Role::Person,
            RoleArg::Organization => Role::Organization,
            RoleArg::Attachment => Role::Attachment,
        };
        let want =
            Placing { rect: s.rect, anchor: s.anchor.as_deref(), anchor_page: s.anchor_page, seal_mm: s.seal_mm };
        let placed = visible(role, image, s.doc_number.clone(), &want, input, cert, files)?;
        page = placed.page.or(page);
        Some(placed.visible)
    } else {
        None
    };
    Ok(SignOptions {
        field: s.field.clone(),
        reason: s.reason.clone(),
        location: s.location.clone(),
        page,
        certify: s.certify,
        time: None,
        visible,
    })
}

/// Places a visible signature (see `vanthu::sign::placement`), warning when
/// it had to cover text, and naming the options that fix a failed placement.
fn visible(
    role: Role,
    image: Option<Vec<u8>>,
    doc_number: Option<String>,
    want: &Placing<'_>,
    input: &[u8],
    cert: &[u8],
    files: &SignFiles<'_>,
) -> Result<Placed, String> {
    let placed =
        placement::visible(role, image, doc_number, want, input, cert).map_err(|e| files.placement_error(e))?;
    if !placed.covers.is_empty() {
        eprintln!(
            "vanthu: warning: the signature covers text on page {}: {}",
            placed.page.unwrap_or(1),
            placed.covers.join(" ")
        );
    }
    Ok(placed)
}

/// A timestamping service, and how to name it to the person signing.
type Stamper = (Box<dyn Timestamper>, String);

/// vanthu's own TSA from its key and certificate (bytes, and their names for errors).
fn local_tsa(key: (&[u8], &str), cert: (&[u8], &str)) -> Result<Stamper, String> {
    let k = key_from(key.0, key.1)?;
    let mut it = certs_from(cert.0, cert.1)?.into_iter();
    let first = it.next().ok_or_else(|| format!("{}: no TSA certificate", cert.1))?;
    let name = signer_name(&first);
    let tsa = LocalTsa::new(Box::new(k), first, it.collect()).map_err(|e| e.to_string())?;
    Ok((Box::new(tsa), name))
}

fn timestamper(t: &Tsa) -> Result<Option<Stamper>, String> {
    if let Some(url) = &t.tsa_url {
        let mut tsa = HttpTsa::new(url).map_err(|e| e.to_string())?;
        if let Some(bytes) = t.tsa_max_token {
            tsa = tsa.with_max_token(bytes);
        }
        return Ok(Some((Box::new(tsa), url.clone())));
    }
    let (Some(key), Some(cert)) = (&t.tsa_key, &t.tsa_cert) else { return Ok(None) };
    let (k, c) = (read(key)?, read(cert)?);
    local_tsa((&k, &key.display().to_string()), (&c, &cert.display().to_string())).map(Some)
}

/// Writes `parts` to `out` through a temporary file in the same directory,
/// renamed into place only when complete: never a partial output file.
fn write_atomically(out: &Path, parts: &[&[u8]]) -> Result<(), String> {
    use std::io::Write;
    let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = out.file_name().ok_or_else(|| format!("{}: not a file name", out.display()))?;
    let tmp = dir.join(format!(".{}.vanthu-partial", name.to_string_lossy()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        for p in parts {
            f.write_all(p)?;
        }
        f.sync_all()?;
        std::fs::rename(&tmp, out)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}: {e}", out.display())
    })
}

/// What a signing did, in one line: where the result is, which field, who
/// signed, and whether it is timestamped (a person must not have to open
/// the PDF to learn that the timestamp they asked for is there).
fn signed_line(out: &Path, field: &str, cert: &[u8], tsa: Option<&Stamper>) -> String {
    let when = match tsa {
        Some((_, by)) => format!("timestamped by {by}"),
        None => "no timestamp".into(),
    };
    format!("signed {}: field \"{field}\", signer {}, {when}", out.display(), signer_name(cert))
}

fn run_sign(a: SignArgs) -> Result<i32, String> {
    let (Some(key_path), Some(cert), Some(input_path), Some(output)) = (a.key, a.cert, a.input, a.output) else {
        return Err("sign: give --key, --cert, IN and OUT, or use `sign prepare`/`sign finish`".into());
    };
    let files = SignFiles { input: &input_path, key: Some(&key_path), cert: &cert, signature: None };
    let key = key_from(&read(&key_path)?, &key_path.display().to_string())?;
    let creds = credentials(&cert, &a.sig.chain)?;
    let tsa = timestamper(&a.tsa)?;
    let opts = sign_options(&a.sig, &files, None, &creds.cert)?;
    // By position: the input is copied by the kernel and hashed once, never
    // held whole (see `sign::file`).
    let signed = sign::file::sign_file(&input_path, &output, &key, &creds, tsa.as_ref().map(|t| t.0.as_ref()), &opts)
        .map_err(|e| match e {
        sign::file::SignFileError::Sign(e) => files.error(&e),
        other => other.to_string(),
    })?;
    if !a.quiet {
        println!("{}", signed_line(&output, &signed.field, &creds.cert, tsa.as_ref()));
    }
    Ok(exit_code::VALID)
}

fn run_sign_step(step: SignStep) -> Result<i32, String> {
    match step {
        SignStep::Prepare { sig, tsa_reserve, attrs_out, input, output } => {
            let files = SignFiles { input: &input, key: None, cert: &sig.cert, signature: None };
            let creds = credentials(&sig.cert, &sig.options.chain)?;
            let scheme = sign::scheme_for(&creds.cert).map_err(|e| files.error(&e))?;
            let data = read(&input)?;
            let opts = sign_options(&sig.options, &files, Some(&data), &creds.cert)?;
            let p = sign::prepare(&data, &creds, scheme, tsa_reserve, &opts).map_err(|e| files.error(&e))?;
            write_atomically(&output, &[&data, &p.tail])?;
            if let Some(path) = attrs_out {
                write_atomically(&path, &[&p.signed_attrs])?;
            }
            println!("digest-algorithm: {}", p.digest_algorithm.name());
            println!("digest: {}", vanthu_hex(&p.digest));
            println!("signed-attributes: {}", vanthu_hex(&p.signed_attrs));
            Ok(exit_code::VALID)
        }
        SignStep::Finish { cert, chain, signature, tsa, quiet, input, output } => {
            let files = SignFiles { input: &input, key: None, cert: &cert, signature: Some(&signature) };
            let creds = credentials(&cert, &chain)?;
            let scheme = sign::scheme_for(&creds.cert).map_err(|e| files.error(&e))?;
            let sig = decode_signature(&read(&signature)?);
            let tsa = timestamper(&tsa)?;
            let mut data = read(&input)?;
            sign::finish(&mut data, &creds, scheme, &sig, tsa.as_ref().map(|t| t.0.as_ref()))
                .map_err(|e| files.error(&e))?;
            write_atomically(&output, &[&data])?;
            if !quiet {
                let when = if tsa.is_some() { "timestamped" } else { "no timestamp" };
                println!("finished {}: signer {}, {when}", output.display(), signer_name(&creds.cert));
            }
            Ok(exit_code::VALID)
        }
    }
}

/// The dev material `vanthu demo` needs, built into the binary so that the
/// demo runs from any directory (`--dev DIR` reads a regenerated copy
/// instead). Test keys, published in the repository: nothing may trust them.
const DEV_FILES: &[(&str, &[u8])] = &[
    ("sample.pdf", vanthu::datadir::SAMPLE_PDF),
    ("signature.png", vanthu::datadir::SIGNATURE_PNG),
    ("seal.png", vanthu::datadir::SEAL_PNG),
    ("root.pem", include_bytes!("../certs/dev/root.pem")),
    ("crl.pem", include_bytes!("../certs/dev/crl.pem")),
    ("tsa.key.pem", include_bytes!("../certs/dev/tsa.key.pem")),
    ("tsa.cert.pem", include_bytes!("../certs/dev/tsa.cert.pem")),
    ("rsa.key.pem", include_bytes!("../certs/dev/rsa.key.pem")),
    ("rsa.cert.pem", include_bytes!("../certs/dev/rsa.cert.pem")),
    ("rsa.chain.pem", include_bytes!("../certs/dev/rsa.chain.pem")),
    ("org.key.pem", include_bytes!("../certs/dev/org.key.pem")),
    ("org.cert.pem", include_bytes!("../certs/dev/org.cert.pem")),
    ("org.chain.pem", include_bytes!("../certs/dev/org.chain.pem")),
];

/// A dev file, from `--dev DIR` or built in; with the name errors give it.
fn dev_file(dir: Option<&Path>, name: &str) -> Result<(Vec<u8>, String), String> {
    match dir {
        Some(dir) => {
            let path = dir.join(name);
            Ok((read(&path)?, path.display().to_string()))
        }
        None => DEV_FILES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, data)| (data.to_vec(), format!("certs/dev/{name} (built in)")))
            .ok_or_else(|| format!("certs/dev/{name} is not built into vanthu")),
    }
}

fn run_demo(dev: Option<&Path>, out: &Path) -> Result<i32, String> {
    let file = |name: &str| dev_file(dev, name);
    let (tsa_key, tsa_cert) = (file("tsa.key.pem")?, file("tsa.cert.pem")?);
    let tsa = local_tsa((&tsa_key.0, &tsa_key.1), (&tsa_cert.0, &tsa_cert.1))?;
    let (mut doc, sample) = file("sample.pdf")?;
    let sample = PathBuf::from(sample);
    // The head of office signs as a person; the Department's seal is signed
    // with the Department's own organisation certificate (its subject is the
    // Department), as a clerk applies it, never with a person's key.
    let steps = [
        ("rsa", Role::Person, "signature.png", "Người ký", "the head of office signs"),
        ("org", Role::Organization, "seal.png", "Cơ quan", "the clerk applies the Department's seal"),
    ];
    for (who, role, image, field, what) in steps {
        let (key, key_name) = file(&format!("{who}.key.pem"))?;
        let key = key_from(&key, &key_name)?;
        let (cert, cert_name) = file(&format!("{who}.cert.pem"))?;
        let cert = certs_from(&cert, &cert_name)?.into_iter().next().ok_or(format!("{cert_name}: no certificate"))?;
        let (chain, chain_name) = file(&format!("{who}.chain.pem"))?;
        let creds = Credentials { cert, chain: certs_from(&chain, &chain_name)? };
        let cert_path = PathBuf::from(&cert_name);
        let files = SignFiles { input: &sample, key: None, cert: &cert_path, signature: None };
        // Placed as a clerk would (Decree 30): the head of office's signature
        // between "CHÁNH VĂN PHÒNG" and the name, the seal over its left third.
        let want = Placing::default();
        let placed = visible(role, Some(file(image)?.0), None, &want, &doc, &creds.cert, &files)?;
        let (v, page) = (placed.visible, placed.page);
        let opts = SignOptions { field: Some(field.into()), page, visible: Some(v), ..SignOptions::default() };
        let signed = sign::sign(&doc, &key, &creds, Some(tsa.0.as_ref()), &opts).map_err(|e| files.error(&e))?;
        doc.extend_from_slice(&signed.tail);
        println!("signed: {what} ({}, visible, timestamped)", signer_name(&creds.cert));
    }
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    write_atomically(out, &[&doc])?;
    println!("wrote {}\n", out.display());
    let mut opts = Options::default();
    let (root, root_name) = file("root.pem")?;
    opts.trust.add_pem(&root, &root_name).map_err(|e| e.to_string())?;
    let (crl, crl_name) = file("crl.pem")?;
    opts.crls.add(&crl, &crl_name).map_err(|e| e.to_string())?;
    print_report(out, &opts, false)
}

fn vanthu_hex(v: &[u8]) -> String {
    v.iter().map(|b| format!("{b:02x}")).collect()
}

/// A signature file holds raw bytes, or hex text (tokens' tools print hex).
fn decode_signature(data: &[u8]) -> Vec<u8> {
    let text: Vec<u8> = data.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
    if !text.is_empty() && text.len().is_multiple_of(2) && text.iter().all(u8::is_ascii_hexdigit) {
        text.chunks(2)
            .filter_map(|c| std::str::from_utf8(c).ok().and_then(|s| u8::from_str_radix(s, 16).ok()))
            .collect()
    } else {
        data.to_vec()
    }
}

fn gateway_config(gw: &GatewayArgs) -> Result<vanthu::config::Config, String> {
    let mut cfg = vanthu::config::Config::load(gw.config.as_deref()).map_err(|e| e.to_string())?;
    if let Some(d) = &gw.data {
        cfg.data = d.clone();
    }
    Ok(cfg)
}

fn print_init(cfg: &vanthu::config::Config, s: &vanthu::datadir::InitSummary) {
    let d = cfg.data.display();
    if s.created {
        println!(
            "initialised {d}: internal CA, server, TSA and receipt certificates, sample directory, organisation key of {}",
            s.department
        );
    } else {
        println!("using {d}");
    }
    if let Some(p) = &s.master_key_created {
        println!(
            "  master secret:       {} (generated, mode 0600): it opens the keys under {d}/pki; keep it out of the data directory's backups, and to keep it elsewhere move it and set {}=<its path> (or give the secret in {})",
            p.display(),
            vanthu::datadir::MASTER_KEY_FILE_VAR,
            vanthu::datadir::MASTER_KEY_VAR
        );
    }
    println!("  CA certificate:      {d}/pki/ca.cert.pem");
    println!("  client certificates: (cert.pem, key.pem, ca.pem in each)");
    for (name, path) in &s.clients {
        println!("    {name}: {}", path.display());
    }
    println!("  sample notice:       {d}/sample/notice-610.pdf (signed by Hồ Tấn Minh) and notice-610.header.json");
    let host = cfg.listen.replace("127.0.0.1", "localhost");
    let c = format!("{d}/clients/{}", s.department);
    println!("\nsend the sample notice as the Department:\n");
    println!(
        "  curl --cacert {d}/pki/ca.cert.pem --cert {c}/cert.pem --key {c}/key.pem \\\n    -F header=@{d}/sample/notice-610.header.json -F document=@{d}/sample/notice-610.pdf \\\n    https://{host}/api/v1/documents\n"
    );
}

fn run_init(gw: &GatewayArgs) -> Result<i32, String> {
    let cfg = gateway_config(gw)?;
    let s = vanthu::admin::init(&cfg).map_err(|e| e.to_string())?;
    // The directory lives in the store, seeded from the file init wrote.
    let store = vanthu::admin::open_store(&cfg).map_err(|e| e.to_string())?;
    vanthu::store::directory::ensure(&store, &cfg.directory_path()).map_err(|e| format!("directory: {e}"))?;
    print_init(&cfg, &s);
    Ok(exit_code::VALID)
}

fn run_serve(
    gw: &GatewayArgs,
    listen: Option<String>,
    public_listen: Option<String>,
    trust: Vec<PathBuf>,
    crl: Vec<PathBuf>,
) -> Result<i32, String> {
    let mut cfg = gateway_config(gw)?;
    if let Some(l) = listen {
        cfg.listen = l;
    }
    if let Some(l) = public_listen {
        cfg.public_listen = l;
    }
    cfg.trust.extend(trust);
    cfg.crls.extend(crl);
    vanthu::admin::keys::refuse_if_pending(&vanthu::datadir::DataDir::new(&cfg.data)).map_err(|e| e.to_string())?;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("VANTHU_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let s = vanthu::admin::init(&cfg).map_err(|e| e.to_string())?;
    print_init(&cfg, &s);
    let state = vanthu::http::run::load(&cfg).map_err(|e| e.to_string())?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| format!("runtime: {e}"))?;
    rt.block_on(vanthu::http::run::run(&cfg, state, |api, public| {
        println!(
            "listening: https://{api} (mutual TLS){}",
            public.map(|p| format!(", http://{p} (/healthz, /crl/internal.crl)")).unwrap_or_default()
        );
    }))
    .map_err(|e| e.to_string())?;
    println!("stopped");
    Ok(exit_code::VALID)
}

/// Which certificate `cert issue` makes, from its flags.
fn issue_subject(
    unit: Option<String>,
    admin: Option<String>,
    person: Option<String>,
    position: Option<String>,
    organisation: bool,
) -> Result<Subject, String> {
    Ok(match (unit, admin, person) {
        (_, Some(name), _) => Subject::Admin { name },
        (Some(unit), None, Some(name)) => Subject::Person { name, position: position.unwrap_or_default(), unit },
        (Some(unit), None, None) if organisation => Subject::Organisation { unit },
        (Some(unit), None, None) => Subject::Unit { unit },
        (None, None, _) => return Err("cert issue: give --unit ORGAN_ID or --admin NAME".into()),
    })
}

/// Where `cert issue --p12` writes, and where its password comes from.
struct P12Out {
    file: PathBuf,
    password_file: Option<PathBuf>,
}

/// The variable holding the PKCS#12 password (a command line is visible
/// to every user of the machine, so it is never an argument).
const P12_PASSWORD_VAR: &str = "VANTHU_P12_PASSWORD";

impl P12Out {
    /// The password: the file's first line, else the variable.
    fn password(&self) -> Result<String, String> {
        if let Some(f) = &self.password_file {
            let text = String::from_utf8(read(f)?).map_err(|_| format!("{}: not UTF-8", f.display()))?;
            return Ok(text.lines().next().unwrap_or_default().to_string());
        }
        std::env::var(P12_PASSWORD_VAR)
            .ok()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("--p12 needs a password: --p12-password-file FILE or {P12_PASSWORD_VAR}"))
    }
}

fn run_cert_issue(
    gw: &GatewayArgs,
    subject: Subject,
    key_type: Option<String>,
    csr: Option<PathBuf>,
    out: &Path,
    p12: Option<P12Out>,
) -> Result<i32, String> {
    let cfg = gateway_config(gw)?;
    let p12_password = p12.as_ref().map(P12Out::password).transpose()?;
    let dd = vanthu::datadir::DataDir::new(&cfg.data);
    let key = match csr {
        Some(p) => vanthu::admin::KeySource::Csr(String::from_utf8_lossy(&read(&p)?).into_owned()),
        None => vanthu::admin::KeySource::Generate(
            vanthu::admin::parse_key_type(key_type.as_deref().unwrap_or("p256")).map_err(|e| e.to_string())?,
        ),
    };
    let store = vanthu::admin::open_store(&cfg).map_err(|e| e.to_string())?;
    let (_, directory) =
        vanthu::store::directory::ensure(&store, &cfg.directory_path()).map_err(|e| format!("directory: {e}"))?;
    let issued =
        vanthu::admin::issue_with(&store, &dd, &directory, &subject, &key, p12_password.as_deref(), &cli_actor())
            .map_err(|e| e.to_string())?;
    let write = |name: &str, data: &str, secret: bool| {
        vanthu::datadir::write_file(&out.join(name), data.as_bytes(), secret).map_err(|e| e.to_string())
    };
    write("cert.pem", &issued.certificate_pem, false)?;
    if let Some(k) = &issued.private_key_pem {
        write("key.pem", k, true)?;
    }
    write("ca.pem", &issued.ca_pem, false)?;
    if let (Some(p), Some(b64)) = (&p12, &issued.pkcs12) {
        use base64::Engine;
        let der = base64::engine::general_purpose::STANDARD.decode(b64).map_err(|e| e.to_string())?;
        vanthu::datadir::write_file(&p.file, &der, true).map_err(|e| e.to_string())?;
    }
    println!(
        "issued {} (serial {}, {}): {}/cert.pem{}, ca.pem{}",
        issued.certificate.subject,
        issued.certificate.serial,
        issued.certificate.kind,
        out.display(),
        if issued.private_key_pem.is_some() { ", key.pem" } else { "" },
        p12.as_ref().map(|p| format!("; PKCS#12: {}", p.file.display())).unwrap_or_default()
    );
    Ok(exit_code::VALID)
}

fn run_keys_rekey(gw: &GatewayArgs, new_secret: &Path) -> Result<i32, String> {
    let cfg = gateway_config(gw)?;
    let dd = vanthu::datadir::DataDir::new(&cfg.data);
    let store = vanthu::admin::open_store(&cfg).map_err(|e| e.to_string())?;
    let done = vanthu::admin::keys::rekey(&store, &dd, new_secret, &cli_actor()).map_err(|e| e.to_string())?;
    if done.secret_created {
        println!("generated a new master secret in {} (mode 0600)", new_secret.display());
    }
    println!(
        "re-sealed {} key file(s) under the new master secret{}:",
        done.files.len(),
        if done.resumed { " (finished an interrupted run)" } else { "" }
    );
    for f in &done.files {
        println!("  {f}");
    }
    println!(
        "start vanthu with {}={} (or put its content where the old secret was: {} by default); the old secret opens nothing now",
        vanthu::datadir::MASTER_KEY_FILE_VAR,
        new_secret.display(),
        dd.default_master_key_path().display()
    );
    Ok(exit_code::VALID)
}

fn run_cert_revoke(gw: &GatewayArgs, serial: &str, reason: &str) -> Result<i32, String> {
    let cfg = gateway_config(gw)?;
    let dd = vanthu::datadir::DataDir::new(&cfg.data);
    let store = vanthu::admin::open_store(&cfg).map_err(|e| e.to_string())?;
    let done = vanthu::admin::revoke(&store, &dd, serial, reason, &cli_actor()).map_err(|e| e.to_string())?;
    println!(
        "revoked {} ({}, {}): CRL number {} written to {}",
        done.record.serial,
        done.record.subject,
        done.record.reason.as_deref().unwrap_or("-"),
        done.crl_number,
        dd.pki("crl.der").display()
    );
    Ok(exit_code::VALID)
}

fn print_ca(c: &vanthu::admin::ca::CaView) {
    println!(
        "{}: {}\n  serial {}\n  valid {} to {}\n  sha256 {}\n  CRL number {}; issued: {} valid, {} revoked",
        if c.current { "current CA" } else { "earlier CA (trusted until what it issued expires)" },
        c.subject,
        c.serial,
        c.not_before,
        c.not_after,
        c.sha256,
        c.crl_number,
        c.valid,
        c.revoked
    );
}

fn run_ca_show(gw: &GatewayArgs, json: bool) -> Result<i32, String> {
    let cfg = gateway_config(gw)?;
    let dd = vanthu::datadir::DataDir::new(&cfg.data);
    let store = vanthu::admin::open_store(&cfg).map_err(|e| e.to_string())?;
    let cas = vanthu::admin::ca::show(&store, &dd).map_err(|e| e.to_string())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&cas).map_err(|e| e.to_string())?);
    } else {
        cas.iter().for_each(print_ca);
    }
    Ok(exit_code::VALID)
}

fn run_ca_rotate(gw: &GatewayArgs) -> Result<i32, String> {
    let cfg = gateway_config(gw)?;
    let dd = vanthu::datadir::DataDir::new(&cfg.data);
    let store = vanthu::admin::open_store(&cfg).map_err(|e| e.to_string())?;
    let c = vanthu::admin::ca::rotate(&store, &dd, &cli_actor()).map_err(|e| e.to_string())?;
    println!("rotated: new certificates come from the new CA; earlier ones stay valid until they expire");
    print_ca(&c);
    Ok(exit_code::VALID)
}

/// Reads a file given to `vanthu ca trust add`, at most
/// [`vanthu::admin::trust::MAX_INPUT_BYTES`].
fn read_small(path: &std::path::Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut buf = Vec::new();
    let limit = u64::try_from(vanthu::admin::trust::MAX_INPUT_BYTES).unwrap_or(u64::MAX).saturating_add(1);
    f.take(limit).read_to_end(&mut buf).map_err(|e| format!("{}: {e}", path.display()))?;
    if buf.len() > vanthu::admin::trust::MAX_INPUT_BYTES {
        return Err(format!("{}: {}", path.display(), vanthu::admin::trust::TrustError::TooLarge));
    }
    Ok(buf)
}

fn print_trusted(v: &vanthu::admin::trust::TrustedView) {
    println!("{}\t{}\t{}\t{}\t{}", v.sha256, v.purpose, v.not_after, if v.crl { "crl" } else { "no-crl" }, v.subject);
}

fn run_ca_trust(cmd: TrustCmd) -> Result<i32, String> {
    use vanthu::admin::trust;
    match cmd {
        TrustCmd::Add { gw, purpose, crl, file } => {
            let purpose = trust::Purpose::parse(&purpose).map_err(|e| e.to_string())?;
            let cert = read_small(&file)?;
            let crl = crl.as_deref().map(read_small).transpose()?;
            let cfg = gateway_config(&gw)?;
            let dd = vanthu::datadir::DataDir::new(&cfg.data);
            let store = vanthu::admin::open_store(&cfg).map_err(|e| e.to_string())?;
            let v = trust::add(&store, &dd, &cert, purpose, crl.as_deref(), &cli_actor())
                .map_err(|e| format!("{}: {e}", file.display()))?;
            println!("trusted for {}: {} (sha256 {})", v.purpose, v.subject, v.sha256);
        }
        TrustCmd::List { gw, json } => {
            let cfg = gateway_config(&gw)?;
            let dd = vanthu::datadir::DataDir::new(&cfg.data);
            let list = trust::list(&dd).map_err(|e| e.to_string())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list).map_err(|e| e.to_string())?);
            } else {
                list.iter().for_each(print_trusted);
                println!("{} external CA(s)", list.len());
            }
        }
        TrustCmd::Remove { gw, all_for_purpose, sha256 } => {
            let cfg = gateway_config(&gw)?;
            let dd = vanthu::datadir::DataDir::new(&cfg.data);
            let store = vanthu::admin::open_store(&cfg).map_err(|e| e.to_string())?;
            let removed = match (all_for_purpose, sha256) {
                (Some(p), _) => {
                    let purpose = trust::Purpose::parse(&p).map_err(|e| e.to_string())?;
                    trust::remove_purpose(&store, &dd, purpose, &cli_actor()).map_err(|e| e.to_string())?
                }
                (None, Some(sha)) => {
                    vec![trust::remove(&store, &dd, &sha, &cli_actor()).map_err(|e| e.to_string())?]
                }
                (None, None) => return Err("give a SHA-256 or --all-for-purpose".into()),
            };
            for v in &removed {
                println!("no longer trusted: {} (sha256 {})", v.subject, v.sha256);
            }
            println!("{} removed", removed.len());
        }
    }
    Ok(exit_code::VALID)
}

fn run_cert_list(gw: &GatewayArgs, days: Option<u32>, json: bool) -> Result<i32, String> {
    let cfg = gateway_config(gw)?;
    let store = vanthu::admin::open_store(&cfg).map_err(|e| e.to_string())?;
    let now = time::OffsetDateTime::now_utc();
    let list = match days {
        None => vanthu::admin::list(&store, now),
        Some(d) => vanthu::admin::expiring(&store, now, d),
    }
    .map_err(|e| e.to_string())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&list).map_err(|e| e.to_string())?);
        return Ok(exit_code::VALID);
    }
    for c in &list {
        println!(
            "{}\t{}\t{}\t{} ({} days)\t{}\t{}",
            c.serial,
            c.status,
            c.kind,
            c.not_after,
            c.days_left,
            c.identity.as_deref().unwrap_or("-"),
            c.subject
        );
    }
    println!("{} certificate(s)", list.len());
    Ok(exit_code::VALID)
}

/// The store of the data directory and the directory in force (seeded
/// from the directory file, or the sample, on first use).
fn directory_store(
    gw: &GatewayArgs,
) -> Result<(vanthu::config::Config, vanthu::store::sqlite::SqliteStore, u64, vanthu::directory::Directory), String> {
    let cfg = gateway_config(gw)?;
    let db = cfg.database_path().map_err(|e| e.to_string())?;
    if !db.is_file() {
        return Err(format!("{}: no database (run `vanthu init --data {}` first)", db.display(), cfg.data.display()));
    }
    let store = vanthu::admin::open_store(&cfg).map_err(|e| e.to_string())?;
    let (version, dir) =
        vanthu::store::directory::ensure(&store, &cfg.directory_path()).map_err(|e| format!("directory: {e}"))?;
    Ok((cfg, store, version, dir))
}

/// A PIN from a file: one trailing newline is not part of it.
fn read_pin(path: &Path) -> Result<String, String> {
    let text = String::from_utf8(read(path)?).map_err(|_| format!("{}: not UTF-8 text", path.display()))?;
    let pin = text.strip_suffix('\n').map(|t| t.strip_suffix('\r').unwrap_or(t)).unwrap_or(&text);
    Ok(pin.to_string())
}

fn print_person(p: &vanthu::persons::PersonView) {
    println!(
        "{}\t{}\t{}\t{} wrong PIN(s)\t{}, {}\tcertificate {}",
        p.id,
        p.unit,
        if p.locked { "LOCKED" } else { "usable" },
        p.failed_attempts,
        p.name,
        p.position,
        p.certificate_serial
    );
}

fn run_person(cmd: PersonCmd) -> Result<i32, String> {
    use vanthu::persons;
    match cmd {
        PersonCmd::Add { gw, unit, name, position, pin_file } => {
            let cfg = gateway_config(&gw)?;
            let dd = vanthu::datadir::DataDir::new(&cfg.data);
            let pin = read_pin(&pin_file)?;
            let store = vanthu::admin::open_store(&cfg).map_err(|e| e.to_string())?;
            let (_, directory) = vanthu::store::directory::ensure(&store, &cfg.directory_path())
                .map_err(|e| format!("directory: {e}"))?;
            let new = persons::NewPerson { unit, name, position };
            let p = persons::add(&store, &dd, &directory, &new, &pin, &cli_actor()).map_err(|e| e.to_string())?;
            println!(
                "added person {} ({}, {}) of {}, certificate {}",
                p.id, p.name, p.position, p.unit, p.certificate_serial
            );
        }
        PersonCmd::List { gw, unit, json } => {
            let cfg = gateway_config(&gw)?;
            let store = vanthu::admin::open_store(&cfg).map_err(|e| e.to_string())?;
            let list = persons::list(&store, unit.as_deref()).map_err(|e| e.to_string())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list).map_err(|e| e.to_string())?);
            } else {
                list.iter().for_each(print_person);
                println!("{} person(s)", list.len());
            }
        }
        PersonCmd::Unlock { gw, id } => {
            let cfg = gateway_config(&gw)?;
            let store = vanthu::admin::open_store(&cfg).map_err(|e| e.to_string())?;
            let p = persons::unlock(&store, &id, &cli_actor()).map_err(|e| e.to_string())?;
            print_person(&p);
        }
        PersonCmd::SetPin { gw, id, pin_file } => {
            let cfg = gateway_config(&gw)?;
            let pin = read_pin(&pin_file)?;
            let store = vanthu::admin::open_store(&cfg).map_err(|e| e.to_string())?;
            let p = persons::set_pin(&store, &id, &pin, &cli_actor()).map_err(|e| e.to_string())?;
            print_person(&p);
        }
    }
    Ok(exit_code::VALID)
}

fn run_directory_list(gw: &GatewayArgs, json: bool) -> Result<i32, String> {
    let cfg = gateway_config(gw)?;
    let db = cfg.database_path().map_err(|e| e.to_string())?;
    // Before `init` there is no store: list what the first start would
    // seed it with (the directory file, else the sample), creating nothing.
    let dir = if db.is_file() {
        directory_store(gw)?.3
    } else if cfg.directory_path().is_file() {
        let path = cfg.directory_path();
        vanthu::directory::Directory::from_json(&read(&path)?).map_err(|e| format!("{}: {e}", path.display()))?
    } else {
        vanthu::directory::sample::hcmc()
    };
    if json {
        let bytes = dir.to_json().map_err(|e| e.to_string())?;
        println!("{}", String::from_utf8_lossy(&bytes));
        return Ok(exit_code::VALID);
    }
    println!("{} units, {} groups", dir.units().len(), dir.groups().len());
    for u in dir.units() {
        println!("{}\t{:?}\t{}{}", u.id.as_str(), u.kind, u.name, if u.active { "" } else { " (inactive)" });
    }
    for g in dir.groups() {
        println!("{}\t{} ({} members)", g.id.as_str(), g.name, g.members.len());
    }
    Ok(exit_code::VALID)
}

fn run_directory_generate(out: &Path) -> Result<i32, String> {
    let dir = vanthu::directory::sample::hcmc();
    let bytes = dir.to_json().map_err(|e| e.to_string())?;
    write_atomically(out, &[&bytes])?;
    println!("wrote {} ({} units, {} groups)", out.display(), dir.units().len(), dir.groups().len());
    Ok(exit_code::VALID)
}

fn run_directory_export(gw: &GatewayArgs, out: Option<&Path>) -> Result<i32, String> {
    let (_, store, _, _) = directory_store(gw)?;
    let found =
        vanthu::store::directory::export(&store).map_err(|e| e.to_string())?.ok_or("the store has no directory")?;
    match out {
        Some(p) => {
            write_atomically(p, &[found.document.as_bytes()])?;
            eprintln!("wrote {} (directory version {})", p.display(), found.version);
        }
        None => {
            use std::io::Write;
            std::io::stdout().write_all(found.document.as_bytes()).map_err(|e| e.to_string())?;
        }
    }
    Ok(exit_code::VALID)
}

/// The audit log's actor for every CLI verb: `cli:<user>`, the
/// account that ran them (whoever holds the data directory is an
/// administrator; the name says which one).
fn cli_actor() -> String {
    let user = ["USER", "LOGNAME", "USERNAME"].iter().find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()));
    format!("cli:{}", user.unwrap_or_else(process_uid))
}

/// `uid<n>` when no user name is in the environment (a service account).
fn process_uid() -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let Ok(m) = std::fs::metadata("/proc/self") {
            return format!("uid{}", m.uid());
        }
    }
    "unknown".into()
}

fn member(s: &str) -> Result<vanthu::directory::Member, String> {
    vanthu::directory::Member::parse(s).map_err(|e| e.to_string())
}

fn organ(s: &str) -> Result<vanthu::directory::OrganId, String> {
    vanthu::directory::OrganId::parse(s).map_err(|e| e.to_string())
}

fn group_id(s: &str) -> Result<vanthu::directory::GroupId, String> {
    vanthu::directory::GroupId::parse(s).map_err(|e| e.to_string())
}

/// A directory verb as the edit it makes (and, for `deactivate --revoke`,
/// the revocation reason).
fn directory_edit(cmd: DirectoryCmd) -> Result<(GatewayArgs, vanthu::directory::edit::Edit, Option<String>), String> {
    use vanthu::directory::edit::Edit;
    use vanthu::directory::{Alias, Group, Unit};
    Ok(match cmd {
        DirectoryCmd::Import { gw, file } => {
            let limit = vanthu::directory::Limits::default().max_bytes;
            let bytes = read(&file)?;
            if bytes.len() > limit {
                return Err(format!("{}: {} bytes, more than the limit of {limit}", file.display(), bytes.len()));
            }
            let file =
                serde_json::from_slice(&bytes).map_err(|e| format!("{}: not a directory file: {e}", file.display()))?;
            (gw, Edit::Replace { file }, None)
        }
        DirectoryCmd::AddUnit { gw, id, name, kind, parent } => {
            let unit = Unit {
                id: organ(&id)?,
                name,
                parent: parent.as_deref().map(organ).transpose()?,
                kind,
                active: true,
                merged_into: None,
            };
            (gw, Edit::AddUnit { unit }, None)
        }
        DirectoryCmd::UpdateUnit { gw, id, name, kind, parent, no_parent } => {
            let parent = if no_parent { Some(None) } else { parent.as_deref().map(organ).transpose()?.map(Some) };
            (gw, Edit::UpdateUnit { id: organ(&id)?, name, kind, parent }, None)
        }
        DirectoryCmd::Deactivate { gw, id, revoke, reason } => {
            if revoke {
                vanthu::admin::parse_reason(&reason).map_err(|e| e.to_string())?;
            }
            (gw, Edit::Deactivate { id: organ(&id)? }, revoke.then_some(reason))
        }
        DirectoryCmd::Activate { gw, id } => (gw, Edit::Activate { id: organ(&id)? }, None),
        DirectoryCmd::AddGroup { gw, id, name, members } => {
            let members = members.iter().map(|m| member(m)).collect::<Result<_, _>>()?;
            (gw, Edit::AddGroup { group: Group { id: group_id(&id)?, name, members } }, None)
        }
        DirectoryCmd::UpdateGroup { gw, id, name, add, remove } => {
            let add = add.iter().map(|m| member(m)).collect::<Result<_, _>>()?;
            let remove = remove.iter().map(|m| member(m)).collect::<Result<_, _>>()?;
            (gw, Edit::UpdateGroup { id: group_id(&id)?, name, members: None, add, remove }, None)
        }
        DirectoryCmd::RemoveGroup { gw, id } => (gw, Edit::RemoveGroup { id: group_id(&id)? }, None),
        DirectoryCmd::AddAlias { gw, text, targets } => {
            let targets = targets.iter().map(|m| member(m)).collect::<Result<_, _>>()?;
            (gw, Edit::AddAlias { alias: Alias { text, targets } }, None)
        }
        DirectoryCmd::RemoveAlias { gw, text } => (gw, Edit::RemoveAlias { text }, None),
        DirectoryCmd::List { .. } | DirectoryCmd::Generate { .. } | DirectoryCmd::Export { .. } => {
            return Err("not a change of the directory".into());
        }
    })
}

fn run_directory_edit(
    gw: &GatewayArgs,
    edit: &vanthu::directory::edit::Edit,
    revoke: Option<String>,
) -> Result<i32, String> {
    let (cfg, store, _, _) = directory_store(gw)?;
    let actor = cli_actor();
    let up = vanthu::store::directory::update(&store, edit, &actor).map_err(|e| match e {
        vanthu::store::directory::DirectoryStoreError::Edit(vanthu::directory::edit::EditError::Invalid(errors)) => {
            let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
            format!("refused, nothing changed; the directory would be invalid:\n{}", lines.join("\n"))
        }
        other => format!("refused, nothing changed: {other}"),
    })?;
    println!("directory version {}: {}", up.version, up.detail);
    if let (Some(reason), vanthu::directory::edit::Edit::Deactivate { id }) = (revoke, edit) {
        let dd = vanthu::datadir::DataDir::new(&cfg.data);
        let done =
            vanthu::admin::directory::revoke_unit(&store, &dd, id, &reason, &actor).map_err(|e| e.to_string())?;
        for r in &done {
            println!("revoked {} ({}): CRL number {}", r.record.serial, r.record.subject, r.crl_number);
        }
        if done.is_empty() {
            println!("no valid client certificate of {id} to revoke");
        }
    }
    Ok(exit_code::VALID)
}

fn run_audit_verify(gw: &GatewayArgs) -> Result<i32, String> {
    use vanthu::store::Store;
    let cfg = gateway_config(gw)?;
    let path = cfg.database_path().map_err(|e| e.to_string())?;
    if !path.is_file() {
        return Err(format!("{}: no database (has the gateway run here?)", path.display()));
    }
    let store = vanthu::store::sqlite::SqliteStore::open(&path).map_err(|e| e.to_string())?;
    let mut head = vanthu::audit::Head::GENESIS;
    loop {
        let page = store.audit_entries(head.seq, 10_000).map_err(|e| e.to_string())?;
        if page.is_empty() {
            break;
        }
        match vanthu::audit::verify_from(head, page) {
            Ok(h) => head = h,
            Err(e) => {
                println!("audit log BROKEN: {e}");
                return Ok(exit_code::INVALID);
            }
        }
    }
    println!("audit log intact: {} entries, head {}", head.seq, head.hash);
    Ok(exit_code::VALID)
}

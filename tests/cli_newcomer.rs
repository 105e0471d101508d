//! The command line as a newcomer finds it: the demo from any directory,
//! with the Department's seal signed by the Department's own certificate
//! (pyHanko reads the signers), argument errors in one line with exit 2,
//! and `sign` saying what it did.

mod common;

use common::{run_ok, scratch, vanthu};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const DEPARTMENT: &str = "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh";

fn dev(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("certs/dev").join(name)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Each signature's field, signer subject and key usage as pyHanko reads them
/// from the signed PDF, in signing order.
fn signers(pdf: &Path) -> Vec<Value> {
    let script = r#"
import json, sys
from pyhanko.pdf_utils.reader import PdfFileReader
with open(sys.argv[1], "rb") as f:
    out = []
    for s in PdfFileReader(f).embedded_signatures:
        ku = s.signer_cert.key_usage_value
        out.append({"field": s.field_name, "subject": dict(s.signer_cert.subject.native),
                    "serial": s.signer_cert.serial_number,
                    "key_usage": sorted(ku.native) if ku is not None else []})
    print(json.dumps(out))
"#;
    let out = run_ok(Command::new("python3").arg("-c").arg(script).arg(pdf));
    serde_json::from_str::<Vec<Value>>(&out).unwrap()
}

#[test]
fn the_demo_runs_from_any_directory_and_the_department_signs_its_seal() {
    // A directory with nothing of the repository in it.
    let cwd = scratch();
    let o = vanthu().arg("demo").current_dir(cwd.path()).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = cwd.path().join("target/vanthu-demo.pdf");
    assert!(stdout(&o).contains("Document: TOTAL-PASSED"), "{}", stdout(&o));

    let s = signers(&out);
    assert_eq!(s.len(), 2, "{s:?}");
    assert_eq!(s[0]["field"], "Người ký");
    assert_eq!(s[0]["subject"]["common_name"], "Hồ Tấn Minh");
    // The organisation's signature: the Department is its subject, by its
    // organ id, with the usages of a signer.
    assert_eq!(s[1]["field"], "Cơ quan");
    assert_eq!(s[1]["subject"]["common_name"], DEPARTMENT, "{s:?}");
    assert_eq!(s[1]["subject"]["organization_name"], DEPARTMENT);
    assert_eq!(s[1]["subject"]["organizational_unit_name"], "000.00.12.H29");
    assert_eq!(s[1]["key_usage"], serde_json::json!(["digital_signature", "non_repudiation"]));
    // And it is certs/dev/org.cert.pem: the built-in copy is the repository's.
    let serial = run_ok(Command::new("openssl").args(["x509", "-noout", "-serial", "-in"]).arg(dev("org.cert.pem")));
    let serial = u64::from_str_radix(serial.trim().trim_start_matches("serial="), 16).unwrap();
    assert_eq!(s[1]["serial"], serial, "{s:?}");
}

#[test]
fn the_demo_still_reads_another_dev_directory() {
    let cwd = scratch();
    // A --dev directory without the files: the error names the missing file.
    let o =
        vanthu().arg("demo").arg("--dev").arg(cwd.path()).arg("--out").arg("x.pdf").current_dir(cwd.path()).output();
    let o = o.unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains(&cwd.path().join("tsa.key.pem").display().to_string()), "{}", stderr(&o));
    assert!(!cwd.path().join("x.pdf").exists());
}

/// Runs vanthu with `args` and returns the output.
fn run(args: &[&str]) -> Output {
    vanthu().args(args).output().unwrap()
}

#[test]
fn argument_errors_are_one_line_naming_the_help_to_read_and_exit_2() {
    let cases: &[(&[&str], &str, &str)] = &[
        (&["sign", "--kye", "k.pem"], "--kye", "(see vanthu sign --help)"),
        (&["sign"], "--key", "(see vanthu sign --help)"),
        (&["sign", "--role", "mayor", "a.pdf", "b.pdf"], "mayor", "(see vanthu sign --help)"),
        (&["verfy", "x.pdf"], "verify", "(see vanthu --help)"),
        (&["verify", "--at"], "--at", "(see vanthu verify --help)"),
        (&["cert", "issue", "--unit", "000.00.12.H29"], "--out", "(see vanthu cert issue --help)"),
        (&["receipt"], "verify", "(see vanthu receipt --help)"),
        (&[], "verify", "(see vanthu --help)"),
    ];
    for (args, names, see) in cases {
        let o = run(args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?} printed more than one line:\n{err}");
        assert!(err.starts_with("vanthu: ") && err.trim_end().ends_with(see), "{args:?}: {err}");
        assert!(err.contains(names), "{args:?}: {err} does not mention {names}");
        assert!(!err.contains("Usage:") && !err.contains("error:"), "{args:?}: {err}");
        assert!(o.stdout.is_empty(), "{args:?}");
    }
    // Help and version are answers, not errors.
    for args in [&["--help"][..], &["sign", "--help"], &["help", "verify"], &["--version"]] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert!(stdout(&o).contains("vanthu") || stdout(&o).contains("Usage:"), "{args:?}: {}", stdout(&o));
        assert!(o.stderr.is_empty(), "{args:?}: {}", stderr(&o));
    }
    assert!(stdout(&run(&["sign", "--help"])).contains("--quiet"));
}

fn sign_args(signer: &str, extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = vec!["sign".into()];
    for (flag, suffix) in [("--key", "key"), ("--cert", "cert"), ("--chain", "chain")] {
        v.push(flag.into());
        v.push(dev(&format!("{signer}.{suffix}.pem")).display().to_string());
    }
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

#[test]
fn sign_says_what_it_did_and_quiet_silences_it() {
    let dir = scratch();
    let out = dir.path().join("signed.pdf");
    let sample = dev("sample.pdf").display().to_string();
    let (tsa_key, tsa_cert) = (dev("tsa.key.pem").display().to_string(), dev("tsa.cert.pem").display().to_string());
    let args = sign_args("org", &["--tsa-key", &tsa_key, "--tsa-cert", &tsa_cert, &sample, out.to_str().unwrap()]);
    let o = vanthu().args(&args).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let said = stdout(&o);
    assert_eq!(said.lines().count(), 1, "{said}");
    assert_eq!(said.matches(out.to_str().unwrap()).count(), 1, "{said}");
    // The field it chose, the signer by name, the timestamp's authority.
    assert!(said.contains("\"Signature1\""), "{said}");
    assert!(said.contains(DEPARTMENT), "{said}");
    assert!(said.contains("timestamped by Vanthu Test TSA"), "{said}");
    // What it says is what is in the file.
    assert_eq!(signers(&out)[0]["field"], "Signature1");

    let out2 = dir.path().join("again.pdf");
    let args = sign_args("p256", &["--field", "Người ký", &sample, out2.to_str().unwrap()]);
    let o = vanthu().args(&args).output().unwrap();
    let said = stdout(&o);
    assert!(
        said.contains("\"Người ký\"") && said.contains("Nguyễn Thị Hương") && said.contains("no timestamp"),
        "{said}"
    );

    let out3 = dir.path().join("quiet.pdf");
    for q in ["--quiet", "-q"] {
        let args = sign_args("p256", &[q, &sample, out3.to_str().unwrap()]);
        let o = vanthu().args(&args).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(o.stdout.is_empty() && o.stderr.is_empty(), "{q}: {}{}", stdout(&o), stderr(&o));
        assert!(out3.exists());
    }
}

#[test]
fn error_messages_name_the_file_they_are_about_once() {
    let dir = scratch();
    let missing = dir.path().join("missing.pdf");
    let not_png = dir.path().join("seal.txt");
    std::fs::write(&not_png, "not an image").unwrap();
    let out = dir.path().join("out.pdf");
    let sample = dev("sample.pdf").display().to_string();
    let o = run(&["verify", missing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).matches("missing.pdf").count(), 1, "{}", stderr(&o));

    // A bad image is the image's fault, not the document's.
    let args = sign_args("p256", &["--visible", "--image", not_png.to_str().unwrap(), &sample, out.to_str().unwrap()]);
    let o = vanthu().args(&args).output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(err.matches("seal.txt").count(), 1, "{err}");
    assert!(!err.contains("sample.pdf"), "{err}");
    // A key that does not match names the key and the certificate, each once.
    let mut args = sign_args("p256", &[&sample, out.to_str().unwrap()]);
    args[2] = dev("rsa.key.pem").display().to_string();
    let o = vanthu().args(&args).output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.matches("rsa.key.pem").count() == 1 && err.matches("p256.cert.pem").count() == 1, "{err}");
    assert!(!err.contains("sample.pdf"), "{err}");
    // An expired certificate is the certificate's fault.
    let o = vanthu().args(sign_args("expired", &[&sample, out.to_str().unwrap()])).output().unwrap();
    let err = stderr(&o);
    assert!(err.contains("expired.cert.pem") && err.contains("expired on") && !err.contains("sample.pdf"), "{err}");
    assert!(!out.exists());
}

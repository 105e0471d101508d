//! Signed receipts: what vanthu hands a unit each time a delivered
//! document's status changes, so the unit can later show an inspector, with
//! nothing but the receipt and vanthu's CA certificate, that the recipient
//! reached that status at that time, for exactly that document.
//!
//! A receipt is a canonical JSON text ([`ReceiptContent::canonical_json`])
//! and a detached CMS SignedData over exactly those bytes: contentType
//! id-data, signed attributes contentType, messageDigest, signingTime and
//! signingCertificateV2, and an RFC 3161 timestamp token over the signature
//! value as an unsigned attribute. Detached, so the JSON stays readable as it
//! is and `openssl cms -verify -binary -content` checks it unchanged.
//!
//! Each receipt also records the audit log's head at its moment
//! ([`crate::audit::Head`]): whoever holds a receipt can demand that the log
//! still contains that entry ([`crate::audit::verify_against`]), so the log
//! cannot be truncated or rewritten behind receipts already given out.

use crate::asn1::oid as cms_oid;
use crate::audit::{Head, canonical_json};
use crate::cms::build::{self, SignedDataParts, SignerIdentity};
use crate::cms::tsa::{Timestamper, TsaError};
use crate::cms::{self, CmsError, timestamp};
use crate::pki::algorithms::DigestAlgorithm;
use crate::pki::keys::{KeyError, SigningKey};
use crate::pki::path::{self, PathError, Usage, ValidityError};
use crate::pki::{Cert, TrustStore};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::OffsetDateTime;

/// Largest receipts file the CLI reads (a document with thousands of
/// recipients and several statuses each stays far below it).
pub const MAX_RECEIPTS_FILE: usize = 64 << 20;

/// What a receipt states. Every field is signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptContent {
    /// The edXML document id (`organ_id,yyyy/mm/dd,number/notation`).
    pub document: String,
    /// vanthu's opaque id of the document (the one in URLs).
    pub document_ref: String,
    /// SHA-256 of the delivered document, lowercase hex.
    pub delivered_sha256: String,
    /// The recipient's organ id.
    pub recipient: String,
    /// The edXML status reached ("01".."06", "13", "15", "16").
    pub status: String,
    /// When, RFC 3339.
    pub time: String,
    /// The audit log's head when the receipt was made.
    pub audit_head: Head,
}

impl ReceiptContent {
    /// The exact text that is signed and handed out: keys sorted (also
    /// inside `audit_head`), no insignificant whitespace, UTF-8 as is.
    pub fn canonical_json(&self) -> String {
        // Serialising a struct of strings and integers into a Value cannot
        // fail; the fallback only keeps this function total.
        let value = serde_json::to_value(self).unwrap_or_default();
        canonical_json(&value)
    }
}

/// A receipt as the API returns it: `{"content": "<canonical JSON>", "cms": "<base64 DER>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// The canonical JSON, exactly as signed.
    pub content: String,
    /// The detached CMS SignedData, DER in standard base64.
    pub cms: String,
}

/// Why a receipt could not be made or does not verify.
#[derive(Debug, Error)]
pub enum ReceiptError {
    #[error("receipt signing key: {0}")]
    Key(#[from] KeyError),
    #[error("receipt timestamp: {0}")]
    Tsa(#[from] TsaError),
    #[error("receipt signing certificate unreadable: {0}")]
    Certificate(crate::pki::CertError),
    #[error("the receipt signing key does not match its certificate")]
    KeyMismatch,
    #[error("the certificate cannot sign receipts: {0}")]
    NotReceiptCertificate(PathError),
    #[error("the receipt's cms is not base64: {0}")]
    Base64(#[from] base64::DecodeError),
    #[error("the receipt's CMS is unreadable: {0}")]
    Cms(CmsError),
    #[error("the receipt's CMS has data after its end")]
    TrailingData,
    #[error("the receipt's CMS encapsulates content; receipts are detached signatures")]
    NotDetached,
    #[error("the receipt's CMS does not sign id-data content")]
    WrongContentType,
    #[error("the receipt's content is not what was signed")]
    ContentMismatch,
    #[error("the receipt's signature does not verify: {0}")]
    Signature(CmsError),
    #[error("the receipt's timestamp does not verify: {0}")]
    Timestamp(CmsError),
    #[error("the receipt's timestamp authority is not trusted: {0}")]
    TimestampUntrusted(PathError),
    #[error("the receipt's timestamp authority certificate was not valid then: {0}")]
    TimestampValidity(ValidityError),
    #[error("the receipt's signer is not trusted: {0}")]
    Untrusted(PathError),
    #[error("the receipt's signer certificate: {0}")]
    Validity(ValidityError),
    #[error("the receipt's content is not UTF-8 JSON of a receipt: {0}")]
    Content(serde_json::Error),
    #[error("the receipt's content is not in canonical form")]
    NotCanonical,
    #[error("the receipts file is over {MAX_RECEIPTS_FILE} bytes")]
    TooLarge,
    #[error("not a receipt or a JSON array of receipts: {0}")]
    Input(serde_json::Error),
    #[error("the receipts file holds no receipt")]
    NoReceipts,
}

/// What a valid receipt establishes.
#[derive(Debug, Clone)]
pub struct VerifiedReceipt {
    /// The parsed content.
    pub content: ReceiptContent,
    /// Subject of vanthu's signing certificate.
    pub signer: String,
    /// The signingTime attribute (claimed by the signer).
    pub signing_time: Option<OffsetDateTime>,
    /// The timestamp's time (proven by the TSA), if the receipt has one.
    pub timestamp: Option<OffsetDateTime>,
    /// Subject of the TSA certificate, if timestamped.
    pub tsa: Option<String>,
}

/// Signs `content` (the canonical JSON bytes): a detached CMS SignedData,
/// DER. With a TSA, its token over the signature value is embedded as the
/// signature timestamp.
///
/// `cert` must be vanthu's receipt certificate (extended key usage
/// [`path::RECEIPT_SIGNING`]): a receipt signed with any other certificate
/// would not verify, so it is refused here rather than handed out.
pub fn sign(
    content: &[u8],
    key: &dyn SigningKey,
    cert: &[u8],
    chain: &[Vec<u8>],
    tsa: Option<&dyn Timestamper>,
) -> Result<Vec<u8>, ReceiptError> {
    let parsed = Cert::parse(cert).map_err(ReceiptError::Certificate)?;
    path::check_usage(&parsed, Usage::ReceiptSigning).map_err(|e| ReceiptError::NotReceiptCertificate(e.into()))?;
    assemble(content, key, &parsed, chain, tsa)
}

/// The CMS of a receipt, without the check of the certificate's usage.
fn assemble(
    content: &[u8],
    key: &dyn SigningKey,
    parsed: &Cert<'_>,
    chain: &[Vec<u8>],
    tsa: Option<&dyn Timestamper>,
) -> Result<Vec<u8>, ReceiptError> {
    if parsed.x509.public_key().subject_public_key.data.as_ref() != key.public_key() {
        return Err(ReceiptError::KeyMismatch);
    }
    let identity = SignerIdentity::from_cert(parsed);
    let scheme = key.scheme();
    let digest = scheme.digest();
    let attrs =
        build::signed_attributes_at(cms_oid::DATA, &digest.digest(content), &identity, OffsetDateTime::now_utc());
    let signature = key.sign(&attrs)?;
    let token = match tsa {
        Some(tsa) => Some(tsa.timestamp(DigestAlgorithm::Sha256, &DigestAlgorithm::Sha256.digest(&signature))?),
        None => None,
    };
    let unsigned = token.as_deref().map(build::timestamp_attribute);
    Ok(build::signed_data(&SignedDataParts {
        digest,
        content_type: cms_oid::DATA,
        econtent: None,
        signer: identity,
        chain,
        signed_attrs: &attrs,
        signature_algorithm: &build::signature_algorithm_id(scheme),
        signature: &signature,
        unsigned_attr: unsigned.as_deref(),
    }))
}

/// Verifies a receipt: `cms` (DER) signs exactly `content`, its signer
/// holds the receipt-signing usage ([`path::RECEIPT_SIGNING`]; a unit's
/// certificate from the same CA cannot pass for vanthu's), chains to an
/// anchor of `trust` and was valid when the receipt was
/// timestamped (or at `at` without a timestamp), the timestamp (if any)
/// verifies and its TSA chains to `trust`, and `content` is a receipt in
/// canonical form.
pub fn verify(
    content: &[u8],
    cms: &[u8],
    trust: &TrustStore,
    at: OffsetDateTime,
) -> Result<VerifiedReceipt, ReceiptError> {
    let (sd, len) = cms::parse_signed_data(cms).map_err(ReceiptError::Cms)?;
    if len != cms.len() {
        return Err(ReceiptError::TrailingData);
    }
    if sd.econtent.is_some() {
        return Err(ReceiptError::NotDetached);
    }
    if sd.econtent_type != cms_oid::DATA {
        return Err(ReceiptError::WrongContentType);
    }
    let [si] = sd.signer_infos.as_slice() else {
        return Err(ReceiptError::Cms(CmsError::SignerCount(sd.signer_infos.len())));
    };
    let digest = cms::signer_digest(si).map_err(ReceiptError::Signature)?;
    let signer = cms::verify_signer(&sd, &digest.digest(content)).map_err(|e| match e {
        CmsError::DigestMismatch => ReceiptError::ContentMismatch,
        e => ReceiptError::Signature(e),
    })?;
    // A timestamp that is present must be sound: a receipt is vanthu's own
    // product, so a broken token means tampering, not a foreign TSA's quirk.
    let mut stamped = None;
    if let Some(token) = cms::timestamp_token(si).map_err(ReceiptError::Timestamp)? {
        let ts = timestamp::verify_token(token, si.signature).map_err(ReceiptError::Timestamp)?;
        let tsa_path = path::build(ts.signer.certificate, &ts.certificates, trust, Usage::TimeStamping)
            .map_err(ReceiptError::TimestampUntrusted)?;
        tsa_path.check_validity(ts.info.gen_time).map_err(ReceiptError::TimestampValidity)?;
        let tsa = tsa_path.certs.first().map(Cert::subject_text);
        stamped = Some((ts.info.gen_time, tsa));
    }
    let signer_path = path::build(signer.certificate, &sd.certificates, trust, Usage::ReceiptSigning)
        .map_err(ReceiptError::Untrusted)?;
    // The timestamp proves when the signature existed; judge validity then.
    let when = stamped.as_ref().map_or(at, |(t, _)| *t);
    signer_path.check_validity(when).map_err(ReceiptError::Validity)?;
    let subject = signer_path.certs.first().map(Cert::subject_text).unwrap_or_default();
    let parsed = parse_content(content)?;
    // One meaning, one spelling: the signed bytes must be what vanthu would
    // have written for this content, so no receipt carries a second reading.
    if parsed.canonical_json().as_bytes() != content {
        return Err(ReceiptError::NotCanonical);
    }
    let (timestamp, tsa) = match stamped {
        Some((t, tsa)) => (Some(t), tsa),
        None => (None, None),
    };
    Ok(VerifiedReceipt { content: parsed, signer: subject, signing_time: signer.claimed_time, timestamp, tsa })
}

fn parse_content(content: &[u8]) -> Result<ReceiptContent, ReceiptError> {
    serde_json::from_slice(content).map_err(ReceiptError::Content)
}

impl Receipt {
    /// Signs `content` into a receipt ready for the API.
    pub fn issue(
        content: &ReceiptContent,
        key: &dyn SigningKey,
        cert: &[u8],
        chain: &[Vec<u8>],
        tsa: Option<&dyn Timestamper>,
    ) -> Result<Receipt, ReceiptError> {
        let text = content.canonical_json();
        let der = sign(text.as_bytes(), key, cert, chain, tsa)?;
        Ok(Receipt { content: text, cms: BASE64.encode(der) })
    }

    /// The CMS as DER.
    pub fn cms_der(&self) -> Result<Vec<u8>, ReceiptError> {
        Ok(BASE64.decode(self.cms.as_bytes())?)
    }

    /// [`verify`] of this receipt.
    pub fn verify(&self, trust: &TrustStore, at: OffsetDateTime) -> Result<VerifiedReceipt, ReceiptError> {
        verify(self.content.as_bytes(), &self.cms_der()?, trust, at)
    }
}

/// Reads a receipts file: one receipt object or a JSON array of them.
pub fn parse_receipts(json: &[u8]) -> Result<Vec<Receipt>, ReceiptError> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(Receipt),
        Many(Vec<Receipt>),
    }
    if json.len() > MAX_RECEIPTS_FILE {
        return Err(ReceiptError::TooLarge);
    }
    match serde_json::from_slice(json).map_err(ReceiptError::Input)? {
        OneOrMany::One(r) => Ok(vec![r]),
        OneOrMany::Many(v) if v.is_empty() => Err(ReceiptError::NoReceipts),
        OneOrMany::Many(v) => Ok(v),
    }
}

/// The outcome of checking one receipt, as `vanthu receipt verify` prints it.
#[derive(Debug)]
pub struct Check {
    /// One line: status, recipient, time, signer, and "valid" or why not.
    pub line: String,
    pub valid: bool,
}

/// Checks every receipt of a receipts file (see [`parse_receipts`]); an
/// unreadable file is an error, an invalid receipt a [`Check`] that says why.
pub fn check_file(json: &[u8], trust: &TrustStore, at: OffsetDateTime) -> Result<Vec<Check>, ReceiptError> {
    Ok(parse_receipts(json)?.iter().map(|r| check_one(r, trust, at)).collect())
}

fn check_one(receipt: &Receipt, trust: &TrustStore, at: OffsetDateTime) -> Check {
    let result = receipt.verify(trust, at);
    // For an invalid receipt, show what it claims (content and signer read
    // without trusting them), so the user can tell which one failed.
    let claimed = parse_content(receipt.content.as_bytes()).ok();
    let field = |f: fn(&ReceiptContent) -> &str| claimed.as_ref().map_or("?".to_string(), |c| f(c).to_string());
    let (status, recipient, time) = (field(|c| &c.status), field(|c| &c.recipient), field(|c| &c.time));
    let (line, valid) = match result {
        Ok(v) => (format!("{status} {recipient} {time} signer \"{}\": valid", v.signer), true),
        Err(e) => {
            let signer = receipt.cms_der().ok().and_then(|der| claimed_signer(&der)).unwrap_or_else(|| "?".into());
            (format!("{status} {recipient} {time} signer \"{signer}\": NOT VALID: {e}"), false)
        }
    };
    Check { line: printable(&line), valid }
}

/// The line with control and bidirectional-formatting characters escaped:
/// the claimed fields of an invalid receipt are anyone's text, and a newline
/// or a right-to-left override in them could print a fake "valid" line.
fn printable(line: &str) -> String {
    let hidden = |c: char| {
        c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
    };
    line.chars().map(|c| if hidden(c) { c.escape_unicode().to_string() } else { c.to_string() }).collect()
}

/// The subject of the certificate a CMS names as its signer, unverified.
fn claimed_signer(der: &[u8]) -> Option<String> {
    let (sd, _) = cms::parse_signed_data(der).ok()?;
    let si = sd.signer_infos.first()?;
    let raw = cms::find_signer_certificate(&sd, si)?;
    Cert::parse(raw).ok().map(|c| c.subject_text())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Hash;
    use crate::cms::tsa::LocalTsa;
    use crate::pki::keys::LocalKey;
    use std::path::PathBuf;

    fn dev(name: &str) -> Vec<u8> {
        std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("certs/dev").join(name)).unwrap()
    }

    fn der_certs(name: &str) -> Vec<Vec<u8>> {
        let mut v = crate::pki::pem_or_der(&dev(name), "CERTIFICATE", name).unwrap();
        // An empty chain file reads as one empty "DER object".
        v.retain(|c| !c.is_empty());
        v
    }

    /// A CA for vanthu's receipt certificates, issued over the dev keys
    /// (the dev PKI in certs/ predates the receipt usage).
    struct ReceiptPki {
        root: Vec<u8>,
        rsa: Vec<u8>,
        p256: Vec<u8>,
    }

    fn receipt_pki() -> &'static ReceiptPki {
        static P: std::sync::OnceLock<ReceiptPki> = std::sync::OnceLock::new();
        P.get_or_init(|| {
            let root_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
            let mut root = rcgen::CertificateParams::default();
            root.distinguished_name.push(rcgen::DnType::CommonName, "Vanthu Receipt Test Root");
            root.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
            root.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign];
            let root_cert = root.self_signed(&root_key).unwrap();
            let issuer = rcgen::Issuer::new(root, root_key);
            let leaf = |name: &str| {
                let pem = String::from_utf8(dev(&format!("{name}.key.pem"))).unwrap();
                let key = rcgen::KeyPair::from_pem(&pem).unwrap();
                let mut p = rcgen::CertificateParams::default();
                p.distinguished_name.push(rcgen::DnType::CommonName, format!("Vanthu biên nhận {name}"));
                p.not_before = OffsetDateTime::now_utc() - time::Duration::days(1);
                p.not_after = OffsetDateTime::now_utc() + time::Duration::days(3650);
                p.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
                p.custom_extensions
                    .push(rcgen::CustomExtension::from_oid_content(&[2, 5, 29, 37], path::receipt_signing_eku_value()));
                p.signed_by(&key, &issuer).unwrap().der().to_vec()
            };
            ReceiptPki { root: root_cert.der().to_vec(), rsa: leaf("rsa"), p256: leaf("p256") }
        })
    }

    struct Signer {
        key: LocalKey,
        cert: Vec<u8>,
        chain: Vec<Vec<u8>>,
    }

    /// vanthu's receipt signer over the dev key `name` ("rsa" or "p256").
    fn signer(name: &str) -> Signer {
        let cert = if name == "rsa" { receipt_pki().rsa.clone() } else { receipt_pki().p256.clone() };
        Signer { key: LocalKey::from_pem(&dev(&format!("{name}.key.pem"))).unwrap(), cert, chain: vec![] }
    }

    /// A signer of the dev PKI as it is (a document signer, like a unit).
    fn dev_signer(name: &str) -> Signer {
        Signer {
            key: LocalKey::from_pem(&dev(&format!("{name}.key.pem"))).unwrap(),
            cert: der_certs(&format!("{name}.cert.pem")).remove(0),
            chain: der_certs(&format!("{name}.chain.pem")),
        }
    }

    fn tsa() -> LocalTsa {
        let t = dev_signer("tsa");
        LocalTsa::new(Box::new(t.key), t.cert, t.chain).unwrap()
    }

    fn trust(name: &str) -> TrustStore {
        let mut t = TrustStore::new();
        t.add_pem(&dev(name), name).unwrap();
        t
    }

    /// The receipt root and the dev root (which the dev TSA chains to).
    fn trusted() -> TrustStore {
        let mut t = trust("root.pem");
        t.add_pem(&receipt_pki().root, "receipt root").unwrap();
        t
    }

    fn content() -> ReceiptContent {
        ReceiptContent {
            document: "000.00.12.H29,2026/03/05,610/TB-SGDĐT".into(),
            document_ref: "d_7Qx2".into(),
            delivered_sha256: Hash::of(b"pdf").to_string(),
            recipient: "000.01.31.H29".into(),
            status: "03".into(),
            time: "2026-11-30T16:05:01+07:00".into(),
            audit_head: Head { seq: 42, hash: Hash::of(b"head") },
        }
    }

    fn issue(name: &str, with_tsa: bool) -> Receipt {
        let s = signer(name);
        let tsa = tsa();
        let tsa: Option<&dyn Timestamper> = if with_tsa { Some(&tsa) } else { None };
        Receipt::issue(&content(), &s.key, &s.cert, &s.chain, tsa).unwrap()
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    #[test]
    fn canonical_json_sorts_keys_and_keeps_utf8() {
        let text = content().canonical_json();
        assert_eq!(
            text,
            format!(
                "{{\"audit_head\":{{\"hash\":\"{}\",\"seq\":42}},\"delivered_sha256\":\"{}\",\"document\":\"000.00.12.H29,2026/03/05,610/TB-SGDĐT\",\"document_ref\":\"d_7Qx2\",\"recipient\":\"000.01.31.H29\",\"status\":\"03\",\"time\":\"2026-11-30T16:05:01+07:00\"}}",
                Hash::of(b"head"),
                Hash::of(b"pdf")
            )
        );
    }

    #[test]
    fn a_receipt_verifies_with_its_signer_time_and_timestamp() {
        for name in ["rsa", "p256"] {
            let r = issue(name, true);
            let v = r.verify(&trusted(), now()).unwrap();
            assert_eq!(v.content, content());
            assert!(v.signer.contains("CN="), "{}", v.signer);
            let ts = v.timestamp.unwrap();
            assert!((now() - ts).whole_seconds().abs() < 60);
            assert!(v.signing_time.is_some());
            assert!(v.tsa.unwrap().contains("Vanthu Test TSA"));
        }
        // Without a TSA the receipt still verifies, with no proven time.
        let v = issue("rsa", false).verify(&trusted(), now()).unwrap();
        assert!(v.timestamp.is_none());
    }

    #[test]
    fn a_changed_content_is_refused() {
        let mut r = issue("rsa", true);
        r.content = r.content.replace("\"03\"", "\"06\"");
        assert!(matches!(r.verify(&trusted(), now()), Err(ReceiptError::ContentMismatch)));
    }

    #[test]
    fn a_receipt_from_another_ca_is_untrusted() {
        let r = issue("rsa", true);
        let e = r.verify(&trust("other-root.pem"), now()).unwrap_err();
        // The timestamp is checked first; its TSA is not trusted either.
        assert!(matches!(e, ReceiptError::TimestampUntrusted(_)), "{e}");
        let r = issue("rsa", false);
        assert!(matches!(r.verify(&trust("other-root.pem"), now()), Err(ReceiptError::Untrusted(_))));
    }

    #[test]
    fn a_tampered_signature_or_timestamp_is_refused() {
        let r = issue("p256", true);
        let der = r.cms_der().unwrap();
        let sd = cms::parse_signed_data(&der).unwrap().0;
        let si = &sd.signer_infos[0];
        let token = cms::timestamp_token(si).unwrap().unwrap();
        // Change the time inside the timestamp token's TSTInfo (its last
        // digit before the Z): the TSA's signature no longer covers it.
        let tst = cms::parse_signed_data(token).unwrap().0.econtent.unwrap();
        let at = der.windows(tst.len()).position(|w| w == tst).unwrap() + tst.len() - 2;
        let mut bad = der.clone();
        bad[at] ^= 1;
        let e = verify(r.content.as_bytes(), &bad, &trusted(), now()).unwrap_err();
        assert!(matches!(e, ReceiptError::Timestamp(CmsError::DigestMismatch)), "{e}");
        // Flip a byte of the signed attributes: the signature fails.
        let attrs = si.signed_attrs.unwrap().raw;
        let at = der.windows(attrs.len()).position(|w| w == attrs).unwrap() + attrs.len() - 3;
        let mut bad = der.clone();
        bad[at] ^= 1;
        let e = verify(r.content.as_bytes(), &bad, &trusted(), now()).unwrap_err();
        assert!(matches!(e, ReceiptError::Signature(_) | ReceiptError::Cms(_)), "{e}");
        // Trailing bytes after the CMS.
        let mut long = der.clone();
        long.push(0);
        assert!(matches!(verify(r.content.as_bytes(), &long, &trusted(), now()), Err(ReceiptError::TrailingData)));
    }

    #[test]
    fn content_must_be_canonical_and_a_receipt() {
        let s = signer("rsa");
        let trust = trusted();
        let pretty = serde_json::to_string_pretty(&content()).unwrap();
        let der = sign(pretty.as_bytes(), &s.key, &s.cert, &s.chain, None).unwrap();
        assert!(matches!(verify(pretty.as_bytes(), &der, &trust, now()), Err(ReceiptError::NotCanonical)));
        let der = sign(b"{\"x\":1}", &s.key, &s.cert, &s.chain, None).unwrap();
        assert!(matches!(verify(b"{\"x\":1}", &der, &trust, now()), Err(ReceiptError::Content(_))));
    }

    #[test]
    fn the_wrong_key_for_the_certificate_is_refused() {
        let rsa = signer("rsa");
        let p256 = signer("p256");
        assert!(matches!(sign(b"x", &p256.key, &rsa.cert, &rsa.chain, None), Err(ReceiptError::KeyMismatch)));
    }

    #[test]
    fn a_units_certificate_from_the_same_ca_cannot_sign_receipts() {
        // vanthu refuses to issue with it...
        let unit = dev_signer("rsa");
        let text = content().canonical_json();
        let e = sign(text.as_bytes(), &unit.key, &unit.cert, &unit.chain, None).unwrap_err();
        assert!(matches!(e, ReceiptError::NotReceiptCertificate(_)), "{e}");
        // ...and a receipt a unit forges with it (well-formed, timestamped,
        // chaining to the trusted CA) is refused.
        let cert = Cert::parse(&unit.cert).unwrap();
        let tsa = tsa();
        let der = assemble(text.as_bytes(), &unit.key, &cert, &unit.chain, Some(&tsa)).unwrap();
        let e = verify(text.as_bytes(), &der, &trusted(), now()).unwrap_err();
        assert!(
            matches!(e, ReceiptError::Untrusted(PathError::Usage(crate::pki::policy::UsageError::NoReceiptSigning))),
            "{e}"
        );
        assert!(e.to_string().contains("not vanthu's receipt certificate"), "{e}");
    }

    #[test]
    fn validity_is_judged_at_the_timestamp() {
        // Ten years on, the signer's certificate has expired; the timestamp
        // proves the receipt was made while it was valid.
        let later = now() + time::Duration::days(3700);
        assert!(issue("rsa", true).verify(&trusted(), later).is_ok());
        assert!(matches!(
            issue("rsa", false).verify(&trusted(), later),
            Err(ReceiptError::Validity(ValidityError::Expired { .. }))
        ));
    }

    #[test]
    fn receipts_files_hold_one_receipt_or_an_array() {
        let r = issue("rsa", false);
        let one = serde_json::to_vec(&r).unwrap();
        assert_eq!(parse_receipts(&one).unwrap(), vec![r.clone()]);
        let many = serde_json::to_vec(&vec![r.clone(), r.clone()]).unwrap();
        assert_eq!(parse_receipts(&many).unwrap().len(), 2);
        assert!(matches!(parse_receipts(b"{\"content\":1}"), Err(ReceiptError::Input(_))));
        assert!(matches!(parse_receipts(b"[]"), Err(ReceiptError::NoReceipts)));
        let mut bad = r.clone();
        bad.content = bad.content.replace("000.01.31.H29", "000.01.32.H29");
        let checks = check_file(&serde_json::to_vec(&vec![r, bad]).unwrap(), &trusted(), now()).unwrap();
        assert!(checks[0].valid && checks[0].line.starts_with("03 000.01.31.H29 2026-11-30T16:05:01+07:00 signer"));
        assert!(checks[0].line.ends_with(": valid"), "{}", checks[0].line);
        assert!(!checks[1].valid && checks[1].line.contains("000.01.32.H29"), "{}", checks[1].line);
        assert!(
            checks[1].line.contains("NOT VALID: the receipt's content is not what was signed"),
            "{}",
            checks[1].line
        );
    }

    #[test]
    fn a_forged_line_cannot_be_printed() {
        let mut r = issue("rsa", false);
        r.content = r.content.replace("000.01.31.H29", "X: valid\\n03 000.09.31.H29 \\u202e");
        let checks = check_file(&serde_json::to_vec(&r).unwrap(), &trusted(), now()).unwrap();
        assert_eq!(checks[0].line.lines().count(), 1, "{}", checks[0].line);
        assert!(checks[0].line.contains("X: valid\\u{a}03 000.09.31.H29 \\u{202e}"), "{}", checks[0].line);
        assert!(!checks[0].valid);
    }
}

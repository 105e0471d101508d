//! Validation of a signed PDF into a [`Report`].
//!
//! For each signature: the /ByteRange invariants, the digest of the covered
//! bytes, the CMS signer info and its signature, an RFC 3161 signature
//! timestamp if present, the certificate path to a trust anchor with validity
//! and revocation, and what later revisions changed. The file is read once;
//! hashing works on slices of that one buffer, and only the objects the
//! analysis needs are parsed.

pub mod changes;
pub mod report;

use crate::cms::{self, CmsError, timestamp};
use crate::pdf::byterange::{ByteRange, ByteRangeError};
use crate::pdf::object::{Dict, Object, dict_get};
use crate::pdf::signatures::{FoundSignature, find_signatures};
use crate::pdf::source::{FileSource, Source};
use crate::pdf::{Budget, Document, Limits, PdfError};
use crate::pki::algorithms::{AlgorithmError, DigestAlgorithm};
use crate::pki::crl::{CrlSet, Revocation};
use crate::pki::path::{self, PathError, Usage, ValidityError};
use crate::pki::policy::{self, RevocationGap, RevocationOutcome, RevocationPolicy};
use crate::pki::{Cert, TrustStore};
use report::{Changes, Indication, Report, SignatureReport, Signer, SubIndication, Timestamp};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use thiserror::Error;
use time::OffsetDateTime;

/// Largest file accepted by default (the gateway and CLI may lower it).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 1 << 30;

/// Why a document could not be validated at all (as opposed to a signature
/// that fails validation, which is a finding in the report).
#[derive(Debug, Error)]
pub enum VerifyError {
    #[error("cannot read {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("file is {size} bytes, over the limit of {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    #[error("{0}")]
    Pdf(#[from] PdfError),
}

/// What a validation trusts and when it happens.
#[derive(Clone)]
pub struct Options {
    pub trust: TrustStore,
    pub crls: CrlSet,
    /// Validation time; `None` means now.
    pub at: Option<OffsetDateTime>,
    pub limits: Limits,
    pub max_file_size: u64,
    /// How a certificate without current revocation data is judged when no
    /// CRL from its issuer is in `crls`.
    pub revocation: RevocationPolicy,
    /// The same, when `crls` holds a CRL from its issuer (current or not).
    /// The gateway sets this to hard: for the CAs whose lists it holds, a
    /// missing or stale answer is not a pass.
    pub revocation_with_crl: RevocationPolicy,
}

impl Options {
    /// One policy for every certificate (the CLI's `--revocation`).
    pub fn with_revocation(mut self, policy: RevocationPolicy) -> Self {
        self.revocation = policy;
        self.revocation_with_crl = policy;
        self
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            trust: TrustStore::new(),
            crls: CrlSet::new(),
            at: None,
            limits: Limits::default(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            revocation: RevocationPolicy::Soft,
            revocation_with_crl: RevocationPolicy::Soft,
        }
    }
}

/// Validates the PDF at `path` (refusing files over the size limit), read
/// by position: the cross-reference tail, objects on demand, the signed
/// ranges streamed through the digest.
pub fn verify_file(path: &Path, opts: &Options) -> Result<Report, VerifyError> {
    let io = |source| VerifyError::Io { path: path.display().to_string(), source };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > opts.max_file_size {
        return Err(VerifyError::TooLarge { size, limit: opts.max_file_size });
    }
    let file = FileSource::new(std::fs::File::open(path).map_err(io)?).map_err(io)?;
    verify_source(Source::File(&file), &path.display().to_string(), opts)
}

/// Validates a PDF held in memory.
pub fn verify_bytes(data: &[u8], name: &str, opts: &Options) -> Result<Report, VerifyError> {
    verify_source(Source::Bytes(data), name, opts)
}

/// Validates a PDF read by position: memory does not grow with the file.
pub fn verify_source(src: Source<'_>, name: &str, opts: &Options) -> Result<Report, VerifyError> {
    if src.len() as u64 > opts.max_file_size {
        return Err(VerifyError::TooLarge { size: src.len() as u64, limit: opts.max_file_size });
    }
    let budget = Budget::new(opts.limits.clone());
    let doc = Document::open_source(src, &budget)?;
    let found = find_signatures(&doc)?;
    let at = opts.at.unwrap_or_else(OffsetDateTime::now_utc);
    // Each signature costs a hash of (up to) the whole file and a path
    // build: a file with thousands of signature dictionaries must not turn
    // that into hours. Past the limit the rest are not examined, and the
    // document cannot pass.
    let limit = opts.limits.max_signatures;
    let over_limit = found.len() > limit;
    let mut warnings: Vec<String> = Vec::new();
    // Read the last revision as signing does: damage there is named.
    if let Some(problem) = doc.last_revision_problem()? {
        warnings.push(problem);
    }
    if over_limit {
        warnings.push(format!(
            "the document has {} signature dictionaries; only the first {limit} were examined (limit)",
            found.len()
        ));
    }
    let digests = Digests::default();
    let mut sigs: Vec<SignatureReport> = Vec::with_capacity(found.len().min(limit));
    let mut redefined = false;
    let mut certification: Option<(u8, usize)> = None;
    let mut ends = Vec::with_capacity(found.len().min(limit));
    for (i, f) in found.iter().take(limit).enumerate() {
        budget.check_time()?;
        let (mut rep, end) = check_signature(&doc, &digests, f, i, opts, at)?;
        if let Some(e) = digests.take_error() {
            return Err(e.into());
        }
        if let Some(r) = f.object
            && changes::signature_redefined(&doc, r.num)?
        {
            redefined = true;
            rep.changes_after = Changes::Other;
            rep.fail(
                SubIndication::FormatFailure,
                "changed after signing: the signature dictionary was redefined by a later revision",
            );
        }
        if let (Some(p), Some(end)) = (rep.certification, end) {
            certification = Some(certification.map_or((p, end), |c: (u8, usize)| if end < c.1 { (p, end) } else { c }));
        }
        ends.push(end);
        sigs.push(rep);
    }
    // Revision analysis, once per distinct signed revision.
    let mut modified = redefined;
    let mut cache: Vec<(usize, changes::Analysis)> = Vec::new();
    for (rep, end) in sigs.iter_mut().zip(&ends) {
        let Some(end) = *end else { continue };
        let analysis = match cache.iter().find(|(e, _)| *e == end) {
            Some((_, a)) => a.clone(),
            None => {
                let a = match changes::analyse(&doc, end) {
                    Ok(a) => a,
                    Err(e) if e.is_budget() => return Err(e.into()),
                    // What cannot be read after a signature cannot be shown
                    // harmless: a repair never makes a document look less
                    // modified.
                    Err(e) => {
                        changes::Analysis::unreadable(format!("what follows the signed revision cannot be read: {e}"))
                    }
                };
                cache.push((end, a.clone()));
                a
            }
        };
        rep.changes_after = rep.changes_after.max(analysis.level);
        rep.warnings.extend(analysis.warnings.iter().map(|w| format!("later revision: {w}")));
        // DocMDP of a certification signature made at or before this
        // revision limits what may follow; without one, annotations and
        // form filling are acceptable (as in every mainstream validator).
        let allowed_ok = match certification {
            Some((p, cert_end)) if cert_end <= end => match p {
                1 => analysis.level <= Changes::Signatures && !analysis.adds_signatures,
                2 => analysis.level <= Changes::FormFilling,
                _ => analysis.level <= Changes::Annotations,
            },
            _ => analysis.level <= Changes::Annotations,
        };
        if !allowed_ok {
            modified = true;
            let what = analysis.notes.first().cloned().unwrap_or_else(|| "the document changed".into());
            rep.errors.push(format!("changed after signing: {what}"));
        } else if analysis.level > Changes::None {
            for n in analysis.notes.iter().take(5) {
                rep.warnings.push(format!("later revision: {n}"));
            }
        }
    }
    let indication = if sigs.is_empty() {
        Indication::Indeterminate
    } else if modified || sigs.iter().any(|s| s.indication == Indication::TotalFailed) {
        Indication::TotalFailed
    } else if !over_limit && sigs.iter().all(SignatureReport::passed) {
        Indication::TotalPassed
    } else {
        Indication::Indeterminate
    };
    let mut all_warnings = doc.repairs();
    all_warnings.extend(warnings);
    Ok(Report {
        file: name.to_string(),
        indication,
        modified_after_signing: modified,
        warnings: all_warnings,
        signatures: sigs,
    })
}

/// The byte ranges of a signature, after every invariant has been checked.
struct Ranges {
    br: ByteRange,
    contents: Vec<u8>,
}

/// Checks /ByteRange and /Contents ([`ByteRange`] holds those invariants)
/// and that the signature dictionary itself lies inside the signed bytes,
/// so its /ByteRange is signed too.
fn check_ranges(doc: &Document<'_>, f: &FoundSignature) -> Result<Ranges, String> {
    let Some((obj_start, obj_end)) = f.span else {
        if dict_get(&f.dict, b"ByteRange").is_none() {
            return Err(ByteRangeError::Missing.to_string());
        }
        return Err("the signature dictionary is inside an object stream, so its position cannot be checked".into());
    };
    let (br, contents) = ByteRange::from_dict(&f.dict, doc.len()).map_err(|e| e.to_string())?;
    if !br.holds_dictionary(obj_start, obj_end) {
        return Err("the signature dictionary is not inside the signed bytes".into());
    }
    Ok(Ranges { br, contents: contents.bytes.clone() })
}

/// Digests of signed ranges, each distinct range and algorithm hashed once
/// however many signature dictionaries name it.
#[derive(Default)]
struct Digests {
    done: RefCell<HashMap<(ByteRange, DigestAlgorithm), Vec<u8>>>,
    /// How many times a range was actually read and hashed.
    computed: std::cell::Cell<usize>,
    /// The first read error: the file could not be read where a checked
    /// range says it can (it shrank, or the disk failed). Reported by
    /// [`verify_source`] as an error, never as a digest mismatch.
    failed: RefCell<Option<PdfError>>,
}

impl Digests {
    fn of(&self, doc: &Document<'_>, br: &ByteRange, alg: DigestAlgorithm) -> Vec<u8> {
        if let Some(d) = self.done.borrow().get(&(*br, alg)) {
            return d.clone();
        }
        // The range was checked against this very file, so it is inside;
        // the ranges are streamed through the digest, never held whole.
        let (first_end, second_start) = br.gap();
        self.computed.set(self.computed.get().saturating_add(1));
        match doc.source().digest(&[(0, first_end), (second_start, br.end())], alg.ring()) {
            Ok(d) => {
                self.done.borrow_mut().insert((*br, alg), d.clone());
                d
            }
            Err(e) => {
                self.failed.borrow_mut().get_or_insert(e);
                Vec::new()
            }
        }
    }

    /// The read error met while hashing, if any.
    fn take_error(&self) -> Option<PdfError> {
        self.failed.borrow_mut().take()
    }
}

fn name_of(o: Option<&Object>) -> String {
    o.and_then(Object::as_name).map(|n| String::from_utf8_lossy(n).into_owned()).unwrap_or_default()
}

/// DocMDP permission of a certification signature (ISO 32000-1 §12.8.2.2).
/// Unreadable references count as absent; running out of budget does not.
fn docmdp_permission(doc: &Document<'_>, dict: &Dict) -> Result<Option<u8>, PdfError> {
    let resolve = |o: &Object| doc.resolve(o, crate::pdf::View::Latest).or_else(PdfError::unless_budget);
    let Some(refs) = dict_get(dict, b"Reference") else { return Ok(None) };
    let Some(Object::Array(refs)) = resolve(refs)? else { return Ok(None) };
    for r in &refs {
        let Some(r) = resolve(r)? else { continue };
        if r.has_name(b"TransformMethod", b"DocMDP") {
            let p = match r.get(b"TransformParams") {
                Some(t) => resolve(t)?,
                None => None,
            };
            let p = p.and_then(|t| t.get(b"P").and_then(Object::as_int)).unwrap_or(2);
            return Ok(Some(p.clamp(1, 3) as u8));
        }
    }
    Ok(None)
}

/// A PDF date (`D:YYYYMMDDHHmmSSOHH'mm`, ISO 32000-1 §7.9.4); missing
/// trailing fields take their defaults.
fn pdf_date(o: Option<&Object>) -> Option<OffsetDateTime> {
    let Object::Str(s) = o? else { return None };
    let t = std::str::from_utf8(&s.bytes).ok()?;
    let t = t.strip_prefix("D:").unwrap_or(t);
    let digits = t.bytes().take_while(u8::is_ascii_digit).count().min(14);
    if digits < 4 || digits % 2 != 0 {
        return None;
    }
    let field = |i: usize, default: u8| -> u8 {
        t.get(i..i + 2).filter(|_| i + 2 <= digits).and_then(|v| v.parse().ok()).unwrap_or(default)
    };
    let year: i32 = t.get(0..4)?.parse().ok()?;
    let date = time::Date::from_calendar_date(year, time::Month::try_from(field(4, 1)).ok()?, field(6, 1)).ok()?;
    let tod = time::Time::from_hms(field(8, 0), field(10, 0), field(12, 0)).ok()?;
    let rest = &t[digits..];
    let offset = match rest.as_bytes().first() {
        Some(sign @ (b'+' | b'-')) => {
            let z: String = rest.chars().filter(char::is_ascii_digit).take(4).collect();
            let h: i8 = z.get(0..2).and_then(|v| v.parse().ok()).unwrap_or(0);
            let m: i8 = z.get(2..4).and_then(|v| v.parse().ok()).unwrap_or(0);
            let k = if *sign == b'-' { -1 } else { 1 };
            time::UtcOffset::from_hms(k * h, k * m, 0).ok()?
        }
        _ => time::UtcOffset::UTC,
    };
    Some(time::PrimitiveDateTime::new(date, tod).assume_offset(offset))
}

/// Validates one signature. Returns its report and the end of its signed
/// range when the ranges were sound (for the revision analysis).
fn check_signature(
    doc: &Document<'_>,
    digests: &Digests,
    f: &FoundSignature,
    i: usize,
    opts: &Options,
    at: OffsetDateTime,
) -> Result<(SignatureReport, Option<usize>), PdfError> {
    let field = match (&f.field, f.object) {
        (Some(name), _) => name.clone(),
        (None, Some(r)) => format!("(no field; object {})", r.num),
        (None, None) => format!("(signature {})", i + 1),
    };
    let subfilter = name_of(dict_get(&f.dict, b"SubFilter"));
    let mut rep = SignatureReport::new(field, subfilter.clone());
    if let Some(e) = &f.error {
        rep.fail(SubIndication::FormatFailure, e.clone());
        return Ok((rep, None));
    }
    let claimed_m = pdf_date(dict_get(&f.dict, b"M"));
    rep.signing_time = claimed_m.map(report::fmt_time);
    rep.certification = docmdp_permission(doc, &f.dict)?;
    let ranges = match check_ranges(doc, f) {
        Ok(r) => r,
        Err(e) => {
            rep.fail(SubIndication::FormatFailure, e);
            return Ok((rep, None));
        }
    };
    rep.byte_range = Some(ranges.br.numbers().map(|v| v as u64));
    let end = ranges.br.end();
    rep.covers_whole_document = end == doc.len();
    match subfilter.as_str() {
        "adbe.pkcs7.detached" | "ETSI.CAdES.detached" => {
            check_cms(doc, digests, &ranges, claimed_m, opts, at, &mut rep)
        }
        "ETSI.RFC3161" => check_document_timestamp(doc, digests, &ranges, opts, at, &mut rep),
        "adbe.pkcs7.sha1" | "adbe.x509.rsa_sha1" => rep.fail(
            SubIndication::CryptoConstraintsFailure,
            format!("{subfilter} signatures use SHA-1 and are refused by policy"),
        ),
        "" => rep.fail(SubIndication::FormatFailure, "the signature has no /SubFilter"),
        other => rep.fail(SubIndication::FormatFailure, format!("unsupported signature format {other}")),
    }
    Ok((rep, Some(end)))
}

/// Maps a CMS failure to the ETSI sub-indication it amounts to.
fn cms_subindication(e: &CmsError) -> SubIndication {
    match e {
        CmsError::DigestMismatch => SubIndication::HashFailure,
        CmsError::SignerCertificateNotFound | CmsError::SigningCertificateMismatch => {
            SubIndication::NoSigningCertificateFound
        }
        CmsError::Algorithm(AlgorithmError::BadSignature) => SubIndication::SigCryptoFailure,
        CmsError::Algorithm(AlgorithmError::Policy(_) | AlgorithmError::Unsupported(_)) => {
            SubIndication::CryptoConstraintsFailure
        }
        _ => SubIndication::FormatFailure,
    }
}

/// The CMS in /Contents: its DER length decides where it ends; what follows
/// must be the zero padding of the placeholder.
fn parse_contents<'c>(contents: &'c [u8], rep: &mut SignatureReport) -> Option<cms::SignedData<'c>> {
    match cms::parse_signed_data(contents) {
        Ok((sd, len)) => {
            if contents[len..].iter().any(|&b| b != 0) {
                rep.fail(SubIndication::FormatFailure, "/Contents holds data after the CMS structure");
                return None;
            }
            Some(sd)
        }
        Err(e) => {
            rep.fail(SubIndication::FormatFailure, format!("/Contents: {e}"));
            None
        }
    }
}

/// A CMS signature; `claimed_m` is the signing time in the dictionary's /M,
/// used when the CMS carries no signingTime (PAdES puts it only in /M).
#[allow(clippy::too_many_arguments)]
fn check_cms(
    doc: &Document<'_>,
    digests: &Digests,
    ranges: &Ranges,
    claimed_m: Option<OffsetDateTime>,
    opts: &Options,
    at: OffsetDateTime,
    rep: &mut SignatureReport,
) {
    let Some(sd) = parse_contents(&ranges.contents, rep) else {
        return;
    };
    let Some(si) = sd.signer_infos.first() else {
        rep.fail(SubIndication::FormatFailure, "the CMS has no signer");
        return;
    };
    if let Some(cert) = cms::find_signer_certificate(&sd, si).and_then(|c| Cert::parse(c).ok()) {
        rep.signer =
            Some(Signer { subject: cert.subject_text(), issuer: cert.issuer_text(), serial: cert.serial_hex() });
    }
    let digest = match cms::signer_digest(si) {
        Ok(d) => d,
        Err(e) => {
            rep.fail(cms_subindication(&e), e.to_string());
            return;
        }
    };
    rep.digest_algorithm = Some(digest.name().to_string());
    let signer = match cms::verify_signer(&sd, &digests.of(doc, &ranges.br, digest)) {
        Ok(s) => s,
        Err(e) => {
            rep.fail(cms_subindication(&e), e.to_string());
            return;
        }
    };
    rep.signature_algorithm = Some(signer.algorithm.name.clone());
    let claimed = signer.claimed_time.or(claimed_m);
    if let Some(t) = claimed {
        rep.signing_time = Some(report::fmt_time(t));
    }
    // A valid signature timestamp proves the signature existed at its time.
    let poe = match cms::timestamp_token(si) {
        Ok(Some(token)) => check_timestamp(token, si.signature, opts, at, rep),
        Ok(None) => None,
        Err(e) => {
            rep.warnings.push(format!("signature timestamp unreadable: {e}"));
            None
        }
    };
    if let (Some(claimed), Some(poe)) = (claimed, poe)
        && claimed > poe + time::Duration::minutes(5)
    {
        rep.warnings.push("the claimed signing time is after the timestamp".into());
    }
    validate_signer_path(signer.certificate, &sd.certificates, Usage::DocumentSigning, poe, claimed, opts, at, rep);
}

/// Verifies a signature timestamp token; returns its time when it is valid.
fn check_timestamp(
    token: &[u8],
    signature: &[u8],
    opts: &Options,
    at: OffsetDateTime,
    rep: &mut SignatureReport,
) -> Option<OffsetDateTime> {
    let ts = match timestamp::verify_token(token, signature) {
        Ok(ts) => ts,
        Err(e) => {
            rep.warnings.push(format!("signature timestamp invalid, ignored: {e}"));
            return None;
        }
    };
    let tsa = Cert::parse(ts.signer.certificate).map(|c| c.subject_text()).unwrap_or_default();
    rep.timestamp = Some(Timestamp { time: report::fmt_time(ts.info.gen_time), tsa: tsa.clone() });
    let mut sub = SignatureReport::new(String::new(), String::new());
    validate_signer_path(
        ts.signer.certificate,
        &ts.certificates,
        Usage::TimeStamping,
        Some(ts.info.gen_time),
        None,
        opts,
        at,
        &mut sub,
    );
    if sub.passed() {
        Some(ts.info.gen_time)
    } else {
        for e in sub.errors {
            rep.warnings.push(format!("signature timestamp by {tsa} not trusted, ignored: {e}"));
        }
        None
    }
}

/// A document timestamp (/SubFilter ETSI.RFC3161): the token's imprint is
/// the digest of the signed ranges.
fn check_document_timestamp(
    doc: &Document<'_>,
    digests: &Digests,
    ranges: &Ranges,
    opts: &Options,
    at: OffsetDateTime,
    rep: &mut SignatureReport,
) {
    let len = match cms::first_element(&ranges.contents) {
        Ok(t) => t.raw.len(),
        Err(e) => {
            rep.fail(SubIndication::FormatFailure, format!("/Contents: {e}"));
            return;
        }
    };
    let token = &ranges.contents[..len];
    let imprint = |alg: DigestAlgorithm| digests.of(doc, &ranges.br, alg);
    match timestamp::verify_token_with(token, &imprint) {
        Ok(ts) => {
            let tsa = Cert::parse(ts.signer.certificate).ok();
            if let Some(c) = &tsa {
                rep.signer =
                    Some(Signer { subject: c.subject_text(), issuer: c.issuer_text(), serial: c.serial_hex() });
            }
            rep.digest_algorithm = Some(ts.info.imprint_algorithm.name().to_string());
            rep.signature_algorithm = Some(ts.signer.algorithm.name.clone());
            rep.signing_time = Some(report::fmt_time(ts.info.gen_time));
            rep.timestamp = Some(Timestamp {
                time: report::fmt_time(ts.info.gen_time),
                tsa: tsa.map(|c| c.subject_text()).unwrap_or_default(),
            });
            validate_signer_path(
                ts.signer.certificate,
                &ts.certificates,
                Usage::TimeStamping,
                None,
                Some(ts.info.gen_time),
                opts,
                at,
                rep,
            );
        }
        Err(e) => rep.fail(cms_subindication(&e), format!("document timestamp: {e}")),
    }
}

/// Path, validity and revocation of a signer's certificate.
///
/// `poe` is a proven time of existence (a valid timestamp): validity and
/// revocation are judged then. Without it they are judged at the validation
/// time `at`, and a claimed signing time outside the certificate's validity
/// is a failure of its own (a signature made with an expired certificate).
#[allow(clippy::too_many_arguments)]
fn validate_signer_path(
    signer: &[u8],
    pool: &[&[u8]],
    usage: Usage,
    poe: Option<OffsetDateTime>,
    claimed: Option<OffsetDateTime>,
    opts: &Options,
    at: OffsetDateTime,
    rep: &mut SignatureReport,
) {
    let path = match path::build(signer, pool, &opts.trust, usage) {
        Ok(p) => p,
        Err(e) => {
            let sub = match e {
                PathError::NoChain | PathError::Budget => SubIndication::NoCertificateChainFound,
                PathError::Crypto(_) => SubIndication::CryptoConstraintsFailure,
                PathError::Unreadable
                | PathError::Usage(_)
                | PathError::NotCa { .. }
                | PathError::PathLength { .. }
                | PathError::CaUsage { .. }
                | PathError::MalformedExtension { .. }
                | PathError::UnknownCriticalExtension { .. }
                | PathError::NameNotPermitted { .. }
                | PathError::NameExcluded { .. }
                | PathError::NameFormUnsupported { .. }
                | PathError::NameBudget => SubIndication::ChainConstraintsFailure,
            };
            rep.fail(sub, e.to_string());
            return;
        }
    };
    let when = poe.unwrap_or(at);
    if poe.is_none()
        && let Some(claimed) = claimed
        && let Err(e) = path.check_validity(claimed)
    {
        let sub = match e {
            ValidityError::Expired { .. } => SubIndication::Expired,
            ValidityError::NotYetValid { .. } => SubIndication::NotYetValid,
        };
        rep.fail(sub, format!("{e} (signing time {})", report::fmt_time(claimed)));
        return;
    }
    if let Err(e) = path.check_validity(when) {
        let sub = match (&e, poe) {
            (ValidityError::NotYetValid { .. }, _) => SubIndication::NotYetValid,
            (ValidityError::Expired { .. }, Some(_)) => SubIndication::Expired,
            // Signed (as claimed) while valid, but nothing proves when.
            (ValidityError::Expired { .. }, None) if claimed.is_some() => SubIndication::OutOfBoundsNoPoe,
            (ValidityError::Expired { .. }, None) => SubIndication::Expired,
        };
        rep.fail(sub, format!("{e} (validation time {})", report::fmt_time(when)));
        return;
    }
    // Accepted by the policy table when the path was built; what it accepts
    // with a warning is said here.
    if let Some(Ok(notes)) = path.certs.first().map(|leaf| policy::check_usage(leaf, usage)) {
        rep.warnings.extend(notes.iter().map(ToString::to_string));
    }
    check_revocation(&path, poe, opts, at, rep);
}

/// Revocation of every certificate of `path` but the anchor, by the CRLs of
/// its issuer; what a missing or stale CRL amounts to is the
/// [`RevocationPolicy`] for that issuer (EN 319 102-1 §5.2.6: no current
/// status is INDETERMINATE under a policy that requires one).
fn check_revocation(
    path: &path::CertPath<'_>,
    poe: Option<OffsetDateTime>,
    opts: &Options,
    at: OffsetDateTime,
    rep: &mut SignatureReport,
) {
    // A revocation found anywhere on the path outranks a gap found before it.
    let mut gap: Option<(SubIndication, String)> = None;
    for pair in path.certs.windows(2) {
        let (cert, issuer) = (&pair[0], &pair[1]);
        let policy = if opts.crls.names_issuer(issuer) { opts.revocation_with_crl } else { opts.revocation };
        let missing = match opts.crls.status(cert, issuer, at, &mut rep.warnings) {
            Revocation::Revoked { date, reason } => {
                if poe.is_some_and(|t| t < date) {
                    rep.warnings.push(format!(
                        "certificate {} was revoked on {}, after the timestamped signing time",
                        cert.subject_text(),
                        report::fmt_time(date)
                    ));
                    continue;
                }
                let reason = reason.map(|r| format!(" ({r})")).unwrap_or_default();
                rep.fail(
                    SubIndication::Revoked,
                    format!("certificate {} was revoked on {}{reason}", cert.subject_text(), report::fmt_time(date)),
                );
                return;
            }
            Revocation::Good => continue,
            Revocation::NotCurrent { next_update } => {
                let when = match next_update {
                    Some(t) => format!("its nextUpdate {} has passed", report::fmt_time(t)),
                    None => "it has no nextUpdate".to_string(),
                };
                let note = format!(
                    "revocation of {} not known: the CRL of {} is not current ({when}; validation time {})",
                    cert.subject_text(),
                    issuer.subject_text(),
                    report::fmt_time(at)
                );
                (RevocationGap::NotCurrent, note)
            }
            Revocation::Unknown if opts.crls.is_empty() && policy == RevocationPolicy::Soft => {
                (RevocationGap::NoData, "revocation not checked: no CRLs were given".to_string())
            }
            Revocation::Unknown => (
                RevocationGap::NoData,
                format!("revocation of {} not checked: no CRL from its issuer was given", cert.subject_text()),
            ),
        };
        let (kind, note) = missing;
        match policy::revocation_outcome(policy) {
            RevocationOutcome::Warn => {
                if !rep.warnings.contains(&note) {
                    rep.warnings.push(note);
                }
            }
            RevocationOutcome::Indeterminate => {
                let sub = match kind {
                    RevocationGap::NotCurrent => SubIndication::RevocationOutOfBoundsNoPoe,
                    RevocationGap::NoData => SubIndication::TryLater,
                };
                gap.get_or_insert((sub, note));
            }
        }
    }
    if let Some((sub, note)) = gap {
        rep.fail(sub, note);
    }
}

#[cfg(test)]
mod digest_cache_tests {
    use super::*;

    /// The hash-once cache: the same range and algorithm are read once
    /// however often they are asked for, and what it returns is the digest
    /// of exactly the signed bytes.
    #[test]
    fn each_range_and_algorithm_is_hashed_once_and_correctly() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/certs/dev/sample-signed.pdf");
        let data = std::fs::read(path).unwrap_or_default();
        assert!(!data.is_empty(), "cannot read {path}");
        let budget = Budget::new(Limits::default());
        let doc = Document::open_source(Source::Bytes(&data), &budget).map_err(|e| e.to_string());
        let Ok(doc) = doc else { panic!("{doc:?}", doc = doc.err()) };
        let found = find_signatures(&doc).unwrap_or_default();
        let Some(f) = found.first() else { panic!("no signature in {path}") };
        let Ok(ranges) = check_ranges(&doc, f) else { panic!("bad ranges in {path}") };
        let br = ranges.br;
        let digests = Digests::default();
        let first = digests.of(&doc, &br, DigestAlgorithm::Sha256);
        for _ in 0..1000 {
            assert_eq!(digests.of(&doc, &br, DigestAlgorithm::Sha256), first);
        }
        assert_eq!(digests.computed.get(), 1, "one range, one algorithm: one read");
        let (a, b) = br.gap();
        let mut signed = data.get(..a).unwrap_or_default().to_vec();
        signed.extend_from_slice(data.get(b..br.end()).unwrap_or_default());
        assert_eq!(first, ring::digest::digest(&ring::digest::SHA256, &signed).as_ref());
        let other = digests.of(&doc, &br, DigestAlgorithm::Sha384);
        assert_eq!(other, ring::digest::digest(&ring::digest::SHA384, &signed).as_ref());
        assert_eq!(digests.computed.get(), 2, "a second algorithm is a second read");
        assert!(digests.take_error().is_none());
    }

    /// The whole verifier: a file whose many signature dictionaries share
    /// one range reads that range once, not once per dictionary.
    #[test]
    fn many_signatures_over_one_range_cost_one_read() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/certs/dev/sample-signed.pdf");
        let data = std::fs::read(path).unwrap_or_default();
        let budget = Budget::new(Limits::default());
        let Ok(doc) = Document::open_source(Source::Bytes(&data), &budget) else { panic!("cannot open {path}") };
        let found = find_signatures(&doc).unwrap_or_default();
        let Some(f) = found.first() else { panic!("no signature in {path}") };
        let digests = Digests::default();
        let mut opts = Options::default();
        let root = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/certs/dev/root.pem")).unwrap_or_default();
        assert_eq!(opts.trust.add_pem(&root, "root.pem").ok(), Some(1));
        let at = OffsetDateTime::now_utc();
        let mut reports = Vec::new();
        for i in 0..50 {
            let r = check_signature(&doc, &digests, f, i, &opts, at).map_err(|e| e.to_string());
            let Ok((rep, _)) = r else { panic!("{:?}", r.err()) };
            reports.push(rep);
        }
        for r in &reports {
            assert!(r.errors.is_empty() && r.passed(), "{:?}", r.errors);
        }
        assert_eq!(digests.computed.get(), 1, "50 checks of one signature read its range once");
    }

    /// A read error while hashing (the file shrank under the verifier) is
    /// kept and reported by the verification, not turned into a digest that
    /// silently fails to match.
    #[test]
    fn a_read_error_is_kept_not_swallowed() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/certs/dev/sample-signed.pdf");
        let data = std::fs::read(path).unwrap_or_default();
        let Ok(mut tmp) = tempfile::NamedTempFile::new() else { panic!("no temp file") };
        assert!(std::io::Write::write_all(&mut tmp, &data).is_ok());
        let Ok(file) = std::fs::File::open(tmp.path()) else { panic!("cannot reopen") };
        let Ok(src) = FileSource::new(file) else { panic!("no source") };
        let budget = Budget::new(Limits::default());
        let Ok(doc) = Document::open_source(Source::File(&src), &budget) else { panic!("cannot open {path}") };
        let found = find_signatures(&doc).unwrap_or_default();
        let Some(f) = found.first() else { panic!("no signature in {path}") };
        let Ok(ranges) = check_ranges(&doc, f) else { panic!("bad ranges") };
        assert!(tmp.as_file().set_len((data.len() / 2) as u64).is_ok());
        let digests = Digests::default();
        assert!(digests.of(&doc, &ranges.br, DigestAlgorithm::Sha256).is_empty());
        assert!(digests.take_error().is_some(), "the read error must be kept");
        assert!(digests.take_error().is_none(), "and handed over once");
    }
}

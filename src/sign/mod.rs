//! PAdES signing: one step with a key object, or prepare/finish for keys
//! that live in an external token.
//!
//! The signature is an incremental update: every byte of the input stays as
//! it was (earlier signatures stay valid) and the new signature covers the
//! whole output. The output is `input ++ tail`: callers stream the input
//! they already hold and then the tail, so signing a large file costs one
//! copy of it in memory, and the digest is taken over the same slices.
//!
//! The /Contents placeholder is sized from a CMS built with the real
//! certificates, the key's largest signature and (with a TSA) its largest
//! token ([`Timestamper::max_token_len`]), plus a small margin: never a
//! blind 30 KB of zeros, and one request to the TSA per signature.

pub mod appearance;
pub mod file;
pub mod placement;

use crate::asn1::der::DerError;
use crate::asn1::oid as cms_oid;
use crate::cms;
use crate::cms::build::{self, SignedDataParts, SignerIdentity};
use crate::cms::tsa::{Timestamper, TsaError};
use crate::pdf::byterange::ByteRange;
use crate::pdf::object::{Dict, ObjRef, Object, PdfString, dict_get};
use crate::pdf::signatures::{find_signatures, signature_fields};
use crate::pdf::source::Source;
use crate::pdf::write::{Body, Update, pdf_date, text_string, write_string};
use crate::pdf::{Budget, Document, Limits, PdfError, View};
use crate::pki::algorithms::{self, AlgorithmError, DigestAlgorithm, SignatureScheme};
use crate::pki::keys::{KeyError, SigningKey};
use crate::pki::policy::{self, Usage, UsageError};
use crate::pki::{Cert, CertError};
use thiserror::Error;
use time::OffsetDateTime;

/// Why a document could not be signed. No output is written in any case.
#[derive(Debug, Error)]
pub enum SignError {
    #[error("{0}")]
    Pdf(#[from] PdfError),
    #[error("{0}")]
    Key(#[from] KeyError),
    #[error("{0}")]
    Tsa(#[from] TsaError),
    #[error("signing certificate unreadable: {0}")]
    Certificate(CertError),
    /// The certificate reads, but its key is not one vanthu signs with.
    #[error("the signing certificate's key cannot sign: {0}")]
    CertificateKey(AlgorithmError),
    /// The AlgorithmIdentifier vanthu built for a scheme does not read back:
    /// a bug here, not a fault of the caller's files.
    #[error("internal error: the signature algorithm identifier does not parse: {0}")]
    AlgorithmIdentifier(DerError),
    #[error("the private key does not match the signing certificate")]
    KeyMismatch,
    #[error("the signing certificate expired on {0}")]
    CertificateExpired(String),
    #[error("the signing certificate is not valid before {0}")]
    CertificateNotYetValid(String),
    /// Refused by the policy table ([`crate::pki::policy`]), in the words
    /// verification would use.
    #[error("{0}")]
    Usage(#[from] UsageError),
    #[error("signature field {0:?} is already signed")]
    FieldAlreadySigned(String),
    #[error("the document has no page {0}")]
    NoSuchPage(usize),
    #[error("a certification signature must be the document's first signature")]
    CertifyNotFirst,
    #[error("the document catalog is missing or malformed")]
    NoCatalog,
    #[error("no prepared signature placeholder found (was the file made by `sign prepare`?)")]
    NotPrepared,
    #[error("the signature does not verify with the certificate's key: {0}")]
    BadExternalSignature(String),
    #[error("the signature ({0} bytes) does not fit the placeholder ({1} bytes)")]
    PlaceholderTooSmall(usize, usize),
    /// The TSA returned more than its size hint promised; the gap was sized
    /// from the hint before the document was hashed, so it cannot grow now.
    #[error(
        "the TSA's token is {token} bytes, over the {room} bytes reserved for it \
         (raise the reserve, e.g. --tsa-max-token)"
    )]
    TimestampTooLarge { token: usize, room: usize },
    #[error("visible signature: {0}")]
    Appearance(String),
    /// A signature over a damaged file would seal the damage in.
    #[error("the input is damaged, not signing it: {0}")]
    Damaged(String),
}

/// What the signature says besides the cryptography.
#[derive(Debug, Clone, Default)]
pub struct SignOptions {
    /// Field to sign: an existing empty signature field, or a new one
    /// (default: "Signature<n>").
    pub field: Option<String>,
    pub reason: Option<String>,
    pub location: Option<String>,
    /// 1-based page the signature's widget belongs to (default 1).
    pub page: Option<usize>,
    /// Certification signature with this DocMDP permission (1, 2 or 3).
    pub certify: Option<u8>,
    /// Signing time (default now); goes into /M.
    pub time: Option<OffsetDateTime>,
    /// A visible appearance (Decree 30/2020); invisible if absent.
    pub visible: Option<appearance::Visible>,
}

/// The signer's certificate and the chain to embed (raw DER).
#[derive(Debug, Clone)]
pub struct Credentials {
    pub cert: Vec<u8>,
    pub chain: Vec<Vec<u8>>,
}

impl Credentials {
    /// Checks the certificate can sign now: readable, valid at `at`, and
    /// allowed to sign documents by the policy table (the same check
    /// verification makes, so nothing is signed that would then fail it).
    fn check(&self, at: OffsetDateTime) -> Result<Cert<'_>, SignError> {
        let cert = Cert::parse(&self.cert).map_err(SignError::Certificate)?;
        if at > cert.not_after() {
            return Err(SignError::CertificateExpired(crate::asn1::time::fmt_time(cert.not_after())));
        }
        if at < cert.not_before() {
            return Err(SignError::CertificateNotYetValid(crate::asn1::time::fmt_time(cert.not_before())));
        }
        policy::check_usage(&cert, Usage::DocumentSigning)?;
        Ok(cert)
    }
}

/// A signed document: write `input` and then `tail`.
pub struct Signed {
    pub tail: Vec<u8>,
    /// The signature field signed: the one asked for, or the new one's name
    /// (what the CLI reports to the person who signed).
    pub field: String,
}

/// A document prepared for an external signature.
pub struct Prepared {
    /// Bytes to append to the input (the placeholder is zero-filled).
    pub tail: Vec<u8>,
    /// The signed attributes (DER SET) the external key must sign.
    pub signed_attrs: Vec<u8>,
    /// Their digest, for tokens that sign a precomputed hash.
    pub digest: Vec<u8>,
    pub digest_algorithm: DigestAlgorithm,
}

/// Extra placeholder bytes over the estimated CMS (ECDSA lengths vary).
const SLACK: usize = 96;

/// Signs `input` in one step with `key`.
pub fn sign(
    input: &[u8],
    key: &dyn SigningKey,
    creds: &Credentials,
    tsa: Option<&dyn Timestamper>,
    opts: &SignOptions,
) -> Result<Signed, SignError> {
    sign_source(Source::Bytes(input), key, creds, tsa, opts)
}

/// [`sign`] over a document read by position ([`file::sign_file`] signs a
/// file without holding it): the document is hashed once, streamed.
pub fn sign_source(
    input: Source<'_>,
    key: &dyn SigningKey,
    creds: &Credentials,
    tsa: Option<&dyn Timestamper>,
    opts: &SignOptions,
) -> Result<Signed, SignError> {
    sign_hashed(input, None, key, creds, tsa, opts)
}

/// [`sign_source`], given the input already hashed with the key's digest
/// algorithm when `hashed` is set (the file signer hashes while the kernel
/// copies).
pub(crate) fn sign_hashed(
    input: Source<'_>,
    hashed: Option<ring::digest::Context>,
    key: &dyn SigningKey,
    creds: &Credentials,
    tsa: Option<&dyn Timestamper>,
    opts: &SignOptions,
) -> Result<Signed, SignError> {
    let at = opts.time.unwrap_or_else(OffsetDateTime::now_utc);
    let cert = creds.check(at)?;
    if cert.x509.public_key().subject_public_key.data.as_ref() != key.public_key() {
        return Err(SignError::KeyMismatch);
    }
    let scheme = key.scheme();
    let digest_alg = scheme.digest();
    let identity = SignerIdentity::from_cert(&cert);
    // Size the placeholder from a real CMS with the largest signature and,
    // with a TSA, room for its largest token: the TSA is asked once, after
    // signing, when the gap can no longer grow.
    let token_room = tsa.map(|t| t.max_token_len());
    let estimate = assemble(
        creds,
        &identity,
        scheme,
        &vec![0; digest_alg.digest(b"").len()],
        &vec![0xFF; key.max_signature_len()],
        token_room.map(|n| vec![0; n]).as_deref(),
    )
    .len();
    let mut layout = lay_out(input, &cert, opts, at, estimate + SLACK)?;
    let digest = layout.digest(input, hashed, digest_alg)?;
    let attrs = build::signed_attributes(cms_oid::DATA, &digest, &identity);
    let signature = key.sign(&attrs)?;
    let token = match tsa {
        Some(t) => Some(t.timestamp(digest_alg, &digest_alg.digest(&signature))?),
        None => None,
    };
    if let (Some(token), Some(room)) = (&token, token_room)
        && token.len() > room
    {
        return Err(SignError::TimestampTooLarge { token: token.len(), room });
    }
    let cms = build_cms(creds, &identity, scheme, &attrs, &signature, token.as_deref());
    layout.fill(&cms)?;
    Ok(Signed { tail: layout.tail, field: layout.field })
}

/// Step one of deferred signing: lays out the signature for a key of
/// `scheme` held elsewhere, and returns what that key must sign.
/// `tsa_reserve` is the room to keep for a timestamp token added at finish.
pub fn prepare(
    input: &[u8],
    creds: &Credentials,
    scheme: SignatureScheme,
    tsa_reserve: usize,
    opts: &SignOptions,
) -> Result<Prepared, SignError> {
    let at = opts.time.unwrap_or_else(OffsetDateTime::now_utc);
    let cert = creds.check(at)?;
    let digest_alg = scheme.digest();
    let identity = SignerIdentity::from_cert(&cert);
    // The certificate's key decides the size (an RSA signature is as long
    // as its modulus); a key the table cannot read gets the largest RSA size.
    let max_sig = algorithms::key_kind(cert.spki())
        .map_or(policy::max_signature_len(algorithms::KeyKind::Rsa { bits: 8192 }), policy::max_signature_len);
    let estimate =
        assemble(creds, &identity, scheme, &vec![0; digest_alg.digest(b"").len()], &vec![0xFF; max_sig], None).len();
    let layout = lay_out(Source::Bytes(input), &cert, opts, at, estimate + tsa_reserve + SLACK)?;
    let digest = layout.digest(Source::Bytes(input), None, digest_alg)?;
    let signed_attrs = build::signed_attributes(cms_oid::DATA, &digest, &identity);
    let attrs_digest = digest_alg.digest(&signed_attrs);
    Ok(Prepared { tail: layout.tail, signed_attrs, digest: attrs_digest, digest_algorithm: digest_alg })
}

/// Step two: embeds `signature` (made by the external key over the signed
/// attributes) into a prepared file, in place. The signature is checked
/// against the certificate first, so a wrong key or a wrong digest never
/// produces a broken document.
pub fn finish(
    prepared: &mut [u8],
    creds: &Credentials,
    scheme: SignatureScheme,
    signature: &[u8],
    tsa: Option<&dyn Timestamper>,
) -> Result<(), SignError> {
    let cert = Cert::parse(&creds.cert).map_err(SignError::Certificate)?;
    // The certificate given now is the one the CMS names: the same table as
    // at `prepare` (its validity was judged then, at the signing time).
    policy::check_usage(&cert, Usage::DocumentSigning)?;
    let identity = SignerIdentity::from_cert(&cert);
    let digest_alg = scheme.digest();
    // The placeholder: the newest signature dictionary whose /ByteRange is
    // sound by the verifier's own rules (the gap is exactly its /Contents),
    // reaches the end of the file and whose /Contents is still all zeros.
    let br = {
        let budget = Budget::new(Limits::default());
        let doc = Document::open(prepared, &budget)?;
        let found = find_signatures(&doc)?;
        found
            .iter()
            .filter(|f| f.span.is_some())
            .filter_map(|f| ByteRange::from_dict(&f.dict, prepared.len()).ok())
            .filter(|(br, c)| br.end() == prepared.len() && c.bytes.iter().all(|&b| b == 0))
            .map(|(br, _)| br)
            .next_back()
            .ok_or(SignError::NotPrepared)?
    };
    let digest = br.digest(prepared, digest_alg.ring()).ok_or(SignError::NotPrepared)?;
    let attrs = build::signed_attributes(cms_oid::DATA, &digest, &identity);
    let alg_id = build::signature_algorithm_id(scheme);
    let (alg_oid, params) =
        crate::asn1::der::algorithm_identifier(cms::first_element(&alg_id).map_err(SignError::AlgorithmIdentifier)?)
            .map_err(SignError::AlgorithmIdentifier)?;
    algorithms::verify_signature(cert.spki(), alg_oid, params, Some(digest_alg), &attrs, signature)
        .map_err(|e| SignError::BadExternalSignature(e.to_string()))?;
    let token = match tsa {
        Some(t) => Some(t.timestamp(digest_alg, &digest_alg.digest(signature))?),
        None => None,
    };
    let cms = build_cms(creds, &identity, scheme, &attrs, signature, token.as_deref());
    let hex = hex_upper(&cms);
    if hex.len() > br.hex_room() {
        return Err(SignError::PlaceholderTooSmall(cms.len(), br.hex_room() / 2));
    }
    let at = br.gap().0.saturating_add(1);
    let slot = prepared.get_mut(at..at.saturating_add(hex.len())).ok_or(SignError::NotPrepared)?;
    slot.copy_from_slice(hex.as_bytes());
    Ok(())
}

fn hex_upper(v: &[u8]) -> String {
    crate::pki::hex_upper(v)
}

fn assemble(
    creds: &Credentials,
    identity: &SignerIdentity<'_>,
    scheme: SignatureScheme,
    digest: &[u8],
    signature: &[u8],
    token: Option<&[u8]>,
) -> Vec<u8> {
    let attrs = build::signed_attributes(cms_oid::DATA, digest, identity);
    build_cms(creds, identity, scheme, &attrs, signature, token)
}

fn build_cms(
    creds: &Credentials,
    identity: &SignerIdentity<'_>,
    scheme: SignatureScheme,
    attrs: &[u8],
    signature: &[u8],
    token: Option<&[u8]>,
) -> Vec<u8> {
    let unsigned = token.map(build::timestamp_attribute);
    build::signed_data(&SignedDataParts {
        digest: scheme.digest(),
        content_type: cms_oid::DATA,
        econtent: None,
        signer: SignerIdentity { certificate: identity.certificate, issuer: identity.issuer, serial: identity.serial },
        chain: &creds.chain,
        signed_attrs: attrs,
        signature_algorithm: &build::signature_algorithm_id(scheme),
        signature,
        unsigned_attr: unsigned.as_deref(),
    })
}

/// The update with its placeholder, and where the placeholder is.
struct Layout {
    base_len: usize,
    tail: Vec<u8>,
    /// Absolute offsets: the `<` of /Contents and one past its `>`.
    contents: (usize, usize),
    /// The signature field's name.
    field: String,
}

impl Layout {
    /// The digest of the signed ranges: everything but the /Contents string.
    /// `hashed`: the input already hashed (with `alg`).
    fn digest(
        &self,
        input: Source<'_>,
        hashed: Option<ring::digest::Context>,
        alg: DigestAlgorithm,
    ) -> Result<Vec<u8>, PdfError> {
        let mut ctx = match hashed {
            Some(ctx) => ctx,
            None => {
                let mut ctx = ring::digest::Context::new(alg.ring());
                input.update(&mut ctx, 0, input.len())?;
                ctx
            }
        };
        ctx.update(&self.tail[..self.contents.0 - self.base_len]);
        ctx.update(&self.tail[self.contents.1 - self.base_len..]);
        Ok(ctx.finish().as_ref().to_vec())
    }

    fn fill(&mut self, cms: &[u8]) -> Result<(), SignError> {
        let hex = hex_upper(cms);
        let room = self.contents.1 - self.contents.0 - 2;
        if hex.len() > room {
            return Err(SignError::PlaceholderTooSmall(cms.len(), room / 2));
        }
        let at = self.contents.0 - self.base_len + 1;
        self.tail[at..at + hex.len()].copy_from_slice(hex.as_bytes());
        Ok(())
    }
}

/// Width of each /ByteRange number slot: enough for files up to 10 GB.
const BR_SLOT: usize = 10;

/// Builds the incremental update: signature dictionary, field and widget,
/// form and page updates; fills in /ByteRange.
fn lay_out(
    input: Source<'_>,
    cert: &Cert<'_>,
    opts: &SignOptions,
    at: OffsetDateTime,
    cms_len: usize,
) -> Result<Layout, SignError> {
    let budget = Budget::new(Limits::default());
    let doc = Document::open_source(input, &budget)?;
    check_intact(&doc)?;
    let root = doc.trailer_get(b"Root").and_then(Object::as_ref).ok_or(SignError::NoCatalog)?;
    let mut catalog = match doc.get(root)? {
        Some(Object::Dict(d)) => d,
        _ => return Err(SignError::NoCatalog),
    };
    if opts.certify.is_some() && !find_signatures(&doc)?.is_empty() {
        return Err(SignError::CertifyNotFirst);
    }
    let mut up = Update::new(&doc);
    let sig_ref = up.reserve()?;

    // The signature dictionary, with placeholders at known positions.
    let mut raw = Vec::new();
    raw.extend_from_slice(b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached\n/ByteRange ");
    let br_at = raw.len();
    raw.extend_from_slice(format!("[0 {z:<w$} {z:<w$} {z:<w$}]", z = 0, w = BR_SLOT).as_bytes());
    raw.extend_from_slice(b"\n/Contents ");
    let contents_at = raw.len();
    raw.push(b'<');
    raw.resize(raw.len() + cms_len * 2, b'0');
    raw.extend_from_slice(b">\n/M ");
    write_string(pdf_date(at.to_offset(vietnam_offset())).as_bytes(), &mut raw);
    let name = cert.x509.subject().iter_common_name().next().and_then(|cn| cn.as_str().ok()).map(str::to_string);
    for (key, value) in [(&b"Name"[..], name), (b"Reason", opts.reason.clone()), (b"Location", opts.location.clone())] {
        if let Some(v) = value {
            raw.extend_from_slice(b"\n/");
            raw.extend_from_slice(key);
            raw.push(b' ');
            write_string(&text_string(&v), &mut raw);
        }
    }
    if let Some(p) = opts.certify {
        raw.extend_from_slice(
            format!(
                "\n/Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams << /Type /TransformParams /P {} /V /1.2 >> >>]",
                p.clamp(1, 3)
            )
            .as_bytes(),
        );
    }
    raw.extend_from_slice(b"\n>>");
    up.set(sig_ref, Body::Raw(raw));

    // The field: an existing empty one with that name, or a new one.
    let existing = signature_fields(&doc, View::Latest)?;
    let field_name = match &opts.field {
        Some(n) => n.clone(),
        None => {
            (1..).map(|i| format!("Signature{i}")).find(|n| !existing.iter().any(|f| &f.name == n)).unwrap_or_default()
        }
    };
    let mut catalog_changed = false;
    if let Some(f) = existing.iter().find(|f| f.name == field_name) {
        if f.value.is_some() {
            return Err(SignError::FieldAlreadySigned(field_name));
        }
        let Some(Object::Dict(mut fd)) = doc.get(f.field)? else { return Err(SignError::NoCatalog) };
        set(&mut fd, b"V", Object::Ref(sig_ref));
        up.replace(f.field, Body::Object(Object::Dict(fd)))?;
    } else {
        let page_no = match &opts.visible {
            Some(v) if v.role == appearance::Role::Attachment => 1,
            _ => opts.page.unwrap_or(1),
        };
        let page_ref = find_page(&doc, root, page_no)?.ok_or(SignError::NoSuchPage(page_no))?;
        let mut widget: Dict = vec![
            (b"Type".to_vec(), Object::Name(b"Annot".to_vec())),
            (b"Subtype".to_vec(), Object::Name(b"Widget".to_vec())),
            (b"FT".to_vec(), Object::Name(b"Sig".to_vec())),
            (b"T".to_vec(), text(&field_name)),
            (b"F".to_vec(), Object::Int(132)),
            (b"Rect".to_vec(), Object::Array(vec![Object::Int(0); 4])),
            (b"P".to_vec(), Object::Ref(page_ref)),
            (b"V".to_vec(), Object::Ref(sig_ref)),
        ];
        if let Some(v) = &opts.visible {
            let (ap, rect) = appearance::build(&mut up, v, &appearance_texts(cert, at), page_box(&doc, page_ref)?)?;
            set(&mut widget, b"Rect", Object::Array(rect.iter().map(|&c| Object::Real(c)).collect()));
            set(&mut widget, b"F", Object::Int(4));
            set(&mut widget, b"AP", Object::Dict(vec![(b"N".to_vec(), Object::Ref(ap))]));
        }
        let widget_ref = up.add(Body::Object(Object::Dict(widget)))?;
        // The page's /Annots gains the widget.
        let Some(Object::Dict(mut page)) = doc.get(page_ref)? else { return Err(SignError::NoSuchPage(page_no)) };
        match dict_get(&page, b"Annots").cloned() {
            Some(Object::Ref(ar)) if matches!(doc.get(ar)?, Some(Object::Array(_))) => {
                let mut arr = doc.get(ar)?.and_then(|o| o.as_array().map(<[Object]>::to_vec)).unwrap_or_default();
                arr.push(Object::Ref(widget_ref));
                up.replace(ar, Body::Object(Object::Array(arr)))?;
            }
            Some(Object::Array(mut arr)) => {
                arr.push(Object::Ref(widget_ref));
                set(&mut page, b"Annots", Object::Array(arr));
                up.replace(page_ref, Body::Object(Object::Dict(page)))?;
            }
            _ => {
                set(&mut page, b"Annots", Object::Array(vec![Object::Ref(widget_ref)]));
                up.replace(page_ref, Body::Object(Object::Dict(page)))?;
            }
        }
        // The form's /Fields gains the field.
        let add_field = |af: &mut Dict, up: &mut Update<'_, '_>| -> Result<(), SignError> {
            match dict_get(af, b"Fields").cloned() {
                Some(Object::Ref(fr)) if matches!(doc.get(fr)?, Some(Object::Array(_))) => {
                    let mut arr = doc.get(fr)?.and_then(|o| o.as_array().map(<[Object]>::to_vec)).unwrap_or_default();
                    arr.push(Object::Ref(widget_ref));
                    up.replace(fr, Body::Object(Object::Array(arr)))?;
                }
                Some(Object::Array(mut arr)) => {
                    arr.push(Object::Ref(widget_ref));
                    set(af, b"Fields", Object::Array(arr));
                }
                _ => set(af, b"Fields", Object::Array(vec![Object::Ref(widget_ref)])),
            }
            set(af, b"SigFlags", Object::Int(3));
            Ok(())
        };
        match dict_get(&catalog, b"AcroForm").cloned() {
            Some(Object::Ref(afr)) if matches!(doc.get(afr)?, Some(Object::Dict(_))) => {
                let mut af = match doc.get(afr)? {
                    Some(Object::Dict(d)) => d,
                    _ => Vec::new(),
                };
                add_field(&mut af, &mut up)?;
                up.replace(afr, Body::Object(Object::Dict(af)))?;
            }
            Some(Object::Dict(mut af)) => {
                add_field(&mut af, &mut up)?;
                set(&mut catalog, b"AcroForm", Object::Dict(af));
                catalog_changed = true;
            }
            _ => {
                let mut af = Vec::new();
                add_field(&mut af, &mut up)?;
                let afr = up.add(Body::Object(Object::Dict(af)))?;
                set(&mut catalog, b"AcroForm", Object::Ref(afr));
                catalog_changed = true;
            }
        }
    }
    if opts.certify.is_some() {
        set(&mut catalog, b"Perms", Object::Dict(vec![(b"DocMDP".to_vec(), Object::Ref(sig_ref))]));
        catalog_changed = true;
    }
    if catalog_changed {
        up.replace(root, Body::Object(Object::Dict(catalog)))?;
    }

    let last = input.window(input.len().saturating_sub(1), 1)?;
    let ends_with_eol = matches!(last.last(), Some(b'\n' | b'\r'));
    let written = up.write(input.len(), ends_with_eol)?;
    let sig_at = written.offsets.iter().find(|(r, _)| *r == sig_ref).map(|(_, o)| *o).ok_or(SignError::NoCatalog)?;
    let header = format!("{} {} obj\n", sig_ref.num, sig_ref.generation).len();
    let base_len = input.len();
    let contents = (sig_at + header + contents_at, sig_at + header + contents_at + cms_len * 2 + 2);
    let mut tail = written.tail;
    let total = base_len + tail.len();
    // Patch the byte ranges into their fixed-width slots.
    let br = format!("[0 {:<w$} {:<w$} {:<w$}]", contents.0, contents.1, total - contents.1, w = BR_SLOT);
    let br_abs = sig_at + header + br_at - base_len;
    tail[br_abs..br_abs + br.len()].copy_from_slice(br.as_bytes());
    Ok(Layout { base_len, tail, contents, field: field_name })
}

/// Refuses a document that was read only through repairs, or whose last
/// revision holds an object that does not parse: the new signature would
/// cover the damage, and a verifier (vanthu's included) reads the file the
/// same way signing does.
fn check_intact(doc: &Document<'_>) -> Result<(), SignError> {
    if let Some(r) = doc.repairs().first() {
        return Err(SignError::Damaged(r.clone()));
    }
    if let Some(problem) = doc.last_revision_problem()? {
        return Err(SignError::Damaged(problem));
    }
    Ok(())
}

/// The words of a visible signature, from the signer's certificate.
fn appearance_texts(cert: &Cert<'_>, at: OffsetDateTime) -> appearance::Texts {
    let attr = |oid: &x509_parser::der_parser::asn1_rs::Oid<'_>| {
        cert.x509.subject().iter_by_oid(oid).next().and_then(|a| a.as_str().ok()).map(str::to_string)
    };
    use x509_parser::oid_registry::{OID_X509_COMMON_NAME, OID_X509_ORGANIZATION_NAME, OID_X509_TITLE};
    let f = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
    );
    appearance::Texts {
        name: attr(&OID_X509_COMMON_NAME).unwrap_or_default(),
        position: attr(&OID_X509_TITLE),
        organization: attr(&OID_X509_ORGANIZATION_NAME),
        time: at.to_offset(vietnam_offset()).format(&f).unwrap_or_default(),
    }
}

/// The page's /MediaBox (inherited through the page tree), A4 if absent.
fn page_box(doc: &Document<'_>, page: ObjRef) -> Result<[f64; 4], SignError> {
    let mut node = doc.get(page)?;
    for _ in 0..32 {
        let Some(n) = node else { break };
        if let Some(b) = n.get(b"MediaBox") {
            let b =
                doc.resolve(b, View::Latest)?.and_then(|b| b.as_array().map(<[Object]>::to_vec)).unwrap_or_default();
            let v: Vec<f64> = b
                .iter()
                .filter_map(|o| match o {
                    Object::Int(i) => Some(*i as f64),
                    Object::Real(r) => Some(*r),
                    _ => None,
                })
                .collect();
            if let [x1, y1, x2, y2] = v[..] {
                return Ok([x1.min(x2), y1.min(y2), x1.max(x2), y1.max(y2)]);
            }
        }
        node = match n.get(b"Parent").and_then(Object::as_ref) {
            Some(p) => doc.get(p)?,
            None => None,
        };
    }
    Ok([0.0, 0.0, 595.0, 842.0])
}

fn set(d: &mut Dict, key: &[u8], value: Object) {
    match d.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value,
        None => d.push((key.to_vec(), value)),
    }
}

fn text(s: &str) -> Object {
    Object::Str(PdfString { bytes: text_string(s), hex: false, span: (0, 0) })
}

/// Vietnam's zone (UTC+7), in which signing times are written.
pub fn vietnam_offset() -> time::UtcOffset {
    time::UtcOffset::from_hms(7, 0, 0).unwrap_or(time::UtcOffset::UTC)
}

/// The `n`th page (1-based) of the page tree, using /Count to skip subtrees.
fn find_page(doc: &Document<'_>, root: ObjRef, n: usize) -> Result<Option<ObjRef>, SignError> {
    let Some(catalog) = doc.get(root)? else { return Ok(None) };
    let Some(mut node) = catalog.get(b"Pages").and_then(Object::as_ref) else { return Ok(None) };
    let mut remaining = n;
    if remaining == 0 {
        return Ok(None);
    }
    for _ in 0..64 {
        let Some(obj) = doc.get(node)? else { return Ok(None) };
        if obj.has_name(b"Type", b"Page") || obj.get(b"Kids").is_none() {
            return Ok((remaining == 1).then_some(node));
        }
        let kids = match obj.get(b"Kids") {
            Some(k) => {
                doc.resolve(k, View::Latest)?.and_then(|k| k.as_array().map(<[Object]>::to_vec)).unwrap_or_default()
            }
            None => Vec::new(),
        };
        let mut next = None;
        for kid in kids.iter().filter_map(Object::as_ref) {
            let Some(k) = doc.get(kid)? else { continue };
            let count = if k.get(b"Kids").is_some() {
                k.get(b"Count").and_then(Object::as_int).unwrap_or(0).max(0) as usize
            } else {
                1
            };
            if remaining <= count {
                next = Some(kid);
                break;
            }
            remaining -= count;
        }
        match next {
            Some(k) => node = k,
            None => return Ok(None),
        }
    }
    Ok(None)
}

/// The signing scheme for a certificate's key (RSA signs with SHA-256).
pub fn scheme_for(cert_der: &[u8]) -> Result<SignatureScheme, SignError> {
    let cert = Cert::parse(cert_der).map_err(SignError::Certificate)?;
    match algorithms::key_kind(cert.spki()) {
        Ok(algorithms::KeyKind::Rsa { .. }) => Ok(SignatureScheme::RsaPkcs1Sha256),
        Ok(algorithms::KeyKind::EcP256) => Ok(SignatureScheme::EcdsaP256Sha256),
        Ok(algorithms::KeyKind::EcP384) => Ok(SignatureScheme::EcdsaP384Sha384),
        Ok(algorithms::KeyKind::Ed25519) => Ok(SignatureScheme::Ed25519),
        Err(e) => Err(SignError::CertificateKey(e)),
    }
}

//! The exchange: intake → verification → organisation seal → routing →
//! delivery → statuses → receipts. The journey of a document between units.
//!
//! Pure of sockets: the HTTP edge hands it an identity, a header and the
//! received bytes already in the document store; it talks to storage only
//! through [`crate::store::Store`]. Every change is committed with its audit
//! entries (and receipts) in one transaction before the caller answers.

pub mod claims;
pub mod receipt;
pub mod status;

use crate::audit::{Action, Event, Head};
use crate::cms::tsa::{LocalTsa, Timestamper};
use crate::directory::live::Live;
use crate::directory::{LineResolution, OrganId};
use crate::envelope::{self, FieldError, Header};
use crate::pdf::source::{FileSource, Source};
use crate::pki::keys::LocalKey;
use crate::sign::appearance::Role;
use crate::sign::placement;
use crate::sign::{self, Credentials, SignOptions};
use crate::store::blobs::{BlobError, BlobId, Blobs};
use crate::store::{
    Change, DeliveryRecord, DeliveryUpdate, DocumentRecord, InboxQuery, NewDelivery, ReceiptRecord, Store, StoreError,
};
use crate::verify::{self, report::Indication};
use serde::Serialize;
use serde_json::json;
use status::{Code, Party, Recall, Status};
use std::collections::HashMap;
use std::sync::Arc;
use thiserror::Error;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Why a request to the exchange did not go through. The HTTP status of
/// each is decided in one place (`http::error`).
#[derive(Debug, Error)]
pub enum ExchangeError {
    #[error("the header is invalid")]
    InvalidHeader(Vec<FieldError>),
    #[error("the header's sender {claimed} is not the unit of your certificate ({actual})")]
    SenderMismatch { claimed: String, actual: String },
    #[error("the document was refused: {reason}")]
    Refused { reason: String, report: serde_json::Value },
    #[error("this edXML document id was already submitted with different content")]
    DuplicateDifferent { existing: String },
    #[error("no such document")]
    NotFound,
    #[error("{0}")]
    IllegalTransition(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("the upload is over the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
    #[error("document store failed: {0}")]
    Blob(BlobError),
    #[error("applying the organisation signature failed: {0}")]
    Seal(#[from] sign::SignError),
    #[error("signing the receipt failed: {0}")]
    Receipt(String),
}

impl From<BlobError> for ExchangeError {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::TooLarge { limit } => ExchangeError::TooLarge { limit },
            other => ExchangeError::Blob(other),
        }
    }
}

/// An organisation whose signature vanthu applies on its behalf.
pub struct OrgKey {
    pub key: LocalKey,
    pub creds: Credentials,
    /// The seal image (transparent PNG).
    pub seal: Vec<u8>,
}

/// The key vanthu signs receipts with.
pub struct ReceiptKey {
    pub key: LocalKey,
    pub cert: Vec<u8>,
    pub chain: Vec<Vec<u8>>,
}

/// The exchange and everything it needs.
pub struct Exchange {
    pub store: Arc<dyn Store>,
    pub blobs: Blobs,
    /// The directory in force, swapped whole when an administrator
    /// changes it; an intake routes by the version it started with.
    pub directory: Live,
    /// Swapped as a whole when a CRL changes (a revocation takes effect on
    /// the next intake, without a restart); an intake keeps the options it
    /// started with.
    pub verify: arc_swap::ArcSwap<verify::Options>,
    pub orgs: HashMap<String, OrgKey>,
    pub tsa: LocalTsa,
    pub receipts: ReceiptKey,
}

/// A received PDF in the document store, not yet accepted.
pub struct Upload {
    pub blob: BlobId,
    pub len: u64,
}

/// One resolved recipient, as answered to the sender.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct RecipientOut {
    pub unit: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_from: Option<String>,
}

/// How the header's addressees were resolved.
#[derive(Debug, Clone, Serialize, serde::Deserialize, Default)]
pub struct Routing {
    pub recipients: Vec<RecipientOut>,
    /// `to` entries and `to_places` lines (or parts) that named nothing known.
    pub unresolved: Vec<String>,
    /// Lines recognised as the archive copy ("Lưu: …"), routed nowhere.
    pub archive: Vec<String>,
    /// Units reached that are closed.
    pub closed: Vec<String>,
}

/// The answer to a submission.
#[derive(Debug, Clone, Serialize)]
pub struct Submitted {
    pub id: String,
    pub edxml_id: String,
    pub delivered_sha256: String,
    pub sealed: bool,
    pub routing: Routing,
    pub warnings: Vec<String>,
    /// True when this is the answer to an earlier identical submission.
    pub duplicate: bool,
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn fmt(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

fn new_id() -> String {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 16];
    let _ = ring::rand::SystemRandom::new().fill(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn event(actor: &str, action: Action, document: Option<&str>, detail: serde_json::Value) -> Event {
    Event { actor: actor.to_string(), action, document: document.map(str::to_string), detail, time: now() }
}

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

impl Exchange {
    /// Accepts a document from `sender`: checks the header, verifies every
    /// signature, applies the organisation's signature when vanthu holds
    /// its key, routes it, and commits. `pdf` is the received file; it is
    /// made durable in the document store only if the document is accepted.
    pub fn submit(
        &self,
        sender: &OrganId,
        header_json: &[u8],
        pdf: crate::store::blobs::BlobWriter,
        attachments: Vec<(String, crate::store::blobs::BlobWriter)>,
    ) -> Result<Submitted, ExchangeError> {
        let header = envelope::parse(header_json).map_err(ExchangeError::InvalidHeader)?;
        if header.from.as_str() != sender.as_str() {
            return Err(ExchangeError::SenderMismatch {
                claimed: header.from.as_str().to_string(),
                actual: sender.as_str().to_string(),
            });
        }
        let edxml_id = header.edxml_id().to_string();
        let received_sha = pdf.digest_hex();
        if let Some(existing) = self.store.document_by_edxml(sender.as_str(), &edxml_id)? {
            return if existing.received.as_str() == received_sha {
                Ok(self.submitted_answer(&existing, true))
            } else {
                Err(ExchangeError::DuplicateDifferent { existing: existing.id })
            };
        }

        // Verification on arrival: nothing that is not TOTAL-PASSED, or that
        // changed after signing, goes further.
        // Verification, the text and the seal read the upload by position
        // from its temporary file, never holding it whole: memory per upload
        // does not grow with its size. The file is the blob store's own and
        // is not changed until committed, so all three see the same bytes.
        let file = std::fs::File::open(pdf.temp_path()).and_then(FileSource::new).map_err(|source| {
            ExchangeError::Blob(BlobError::Io { path: pdf.temp_path().display().to_string(), source })
        })?;
        let input = Source::File(&file);
        let report = verify::verify_source(input, "upload", &self.verify.load())
            .map_err(|e| ExchangeError::Refused { reason: format!("the PDF is unusable: {e}"), report: json!(null) })?;
        let report_json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap_or(json!(null));
        if report.indication != Indication::TotalPassed || report.modified_after_signing {
            let reason = if report.signatures.is_empty() {
                "the PDF carries no signature".to_string()
            } else if report.modified_after_signing {
                "the PDF was changed after it was signed".to_string()
            } else {
                let why: Vec<String> = report
                    .signatures
                    .iter()
                    .filter(|s| !s.passed())
                    .map(|s| {
                        format!(
                            "{}: {}{}",
                            s.field,
                            s.indication.as_str(),
                            s.subindication.map(|x| format!("/{}", x.as_str())).unwrap_or_default()
                        )
                    })
                    .collect();
                format!("a signature does not verify ({})", why.join("; "))
            };
            return Err(ExchangeError::Refused { reason, report: report_json });
        }

        let mut warnings: Vec<String> = report
            .warnings
            .iter()
            .cloned()
            .chain(report.signatures.iter().flat_map(|s| s.warnings.iter().map(move |w| format!("{}: {w}", s.field))))
            .collect();
        // What the document's own text says, against what the sender claims.
        match crate::text::header::inspect_source(input, &crate::text::TextLimits::default()) {
            Ok(text) => warnings.extend(claims::compare(&header, &text)),
            Err(e) => warnings.push(format!("the document's text could not be read to compare its header: {e}")),
        }
        let routing_members = self.route(&header, &mut warnings)?;
        if routing_members.0.is_empty() {
            let r = &routing_members.1;
            return Err(ExchangeError::BadRequest(format!(
                "no recipient could be resolved from the header (unresolved: {}; deactivated or closed: {})",
                r.unresolved.join("; "),
                r.closed.join(", ")
            )));
        }
        let (deliveries, routing) = routing_members;

        // The organisation signature, as an incremental update: the received
        // bytes stay a prefix of what is delivered.
        let mut tail: Option<Vec<u8>> = None;
        if let Some(org) = self.orgs.get(sender.as_str()) {
            let already = report.signatures.iter().any(|s| {
                s.passed()
                    && crate::pki::Cert::parse(&org.creds.cert)
                        .map(|c| s.signer.as_ref().is_some_and(|sg| sg.serial == c.serial_hex()))
                        .unwrap_or(false)
            });
            if !already {
                // Decree 30: the seal over the left third of the person's
                // signature on the last page (or, without one, by the signer's
                // name the header gives). When the page leaves no place, the
                // organisation still signs, without an appearance, and says so.
                let mut want = placement::Placing::default();
                let placed = match placement::visible_in(
                    Role::Organization,
                    Some(org.seal.clone()),
                    None,
                    &want,
                    input,
                    &org.creds.cert,
                ) {
                    Ok(p) => Some(p),
                    Err(_) => {
                        want.anchor = Some(header.signer.full_name.as_str());
                        placement::visible_in(Role::Organization, Some(org.seal.clone()), None, &want, input, &org.creds.cert)
                            .map_err(|e| {
                                warnings.push(format!(
                                    "no place for the organisation's seal ({e}): its signature was applied without an appearance"
                                ))
                            })
                            .ok()
                    }
                };
                let opts = SignOptions {
                    // A period separates levels of a PDF field name: keep it out.
                    field: Some(format!("Seal {}", sender.as_str().replace('.', "-"))),
                    reason: Some("Organisation signature applied by vanthu".into()),
                    page: placed.as_ref().and_then(|p| p.page),
                    visible: placed.map(|p| {
                        if !p.covers.is_empty() {
                            warnings.push(format!(
                                "the organisation's seal covers text on page {}: {}",
                                p.page.unwrap_or(1),
                                p.covers.join(" ")
                            ));
                        }
                        p.visible
                    }),
                    ..SignOptions::default()
                };
                let signed =
                    sign::sign_source(input, &org.key, &org.creds, Some(&self.tsa as &dyn Timestamper), &opts)?;
                tail = Some(signed.tail);
            }
        }

        // What is delivered is the received bytes and the seal's update
        // after them: hashed by streaming the received file.
        let delivered_sha = {
            let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
            input.update(&mut ctx, 0, input.len()).map_err(|e| ExchangeError::Refused {
                reason: format!("the PDF is unusable: {e}"),
                report: json!(null),
            })?;
            if let Some(t) = &tail {
                ctx.update(t);
            }
            hex(ctx.finish().as_ref())
        };
        drop(file);
        let (received, received_len) = pdf.commit()?;
        let tail_id = match &tail {
            Some(t) => Some(self.blobs.put(t)?),
            None => None,
        };
        let mut attached = Vec::with_capacity(attachments.len());
        for (name, w) in attachments {
            let (blob, size) = w.commit()?;
            attached.push(json!({"name": name, "sha256": blob.as_str(), "size": size}));
        }
        let delivered_len = received_len.saturating_add(tail.as_ref().map_or(0, |t| t.len() as u64));
        let id = new_id();
        let created = fmt(now());
        let header_value = serde_json::to_value(&header).unwrap_or(json!(null));
        let refers_to = match header.business.document() {
            Some(r) => self.store.documents_by_edxml(&r.to_string())?.into_iter().next().map(|d| d.id),
            None => None,
        };
        let record = DocumentRecord {
            id: id.clone(),
            edxml_id: edxml_id.clone(),
            sender: sender.as_str().to_string(),
            header: header_value.to_string(),
            received,
            received_len,
            tail: tail_id,
            delivered_sha256: delivered_sha.clone(),
            delivered_len,
            report: report_json.to_string(),
            routing: serde_json::to_string(&routing).unwrap_or_default(),
            attachments: serde_json::Value::Array(attached).to_string(),
            warnings: warnings.clone(),
            business_type: header.business.type_name().to_string(),
            refers_to,
            priority: header.priority.as_str().to_string(),
            document_type: header.document_type.clone(),
            promulgation_date: header.promulgation.date.to_string(),
            created_at: created,
        };
        let actor = sender.as_str();
        let mut events = vec![
            event(actor, Action::Submit, Some(&id), json!({"edxml_id": edxml_id, "sha256": record.received.as_str()})),
            event(actor, Action::Verify, Some(&id), json!({"indication": report.indication.as_str()})),
        ];
        if tail.is_some() {
            events.push(event("system", Action::Seal, Some(&id), json!({"organisation": actor})));
        }
        for d in &deliveries {
            events.push(event("system", Action::Deliver, Some(&id), json!({"recipient": d.recipient})));
        }
        let change = Change { document: Some((record.clone(), deliveries)), events, ..Change::default() };
        match self.store.commit(change, &|_| Ok(Vec::new())) {
            Ok(_) => {}
            Err(StoreError::Duplicate) => {
                // A concurrent identical submission won the race.
                return match self.store.document_by_edxml(actor, &edxml_id)? {
                    Some(e) if e.received == record.received => Ok(self.submitted_answer(&e, true)),
                    Some(e) => Err(ExchangeError::DuplicateDifferent { existing: e.id }),
                    None => Err(ExchangeError::Store(StoreError::Duplicate)),
                };
            }
            Err(e) => return Err(e.into()),
        }
        Ok(Submitted {
            id,
            edxml_id,
            delivered_sha256: delivered_sha,
            sealed: tail.is_some(),
            routing,
            warnings,
            duplicate: false,
        })
    }

    fn submitted_answer(&self, d: &DocumentRecord, duplicate: bool) -> Submitted {
        Submitted {
            id: d.id.clone(),
            edxml_id: d.edxml_id.clone(),
            delivered_sha256: d.delivered_sha256.clone(),
            sealed: d.tail.is_some(),
            routing: serde_json::from_str(&d.routing).unwrap_or_default(),
            warnings: d.warnings.clone(),
            duplicate,
        }
    }

    /// Resolves `to` and `to_places`; a revoke/update/replace goes to the
    /// recipients of the document it acts on as well.
    fn route(&self, header: &Header, warnings: &mut Vec<String>) -> Result<(Vec<NewDelivery>, Routing), ExchangeError> {
        let directory = self.directory.current();
        let mut routing = Routing::default();
        let mut out: Vec<NewDelivery> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut add = |unit: &OrganId, merged_from: Option<&OrganId>, routing: &mut Routing| {
            if seen.insert(unit.as_str().to_string()) {
                let name = directory.unit(unit).map(|u| u.name.clone()).unwrap_or_default();
                routing.recipients.push(RecipientOut {
                    unit: unit.as_str().to_string(),
                    name,
                    merged_from: merged_from.map(|m| m.as_str().to_string()),
                });
                out.push(NewDelivery {
                    recipient: unit.as_str().to_string(),
                    requested: merged_from.map(|m| m.as_str().to_string()),
                });
            }
        };
        for member in &header.to {
            if directory.contains(member) {
                let r = directory.recipients([member]);
                for u in &r.units {
                    add(&u.unit, u.merged_from.as_ref(), &mut routing);
                }
                routing.closed.extend(r.closed.iter().map(|c| c.as_str().to_string()));
            } else {
                routing.unresolved.push(format!("{member}: not in the directory"));
            }
        }
        for line in &header.to_places {
            match directory.resolve_line(line) {
                LineResolution::Archive { text } => routing.archive.push(text),
                // "Như trên": the addressees named above, already routed.
                LineResolution::AsAbove { .. } => {}
                LineResolution::Unresolved { text } => routing.unresolved.push(text),
                LineResolution::Resolved { text, recipients, unresolved_parts, .. } => {
                    for u in &recipients.units {
                        add(&u.unit, u.merged_from.as_ref(), &mut routing);
                    }
                    routing.closed.extend(recipients.closed.iter().map(|c| c.as_str().to_string()));
                    for p in unresolved_parts {
                        routing.unresolved.push(format!("{text}: {p}"));
                    }
                }
            }
        }
        if let Some(target) = header.business.document() {
            let docs = self.store.documents_by_edxml(&target.to_string())?;
            match docs.iter().find(|d| d.sender == header.from.as_str()) {
                Some(d) => {
                    for del in self.store.deliveries(&d.id)? {
                        if let Ok(u) = OrganId::parse(&del.recipient) {
                            add(&u, None, &mut routing);
                        }
                    }
                }
                None => warnings.push(format!(
                    "the document this one acts on ({target}) is not known here; delivered to the header's recipients only"
                )),
            }
        }
        for m in routing.recipients.iter().filter_map(|r| r.merged_from.as_ref().map(|f| (f, &r.unit))) {
            warnings.push(format!("unit {} was merged into {}; delivered to the successor", m.0, m.1));
        }
        if !routing.unresolved.is_empty() {
            warnings.push(format!("{} recipient line(s) could not be resolved", routing.unresolved.len()));
        }
        routing.closed.sort();
        routing.closed.dedup();
        if !routing.closed.is_empty() {
            warnings.push(format!("not delivered to deactivated or closed unit(s): {}", routing.closed.join(", ")));
        }
        Ok((out, routing))
    }

    /// The document if `unit` sent or received it; otherwise it does not
    /// exist for them (never "forbidden": that would confirm it exists).
    pub fn visible(&self, unit: &OrganId, id: &str) -> Result<(DocumentRecord, Option<DeliveryRecord>), ExchangeError> {
        let doc = self.store.document(id)?.ok_or(ExchangeError::NotFound)?;
        let delivery = self.store.delivery(id, unit.as_str())?;
        if doc.sender != unit.as_str() && delivery.is_none() {
            return Err(ExchangeError::NotFound);
        }
        Ok((doc, delivery))
    }

    /// The document's details as `unit` may see them.
    pub fn details(&self, unit: &OrganId, id: &str) -> Result<serde_json::Value, ExchangeError> {
        let (doc, delivery) = self.visible(unit, id)?;
        let mut v = doc_summary(&doc);
        v["report"] = serde_json::from_str(&doc.report).unwrap_or(json!(null));
        v["routing"] = serde_json::from_str(&doc.routing).unwrap_or(json!(null));
        if doc.sender == unit.as_str() {
            let ds = self.store.deliveries(id)?;
            v["recipients"] = json!(ds.iter().map(delivery_json).collect::<Vec<_>>());
        }
        if let Some(d) = delivery {
            v["my_status"] = delivery_json(&d);
        }
        Ok(v)
    }

    /// Opens the delivered document for `unit`: the received bytes followed
    /// by vanthu's update. The first fetch by a recipient records 01.
    pub fn open_pdf(&self, unit: &OrganId, id: &str) -> Result<DeliveredPdf, ExchangeError> {
        let (doc, delivery) = self.visible(unit, id)?;
        if let Some(d) = delivery
            && d.status.is_none()
        {
            match self.change_status(unit, &doc, &d, Code::Status(Status::Arrived), None, Party::Recipient) {
                Ok(_) | Err(ExchangeError::Store(StoreError::Conflict { .. })) => {}
                Err(e) => return Err(e),
            }
        }
        let tail = match &doc.tail {
            Some(t) => self.blobs.read(t)?,
            None => Vec::new(),
        };
        Ok(DeliveredPdf { received: self.blobs.path(&doc.received), tail, len: doc.delivered_len })
    }

    /// A status report by a recipient, or a recall by the sender.
    pub fn post_status(
        &self,
        unit: &OrganId,
        id: &str,
        code: &str,
        reason: Option<String>,
    ) -> Result<serde_json::Value, ExchangeError> {
        let code = Code::parse(code).ok_or_else(|| {
            ExchangeError::BadRequest(format!(
                "unknown status {code:?}: a recipient reports 02..06 or answers a recall with 15/16; the sender recalls with 13"
            ))
        })?;
        let (doc, delivery) = self.visible(unit, id)?;
        if code == Code::Status(Status::Refused) && reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
            return Err(ExchangeError::BadRequest("status 02 (refused) needs a reason".into()));
        }
        if code == Code::Recall(Recall::Requested) {
            if doc.sender != unit.as_str() {
                return Err(ExchangeError::IllegalTransition("only the sender can recall a document (13)".into()));
            }
            let ds = self.store.deliveries(id)?;
            let mut updated = 0usize;
            for d in ds {
                let from = d.recall.as_deref().and_then(Recall::from_code);
                if status::check_recall(from, Recall::Requested, Party::Sender).is_ok() {
                    self.change_status(unit, &doc, &d, code, reason.clone(), Party::Sender)?;
                    updated = updated.saturating_add(1);
                }
            }
            if updated == 0 {
                return Err(ExchangeError::IllegalTransition(
                    "a recall is already pending or agreed everywhere".into(),
                ));
            }
            return Ok(json!({"id": id, "status": "13", "recipients": updated}));
        }
        let d = delivery.ok_or_else(|| {
            ExchangeError::IllegalTransition(
                "you sent this document; only its recipients report statuses (the sender may recall it with 13)".into(),
            )
        })?;
        let d = self.change_status(unit, &doc, &d, code, reason, Party::Recipient)?;
        Ok(delivery_json(&d))
    }

    /// Applies one transition (checked against the table), with its audit
    /// entry and its signed receipt, in one commit.
    fn change_status(
        &self,
        actor: &OrganId,
        doc: &DocumentRecord,
        d: &DeliveryRecord,
        code: Code,
        reason: Option<String>,
        party: Party,
    ) -> Result<DeliveryRecord, ExchangeError> {
        let cur_status = d.status.as_deref().and_then(Status::from_code);
        let cur_recall = d.recall.as_deref().and_then(Recall::from_code);
        let (new_status, new_recall, action) = match code {
            Code::Status(s) => {
                if cur_recall == Some(Recall::Agreed) {
                    return Err(ExchangeError::IllegalTransition("the document was recalled (15)".into()));
                }
                status::check_status(cur_status, s).map_err(ExchangeError::IllegalTransition)?;
                (
                    Some(s.code().to_string()),
                    d.recall.clone(),
                    if s == Status::Arrived { Action::Fetch } else { Action::Status },
                )
            }
            Code::Recall(r) => {
                status::check_recall(cur_recall, r, party).map_err(ExchangeError::IllegalTransition)?;
                (
                    d.status.clone(),
                    Some(r.code().to_string()),
                    if r == Recall::Requested { Action::Recall } else { Action::Status },
                )
            }
        };
        let t = fmt(now());
        let update = DeliveryUpdate {
            document_id: doc.id.clone(),
            recipient: d.recipient.clone(),
            expect_status: d.status.clone(),
            expect_recall: d.recall.clone(),
            status: new_status.clone(),
            recall: new_recall.clone(),
            time: t.clone(),
        };
        let ev = event(
            actor.as_str(),
            action,
            Some(&doc.id),
            json!({"recipient": d.recipient, "status": code.code(), "reason": reason}),
        );
        let change = Change { updates: vec![update], events: vec![ev], ..Change::default() };
        let recipient = d.recipient.clone();
        let make = |head: &Head| -> Result<Vec<ReceiptRecord>, StoreError> {
            let content = receipt::ReceiptContent {
                document: doc.edxml_id.clone(),
                document_ref: doc.id.clone(),
                delivered_sha256: doc.delivered_sha256.clone(),
                recipient: recipient.clone(),
                status: code.code().to_string(),
                time: t.clone(),
                audit_head: *head,
            }
            .canonical_json();
            let cms = receipt::sign(
                content.as_bytes(),
                &self.receipts.key,
                &self.receipts.cert,
                &self.receipts.chain,
                Some(&self.tsa as &dyn Timestamper),
            )
            .map_err(|e| StoreError::Receipt(e.to_string()))?;
            Ok(vec![ReceiptRecord {
                document_id: doc.id.clone(),
                recipient: recipient.clone(),
                status: code.code().to_string(),
                content,
                cms,
            }])
        };
        self.store.commit(change, &make)?;
        Ok(DeliveryRecord { status: new_status, recall: new_recall, updated_at: t, ..d.clone() })
    }

    /// A unit's inbox page.
    pub fn inbox(&self, unit: &OrganId, q: &InboxQuery) -> Result<serde_json::Value, ExchangeError> {
        let rows = self.store.inbox(unit.as_str(), q)?;
        let next = if rows.len() as u64 >= u64::from(q.limit.max(1)) { rows.last().map(|(d, _)| d.seq) } else { None };
        let items: Vec<serde_json::Value> = rows
            .iter()
            .map(|(d, doc)| {
                let mut v = doc_summary(doc);
                v["my_status"] = delivery_json(d);
                v
            })
            .collect();
        Ok(json!({"items": items, "next_cursor": next.map(|n| n.to_string())}))
    }

    /// A unit's outbox page.
    pub fn outbox(&self, unit: &OrganId, before: Option<i64>, limit: u32) -> Result<serde_json::Value, ExchangeError> {
        let rows = self.store.outbox(unit.as_str(), before, limit)?;
        let next = if rows.len() as u64 >= u64::from(limit.max(1)) { rows.last().map(|(n, _)| *n) } else { None };
        let items: Vec<serde_json::Value> = rows.iter().map(|(_, d)| doc_summary(d)).collect();
        Ok(json!({"items": items, "next_cursor": next.map(|n| n.to_string())}))
    }

    /// The receipts of a document: all for the sender, a recipient's own
    /// for a recipient.
    pub fn receipts(&self, unit: &OrganId, id: &str) -> Result<Vec<receipt::Receipt>, ExchangeError> {
        let (doc, _) = self.visible(unit, id)?;
        let all = self.store.receipts(id)?;
        Ok(all
            .into_iter()
            .filter(|r| doc.sender == unit.as_str() || r.recipient == unit.as_str())
            .map(|r| {
                use base64::Engine;
                receipt::Receipt { content: r.content, cms: base64::engine::general_purpose::STANDARD.encode(&r.cms) }
            })
            .collect())
    }
}

/// The delivered document, to stream: a file then the tail.
pub struct DeliveredPdf {
    pub received: std::path::PathBuf,
    pub tail: Vec<u8>,
    pub len: u64,
}

fn doc_summary(d: &DocumentRecord) -> serde_json::Value {
    json!({
        "id": d.id,
        "edxml_id": d.edxml_id,
        "from": d.sender,
        "header": serde_json::from_str::<serde_json::Value>(&d.header).unwrap_or(json!(null)),
        "delivered_sha256": d.delivered_sha256,
        "size": d.delivered_len,
        "sealed": d.tail.is_some(),
        "business_type": d.business_type,
        "refers_to": d.refers_to,
        "warnings": d.warnings,
        "attachments": serde_json::from_str::<serde_json::Value>(&d.attachments).unwrap_or(json!([])),
        "received_at": d.created_at,
    })
}

fn delivery_json(d: &DeliveryRecord) -> serde_json::Value {
    json!({
        "unit": d.recipient,
        "status": d.status,
        "recall": d.recall,
        "merged_from": d.requested,
        "updated_at": d.updated_at,
    })
}

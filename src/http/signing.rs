//! Signing for people over the API: thin handlers over [`crate::persons`].
//!
//! - `/api/v1/admin/persons...` (admin certificates): add a person whose
//!   key vanthu holds, list, show, unlock, set a PIN.
//! - `/api/v1/persons...` (unit certificates): a unit's own persons, and a
//!   person changing their PIN through their unit.
//! - `POST /api/v1/sign` (unit): remote signing with a person's PIN.
//! - `POST /api/v1/sign/prepare`, `POST /api/v1/sign/{id}/finish` (unit):
//!   deferred signing for USB tokens.
//!
//! Multipart uploads have the intake's limits: the PDF at most
//! `max_document_bytes`, each chunk within `body_read_timeout_ms`; the
//! small parts (PIN, anchor, ...) a few KB. The PDF streams to a temporary
//! file in the document store as it arrives and is read into memory only
//! under one of the intake's slots, so slow or many uploads hold disk, not
//! memory: at most one document (and its signed copy) per slot. PINs travel in request bodies
//! only and are never logged. Argon2 and signing run off the async runtime
//! behind the intake's slots (one per core).

use super::api::{AppState, JsonBody, Params, Unit, multipart_error, stream_part};
use super::error::ApiError;
use crate::persons::{self, Appearance, NewPerson, PersonError, PersonView, Signing};
use crate::store::blobs::BlobWriter;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Multipart, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

type St = State<Arc<AppState>>;

/// The routes, merged into the API router.
pub fn routes() -> Router<Arc<AppState>> {
    let admin = Router::new()
        .route("/api/v1/admin/persons", get(admin_list).post(admin_add))
        .route("/api/v1/admin/persons/{id}", get(admin_one))
        .route("/api/v1/admin/persons/{id}/unlock", post(admin_unlock))
        .route("/api/v1/admin/persons/{id}/pin", post(admin_set_pin))
        .layer(axum::middleware::from_fn(super::admin::read_body_first));
    Router::new()
        .route("/api/v1/persons", get(unit_list))
        .route("/api/v1/persons/{id}/pin", post(change_pin).layer(DefaultBodyLimit::max(super::api::MAX_JSON_BODY)))
        .route("/api/v1/sign", post(sign_remote))
        .route("/api/v1/sign/prepare", post(prepare))
        .route("/api/v1/sign/{id}/finish", post(finish).layer(DefaultBodyLimit::max(super::api::MAX_JSON_BODY)))
        .merge(admin)
}

/// The `{id}` of a person or prepared-document route, answered in the
/// API's error shape when unusable.
struct Id(String);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &S) -> Result<Self, ApiError> {
        let Path(id) = Path::<String>::from_request_parts(parts, st).await?;
        Ok(Id(id))
    }
}

/// Runs work off the async runtime (Argon2, signing, fsync).
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, PersonError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(format!("worker failed: {e}")))?
        .map_err(ApiError::from)
}

fn actor(name: &str) -> String {
    format!("admin:{name}")
}

#[derive(Deserialize)]
struct AddBody {
    #[serde(flatten)]
    person: NewPerson,
    pin: String,
}

async fn admin_add(
    State(st): St,
    super::admin::AdminName(name): super::admin::AdminName,
    JsonBody(body): JsonBody<AddBody>,
) -> Result<(StatusCode, Json<PersonView>), ApiError> {
    let ex = st.exchange.clone();
    let dd = st.data.clone();
    let _slot = st.intake_slots.acquire().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let v = blocking(move || {
        persons::add(ex.store.as_ref(), &dd, &ex.directory.current(), &body.person, &body.pin, &actor(&name))
    })
    .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[derive(Deserialize)]
struct UnitQuery {
    unit: Option<String>,
}

async fn admin_list(
    State(st): St,
    _: super::admin::AdminName,
    Params(q): Params<UnitQuery>,
) -> Result<Json<Vec<PersonView>>, ApiError> {
    let store = st.exchange.store.clone();
    Ok(Json(blocking(move || persons::list(store.as_ref(), q.unit.as_deref())).await?))
}

async fn admin_one(State(st): St, _: super::admin::AdminName, Id(id): Id) -> Result<Json<PersonView>, ApiError> {
    let store = st.exchange.store.clone();
    Ok(Json(blocking(move || persons::find(store.as_ref(), &id)).await?))
}

async fn admin_unlock(
    State(st): St,
    super::admin::AdminName(name): super::admin::AdminName,
    Id(id): Id,
) -> Result<Json<PersonView>, ApiError> {
    let store = st.exchange.store.clone();
    Ok(Json(blocking(move || persons::unlock(store.as_ref(), &id, &actor(&name))).await?))
}

#[derive(Deserialize)]
struct SetPinBody {
    pin: String,
}

async fn admin_set_pin(
    State(st): St,
    super::admin::AdminName(name): super::admin::AdminName,
    Id(id): Id,
    JsonBody(body): JsonBody<SetPinBody>,
) -> Result<Json<PersonView>, ApiError> {
    let store = st.exchange.store.clone();
    let _slot = st.intake_slots.acquire().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(blocking(move || persons::set_pin(store.as_ref(), &id, &body.pin, &actor(&name))).await?))
}

async fn unit_list(State(st): St, Unit(unit): Unit) -> Result<Json<Vec<PersonView>>, ApiError> {
    let store = st.exchange.store.clone();
    Ok(Json(blocking(move || persons::list(store.as_ref(), Some(unit.as_str()))).await?))
}

#[derive(Deserialize)]
struct ChangePinBody {
    old_pin: String,
    new_pin: String,
}

async fn change_pin(
    State(st): St,
    Unit(unit): Unit,
    Id(id): Id,
    JsonBody(body): JsonBody<ChangePinBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let store = st.exchange.store.clone();
    let limit = st.limits.max_pin_attempts;
    let _slot = st.intake_slots.acquire().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let pid = id.clone();
    blocking(move || persons::change_pin(store.as_ref(), &unit, &pid, &body.old_pin, &body.new_pin, limit)).await?;
    Ok(Json(serde_json::json!({"person": id, "pin": "changed"})))
}

/// The parts of a signing request.
#[derive(Default)]
struct SignParts {
    /// The PDF, in a temporary file removed when this is dropped.
    document: Option<BlobWriter>,
    certificate: Option<Vec<u8>>,
    person: Option<String>,
    pin: Option<String>,
    appearance: Appearance,
}

/// Largest small part (PIN, anchor, role, ...).
const SMALL_PART: u64 = 4 << 10;
/// Largest signature image.
const IMAGE_PART: u64 = 1 << 20;
/// Largest certificate chain (PEM).
const CHAIN_PART: u64 = 64 << 10;

/// Reads one part whole, refusing it past `limit` bytes, each chunk within
/// `chunk_timeout`.
async fn read_part(
    field: &mut axum::extract::multipart::Field<'_>,
    limit: u64,
    chunk_timeout: Duration,
) -> Result<Vec<u8>, ApiError> {
    let mut buf = Vec::new();
    loop {
        let chunk = tokio::time::timeout(chunk_timeout, field.chunk())
            .await
            .map_err(|_| ApiError::Timeout)?
            .map_err(multipart_error)?;
        let Some(c) = chunk else { return Ok(buf) };
        if (buf.len() as u64).saturating_add(c.len() as u64) > limit {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        buf.extend_from_slice(&c);
    }
}

/// The uploaded PDF, read into memory (under an intake slot).
fn load_document(w: BlobWriter) -> Result<Vec<u8>, PersonError> {
    let path = w.temp_path().to_path_buf();
    std::fs::read(&path).map_err(|source| PersonError::Io { path: path.display().to_string(), source })
}

fn text(name: &str, v: Vec<u8>) -> Result<String, ApiError> {
    String::from_utf8(v).map_err(|_| ApiError::BadRequest(format!("the `{name}` part is not UTF-8 text")))
}

async fn read_sign_parts(st: &AppState, mp: &mut Multipart, allowed: &[&str]) -> Result<SignParts, ApiError> {
    let chunk_timeout = Duration::from_millis(st.limits.body_read_timeout_ms);
    let mut p = SignParts::default();
    loop {
        let next = tokio::time::timeout(chunk_timeout, mp.next_field())
            .await
            .map_err(|_| ApiError::Timeout)?
            .map_err(multipart_error)?;
        let Some(mut field) = next else { return Ok(p) };
        let name = field.name().unwrap_or_default().to_string();
        if !allowed.contains(&name.as_str()) {
            return Err(ApiError::BadRequest(format!("unknown part {name:?}: expected {}", allowed.join(", "))));
        }
        if name == "document" {
            if p.document.is_some() {
                return Err(ApiError::BadRequest("only one `document` part is allowed".into()));
            }
            let w = st
                .exchange
                .blobs
                .writer(st.limits.max_document_bytes)
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            p.document = Some(stream_part(&mut field, w, chunk_timeout).await?);
            continue;
        }
        let limit = match name.as_str() {
            "image" => IMAGE_PART,
            "certificate" => CHAIN_PART,
            _ => SMALL_PART,
        };
        let v = read_part(&mut field, limit, chunk_timeout).await?;
        let a = &mut p.appearance;
        match name.as_str() {
            "certificate" => p.certificate = Some(v),
            "image" => a.image = Some(v),
            "person" => p.person = Some(text(&name, v)?.trim().to_string()),
            // Taken as sent: a PIN is never trimmed or logged.
            "pin" => p.pin = Some(text(&name, v)?),
            "anchor" => a.anchor = Some(text(&name, v)?),
            "anchor_page" => {
                let t = text(&name, v)?;
                let n = t.trim().parse::<usize>().ok().filter(|n| (1..=100_000).contains(n));
                a.anchor_page = Some(n.ok_or_else(|| {
                    ApiError::BadRequest(format!("anchor_page {:?}: expected a page number", t.trim()))
                })?);
            }
            "role" => a.role = Some(text(&name, v)?),
            "reason" => a.reason = Some(text(&name, v)?).filter(|r| !r.trim().is_empty()),
            _ => {}
        }
    }
}

/// Reads and drops the rest of a refused upload (see `api::discard`), so
/// the client receives the answer instead of a reset stream.
async fn drain(mp: &mut Multipart, chunk_timeout: Duration) {
    let mut drained = 0u64;
    while let Ok(Ok(Some(mut field))) = tokio::time::timeout(chunk_timeout, mp.next_field()).await {
        while let Ok(Ok(Some(c))) = tokio::time::timeout(chunk_timeout, field.chunk()).await {
            drained = drained.saturating_add(c.len() as u64);
            if drained > 256 << 20 {
                return;
            }
        }
    }
}

async fn parts_or_drain(st: &AppState, mp: &mut Multipart, allowed: &[&str]) -> Result<SignParts, ApiError> {
    match read_sign_parts(st, mp, allowed).await {
        Ok(p) => Ok(p),
        Err(e @ (ApiError::PayloadTooLarge(_) | ApiError::BadRequest(_))) => {
            drain(mp, Duration::from_millis(st.limits.body_read_timeout_ms)).await;
            Err(e)
        }
        Err(e) => Err(e),
    }
}

fn missing(what: &str) -> ApiError {
    ApiError::BadRequest(format!("missing part `{what}`"))
}

fn pdf_response(pdf: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/pdf")], pdf).into_response()
}

/// The context signing needs, from the state.
fn signing_ctx(st: &AppState) -> (Arc<crate::exchange::Exchange>, crate::datadir::DataDir, crate::config::Limits) {
    (st.exchange.clone(), st.data.clone(), st.limits.clone())
}

async fn sign_remote(
    State(st): St,
    Unit(unit): Unit,
    super::api::Form(mut mp): super::api::Form,
) -> Result<Response, ApiError> {
    const PARTS: &[&str] = &["document", "person", "pin", "anchor", "anchor_page", "role", "reason", "image"];
    let p = parts_or_drain(&st, &mut mp, PARTS).await?;
    let upload = p.document.filter(|d| !d.is_empty()).ok_or_else(|| missing("document"))?;
    let person = p.person.filter(|s| !s.is_empty()).ok_or_else(|| missing("person"))?;
    let pin = p.pin.ok_or_else(|| missing("pin"))?;
    let appearance = p.appearance;
    let (ex, dd, limits) = signing_ctx(&st);
    let _slot = st.intake_slots.acquire().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let signed = blocking(move || {
        let pdf = load_document(upload)?;
        let ctx = Signing { store: ex.store.as_ref(), dd: &dd, tsa: &ex.tsa, limits: &limits };
        let tail = persons::sign_remote(&ctx, &unit, &person, &pin, &pdf, &appearance)?;
        let mut out = pdf;
        out.extend_from_slice(&tail);
        Ok(out)
    })
    .await?;
    Ok(pdf_response(signed))
}

async fn prepare(
    State(st): St,
    Unit(unit): Unit,
    super::api::Form(mut mp): super::api::Form,
) -> Result<Response, ApiError> {
    const PARTS: &[&str] = &["document", "certificate", "anchor", "anchor_page", "role", "reason", "image"];
    let p = parts_or_drain(&st, &mut mp, PARTS).await?;
    let upload = p.document.filter(|d| !d.is_empty()).ok_or_else(|| missing("document"))?;
    let chain = p.certificate.filter(|c| !c.is_empty()).ok_or_else(|| missing("certificate"))?;
    let appearance = p.appearance;
    let (ex, dd, limits) = signing_ctx(&st);
    let _slot = st.intake_slots.acquire().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let out = blocking(move || {
        let pdf = load_document(upload)?;
        let ctx = Signing { store: ex.store.as_ref(), dd: &dd, tsa: &ex.tsa, limits: &limits };
        persons::prepare(&ctx, &unit, &chain, &pdf, &appearance)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

#[derive(Deserialize)]
struct FinishBody {
    /// The token's signature over the signed attributes, base64.
    signature: String,
}

async fn finish(
    State(st): St,
    Unit(unit): Unit,
    Id(id): Id,
    JsonBody(body): JsonBody<FinishBody>,
) -> Result<Response, ApiError> {
    use base64::Engine;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(body.signature.trim())
        .map_err(|_| ApiError::BadRequest("`signature` is not base64".into()))?;
    let (ex, dd, limits) = signing_ctx(&st);
    let _slot = st.intake_slots.acquire().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let signed = blocking(move || {
        let ctx = Signing { store: ex.store.as_ref(), dd: &dd, tsa: &ex.tsa, limits: &limits };
        persons::finish(&ctx, &unit, &id, &signature)
    })
    .await?;
    Ok(pdf_response(signed))
}

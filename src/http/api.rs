//! Routes and thin handlers: identity and input in, one call to the
//! exchange (off the async runtime: it verifies, signs and fsyncs), the
//! result out. Errors map in [`super::error`].

use super::Peer;
use super::error::ApiError;
use super::metrics::Metrics;
use super::tls::LiveTls;
use crate::config::Limits;
use crate::directory::OrganId;
use crate::exchange::Exchange;
use crate::pki::ca::Identity;
use crate::store::InboxQuery;
use crate::store::blobs::BlobWriter;
use arc_swap::ArcSwap;
use axum::body::Body;
use axum::extract::{
    DefaultBodyLimit, FromRequest, FromRequestParts, MatchedPath, Multipart, Path, Query, Request, State,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Most bytes of a JSON request body (a status report with its reason).
pub const MAX_JSON_BODY: usize = 64 << 10;

/// What every handler can reach.
pub struct AppState {
    pub exchange: Arc<Exchange>,
    pub limits: Limits,
    pub tls: Arc<LiveTls>,
    /// The internal CA's current CRL (DER), served at `/crl/internal.crl`.
    pub crl: ArcSwap<Vec<u8>>,
    pub metrics: Metrics,
    /// The external CAs' document anchors and CRLs put in force by
    /// [`super::admin::apply_internal`], so that a removal takes out only
    /// what it put in (an anchor the configuration names stays).
    pub applied_external: std::sync::Mutex<crate::admin::trust::External>,
    /// The data directory (the CA and its CRL, for administration).
    pub data: crate::datadir::DataDir,
    /// Intakes verified and sealed at once: about one per core, so reads
    /// (inbox, PDF fetch) always find a core between them.
    pub intake_slots: tokio::sync::Semaphore,
}

type St = State<Arc<AppState>>;

/// The API routes (behind mutual TLS).
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/documents", post(submit))
        .route("/api/v1/inbox", get(inbox))
        .route("/api/v1/outbox", get(outbox))
        .route("/api/v1/documents/{id}", get(document))
        .route("/api/v1/documents/{id}/pdf", get(pdf))
        .route(
            "/api/v1/documents/{id}/status",
            // The one JSON body the API reads is a few bytes; it is buffered whole.
            post(status).layer(DefaultBodyLimit::max(MAX_JSON_BODY)),
        )
        .route("/api/v1/documents/{id}/receipts", get(receipts))
        .merge(super::admin::routes())
        .merge(super::admin_directory::routes())
        .merge(super::admin_trust::routes())
        .merge(super::signing::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), refuse_whole))
        // Uploads are bounded part by part as they stream (see `submit`).
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn_with_state(state.clone(), log_request))
        .with_state(state)
}

/// The unauthenticated routes (plain HTTP).
pub fn public_router(state: Arc<AppState>) -> Router {
    Router::new().route("/healthz", get(healthz)).route("/crl/{file}", get(crl)).fallback(not_found).with_state(state)
}

/// One log line per request: unit, route, status, time taken.
async fn log_request(State(st): St, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route =
        req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let who = match req.extensions().get::<Peer>().and_then(|p| p.identity.clone()) {
        Some(Identity::Unit(u)) => u,
        Some(Identity::Admin(a)) => format!("admin:{a}"),
        None => "-".into(),
    };
    let method = req.method().clone();
    let res = next.run(req).await;
    let status = res.status().as_u16();
    st.metrics.request(&route, status);
    tracing::info!(unit = %who, %method, route = %route, status, ms = start.elapsed().as_secs_f64() * 1000.0, "request");
    res
}

/// The unit a request speaks for, from its client certificate.
pub struct Unit(pub OrganId);

impl FromRequestParts<Arc<AppState>> for Unit {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &Arc<AppState>) -> Result<Self, ApiError> {
        unit_of(parts.extensions.get::<Peer>().and_then(|p| p.identity.clone()), st).map(Unit)
    }
}

/// The one decision of who may act as a unit: a unit certificate whose unit
/// is in the directory in force and active.
fn unit_of(identity: Option<Identity>, st: &AppState) -> Result<OrganId, ApiError> {
    match identity {
        None => Err(ApiError::Unauthenticated(
            "the client certificate names no vanthu unit (subjectAltName urn:vanthu:unit:<organ id>)".into(),
        )),
        Some(Identity::Admin(_)) => {
            Err(ApiError::Forbidden("an admin certificate cannot act as a unit; use a unit's certificate".into()))
        }
        Some(Identity::Unit(u)) => {
            let id = OrganId::parse(&u)
                .map_err(|_| ApiError::Forbidden(format!("the certificate's organ id {u:?} is not valid")))?;
            match st.exchange.directory.current().unit(&id) {
                Some(unit) if unit.active => Ok(id),
                Some(_) => Err(ApiError::Forbidden(format!("unit {u} is deactivated"))),
                None => Err(ApiError::Forbidden(format!("unit {u} is not in the directory"))),
            }
        }
    }
}

/// The unit routes that read a request body. A request to them that
/// [`unit_of`] refuses (an admin's certificate, a deactivated unit) has its
/// body read and dropped before the 403, as every refused body is (see
/// [`discard`]): answered early, the client still sending would see a reset
/// connection instead of the answer.
async fn refuse_whole(State(st): St, req: Request, next: Next) -> Response {
    let reads_body = req.method() == axum::http::Method::POST
        && req
            .extensions()
            .get::<MatchedPath>()
            .is_some_and(|m| matches!(m.as_str(), "/api/v1/documents" | "/api/v1/documents/{id}/status"));
    if reads_body {
        let identity = req.extensions().get::<Peer>().and_then(|p| p.identity.clone());
        if let Err(e) = unit_of(identity, &st) {
            discard(req.into_body()).await;
            return e.into_response();
        }
    }
    next.run(req).await
}

/// An administrator.
pub struct Admin;

impl FromRequestParts<Arc<AppState>> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &Arc<AppState>) -> Result<Self, ApiError> {
        match parts.extensions.get::<Peer>().and_then(|p| p.identity.clone()) {
            Some(Identity::Admin(_)) => Ok(Admin),
            Some(_) => Err(ApiError::Forbidden("this route needs an admin certificate".into())),
            None => Err(ApiError::Unauthenticated("this route needs an admin certificate".into())),
        }
    }
}

async fn not_found(req: Request) -> Response {
    discard(req.into_body()).await;
    ApiError::NoRoute.into_response()
}

async fn method_not_allowed(req: Request) -> Response {
    discard(req.into_body()).await;
    ApiError::MethodNotAllowed.into_response()
}

/// Reads and drops a request body the answer does not need (up to
/// [`MAX_DRAIN`] bytes, each chunk within [`DISCARD_CHUNK_TIMEOUT`]). A
/// connection closed with unread bytes in its receive buffer is reset by
/// the kernel, and the reset can reach the client before the answer does:
/// the client would see a broken connection instead of our 4xx.
async fn discard(body: Body) {
    use http_body_util::BodyExt;
    let mut body = body;
    let mut read = 0u64;
    while let Ok(Some(Ok(frame))) = tokio::time::timeout(DISCARD_CHUNK_TIMEOUT, body.frame()).await {
        read = read.saturating_add(frame.data_ref().map_or(0, |d| d.len() as u64));
        if read > MAX_DRAIN {
            return;
        }
    }
}

/// How long a refused body's next chunk is waited for.
const DISCARD_CHUNK_TIMEOUT: Duration = Duration::from_secs(5);

/// The media type of a request (`type/subtype`, lowercase), and whether its
/// parameters name a non-empty `boundary`.
fn media_type(req: &Request) -> (String, bool) {
    let v = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mut parts = v.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let boundary = parts.any(|p| {
        p.trim()
            .split_once('=')
            .is_some_and(|(k, v)| k.trim().eq_ignore_ascii_case("boundary") && !v.trim().trim_matches('"').is_empty())
    });
    (essence, boundary)
}

// axum's extractors, with their rejections answered in the API's error
// shape (see `error`): a client reads one kind of error body only.

/// Query parameters.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &S) -> Result<Self, ApiError> {
        let Query(v) = Query::<T>::from_request_parts(parts, st).await?;
        Ok(Params(v))
    }
}

/// The `{id}` of a document route.
pub struct DocId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for DocId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &S) -> Result<Self, ApiError> {
        let Path(id) = Path::<String>::from_request_parts(parts, st).await?;
        Ok(DocId(id))
    }
}

/// A JSON body (under [`MAX_JSON_BODY`]).
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, st: &S) -> Result<Self, ApiError> {
        // Checked here, not left to `Json`, so the refused body is read first (see `discard`).
        let (essence, _) = media_type(&req);
        let json = essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"));
        if !json {
            discard(req.into_body()).await;
            return Err(ApiError::UnsupportedMediaType(
                "send the body as JSON (content-type: application/json)".into(),
            ));
        }
        let Json(v) = Json::<T>::from_request(req, st).await?;
        Ok(JsonBody(v))
    }
}

/// A multipart/form-data body, read part by part.
pub struct Form(pub Multipart);

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = ApiError;

    async fn from_request(req: Request, st: &S) -> Result<Self, ApiError> {
        // Checked here, not left to `Multipart`, so the refused body is read first (see `discard`).
        if media_type(&req) != ("multipart/form-data".to_string(), true) {
            discard(req.into_body()).await;
            return Err(ApiError::UnsupportedMediaType(
                "send the document as multipart/form-data (with a boundary): `header` (JSON), `document` (PDF)".into(),
            ));
        }
        Ok(Form(Multipart::from_request(req, st).await?))
    }
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], super::openapi::DOCUMENT).into_response()
}

async fn crl(State(st): St, Path(file): Path<String>) -> Response {
    if file != "internal.crl" {
        return ApiError::NoRoute.into_response();
    }
    let der = st.crl.load_full();
    ([(header::CONTENT_TYPE, "application/pkix-crl")], der.as_ref().clone()).into_response()
}

async fn metrics(State(st): St, _: Admin) -> Result<Response, ApiError> {
    let ex = st.exchange.clone();
    let (counts, bytes) =
        blocking(move || Ok((ex.store.counts().map_err(crate::exchange::ExchangeError::from)?, ex.blobs.size())))
            .await?;
    let text = st.metrics.render(counts.documents, &counts.deliveries_by_status, bytes);
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response())
}

/// Runs exchange work off the async runtime.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, ApiError> + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ApiError::Internal(format!("worker failed: {e}")))?
}

pub(super) fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    ApiError::BadRequest(format!("malformed multipart body: {}", e.body_text()))
}

/// Streams one part into a blob writer, chunk by chunk, each chunk within
/// the body read timeout.
pub(super) async fn stream_part(
    field: &mut axum::extract::multipart::Field<'_>,
    mut w: BlobWriter,
    chunk_timeout: Duration,
) -> Result<BlobWriter, ApiError> {
    loop {
        let chunk = tokio::time::timeout(chunk_timeout, field.chunk())
            .await
            .map_err(|_| ApiError::Timeout)?
            .map_err(multipart_error)?;
        let Some(chunk) = chunk else { return Ok(w) };
        w = tokio::task::block_in_place(|| w.write(&chunk).map(|()| w)).map_err(|e| match e {
            crate::store::blobs::BlobError::TooLarge { limit } => ApiError::PayloadTooLarge(limit),
            other => ApiError::Internal(other.to_string()),
        })?;
    }
}

/// The parts of a submission, streamed to the document store.
struct Upload {
    header: Option<Vec<u8>>,
    pdf: Option<BlobWriter>,
    attachments: Vec<(String, BlobWriter)>,
}

async fn read_parts(st: &AppState, mp: &mut Multipart) -> Result<Upload, ApiError> {
    let chunk_timeout = Duration::from_millis(st.limits.body_read_timeout_ms);
    let mut parts = Upload { header: None, pdf: None, attachments: Vec::new() };
    let blobs = st.exchange.blobs.clone();
    loop {
        let next = tokio::time::timeout(chunk_timeout, mp.next_field())
            .await
            .map_err(|_| ApiError::Timeout)?
            .map_err(multipart_error)?;
        let Some(mut field) = next else { return Ok(parts) };
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "header" => {
                let mut buf = Vec::new();
                while let Some(c) = tokio::time::timeout(chunk_timeout, field.chunk())
                    .await
                    .map_err(|_| ApiError::Timeout)?
                    .map_err(multipart_error)?
                {
                    if (buf.len() as u64).saturating_add(c.len() as u64) > st.limits.max_header_bytes {
                        return Err(ApiError::PayloadTooLarge(st.limits.max_header_bytes));
                    }
                    buf.extend_from_slice(&c);
                }
                parts.header = Some(buf);
            }
            "document" => {
                if parts.pdf.is_some() {
                    return Err(ApiError::BadRequest("only one `document` part is allowed".into()));
                }
                let w = blobs.writer(st.limits.max_document_bytes).map_err(|e| ApiError::Internal(e.to_string()))?;
                parts.pdf = Some(stream_part(&mut field, w, chunk_timeout).await?);
            }
            "attachment" => {
                if parts.attachments.len() as u64 >= u64::from(st.limits.max_attachments) {
                    return Err(ApiError::BadRequest(format!(
                        "at most {} attachments are allowed",
                        st.limits.max_attachments
                    )));
                }
                let file = field.file_name().unwrap_or("attachment").to_string();
                let w = blobs.writer(st.limits.max_document_bytes).map_err(|e| ApiError::Internal(e.to_string()))?;
                parts.attachments.push((file, stream_part(&mut field, w, chunk_timeout).await?));
            }
            other => {
                return Err(ApiError::BadRequest(format!(
                    "unknown part {other:?}: send `header` (JSON), `document` (PDF) and optional `attachment` parts"
                )));
            }
        }
    }
}

/// Most bytes read and discarded after refusing an upload, so the client
/// (which is still sending) receives the answer instead of a reset stream.
const MAX_DRAIN: u64 = 256 << 20;

async fn drain(mp: &mut Multipart, chunk_timeout: Duration) {
    let mut drained = 0u64;
    while let Ok(Ok(Some(mut field))) = tokio::time::timeout(chunk_timeout, mp.next_field()).await {
        while let Ok(Ok(Some(c))) = tokio::time::timeout(chunk_timeout, field.chunk()).await {
            drained = drained.saturating_add(c.len() as u64);
            if drained > MAX_DRAIN {
                return;
            }
        }
    }
}

async fn submit(State(st): St, Unit(unit): Unit, Form(mut mp): Form) -> Result<Response, ApiError> {
    let start = Instant::now();
    let Upload { header, pdf, attachments } = match read_parts(&st, &mut mp).await {
        Ok(p) => p,
        Err(e @ (ApiError::PayloadTooLarge(_) | ApiError::BadRequest(_))) => {
            drain(&mut mp, Duration::from_millis(st.limits.body_read_timeout_ms)).await;
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    let mut missing = Vec::new();
    if header.is_none() {
        missing.push(crate::envelope::FieldError {
            field: "header".into(),
            message: "missing: send the header as a `header` part (JSON)".into(),
        });
    }
    if pdf.as_ref().is_none_or(BlobWriter::is_empty) {
        missing.push(crate::envelope::FieldError {
            field: "document".into(),
            message: "missing or empty: send the PDF as a `document` part".into(),
        });
    }
    let (Some(header), Some(pdf)) = (header, pdf) else {
        return Err(crate::exchange::ExchangeError::InvalidHeader(missing).into());
    };
    if !missing.is_empty() {
        return Err(crate::exchange::ExchangeError::InvalidHeader(missing).into());
    }
    let ex = st.exchange.clone();
    let _slot = st.intake_slots.acquire().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let result = blocking(move || Ok(ex.submit(&unit, &header, pdf, attachments))).await?;
    let label = match &result {
        Ok(_) => "accepted",
        Err(crate::exchange::ExchangeError::Refused { .. }) => "refused",
        Err(_) => "error",
    };
    st.metrics.intake(start.elapsed().as_secs_f64(), label);
    let s = result?;
    let code = if s.duplicate { StatusCode::OK } else { StatusCode::CREATED };
    Ok((code, Json(s)).into_response())
}

#[derive(Deserialize)]
struct InboxParams {
    cursor: Option<String>,
    limit: Option<u32>,
    status: Option<String>,
    priority: Option<String>,
    #[serde(rename = "type")]
    document_type: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

fn cursor(c: Option<&str>) -> Result<Option<i64>, ApiError> {
    c.map(|c| c.parse::<i64>().map_err(|_| ApiError::BadRequest(format!("cursor {c:?} is not one this API gave"))))
        .transpose()
}

/// Items per page: as asked, within the server's page size. Out of range
/// is refused, not silently changed: the client learns the page size from
/// the answer instead of guessing it from short pages.
fn page_limit(limits: &Limits, asked: Option<u32>) -> Result<u32, ApiError> {
    let max = limits.max_page.max(1);
    match asked {
        None => Ok(DEFAULT_PAGE.min(max)),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::BadRequest(format!("limit={n}: expected 1 to {max}"))),
    }
}

/// Items per page when the client does not say.
const DEFAULT_PAGE: u32 = 50;

fn date_param(name: &str, v: Option<String>) -> Result<Option<String>, ApiError> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    match v {
        Some(d) if time::Date::parse(&d, &fmt).is_err() => {
            Err(ApiError::BadRequest(format!("{name}={d:?}: expected a date YYYY-MM-DD")))
        }
        other => Ok(other),
    }
}

async fn inbox(State(st): St, Unit(unit): Unit, Params(p): Params<InboxParams>) -> Result<Response, ApiError> {
    let status = match p.status.as_deref() {
        None => None,
        Some("sent" | "new") => Some(None),
        Some(s) if crate::exchange::status::Status::from_code(s).is_some() => Some(Some(s.to_string())),
        Some(s) => return Err(ApiError::BadRequest(format!("status={s:?}: expected new, or a code 01..06"))),
    };
    let q = InboxQuery {
        after: cursor(p.cursor.as_deref())?,
        limit: page_limit(&st.limits, p.limit)?,
        status,
        // Stored under its canonical (Vietnamese) name; any accepted spelling finds it.
        priority: match p.priority.as_deref() {
            None => None,
            Some(text) => match crate::envelope::Priority::parse(text) {
                Some(pr) => Some(pr.as_str().to_string()),
                None => {
                    return Err(ApiError::BadRequest(format!(
                        "priority={text:?}: expected thường, khẩn, thượng khẩn or hỏa tốc"
                    )));
                }
            },
        },
        document_type: p.document_type,
        date_from: date_param("from", p.from)?,
        date_to: date_param("to", p.to)?,
    };
    let ex = st.exchange.clone();
    let v = blocking(move || ex.inbox(&unit, &q).map_err(ApiError::from)).await?;
    Ok(Json(v).into_response())
}

#[derive(Deserialize)]
struct PageParams {
    cursor: Option<String>,
    limit: Option<u32>,
}

async fn outbox(State(st): St, Unit(unit): Unit, Params(p): Params<PageParams>) -> Result<Response, ApiError> {
    let before = cursor(p.cursor.as_deref())?;
    let limit = page_limit(&st.limits, p.limit)?;
    let ex = st.exchange.clone();
    let v = blocking(move || ex.outbox(&unit, before, limit).map_err(ApiError::from)).await?;
    Ok(Json(v).into_response())
}

async fn document(State(st): St, Unit(unit): Unit, DocId(id): DocId) -> Result<Response, ApiError> {
    let ex = st.exchange.clone();
    let v = blocking(move || ex.details(&unit, &id).map_err(ApiError::from)).await?;
    Ok(Json(v).into_response())
}

#[derive(Deserialize)]
struct StatusBody {
    status: String,
    reason: Option<String>,
}

async fn status(
    State(st): St,
    Unit(unit): Unit,
    DocId(id): DocId,
    JsonBody(b): JsonBody<StatusBody>,
) -> Result<Response, ApiError> {
    let ex = st.exchange.clone();
    let v = blocking(move || ex.post_status(&unit, &id, &b.status, b.reason).map_err(ApiError::from)).await?;
    Ok(Json(v).into_response())
}

async fn receipts(State(st): St, Unit(unit): Unit, DocId(id): DocId) -> Result<Response, ApiError> {
    let ex = st.exchange.clone();
    let v = blocking(move || ex.receipts(&unit, &id).map_err(ApiError::from)).await?;
    Ok(Json(v).into_response())
}

/// A single byte range from a `Range` header (`bytes=a-b`, `bytes=a-`,
/// `bytes=-n`); `None` when absent or not satisfiable as one range.
fn parse_range(h: &HeaderMap, len: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(v) = h.get(header::RANGE).and_then(|v| v.to_str().ok()) else { return Ok(None) };
    let Some(spec) = v.strip_prefix("bytes=") else { return Ok(None) };
    if spec.contains(',') {
        return Ok(None); // several ranges: answer the whole document
    }
    let (a, b) = spec.split_once('-').ok_or(())?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().map_err(|_| ())?;
            if n == 0 {
                return Err(());
            }
            (len.saturating_sub(n), len.saturating_sub(1))
        }
        (s, "") => (s.parse().map_err(|_| ())?, len.saturating_sub(1)),
        (s, e) => {
            let e: u64 = e.parse().map_err(|_| ())?;
            (s.parse().map_err(|_| ())?, e.min(len.saturating_sub(1)))
        }
    };
    if len == 0 || start > end || start >= len {
        return Err(());
    }
    Ok(Some((start, end)))
}

async fn pdf(State(st): St, Unit(unit): Unit, DocId(id): DocId, headers: HeaderMap) -> Result<Response, ApiError> {
    let ex = st.exchange.clone();
    let d = blocking(move || ex.open_pdf(&unit, &id).map_err(ApiError::from)).await?;
    let len = d.len;
    let range = match parse_range(&headers, len) {
        Ok(r) => r,
        Err(()) => return Err(ApiError::RangeNotSatisfiable { len }),
    };
    let (start, end) = range.unwrap_or((0, len.saturating_sub(1)));
    let count = if len == 0 { 0 } else { end.saturating_sub(start).saturating_add(1) };
    let file = tokio::fs::File::open(&d.received).await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let received_len = len.saturating_sub(d.tail.len() as u64);
    let body = Body::from_stream(delivered_stream(file, received_len, d.tail, start, count));
    let mut res = Response::new(body);
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(v) = HeaderValue::from_str(&count.to_string()) {
        h.insert(header::CONTENT_LENGTH, v);
    }
    if range.is_some() {
        *res.status_mut() = StatusCode::PARTIAL_CONTENT;
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
            res.headers_mut().insert(header::CONTENT_RANGE, v);
        }
    }
    Ok(res)
}

/// The bytes `[start, start+count)` of `received ‖ tail`, read in chunks.
fn delivered_stream(
    file: tokio::fs::File,
    received_len: u64,
    tail: Vec<u8>,
    start: u64,
    count: u64,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    struct S {
        file: tokio::fs::File,
        pos: u64,
        left: u64,
        received_len: u64,
        tail: Vec<u8>,
        seeked: bool,
    }
    let s = S { file, pos: start, left: count, received_len, tail, seeked: false };
    futures_util::stream::unfold(s, |mut s| async move {
        if s.left == 0 {
            return None;
        }
        if s.pos < s.received_len {
            if !s.seeked {
                if let Err(e) = s.file.seek(std::io::SeekFrom::Start(s.pos)).await {
                    return Some((Err(e), S { left: 0, ..s }));
                }
                s.seeked = true;
            }
            let want = s.left.min(s.received_len - s.pos).min(1 << 16);
            let mut buf = vec![0u8; usize::try_from(want).unwrap_or(1 << 16)];
            match s.file.read(&mut buf).await {
                Ok(0) => Some((
                    Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "stored document is short")),
                    S { left: 0, ..s },
                )),
                Ok(n) => {
                    buf.truncate(n);
                    s.pos = s.pos.saturating_add(n as u64);
                    s.left = s.left.saturating_sub(n as u64);
                    Some((Ok(buf), s))
                }
                Err(e) => Some((Err(e), S { left: 0, ..s })),
            }
        } else {
            let off = usize::try_from(s.pos - s.received_len).unwrap_or(usize::MAX);
            let n = usize::try_from(s.left).unwrap_or(usize::MAX);
            let chunk = s.tail.get(off..).map(|t| t.iter().take(n).copied().collect::<Vec<u8>>()).unwrap_or_default();
            if chunk.is_empty() {
                return None;
            }
            s.pos = s.pos.saturating_add(chunk.len() as u64);
            s.left = s.left.saturating_sub(chunk.len() as u64);
            Some((Ok(chunk), s))
        }
    })
}

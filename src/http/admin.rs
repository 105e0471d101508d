//! The admin API (`/api/v1/admin/...`): thin handlers over [`crate::admin`],
//! for admin client certificates only (a unit's certificate gets 403 from
//! every route here, before any work is done).
//!
//! A revocation changes what the running server trusts before the answer
//! goes out: [`apply_crl`] swaps the CRL served at `/crl/internal.crl`, the
//! TLS configuration of the next handshake and the CRLs document
//! verification uses. The same function applies a CRL the CLI wrote while
//! the server runs (`run::watch_crl` notices the file).

use super::Peer;
use super::api::{Admin, AppState, JsonBody, Params};
use super::error::ApiError;
use crate::admin::ca::{CaView, InternalPki};
use crate::admin::trust::External;
use crate::admin::{self, CertView};
use crate::pki::ca::Identity;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer};
use serde::Deserialize;
use std::sync::Arc;
use thiserror::Error;
use time::OffsetDateTime;

type St = State<Arc<AppState>>;

/// Why a new CRL could not be put in force (the old one stays).
#[derive(Debug, Error)]
pub enum ApplyError {
    #[error("the CRL is unusable: {0}")]
    Crl(#[from] crate::pki::PkiError),
    #[error("{0}")]
    Tls(#[from] super::tls::TlsError),
}

/// The admin routes, merged into the API router.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/admin/certificates", get(list).post(issue))
        .route("/api/v1/admin/certificates/expiring", get(expiring))
        .route("/api/v1/admin/certificates/{serial}", get(one))
        .route("/api/v1/admin/certificates/{serial}/revoke", post(revoke))
        .route("/api/v1/admin/ca", get(ca_show))
        .route("/api/v1/admin/ca/rotate", post(ca_rotate))
        .layer(axum::middleware::from_fn(read_body_first))
}

/// The largest admin request body (a CSR is a few KB).
const ADMIN_BODY_LIMIT: usize = 64 * 1024;

/// Admin requests are small: each body is read whole before anything
/// answers, so an early refusal (403 for a unit's certificate, 400) never
/// races a client still sending. Over HTTP/2 an answer before the body
/// ends resets the stream, and curl then reports a framing error instead of
/// the answer.
pub(super) async fn read_body_first(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    use http_body_util::BodyExt;
    let (parts, body) = req.into_parts();
    match http_body_util::Limited::new(body, ADMIN_BODY_LIMIT).collect().await {
        Ok(collected) => {
            next.run(axum::extract::Request::from_parts(parts, axum::body::Body::from(collected.to_bytes()))).await
        }
        Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
            ApiError::PayloadTooLarge(ADMIN_BODY_LIMIT as u64).into_response()
        }
        Err(e) => ApiError::BadRequest(format!("the request body could not be read: {e}")).into_response(),
    }
}

/// An administrator, by name (the audit log's actor `admin:<name>`).
/// Admission is [`Admin`]'s decision; this only adds the name.
pub struct AdminName(pub String);

impl FromRequestParts<Arc<AppState>> for AdminName {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &Arc<AppState>) -> Result<Self, ApiError> {
        Admin::from_request_parts(parts, st).await?;
        match parts.extensions.get::<Peer>().and_then(|p| p.identity.clone()) {
            Some(Identity::Admin(name)) => Ok(AdminName(name)),
            _ => Err(ApiError::Forbidden("this route needs an admin certificate".into())),
        }
    }
}

/// The `{serial}` of a certificate route, as given (normalised by
/// [`admin::normalize_serial`]). axum's own `Path` and `Json` would answer
/// a bad path or body in plain text; these answer in the API's one error
/// shape, as every other route does.
pub struct Serial(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Serial {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &S) -> Result<Self, ApiError> {
        let Path(serial) = Path::<String>::from_request_parts(parts, st).await?;
        Ok(Serial(serial))
    }
}

/// Runs administration work off the async runtime (it fsyncs and signs).
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, admin::AdminError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(format!("worker failed: {e}")))?
        .map_err(ApiError::from)
}

async fn list(State(st): St, _: AdminName) -> Result<Json<Vec<CertView>>, ApiError> {
    let store = st.exchange.store.clone();
    Ok(Json(blocking(move || admin::list(store.as_ref(), OffsetDateTime::now_utc())).await?))
}

#[derive(Deserialize)]
struct ExpiringQuery {
    days: Option<u32>,
}

async fn expiring(
    State(st): St,
    _: AdminName,
    Params(q): Params<ExpiringQuery>,
) -> Result<Json<Vec<CertView>>, ApiError> {
    let store = st.exchange.store.clone();
    let days = q.days.unwrap_or(admin::EXPIRING_DAYS);
    Ok(Json(blocking(move || admin::expiring(store.as_ref(), OffsetDateTime::now_utc(), days)).await?))
}

async fn one(State(st): St, _: AdminName, Serial(serial): Serial) -> Result<Json<CertView>, ApiError> {
    let store = st.exchange.store.clone();
    Ok(Json(blocking(move || admin::find(store.as_ref(), &serial, OffsetDateTime::now_utc())).await?))
}

#[derive(Deserialize)]
struct RevokeBody {
    reason: String,
}

async fn revoke(
    State(st): St,
    AdminName(name): AdminName,
    Serial(serial): Serial,
    JsonBody(body): JsonBody<RevokeBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let store = st.exchange.store.clone();
    let dd = st.data.clone();
    let actor = format!("admin:{name}");
    let (done, pki) = blocking(move || {
        let done = admin::revoke(store.as_ref(), &dd, &serial, &body.reason, &actor)?;
        Ok((done, admin::ca::internal_pki(&dd)?))
    })
    .await?;
    // In force before the answer: the caller may try the certificate next.
    apply_internal(&st, &pki).map_err(|e| ApiError::Internal(e.to_string()))?;
    let view = admin::view(done.record, OffsetDateTime::now_utc());
    Ok(Json(serde_json::json!({"certificate": view, "crl_number": done.crl_number})))
}

/// Puts the internal CAs and their CRLs in force: the CRL download, the
/// TLS layer (next handshake) and document verification (next intake).
/// Material that does not parse, or that rustls refuses, changes nothing.
///
/// Document trust follows the configuration read at start: the internal
/// CAs are anchors only if they were then (`trust_internal_ca`), which
/// shows as one of them being an anchor now.
pub fn apply_internal(st: &AppState, pki: &InternalPki) -> Result<(), ApplyError> {
    let mut verify = (*st.exchange.verify.load_full()).clone();
    for der in &pki.crls {
        verify.crls.replace(der, "internal CA CRL")?;
    }
    let anchors: Vec<Vec<u8>> = verify.trust.anchors().map(<[u8]>::to_vec).collect();
    if pki.cas.iter().any(|c| anchors.contains(c)) {
        for ca in pki.cas.iter().filter(|c| !anchors.contains(c)) {
            verify.trust.add_pem(ca, "internal CA")?;
        }
    }
    let mut applied = st.applied_external.lock().unwrap_or_else(|p| p.into_inner());
    let next = apply_external(&mut verify, &applied, &pki.external)?;
    st.tls.replace_internal(
        pki.cas.iter().map(|d| CertificateDer::from(d.clone())).collect(),
        pki.crls.iter().map(|d| CertificateRevocationListDer::from(d.clone())).collect(),
        pki.external.clients.iter().map(|d| CertificateDer::from(d.clone())).collect(),
        pki.external.crls.iter().map(|d| CertificateRevocationListDer::from(d.clone())).collect(),
    )?;
    st.exchange.verify.store(Arc::new(verify));
    *applied = next;
    if let Some(current) = pki.current_crl() {
        st.crl.store(Arc::new(current.to_vec()));
    }
    Ok(())
}

/// Brings document verification from the external CAs `applied` to those
/// of `wanted`: anchors and CRLs no longer trusted leave, new ones come
/// in. Only what an earlier call put in is taken out, so an anchor or CRL
/// the configuration names (`trust`, `crls`) stays whatever the registry
/// says. Returns what is now applied.
fn apply_external(
    verify: &mut crate::verify::Options,
    applied: &External,
    wanted: &External,
) -> Result<External, ApplyError> {
    let mut next = External::default();
    for der in &applied.documents {
        if wanted.documents.contains(der) {
            next.documents.push(der.clone());
        } else {
            verify.trust.remove(der);
        }
    }
    for der in &wanted.documents {
        if !verify.trust.anchors().any(|a| a == der.as_slice()) {
            verify.trust.add_pem(der, "trusted external CA")?;
            next.documents.push(der.clone());
        }
    }
    for der in &applied.crls {
        if !wanted.crls.contains(der) {
            verify.crls.remove(der);
        }
    }
    for der in &wanted.crls {
        verify.crls.replace(der, "trusted external CA's CRL")?;
        next.crls.push(der.clone());
    }
    Ok(next)
}

async fn ca_show(State(st): St, _: AdminName) -> Result<Json<Vec<CaView>>, ApiError> {
    let store = st.exchange.store.clone();
    let dd = st.data.clone();
    Ok(Json(blocking(move || admin::ca::show(store.as_ref(), &dd)).await?))
}

async fn ca_rotate(State(st): St, AdminName(name): AdminName) -> Result<Json<CaView>, ApiError> {
    let store = st.exchange.store.clone();
    let dd = st.data.clone();
    let actor = format!("admin:{name}");
    let (view, pki) = blocking(move || {
        let view = admin::ca::rotate(store.as_ref(), &dd, &actor)?;
        Ok((view, admin::ca::internal_pki(&dd)?))
    })
    .await?;
    // Both CAs trusted from the next handshake on.
    apply_internal(&st, &pki).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(view))
}

#[derive(Deserialize)]
struct IssueBody {
    #[serde(flatten)]
    subject: admin::Subject,
    /// `p256` (default) or `rsa2048`, when vanthu generates the key.
    #[serde(default, deserialize_with = "present_string")]
    key_type: Option<String>,
    /// The holder's CSR (PEM) instead: vanthu never sees the private key.
    #[serde(default, deserialize_with = "present_string")]
    csr: Option<String>,
    /// With a generated key: also return it as a PKCS#12 file under this
    /// password (never logged, never stored).
    #[serde(default, deserialize_with = "present_string")]
    p12_password: Option<String>,
}

/// An optional field that, when given, is a string: `"csr": null` is
/// refused (400) rather than read as "no CSR" and answered with a
/// generated key the caller did not ask for.
fn present_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    String::deserialize(d).map(Some)
}

async fn issue(
    State(st): St,
    AdminName(name): AdminName,
    JsonBody(body): JsonBody<IssueBody>,
) -> Result<(axum::http::StatusCode, Json<admin::IssuedOut>), ApiError> {
    let key = match (body.csr, body.key_type) {
        (Some(_), Some(_)) => return Err(ApiError::BadRequest("give csr or key_type, not both".into())),
        (Some(csr), None) => admin::KeySource::Csr(csr),
        (None, t) => admin::KeySource::Generate(admin::parse_key_type(t.as_deref().unwrap_or("p256"))?),
    };
    let ex = st.exchange.clone();
    let dd = st.data.clone();
    let actor = format!("admin:{name}");
    let password = body.p12_password;
    let out = blocking(move || {
        admin::issue_with(
            ex.store.as_ref(),
            &dd,
            &ex.directory.current(),
            &body.subject,
            &key,
            password.as_deref(),
            &actor,
        )
    })
    .await?;
    Ok((axum::http::StatusCode::CREATED, Json(out)))
}

//! The external CAs' admin API (`/api/v1/admin/trust`): thin handlers over
//! [`crate::admin::trust`], for admin client certificates only (a unit's
//! certificate gets 403 from every route here, before its body is looked at).
//!
//! A change is written (with its audit entry, actor `admin:<name>`) and
//! put in force in this server before the answer: the next handshake and
//! the next intake see it. The CLI's changes arrive through
//! `run::watch_crl` within a second.

use super::admin::{AdminName, Serial, apply_internal};
use super::api::{AppState, JsonBody};
use super::error::ApiError;
use crate::admin::trust::{self, Purpose, TrustedView};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

type St = State<Arc<AppState>>;

/// The whole request must arrive within this.
const BODY_DEADLINE: Duration = Duration::from_secs(30);

/// The trust routes, merged into the API router.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/admin/trust", get(list).post(add))
        .route("/api/v1/admin/trust/{sha256}", delete(remove))
        .layer(axum::middleware::from_fn(read_body))
}

/// The admin body rule (read whole, at most 64 KB) under a deadline.
async fn read_body(req: Request, next: axum::middleware::Next) -> Response {
    match tokio::time::timeout(BODY_DEADLINE, super::admin::read_body_first(req, next)).await {
        Ok(r) => r,
        Err(_) => ApiError::Timeout.into_response(),
    }
}

/// Runs the change off the async runtime (it fsyncs), then puts the data
/// directory's trust in force before the answer.
async fn change<T: Send + 'static>(
    st: &Arc<AppState>,
    f: impl FnOnce(&crate::datadir::DataDir, &dyn crate::store::Store) -> Result<T, crate::admin::AdminError>
    + Send
    + 'static,
) -> Result<T, ApiError> {
    let store = st.exchange.store.clone();
    let dd = st.data.clone();
    let (out, pki) = tokio::task::spawn_blocking(move || {
        let out = f(&dd, store.as_ref())?;
        Ok::<_, crate::admin::AdminError>((out, crate::admin::ca::internal_pki(&dd)?))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("worker failed: {e}")))??;
    apply_internal(st, &pki).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(out)
}

async fn list(State(st): St, _: AdminName) -> Result<Json<Vec<TrustedView>>, ApiError> {
    let dd = st.data.clone();
    let out = tokio::task::spawn_blocking(move || trust::list(&dd))
        .await
        .map_err(|e| ApiError::Internal(format!("worker failed: {e}")))??;
    Ok(Json(out))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddBody {
    /// `documents`, `clients` or `both`.
    purpose: String,
    /// The CA certificate, PEM.
    certificate: String,
    /// The CA's CRL, PEM (`-----BEGIN X509 CRL-----`).
    #[serde(default)]
    crl: Option<String>,
}

async fn add(
    State(st): St,
    AdminName(name): AdminName,
    JsonBody(body): JsonBody<AddBody>,
) -> Result<(StatusCode, Json<TrustedView>), ApiError> {
    let purpose = Purpose::parse(&body.purpose).map_err(crate::admin::AdminError::from)?;
    let actor = format!("admin:{name}");
    let view = change(&st, move |dd, store| {
        trust::add(store, dd, body.certificate.as_bytes(), purpose, body.crl.as_deref().map(str::as_bytes), &actor)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

async fn remove(
    State(st): St,
    AdminName(name): AdminName,
    Serial(sha256): Serial,
) -> Result<Json<TrustedView>, ApiError> {
    let actor = format!("admin:{name}");
    Ok(Json(change(&st, move |dd, store| trust::remove(store, dd, &sha256, &actor)).await?))
}

//! The directory's admin API (`/api/v1/admin/directory/...`): thin
//! handlers over [`crate::store::directory`], for admin client
//! certificates only (a unit's certificate gets 403 from every route here,
//! before its body is looked at).
//!
//! A change is committed (with its audit entry, actor `admin:<name>`) and
//! put in force in this server before the answer: a unit deactivated here
//! gets 403 on its very next request, and a group edited here routes the
//! next intake. Other instances and the CLI's changes arrive through
//! `run::watch_directory` within a second.

use super::admin::AdminName;
use super::api::{AppState, JsonBody, Params};
use super::error::ApiError;
use crate::directory::edit::Edit;
use crate::directory::{Alias, DirectoryFile, Group, GroupId, Member, OrganId, Unit, UnitKind};
use crate::store::directory as stored;
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{patch, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

type St = State<Arc<AppState>>;

/// The directory routes, merged into the API router.
pub fn routes() -> Router<Arc<AppState>> {
    let whole = Router::new()
        .route("/api/v1/admin/directory", put(import).get(export))
        .layer(axum::middleware::from_fn(read_import_body));
    let edits = Router::new()
        .route("/api/v1/admin/directory/units", post(add_unit))
        .route("/api/v1/admin/directory/units/{id}", patch(update_unit))
        .route("/api/v1/admin/directory/units/{id}/deactivate", post(deactivate))
        .route("/api/v1/admin/directory/units/{id}/activate", post(activate))
        .route("/api/v1/admin/directory/groups", post(add_group))
        .route("/api/v1/admin/directory/groups/{id}", patch(update_group).delete(remove_group))
        .route("/api/v1/admin/directory/aliases", post(add_alias).delete(remove_alias))
        .layer(axum::middleware::from_fn(read_edit_body));
    whole.merge(edits)
}

/// The largest edit body (a group of every school of a city is ~40 KB).
const EDIT_BODY_LIMIT: usize = 256 << 10;
/// The largest import: the directory file's own limit.
const IMPORT_BODY_LIMIT: usize = 32 << 20;
/// The whole body must arrive within this (a 32 MB file on a slow link).
const BODY_DEADLINE: Duration = Duration::from_secs(60);

async fn read_edit_body(req: Request, next: axum::middleware::Next) -> Response {
    read_body_first(req, next, EDIT_BODY_LIMIT).await
}

async fn read_import_body(req: Request, next: axum::middleware::Next) -> Response {
    read_body_first(req, next, IMPORT_BODY_LIMIT).await
}

/// Bodies are read whole, under a size limit and a deadline, before
/// anything answers (as the certificate routes do: an early 403 over
/// HTTP/2 would otherwise reset the stream under a client still sending).
async fn read_body_first(req: Request, next: axum::middleware::Next, limit: usize) -> Response {
    use http_body_util::BodyExt;
    let (parts, body) = req.into_parts();
    match tokio::time::timeout(BODY_DEADLINE, http_body_util::Limited::new(body, limit).collect()).await {
        Ok(Ok(collected)) => next.run(Request::from_parts(parts, axum::body::Body::from(collected.to_bytes()))).await,
        Ok(Err(e)) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
            ApiError::PayloadTooLarge(limit as u64).into_response()
        }
        Ok(Err(e)) => ApiError::BadRequest(format!("the request body could not be read: {e}")).into_response(),
        Err(_) => ApiError::Timeout.into_response(),
    }
}

/// A unit's organ id in the path (400 if it is not one).
struct UnitId(OrganId);

impl<S: Send + Sync> FromRequestParts<S> for UnitId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &S) -> Result<Self, ApiError> {
        let Path(id) = Path::<String>::from_request_parts(parts, st).await?;
        OrganId::parse(&id).map(UnitId).map_err(|e| ApiError::BadRequest(e.to_string()))
    }
}

/// A group's id in the path (400 if it is not one).
struct GroupPath(GroupId);

impl<S: Send + Sync> FromRequestParts<S> for GroupPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &S) -> Result<Self, ApiError> {
        let Path(id) = Path::<String>::from_request_parts(parts, st).await?;
        GroupId::parse(&id).map(GroupPath).map_err(|e| ApiError::BadRequest(e.to_string()))
    }
}

/// Commits `edit` as `admin:<name>` and puts the new version in force
/// before answering `{"version", "change"}`.
async fn apply(st: &AppState, name: &str, edit: Edit) -> Result<Value, ApiError> {
    let store = st.exchange.store.clone();
    let actor = format!("admin:{name}");
    let up = tokio::task::spawn_blocking(move || stored::update(store.as_ref(), &edit, &actor))
        .await
        .map_err(|e| ApiError::Internal(format!("worker failed: {e}")))??;
    st.exchange.directory.offer(up.version, up.directory);
    Ok(json!({"version": up.version, "change": up.detail}))
}

async fn export(State(st): St, _: AdminName) -> Result<Response, ApiError> {
    let store = st.exchange.store.clone();
    let found = tokio::task::spawn_blocking(move || stored::export(store.as_ref()))
        .await
        .map_err(|e| ApiError::Internal(format!("worker failed: {e}")))??
        .ok_or_else(|| ApiError::Internal("the store has no directory".into()))?;
    let mut r = ([(header::CONTENT_TYPE, "application/json")], found.document).into_response();
    if let Ok(v) = HeaderValue::from_str(&found.version.to_string()) {
        r.headers_mut().insert("x-vanthu-directory-version", v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", found.sha256)) {
        r.headers_mut().insert(header::ETAG, v);
    }
    Ok(r)
}

/// The whole directory file as the body: checked whole, then in force as
/// one new version, or refused (422) with the problems found.
async fn import(State(st): St, AdminName(name): AdminName, req: Request) -> Result<Json<Value>, ApiError> {
    let json_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .is_some_and(|t| t == "application/json");
    if !json_type {
        return Err(ApiError::UnsupportedMediaType(
            "send the directory file as JSON (content-type: application/json)".into(),
        ));
    }
    let body = axum::body::Bytes::from_request(req, &())
        .await
        .map_err(|e| ApiError::BadRequest(format!("the request body could not be read: {}", e.body_text())))?;
    let file: DirectoryFile = serde_json::from_slice(&body).map_err(|e| {
        ApiError::Directory(stored::DirectoryStoreError::Edit(crate::directory::edit::EditError::Invalid(vec![
            crate::directory::DirectoryError::Json(e),
        ])))
    })?;
    Ok(Json(apply(&st, &name, Edit::Replace { file }).await?))
}

async fn add_unit(
    State(st): St,
    AdminName(name): AdminName,
    JsonBody(unit): JsonBody<Unit>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    Ok((StatusCode::CREATED, Json(apply(&st, &name, Edit::AddUnit { unit }).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnitPatch {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    kind: Option<UnitKind>,
    #[serde(default, deserialize_with = "present")]
    parent: Option<Option<OrganId>>,
}

/// `"field": null` read as `Some(None)`, an absent field as `None`.
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

async fn update_unit(
    State(st): St,
    AdminName(name): AdminName,
    UnitId(id): UnitId,
    JsonBody(p): JsonBody<UnitPatch>,
) -> Result<Json<Value>, ApiError> {
    let edit = Edit::UpdateUnit { id, name: p.name, kind: p.kind, parent: p.parent };
    Ok(Json(apply(&st, &name, edit).await?))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DeactivateBody {
    /// Also revoke the unit's client certificates (final).
    #[serde(default)]
    revoke: bool,
    /// The revocation reason (default cessationOfOperation).
    #[serde(default)]
    reason: Option<String>,
}

/// An optional JSON body: none (or empty) reads as the default.
struct OptionalJson<T>(T);

impl<T: serde::de::DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, st: &S) -> Result<Self, ApiError> {
        let has_body = req.headers().get(header::CONTENT_LENGTH).is_none_or(|v| v.as_bytes() != b"0")
            && req.headers().contains_key(header::CONTENT_TYPE);
        if !has_body {
            return Ok(OptionalJson(T::default()));
        }
        let JsonBody(v) = JsonBody::<T>::from_request(req, st).await?;
        Ok(OptionalJson(v))
    }
}

async fn deactivate(
    State(st): St,
    AdminName(name): AdminName,
    UnitId(id): UnitId,
    OptionalJson(body): OptionalJson<DeactivateBody>,
) -> Result<Json<Value>, ApiError> {
    // Checked before anything changes (also when no revocation is asked
    // for): a bad reason refuses the whole request.
    let reason = body.reason.unwrap_or_else(|| "cessationOfOperation".into());
    crate::admin::parse_reason(&reason)?;
    let mut out = apply(&st, &name, Edit::Deactivate { id: id.clone() }).await?;
    if body.revoke {
        let store = st.exchange.store.clone();
        let dd = st.data.clone();
        let actor = format!("admin:{name}");
        let (done, pki) = tokio::task::spawn_blocking(move || {
            let done = crate::admin::directory::revoke_unit(store.as_ref(), &dd, &id, &reason, &actor)?;
            Ok::<_, crate::admin::AdminError>((done, crate::admin::ca::internal_pki(&dd)?))
        })
        .await
        .map_err(|e| ApiError::Internal(format!("worker failed: {e}")))??;
        super::admin::apply_internal(&st, &pki).map_err(|e| ApiError::Internal(e.to_string()))?;
        out["revoked"] = json!(done.iter().map(|r| &r.record.serial).collect::<Vec<_>>());
    }
    Ok(Json(out))
}

async fn activate(State(st): St, AdminName(name): AdminName, UnitId(id): UnitId) -> Result<Json<Value>, ApiError> {
    Ok(Json(apply(&st, &name, Edit::Activate { id }).await?))
}

async fn add_group(
    State(st): St,
    AdminName(name): AdminName,
    JsonBody(group): JsonBody<Group>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    Ok((StatusCode::CREATED, Json(apply(&st, &name, Edit::AddGroup { group }).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupPatch {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    members: Option<Vec<Member>>,
    #[serde(default)]
    add: Vec<Member>,
    #[serde(default)]
    remove: Vec<Member>,
}

async fn update_group(
    State(st): St,
    AdminName(name): AdminName,
    GroupPath(id): GroupPath,
    JsonBody(p): JsonBody<GroupPatch>,
) -> Result<Json<Value>, ApiError> {
    let edit = Edit::UpdateGroup { id, name: p.name, members: p.members, add: p.add, remove: p.remove };
    Ok(Json(apply(&st, &name, edit).await?))
}

async fn remove_group(
    State(st): St,
    AdminName(name): AdminName,
    GroupPath(id): GroupPath,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(apply(&st, &name, Edit::RemoveGroup { id }).await?))
}

async fn add_alias(
    State(st): St,
    AdminName(name): AdminName,
    JsonBody(alias): JsonBody<Alias>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    Ok((StatusCode::CREATED, Json(apply(&st, &name, Edit::AddAlias { alias }).await?)))
}

#[derive(Deserialize)]
struct AliasQuery {
    text: String,
}

async fn remove_alias(
    State(st): St,
    AdminName(name): AdminName,
    Params(q): Params<AliasQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(apply(&st, &name, Edit::RemoveAlias { text: q.text }).await?))
}

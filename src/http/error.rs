//! Every error the API can answer, and its HTTP status: decided here only.
//!
//! Bodies are JSON: `{"error": "<code>", "message": "<for a person>", …}`
//! with the details a client needs to act (every bad header field, the
//! verification report of a refused document).

use crate::exchange::ExchangeError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An API error answer.
#[derive(Debug)]
pub enum ApiError {
    Exchange(ExchangeError),
    /// No usable client identity on the connection.
    Unauthenticated(String),
    /// Authenticated, but this identity may not use this route.
    Forbidden(String),
    /// The request itself is malformed (multipart, query).
    BadRequest(String),
    PayloadTooLarge(u64),
    Timeout,
    Internal(String),
    /// An administrative action failed (admin API).
    Admin(crate::admin::AdminError),
}

impl From<crate::admin::AdminError> for ApiError {
    fn from(e: crate::admin::AdminError) -> Self {
        ApiError::Admin(e)
    }
}

impl From<ExchangeError> for ApiError {
    fn from(e: ExchangeError) -> Self {
        ApiError::Exchange(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            ApiError::Exchange(e) => {
                let message = e.to_string();
                match e {
                    ExchangeError::InvalidHeader(fields) => (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        json!({"error": "invalid_header", "message": message, "fields": fields}),
                    ),
                    ExchangeError::SenderMismatch { .. } => {
                        (StatusCode::FORBIDDEN, json!({"error": "sender_mismatch", "message": message}))
                    }
                    ExchangeError::Refused { reason, report } => (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        json!({"error": "document_refused", "message": reason, "report": report}),
                    ),
                    ExchangeError::DuplicateDifferent { existing } => {
                        (StatusCode::CONFLICT, json!({"error": "duplicate", "message": message, "existing": existing}))
                    }
                    ExchangeError::NotFound => {
                        (StatusCode::NOT_FOUND, json!({"error": "not_found", "message": message}))
                    }
                    ExchangeError::IllegalTransition(_) => {
                        (StatusCode::CONFLICT, json!({"error": "illegal_transition", "message": message}))
                    }
                    ExchangeError::BadRequest(_) => {
                        (StatusCode::BAD_REQUEST, json!({"error": "bad_request", "message": message}))
                    }
                    ExchangeError::TooLarge { limit } => (
                        StatusCode::PAYLOAD_TOO_LARGE,
                        json!({"error": "too_large", "message": message, "limit": limit}),
                    ),
                    ExchangeError::Store(crate::store::StoreError::Conflict { .. }) => (
                        StatusCode::CONFLICT,
                        json!({"error": "conflict", "message": "the status changed meanwhile; read it and try again"}),
                    ),
                    ExchangeError::Store(_)
                    | ExchangeError::Blob(_)
                    | ExchangeError::Seal(_)
                    | ExchangeError::Receipt(_) => {
                        tracing::error!(error = %message, "internal error");
                        (
                            StatusCode::INTERNAL_SERVER_ERROR,
                            json!({"error": "internal", "message": "the gateway failed; nothing was changed"}),
                        )
                    }
                }
            }
            ApiError::Unauthenticated(m) => {
                (StatusCode::UNAUTHORIZED, json!({"error": "unauthenticated", "message": m}))
            }
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, json!({"error": "forbidden", "message": m})),
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, json!({"error": "bad_request", "message": m})),
            ApiError::PayloadTooLarge(limit) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({"error": "too_large", "message": format!("the upload is over the limit of {limit} bytes"), "limit": limit}),
            ),
            ApiError::Timeout => (
                StatusCode::REQUEST_TIMEOUT,
                json!({"error": "timeout", "message": "the request body did not arrive in time"}),
            ),
            ApiError::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"error": "internal", "message": "the gateway failed; nothing was changed"}),
                )
            }
            ApiError::Admin(e) => admin_error(e),
        };
        (status, Json(body)).into_response()
    }
}

/// The administration errors' statuses: the caller's mistakes (a malformed
/// serial or reason, an unknown certificate, one revoked already) say so;
/// the rest is the gateway's failure.
fn admin_error(e: crate::admin::AdminError) -> (StatusCode, serde_json::Value) {
    use crate::admin::AdminError;
    use crate::store::StoreError;
    let message = e.to_string();
    match e {
        AdminError::BadSerial(_)
        | AdminError::BadReason(_)
        | AdminError::BadRequest(_)
        | AdminError::UnknownUnit(_)
        | AdminError::Ca(crate::pki::ca::CaError::BadCsr(_) | crate::pki::ca::CaError::BadName(_)) => {
            (StatusCode::BAD_REQUEST, json!({"error": "bad_request", "message": message}))
        }
        AdminError::Store(StoreError::NoCertificate(_)) => {
            (StatusCode::NOT_FOUND, json!({"error": "not_found", "message": message}))
        }
        AdminError::Store(StoreError::AlreadyRevoked(_)) => {
            (StatusCode::CONFLICT, json!({"error": "already_revoked", "message": message}))
        }
        AdminError::Store(_)
        | AdminError::DataDir(_)
        | AdminError::Ca(_)
        | AdminError::Config(_)
        | AdminError::BadCertificate(_)
        | AdminError::Io { .. }
        | AdminError::CrlNumber { .. }
        | AdminError::CrlNumberExhausted
        | AdminError::UnknownIssuer(_) => {
            tracing::error!(error = %message, "internal error");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"error": "internal", "message": format!("the gateway failed: {message}")}),
            )
        }
    }
}

//! Every error the API can answer, and its HTTP status: decided here only.
//!
//! Bodies are JSON: `{"error": "<code>", "message": "<for a person>", …}`
//! with the details a client needs to act (every bad header field, the
//! verification report of a refused document).

use crate::cms::tsa::{TransportError, TsaError};
use crate::exchange::ExchangeError;
use crate::sign::SignError;
use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody, JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
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
    /// The request itself is malformed (multipart, query, path, JSON body).
    BadRequest(String),
    /// The body is not of the media type the route reads.
    UnsupportedMediaType(String),
    /// The route exists, but not with this method.
    MethodNotAllowed,
    /// No such route.
    NoRoute,
    /// A `Range` that does not fit a document of `len` bytes.
    RangeNotSatisfiable {
        len: u64,
    },
    PayloadTooLarge(u64),
    Timeout,
    Internal(String),
    /// An administrative action failed (admin API).
    Admin(crate::admin::AdminError),
    /// A directory change was refused or failed (admin API).
    Directory(crate::store::directory::DirectoryStoreError),
    /// Signing for people (remote signing, PINs, deferred signing).
    Person(crate::persons::PersonError),
}

impl From<crate::store::directory::DirectoryStoreError> for ApiError {
    fn from(e: crate::store::directory::DirectoryStoreError) -> Self {
        ApiError::Directory(e)
    }
}

impl From<crate::persons::PersonError> for ApiError {
    fn from(e: crate::persons::PersonError) -> Self {
        ApiError::Person(e)
    }
}

impl From<crate::admin::AdminError> for ApiError {
    fn from(e: crate::admin::AdminError) -> Self {
        ApiError::Admin(e)
    }
}

// axum's own rejections answer in plain text; a client of this API reads
// one error shape only, so each becomes one of ours here.

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        ApiError::BadRequest(format!("the query string is not usable: {}", e.body_text()))
    }
}

impl From<PathRejection> for ApiError {
    fn from(e: PathRejection) -> Self {
        ApiError::BadRequest(format!("the path is not usable: {}", e.body_text()))
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        match e {
            JsonRejection::MissingJsonContentType(_) => {
                ApiError::UnsupportedMediaType("send the body as JSON (content-type: application/json)".into())
            }
            JsonRejection::BytesRejection(b) => bytes_rejection(&b),
            other => ApiError::BadRequest(format!("the JSON body is not usable: {}", other.body_text())),
        }
    }
}

impl From<MultipartRejection> for ApiError {
    fn from(e: MultipartRejection) -> Self {
        match e {
            // Raised when the content type is not multipart/form-data, or
            // names no boundary: either way the body cannot be read as parts.
            MultipartRejection::InvalidBoundary(_) => ApiError::UnsupportedMediaType(
                "send the document as multipart/form-data (with a boundary): `header` (JSON), `document` (PDF)".into(),
            ),
            other => ApiError::BadRequest(format!("the multipart body is not usable: {}", other.body_text())),
        }
    }
}

fn bytes_rejection(e: &BytesRejection) -> ApiError {
    match e {
        // The only buffered bodies are JSON ones, under their one limit.
        BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_)) => {
            ApiError::PayloadTooLarge(super::api::MAX_JSON_BODY as u64)
        }
        other => ApiError::BadRequest(format!("the body could not be read: {}", other.body_text())),
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
                    // The time-stamping service behind the seal failed or
                    // refused: the gateway's upstream, not the gateway.
                    ExchangeError::Seal(SignError::Tsa(TsaError::Transport(TransportError::TimedOut { .. }))) => {
                        (StatusCode::GATEWAY_TIMEOUT, json!({"error": "tsa_timeout", "message": message}))
                    }
                    ExchangeError::Seal(SignError::Tsa(
                        TsaError::Transport(_)
                        | TsaError::HttpStatus { .. }
                        | TsaError::BadResponse(_)
                        | TsaError::Rejected { .. },
                    )) => (StatusCode::BAD_GATEWAY, json!({"error": "tsa_failed", "message": message})),
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
            ApiError::UnsupportedMediaType(m) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, json!({"error": "unsupported_media_type", "message": m}))
            }
            ApiError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                json!({"error": "method_not_allowed", "message": "this route does not take this method; see /api/v1/openapi.json"}),
            ),
            ApiError::NoRoute => (StatusCode::NOT_FOUND, json!({"error": "not_found", "message": "no such route"})),
            ApiError::RangeNotSatisfiable { len } => {
                let body = json!({"error": "range_not_satisfiable", "message": format!("the document has {len} bytes; ask for one range inside them"), "length": len});
                let mut r = (StatusCode::RANGE_NOT_SATISFIABLE, Json(body)).into_response();
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                    r.headers_mut().insert(header::CONTENT_RANGE, v);
                }
                return r;
            }
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
            ApiError::Directory(e) => directory_error(e),
            ApiError::Person(e) => person_error(e),
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
        | AdminError::NoKeyForPkcs12
        | AdminError::Pkcs12(crate::pki::pkcs12::Pkcs12Error::BadPassword)
        | AdminError::Ca(crate::pki::ca::CaError::BadCsr(_) | crate::pki::ca::CaError::BadName(_)) => {
            (StatusCode::BAD_REQUEST, json!({"error": "bad_request", "message": message}))
        }
        AdminError::Store(StoreError::NoCertificate(_)) => {
            (StatusCode::NOT_FOUND, json!({"error": "not_found", "message": message}))
        }
        AdminError::Trust(crate::admin::trust::TrustError::NotFound(_)) => {
            (StatusCode::NOT_FOUND, json!({"error": "not_found", "message": message}))
        }
        AdminError::Trust(crate::admin::trust::TrustError::Duplicate(..)) => {
            (StatusCode::CONFLICT, json!({"error": "already_trusted", "message": message}))
        }
        AdminError::Trust(crate::admin::trust::TrustError::TooMany) => {
            (StatusCode::CONFLICT, json!({"error": "too_many", "message": message}))
        }
        AdminError::Trust(crate::admin::trust::TrustError::TooLarge) => {
            (StatusCode::PAYLOAD_TOO_LARGE, json!({"error": "too_large", "message": message}))
        }
        AdminError::Trust(_) => (StatusCode::BAD_REQUEST, json!({"error": "bad_request", "message": message})),
        AdminError::Store(StoreError::AlreadyRevoked(_)) => {
            (StatusCode::CONFLICT, json!({"error": "already_revoked", "message": message}))
        }
        AdminError::Store(_)
        | AdminError::Pkcs12(_)
        | AdminError::DataDir(_)
        | AdminError::Ca(_)
        | AdminError::Config(_)
        | AdminError::BadCertificate(_)
        | AdminError::Io { .. }
        | AdminError::CrlNumber { .. }
        | AdminError::CrlNumberExhausted
        | AdminError::UnknownIssuer(_)
        | AdminError::Keys(_) => {
            tracing::error!(error = %message, "internal error");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"error": "internal", "message": format!("the gateway failed: {message}")}),
            )
        }
    }
}

/// The directory changes' statuses: what is not there 404, what is there
/// already (or unchanged, or raced) 409, a directory that would break its
/// rules 422 with every problem found (up to 20); the store's failure 500.
fn directory_error(e: crate::store::directory::DirectoryStoreError) -> (StatusCode, serde_json::Value) {
    use crate::directory::edit::EditError;
    use crate::store::directory::DirectoryStoreError;
    let message = e.to_string();
    match e {
        DirectoryStoreError::Edit(
            EditError::UnknownUnit(_) | EditError::UnknownGroup(_) | EditError::UnknownAlias(_),
        ) => (StatusCode::NOT_FOUND, json!({"error": "not_found", "message": message})),
        DirectoryStoreError::Edit(
            EditError::UnitExists(_)
            | EditError::GroupExists(_)
            | EditError::Unchanged(_)
            | EditError::NotAMember { .. },
        )
        | DirectoryStoreError::Busy => (StatusCode::CONFLICT, json!({"error": "conflict", "message": message})),
        DirectoryStoreError::Edit(EditError::Invalid(errors)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"error": "invalid_directory", "message": message,
                   "errors": errors.iter().map(ToString::to_string).collect::<Vec<_>>()}),
        ),
        DirectoryStoreError::Store(_) | DirectoryStoreError::Corrupt { .. } | DirectoryStoreError::Seed { .. } => {
            tracing::error!(error = %message, "internal error");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"error": "internal", "message": "the gateway failed; nothing was changed"}),
            )
        }
    }
}

/// Signing for people: the caller's mistakes say so; a locked person is
/// 423 Locked (the PIN is not even tried), a wrong PIN 403 with the
/// attempts left; the rest is the gateway's failure.
fn person_error(e: crate::persons::PersonError) -> (StatusCode, serde_json::Value) {
    use crate::persons::PersonError as P;
    use crate::sign::SignError as S;
    let message = e.to_string();
    match e {
        P::NotFound(_) => (StatusCode::NOT_FOUND, json!({"error": "person_not_found", "message": message})),
        P::OtherUnit(_) => (StatusCode::FORBIDDEN, json!({"error": "person_of_another_unit", "message": message})),
        P::Locked(_) => (StatusCode::LOCKED, json!({"error": "person_locked", "message": message})),
        P::WrongPin { remaining } => {
            (StatusCode::FORBIDDEN, json!({"error": "wrong_pin", "message": message, "attempts_left": remaining}))
        }
        P::BadPin(_) => (StatusCode::BAD_REQUEST, json!({"error": "bad_pin", "message": message})),
        P::BadRequest(_) | P::UnknownUnit(_) => {
            (StatusCode::BAD_REQUEST, json!({"error": "bad_request", "message": message}))
        }
        P::PreparedNotFound(_) => (StatusCode::NOT_FOUND, json!({"error": "not_found", "message": message})),
        P::AlreadyFinished(_) => (StatusCode::CONFLICT, json!({"error": "already_finished", "message": message})),
        P::TooManyPrepared(_) => {
            (StatusCode::TOO_MANY_REQUESTS, json!({"error": "too_many_prepared", "message": message}))
        }
        P::Sign(S::BadExternalSignature(_)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, json!({"error": "bad_signature", "message": message}))
        }
        P::BadCertificate(_)
        | P::Sign(
            S::Certificate(_)
            | S::CertificateKey(_)
            | S::CertificateExpired(_)
            | S::CertificateNotYetValid(_)
            | S::Usage(_)
            | S::KeyMismatch,
        ) => (StatusCode::UNPROCESSABLE_ENTITY, json!({"error": "bad_certificate", "message": message})),
        P::Placement(crate::sign::placement::PlacementError::Pdf(_)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, json!({"error": "unusable_pdf", "message": message}))
        }
        P::Placement(_) | P::CoversText { .. } | P::Sign(S::Appearance(_) | S::NoSuchPage(_)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, json!({"error": "no_place", "message": message}))
        }
        P::Sign(
            S::Pdf(_) | S::Damaged(_) | S::NoCatalog | S::FieldAlreadySigned(_) | S::CertifyNotFirst | S::NotPrepared,
        ) => (StatusCode::UNPROCESSABLE_ENTITY, json!({"error": "unusable_pdf", "message": message})),
        P::Admin(e) => admin_error(e),
        P::Sign(
            S::Key(_)
            | S::Tsa(_)
            | S::PlaceholderTooSmall(..)
            | S::TimestampTooLarge { .. }
            | S::AlgorithmIdentifier(_),
        )
        | P::Store(_)
        | P::DataDir(_)
        | P::Io { .. }
        | P::Hash(_)
        | P::Key(_) => {
            tracing::error!(error = %message, "internal error");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"error": "internal", "message": "the gateway failed; nothing was signed"}),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cms::tsa::ResponseError;

    fn status(e: SignError) -> StatusCode {
        ApiError::Exchange(ExchangeError::Seal(e)).into_response().status()
    }

    #[test]
    fn a_failing_time_stamping_service_is_the_upstream_s_fault() {
        let timed_out = TransportError::TimedOut { endpoint: "tsa:80".into(), step: "did not answer", ms: 10 };
        assert_eq!(status(SignError::Tsa(timed_out.into())), StatusCode::GATEWAY_TIMEOUT);
        let refused = TsaError::Rejected { status: 2, texts: vec![], fail_info: vec![] };
        assert_eq!(status(SignError::Tsa(refused)), StatusCode::BAD_GATEWAY);
        assert_eq!(status(SignError::Tsa(ResponseError::NoNonce.into())), StatusCode::BAD_GATEWAY);
        // The gateway's own TSA key or certificate: the gateway's failure.
        assert_eq!(status(SignError::Tsa(TsaError::KeyMismatch)), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            status(SignError::Usage(crate::pki::policy::UsageError::NoSigningKeyUsage)),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}

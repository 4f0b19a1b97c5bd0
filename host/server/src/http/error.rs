//! The API's one error type and its wire shape `{detail, code, meta}`.
//!
//! Every failure of every route ends here: handler errors through [`ApiError`]'s
//! `IntoResponse`, and the framework's own bare responses (unknown route, wrong method,
//! body too large, timeout) through `http::middleware::standardise_errors`. `meta` always
//! carries the request id, so a user's bug report leads straight to the log lines.

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::domain::InvalidValue;
use crate::storage::StorageError;

/// The body of every error response.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"detail": "email is already taken", "code": "CONFLICT_DUPLICATE", "meta": {"field": "email", "request_id": "0b9c..."}}))]
pub struct ErrorBody {
    /// A sentence for people.
    pub detail: String,
    /// A stable code for programs, e.g. `VALIDATION_ERR`.
    pub code: String,
    /// Details for programs: always `request_id`; `field` for validation errors, etc.
    #[schema(value_type = Object)]
    pub meta: Map<String, Value>,
}

/// Everything a handler can fail with. Each variant's doc gives its status and code.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401 `AUTH_INVALID`: no credentials, bad credentials, or an invalid token.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// 403 `AUTH_FORBIDDEN`: authenticated, but the role does not allow this.
    #[error("your role does not allow this action")]
    Forbidden,
    /// 422 `VALIDATION_ERR`: a field is missing, of the wrong type, unknown or out of range.
    #[error("{field}: {reason}")]
    Validation { field: String, reason: String },
    /// 404 `ENTITY_NOT_FOUND`: no such entity in the caller's tenant (also when it exists in
    /// another tenant: existence is not revealed across tenants).
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    /// 409 `CONFLICT_DUPLICATE`: a unique value is already taken.
    #[error("{field} is already taken")]
    Duplicate { field: &'static str },
    /// 409 with a specific code, for a state that forbids the change.
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    /// Any status and code with details for programs in `meta` (the violations behind a
    /// refused assignment, the parameter errors of a plugin...).
    #[error("{detail}")]
    Detailed {
        status: StatusCode,
        code: &'static str,
        detail: String,
        meta: Map<String, Value>,
    },
    /// 429 `RATE_LIMITED`, with `Retry-After`.
    #[error("too many attempts; retry in {} seconds", .retry_after.as_secs().max(1))]
    RateLimited { retry_after: Duration },
    /// 405 `METHOD_NOT_ALLOWED`; the `Allow` header lists the methods of the route.
    #[error("this route does not accept that method")]
    MethodNotAllowed,
    /// 413 `PAYLOAD_TOO_LARGE`.
    #[error("the request body is larger than the server accepts")]
    PayloadTooLarge { limit_bytes: Option<usize> },
    /// 503 `TIMEOUT`: the request took longer than `REQUEST_TIMEOUT_SECONDS`.
    #[error("the request took too long and was abandoned")]
    Timeout,
    /// Any other framework-level refusal, with its own status (`HTTP_ERROR`).
    #[error("{}", .0.canonical_reason().unwrap_or("request refused"))]
    Status(StatusCode),
    /// 415 `UNSUPPORTED_MEDIA_TYPE`: the body is not declared as JSON.
    #[error("the request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    /// 503 `SERVICE_UNAVAILABLE`: a dependency is down (readiness probe).
    #[error("{0}")]
    Unavailable(String),
    /// 500 `INTERNAL_ERR`: logged in full, answered without internals.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn validation(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Validation {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub fn internal(err: impl std::fmt::Display) -> Self {
        Self::Internal(err.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::Duplicate { .. } | Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::Detailed { status, .. } => *status,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            Self::Status(status) => *status,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "AUTH_INVALID",
            Self::Forbidden => "AUTH_FORBIDDEN",
            Self::Validation { .. } => "VALIDATION_ERR",
            Self::NotFound { .. } => "ENTITY_NOT_FOUND",
            Self::Duplicate { .. } => "CONFLICT_DUPLICATE",
            Self::Conflict { code, .. } | Self::Detailed { code, .. } => code,
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::PayloadTooLarge { .. } => "PAYLOAD_TOO_LARGE",
            Self::Timeout => "TIMEOUT",
            Self::Status(_) => "HTTP_ERROR",
            Self::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Self::Unavailable(_) => "SERVICE_UNAVAILABLE",
            Self::Internal(_) => "INTERNAL_ERR",
        }
    }

    pub(super) fn meta(&self) -> Map<String, Value> {
        let mut meta = Map::new();
        match self {
            Self::Validation { field, reason } => {
                meta.insert("field".into(), json!(field));
                meta.insert("reason".into(), json!(reason));
            }
            Self::NotFound { entity } => {
                meta.insert("entity".into(), json!(entity));
            }
            Self::Duplicate { field } => {
                meta.insert("field".into(), json!(field));
            }
            Self::Detailed { meta: details, .. } => {
                meta.extend(details.clone());
            }
            Self::RateLimited { retry_after } => {
                meta.insert(
                    "retry_after_seconds".into(),
                    json!(retry_after_seconds(*retry_after)),
                );
            }
            Self::PayloadTooLarge {
                limit_bytes: Some(limit),
            } => {
                meta.insert("limit_bytes".into(), json!(limit));
            }
            _ => {}
        }
        if let Some(id) = super::middleware::current_request_id() {
            meta.insert("request_id".into(), json!(id));
        }
        meta
    }
}

fn retry_after_seconds(d: Duration) -> u64 {
    // Round up: telling a client to come back in 0 s invites an immediate retry.
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            Self::Internal(cause) => tracing::error!(%cause, "internal error"),
            Self::Unavailable(cause) => tracing::warn!(%cause, "dependency unavailable"),
            _ => tracing::debug!(code = self.code(), detail = %self, "request refused"),
        }
        let body = ErrorBody {
            detail: self.to_string(),
            code: self.code().to_owned(),
            meta: self.meta(),
        };
        let mut response = (self.status(), Json(body)).into_response();
        if let Self::RateLimited { retry_after } = self {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_seconds(retry_after)),
            );
        }
        response
    }
}

impl From<StorageError> for ApiError {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::Duplicate { field } => Self::Duplicate { field },
            StorageError::TimeOverlap => Self::Conflict {
                code: "CONFLICT_TIME_OVERLAP",
                detail: err.to_string(),
            },
            StorageError::InUse { .. } => Self::Conflict {
                code: "CONFLICT_IN_USE",
                detail: err.to_string(),
            },
            other => Self::internal(other),
        }
    }
}

impl From<(&'static str, InvalidValue)> for ApiError {
    fn from((field, err): (&'static str, InvalidValue)) -> Self {
        Self::validation(field, err.reason)
    }
}

/// The error responses every authenticated route can give, for
/// `#[utoipa::path(responses(..., ErrorResponses))]`; routes add their specific ones.
#[derive(Debug)]
pub struct ErrorResponses;

impl utoipa::IntoResponses for ErrorResponses {
    fn responses() -> std::collections::BTreeMap<
        String,
        utoipa::openapi::RefOr<utoipa::openapi::response::Response>,
    > {
        use utoipa::openapi::response::ResponseBuilder;
        use utoipa::openapi::{ContentBuilder, Ref};
        [
            ("401", "Missing, invalid, expired or revoked credentials (`AUTH_INVALID`)"),
            ("403", "The caller's role does not allow this (`AUTH_FORBIDDEN`)"),
            ("413", "The body exceeds the size limit (`PAYLOAD_TOO_LARGE`)"),
            ("422", "A field is missing, malformed, unknown or out of range (`VALIDATION_ERR`, `meta.field` names it)"),
            ("500", "Unexpected failure (`INTERNAL_ERR`); the log holds the cause under `meta.request_id`"),
        ]
        .into_iter()
        .map(|(status, description)| {
            let response = ResponseBuilder::new()
                .description(description)
                .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
                .build();
            (status.to_owned(), response.into())
        })
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_its_status_and_code() {
        let cases: Vec<(ApiError, u16, &str)> = vec![
            (ApiError::Unauthenticated("x"), 401, "AUTH_INVALID"),
            (ApiError::Forbidden, 403, "AUTH_FORBIDDEN"),
            (ApiError::validation("email", "bad"), 422, "VALIDATION_ERR"),
            (
                ApiError::NotFound { entity: "user" },
                404,
                "ENTITY_NOT_FOUND",
            ),
            (
                ApiError::Duplicate { field: "email" },
                409,
                "CONFLICT_DUPLICATE",
            ),
            (
                ApiError::Conflict {
                    code: "SELF_LOCKOUT",
                    detail: "x".into(),
                },
                409,
                "SELF_LOCKOUT",
            ),
            (
                ApiError::RateLimited {
                    retry_after: Duration::from_millis(1500),
                },
                429,
                "RATE_LIMITED",
            ),
            (ApiError::MethodNotAllowed, 405, "METHOD_NOT_ALLOWED"),
            (
                ApiError::PayloadTooLarge {
                    limit_bytes: Some(10),
                },
                413,
                "PAYLOAD_TOO_LARGE",
            ),
            (ApiError::Timeout, 503, "TIMEOUT"),
            (ApiError::Status(StatusCode::BAD_REQUEST), 400, "HTTP_ERROR"),
            (
                ApiError::UnsupportedMediaType,
                415,
                "UNSUPPORTED_MEDIA_TYPE",
            ),
            (
                ApiError::Unavailable("db".into()),
                503,
                "SERVICE_UNAVAILABLE",
            ),
            (ApiError::internal("boom"), 500, "INTERNAL_ERR"),
        ];
        for (err, status, code) in cases {
            assert_eq!(
                (err.status().as_u16(), err.code()),
                (status, code),
                "{err:?}"
            );
        }
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        assert_eq!(
            ApiError::internal("password=hunter2").to_string(),
            "internal error"
        );
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_seconds(Duration::from_secs(3)), 3);
    }
}

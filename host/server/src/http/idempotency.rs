//! `Idempotency-Key` on the creating routes (missions, assignments, automatic runs).
//!
//! A client that did not get an answer (a timeout, a dropped connection) retries with the
//! same key and body, and gets the first response again instead of a second mission; the
//! stored response carries `Idempotent-Replayed: true`. The key is scoped to the tenant and
//! the route. The body is compared by the sha256 of its parsed, canonical JSON (so
//! whitespace and key order do not matter): the same key with another body is refused
//! with 422 `IDEMPOTENCY_KEY_REUSED`; a retry while the first request still runs gets 409
//! `IDEMPOTENCY_IN_PROGRESS`. Responses below 500 are stored, refusals included (the same
//! request would be refused the same way); after a server error the key is released, so
//! a retry runs again. A claim left unanswered longer than any request can run (the
//! process was killed, or the request timed out and was dropped before releasing it) is
//! abandoned: a retry of the same request takes it over and runs.

use std::future::Future;

use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::extract::Caller;
use crate::state::AppState;
use crate::storage::idempotency::IdempotencyBegin;

/// The `Idempotency-Key` header, if the client sent one: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(pub Option<String>);

pub const HEADER: HeaderName = HeaderName::from_static("idempotency-key");
const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(&HEADER) else {
            return Ok(Self(None));
        };
        let key = value
            .to_str()
            .ok()
            .filter(|k| !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or_else(|| {
                ApiError::validation(
                    "Idempotency-Key",
                    "must be 1 to 255 visible ASCII characters (a UUID is a good key)",
                )
            })?;
        Ok(Self(Some(key.to_owned())))
    }
}

/// What a creating handler answers, in a form that can be stored and replayed.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: Value,
}

impl Reply {
    /// 201 with `Location`.
    pub fn created(location: String, view: &impl Serialize) -> Result<Self, ApiError> {
        Ok(Self {
            status: StatusCode::CREATED,
            location: Some(location),
            body: serde_json::to_value(view).map_err(ApiError::internal)?,
        })
    }

    /// 200.
    pub fn ok(view: &impl Serialize) -> Result<Self, ApiError> {
        Ok(Self {
            status: StatusCode::OK,
            location: None,
            body: serde_json::to_value(view).map_err(ApiError::internal)?,
        })
    }

    /// 202 with the job's `Location`.
    pub fn accepted(location: String, view: &impl Serialize) -> Result<Self, ApiError> {
        Ok(Self {
            status: StatusCode::ACCEPTED,
            location: Some(location),
            body: serde_json::to_value(view).map_err(ApiError::internal)?,
        })
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        if let Some(location) = self.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
            response.headers_mut().insert(header::LOCATION, location);
        }
        response
    }
}

/// How old an unanswered claim must be to count as abandoned: no request runs longer than
/// `REQUEST_TIMEOUT_SECONDS` (the timeout drops it, before it could release its key), and
/// a minute more covers clocks and commits in flight.
fn abandoned_before(
    config: &crate::config::Config,
    now: chrono::DateTime<chrono::Utc>,
) -> chrono::DateTime<chrono::Utc> {
    chrono::Duration::from_std(config.request_timeout)
        .ok()
        .and_then(|timeout| now.checked_sub_signed(timeout + chrono::Duration::minutes(1)))
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC)
}

/// Runs `handler` once per (tenant, route, key); without a key, simply runs it.
pub async fn run<B, F, Fut>(
    state: &AppState,
    caller: &Caller,
    route: &'static str,
    key: IdempotencyKey,
    body: B,
    handler: F,
) -> Response
where
    B: Serialize,
    F: FnOnce(B) -> Fut,
    Fut: Future<Output = Result<Reply, ApiError>>,
{
    let Some(key) = key.0 else {
        return into_response(handler(body).await);
    };
    // Through `Value`, whose maps are sorted: the digest ignores key order and spacing.
    let digest = match serde_json::to_vec(&json!(body)) {
        Ok(bytes) => hex::encode(Sha256::digest(bytes)),
        Err(e) => return ApiError::internal(e).into_response(),
    };
    let now = crate::domain::time::now();
    let begin = state
        .storage
        .idempotency_begin(
            caller.tenant,
            route,
            &key,
            &digest,
            now,
            abandoned_before(&state.config, now),
        )
        .await;
    match begin {
        Err(e) => ApiError::from(e).into_response(),
        Ok(IdempotencyBegin::Mismatch) => ApiError::IdempotencyKeyReused.into_response(),
        Ok(IdempotencyBegin::InFlight) => ApiError::Conflict {
            code: "IDEMPOTENCY_IN_PROGRESS",
            detail: "a request with this Idempotency-Key is still running; retry shortly"
                .to_owned(),
        }
        .into_response(),
        Ok(IdempotencyBegin::Replay { status, body }) => replay(status, &body),
        Ok(IdempotencyBegin::Started) => {
            let outcome = handler(body).await;
            let stored = match &outcome {
                Ok(reply) => Some(envelope(
                    reply.status,
                    reply.location.as_deref(),
                    &reply.body,
                )),
                Err(error) if error.status().is_server_error() => None,
                Err(error) => Some(envelope(error.status(), None, &error_body(error))),
            };
            let saved = match stored {
                Some(text) => {
                    let status = outcome
                        .as_ref()
                        .map_or_else(|e| e.status(), |r| r.status)
                        .as_u16();
                    state
                        .storage
                        .idempotency_finish(caller.tenant, route, &key, status, &text)
                        .await
                }
                None => {
                    state
                        .storage
                        .idempotency_release(caller.tenant, route, &key)
                        .await
                }
            };
            if let Err(error) = saved {
                // The work is done; only its replay is lost. Say so, and answer anyway.
                tracing::error!(%error, route, "cannot store an idempotent response");
            }
            into_response(outcome)
        }
    }
}

fn into_response(outcome: Result<Reply, ApiError>) -> Response {
    match outcome {
        Ok(reply) => reply.into_response(),
        Err(error) => error.into_response(),
    }
}

fn envelope(status: StatusCode, location: Option<&str>, body: &Value) -> String {
    json!({"status": status.as_u16(), "location": location, "body": body}).to_string()
}

/// The body an error answers with (its `meta.request_id` is the first request's).
fn error_body(error: &ApiError) -> Value {
    json!({"detail": error.to_string(), "code": error.code(), "meta": error.meta()})
}

fn replay(status: u16, stored: &str) -> Response {
    let envelope: Value = serde_json::from_str(stored).unwrap_or(Value::Null);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, Json(envelope["body"].clone())).into_response();
    let headers = response.headers_mut();
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    if let Some(location) = envelope["location"]
        .as_str()
        .and_then(|l| HeaderValue::from_str(l).ok())
    {
        headers.insert(header::LOCATION, location);
    }
    response
}

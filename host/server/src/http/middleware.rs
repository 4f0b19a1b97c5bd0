//! Cross-cutting request handling: request ids, access logs, security headers, the
//! per-address rate limit, and the rewriting of the framework's bare error responses into
//! the standard error shape.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument as _;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use super::error::ApiError;
use super::extract::ClientIp;
use crate::rate_limit::Scope;
use crate::state::AppState;

pub static REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    /// The id of the request being served, for error bodies built deep in handlers.
    static REQUEST_ID: String;
}

/// The current request's id, when called while serving a request.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// A client-supplied id is kept when it is short and printable (so it is safe in logs and
/// headers); anything else is replaced by a fresh UUID.
fn acceptable_request_id(headers: &HeaderMap) -> Option<String> {
    let raw = headers.get(&REQUEST_ID_HEADER)?.to_str().ok()?;
    let ok = (1..=128).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    ok.then(|| raw.to_owned())
}

/// Takes or makes the request id, scopes every log line of the request under it, echoes it
/// on the response and writes one access-log line.
///
/// The request's span is also its trace span (`telemetry`): named after the route template
/// (`GET /api/v1/missions/{id}`), with the route, method, status, request id, and the
/// tenant and user once the caller is known (`extract::Caller`); a W3C `traceparent` from
/// the client makes it a child of the client's span.
pub async fn request_context(request: Request, next: Next) -> Response {
    let id = acceptable_request_id(request.headers())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let method = request.method().clone();
    let span = tracing::info_span!(
        "request",
        otel.name = %match &route {
            Some(route) => format!("{method} {route}"),
            None => method.to_string(),
        },
        otel.kind = "server",
        otel.status_code = Empty,
        request_id = %id,
        method = %method,
        path = %request.uri().path(),
        http.request.method = %method,
        http.route = route.as_deref(),
        http.response.status_code = Empty,
        tenant.id = Empty,
        user.id = Empty,
    );
    if request.headers().contains_key("traceparent") {
        let parent = opentelemetry::global::get_text_map_propagator(|p| {
            p.extract(&HeaderExtractor(request.headers()))
        });
        // Only fails when traces are off: there is no trace to join then.
        let _ = span.set_parent(parent);
    }
    let started = Instant::now();
    let mut response = REQUEST_ID
        .scope(id.clone(), next.run(request))
        .instrument(span.clone())
        .await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(REQUEST_ID_HEADER.clone(), value);
    }
    let status = response.status().as_u16();
    span.record("http.response.status_code", status);
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status >= 500 {
            span.record("otel.status_code", "ERROR");
            tracing::error!(status, latency_ms, "request failed");
        } else {
            tracing::info!(status, latency_ms, "request served");
        }
    });
    response
}

/// Request headers as the trace propagator reads them.
struct HeaderExtractor<'a>(&'a HeaderMap);

impl opentelemetry::propagation::Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

/// The per-address rate limit, counted before routing so a flood is refused before any
/// work. Health probes are not counted: a load balancer polling them must never be told to
/// wait, nor spend the budget of the clients behind the same address. Nor are metrics
/// scrapes (`/metrics`, behind its own token), for the same reason.
pub async fn limit_by_address(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if path.starts_with("/api/v1/health") || path == super::metrics::METRICS_PATH {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let client = ClientIp::of(&parts, state.config.proxy_hops);
    if let Some(ClientIp(ip)) = client
        && let Err(retry_after) = state.limiter.check(Scope::Address, &ip.to_string()).await
    {
        return ApiError::RateLimited { retry_after }.into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}

/// Rewrites error responses that did not come from [`ApiError`] (unknown route, wrong
/// method, body over the limit, timeout) into the standard `{detail, code, meta}` shape.
pub async fn standardise_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(response.headers()) {
        return response;
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let mut rewritten = match status {
        StatusCode::NOT_FOUND => ApiError::NotFound { entity: "route" },
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge { limit_bytes: None },
        StatusCode::REQUEST_TIMEOUT
        | StatusCode::SERVICE_UNAVAILABLE
        | StatusCode::GATEWAY_TIMEOUT => ApiError::Timeout,
        other => ApiError::Status(other),
    }
    .into_response();
    if let Some(allow) = allow {
        rewritten.headers_mut().insert(header::ALLOW, allow);
    }
    rewritten
}

pub(super) fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.starts_with("application/json") || v.starts_with("application/problem+json")
        })
}

/// The content security policy of API responses: they are data, never a page, so nothing
/// may load from them and nothing may frame them.
pub const API_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Methods browsers may use cross-origin.
pub const CORS_METHODS: [Method; 6] = [
    Method::GET,
    Method::POST,
    Method::PATCH,
    Method::PUT,
    Method::DELETE,
    Method::OPTIONS,
];

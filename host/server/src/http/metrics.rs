//! `/metrics`: the server's metrics in the Prometheus text format, for a scraper holding
//! `METRICS_TOKEN`.
//!
//! Routed only when `METRICS_TOKEN` is set (otherwise an unknown route, like any other),
//! outside `/api/v1` and the OpenAPI document: it is for the operator's Prometheus, not for
//! API clients. The request count per route tells who uses what, and how much: so the
//! scraper presents the token as a bearer (`authorization: credentials_file` in a
//! Prometheus scrape configuration); anyone else gets 401. Scrapes are not rate limited
//! (see `middleware::limit_by_address`): a scraper shares its address with no client.
//!
//! The gauges that describe the database (pool occupancy, the job queue) are read here, at
//! scrape time; every other figure was recorded as it happened (see `crate::metrics`).

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use secrecy::ExposeSecret as _;
use sha2::{Digest as _, Sha256};

use super::error::ApiError;
use crate::domain::{Channel, JobState};
use crate::metrics::{CONTENT_TYPE, Metrics, UNMATCHED_ROUTE};
use crate::state::AppState;

pub const METRICS_PATH: &str = "/metrics";

/// The `/metrics` route, when metrics are on.
pub fn router(state: &AppState) -> Option<Router<AppState>> {
    state
        .config
        .metrics_token
        .is_some()
        .then(|| Router::new().route(METRICS_PATH, get(scrape)))
}

/// Records every request: its route template, method, status and latency, and the
/// requests in flight. Outside every other layer but the request context, so it sees
/// the status the client gets (a rate-limit 429, a rewritten 404, a timeout's 503).
pub async fn track(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let _in_flight = metrics.request_in_flight();
    // The template the router matched, never the path itself: `/api/v1/missions/{id}`
    // is one series, whatever the id.
    // (A clone of the matched path is a reference count, not a copy.)
    let route = request.extensions().get::<MatchedPath>().cloned();
    let method = request.method().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.http_request(
        method.as_str(),
        route.as_ref().map_or(UNMATCHED_ROUTE, MatchedPath::as_str),
        response.status().as_str(),
        started.elapsed(),
    );
    response
}

/// `GET /metrics`: every metric, after reading the database's gauges.
async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if !authorised(&state, &headers) {
        let mut refused =
            ApiError::Unauthenticated("/metrics needs the METRICS_TOKEN bearer token")
                .into_response();
        refused
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return Ok(refused);
    }
    let metrics = &state.metrics;
    for pool in state.storage.pools() {
        metrics.set_db_pool(pool.name, pool.size, pool.idle, pool.max);
    }
    for (pool, wait) in state.storage.pool_waits().await {
        metrics.set_db_pool_wait(pool, wait);
    }
    let queue = state.storage.job_queue().await?;
    let now = Utc::now();
    for job_state in [JobState::Queued, JobState::Running] {
        // States without jobs are set too: a gauge left at its last value would lie.
        let (count, age) = queue
            .iter()
            .find(|q| q.state == job_state)
            .map_or((0, Duration::ZERO), |q| {
                (q.count, (now - q.oldest).to_std().unwrap_or_default())
            });
        metrics.set_jobs(job_state.as_str(), count, age);
    }
    let outbox = state.storage.outbox_queue().await?;
    let per_channel = |counts: &[(Channel, u64)]| -> Vec<(&'static str, u64)> {
        Channel::ALL
            .iter()
            .map(|c| {
                let n = counts.iter().find(|(k, _)| k == c).map_or(0, |(_, n)| *n);
                (c.as_str(), n)
            })
            .collect()
    };
    metrics.set_outbox(
        outbox.undispatched,
        &per_channel(&outbox.pending),
        &per_channel(&outbox.dead),
        outbox
            .oldest_pending
            .and_then(|t| (now - t).to_std().ok())
            .unwrap_or_default(),
    );
    let text = metrics.render().unwrap_or_default();
    Ok(([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response())
}

/// Whether the request carries `Authorization: Bearer <METRICS_TOKEN>`. The digests are
/// compared, not the tokens, so the time the comparison takes says nothing of the token.
fn authorised(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(token) = &state.config.metrics_token else {
        return false;
    };
    let Some(presented) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    Sha256::digest(presented.trim().as_bytes()) == Sha256::digest(token.expose_secret().as_bytes())
}

//! Idempotency keys: the first request with a key runs, a retry with the same body
//! replays its response.
//!
//! The trait is a part of [`super::Storage`]; [`sql`] implements it over a backend's pool
//! with the same SQL on both.

use chrono::{DateTime, Utc};

use super::StorageResult;
use crate::domain::TenantId;

/// The first step of an idempotent request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyBegin {
    /// First time this key is seen: the request runs, then `idempotency_finish`.
    Started,
    /// Done before with the same body: replay this response.
    Replay { status: u16, body: String },
    /// Used before with a different body.
    Mismatch,
    /// The first request with this key is still running.
    InFlight,
}

/// Idempotency keys.
#[async_trait::async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for `route` with the request's sha256.
    async fn idempotency_begin(
        &self,
        tenant: TenantId,
        route: &str,
        key: &str,
        request_sha256: &str,
        now: DateTime<Utc>,
    ) -> StorageResult<IdempotencyBegin>;
    /// Stores the response of a claimed key.
    async fn idempotency_finish(
        &self,
        tenant: TenantId,
        route: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> StorageResult<()>;
    /// Releases a claimed key without a response (the request failed on the server's
    /// side; a retry with the same key runs again).
    async fn idempotency_release(
        &self,
        tenant: TenantId,
        route: &str,
        key: &str,
    ) -> StorageResult<()>;
}

pub(super) mod sql;

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
    /// Claims `key` for `route` with the request's sha256. A claim made before
    /// `abandoned_before` that never got a response belongs to a request that cannot be
    /// running any more (its process died, or the request timed out and was dropped): the
    /// same request takes it over.
    async fn idempotency_begin(
        &self,
        tenant: TenantId,
        route: &str,
        key: &str,
        request_sha256: &str,
        now: DateTime<Utc>,
        abandoned_before: DateTime<Utc>,
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

/// An idempotency key as stored, once another request claimed it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct StoredKey {
    request_sha256: String,
    status: Option<i32>,
    response: Option<String>,
}

impl IdempotencyBegin {
    /// What a request with `request_sha256` does when its key was already claimed and
    /// `stored` is what the key holds (`None`: released since).
    pub(crate) fn taken(stored: Option<StoredKey>, request_sha256: &str) -> Self {
        match stored {
            // Released between our insert and this read: let the client retry.
            None => Self::InFlight,
            Some(key) if key.request_sha256 != request_sha256 => Self::Mismatch,
            Some(StoredKey {
                status: Some(status),
                response: Some(body),
                ..
            }) => Self::Replay {
                status: u16::try_from(status).unwrap_or(500),
                body,
            },
            Some(_) => Self::InFlight,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{IdempotencyBegin, StoredKey};

    fn stored(sha: &str, status: Option<i32>, response: Option<&str>) -> Option<StoredKey> {
        Some(StoredKey {
            request_sha256: sha.into(),
            status,
            response: response.map(Into::into),
        })
    }

    #[test]
    fn a_taken_key_replays_refuses_or_waits() {
        let replay = IdempotencyBegin::Replay {
            status: 201,
            body: "{}".into(),
        };
        for (case, key, expected) in [
            ("released", None, IdempotencyBegin::InFlight),
            (
                "another body",
                stored("b", Some(201), Some("{}")),
                IdempotencyBegin::Mismatch,
            ),
            ("done", stored("a", Some(201), Some("{}")), replay),
            (
                "running",
                stored("a", None, None),
                IdempotencyBegin::InFlight,
            ),
        ] {
            assert_eq!(IdempotencyBegin::taken(key, "a"), expected, "{case}");
        }
    }
}

pub(super) mod sql;

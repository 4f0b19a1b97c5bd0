//! Calendar subscription feeds: which technician a secret feed token opens.
//!
//! The trait is a part of [`super::Storage`]; [`sql`] implements it over a backend's pool
//! with the same SQL on both. Only the token's sha256 is stored.

use chrono::{DateTime, Utc};

use super::StorageResult;
use crate::domain::{TechnicianId, TenantId, UserId};

/// Calendar feeds.
#[async_trait::async_trait]
pub trait FeedStore: Send + Sync {
    /// Makes `token_sha256` the technician's only feed token (an earlier one stops
    /// working); `false` when the tenant has no such technician.
    async fn set_calendar_feed(
        &self,
        tenant: TenantId,
        technician: TechnicianId,
        token_sha256: &[u8],
        by: UserId,
        at: DateTime<Utc>,
    ) -> StorageResult<bool>;

    /// Revokes the technician's feed; `false` when there was none.
    async fn revoke_calendar_feed(
        &self,
        tenant: TenantId,
        technician: TechnicianId,
    ) -> StorageResult<bool>;

    /// Whose feed a token opens.
    async fn calendar_feed(
        &self,
        token_sha256: &[u8],
    ) -> StorageResult<Option<(TenantId, TechnicianId)>>;
}

pub(super) mod sql;

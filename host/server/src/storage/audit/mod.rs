//! The audit hash chain: append, read, verify.
//!
//! The trait is a part of [`super::Storage`]; [`sql`] implements it over a backend's pool
//! with the same SQL on both.
//!
//! The store only keeps rows: the hashing, the retry of concurrent appends and the
//! verification live in the `audit` service, so both backends chain exactly alike.
//! Appends are optimistic: read the head, insert at `seq + 1`; a concurrent append that
//! took that `seq` makes the insert a no-op ([`AuditInsert::SeqTaken`]) and the caller
//! rechains on the new head.

use super::StorageResult;
use crate::domain::{AuditEntryId, PageRequest, TenantId, UserId};

/// One entry of the chain, as stored. `at` and `payload` are the exact text that was
/// hashed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRow {
    pub tenant_id: TenantId,
    pub seq: i64,
    pub id: AuditEntryId,
    pub kind: String,
    pub actor: Option<UserId>,
    /// RFC 3339, UTC, to the second, with `Z`: text order is time order.
    pub at: String,
    /// Canonical JSON; `None` in listings that leave run payloads out.
    pub payload: Option<String>,
    pub prev_hash: String,
    pub hash: String,
    /// For an automatic run: its figures, JSON (see the migration).
    pub summary: Option<String>,
}

/// What an insert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditInsert {
    Inserted,
    /// Another entry holds this `seq` of the tenant's chain: read the head and retry.
    SeqTaken,
}

/// Filters of a listing; `None` switches one off. Bounds compare with `at`'s text.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub kind: Option<String>,
    /// `at >= from`.
    pub from: Option<String>,
    /// `at < to`.
    pub to: Option<String>,
}

/// The audit hash chain: append, read, verify.
#[async_trait::async_trait]
pub trait AuditStore: Send + Sync {
    /// The last entry's `seq` and `hash`, `None` for an empty chain.
    async fn audit_head(&self, tenant: TenantId) -> StorageResult<Option<(i64, String)>>;

    /// Inserts an entry at `row.seq` unless that position is taken.
    async fn insert_audit_entry(&self, row: &AuditRow) -> StorageResult<AuditInsert>;

    /// Entries with `seq > after`, in order, at most `limit`, payloads included: the
    /// verification walks the chain with it.
    async fn audit_chain(
        &self,
        tenant: TenantId,
        after: i64,
        limit: i64,
    ) -> StorageResult<Vec<AuditRow>>;

    /// Entries newest first; run payloads (kind `auto-run`) are left out (`payload`
    /// `None`), their `summary` tells what they were.
    async fn list_audit_entries(
        &self,
        tenant: TenantId,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> StorageResult<(Vec<AuditRow>, u64)>;

    /// One entry with its payload.
    async fn audit_entry(
        &self,
        tenant: TenantId,
        id: AuditEntryId,
    ) -> StorageResult<Option<AuditRow>>;
}

pub(super) mod sql;

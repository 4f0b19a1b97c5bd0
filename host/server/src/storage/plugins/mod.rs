//! Tenant plugins: content-addressed bytes, uploads, activation history and parameters.
//!
//! The trait is a part of [`super::Storage`]; [`sql`] implements it over a backend's pool
//! with the same SQL on both.
//!
//! - `plugin_blobs`: the bytes, by sha256, shared by every tenant that has them (the
//!   default plugins are stored once). Inserted with `ON CONFLICT DO NOTHING`, never
//!   updated or deleted: a replay of an old run loads them back by sha256.
//! - `plugins`: what a tenant uploaded (or was given), one row per (tenant, slot, sha256),
//!   with its `describe()` answer and its last validation report.
//! - `plugin_activations`: per (tenant, slot), an append-only history numbered by `seq`;
//!   the highest `seq` is the active plugin with its parameters and budget. Every change
//!   (activation, new parameters, new budget, rollback) inserts the next `seq`, and the
//!   unique key on (tenant, slot, seq) turns two concurrent changes into one winner and
//!   one retry instead of a lost update.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::StorageResult;
use crate::domain::{PageRequest, PluginId, TenantId, UserId};

/// A tenant's plugin as stored, with the size of its bytes and whether it is active.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PluginRecord {
    pub id: PluginId,
    pub tenant_id: TenantId,
    /// `rules`, `assigner` or `payroll`.
    pub slot: String,
    pub name: String,
    pub version: String,
    /// Lowercase hex.
    pub sha256: String,
    pub size: i64,
    /// The plugin's `describe()` answer, JSON.
    pub info: String,
    /// The last validation report, JSON; `None` for a default plugin never validated here.
    pub validation: Option<String>,
    pub uploaded_by: Option<UserId>,
    pub uploaded_at: DateTime<Utc>,
    /// Whether the latest activation of its slot names it.
    pub active: bool,
}

/// A plugin row to insert (its bytes go with it, see [`PluginStore::create_plugin`]).
#[derive(Debug, Clone)]
pub struct NewPlugin {
    pub id: PluginId,
    pub slot: String,
    pub name: String,
    pub version: String,
    pub sha256: String,
    pub info: String,
    pub validation: Option<String>,
    pub uploaded_by: Option<UserId>,
    pub uploaded_at: DateTime<Utc>,
}

/// One activation of a slot, with the plugin it names.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ActivationRecord {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub slot: String,
    /// Position in the slot's history, from 1; the highest is the active one.
    pub seq: i64,
    pub plugin_id: PluginId,
    /// JSON array of the runtime's `param` values.
    pub params: String,
    /// `default`, `activate`, `params` (new parameters and/or budget) or `rollback`.
    pub action: String,
    /// Fuel per call; `None`: the runtime's default.
    pub fuel: Option<i64>,
    /// Wall-clock limit per call, milliseconds; `None`: the runtime's default.
    pub timeout_ms: Option<i64>,
    /// For a rollback, the position it re-applies.
    pub restores_seq: Option<i64>,
    pub activated_by: Option<UserId>,
    pub activated_at: DateTime<Utc>,
    pub plugin_name: String,
    pub plugin_version: String,
    pub plugin_sha256: String,
}

/// An activation to append at position `seq` of its slot.
#[derive(Debug, Clone)]
pub struct NewActivation {
    pub id: Uuid,
    pub slot: String,
    pub seq: i64,
    pub plugin_id: PluginId,
    pub params: String,
    pub action: &'static str,
    pub fuel: Option<i64>,
    pub timeout_ms: Option<i64>,
    pub restores_seq: Option<i64>,
    pub activated_by: Option<UserId>,
    pub activated_at: DateTime<Utc>,
}

/// Tenant plugins: content-addressed bytes, uploads, activation history and parameters.
#[async_trait::async_trait]
pub trait PluginStore: Send + Sync {
    /// Stores the bytes (if no tenant stored them yet) and the tenant's plugin row, in one
    /// transaction. When the tenant already has these bytes for this slot, nothing is
    /// written and the existing row comes back with `false`.
    async fn create_plugin(
        &self,
        tenant: TenantId,
        plugin: NewPlugin,
        bytes: &[u8],
    ) -> StorageResult<(PluginRecord, bool)>;

    /// One plugin of the tenant.
    async fn plugin(&self, tenant: TenantId, id: PluginId) -> StorageResult<Option<PluginRecord>>;

    /// The tenant's plugin of `slot` with these bytes.
    async fn plugin_by_sha256(
        &self,
        tenant: TenantId,
        slot: &str,
        sha256: &str,
    ) -> StorageResult<Option<PluginRecord>>;

    /// The tenant's plugins, newest first, optionally of one slot.
    async fn list_plugins(
        &self,
        tenant: TenantId,
        slot: Option<&str>,
        page: PageRequest,
    ) -> StorageResult<(Vec<PluginRecord>, u64)>;

    /// Records a validation report; `false` when there is no such plugin in the tenant.
    async fn set_plugin_validation(
        &self,
        tenant: TenantId,
        id: PluginId,
        validation: &str,
    ) -> StorageResult<bool>;

    /// Bytes by sha256 (any tenant's: they are content-addressed).
    async fn plugin_blob(&self, sha256: &str) -> StorageResult<Option<Vec<u8>>>;

    /// The active activation of a slot (its latest), with its plugin: one query.
    async fn active_plugin(
        &self,
        tenant: TenantId,
        slot: &str,
    ) -> StorageResult<Option<ActivationRecord>>;

    /// The active activation of every slot that has one.
    async fn active_plugins(&self, tenant: TenantId) -> StorageResult<Vec<ActivationRecord>>;

    /// The activation at position `seq` of a slot.
    async fn activation_at(
        &self,
        tenant: TenantId,
        slot: &str,
        seq: i64,
    ) -> StorageResult<Option<ActivationRecord>>;

    /// A slot's activations, newest first.
    async fn activation_history(
        &self,
        tenant: TenantId,
        slot: &str,
        page: PageRequest,
    ) -> StorageResult<(Vec<ActivationRecord>, u64)>;

    /// Appends an activation at `activation.seq`; `None` when that position is already
    /// taken (someone changed the slot meanwhile: read the new state and retry).
    async fn insert_activation(
        &self,
        tenant: TenantId,
        activation: NewActivation,
    ) -> StorageResult<Option<ActivationRecord>>;
}

pub(super) mod sql;

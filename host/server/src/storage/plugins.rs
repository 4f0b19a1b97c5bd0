//! Tenant plugins: content-addressed bytes, uploads, activation history and parameters.
//!
//! The trait is a part of [`super::Storage`]; the macro implements it over a backend's
//! pool with the same SQL on both (see [`super::sql`]).
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

/// Columns of [`PluginRecord`], `p` being `plugins` and `b` its blob.
pub(super) const PLUGIN_COLUMNS: &str =
    "p.id, p.tenant_id, p.slot, p.name, p.version, p.sha256, b.size, p.info,
    p.validation, p.uploaded_by, p.uploaded_at,
    EXISTS (SELECT 1 FROM plugin_activations a
            WHERE a.tenant_id = p.tenant_id AND a.slot = p.slot AND a.plugin_id = p.id
              AND a.seq = (SELECT MAX(l.seq) FROM plugin_activations l
                           WHERE l.tenant_id = p.tenant_id AND l.slot = p.slot)) AS active";

/// Columns of [`ActivationRecord`], `a` being `plugin_activations` and `p` its plugin.
pub(super) const ACTIVATION_COLUMNS: &str =
    "a.id, a.tenant_id, a.slot, a.seq, a.plugin_id, a.params, a.action,
    a.fuel, a.timeout_ms, a.restores_seq, a.activated_by, a.activated_at,
    p.name AS plugin_name, p.version AS plugin_version, p.sha256 AS plugin_sha256";

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

macro_rules! impl_plugins_store {
    ($storage:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::plugins::PluginStore for $storage {
            #[tracing::instrument(skip(self, plugin, bytes), fields(slot = %plugin.slot, sha256 = %plugin.sha256))]
            async fn create_plugin(
                &self,
                tenant: $crate::domain::TenantId,
                plugin: $crate::storage::plugins::NewPlugin,
                bytes: &[u8],
            ) -> $crate::storage::StorageResult<($crate::storage::plugins::PluginRecord, bool)> {
                let mut tx = self.writer.begin().await?;
                sqlx::query(
                    "INSERT INTO plugin_blobs (sha256, bytes, size, created_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (sha256) DO NOTHING",
                )
                .bind(&plugin.sha256)
                .bind(bytes)
                .bind(i64::try_from(bytes.len()).unwrap_or(i64::MAX))
                .bind(plugin.uploaded_at)
                .execute(&mut *tx)
                .await?;
                let inserted = sqlx::query(
                    "INSERT INTO plugins (id, tenant_id, slot, name, version, sha256, info, validation, uploaded_by, uploaded_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                     ON CONFLICT (tenant_id, slot, sha256) DO NOTHING",
                )
                .bind(plugin.id)
                .bind(tenant)
                .bind(&plugin.slot)
                .bind(&plugin.name)
                .bind(&plugin.version)
                .bind(&plugin.sha256)
                .bind(&plugin.info)
                .bind(plugin.validation.as_deref())
                .bind(plugin.uploaded_by)
                .bind(plugin.uploaded_at)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    > 0;
                let sql = format!(
                    "SELECT {} FROM plugins p JOIN plugin_blobs b ON b.sha256 = p.sha256
                     WHERE p.tenant_id = $1 AND p.slot = $2 AND p.sha256 = $3",
                    $crate::storage::plugins::PLUGIN_COLUMNS
                );
                let record = sqlx::query_as(&sql)
                    .bind(tenant)
                    .bind(&plugin.slot)
                    .bind(&plugin.sha256)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok((record, inserted))
            }

            async fn plugin(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::PluginId,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::plugins::PluginRecord>> {
                let sql = format!(
                    "SELECT {} FROM plugins p JOIN plugin_blobs b ON b.sha256 = p.sha256
                     WHERE p.tenant_id = $1 AND p.id = $2",
                    $crate::storage::plugins::PLUGIN_COLUMNS
                );
                Ok(sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(&self.reader).await?)
            }

            async fn plugin_by_sha256(
                &self,
                tenant: $crate::domain::TenantId,
                slot: &str,
                sha256: &str,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::plugins::PluginRecord>> {
                let sql = format!(
                    "SELECT {} FROM plugins p JOIN plugin_blobs b ON b.sha256 = p.sha256
                     WHERE p.tenant_id = $1 AND p.slot = $2 AND p.sha256 = $3",
                    $crate::storage::plugins::PLUGIN_COLUMNS
                );
                Ok(sqlx::query_as(&sql)
                    .bind(tenant)
                    .bind(slot)
                    .bind(sha256)
                    .fetch_optional(&self.reader)
                    .await?)
            }

            async fn list_plugins(
                &self,
                tenant: $crate::domain::TenantId,
                slot: Option<&str>,
                page: $crate::domain::PageRequest,
            ) -> $crate::storage::StorageResult<(Vec<$crate::storage::plugins::PluginRecord>, u64)> {
                let total: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM plugins WHERE tenant_id = $1 AND ($2 IS NULL OR slot = $2)",
                )
                .bind(tenant)
                .bind(slot)
                .fetch_one(&self.reader)
                .await?;
                let sql = format!(
                    "SELECT {} FROM plugins p JOIN plugin_blobs b ON b.sha256 = p.sha256
                     WHERE p.tenant_id = $1 AND ($2 IS NULL OR p.slot = $2)
                     ORDER BY p.uploaded_at DESC, p.id DESC LIMIT $3 OFFSET $4",
                    $crate::storage::plugins::PLUGIN_COLUMNS
                );
                let items = sqlx::query_as(&sql)
                    .bind(tenant)
                    .bind(slot)
                    .bind(page.limit())
                    .bind(page.offset())
                    .fetch_all(&self.reader)
                    .await?;
                Ok((items, u64::try_from(total).unwrap_or_default()))
            }

            async fn set_plugin_validation(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::PluginId,
                validation: &str,
            ) -> $crate::storage::StorageResult<bool> {
                let done = sqlx::query("UPDATE plugins SET validation = $3 WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant)
                    .bind(id)
                    .bind(validation)
                    .execute(&self.writer)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn plugin_blob(&self, sha256: &str) -> $crate::storage::StorageResult<Option<Vec<u8>>> {
                Ok(sqlx::query_scalar("SELECT bytes FROM plugin_blobs WHERE sha256 = $1")
                    .bind(sha256)
                    .fetch_optional(&self.reader)
                    .await?)
            }

            async fn active_plugin(
                &self,
                tenant: $crate::domain::TenantId,
                slot: &str,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::plugins::ActivationRecord>> {
                let sql = format!(
                    "SELECT {} FROM plugin_activations a JOIN plugins p ON p.id = a.plugin_id
                     WHERE a.tenant_id = $1 AND a.slot = $2 ORDER BY a.seq DESC LIMIT 1",
                    $crate::storage::plugins::ACTIVATION_COLUMNS
                );
                Ok(sqlx::query_as(&sql).bind(tenant).bind(slot).fetch_optional(&self.reader).await?)
            }

            async fn active_plugins(
                &self,
                tenant: $crate::domain::TenantId,
            ) -> $crate::storage::StorageResult<Vec<$crate::storage::plugins::ActivationRecord>> {
                let sql = format!(
                    "SELECT {} FROM plugin_activations a JOIN plugins p ON p.id = a.plugin_id
                     WHERE a.tenant_id = $1
                       AND a.seq = (SELECT MAX(l.seq) FROM plugin_activations l
                                    WHERE l.tenant_id = a.tenant_id AND l.slot = a.slot)
                     ORDER BY a.slot",
                    $crate::storage::plugins::ACTIVATION_COLUMNS
                );
                Ok(sqlx::query_as(&sql).bind(tenant).fetch_all(&self.reader).await?)
            }

            async fn activation_at(
                &self,
                tenant: $crate::domain::TenantId,
                slot: &str,
                seq: i64,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::plugins::ActivationRecord>> {
                let sql = format!(
                    "SELECT {} FROM plugin_activations a JOIN plugins p ON p.id = a.plugin_id
                     WHERE a.tenant_id = $1 AND a.slot = $2 AND a.seq = $3",
                    $crate::storage::plugins::ACTIVATION_COLUMNS
                );
                Ok(sqlx::query_as(&sql)
                    .bind(tenant)
                    .bind(slot)
                    .bind(seq)
                    .fetch_optional(&self.reader)
                    .await?)
            }

            async fn activation_history(
                &self,
                tenant: $crate::domain::TenantId,
                slot: &str,
                page: $crate::domain::PageRequest,
            ) -> $crate::storage::StorageResult<(Vec<$crate::storage::plugins::ActivationRecord>, u64)> {
                let total: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM plugin_activations WHERE tenant_id = $1 AND slot = $2",
                )
                .bind(tenant)
                .bind(slot)
                .fetch_one(&self.reader)
                .await?;
                let sql = format!(
                    "SELECT {} FROM plugin_activations a JOIN plugins p ON p.id = a.plugin_id
                     WHERE a.tenant_id = $1 AND a.slot = $2 ORDER BY a.seq DESC LIMIT $3 OFFSET $4",
                    $crate::storage::plugins::ACTIVATION_COLUMNS
                );
                let items = sqlx::query_as(&sql)
                    .bind(tenant)
                    .bind(slot)
                    .bind(page.limit())
                    .bind(page.offset())
                    .fetch_all(&self.reader)
                    .await?;
                Ok((items, u64::try_from(total).unwrap_or_default()))
            }

            #[tracing::instrument(skip(self, activation), fields(slot = %activation.slot, seq = activation.seq, action = activation.action))]
            async fn insert_activation(
                &self,
                tenant: $crate::domain::TenantId,
                activation: $crate::storage::plugins::NewActivation,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::plugins::ActivationRecord>> {
                let mut tx = self.writer.begin().await?;
                // The plugin must be the tenant's and of this slot: the join below would
                // otherwise let a caller activate another tenant's plugin by id.
                let inserted = sqlx::query(
                    "INSERT INTO plugin_activations
                        (id, tenant_id, slot, seq, plugin_id, params, action, fuel, timeout_ms, restores_seq, activated_by, activated_at)
                     SELECT $1, $2, $3, $4, p.id, $6, $7, $8, $9, $10, $11, $12
                     FROM plugins p WHERE p.id = $5 AND p.tenant_id = $2 AND p.slot = $3
                     ON CONFLICT (tenant_id, slot, seq) DO NOTHING",
                )
                .bind(activation.id)
                .bind(tenant)
                .bind(&activation.slot)
                .bind(activation.seq)
                .bind(activation.plugin_id)
                .bind(&activation.params)
                .bind(activation.action)
                .bind(activation.fuel)
                .bind(activation.timeout_ms)
                .bind(activation.restores_seq)
                .bind(activation.activated_by)
                .bind(activation.activated_at)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    > 0;
                if !inserted {
                    return Ok(None);
                }
                let sql = format!(
                    "SELECT {} FROM plugin_activations a JOIN plugins p ON p.id = a.plugin_id WHERE a.id = $1",
                    $crate::storage::plugins::ACTIVATION_COLUMNS
                );
                let record = sqlx::query_as(&sql).bind(activation.id).fetch_one(&mut *tx).await?;
                tx.commit().await?;
                Ok(Some(record))
            }
        }
    };
}

pub(crate) use impl_plugins_store;

//! The plugins store's SQL: [`super::PluginStore`] over a backend's pool.

/// Columns of [`super::PluginRecord`], `p` being `plugins` and `b` its blob.
pub(in crate::storage) const PLUGIN_COLUMNS: &str =
    "p.id, p.tenant_id, p.slot, p.name, p.version, p.sha256, b.size, p.info,
    p.validation, p.uploaded_by, p.uploaded_at,
    EXISTS (SELECT 1 FROM plugin_activations a
            WHERE a.tenant_id = p.tenant_id AND a.slot = p.slot AND a.plugin_id = p.id
              AND a.seq = (SELECT MAX(l.seq) FROM plugin_activations l
                           WHERE l.tenant_id = p.tenant_id AND l.slot = p.slot)) AS active";

/// Columns of [`super::ActivationRecord`], `a` being `plugin_activations` and `p` its plugin.
pub(in crate::storage) const ACTIVATION_COLUMNS: &str =
    "a.id, a.tenant_id, a.slot, a.seq, a.plugin_id, a.params, a.action,
    a.fuel, a.timeout_ms, a.restores_seq, a.activated_by, a.activated_at,
    p.name AS plugin_name, p.version AS plugin_version, p.sha256 AS plugin_sha256";

macro_rules! impl_plugins_store {
    ($storage:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::plugins::PluginStore for $storage {
            #[tracing::instrument(name = "storage.create_plugin", skip(self, plugin, bytes), fields(slot = %plugin.slot, sha256 = %plugin.sha256))]
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
                    $crate::storage::plugins::sql::PLUGIN_COLUMNS
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

            #[tracing::instrument(name = "storage.plugin", level = "debug", skip_all)]
            async fn plugin(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::PluginId,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::plugins::PluginRecord>> {
                let sql = format!(
                    "SELECT {} FROM plugins p JOIN plugin_blobs b ON b.sha256 = p.sha256
                     WHERE p.tenant_id = $1 AND p.id = $2",
                    $crate::storage::plugins::sql::PLUGIN_COLUMNS
                );
                Ok(sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(&self.reader).await?)
            }

            #[tracing::instrument(name = "storage.plugin_by_sha256", level = "debug", skip_all)]
            async fn plugin_by_sha256(
                &self,
                tenant: $crate::domain::TenantId,
                slot: &str,
                sha256: &str,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::plugins::PluginRecord>> {
                let sql = format!(
                    "SELECT {} FROM plugins p JOIN plugin_blobs b ON b.sha256 = p.sha256
                     WHERE p.tenant_id = $1 AND p.slot = $2 AND p.sha256 = $3",
                    $crate::storage::plugins::sql::PLUGIN_COLUMNS
                );
                Ok(sqlx::query_as(&sql)
                    .bind(tenant)
                    .bind(slot)
                    .bind(sha256)
                    .fetch_optional(&self.reader)
                    .await?)
            }

            #[tracing::instrument(name = "storage.list_plugins", level = "debug", skip_all)]
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
                    $crate::storage::plugins::sql::PLUGIN_COLUMNS
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

            #[tracing::instrument(name = "storage.set_plugin_validation", level = "debug", skip_all)]
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

            #[tracing::instrument(name = "storage.plugin_blob", level = "debug", skip_all)]
            async fn plugin_blob(&self, sha256: &str) -> $crate::storage::StorageResult<Option<Vec<u8>>> {
                Ok(sqlx::query_scalar("SELECT bytes FROM plugin_blobs WHERE sha256 = $1")
                    .bind(sha256)
                    .fetch_optional(&self.reader)
                    .await?)
            }

            #[tracing::instrument(name = "storage.active_plugin", level = "debug", skip_all)]
            async fn active_plugin(
                &self,
                tenant: $crate::domain::TenantId,
                slot: &str,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::plugins::ActivationRecord>> {
                let sql = format!(
                    "SELECT {} FROM plugin_activations a JOIN plugins p ON p.id = a.plugin_id
                     WHERE a.tenant_id = $1 AND a.slot = $2 ORDER BY a.seq DESC LIMIT 1",
                    $crate::storage::plugins::sql::ACTIVATION_COLUMNS
                );
                Ok(sqlx::query_as(&sql).bind(tenant).bind(slot).fetch_optional(&self.reader).await?)
            }

            #[tracing::instrument(name = "storage.active_plugins", level = "debug", skip_all)]
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
                    $crate::storage::plugins::sql::ACTIVATION_COLUMNS
                );
                Ok(sqlx::query_as(&sql).bind(tenant).fetch_all(&self.reader).await?)
            }

            #[tracing::instrument(name = "storage.activation_at", level = "debug", skip_all)]
            async fn activation_at(
                &self,
                tenant: $crate::domain::TenantId,
                slot: &str,
                seq: i64,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::plugins::ActivationRecord>> {
                let sql = format!(
                    "SELECT {} FROM plugin_activations a JOIN plugins p ON p.id = a.plugin_id
                     WHERE a.tenant_id = $1 AND a.slot = $2 AND a.seq = $3",
                    $crate::storage::plugins::sql::ACTIVATION_COLUMNS
                );
                Ok(sqlx::query_as(&sql)
                    .bind(tenant)
                    .bind(slot)
                    .bind(seq)
                    .fetch_optional(&self.reader)
                    .await?)
            }

            #[tracing::instrument(name = "storage.activation_history", level = "debug", skip_all)]
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
                    $crate::storage::plugins::sql::ACTIVATION_COLUMNS
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

            #[tracing::instrument(name = "storage.insert_activation", skip(self, activation), fields(slot = %activation.slot, seq = activation.seq, action = activation.action))]
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
                    $crate::storage::plugins::sql::ACTIVATION_COLUMNS
                );
                let record = sqlx::query_as(&sql).bind(activation.id).fetch_one(&mut *tx).await?;
                tx.commit().await?;
                Ok(Some(record))
            }
        }
    };
}

pub(crate) use impl_plugins_store;

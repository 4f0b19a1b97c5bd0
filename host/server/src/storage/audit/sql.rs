//! The audit store's SQL: [`super::AuditStore`] over a backend's pool.

macro_rules! impl_audit_store {
    ($storage:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::audit::AuditStore for $storage {
            #[tracing::instrument(name = "storage.audit_head", level = "debug", skip_all)]
            async fn audit_head(
                &self,
                tenant: $crate::domain::TenantId,
            ) -> $crate::storage::StorageResult<Option<(i64, String)>> {
                Ok(sqlx::query_as(
                    "SELECT seq, hash FROM audit_entries WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1",
                )
                .bind(tenant)
                .fetch_optional(&self.reader)
                .await?)
            }

            #[tracing::instrument(name = "storage.insert_audit_entry", skip(self, row), fields(seq = row.seq, kind = %row.kind))]
            async fn insert_audit_entry(
                &self,
                row: &$crate::storage::audit::AuditRow,
            ) -> $crate::storage::StorageResult<$crate::storage::audit::AuditInsert> {
                let mut conn = self.writer.acquire().await?;
                insert_audit_row(&mut conn, row).await
            }

            #[tracing::instrument(name = "storage.audit_chain", level = "debug", skip_all)]
            async fn audit_chain(
                &self,
                tenant: $crate::domain::TenantId,
                after: i64,
                limit: i64,
            ) -> $crate::storage::StorageResult<Vec<$crate::storage::audit::AuditRow>> {
                Ok(sqlx::query_as(
                    "SELECT tenant_id, seq, id, kind, actor, at, payload, prev_hash, hash, summary
                     FROM audit_entries WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                )
                .bind(tenant)
                .bind(after)
                .bind(limit)
                .fetch_all(&self.reader)
                .await?)
            }

            #[tracing::instrument(name = "storage.list_audit_entries", level = "debug", skip_all)]
            async fn list_audit_entries(
                &self,
                tenant: $crate::domain::TenantId,
                filter: &$crate::storage::audit::AuditFilter,
                page: $crate::domain::PageRequest,
            ) -> $crate::storage::StorageResult<(Vec<$crate::storage::audit::AuditRow>, u64)> {
                const WHERE: &str = "WHERE tenant_id = $1
                    AND ($2 IS NULL OR kind = $2)
                    AND ($3 IS NULL OR at >= $3)
                    AND ($4 IS NULL OR at < $4)";
                let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM audit_entries {WHERE}"))
                    .bind(tenant)
                    .bind(filter.kind.as_deref())
                    .bind(filter.from.as_deref())
                    .bind(filter.to.as_deref())
                    .fetch_one(&self.reader)
                    .await?;
                let sql = format!(
                    "SELECT tenant_id, seq, id, kind, actor, at,
                            CASE WHEN kind = 'auto-run' THEN NULL ELSE payload END AS payload,
                            prev_hash, hash, summary
                     FROM audit_entries {WHERE} ORDER BY seq DESC LIMIT $5 OFFSET $6"
                );
                let items = sqlx::query_as(&sql)
                    .bind(tenant)
                    .bind(filter.kind.as_deref())
                    .bind(filter.from.as_deref())
                    .bind(filter.to.as_deref())
                    .bind(page.limit())
                    .bind(page.offset())
                    .fetch_all(&self.reader)
                    .await?;
                Ok((items, u64::try_from(total).unwrap_or_default()))
            }

            #[tracing::instrument(name = "storage.audit_entry", level = "debug", skip_all)]
            async fn audit_entry(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::AuditEntryId,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::audit::AuditRow>> {
                Ok(sqlx::query_as(
                    "SELECT tenant_id, seq, id, kind, actor, at, payload, prev_hash, hash, summary
                     FROM audit_entries WHERE tenant_id = $1 AND id = $2",
                )
                .bind(tenant)
                .bind(id)
                .fetch_optional(&self.reader)
                .await?)
            }
        }

        /// Appends `row` unless its sequence number is taken; also used by a run's commit
        /// (`impl_planning_store`), so a run and its entry are one transaction.
        #[tracing::instrument(name = "storage.insert_audit_row", level = "debug", skip_all)]
        async fn insert_audit_row(
            conn: &mut $crate::storage::backend::Connection<$storage>,
            row: &$crate::storage::audit::AuditRow,
        ) -> $crate::storage::StorageResult<$crate::storage::audit::AuditInsert> {
            let done = sqlx::query(
                "INSERT INTO audit_entries (tenant_id, seq, id, kind, actor, at, payload, prev_hash, hash, summary)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                 ON CONFLICT (tenant_id, seq) DO NOTHING",
            )
            .bind(row.tenant_id)
            .bind(row.seq)
            .bind(row.id)
            .bind(&row.kind)
            .bind(row.actor)
            .bind(&row.at)
            .bind(row.payload.as_deref().unwrap_or("null"))
            .bind(&row.prev_hash)
            .bind(&row.hash)
            .bind(row.summary.as_deref())
            .execute(&mut *conn)
            .await
            .map_err(|e| $crate::storage::sql::duplicate_or::<$storage>(e, "audit entry id"))?;
            Ok(if done.rows_affected() > 0 {
                $crate::storage::audit::AuditInsert::Inserted
            } else {
                $crate::storage::audit::AuditInsert::SeqTaken
            })
        }
    };
}

pub(crate) use impl_audit_store;

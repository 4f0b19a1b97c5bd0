//! The idempotency store's SQL: [`super::IdempotencyStore`] over a backend's pool.

macro_rules! impl_idempotency_store {
    ($storage:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::idempotency::IdempotencyStore for $storage {
            #[tracing::instrument(name = "storage.idempotency_begin", level = "debug", skip_all)]
            async fn idempotency_begin(
                &self,
                tenant: $crate::domain::TenantId,
                route: &str,
                key: &str,
                request_sha256: &str,
                now: chrono::DateTime<chrono::Utc>,
                abandoned_before: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<$crate::storage::idempotency::IdempotencyBegin> {
                use $crate::storage::idempotency::IdempotencyBegin;
                let claimed = sqlx::query(
                    "INSERT INTO idempotency_keys (tenant_id, route, key, request_sha256, created_at)
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                )
                .bind(tenant)
                .bind(route)
                .bind(key)
                .bind(request_sha256)
                .bind(now)
                .execute(&self.writer)
                .await?;
                if claimed.rows_affected() == 1 {
                    return Ok(IdempotencyBegin::Started);
                }
                // An abandoned claim of the same request: take it over (one statement, so
                // of two retries only one does).
                let taken_over = sqlx::query(
                    "UPDATE idempotency_keys SET created_at = $5
                     WHERE tenant_id = $1 AND route = $2 AND key = $3 AND request_sha256 = $4
                       AND status IS NULL AND created_at < $6",
                )
                .bind(tenant)
                .bind(route)
                .bind(key)
                .bind(request_sha256)
                .bind(now)
                .bind(abandoned_before)
                .execute(&self.writer)
                .await?;
                if taken_over.rows_affected() == 1 {
                    return Ok(IdempotencyBegin::Started);
                }
                let row: Option<$crate::storage::idempotency::StoredKey> = sqlx::query_as(
                    "SELECT request_sha256, status, response FROM idempotency_keys WHERE tenant_id = $1 AND route = $2 AND key = $3",
                )
                .bind(tenant)
                .bind(route)
                .bind(key)
                .fetch_optional(&self.reader)
                .await?;
                Ok(IdempotencyBegin::taken(row, request_sha256))
            }

            #[tracing::instrument(name = "storage.idempotency_finish", level = "debug", skip_all)]
            async fn idempotency_finish(
                &self,
                tenant: $crate::domain::TenantId,
                route: &str,
                key: &str,
                status: u16,
                body: &str,
            ) -> $crate::storage::StorageResult<()> {
                sqlx::query(
                    "UPDATE idempotency_keys SET status = $4, response = $5 WHERE tenant_id = $1 AND route = $2 AND key = $3",
                )
                .bind(tenant)
                .bind(route)
                .bind(key)
                .bind(i32::from(status))
                .bind(body)
                .execute(&self.writer)
                .await?;
                Ok(())
            }

            #[tracing::instrument(name = "storage.idempotency_release", level = "debug", skip_all)]
            async fn idempotency_release(
                &self,
                tenant: $crate::domain::TenantId,
                route: &str,
                key: &str,
            ) -> $crate::storage::StorageResult<()> {
                sqlx::query(
                    "DELETE FROM idempotency_keys WHERE tenant_id = $1 AND route = $2 AND key = $3 AND status IS NULL",
                )
                .bind(tenant)
                .bind(route)
                .bind(key)
                .execute(&self.writer)
                .await?;
                Ok(())
            }
        }
    };
}

pub(crate) use impl_idempotency_store;

//! The feed store's SQL: [`super::FeedStore`] over a backend's pool.

macro_rules! impl_feed_store {
    ($storage:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::feeds::FeedStore for $storage {
            #[tracing::instrument(name = "storage.set_calendar_feed", level = "debug", skip_all)]
            async fn set_calendar_feed(
                &self,
                tenant: $crate::domain::TenantId,
                technician: $crate::domain::TechnicianId,
                token_sha256: &[u8],
                by: $crate::domain::UserId,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<bool> {
                let mut tx = self.writer.begin().await?;
                let known: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM technicians WHERE tenant_id = $1 AND id = $2",
                )
                .bind(tenant)
                .bind(technician)
                .fetch_one(&mut *tx)
                .await?;
                if known == 0 {
                    return Ok(false);
                }
                sqlx::query("DELETE FROM calendar_feeds WHERE tenant_id = $1 AND technician_id = $2")
                    .bind(tenant)
                    .bind(technician)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO calendar_feeds (token_sha256, tenant_id, technician_id, created_by, created_at)
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(token_sha256)
                .bind(tenant)
                .bind(technician)
                .bind(by)
                .bind(at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(true)
            }

            #[tracing::instrument(name = "storage.revoke_calendar_feed", level = "debug", skip_all)]
            async fn revoke_calendar_feed(
                &self,
                tenant: $crate::domain::TenantId,
                technician: $crate::domain::TechnicianId,
            ) -> $crate::storage::StorageResult<bool> {
                let done = sqlx::query("DELETE FROM calendar_feeds WHERE tenant_id = $1 AND technician_id = $2")
                    .bind(tenant)
                    .bind(technician)
                    .execute(&self.writer)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            #[tracing::instrument(name = "storage.calendar_feed", level = "debug", skip_all)]
            async fn calendar_feed(
                &self,
                token_sha256: &[u8],
            ) -> $crate::storage::StorageResult<Option<($crate::domain::TenantId, $crate::domain::TechnicianId)>> {
                Ok(sqlx::query_as(
                    "SELECT tenant_id, technician_id FROM calendar_feeds WHERE token_sha256 = $1",
                )
                .bind(token_sha256)
                .fetch_optional(&self.reader)
                .await?)
            }
        }
    };
}

pub(crate) use impl_feed_store;

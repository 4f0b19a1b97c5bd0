//! The export file store's SQL: [`super::ExportFileStore`] over a backend's pool.

macro_rules! impl_export_file_store {
    ($storage:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::export_files::ExportFileStore for $storage {
            #[tracing::instrument(name = "storage.save_export_file", level = "debug", skip_all)]
            async fn save_export_file(
                &self,
                file: $crate::storage::export_files::ExportFile,
            ) -> $crate::storage::StorageResult<()> {
                let mut tx = self.writer.begin().await?;
                sqlx::query("DELETE FROM export_files WHERE job_id = $1")
                    .bind(file.job_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO export_files (job_id, tenant_id, created_by, filename, content_type,
                         body, sha256, rows, generated_at, expires_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(file.job_id)
                .bind(file.tenant_id)
                .bind(file.created_by)
                .bind(&file.filename)
                .bind(&file.content_type)
                .bind(&file.body)
                .bind(&file.sha256)
                .bind(file.rows)
                .bind(file.generated_at)
                .bind(file.expires_at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "storage.export_file", level = "debug", skip_all)]
            async fn export_file(
                &self,
                tenant: $crate::domain::TenantId,
                job: $crate::domain::JobId,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::export_files::ExportFile>> {
                Ok(sqlx::query_as(
                    "SELECT job_id, tenant_id, created_by, filename, content_type, body, sha256,
                         rows, generated_at, expires_at
                     FROM export_files WHERE tenant_id = $1 AND job_id = $2 AND expires_at > $3",
                )
                .bind(tenant)
                .bind(job)
                .bind(now)
                .fetch_optional(&self.reader)
                .await?)
            }

            #[tracing::instrument(name = "storage.delete_expired_export_files", level = "debug", skip_all)]
            async fn delete_expired_export_files(
                &self,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<u64> {
                let done = sqlx::query("DELETE FROM export_files WHERE expires_at <= $1")
                    .bind(now)
                    .execute(&self.writer)
                    .await?;
                Ok(done.rows_affected())
            }
        }
    };
}

pub(crate) use impl_export_file_store;

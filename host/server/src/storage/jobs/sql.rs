//! The job store's SQL: [`super::JobStore`] over a backend's pool.

/// Columns of [`super::Job`].
pub(in crate::storage) const JOB_COLUMNS: &str = "id, tenant_id, kind, state, progress, request, result, error, created_by, created_at, updated_at";

macro_rules! impl_job_store {
    ($storage:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::jobs::JobStore for $storage {
            #[tracing::instrument(name = "storage.create_job", level = "debug", skip_all)]
            async fn create_job(
                &self,
                job: $crate::storage::jobs::Job,
            ) -> $crate::storage::StorageResult<$crate::storage::jobs::Job> {
                sqlx::query(
                    "INSERT INTO jobs (id, tenant_id, kind, state, progress, request, result, error, created_by, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(job.id)
                .bind(job.tenant_id)
                .bind(&job.kind)
                .bind(job.state.as_str())
                .bind(job.progress)
                .bind(&job.request)
                .bind(job.result.as_deref())
                .bind(job.error.as_deref())
                .bind(job.created_by)
                .bind(job.created_at)
                .bind(job.updated_at)
                .execute(&self.writer)
                .await?;
                Ok(job)
            }

            #[tracing::instrument(name = "storage.job", level = "debug", skip_all)]
            async fn job(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::JobId,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::jobs::Job>> {
                use $crate::storage::jobs::sql::JOB_COLUMNS;
                Ok(sqlx::query_as(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE tenant_id = $1 AND id = $2"))
                    .bind(tenant)
                    .bind(id)
                    .fetch_optional(&self.reader)
                    .await?)
            }

            #[tracing::instrument(name = "storage.update_job", level = "debug", skip_all)]
            async fn update_job(
                &self,
                id: $crate::domain::JobId,
                update: $crate::storage::jobs::JobUpdate,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::jobs::Job>> {
                use $crate::storage::jobs::sql::JOB_COLUMNS;
                Ok(sqlx::query_as(&format!(
                    "UPDATE jobs SET state = $2, progress = $3, result = COALESCE($4, result), error = COALESCE($5, error), updated_at = $6
                     WHERE id = $1 AND state IN ('queued', 'running') RETURNING {JOB_COLUMNS}"
                ))
                .bind(id)
                .bind(update.state.as_str())
                .bind(update.progress)
                .bind(update.result.as_deref())
                .bind(update.error.as_deref())
                .bind(now)
                .fetch_optional(&self.writer)
                .await?)
            }

            #[tracing::instrument(name = "storage.touch_job", level = "debug", skip_all)]
            async fn touch_job(
                &self,
                id: $crate::domain::JobId,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<()> {
                sqlx::query("UPDATE jobs SET updated_at = $2 WHERE id = $1 AND state IN ('queued', 'running')")
                    .bind(id)
                    .bind(now)
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            #[tracing::instrument(name = "storage.fail_interrupted_jobs", level = "debug", skip_all)]
            async fn fail_interrupted_jobs(
                &self,
                now: chrono::DateTime<chrono::Utc>,
                stale_before: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<u64> {
                let failed = sqlx::query(
                    "UPDATE jobs SET state = 'failed', updated_at = $1,
                            error = '{\"code\":\"JOB_INTERRUPTED\",\"detail\":\"the server stopped while the job was running; start it again\"}'
                     WHERE state IN ('queued', 'running') AND updated_at < $2",
                )
                .bind(now)
                .bind(stale_before)
                .execute(&self.writer)
                .await?;
                Ok(failed.rows_affected())
            }

            #[tracing::instrument(name = "storage.job_queue", level = "debug", skip_all)]
            async fn job_queue(
                &self,
            ) -> $crate::storage::StorageResult<Vec<$crate::storage::jobs::JobQueue>> {
                let rows: Vec<(String, i64, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
                    "SELECT state, COUNT(*), MIN(created_at) FROM jobs
                     WHERE state IN ('queued', 'running') GROUP BY state",
                )
                .fetch_all(&self.reader)
                .await?;
                rows.into_iter()
                    .map(|(state, count, oldest)| {
                        Ok($crate::storage::jobs::JobQueue {
                            state: $crate::domain::JobState::try_from(state).map_err(|e| {
                                $crate::storage::StorageError::Database(sqlx::Error::Decode(
                                    e.into(),
                                ))
                            })?,
                            count: u64::try_from(count).unwrap_or_default(),
                            oldest,
                        })
                    })
                    .collect()
            }
        }
    };
}

pub(crate) use impl_job_store;

//! The payroll store's SQL: [`super::PayrollStore`] over a backend's pool.

macro_rules! impl_payroll_store {
    ($storage:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::payroll::PayrollStore for $storage {
            #[tracing::instrument(name = "storage.insert_payroll_run", level = "debug", skip_all)]
            async fn insert_payroll_run(
                &self,
                tenant: $crate::domain::TenantId,
                run: &$crate::storage::payroll::PayrollRun,
                audit: &$crate::storage::audit::AuditRow,
            ) -> $crate::storage::StorageResult<$crate::storage::payroll::PayrollInsert> {
                use $crate::storage::payroll::PayrollInsert;
                let mut tx = self.writer.begin_with(<$storage as $crate::storage::backend::Backend>::BEGIN_WRITE).await?;
                // The timesheet clock serialises this with a reopen (see storage::timesheets):
                // a period reopened while the run computed is not paid from its old state.
                sqlx::query("UPDATE tenants SET timesheet_version = timesheet_version + 1 WHERE id = $1")
                    .bind(tenant)
                    .execute(&mut *tx)
                    .await?;
                let closed: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM pay_periods WHERE tenant_id = $1 AND label = $2 AND state = 'closed'",
                )
                .bind(tenant)
                .bind(&run.period)
                .fetch_one(&mut *tx)
                .await?;
                if closed == 0 {
                    return Ok(PayrollInsert::PeriodNotClosed);
                }
                sqlx::query(
                    "INSERT INTO payroll_runs (id, tenant_id, period, period_start, period_end, plugin_sha256, record,
                        inputs_sha256, result_sha256, technicians, gross_cents, created_by, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                )
                .bind(run.id)
                .bind(tenant)
                .bind(&run.period)
                .bind(run.period_start)
                .bind(run.period_end)
                .bind(&run.plugin_sha256)
                .bind(run.record.as_deref().unwrap_or("null"))
                .bind(&run.inputs_sha256)
                .bind(&run.result_sha256)
                .bind(run.technicians)
                .bind(run.gross_cents)
                .bind(run.created_by)
                .bind(run.created_at)
                .execute(&mut *tx)
                .await?;
                if insert_audit_row(&mut tx, audit).await? == $crate::storage::audit::AuditInsert::SeqTaken {
                    return Ok(PayrollInsert::AuditSeqTaken);
                }
                tx.commit().await?;
                Ok(PayrollInsert::Inserted)
            }

            #[tracing::instrument(name = "storage.payroll_run", level = "debug", skip_all)]
            async fn payroll_run(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::PayrollRunId,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::payroll::PayrollRun>> {
                Ok(sqlx::query_as(
                    "SELECT id, period, period_start, period_end, plugin_sha256, record, inputs_sha256, result_sha256,
                            technicians, gross_cents, created_by, created_at
                     FROM payroll_runs WHERE tenant_id = $1 AND id = $2",
                )
                .bind(tenant)
                .bind(id)
                .fetch_optional(&self.reader)
                .await?)
            }

            #[tracing::instrument(name = "storage.payroll_runs_within", level = "debug", skip_all)]
            async fn payroll_runs_within(
                &self,
                tenant: $crate::domain::TenantId,
                window: $crate::domain::time::Window,
            ) -> $crate::storage::StorageResult<Vec<$crate::storage::payroll::PayrollRun>> {
                Ok(sqlx::query_as(
                    "SELECT id, period, period_start, period_end, plugin_sha256, record, inputs_sha256, result_sha256,
                            technicians, gross_cents, created_by, created_at
                     FROM payroll_runs
                     WHERE tenant_id = $1 AND period_start >= $2 AND period_end <= $3
                     ORDER BY period_start, created_at DESC, id DESC",
                )
                .bind(tenant)
                .bind(window.start())
                .bind(window.end())
                .fetch_all(&self.reader)
                .await?)
            }

            #[tracing::instrument(name = "storage.list_payroll_runs", level = "debug", skip_all)]
            async fn list_payroll_runs(
                &self,
                tenant: $crate::domain::TenantId,
                period: Option<&str>,
                page: $crate::domain::PageRequest,
            ) -> $crate::storage::StorageResult<(Vec<$crate::storage::payroll::PayrollRun>, u64)> {
                let total: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM payroll_runs WHERE tenant_id = $1 AND ($2 IS NULL OR period = $2)",
                )
                .bind(tenant)
                .bind(period)
                .fetch_one(&self.reader)
                .await?;
                let rows = sqlx::query_as(
                    "SELECT id, period, period_start, period_end, plugin_sha256, NULL AS record, inputs_sha256, result_sha256,
                            technicians, gross_cents, created_by, created_at
                     FROM payroll_runs WHERE tenant_id = $1 AND ($2 IS NULL OR period = $2)
                     ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4",
                )
                .bind(tenant)
                .bind(period)
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(&self.reader)
                .await?;
                Ok((rows, u64::try_from(total).unwrap_or(0)))
            }
        }
    };
}

pub(crate) use impl_payroll_store;

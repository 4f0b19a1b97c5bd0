//! The timesheet store's SQL: [`super::TimesheetStore`] over a backend's pool.

macro_rules! impl_timesheet_store {
    ($storage:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::timesheets::TimesheetStore for $storage {
            #[tracing::instrument(name = "storage.timesheet", level = "debug", skip_all)]
            async fn timesheet(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::TimesheetId,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::timesheets::Timesheet>> {
                use $crate::storage::timesheets as ts;
                let row: Option<ts::TimesheetRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM timesheets t WHERE t.tenant_id = $1 AND t.id = $2",
                    ts::TIMESHEET_COLUMNS
                ))
                .bind(tenant)
                .bind(id)
                .fetch_optional(&self.reader)
                .await?;
                row.map(ts::Timesheet::try_from).transpose()
            }

            #[tracing::instrument(name = "storage.list_timesheets", level = "debug", skip_all)]
            async fn list_timesheets(
                &self,
                tenant: $crate::domain::TenantId,
                filter: &$crate::storage::timesheets::TimesheetFilter,
                page: $crate::domain::PageRequest,
            ) -> $crate::storage::StorageResult<(Vec<$crate::storage::timesheets::Timesheet>, u64)> {
                use $crate::storage::timesheets as ts;
                const WHERE: &str = "WHERE t.tenant_id = $1
                    AND ($2 IS NULL OR t.technician_id = $2)
                    AND ($3 IS NULL OR t.mission_id = $3)
                    AND ($4 IS NULL OR t.mission_id IN (SELECT m.id FROM missions m WHERE m.tenant_id = $1 AND m.project_id = $4))
                    AND ($5 IS NULL OR t.state = $5)
                    AND ($6 IS NULL OR t.start_at >= $6)
                    AND ($7 IS NULL OR t.start_at < $7)
                    AND ($8 IS NULL OR t.assignment_id = $8)";
                let state = filter.state.map(|s| s.as_str());
                let from = filter.starting_in.map(|w| w.start());
                let to = filter.starting_in.map(|w| w.end());
                let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM timesheets t {WHERE}"))
                    .bind(tenant)
                    .bind(filter.technician)
                    .bind(filter.mission)
                    .bind(filter.project)
                    .bind(state)
                    .bind(from)
                    .bind(to)
                    .bind(filter.assignment)
                    .fetch_one(&self.reader)
                    .await?;
                let rows: Vec<ts::TimesheetRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM timesheets t {WHERE} ORDER BY t.start_at, t.id LIMIT $9 OFFSET $10",
                    ts::TIMESHEET_COLUMNS
                ))
                .bind(tenant)
                .bind(filter.technician)
                .bind(filter.mission)
                .bind(filter.project)
                .bind(state)
                .bind(from)
                .bind(to)
                .bind(filter.assignment)
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(&self.reader)
                .await?;
                Ok((ts::timesheets(rows)?, u64::try_from(total).unwrap_or(0)))
            }

            #[tracing::instrument(name = "storage.timesheets_starting_in", level = "debug", skip_all)]
            async fn timesheets_starting_in(
                &self,
                tenant: $crate::domain::TenantId,
                window: $crate::domain::time::Window,
            ) -> $crate::storage::StorageResult<Vec<$crate::storage::timesheets::Timesheet>> {
                use $crate::storage::timesheets as ts;
                let rows: Vec<ts::TimesheetRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM timesheets t WHERE t.tenant_id = $1 AND t.start_at >= $2 AND t.start_at < $3
                     ORDER BY t.start_at, t.id",
                    ts::TIMESHEET_COLUMNS
                ))
                .bind(tenant)
                .bind(window.start())
                .bind(window.end())
                .fetch_all(&self.reader)
                .await?;
                ts::timesheets(rows)
            }

            #[tracing::instrument(name = "storage.closed_period_at", level = "debug", skip_all)]
            async fn closed_period_at(
                &self,
                tenant: $crate::domain::TenantId,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<Option<String>> {
                let mut conn = self.reader.acquire().await?;
                closed_period_at(&mut conn, tenant, at).await
            }

            #[tracing::instrument(name = "storage.timesheet_clock", level = "debug", skip_all)]
            async fn timesheet_clock(
                &self,
                tenant: $crate::domain::TenantId,
            ) -> $crate::storage::StorageResult<(i64, $crate::domain::PayPeriodKind)> {
                let (version, kind): (i64, String) = sqlx::query_as(
                    "SELECT timesheet_version, pay_period FROM tenants WHERE id = $1",
                )
                .bind(tenant)
                .fetch_one(&self.reader)
                .await?;
                let kind = kind.parse().map_err(|e| $crate::storage::codec::corrupt("pay_period", e))?;
                Ok((version, kind))
            }

            #[tracing::instrument(name = "storage.create_timesheet", level = "debug", skip_all)]
            async fn create_timesheet(
                &self,
                tenant: $crate::domain::TenantId,
                new: &$crate::storage::timesheets::Timesheet,
            ) -> $crate::storage::StorageResult<$crate::storage::timesheets::TimesheetWrite> {
                use $crate::storage::timesheets::TimesheetWrite;
                let mut tx = self.writer.begin_with(<$storage as $crate::storage::backend::Backend>::BEGIN_WRITE).await?;
                lock_timesheets(&mut tx, tenant).await?;
                if let Some(label) = closed_period_at(&mut tx, tenant, new.window.start()).await? {
                    return Ok(TimesheetWrite::PeriodClosed(label));
                }
                let mut row = new.clone();
                row.version = 0;
                write_timesheet(&mut tx, tenant, &row, true).await?;
                if row.state == $crate::domain::TimesheetState::Submitted {
                    record_event(&mut tx, &$crate::storage::outbox::timesheet_event(tenant, &row)).await?;
                }
                tx.commit().await?;
                Ok(TimesheetWrite::Done(Some(Box::new(row))))
            }

            #[tracing::instrument(name = "storage.update_timesheet", level = "debug", skip_all)]
            async fn update_timesheet(
                &self,
                tenant: $crate::domain::TenantId,
                next: &$crate::storage::timesheets::Timesheet,
            ) -> $crate::storage::StorageResult<$crate::storage::timesheets::TimesheetWrite> {
                use $crate::storage::timesheets::TimesheetWrite;
                let mut tx = self.writer.begin_with(<$storage as $crate::storage::backend::Backend>::BEGIN_WRITE).await?;
                lock_timesheets(&mut tx, tenant).await?;
                let current = version_and_start(&mut tx, tenant, next.id).await?;
                let Some((version, start)) = current else {
                    return Ok(TimesheetWrite::NotFound);
                };
                if version != next.version {
                    return Ok(TimesheetWrite::Stale);
                }
                for at in [start, next.window.start()] {
                    if let Some(label) = closed_period_at(&mut tx, tenant, at).await? {
                        return Ok(TimesheetWrite::PeriodClosed(label));
                    }
                }
                let was: String = sqlx::query_scalar("SELECT state FROM timesheets WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant)
                    .bind(next.id)
                    .fetch_one(&mut *tx)
                    .await?;
                let mut row = next.clone();
                row.version = version + 1;
                write_timesheet(&mut tx, tenant, &row, false).await?;
                if row.state == $crate::domain::TimesheetState::Submitted && was != row.state.as_str() {
                    record_event(&mut tx, &$crate::storage::outbox::timesheet_event(tenant, &row)).await?;
                }
                tx.commit().await?;
                Ok(TimesheetWrite::Done(Some(Box::new(row))))
            }

            #[tracing::instrument(name = "storage.delete_timesheet", level = "debug", skip_all)]
            async fn delete_timesheet(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::TimesheetId,
                expected: i64,
            ) -> $crate::storage::StorageResult<$crate::storage::timesheets::TimesheetWrite> {
                use $crate::storage::timesheets::TimesheetWrite;
                let mut tx = self.writer.begin_with(<$storage as $crate::storage::backend::Backend>::BEGIN_WRITE).await?;
                lock_timesheets(&mut tx, tenant).await?;
                let current = version_and_start(&mut tx, tenant, id).await?;
                let Some((version, start)) = current else {
                    return Ok(TimesheetWrite::NotFound);
                };
                if version != expected {
                    return Ok(TimesheetWrite::Stale);
                }
                if let Some(label) = closed_period_at(&mut tx, tenant, start).await? {
                    return Ok(TimesheetWrite::PeriodClosed(label));
                }
                sqlx::query("DELETE FROM timesheets WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(TimesheetWrite::Done(None))
            }

            #[tracing::instrument(name = "storage.pay_periods", level = "debug", skip_all)]
            async fn pay_periods(
                &self,
                tenant: $crate::domain::TenantId,
                window: $crate::domain::time::Window,
            ) -> $crate::storage::StorageResult<Vec<$crate::storage::timesheets::PayPeriodRecord>> {
                use $crate::storage::timesheets as ts;
                let rows: Vec<ts::PayPeriodRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM pay_periods WHERE tenant_id = $1 AND starts_at < $3 AND ends_at > $2 ORDER BY starts_at, label",
                    ts::PAY_PERIOD_COLUMNS
                ))
                .bind(tenant)
                .bind(window.start())
                .bind(window.end())
                .fetch_all(&self.reader)
                .await?;
                rows.into_iter().map(ts::PayPeriodRecord::try_from).collect()
            }

            #[tracing::instrument(name = "storage.close_period", level = "debug", skip_all)]
            async fn close_period(
                &self,
                tenant: $crate::domain::TenantId,
                change: &$crate::storage::timesheets::PeriodChange,
            ) -> $crate::storage::StorageResult<$crate::storage::timesheets::PeriodWrite> {
                use $crate::domain::PayPeriodState;
                use $crate::storage::timesheets::{self as ts, PeriodWrite};
                let mut tx = self.writer.begin_with(<$storage as $crate::storage::backend::Backend>::BEGIN_WRITE).await?;
                let version = lock_timesheets(&mut tx, tenant).await?;
                if change.expected_version.is_some_and(|v| v + 1 != version) {
                    return Ok(PeriodWrite::Stale);
                }
                let state: Option<String> = sqlx::query_scalar(
                    "SELECT state FROM pay_periods WHERE tenant_id = $1 AND label = $2",
                )
                .bind(tenant)
                .bind(&change.label)
                .fetch_optional(&mut *tx)
                .await?;
                if state.as_deref() == Some(PayPeriodState::Closed.as_str()) {
                    return Ok(PeriodWrite::AlreadyThere(PayPeriodState::Closed));
                }
                let row: ts::PayPeriodRow = sqlx::query_as(&format!(
                    "INSERT INTO pay_periods (id, tenant_id, label, starts_at, ends_at, state, closed_by, closed_at)
                     VALUES ($1, $2, $3, $4, $5, 'closed', $6, $7)
                     ON CONFLICT (tenant_id, label) DO UPDATE SET state = 'closed', closed_by = $6, closed_at = $7
                     RETURNING {}",
                    ts::PAY_PERIOD_COLUMNS
                ))
                .bind($crate::domain::PayPeriodId::new())
                .bind(tenant)
                .bind(&change.label)
                .bind(change.window.start())
                .bind(change.window.end())
                .bind(change.by)
                .bind(change.at)
                .fetch_one(&mut *tx)
                .await?;
                if insert_audit_row(&mut tx, &change.audit).await? == $crate::storage::audit::AuditInsert::SeqTaken {
                    return Ok(PeriodWrite::AuditSeqTaken);
                }
                let period: $crate::storage::timesheets::PayPeriodRecord = row.try_into()?;
                record_event(&mut tx, &$crate::storage::outbox::period_event(tenant, &period)).await?;
                tx.commit().await?;
                Ok(PeriodWrite::Done(period))
            }

            #[tracing::instrument(name = "storage.reopen_period", level = "debug", skip_all)]
            async fn reopen_period(
                &self,
                tenant: $crate::domain::TenantId,
                change: &$crate::storage::timesheets::PeriodChange,
            ) -> $crate::storage::StorageResult<$crate::storage::timesheets::PeriodWrite> {
                use $crate::domain::PayPeriodState;
                use $crate::storage::timesheets::{self as ts, PeriodWrite};
                let mut tx = self.writer.begin_with(<$storage as $crate::storage::backend::Backend>::BEGIN_WRITE).await?;
                lock_timesheets(&mut tx, tenant).await?;
                let row: Option<ts::PayPeriodRow> = sqlx::query_as(&format!(
                    "UPDATE pay_periods SET state = 'open', reopened_by = $3, reopened_at = $4, reopen_reason = $5
                     WHERE tenant_id = $1 AND label = $2 AND state = 'closed'
                     RETURNING {}",
                    ts::PAY_PERIOD_COLUMNS
                ))
                .bind(tenant)
                .bind(&change.label)
                .bind(change.by)
                .bind(change.at)
                .bind(change.reason.as_deref())
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else {
                    return Ok(PeriodWrite::AlreadyThere(PayPeriodState::Open));
                };
                if insert_audit_row(&mut tx, &change.audit).await? == $crate::storage::audit::AuditInsert::SeqTaken {
                    return Ok(PeriodWrite::AuditSeqTaken);
                }
                tx.commit().await?;
                Ok(PeriodWrite::Done(row.try_into()?))
            }
        }

        /// Bumps the tenant's timesheet clock, which serialises timesheet writes per
        /// tenant (see the module docs); the clock's new value.
        #[tracing::instrument(name = "storage.lock_timesheets", level = "debug", skip_all)]
        async fn lock_timesheets(
            conn: &mut $crate::storage::backend::Connection<$storage>,
            tenant: $crate::domain::TenantId,
        ) -> $crate::storage::StorageResult<i64> {
            Ok(sqlx::query_scalar(
                "UPDATE tenants SET timesheet_version = timesheet_version + 1 WHERE id = $1 RETURNING timesheet_version",
            )
            .bind(tenant)
            .fetch_one(&mut *conn)
            .await?)
        }

        /// A timesheet's version and start, as its writing transaction sees them.
        #[tracing::instrument(name = "storage.version_and_start", level = "debug", skip_all)]
        async fn version_and_start(
            conn: &mut $crate::storage::backend::Connection<$storage>,
            tenant: $crate::domain::TenantId,
            id: $crate::domain::TimesheetId,
        ) -> $crate::storage::StorageResult<Option<(i64, chrono::DateTime<chrono::Utc>)>> {
            Ok(sqlx::query_as("SELECT version, start_at FROM timesheets WHERE tenant_id = $1 AND id = $2")
                .bind(tenant)
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?)
        }

        /// The label of the closed period holding `at`, if there is one.
        #[tracing::instrument(name = "storage.closed_period_at", level = "debug", skip_all)]
        async fn closed_period_at(
            conn: &mut $crate::storage::backend::Connection<$storage>,
            tenant: $crate::domain::TenantId,
            at: chrono::DateTime<chrono::Utc>,
        ) -> $crate::storage::StorageResult<Option<String>> {
            Ok(sqlx::query_scalar(
                "SELECT label FROM pay_periods
                 WHERE tenant_id = $1 AND state = 'closed' AND starts_at <= $2 AND ends_at > $2
                 ORDER BY starts_at LIMIT 1",
            )
            .bind(tenant)
            .bind(at)
            .fetch_optional(&mut *conn)
            .await?)
        }

        /// Inserts `t` (`insert`) or rewrites the row of its id; who created it, for
        /// what, and when stay as they were.
        #[tracing::instrument(name = "storage.write_timesheet", level = "debug", skip_all)]
        async fn write_timesheet(
            conn: &mut $crate::storage::backend::Connection<$storage>,
            tenant: $crate::domain::TenantId,
            t: &$crate::storage::timesheets::Timesheet,
            insert: bool,
        ) -> $crate::storage::StorageResult<()> {
            let sql = if insert {
                "INSERT INTO timesheets (id, tenant_id, technician_id, mission_id, assignment_id, start_at, end_at, breaks,
                    worked_seconds, cachets, planned_start_at, planned_end_at, version, state, note, reason, submitted_at,
                    decided_by, decided_at, updated_at, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)"
            } else {
                "UPDATE timesheets SET technician_id = $3, mission_id = $4, assignment_id = $5, start_at = $6, end_at = $7,
                    breaks = $8, worked_seconds = $9, cachets = $10, planned_start_at = $11, planned_end_at = $12,
                    version = $13, state = $14, note = $15, reason = $16, submitted_at = $17, decided_by = $18,
                    decided_at = $19, updated_at = $20
                 WHERE id = $1 AND tenant_id = $2"
            };
            let query = sqlx::query(sql)
                .bind(t.id)
                .bind(tenant)
                .bind(t.technician_id)
                .bind(t.mission_id)
                .bind(t.assignment_id)
                .bind(t.window.start())
                .bind(t.window.end())
                .bind($crate::storage::timesheets::breaks_json(&t.breaks)?)
                .bind(t.worked_seconds)
                .bind(i64::from(t.cachets))
                .bind(t.planned.map(|w| w.start()))
                .bind(t.planned.map(|w| w.end()))
                .bind(t.version)
                .bind(t.state.as_str())
                .bind(t.note.as_deref())
                .bind(t.reason.as_deref())
                .bind(t.submitted_at)
                .bind(t.decided_by)
                .bind(t.decided_at)
                .bind(t.updated_at);
            let query = if insert {
                query.bind(t.created_by).bind(t.created_at)
            } else {
                query
            };
            query
                .execute(&mut *conn)
                .await
                .map_err(|e| $crate::storage::sql::booking_refused::<$storage>(e, "assignment_id"))?;
            Ok(())
        }
    };
}

pub(crate) use impl_timesheet_store;

//! Payroll runs: a closed period's payslips as the tenant's payroll plugin computed them,
//! with everything needed to compute them again.
//!
//! The trait is a part of [`super::Storage`]; [`sql`] implements it over a backend's pool
//! with the same SQL on both.

use chrono::{DateTime, Utc};

use super::{AuditRow, StorageResult};
use crate::domain::{PageRequest, PayrollRunId, TenantId, UserId};

/// A payroll run as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PayrollRun {
    pub id: PayrollRunId,
    /// The pay period's label: `2026-07`, `2026-W27`.
    pub period: String,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub plugin_sha256: String,
    /// The whole record, canonical JSON: plugin and configuration, every pay input, every
    /// payslip, fuel (`payroll::PayrollRecord`). `None` in listings.
    pub record: Option<String>,
    pub inputs_sha256: String,
    pub result_sha256: String,
    pub technicians: i64,
    pub gross_cents: i64,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

/// What became of recording a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayrollInsert {
    Inserted,
    /// The audit entry's sequence number was taken: build it again and retry.
    AuditSeqTaken,
    /// The period is not closed (any more): a run pays closed periods only.
    PeriodNotClosed,
}

/// Payroll runs.
#[async_trait::async_trait]
pub trait PayrollStore: Send + Sync {
    /// Records `run` with its audit entry, in one transaction, if its period is closed.
    async fn insert_payroll_run(
        &self,
        tenant: TenantId,
        run: &PayrollRun,
        audit: &AuditRow,
    ) -> StorageResult<PayrollInsert>;

    /// One run with its record.
    async fn payroll_run(
        &self,
        tenant: TenantId,
        id: PayrollRunId,
    ) -> StorageResult<Option<PayrollRun>>;

    /// The runs of the periods lying wholly inside `window`, with their records: by period
    /// start, then newest first within a period.
    async fn payroll_runs_within(
        &self,
        tenant: TenantId,
        window: crate::domain::time::Window,
    ) -> StorageResult<Vec<PayrollRun>>;

    /// Runs newest first, without their records; `period` filters by label.
    async fn list_payroll_runs(
        &self,
        tenant: TenantId,
        period: Option<&str>,
        page: PageRequest,
    ) -> StorageResult<(Vec<PayrollRun>, u64)>;
}

pub(super) mod sql;

//! Timesheets and pay periods: what was worked, and which periods are closed.
//!
//! The trait is a part of [`super::Storage`]; [`sql`] implements it over a backend's pool
//! with the same SQL on both.
//!
//! Every write (a timesheet created, changed or deleted; a period closed or reopened)
//! runs in one transaction that first bumps the tenant's `timesheet_version`. That
//! serialises them per tenant on PostgreSQL (the UPDATE locks the tenant's row; SQLite has
//! one writer anyway) and gives readers a clock: a close prepared from a read at version
//! `v` commits only if the version is still `v`, so nothing changed in between. A write
//! whose timesheet starts, or would start, in a closed period is refused inside that
//! transaction, so it cannot slip in while the period closes.

use chrono::{DateTime, Utc};

use super::codec::{corrupt, from_json, to_json};
use super::{AuditRow, StorageError, StorageResult};
use crate::domain::time::Window;
use crate::domain::{
    AssignmentId, MissionId, PayPeriodId, PayPeriodKind, PayPeriodState, ProjectId, TechnicianId,
    TenantId, TimesheetId, TimesheetState, UserId,
};

/// A timesheet as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timesheet {
    pub id: TimesheetId,
    pub technician_id: TechnicianId,
    pub mission_id: MissionId,
    pub assignment_id: Option<AssignmentId>,
    pub window: Window,
    /// Sorted, apart, inside `window` (checked by `domain::Shift` before every write).
    pub breaks: Vec<Window>,
    pub worked_seconds: i64,
    pub cachets: u32,
    /// The assignment's window when the timesheet was created.
    pub planned: Option<Window>,
    /// Bumped by every write.
    pub version: i64,
    pub state: TimesheetState,
    pub note: Option<String>,
    /// Why it was sent back to draft or excluded.
    pub reason: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Filters of a listing; `None` switches one off.
#[derive(Debug, Clone, Default)]
pub struct TimesheetFilter {
    pub technician: Option<TechnicianId>,
    pub mission: Option<MissionId>,
    pub assignment: Option<AssignmentId>,
    pub project: Option<ProjectId>,
    pub state: Option<TimesheetState>,
    /// Timesheets starting inside it.
    pub starting_in: Option<Window>,
}

/// What became of a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimesheetWrite {
    /// Written; the row as it now stands (`None` for a delete).
    Done(Option<Box<Timesheet>>),
    /// No such timesheet in the tenant.
    NotFound,
    /// Someone wrote it since it was read (its version moved): read again and retry.
    Stale,
    /// It starts, or would start, in this closed period.
    PeriodClosed(String),
}

/// A pay period's row: a period closed at least once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayPeriodRecord {
    pub id: PayPeriodId,
    pub label: String,
    pub window: Window,
    pub state: PayPeriodState,
    pub closed_by: Option<UserId>,
    pub closed_at: Option<DateTime<Utc>>,
    pub reopened_by: Option<UserId>,
    pub reopened_at: Option<DateTime<Utc>>,
    pub reopen_reason: Option<String>,
}

/// A close or reopen, with its audit entry (appended in the same transaction).
#[derive(Debug, Clone)]
pub struct PeriodChange {
    pub label: String,
    pub window: Window,
    pub by: UserId,
    pub at: DateTime<Utc>,
    /// Closing: the tenant's `timesheet_version` the close was prepared at; the close
    /// happens only if it still holds. Reopening: `None`.
    pub expected_version: Option<i64>,
    /// Reopening: why.
    pub reason: Option<String>,
    pub audit: AuditRow,
}

/// What became of a close or reopen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeriodWrite {
    Done(PayPeriodRecord),
    /// A timesheet was written since the close was prepared: prepare it again.
    Stale,
    /// Closing a closed period, or reopening an open one.
    AlreadyThere(PayPeriodState),
    /// The audit entry's sequence number was taken: build it again and retry.
    AuditSeqTaken,
}

/// Timesheets and pay periods.
#[async_trait::async_trait]
pub trait TimesheetStore: Send + Sync {
    async fn timesheet(
        &self,
        tenant: TenantId,
        id: TimesheetId,
    ) -> StorageResult<Option<Timesheet>>;

    /// Timesheets by start, then id.
    async fn list_timesheets(
        &self,
        tenant: TenantId,
        filter: &TimesheetFilter,
        page: crate::domain::PageRequest,
    ) -> StorageResult<(Vec<Timesheet>, u64)>;

    /// Every timesheet starting in `window`, by start then id: a period's content.
    async fn timesheets_starting_in(
        &self,
        tenant: TenantId,
        window: Window,
    ) -> StorageResult<Vec<Timesheet>>;

    /// The label of the closed period holding `at`, if there is one: a read for a clear
    /// answer (the writes check again inside their transaction).
    async fn closed_period_at(
        &self,
        tenant: TenantId,
        at: DateTime<Utc>,
    ) -> StorageResult<Option<String>>;

    /// The tenant's timesheet clock (see the module docs) and pay period kind.
    async fn timesheet_clock(&self, tenant: TenantId) -> StorageResult<(i64, PayPeriodKind)>;

    /// Inserts `new` (its `version` is ignored and starts at 0). An overlap with the
    /// technician's other timesheets is [`StorageError::TimeOverlap`]; a second timesheet
    /// of one assignment is [`StorageError::Duplicate`].
    async fn create_timesheet(
        &self,
        tenant: TenantId,
        new: &Timesheet,
    ) -> StorageResult<TimesheetWrite>;

    /// Replaces the stored timesheet `next.id` with `next` if its version is still
    /// `next.version`; the row written carries `next.version + 1`.
    async fn update_timesheet(
        &self,
        tenant: TenantId,
        next: &Timesheet,
    ) -> StorageResult<TimesheetWrite>;

    /// Deletes the timesheet if its version is still `version`.
    async fn delete_timesheet(
        &self,
        tenant: TenantId,
        id: TimesheetId,
        version: i64,
    ) -> StorageResult<TimesheetWrite>;

    /// Pay periods with a row (closed at least once) overlapping `window`, by start.
    async fn pay_periods(
        &self,
        tenant: TenantId,
        window: Window,
    ) -> StorageResult<Vec<PayPeriodRecord>>;

    /// Closes the period: its row inserted or turned `closed`, with the audit entry.
    async fn close_period(
        &self,
        tenant: TenantId,
        change: &PeriodChange,
    ) -> StorageResult<PeriodWrite>;

    /// Reopens a closed period, with the audit entry.
    async fn reopen_period(
        &self,
        tenant: TenantId,
        change: &PeriodChange,
    ) -> StorageResult<PeriodWrite>;
}

/// A timesheet row as the database returns it.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TimesheetRow {
    id: TimesheetId,
    technician_id: TechnicianId,
    mission_id: MissionId,
    assignment_id: Option<AssignmentId>,
    start_at: DateTime<Utc>,
    end_at: DateTime<Utc>,
    breaks: String,
    worked_seconds: i64,
    cachets: i64,
    planned_start_at: Option<DateTime<Utc>>,
    planned_end_at: Option<DateTime<Utc>>,
    version: i64,
    state: String,
    note: Option<String>,
    reason: Option<String>,
    submitted_at: Option<DateTime<Utc>>,
    decided_by: Option<UserId>,
    decided_at: Option<DateTime<Utc>>,
    created_by: Option<UserId>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// Columns of [`TimesheetRow`], for a table aliased `t`.
pub(crate) const TIMESHEET_COLUMNS: &str = "t.id, t.technician_id, t.mission_id, t.assignment_id, t.start_at, t.end_at, t.breaks, t.worked_seconds, t.cachets, t.planned_start_at, t.planned_end_at, t.version, t.state, t.note, t.reason, t.submitted_at, t.decided_by, t.decided_at, t.created_by, t.created_at, t.updated_at";

impl TryFrom<TimesheetRow> for Timesheet {
    type Error = StorageError;

    fn try_from(row: TimesheetRow) -> Result<Self, Self::Error> {
        let window = Window::new(row.start_at, row.end_at).map_err(|e| corrupt("end_at", e))?;
        let breaks: Vec<(DateTime<Utc>, DateTime<Utc>)> = from_json("breaks", &row.breaks)?;
        let breaks = breaks
            .into_iter()
            .map(|(s, e)| Window::new(s, e).map_err(|err| corrupt("breaks", err)))
            .collect::<StorageResult<Vec<_>>>()?;
        let planned = match (row.planned_start_at, row.planned_end_at) {
            (Some(s), Some(e)) => {
                Some(Window::new(s, e).map_err(|err| corrupt("planned_end_at", err))?)
            }
            _ => None,
        };
        Ok(Self {
            id: row.id,
            technician_id: row.technician_id,
            mission_id: row.mission_id,
            assignment_id: row.assignment_id,
            window,
            breaks,
            worked_seconds: row.worked_seconds,
            cachets: u32::try_from(row.cachets).map_err(|e| corrupt("cachets", e))?,
            planned,
            version: row.version,
            state: row.state.parse().map_err(|e| corrupt("state", e))?,
            note: row.note,
            reason: row.reason,
            submitted_at: row.submitted_at,
            decided_by: row.decided_by,
            decided_at: row.decided_at,
            created_by: row.created_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

pub(crate) fn timesheets(rows: Vec<TimesheetRow>) -> StorageResult<Vec<Timesheet>> {
    rows.into_iter().map(Timesheet::try_from).collect()
}

/// The breaks as stored: `[[start, end], ...]`.
pub(crate) fn breaks_json(breaks: &[Window]) -> StorageResult<String> {
    to_json(
        &breaks
            .iter()
            .map(|b| (b.start(), b.end()))
            .collect::<Vec<_>>(),
    )
}

/// A pay period row as the database returns it.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct PayPeriodRow {
    id: PayPeriodId,
    label: String,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    state: String,
    closed_by: Option<UserId>,
    closed_at: Option<DateTime<Utc>>,
    reopened_by: Option<UserId>,
    reopened_at: Option<DateTime<Utc>>,
    reopen_reason: Option<String>,
}

pub(crate) const PAY_PERIOD_COLUMNS: &str = "id, label, starts_at, ends_at, state, closed_by, closed_at, reopened_by, reopened_at, reopen_reason";

impl TryFrom<PayPeriodRow> for PayPeriodRecord {
    type Error = StorageError;

    fn try_from(row: PayPeriodRow) -> Result<Self, Self::Error> {
        Ok(Self {
            id: row.id,
            label: row.label,
            window: Window::new(row.starts_at, row.ends_at).map_err(|e| corrupt("ends_at", e))?,
            state: row.state.parse().map_err(|e| corrupt("state", e))?,
            closed_by: row.closed_by,
            closed_at: row.closed_at,
            reopened_by: row.reopened_by,
            reopened_at: row.reopened_at,
            reopen_reason: row.reopen_reason,
        })
    }
}

pub(super) mod sql;

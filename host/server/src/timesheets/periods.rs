//! Pay periods: closing one once every timesheet in it is approved or excluded, reopening
//! it, and where each period of a range stands.
//!
//! A close is prepared from a read of the period's timesheets at the tenant's timesheet
//! clock and commits only if the clock has not moved (no timesheet written since), with
//! its audit entry in the same transaction. The entry records what was closed: counts,
//! totals and a sha256 digest of the approved timesheets, so an auditor can later show
//! that the timesheets paid are the ones that were closed.

use chrono::Duration;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{ATTEMPTS, TimesheetError};
use crate::audit::{self, EntryKind};
use crate::domain::time::{Window, now};
use crate::domain::{PayPeriod, PayPeriodState, TenantId, TimeZone, TimesheetState, UserId};
use crate::storage::{DynStorage, PayPeriodRecord, PeriodChange, PeriodWrite, Timesheet};

/// How many pending timesheets a refused close names.
const PENDING_SHOWN: usize = 20;
/// The most periods one listing covers.
pub const MAX_LISTED: usize = 106;

/// Where a period stands, with what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodStatus {
    pub period: PayPeriod,
    pub window: Window,
    pub state: PayPeriodState,
    /// Its row, once it was closed at least once.
    pub record: Option<PayPeriodRecord>,
    pub counts: Counts,
}

/// Timesheets of a period by state, and what the approved ones add up to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub draft: usize,
    pub submitted: usize,
    pub approved: usize,
    pub excluded: usize,
    /// Seconds worked on approved timesheets.
    pub approved_worked_seconds: i64,
    pub approved_cachets: u64,
}

impl Counts {
    fn of<'a>(sheets: impl IntoIterator<Item = &'a Timesheet>) -> Self {
        let mut c = Counts::default();
        for t in sheets {
            match t.state {
                TimesheetState::Draft => c.draft += 1,
                TimesheetState::Submitted => c.submitted += 1,
                TimesheetState::Approved => {
                    c.approved += 1;
                    c.approved_worked_seconds += t.worked_seconds;
                    c.approved_cachets += u64::from(t.cachets);
                }
                TimesheetState::Excluded => c.excluded += 1,
            }
        }
        c
    }
}

/// The tenant's pay period kind and the period `label` names in it.
pub async fn parse(
    storage: &DynStorage,
    tenant: TenantId,
    label: &str,
) -> Result<PayPeriod, TimesheetError> {
    let (_, kind) = storage.timesheet_clock(tenant).await?;
    PayPeriod::parse(label, kind).map_err(|e| TimesheetError::invalid("period", e.reason))
}

/// Closes `period` (see the module docs).
pub async fn close(
    storage: &DynStorage,
    tenant: TenantId,
    tz: TimeZone,
    by: UserId,
    period: PayPeriod,
) -> Result<PeriodStatus, TimesheetError> {
    let label = period.label();
    let window = period.window(tz);
    for attempt in 1..=ATTEMPTS as u32 * 4 {
        let (version, _) = storage.timesheet_clock(tenant).await?;
        let sheets = storage.timesheets_starting_in(tenant, window).await?;
        let pending: Vec<&Timesheet> = sheets
            .iter()
            .filter(|t| matches!(t.state, TimesheetState::Draft | TimesheetState::Submitted))
            .collect();
        if !pending.is_empty() {
            let drafts = pending
                .iter()
                .filter(|t| t.state == TimesheetState::Draft)
                .count();
            return Err(TimesheetError::PeriodNotReady {
                period: label,
                drafts,
                submitted: pending.len() - drafts,
                pending: pending.iter().take(PENDING_SHOWN).map(|t| t.id).collect(),
            });
        }
        let counts = Counts::of(&sheets);
        let payload = json!({
            "period": label,
            "start": window.start(),
            "end": window.end(),
            "time_zone": tz.name(),
            "counts": counts,
            "approved_digest": digest(&sheets),
        });
        let audit =
            audit::entry(storage, tenant, EntryKind::PeriodClose, Some(by), &payload).await?;
        let change = PeriodChange {
            label: label.clone(),
            window,
            by,
            at: now(),
            expected_version: Some(version),
            reason: None,
            audit,
        };
        match storage.close_period(tenant, &change).await {
            Ok(PeriodWrite::Done(record)) => {
                return Ok(PeriodStatus {
                    period,
                    window,
                    state: record.state,
                    record: Some(record),
                    counts,
                });
            }
            Ok(PeriodWrite::AlreadyThere(_)) => {
                return Err(TimesheetError::PeriodAlreadyClosed { period: label });
            }
            Ok(PeriodWrite::Stale | PeriodWrite::AuditSeqTaken) => {}
            Err(e) if e.is_transient() => {}
            Err(e) => return Err(e.into()),
        }
        audit::contention_pause(attempt).await;
    }
    Err(TimesheetError::Busy)
}

/// Reopens a closed `period`, with `reason`.
pub async fn reopen(
    storage: &DynStorage,
    tenant: TenantId,
    tz: TimeZone,
    by: UserId,
    period: PayPeriod,
    reason: String,
) -> Result<PeriodStatus, TimesheetError> {
    let label = period.label();
    let window = period.window(tz);
    for attempt in 1..=ATTEMPTS as u32 * 4 {
        let payload = json!({"period": label, "start": window.start(), "end": window.end(), "reason": reason});
        let audit =
            audit::entry(storage, tenant, EntryKind::PeriodReopen, Some(by), &payload).await?;
        let change = PeriodChange {
            label: label.clone(),
            window,
            by,
            at: now(),
            expected_version: None,
            reason: Some(reason.clone()),
            audit,
        };
        match storage.reopen_period(tenant, &change).await {
            Ok(PeriodWrite::Done(record)) => {
                let sheets = storage.timesheets_starting_in(tenant, window).await?;
                return Ok(PeriodStatus {
                    period,
                    window,
                    state: record.state,
                    record: Some(record),
                    counts: Counts::of(&sheets),
                });
            }
            Ok(PeriodWrite::AlreadyThere(_)) => {
                return Err(TimesheetError::PeriodNotClosed { period: label });
            }
            Ok(PeriodWrite::Stale | PeriodWrite::AuditSeqTaken) => {}
            Err(e) if e.is_transient() => {}
            Err(e) => return Err(e.into()),
        }
        audit::contention_pause(attempt).await;
    }
    Err(TimesheetError::Busy)
}

/// Every period of the tenant's kind from the one holding `window.start()` to the one
/// holding the instant before `window.end()`, with its state and counts.
pub async fn list(
    storage: &DynStorage,
    tenant: TenantId,
    tz: TimeZone,
    window: Window,
) -> Result<Vec<PeriodStatus>, TimesheetError> {
    let (_, kind) = storage.timesheet_clock(tenant).await?;
    let mut periods = Vec::new();
    let mut period = PayPeriod::at(kind, window.start(), tz);
    let last = PayPeriod::at(kind, window.end() - Duration::seconds(1), tz);
    while period <= last {
        if periods.len() == MAX_LISTED {
            return Err(TimesheetError::invalid(
                "to",
                format!("a listing covers at most {MAX_LISTED} pay periods"),
            ));
        }
        periods.push(period);
        period = PayPeriod::containing(kind, period.end_day());
    }
    let span = periods
        .first()
        .zip(periods.last())
        .map(|(a, b)| a.window(tz).hull(b.window(tz)))
        .unwrap_or(window);
    let records = storage.pay_periods(tenant, span).await?;
    let sheets = storage.timesheets_starting_in(tenant, span).await?;
    Ok(periods
        .into_iter()
        .map(|p| {
            let w = p.window(tz);
            let label = p.label();
            let record = records.iter().find(|r| r.label == label).cloned();
            let counts = Counts::of(
                sheets
                    .iter()
                    .filter(|t| w.start() <= t.window.start() && t.window.start() < w.end()),
            );
            PeriodStatus {
                period: p,
                window: w,
                state: record.as_ref().map_or(PayPeriodState::Open, |r| r.state),
                record,
                counts,
            }
        })
        .collect())
}

/// The approved timesheets as the close records them: a sha256 over one line each, in
/// start then id order: `id|technician|start|end|worked seconds|cachets|breaks`, instants
/// as RFC 3339 UTC and breaks as `start/end` pairs joined by `,`.
pub fn digest(sheets: &[Timesheet]) -> String {
    let mut hasher = Sha256::new();
    for t in sheets
        .iter()
        .filter(|t| t.state == TimesheetState::Approved)
    {
        let breaks: Vec<String> = t
            .breaks
            .iter()
            .map(|b| format!("{}/{}", b.start().to_rfc3339(), b.end().to_rfc3339()))
            .collect();
        hasher.update(format!(
            "{}|{}|{}|{}|{}|{}|{}\n",
            t.id,
            t.technician_id,
            t.window.start().to_rfc3339(),
            t.window.end().to_rfc3339(),
            t.worked_seconds,
            t.cachets,
            breaks.join(",")
        ));
    }
    hex::encode(hasher.finalize())
}

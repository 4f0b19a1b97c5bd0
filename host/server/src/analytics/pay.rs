//! Pay over a range, from its payroll runs: what the crew cost as paid (not as planned),
//! the overtime hours paid, and each paid technician's progress towards the
//! intermittents' 507 hours.
//!
//! A period counts when it lies wholly inside the range; when a period was paid more than
//! once (after a reopen), its latest run counts. Overtime is the pay lines whose code
//! starts with `overtime` in hours (the default payroll plugin's `overtime-25` and
//! `overtime-50`; a tenant's plugin that names its lines so is counted the same).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::time::Window;
use crate::domain::{PayrollRunId, TechnicianId, TenantId};
use crate::payroll::runs::PayrollRecord;
use crate::storage::payroll::PayrollRun;
use crate::storage::{DynStorage, StorageError};

/// The pay of one period, from its latest run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PeriodPay {
    /// `2026-07`, `2026-W28`.
    pub period: String,
    pub run_id: PayrollRunId,
    pub technicians: i64,
    pub gross_cents: i64,
    /// Overtime hours paid, in thousandths.
    pub overtime_milli_hours: i64,
}

/// A paid technician's hours towards the 507, as the range's latest run counted them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Progress {
    pub technician_id: TechnicianId,
    /// The end of the 12 months counted: the end of that run's period.
    pub until: DateTime<Utc>,
    /// Hours counted, in thousandths (approved hourly work as worked, 12 h per cachet).
    pub hours_milli: i64,
    /// 507.
    pub threshold_hours: i64,
    /// `hours_milli` over the threshold, in basis points (10,000 = reached), capped at
    /// 10,000.
    pub progress_bp: i64,
    pub reached: bool,
}

/// Pay figures of a range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Pay {
    /// Periods paid inside the range, in order.
    pub periods: Vec<PeriodPay>,
    pub gross_cents: i64,
    pub overtime_milli_hours: i64,
    /// Every technician paid in the range, by id.
    pub eligibility: Vec<Progress>,
}

/// Why pay figures could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum PayFiguresError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A stored run's record does not read back.
    #[error("payroll run {0} has an unreadable record: {1}")]
    Unreadable(PayrollRunId, String),
}

/// The pay of the periods inside `window`.
pub async fn pay(
    storage: &DynStorage,
    tenant: TenantId,
    window: Window,
) -> Result<Pay, PayFiguresError> {
    // By period, newest first within one: the first run met for a period is its latest.
    let mut latest: BTreeMap<DateTime<Utc>, PayrollRun> = BTreeMap::new();
    for run in storage.payroll_runs_within(tenant, window).await? {
        latest.entry(run.period_start).or_insert(run);
    }
    let mut periods = Vec::with_capacity(latest.len());
    let mut eligibility: BTreeMap<TechnicianId, Progress> = BTreeMap::new();
    for run in latest.values() {
        let record = record(run)?;
        let overtime_milli_hours = record
            .payslips
            .iter()
            .flat_map(|p| &p.lines)
            .filter(|l| l.code.starts_with("overtime") && l.unit == "h")
            .map(|l| l.quantity_milli)
            .sum();
        periods.push(PeriodPay {
            period: run.period.clone(),
            run_id: run.id,
            technicians: run.technicians,
            gross_cents: run.gross_cents,
            overtime_milli_hours,
        });
        // Periods in order: a later period's count replaces an earlier one's.
        for e in record.eligibility {
            let threshold_milli = e.threshold_hours * 1000;
            eligibility.insert(
                e.technician_id,
                Progress {
                    technician_id: e.technician_id,
                    until: e.until,
                    hours_milli: e.hours_milli,
                    threshold_hours: e.threshold_hours,
                    progress_bp: (e.hours_milli * 10_000 / threshold_milli.max(1)).min(10_000),
                    reached: e.reached,
                },
            );
        }
    }
    Ok(Pay {
        gross_cents: periods.iter().map(|p| p.gross_cents).sum(),
        overtime_milli_hours: periods.iter().map(|p| p.overtime_milli_hours).sum(),
        periods,
        eligibility: eligibility.into_values().collect(),
    })
}

fn record(run: &PayrollRun) -> Result<PayrollRecord, PayFiguresError> {
    let text = run
        .record
        .as_deref()
        .ok_or_else(|| PayFiguresError::Unreadable(run.id, "missing".into()))?;
    serde_json::from_str(text).map_err(|e| PayFiguresError::Unreadable(run.id, e.to_string()))
}

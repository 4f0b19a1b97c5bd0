//! A payroll run, its replay, and the hours counted towards the intermittents' 507.

use crate::plugins::PluginCall;
use callsheet_runtime::types::{ContractKind as WitContractKind, PayInput, Payslip};
use callsheet_runtime::{PayrollPlugin, Slot};
use chrono::{DateTime, Months, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tracing::Instrument as _;

use super::{PayrollError, inputs};
use crate::audit::{self, EntryKind, RecordedPlugin};
use crate::domain::time::{Window, now};
use crate::domain::{
    PayPeriod, PayPeriodState, PayrollRunId, TechnicianId, TenantId, TimeZone, TimesheetState,
    UserId,
};
use crate::plugins::{self, TenantPluginError};
use crate::state::AppState;
use crate::storage::payroll::{PayrollInsert, PayrollRun};
use crate::timesheets::periods;

/// Hours over 12 months that open the intermittents' unemployment rights (annexes 8 and
/// 10): 507.
pub const ELIGIBILITY_HOURS: i64 = 507;
/// Hours a cachet counts for.
pub const HOURS_PER_CACHET: i64 = 12;

/// Everything about one run, stored with it: enough to compute it again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PayrollRecord {
    pub period: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub time_zone: String,
    pub plugin: RecordedPlugin,
    /// The digest of the period's approved timesheets, as its close records it.
    pub approved_digest: String,
    pub inputs: Vec<PayInput>,
    pub payslips: Vec<Payslip>,
    pub fuel_used: u64,
    /// Canonical sha256 of `inputs`.
    pub inputs_sha256: String,
    /// Canonical sha256 of `payslips`: the same inputs, plugin and parameters give the
    /// same value.
    pub result_sha256: String,
    /// Per technician paid, the hours of the 12 months up to the period's end.
    pub eligibility: Vec<Eligibility>,
}

/// A technician's hours towards the 507 of the 12 months before `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Eligibility {
    pub technician_id: TechnicianId,
    /// Start of the 12 months (UTC).
    pub since: DateTime<Utc>,
    /// Their end: the period's end (UTC).
    pub until: DateTime<Utc>,
    /// Hours counted, in thousandths: approved hourly work as worked, 12 hours per cachet.
    pub hours_milli: i64,
    /// 507.
    pub threshold_hours: i64,
    pub reached: bool,
}

/// A recorded run and its record.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub run: PayrollRun,
    pub record: PayrollRecord,
}

/// Pays the closed period `label`: one payslip per technician with approved time starting
/// in it, recorded with its audit entry.
pub async fn run(
    state: &AppState,
    tenant: TenantId,
    tz: TimeZone,
    by: UserId,
    label: &str,
) -> Result<Recorded, PayrollError> {
    let storage = &state.storage;
    let period = periods::parse(storage, tenant, label).await?;
    let label = period.label();
    let window = period.window(tz);
    ensure_closed(state, tenant, &label, window).await?;
    let payroll = plugins::payroll(state, tenant).await?;
    let (inputs, in_period) = inputs::build(storage, tenant, tz, period).await?;
    let (payslips, fuel_used) = compute(state, &payroll.plugin, &payroll.params, &inputs).await?;
    let eligibility = eligibility(state, tenant, period, tz, &inputs).await?;
    let record = PayrollRecord {
        period: label.clone(),
        start: window.start(),
        end: window.end(),
        time_zone: tz.name().to_owned(),
        plugin: RecordedPlugin {
            identity: payroll.identity.clone(),
            params: payroll.params.clone(),
            budget: payroll.plugin.budget().into(),
        },
        approved_digest: periods::digest(&in_period),
        inputs_sha256: sha(&inputs)?,
        result_sha256: sha(&payslips)?,
        inputs,
        payslips,
        fuel_used,
        eligibility,
    };
    let text =
        serde_json::to_string(&record).map_err(|e| PayrollError::Unreadable(e.to_string()))?;
    let gross: i64 = record.payslips.iter().map(|p| p.gross).sum();
    let run = PayrollRun {
        id: PayrollRunId::new(),
        period: label.clone(),
        period_start: window.start(),
        period_end: window.end(),
        plugin_sha256: record.plugin.identity.sha256.clone(),
        record: Some(text),
        inputs_sha256: record.inputs_sha256.clone(),
        result_sha256: record.result_sha256.clone(),
        technicians: i64::try_from(record.payslips.len()).unwrap_or(i64::MAX),
        gross_cents: gross,
        created_by: Some(by),
        created_at: now(),
    };
    let payload = json!({
        "payroll_run_id": run.id,
        "period": label,
        "plugin": record.plugin.identity,
        "params": record.plugin.params,
        "budget": record.plugin.budget,
        "approved_digest": record.approved_digest,
        "inputs_sha256": record.inputs_sha256,
        "result_sha256": record.result_sha256,
        "technicians": run.technicians,
        "gross_cents": gross,
        "fuel_used": record.fuel_used,
    });
    for attempt in 1..=audit::MAX_ATTEMPTS {
        let entry =
            audit::entry(storage, tenant, EntryKind::PayrollRun, Some(by), &payload).await?;
        match storage.insert_payroll_run(tenant, &run, &entry).await {
            Ok(PayrollInsert::Inserted) => return Ok(Recorded { run, record }),
            Ok(PayrollInsert::PeriodNotClosed) => {
                return Err(PayrollError::PeriodNotClosed { period: label });
            }
            Ok(PayrollInsert::AuditSeqTaken) => {}
            Err(e) if e.is_transient() => {}
            Err(e) => return Err(e.into()),
        }
        audit::contention_pause(attempt).await;
    }
    Err(PayrollError::Busy)
}

/// One run with its record.
pub async fn get(
    state: &AppState,
    tenant: TenantId,
    id: PayrollRunId,
) -> Result<Recorded, PayrollError> {
    let run = state
        .storage
        .payroll_run(tenant, id)
        .await?
        .ok_or(PayrollError::NotFound)?;
    let record = serde_json::from_str(run.record.as_deref().unwrap_or_default())
        .map_err(|e| PayrollError::Unreadable(e.to_string()))?;
    Ok(Recorded { run, record })
}

/// What a replay found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PayrollReplay {
    /// The recorded plugin, configured as recorded, gave the recorded payslips byte for
    /// byte from the recorded inputs, and the inputs still hash as recorded.
    pub identical: bool,
    pub recorded_result_sha256: String,
    /// `None` when the replay failed.
    pub replayed_result_sha256: Option<String>,
    /// Technicians whose payslip differs.
    pub differing_technicians: Vec<String>,
    /// Why the replay could not complete, when it could not: `{code, detail}`.
    pub error: Option<String>,
}

/// Computes a recorded run again from its record and compares. Writes nothing.
pub async fn replay(
    state: &AppState,
    tenant: TenantId,
    id: PayrollRunId,
) -> Result<PayrollReplay, PayrollError> {
    let Recorded { record, .. } = get(state, tenant, id).await?;
    let failed = |detail: String| PayrollReplay {
        identical: false,
        recorded_result_sha256: record.result_sha256.clone(),
        replayed_result_sha256: None,
        differing_technicians: Vec::new(),
        error: Some(detail),
    };
    let plugin = match configure(state, &record.plugin).await {
        Ok(p) => p,
        Err(TenantPluginError::Storage(e)) => return Err(e.into()),
        Err(e) => return Ok(failed(e.to_string())),
    };
    let (payslips, _) = match compute(state, &plugin, &record.plugin.params, &record.inputs).await {
        Ok(done) => done,
        Err(PayrollError::Plugin(e)) => return Ok(failed(e.to_string())),
        Err(e) => return Err(e),
    };
    let replayed = sha(&payslips)?;
    let differing: Vec<String> = record
        .payslips
        .iter()
        .zip(payslips.iter())
        .filter(|(a, b)| a != b)
        .map(|(a, _)| a.technician_id.clone())
        .collect();
    let inputs_hold = sha(&record.inputs)? == record.inputs_sha256;
    Ok(PayrollReplay {
        identical: inputs_hold
            && replayed == record.result_sha256
            && payslips.len() == record.payslips.len(),
        recorded_result_sha256: record.result_sha256.clone(),
        replayed_result_sha256: Some(replayed),
        differing_technicians: differing,
        error: (!inputs_hold).then(|| "the recorded inputs no longer hash as recorded".to_owned()),
    })
}

async fn ensure_closed(
    state: &AppState,
    tenant: TenantId,
    label: &str,
    window: Window,
) -> Result<(), PayrollError> {
    let closed = state
        .storage
        .pay_periods(tenant, window)
        .await?
        .iter()
        .any(|p| p.label == label && p.state == PayPeriodState::Closed);
    if closed {
        Ok(())
    } else {
        Err(PayrollError::PeriodNotClosed {
            period: label.to_owned(),
        })
    }
}

/// Every payslip, in the inputs' order, and the fuel they took.
async fn compute(
    state: &AppState,
    plugin: &PayrollPlugin,
    params: &callsheet_runtime::types::Params,
    inputs: &[PayInput],
) -> Result<(Vec<Payslip>, u64), PayrollError> {
    let mut payslips = Vec::with_capacity(inputs.len());
    let mut fuel = 0u64;
    for input in inputs {
        let call = PluginCall::start(Slot::Payroll);
        let called = plugin
            .compute_async(input.clone(), params.clone())
            .instrument(call.span())
            .await;
        call.end(
            &state.metrics,
            called
                .as_ref()
                .map(|o| Some(o.fuel_used))
                .map_err(|e| e.code()),
        );
        let outcome = called.map_err(|e| PayrollError::Plugin(TenantPluginError::Plugin(e)))?;
        fuel = fuel.saturating_add(outcome.fuel_used);
        payslips.push(outcome.value);
    }
    Ok((payslips, fuel))
}

async fn configure(
    state: &AppState,
    recorded: &RecordedPlugin,
) -> Result<PayrollPlugin, TenantPluginError> {
    let plugin = plugins::by_sha256(state, Slot::Payroll, &recorded.identity.sha256)
        .await?
        .with_budget(recorded.budget.into());
    PayrollPlugin::try_from(plugin).map_err(|other| {
        TenantPluginError::Corrupt(format!("a {} plugin recorded as payroll", other.slot()))
    })
}

/// The 12 months up to the period's end, for each technician paid.
async fn eligibility(
    state: &AppState,
    tenant: TenantId,
    period: PayPeriod,
    tz: TimeZone,
    inputs: &[PayInput],
) -> Result<Vec<Eligibility>, PayrollError> {
    let until = period.window(tz).end();
    let since = until.checked_sub_months(Months::new(12)).unwrap_or(until);
    let year = Window::new(since, until).expect("twelve months");
    let sheets = state.storage.timesheets_starting_in(tenant, year).await?;
    // The inputs carry each technician's contract: no second read.
    let paid: Vec<(TechnicianId, bool)> = inputs
        .iter()
        .filter_map(|i| {
            let id = i
                .technician
                .id
                .parse::<uuid::Uuid>()
                .ok()
                .map(TechnicianId)?;
            Some((id, i.technician.contract.kind == WitContractKind::Cachet))
        })
        .collect();
    Ok(paid
        .iter()
        .map(|&(id, cachet)| {
            let hours_milli: i64 = sheets
                .iter()
                .filter(|t| t.technician_id == id && t.state == TimesheetState::Approved)
                .map(|t| {
                    if cachet {
                        i64::from(t.cachets) * HOURS_PER_CACHET * 1000
                    } else {
                        t.worked_seconds * 1000 / 3600
                    }
                })
                .sum();
            Eligibility {
                technician_id: id,
                since,
                until,
                hours_milli,
                threshold_hours: ELIGIBILITY_HOURS,
                reached: hours_milli >= ELIGIBILITY_HOURS * 1000,
            }
        })
        .collect())
}

fn sha<T: Serialize>(value: &T) -> Result<String, PayrollError> {
    callsheet_engine::canonical::sha256(value).map_err(|e| PayrollError::Unreadable(e.to_string()))
}

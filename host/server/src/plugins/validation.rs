//! Validation: the load checks and the conformance run on a sample problem.
use std::sync::{Arc, OnceLock};

use callsheet_engine::{BudgetRecord, Configured, PluginIdentity, generator};
use callsheet_runtime::types::{
    ContractKind, Param, ParamError, Params, PayInput, Plan, Problem, Schedule, Shift, WorkedPeriod,
};
use callsheet_runtime::{Budget, Plugin, RulesPlugin, Slot};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::budget::BudgetSetting;
use super::resolve::rules;
use super::{Cause, TenantPluginError};
use crate::domain::TenantId;
use crate::state::AppState;
use crate::storage::DynStorage;

/// Seed of the conformance sample (fixed, so a validation report is reproducible).
const SAMPLE_SEED: u64 = 20_261_124;
/// Size of the conformance sample: places, technicians.
const SAMPLE_SIZE: (u32, u32) = (12, 6);

/// What a validation found: stored on the plugin (the last one) and answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ValidationReport {
    /// Whether every check and the conformance run passed.
    pub ok: bool,
    /// The checks passed, in order.
    pub checks: Vec<String>,
    /// The conformance run, when it was reached.
    pub conformance: Option<Conformance>,
    /// Why it failed, when it did: the runtime's or engine's code and its explanation.
    pub error: Option<ReportError>,
    /// Fuel used by the conformance run, all calls together.
    pub fuel_used: u64,
    /// The budget it ran under.
    #[schema(value_type = Object)]
    pub budget: BudgetRecord,
    /// The parameters it ran with (`[]`: the plugin's defaults).
    #[schema(value_type = Vec<Object>)]
    pub params: Params,
    /// UTC.
    pub validated_at: DateTime<Utc>,
}

/// A failed validation's cause.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReportError {
    pub code: String,
    pub stage: String,
    pub detail: String,
}

/// The conformance run on the sample problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Conformance {
    /// Which sample: "custom-12x6, seed 20261124".
    pub sample: String,
    /// Each call made, with the fuel it used.
    pub calls: Vec<CallFuel>,
    /// What came back, in brief (score and counts; gross pay for payroll).
    #[schema(value_type = Object)]
    pub result: Value,
}

/// One call of a conformance run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CallFuel {
    pub call: String,
    pub fuel_used: u64,
}

pub(super) const LOAD_CHECKS: [&str; 6] = [
    "size",
    "component",
    "compiles",
    "world",
    "imports",
    "describe",
];

/// The conformance sample: a small generated problem, the same for every validation.
fn sample_problem() -> Arc<Problem> {
    static SAMPLE: OnceLock<Arc<Problem>> = OnceLock::new();
    SAMPLE
        .get_or_init(|| Arc::new(generator::custom(SAMPLE_SIZE.0, SAMPLE_SIZE.1, SAMPLE_SEED)))
        .clone()
}

fn sample_name() -> String {
    format!(
        "custom-{}x{}, seed {SAMPLE_SEED}",
        SAMPLE_SIZE.0, SAMPLE_SIZE.1
    )
}

/// A pay input built from the sample: its first technician, paid over the horizon for up
/// to three of the sample's needs that do not overlap.
fn sample_pay_input() -> PayInput {
    let problem = sample_problem();
    let technician = problem
        .technicians
        .iter()
        .find(|t| t.contract.kind == ContractKind::Hourly)
        .or_else(|| problem.technicians.first())
        .cloned()
        .expect("the sample has technicians");
    let cachets = u32::from(technician.contract.kind == ContractKind::Cachet);
    let mut needs: Vec<_> = problem.needs.iter().collect();
    needs.sort_by_key(|n| (n.window.start, n.id.clone()));
    let mut worked: Vec<WorkedPeriod> = Vec::new();
    for need in needs {
        if worked.len() == 3 {
            break;
        }
        if worked
            .last()
            .is_some_and(|w| w.window.end > need.window.start)
        {
            continue;
        }
        worked.push(WorkedPeriod {
            id: format!("sample-w{}", worked.len() + 1),
            assignment_id: None,
            mission_id: need.mission_id.clone(),
            window: need.window,
            breaks: vec![],
            cachets,
            tags: vec![],
            attributes: vec![],
        });
    }
    PayInput {
        technician,
        period: problem.horizon,
        calendar: problem.calendar.clone(),
        worked,
        attributes: vec![],
    }
}

/// The sample's existing assignments as schedules, one per technician of the problem.
fn sample_schedules(problem: &Problem) -> Vec<Schedule> {
    problem
        .technicians
        .iter()
        .map(|t| Schedule {
            technician_id: t.id.clone(),
            shifts: problem
                .assignments
                .iter()
                .filter(|a| a.technician_id == t.id)
                .map(|a| Shift {
                    need_id: a.need_id.clone(),
                    window: a.window,
                })
                .collect(),
        })
        .collect()
}

/// Runs `plugin` (already loaded and described) on the sample with `params` and `budget`;
/// a failure of the run is a refusal at stage `conformance`.
pub(super) async fn conformance(
    state: &AppState,
    tenant: TenantId,
    plugin: Plugin,
    identity: PluginIdentity,
    params: Params,
    budget: Budget,
    on: Option<TenantSample>,
) -> Result<Conformance, TenantPluginError> {
    let slot = plugin.slot();
    let refused = |cause: Cause| TenantPluginError::Refused {
        slot,
        stage: "conformance",
        cause,
    };
    // An assigner is scored on the tenant's active rules, resolved outside the run.
    let tenant_rules = match slot {
        Slot::Assigner => Some(rules(state, tenant).await.map_err(|e| match e {
            TenantPluginError::Plugin(e) => refused(Cause::Runtime(e)),
            other => other,
        })?),
        _ => None,
    };
    run_sample(plugin, identity, params, budget, tenant_rules, on)
        .await
        .map_err(refused)
}

async fn run_sample(
    plugin: Plugin,
    identity: PluginIdentity,
    params: Params,
    budget: Budget,
    tenant_rules: Option<Configured<RulesPlugin>>,
    on: Option<TenantSample>,
) -> Result<Conformance, Cause> {
    let (problem, label) = match on {
        Some(sample) => (sample.problem, Some(sample.label)),
        None => (sample_problem(), None),
    };
    let mut calls = Vec::new();
    let result = match plugin.with_budget(budget) {
        Plugin::Rules(rules) => {
            let session = rules
                .open_async(problem.clone(), params)
                .await
                .map_err(Cause::Runtime)?;
            calls.push(call("open", session.fuel_used));
            let session = session.value;
            let schedules = sample_schedules(&problem);
            let evaluated = session
                .evaluate_schedules_async(schedules)
                .await
                .map_err(Cause::Runtime)?;
            calls.push(call("evaluate-schedules", evaluated.fuel_used));
            let plan = Plan {
                assignments: problem.assignments.clone(),
            };
            let evaluation = session
                .evaluate_plan_async(plan)
                .await
                .map_err(Cause::Runtime)?;
            calls.push(call("evaluate-plan", evaluation.fuel_used));
            let e = evaluation.value;
            json!({
                "score": e.score,
                "schedules": e.schedules.len(),
                "violations": e.schedules.iter().map(|s| s.violations.len()).sum::<usize>()
                    + e.plan_violations.len(),
            })
        }
        Plugin::Assigner(assigner) => {
            let rules = tenant_rules.ok_or_else(|| {
                Cause::Runtime(callsheet_runtime::Error::Runtime(
                    "an assigner's conformance run needs the tenant's rules".into(),
                ))
            })?;
            let assigner = Configured {
                plugin: assigner,
                params,
                identity,
            };
            let outcome = tokio::task::spawn_blocking(move || {
                callsheet_engine::plan(&problem, &assigner, &rules)
            })
            .await
            .map_err(|e| Cause::Runtime(callsheet_runtime::Error::Runtime(e.to_string())))?
            .map_err(Cause::from)?;
            calls.push(call("plan", outcome.fuel.assigner));
            calls.push(call("tenant-rules", outcome.fuel.rules));
            calls.push(call("verification", outcome.fuel.verification));
            json!({
                "score": outcome.score,
                "assignments": outcome.assignments.len(),
                "unfilled": outcome.unfilled.len(),
                "rules_calls": outcome.rules_calls,
            })
        }
        Plugin::Payroll(payroll) => {
            let payslip = payroll
                .compute_async(sample_pay_input(), params)
                .await
                .map_err(Cause::Runtime)?;
            calls.push(call("compute", payslip.fuel_used));
            json!({
                "gross_cents": payslip.value.gross,
                "lines": payslip.value.lines.len(),
            })
        }
    };
    Ok(Conformance {
        sample: label.unwrap_or_else(sample_name),
        calls,
        result,
    })
}

fn call(name: &str, fuel_used: u64) -> CallFuel {
    CallFuel {
        call: name.to_owned(),
        fuel_used,
    }
}

/// Host-side checks of parameters before the plugin sees them: one value per name.
fn check_param_names(params: &Params) -> Result<(), TenantPluginError> {
    let mut errors = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for Param { name, .. } in params {
        if seen.contains(&name.as_str()) {
            errors.push(ParamError {
                name: name.clone(),
                code: "duplicate".into(),
                message: format!("{name} is given more than once"),
            });
        }
        seen.push(name);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(TenantPluginError::ParamsInvalid { errors })
    }
}

/// `validate-params` then the conformance run, with a configuration: what activating a
/// plugin, or changing its parameters or budget, must pass.
pub(super) async fn check_configuration(
    state: &AppState,
    tenant: TenantId,
    plugin: Plugin,
    identity: PluginIdentity,
    params: &Params,
    budget: Budget,
    on: Option<TenantSample>,
) -> Result<Conformance, TenantPluginError> {
    let slot = plugin.slot();
    check_param_names(params)?;
    let checked = plugin
        .clone()
        .with_budget(budget)
        .validate_params_async(params.clone())
        .await;
    match checked {
        Err(e) => {
            return Err(TenantPluginError::Refused {
                slot,
                stage: "validate-params",
                cause: Cause::Runtime(e),
            });
        }
        Ok(outcome) => {
            if let Err(errors) = outcome.value {
                return Err(TenantPluginError::ParamsInvalid { errors });
            }
        }
    }
    conformance(state, tenant, plugin, identity, params.clone(), budget, on).await
}

/// A conformance run on the tenant's own data instead of the generated sample: the
/// problem of a window (see `problem::build`), and how to name it in the report.
#[derive(Debug, Clone)]
pub struct TenantSample {
    pub problem: Arc<Problem>,
    /// "the tenant's missions from 2026-11-23 to 2026-11-29".
    pub label: String,
}

/// The budget setting of a slot now: its active activation's, else the defaults.
pub(super) async fn current_budget(
    storage: &DynStorage,
    tenant: TenantId,
    slot: Slot,
) -> Result<BudgetSetting, TenantPluginError> {
    Ok(storage
        .active_plugin(tenant, slot.as_str())
        .await?
        .map(|a| BudgetSetting::of(&a))
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use callsheet_runtime::types::Param;

    use super::*;

    #[test]
    fn duplicate_parameters_are_refused_before_the_plugin_sees_them() {
        let p = |name: &str| Param {
            name: name.into(),
            value: callsheet_runtime::types::Value::Int(1),
        };
        assert!(check_param_names(&vec![p("a"), p("b")]).is_ok());
        match check_param_names(&vec![p("a"), p("a")]) {
            Err(TenantPluginError::ParamsInvalid { errors }) => {
                assert_eq!(errors.len(), 1);
                assert_eq!(errors[0].code, "duplicate");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_sample_pay_input_pays_non_overlapping_periods() {
        let input = sample_pay_input();
        assert!(!input.worked.is_empty());
        for pair in input.worked.windows(2) {
            assert!(pair[0].window.end <= pair[1].window.start);
        }
    }
}

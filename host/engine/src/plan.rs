//! [`plan`]: one automatic planning run with the tenant's plugins, checked and recorded.
//!
//! The run: the assigner plans the problem, scored on the tenant's rules through the
//! runtime's `tenant-rules` routing; then the host checks what came back before anyone
//! relies on it:
//! - the planner contract ([`crate::contract`]), before anything is scored or returned:
//!   known needs and technicians, qualified technicians, no more people than `max-crew`,
//!   new assignments proposed over their need's window, kept and pinned assignments
//!   unchanged, no declined pair proposed again, no duplicate; the first breach refuses
//!   the whole run with `ENGINE_CONTRACT_BROKEN`;
//! - the score the assigner claims is the one the rules plugin gives its plan, by a fresh
//!   `evaluate-plan` on a separate session (the contract says the score *is* that
//!   evaluation; a buggy or hostile assigner must not be able to report a better one).
//!
//! The outcome is deterministic (plugins have no clock or randomness, fuel is counted by
//! instruction) and canonical (sorted lists, fixed field order), so the same inputs give the
//! same bytes; `inputs_sha256` and [`PlanOutcome::sha256`] go to the audit log.

use callsheet_runtime::types::{
    Param, Params, Plan, PlanStats, PlannedAssignment, Problem, Score, Unfilled, Value, Violation,
};
use callsheet_runtime::{AssignerPlugin, RulesPlugin};
use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};
use crate::plugins::{BudgetRecord, Configured, PluginIdentity};
use crate::{canonical, contract};

/// The identities of the plugins of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunPlugins {
    /// The assigner that built the plan.
    pub assigner: PluginIdentity,
    /// The rules plugin that scored it.
    pub rules: PluginIdentity,
}

/// Fuel a run used, per plugin: deterministic, so a replay must use exactly as much.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FuelUsed {
    /// The assigner's own instructions.
    pub assigner: u64,
    /// The rules plugin under the assigner (open and every `tenant-rules` call).
    pub rules: u64,
    /// The host's verification `evaluate-plan` of the result.
    pub verification: u64,
}

/// What a run is a function of: hashed into `inputs_sha256`.
#[derive(Debug, Serialize)]
struct PlanInputs<'a> {
    problem: &'a Problem,
    assigner: PluginInputs<'a>,
    rules: PluginInputs<'a>,
}

#[derive(Debug, Serialize)]
struct PluginInputs<'a> {
    identity: &'a PluginIdentity,
    params: &'a Params,
    budget: BudgetRecord,
}

/// The result of [`plan`]: the plan, why each decision was taken, the score, and what the
/// audit log records. Explanations live with what they explain: each assignment's score
/// terms in `assignments[].terms`, each unfilled need's rejected candidates (rule and
/// figures) and scarcity group in `unfilled[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanOutcome {
    /// sha256 of the canonical inputs: problem, plugin identities, parameters, budgets.
    pub inputs_sha256: String,
    /// The plugins that ran.
    pub plugins: RunPlugins,
    /// The seed used (the problem's).
    pub seed: u64,
    /// The plan's score on the tenant's rules, verified by the host.
    pub score: Score,
    /// The plan with each assignment's score terms, sorted by need then technician:
    /// pinned and kept assignments, then new ones (id none, status proposed).
    pub assignments: Vec<PlannedAssignment>,
    /// Needs left short, with every rejected candidate and any scarcity, sorted by need.
    pub unfilled: Vec<Unfilled>,
    /// Violations remaining in the plan, as the rules plugin reported them.
    pub violations: Vec<Violation>,
    /// The assigner's deterministic counters.
    pub stats: PlanStats,
    /// Fuel used.
    pub fuel: FuelUsed,
    /// `tenant-rules` evaluation calls the assigner made.
    pub rules_calls: u64,
}

impl PlanOutcome {
    /// The canonical bytes (compact JSON, fixed field order, sorted lists).
    pub fn canonical_json(&self) -> Result<Vec<u8>> {
        canonical::to_bytes(self)
    }

    /// sha256 of [`PlanOutcome::canonical_json`], for the audit log.
    pub fn sha256(&self) -> Result<String> {
        canonical::sha256(self)
    }

    /// The plan alone (what the server stores and `find_conflicts` takes).
    pub fn plan(&self) -> Plan {
        Plan {
            assignments: self
                .assignments
                .iter()
                .map(|p| p.assignment.clone())
                .collect(),
        }
    }
}

/// The sha256 of a run's inputs, without running it (to find a previous identical run).
pub fn inputs_sha256(
    problem: &Problem,
    assigner: &Configured<AssignerPlugin>,
    rules: &Configured<RulesPlugin>,
) -> Result<String> {
    canonical::sha256(&PlanInputs {
        problem,
        assigner: PluginInputs {
            identity: &assigner.identity,
            params: &assigner.params,
            budget: assigner.budget().into(),
        },
        rules: PluginInputs {
            identity: &rules.identity,
            params: &rules.params,
            budget: rules.budget().into(),
        },
    })
}

/// The parameter by which a budget-aware assigner learns the fuel the host gives each
/// plugin of its run, in millions (the default assigner's; see `plugins/assigner/src/fuel.rs`).
pub const FUEL_BUDGET_PARAM: &str = "assigner.fuel-budget";

/// The parameters `assigner` runs with: the tenant's `params`, plus [`FUEL_BUDGET_PARAM`]
/// set to `fuel` (the run's real budget per plugin) when the assigner declares that
/// integer parameter and the tenant left it out.
///
/// The assigner cannot read its fuel, so it stops its search at a share of the budget it
/// is told. Told nothing, the default assigner assumed the runtime's default (20 G): a
/// tenant who raised its budget got no longer a search, and one who lowered it ran out of
/// fuel with no plan. The value is a function of the recorded parameters and budgets, so a
/// replay gives it again.
pub fn assigner_params(
    assigner: &AssignerPlugin,
    params: &Params,
    fuel: u64,
) -> callsheet_runtime::Result<Params> {
    if params.iter().any(|p| p.name == FUEL_BUDGET_PARAM) {
        return Ok(params.clone());
    }
    let declared = assigner
        .describe()?
        .params
        .iter()
        .any(|spec| spec.name == FUEL_BUDGET_PARAM && matches!(spec.default, Value::Int(_)));
    let mut params = params.clone();
    if declared {
        // At least one million: 0 means "no limit" to the default assigner.
        let millions = i64::try_from(fuel / 1_000_000).unwrap_or(i64::MAX).max(1);
        params.push(Param {
            name: FUEL_BUDGET_PARAM.to_owned(),
            value: Value::Int(millions),
        });
    }
    Ok(params)
}

/// Plans `problem` with the tenant's assigner, scored on the tenant's rules, and checks the
/// result (see the module docs). Blocking: from async code, run it on a blocking thread.
pub fn plan(
    problem: &Problem,
    assigner: &Configured<AssignerPlugin>,
    rules: &Configured<RulesPlugin>,
) -> Result<PlanOutcome> {
    let inputs_sha256 = inputs_sha256(problem, assigner, rules)?;
    let fuel = assigner.budget().fuel.min(rules.budget().fuel);
    let params = assigner_params(&assigner.plugin, &assigner.params, fuel)?;
    let run = assigner
        .plugin
        .plan(problem, &params, &rules.plugin, &rules.params)?;
    let assigner_fuel = run.fuel_used;
    let run = run.value;
    let mut result = run.result;

    contract::check(problem, &result.assignments)?;
    result.assignments.sort_by(|a, b| {
        (&a.assignment.need_id, &a.assignment.technician_id)
            .cmp(&(&b.assignment.need_id, &b.assignment.technician_id))
    });
    result.unfilled.sort_by(|a, b| a.need_id.cmp(&b.need_id));

    let session = rules.plugin.open(problem, &rules.params)?;
    let plan = Plan {
        assignments: result
            .assignments
            .iter()
            .map(|p| p.assignment.clone())
            .collect(),
    };
    let evaluated = session.value.evaluate_plan(&plan)?;
    let verification = session.fuel_used + evaluated.fuel_used;
    if evaluated.value.score != result.score {
        return Err(EngineError::ScoreMismatch {
            claimed: result.score,
            evaluated: evaluated.value.score,
        });
    }

    Ok(PlanOutcome {
        inputs_sha256,
        plugins: RunPlugins {
            assigner: assigner.identity.clone(),
            rules: rules.identity.clone(),
        },
        seed: problem.seed,
        score: result.score,
        assignments: result.assignments,
        unfilled: result.unfilled,
        violations: result.violations,
        stats: result.stats,
        fuel: FuelUsed {
            assigner: assigner_fuel,
            rules: run.rules_fuel_used,
            verification,
        },
        rules_calls: run.rules_calls,
    })
}

//! Automatic runs: the tenant's assigner plans a window, scored on the tenant's rules,
//! recorded in the audit chain, committed unless it is a dry run.
//!
//! 1. [`prepare`]: the tenant's active plugins and the problem of the window (see
//!    `problem`; confirmed assignments go in pinned, so they stay);
//! 2. [`execute`]: `callsheet_engine::plan` on a blocking thread (guest code never runs on
//!    the async workers), then, unless dry run, one transaction that deletes the proposed,
//!    unpinned assignments the run dropped and inserts the new ones, each carrying the
//!    run's id; then the run's record (problem, plugins with sha256, parameters, budgets,
//!    fuel, explanations, result) is appended to the audit chain under that same id.
//!
//! A run whose commit meets a double booking made meanwhile by someone else commits
//! nothing ([`PlanningError::BookedMeanwhile`]: run it again on the new state) and is not recorded,
//! since it changed nothing; dry runs are recorded (an auditor may want to know what was
//! proposed and not applied).

use crate::plugins::PluginCall;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use tracing::Instrument as _;

use callsheet_engine::{Configured, PlanOutcome};
use callsheet_runtime::types::{PlannedAssignment, Problem, Score, Unfilled, Violation};
use callsheet_runtime::{AssignerPlugin, RulesPlugin, Slot};
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use crate::audit::{self, RecordedPlugin, RunRecord, RunRequest};
use crate::domain::time::{Window, local};
use crate::domain::{
    AssignmentId, AssignmentSource, AssignmentStatus, AuditEntryId, MissionId, NeedId,
    TechnicianId, TenantId, TimeZone, UserId,
};
use crate::jobs::JobHandle;
use crate::planning::problem::{self, Scope};
use crate::state::AppState;
use crate::storage::StorageError;
use crate::storage::planning::{Assignment, RunCommit, RunCommitted, ScheduleSnapshot};

use super::PlanningError;
use crate::plugins;

/// What a run needs: the problem and the plugins that will see it.
#[allow(missing_debug_implementations)] // a problem is large and plugins print nothing useful
pub struct Prepared {
    pub problem: Problem,
    pub assigner: Configured<AssignerPlugin>,
    pub rules: Configured<RulesPlugin>,
    /// The counters read before the problem: the commit holds only while they do.
    pub snapshot: ScheduleSnapshot,
}

impl Prepared {
    /// Places to staff: the sum of the needs' minimum crews.
    pub fn places(&self) -> u32 {
        self.problem.needs.iter().map(|n| n.min_crew).sum()
    }
}

/// A run as the API answers it (the synchronous route, or a job's result).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RunView {
    /// The run's audit entry (`GET /audit/runs/{run_id}`), also the `run_id` of the
    /// assignments it created.
    pub run_id: AuditEntryId,
    pub dry_run: bool,
    /// Whether the plan was written.
    pub committed: bool,
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    /// The plan's score on the tenant's rules: hard points first, then soft; lower is better.
    #[schema(value_type = Object)]
    pub score: Score,
    /// Every assignment of the plan (kept and new) with its score terms: why it was chosen.
    #[schema(value_type = Vec<Object>)]
    pub assignments: Vec<PlannedAssignment>,
    /// Places left open, each with every rejected candidate (rule and figures) and, when the
    /// cause is scarcity, which needs compete for which qualified technicians.
    #[schema(value_type = Vec<Object>)]
    pub unfilled: Vec<Unfilled>,
    /// Violations left in the plan.
    #[schema(value_type = Vec<Object>)]
    pub violations: Vec<Violation>,
    /// Assignments created and removed by the commit (0 for a dry run).
    pub created: usize,
    pub removed: usize,
    /// Plugins with sha256, fuel, seed, digests.
    #[schema(value_type = Object)]
    pub plugins: callsheet_engine::RunPlugins,
    #[schema(value_type = Object)]
    pub fuel: callsheet_engine::FuelUsed,
    pub seed: u64,
    pub inputs_sha256: String,
    pub outcome_sha256: String,
}

/// Resolves the tenant's plugins and builds the problem of `window` (and `missions`).
pub async fn prepare(
    state: &AppState,
    tenant: TenantId,
    tz: TimeZone,
    window: Window,
    missions: Option<&[MissionId]>,
) -> Result<Prepared, PlanningError> {
    let scope = Scope {
        horizon: window,
        missions: missions.map(|m| m.iter().copied().collect()),
        technicians: None,
    };
    // Before the problem: a write committed after this point fails the commit.
    let snapshot = state.storage.schedule_snapshot(tenant, window).await?;
    let (rules, problem) = rules_and_problem(state, tenant, tz, &scope).await?;
    // Not the assigner's failure to report: there is nothing to ask it.
    if problem.needs.is_empty() {
        return Err(PlanningError::NothingToPlan {
            missions: missions.is_some(),
        });
    }
    let assigner = plugins::assigner(state, tenant).await?;
    Ok(Prepared {
        problem,
        assigner,
        rules,
        snapshot,
    })
}

/// The tenant's rules plugin and the problem of `scope`, read with as much history as
/// those rules look back on: what a rule check, a conflicts report and a validation on
/// the tenant's data need (a run needs the assigner besides: [`prepare`]).
pub async fn rules_and_problem(
    state: &AppState,
    tenant: TenantId,
    tz: TimeZone,
    scope: &Scope,
) -> Result<(Configured<RulesPlugin>, Problem), PlanningError> {
    let rules = plugins::rules(state, tenant).await?;
    // Cached by the runtime with the loaded plugin: no guest call after the first.
    let info = rules.plugin.describe_async().await?;
    let problem = problem::build(&state.storage, tenant, tz, scope, info.lookback_days).await?;
    Ok((rules, problem))
}

/// Counts a planning run in the metrics as one assigner call, with the fuel of the whole
/// run (the assigner, the rules plugin under it, the host's verification).
pub(super) fn observe_run(
    state: &AppState,
    call: PluginCall,
    planned: &Result<PlanOutcome, callsheet_engine::EngineError>,
) {
    call.end(
        &state.metrics,
        planned
            .as_ref()
            .map(|o| Some(o.fuel.assigner + o.fuel.rules + o.fuel.verification))
            .map_err(callsheet_engine::EngineError::code),
    );
}

/// Runs, records and (unless `request.dry_run`) commits. `job` is set for background runs,
/// whose cancellation is checked before anything is written.
pub async fn execute(
    state: &AppState,
    tenant: TenantId,
    actor: UserId,
    tz: TimeZone,
    request: RunRequest,
    prepared: Prepared,
    job: Option<&JobHandle>,
) -> Result<RunView, PlanningError> {
    let Prepared {
        problem,
        assigner,
        rules,
        snapshot,
    } = prepared;
    let problem = Arc::new(problem);
    let outcome = {
        let (problem, assigner, rules) = (problem.clone(), assigner.clone(), rules.clone());
        let call = PluginCall::start(Slot::Assigner);
        let planned = tokio::task::spawn_blocking(move || {
            callsheet_engine::plan(&problem, &assigner, &rules)
        })
        .instrument(call.span())
        .await
        .map_err(PlanningError::internal)?;
        observe_run(state, call, &planned);
        planned?
    };
    if let Some(job) = job
        && !job.progress(80).await?
    {
        return Err(PlanningError::Cancelled);
    }
    let outcome_sha256 = outcome.sha256().map_err(PlanningError::internal)?;
    let run_id = AuditEntryId::new();
    let record = RunRecord {
        request: request.clone(),
        problem: (*problem).clone(),
        assigner: RecordedPlugin {
            identity: assigner.identity.clone(),
            params: assigner.params.clone(),
            budget: assigner.budget().into(),
        },
        rules: RecordedPlugin {
            identity: rules.identity.clone(),
            params: rules.params.clone(),
            budget: rules.budget().into(),
        },
        outcome: outcome.clone(),
        outcome_sha256: outcome_sha256.clone(),
        committed: !request.dry_run,
    };
    let (created, removed) = if request.dry_run {
        audit::append_run(&state.storage, tenant, run_id, Some(actor), &record).await?;
        (0, 0)
    } else {
        if let Some(job) = job
            && job.cancelled().await?
        {
            return Err(PlanningError::Cancelled);
        }
        let writes = writes(tenant, actor, run_id, &problem, &outcome)?;
        commit(state, tenant, actor, run_id, &record, writes, snapshot).await?
    };
    if !request.dry_run {
        state.plan_cache.invalidate(tenant).await;
    }
    tracing::info!(run = %run_id, dry_run = request.dry_run, created, removed, hard = outcome.score.hard, soft = outcome.score.soft, "automatic run");
    Ok(RunView {
        run_id,
        dry_run: request.dry_run,
        committed: !request.dry_run,
        start: local(request.window.start, tz),
        end: local(request.window.end, tz),
        score: outcome.score,
        assignments: outcome.assignments,
        unfilled: outcome.unfilled,
        violations: outcome.violations,
        created,
        removed,
        plugins: outcome.plugins,
        fuel: outcome.fuel,
        seed: outcome.seed,
        inputs_sha256: outcome.inputs_sha256,
        outcome_sha256,
    })
}

/// What a committed plan writes: the proposals it dropped, the assignments it makes.
struct Writes {
    delete: Vec<AssignmentId>,
    create: Vec<Assignment>,
}

fn writes(
    tenant: TenantId,
    actor: UserId,
    run_id: AuditEntryId,
    problem: &Problem,
    outcome: &PlanOutcome,
) -> Result<Writes, PlanningError> {
    let kept: BTreeSet<&str> = outcome
        .assignments
        .iter()
        .filter_map(|p| p.assignment.id.as_deref())
        .collect();
    let delete: Vec<AssignmentId> = problem
        .assignments
        .iter()
        .filter(|a| !a.pinned && a.status == callsheet_runtime::types::AssignmentStatus::Proposed)
        .filter_map(|a| a.id.as_deref())
        .filter(|id| !kept.contains(id))
        .filter_map(|id| id.parse().ok().map(AssignmentId))
        .collect();
    let mission_of: BTreeMap<&str, &str> = problem
        .needs
        .iter()
        .map(|n| (n.id.as_str(), n.mission_id.as_str()))
        .collect();
    let now = crate::domain::time::now();
    let mut create = Vec::new();
    for planned in outcome
        .assignments
        .iter()
        .filter(|p| p.assignment.id.is_none())
    {
        let a = &planned.assignment;
        let parse = |s: &str| s.parse::<uuid::Uuid>().map_err(PlanningError::internal);
        let mission = mission_of
            .get(a.need_id.as_str())
            .ok_or_else(|| PlanningError::internal(format!("need {} has no mission", a.need_id)))?;
        create.push(Assignment {
            id: AssignmentId::new(),
            tenant_id: tenant,
            need_id: NeedId(parse(&a.need_id)?),
            mission_id: MissionId(parse(mission)?),
            technician_id: TechnicianId(parse(&a.technician_id)?),
            window: window(&a.window)?,
            status: AssignmentStatus::Proposed,
            pinned: false,
            source: AssignmentSource::Auto,
            run_id: Some(run_id),
            override_reason: None,
            created_by: Some(actor),
            created_at: now,
            updated_at: now,
        });
    }
    Ok(Writes { delete, create })
}

/// Writes the plan and its audit entry in one transaction, while the counters it was
/// computed against hold: the dropped proposals go, the new assignments come. Returns
/// (created, removed).
async fn commit(
    state: &AppState,
    tenant: TenantId,
    actor: UserId,
    run_id: AuditEntryId,
    record: &RunRecord,
    writes: Writes,
    snapshot: ScheduleSnapshot,
) -> Result<(usize, usize), PlanningError> {
    let removed = writes.delete.len();
    for attempt in 1..=audit::MAX_ATTEMPTS {
        let entry = audit::run_entry(&state.storage, tenant, run_id, Some(actor), record).await?;
        let committed = state
            .storage
            .commit_run(
                tenant,
                RunCommit {
                    delete: writes.delete.clone(),
                    create: writes.create.clone(),
                    expected: snapshot.clone(),
                    audit: entry,
                },
            )
            .await;
        match committed {
            Ok(RunCommitted::Committed(created)) => return Ok((created.len(), removed)),
            Ok(RunCommitted::ScheduleChanged) => return Err(PlanningError::ChangedMeanwhile),
            Ok(RunCommitted::AuditSeqTaken) => {}
            Err(StorageError::TimeOverlap) => return Err(PlanningError::BookedMeanwhile),
            Err(e) if e.is_transient() => {}
            Err(e) => return Err(e.into()),
        }
        audit::contention_pause(attempt).await;
    }
    Err(PlanningError::Audit(crate::audit::AuditError::Contention(
        audit::MAX_ATTEMPTS,
    )))
}

fn instant(seconds: i64) -> Result<DateTime<Utc>, PlanningError> {
    DateTime::from_timestamp(seconds, 0)
        .ok_or_else(|| PlanningError::internal("instant out of range"))
}

/// A planned assignment's window; the engine's contract check already refused empty ones.
fn window(w: &callsheet_runtime::types::Window) -> Result<Window, PlanningError> {
    Window::new(instant(w.start)?, instant(w.end)?).map_err(PlanningError::internal)
}

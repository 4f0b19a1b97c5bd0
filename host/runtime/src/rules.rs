//! The `rules` slot: [`RulesPlugin`] and its evaluation sessions ([`RulesSession`]).
//!
//! A session is one instance of the plugin holding one `evaluator` resource, opened on a
//! problem with the tenant's rules parameters: the problem crosses the boundary once, then
//! each evaluation sends only schedules. It keeps its instance (and its memory) between
//! calls, which is the point; the contract requires each answer to be a pure function of
//! (problem, parameters, arguments), so keeping it does not break replay.
//!
//! Each call of a public session gets a fresh fuel budget and deadline, and reports its own
//! fuel. The same session type serves the host's `tenant-rules` routing during an
//! assigner's run (see `assigner.rs`), where the budget instead covers the whole run.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wasmtime::Store;
use wasmtime::component::ResourceAny;

use crate::bindings::rules::{Rules, RulesPre};
use crate::call::{self, CallOutcome, Core, EngineHandle, GuestState};
use crate::error::{Error, Result};
use crate::sandbox::{self, Budget, Limiter, Permit};
use crate::size;
use crate::types::{Params, Plan, PlanEvaluation, Problem, Schedule, ScheduleEvaluation};

pub(crate) type Pre = RulesPre<GuestState>;

/// A loaded rules plugin: cheap to clone, safe to share between threads.
///
/// Calls run on the calling thread (sync API) or on a blocking thread (`*_async`); either
/// way they wait for a free instance slot first. Its budget bounds each call, and, under an
/// assigner, the whole run's rules side.
#[derive(Clone)]
pub struct RulesPlugin {
    pub(crate) rt: Arc<EngineHandle>,
    pub(crate) core: Arc<Core<Pre>>,
    budget: Budget,
}

call::common_calls!(RulesPlugin);

impl RulesPlugin {
    fn fresh_state(&self) -> GuestState {
        GuestState {
            limiter: Limiter::new(&self.rt.config),
        }
    }

    /// Opens an evaluation session on `problem` with the tenant's rules `params`. The
    /// session holds an instance slot until it is dropped.
    pub fn open(&self, problem: &Problem, params: &Params) -> Result<CallOutcome<RulesSession>> {
        let permit = self.rt.gate.acquire_blocking(1)?;
        self.open_with(permit, problem, params)
    }

    fn open_with(
        &self,
        permit: Permit,
        problem: &Problem,
        params: &Params,
    ) -> Result<CallOutcome<RulesSession>> {
        let outcome = Session::open(&self.rt, &self.core, self.budget, problem, params)?;
        Ok(outcome.map(|mut session| {
            session.permit = Some(permit);
            RulesSession {
                inner: Arc::new(Mutex::new(session)),
            }
        }))
    }

    /// [`RulesPlugin::open`] off the async executor.
    pub async fn open_async(
        &self,
        problem: Arc<Problem>,
        params: Params,
    ) -> Result<CallOutcome<RulesSession>> {
        let this = self.clone();
        self.rt
            .gate
            .run(1, move |permit| this.open_with(permit, &problem, &params))
            .await
    }
}

/// An open evaluation session (one `evaluator` in its own instance). Cheap to clone; calls
/// on one session are serialized. Drop it to free its instance slot.
#[derive(Clone)]
pub struct RulesSession {
    inner: Arc<Mutex<Session>>,
}

impl fmt::Debug for RulesSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RulesSession").finish_non_exhaustive()
    }
}

impl RulesSession {
    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Session>> {
        self.inner
            .lock()
            .map_err(|_| Error::runtime("rules session poisoned by a panic"))
    }

    /// `evaluator.evaluate-schedules`: one evaluation per schedule, in order.
    pub fn evaluate_schedules(
        &self,
        schedules: &[Schedule],
    ) -> Result<CallOutcome<Vec<ScheduleEvaluation>>> {
        self.lock()?.evaluate_schedules(schedules, Refuel::Yes)
    }

    /// `evaluator.evaluate-plan`.
    pub fn evaluate_plan(&self, plan: &Plan) -> Result<CallOutcome<PlanEvaluation>> {
        self.lock()?.evaluate_plan(plan, Refuel::Yes)
    }

    /// [`RulesSession::evaluate_schedules`] off the async executor.
    pub async fn evaluate_schedules_async(
        &self,
        schedules: Vec<Schedule>,
    ) -> Result<CallOutcome<Vec<ScheduleEvaluation>>> {
        let this = self.clone();
        sandbox::offload(move || this.evaluate_schedules(&schedules)).await
    }

    /// [`RulesSession::evaluate_plan`] off the async executor.
    pub async fn evaluate_plan_async(&self, plan: Plan) -> Result<CallOutcome<PlanEvaluation>> {
        let this = self.clone();
        sandbox::offload(move || this.evaluate_plan(&plan)).await
    }
}

/// Whether a session call gets a fresh budget (public sessions) or draws on what is left
/// of the one armed at open (the rules side of an assigner's run).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refuel {
    Yes,
    No,
}

/// The session proper: a store, the instance's bindings and the evaluator handle.
pub(crate) struct Session {
    store: Store<GuestState>,
    bindings: Rules,
    evaluator: ResourceAny,
    budget: Budget,
    epoch_tick: Duration,
    max_input: usize,
    max_output: usize,
    /// Set after a trap or a limit: wasmtime will not re-enter a trapped instance, and
    /// the error is more useful than the re-entry trap.
    failed: Option<Error>,
    /// The instance slot, for public sessions; `None` under an assigner, whose run holds
    /// the slots of both instances.
    permit: Option<Permit>,
    /// The problem's technician ids, sorted: `evaluate-plan` answers for each.
    technicians: Vec<String>,
}

impl Session {
    /// Instantiates the plugin and calls `evaluator.open`. The store stays armed with
    /// `budget` (fuel left, deadline) for the calls that follow without refuel.
    pub(crate) fn open(
        rt: &EngineHandle,
        core: &Core<Pre>,
        budget: Budget,
        problem: &Problem,
        params: &Params,
    ) -> Result<CallOutcome<Session>> {
        size::check_input("problem", problem, rt.config.max_input_bytes)?;
        size::check_input("params", params, rt.config.max_input_bytes)?;
        let data = GuestState {
            limiter: Limiter::new(&rt.config),
        };
        let mut store = sandbox::store(&rt.engine, &rt.config, data, &budget)?;
        rt.stats.bump(|s| s.instantiations += 1);
        let bindings = sandbox::guarded(&mut store, &budget, |store| core.pre.instantiate(store))?;
        let opened = sandbox::guarded(&mut store, &budget, |store| {
            bindings
                .callsheet_plugins_rule_engine()
                .evaluator()
                .call_open(store, problem, params)
        })?;
        let fuel_used = sandbox::fuel_used(&store, &budget);
        match opened {
            Ok(evaluator) => Ok(CallOutcome {
                value: Session {
                    store,
                    bindings,
                    evaluator,
                    budget,
                    epoch_tick: rt.config.epoch_tick,
                    max_input: rt.config.max_input_bytes,
                    max_output: rt.config.max_output_bytes,
                    failed: None,
                    permit: None,
                    technicians: {
                        let mut ids: Vec<String> =
                            problem.technicians.iter().map(|t| t.id.clone()).collect();
                        ids.sort_unstable();
                        ids
                    },
                },
                fuel_used,
            }),
            Err(error) => Err(call::plugin_error(error, fuel_used)),
        }
    }

    /// Runs one call on the session's instance, accounting fuel as `refuel` says, and
    /// remembering a fatal failure.
    fn call<R>(
        &mut self,
        refuel: Refuel,
        call: impl FnOnce(&Rules, &mut Store<GuestState>, ResourceAny) -> wasmtime::Result<R>,
    ) -> Result<(R, u64)> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        if refuel == Refuel::Yes {
            sandbox::arm(&mut self.store, self.epoch_tick, &self.budget)?;
        }
        let before = self.store.get_fuel().unwrap_or(0);
        let (bindings, evaluator) = (&self.bindings, self.evaluator);
        let result = sandbox::guarded(&mut self.store, &self.budget, |store| {
            call(bindings, store, evaluator)
        });
        let fuel = before - self.store.get_fuel().unwrap_or(0).min(before);
        match result {
            Ok(value) => Ok((value, fuel)),
            Err(error) => {
                self.failed = Some(error.clone());
                Err(error)
            }
        }
    }

    pub(crate) fn evaluate_schedules(
        &mut self,
        schedules: &[Schedule],
        refuel: Refuel,
    ) -> Result<CallOutcome<Vec<ScheduleEvaluation>>> {
        size::check_input("schedules", schedules, self.max_input)?;
        let (result, fuel_used) = self.call(refuel, |rules, store, evaluator| {
            rules
                .callsheet_plugins_rule_engine()
                .evaluator()
                .call_evaluate_schedules(store, evaluator, schedules)
        })?;
        let evaluations = result.map_err(|e| call::plugin_error(e, fuel_used))?;
        size::check_output("schedule evaluations", &evaluations, self.max_output)?;
        check_one_per_schedule(schedules, &evaluations)?;
        for e in &evaluations {
            check_points(&e.technician_id, e.score, &e.violations)?;
        }
        Ok(CallOutcome {
            value: evaluations,
            fuel_used,
        })
    }

    pub(crate) fn evaluate_plan(
        &mut self,
        plan: &Plan,
        refuel: Refuel,
    ) -> Result<CallOutcome<PlanEvaluation>> {
        size::check_input("plan", plan, self.max_input)?;
        let (result, fuel_used) = self.call(refuel, |rules, store, evaluator| {
            rules
                .callsheet_plugins_rule_engine()
                .evaluator()
                .call_evaluate_plan(store, evaluator, plan)
        })?;
        let evaluation = result.map_err(|e| call::plugin_error(e, fuel_used))?;
        size::check_output("plan evaluation", &evaluation, self.max_output)?;
        check_every_technician(&self.technicians, &evaluation.schedules)?;
        for e in &evaluation.schedules {
            check_points(&e.technician_id, e.score, &e.violations)?;
        }
        check_points("the plan", evaluation.score, &evaluation.plan_violations)?;
        Ok(CallOutcome {
            value: evaluation,
            fuel_used,
        })
    }
}

/// Penalties are costs (the contract: > 0) and scores their sums: a negative one would be a
/// reward the search chases, or a hard score below zero that hides broken rules. Refused
/// as a bad output rather than believed.
fn check_points(
    whose: &str,
    score: crate::types::Score,
    violations: &[crate::types::Violation],
) -> Result<()> {
    if let Some(v) = violations.iter().find(|v| v.penalty < 0) {
        return Err(Error::output(format!(
            "violation {:?} of {whose} has a negative penalty ({}); penalties are costs",
            v.rule_id, v.penalty
        )));
    }
    if score.hard < 0 || score.soft < 0 {
        return Err(Error::output(format!(
            "the score of {whose} is negative (hard {}, soft {}); scores sum penalties",
            score.hard, score.soft
        )));
    }
    Ok(())
}

/// The contract of `evaluate-plan`: one evaluation per technician of the problem, those
/// without a shift included (a minimum total time or a minimum run is broken by not
/// working: a plugin that skips them hides those violations from every plan). `sorted`
/// holds the problem's technician ids in order; the answer may come in any order.
fn check_every_technician(sorted: &[String], schedules: &[ScheduleEvaluation]) -> Result<()> {
    let mut answered: Vec<&str> = schedules.iter().map(|s| s.technician_id.as_str()).collect();
    answered.sort_unstable();
    if let Some(twice) = answered.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::output(format!(
            "evaluate-plan answered twice for technician {:?}",
            twice[0]
        )));
    }
    if let Some(missing) = sorted
        .iter()
        .find(|id| answered.binary_search(&id.as_str()).is_err())
    {
        return Err(Error::output(format!(
            "evaluate-plan answered for {} of the problem's {} technicians; {missing:?} is missing (one evaluation per technician, those without shifts included)",
            answered.len(),
            sorted.len()
        )));
    }
    if let Some(unknown) = answered
        .iter()
        .find(|id| sorted.binary_search_by(|t| t.as_str().cmp(id)).is_err())
    {
        return Err(Error::output(format!(
            "evaluate-plan answered for {unknown:?}, not a technician of the problem"
        )));
    }
    Ok(())
}

/// The contract of `evaluate-schedules`: one evaluation per schedule, in the same order.
/// Checked because the host and assigners index the answers by position.
fn check_one_per_schedule(
    schedules: &[Schedule],
    evaluations: &[ScheduleEvaluation],
) -> Result<()> {
    if schedules.len() != evaluations.len() {
        return Err(Error::output(format!(
            "evaluate-schedules returned {} evaluations for {} schedules",
            evaluations.len(),
            schedules.len()
        )));
    }
    if let Some((i, (s, e))) = schedules
        .iter()
        .zip(evaluations)
        .enumerate()
        .find(|(_, (s, e))| s.technician_id != e.technician_id)
    {
        return Err(Error::output(format!(
            "evaluate-schedules answered for technician {:?} at position {i}, asked {:?}",
            e.technician_id, s.technician_id
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Score;

    fn answer(ids: &[&str]) -> Vec<ScheduleEvaluation> {
        ids.iter()
            .map(|id| ScheduleEvaluation {
                technician_id: (*id).into(),
                score: Score { hard: 0, soft: 0 },
                violations: Vec::new(),
            })
            .collect()
    }

    #[test]
    fn negative_penalties_and_scores_are_refused() {
        use crate::types::{Severity, Violation};
        let violation = |penalty| Violation {
            rule_id: "rest.daily".into(),
            severity: Severity::Soft,
            penalty,
            subjects: Vec::new(),
            message: String::new(),
            figures: Vec::new(),
        };
        let zero = Score { hard: 0, soft: 0 };
        assert!(check_points("t1", Score { hard: 0, soft: 5 }, &[violation(5)]).is_ok());
        let reward = check_points("t1", zero, &[violation(-500)]).unwrap_err();
        assert_eq!(reward.code(), "PLUGIN_OUTPUT_INVALID");
        assert!(reward.to_string().contains("negative penalty"), "{reward}");
        let hidden = check_points("the plan", Score { hard: -3, soft: 0 }, &[]).unwrap_err();
        assert!(hidden.to_string().contains("hard -3"), "{hidden}");
    }

    #[test]
    fn evaluate_plan_must_answer_for_every_technician_once() {
        let problem = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        assert!(check_every_technician(&problem, &answer(&["c", "a", "b"])).is_ok());
        let missing = check_every_technician(&problem, &answer(&["a", "c"])).unwrap_err();
        assert_eq!(missing.code(), "PLUGIN_OUTPUT_INVALID");
        assert!(
            missing.to_string().contains("\"b\" is missing"),
            "{missing}"
        );
        let twice = check_every_technician(&problem, &answer(&["a", "b", "b", "c"])).unwrap_err();
        assert!(twice.to_string().contains("twice"), "{twice}");
        let stranger =
            check_every_technician(&problem, &answer(&["a", "b", "c", "z"])).unwrap_err();
        assert!(stranger.to_string().contains("\"z\""), "{stranger}");
    }
}

//! The `assigner` slot: [`AssignerPlugin`] plans a problem, scored on the tenant's rules
//! through the host's `tenant-rules` import.
//!
//! How a run composes two plugins (see `evaluator` in `wit/rules.wit`): the host opens one
//! rules session on the problem with the tenant's rules parameters, then instantiates the
//! assigner in a store whose data holds that session ([`AssignerState`]). Each
//! `tenant-rules` call the assigner makes is a host function that calls the rules
//! session's instance, on the same thread, in its own store: separate memory, separate fuel
//! (the rules plugin's budget covers the whole run and is recorded apart), separate memory
//! cap. The run takes both instance slots at once.
//!
//! Failures, per the contract: an error the rules plugin *returns* comes back to the
//! assigner as `plugin-error`; a rules plugin that *fails* (trap, fuel, memory, bad output)
//! aborts the run: the host function returns [`Error::Rules`] as a trap, which unwinds the
//! assigner and comes out of [`AssignerPlugin::plan`] as is. Calling `tenant-rules`
//! outside `plan` (from `describe`, say) traps.

use std::sync::Arc;

use wasmtime::Store;

use crate::bindings::assigner::AssignerPre;
use crate::bindings::assigner::callsheet::plugins::tenant_rules;
use crate::call::{self, CallOutcome, Core, EngineHandle};
use crate::error::{Error, Result, TrapKind};
use crate::rules::{Refuel, RulesPlugin, Session};
use crate::sandbox::{self, Budget, HasLimiter, Limiter, Permit};
use crate::size;
use crate::types::{
    self, Params, Plan, PlanEvaluation, PlanResult, PluginError, PluginInfo, Problem, Schedule,
    ScheduleEvaluation,
};

pub(crate) type Pre = AssignerPre<AssignerState>;

/// A loaded assigner plugin: cheap to clone, safe to share between threads.
///
/// Its budget covers a whole run on the assigner's side; the rules side of the run is
/// bounded by the rules plugin's own budget.
#[derive(Clone)]
pub struct AssignerPlugin {
    rt: Arc<EngineHandle>,
    core: Arc<Core<Pre>>,
    budget: Budget,
}

call::common_calls!(AssignerPlugin);

/// What a planning run produced, besides the assigner's own fuel (in [`CallOutcome`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRun {
    /// The assigner's result: plan, explanations, score, stats.
    pub result: PlanResult,
    /// Fuel the rules plugin used over the whole run (open included), recorded apart.
    pub rules_fuel_used: u64,
    /// `tenant-rules` evaluation calls the assigner made (`describe-rules` not counted).
    pub rules_calls: u64,
}

/// Store data of an assigner instance: its limiter, and the rules session its
/// `tenant-rules` calls are routed to while `plan` runs.
pub(crate) struct AssignerState {
    limiter: Limiter,
    route: Option<Route>,
}

impl HasLimiter for AssignerState {
    fn limiter(&mut self) -> &mut Limiter {
        &mut self.limiter
    }
}

/// The tenant's rules plugin, as the assigner sees it during one run.
struct Route {
    session: Session,
    info: PluginInfo,
    max_input: usize,
    fuel_used: u64,
    calls: u64,
}

impl Route {
    /// Maps a rules session result: a returned error goes back to the assigner, a failure
    /// aborts the run.
    fn answer<T>(
        &mut self,
        result: Result<CallOutcome<T>>,
    ) -> wasmtime::Result<Result<T, PluginError>> {
        self.calls += 1;
        match result {
            Ok(outcome) => {
                self.fuel_used += outcome.fuel_used;
                Ok(Ok(outcome.value))
            }
            Err(Error::Plugin { error, fuel_used }) => {
                self.fuel_used += fuel_used;
                Ok(Err(error))
            }
            Err(failure) => Err(wasmtime::Error::new(Error::Rules(Box::new(failure)))),
        }
    }

    /// The assigner's request is its output: too large is its fault, not the rules'.
    fn check_request<T: serde::Serialize + ?Sized>(
        &self,
        what: &str,
        value: &T,
    ) -> wasmtime::Result<()> {
        let size = size::estimate(value);
        if size > self.max_input {
            return Err(wasmtime::Error::new(Error::output(format!(
                "tenant-rules.{what} request is {size} bytes, over the {}-byte limit",
                self.max_input
            ))));
        }
        Ok(())
    }
}

impl AssignerState {
    fn route(&mut self) -> wasmtime::Result<&mut Route> {
        self.route.as_mut().ok_or_else(|| {
            wasmtime::Error::new(Error::Trap {
                kind: TrapKind::ComponentModel,
                detail: "tenant-rules may only be called during planner.plan".into(),
            })
        })
    }
}

impl types::Host for AssignerState {}

impl tenant_rules::Host for AssignerState {
    fn describe_rules(&mut self) -> wasmtime::Result<PluginInfo> {
        Ok(self.route()?.info.clone())
    }

    fn evaluate_schedules(
        &mut self,
        schedules: Vec<Schedule>,
    ) -> wasmtime::Result<Result<Vec<ScheduleEvaluation>, PluginError>> {
        let route = self.route()?;
        route.check_request("evaluate-schedules", &schedules)?;
        let result = route.session.evaluate_schedules(&schedules, Refuel::No);
        route.answer(result)
    }

    fn evaluate_plan(
        &mut self,
        plan: Plan,
    ) -> wasmtime::Result<Result<PlanEvaluation, PluginError>> {
        let route = self.route()?;
        route.check_request("evaluate-plan", &plan)?;
        let result = route.session.evaluate_plan(&plan, Refuel::No);
        route.answer(result)
    }
}

impl AssignerPlugin {
    fn fresh_state(&self) -> AssignerState {
        self.state(None)
    }

    fn state(&self, route: Option<Route>) -> AssignerState {
        AssignerState {
            limiter: Limiter::new(&self.rt.config),
            route,
        }
    }

    /// `planner.plan(problem, params)`, scored on `rules` opened on the same problem with
    /// the tenant's `rules_params`. `fuel_used` is the assigner's; the rules plugin's is in
    /// [`PlanRun::rules_fuel_used`]. Failures of the rules plugin come out as
    /// [`Error::Rules`].
    pub fn plan(
        &self,
        problem: &Problem,
        params: &Params,
        rules: &RulesPlugin,
        rules_params: &Params,
    ) -> Result<CallOutcome<PlanRun>> {
        let permit = self.rt.gate.acquire_blocking(2)?;
        self.plan_with(&permit, problem, params, rules, rules_params)
    }

    fn plan_with(
        &self,
        permit: &Permit,
        problem: &Problem,
        params: &Params,
        rules: &RulesPlugin,
        rules_params: &Params,
    ) -> Result<CallOutcome<PlanRun>> {
        let limits = &self.rt.config;
        size::check_input("problem", problem, limits.max_input_bytes)?;
        size::check_input("params", params, limits.max_input_bytes)?;
        if !Arc::ptr_eq(&self.rt, &rules.rt) {
            return Err(Error::runtime(
                "the assigner and rules plugins belong to different runtimes",
            ));
        }
        // The description first, on its own instance (it is cached after): it must not be
        // counted in the run's rules fuel, or the first run after a restart would record
        // more fuel than its replay.
        let info = match rules.core.info.get() {
            Some(info) => info.clone(),
            None => rules
                .describe_with(permit)
                .map_err(|e| Error::Rules(Box::new(e)))?,
        };
        let opened = Session::open(&self.rt, &rules.core, rules.budget(), problem, rules_params)
            .map_err(|e| Error::Rules(Box::new(e)))?;
        let route = Route {
            session: opened.value,
            info,
            max_input: limits.max_input_bytes,
            fuel_used: opened.fuel_used,
            calls: 0,
        };

        let mut store: Store<AssignerState> = sandbox::store(
            &self.rt.engine,
            limits,
            self.state(Some(route)),
            &self.budget,
        )?;
        self.rt.stats.bump(|s| s.instantiations += 1);
        let budget = &self.budget;
        let assigner =
            sandbox::guarded(&mut store, budget, |store| self.core.pre.instantiate(store))?;
        let planned = sandbox::guarded(&mut store, budget, |store| {
            assigner
                .callsheet_plugins_planner()
                .call_plan(store, problem, params)
        })?;
        let fuel_used = sandbox::fuel_used(&store, budget);
        let route = store
            .data_mut()
            .route
            .take()
            .expect("the route lives as long as the run");
        let result = planned.map_err(|e| call::plugin_error(e, fuel_used))?;
        size::check_output("plan result", &result, limits.max_output_bytes)?;
        Ok(CallOutcome {
            value: PlanRun {
                result,
                rules_fuel_used: route.fuel_used,
                rules_calls: route.calls,
            },
            fuel_used,
        })
    }

    /// [`AssignerPlugin::plan`] off the async executor: the whole run (both plugins) on one
    /// blocking thread.
    pub async fn plan_async(
        &self,
        problem: Arc<Problem>,
        params: Params,
        rules: RulesPlugin,
        rules_params: Params,
    ) -> Result<CallOutcome<PlanRun>> {
        let this = self.clone();
        self.rt
            .gate
            .run(2, move |permit| {
                this.plan_with(&permit, &problem, &params, &rules, &rules_params)
            })
            .await
    }
}

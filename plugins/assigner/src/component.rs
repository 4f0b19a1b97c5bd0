//! The WIT shell: bindings for world `assigner`, the exports delegating to
//! [`planner::plan`](crate::planner::plan), and [`TenantRules`], the [`Rules`] the search
//! calls, routed to the host's `tenant-rules` import. Compiled for wasm32 only: the
//! generated exports carry WIT names that native linkers refuse.

#![allow(unsafe_code)]

use alloc::vec::Vec;

use callsheet_plugin_sdk::types::{
    ParamError, Params, Plan, PlanEvaluation, PlanResult, PluginError, PluginInfo, Problem,
    Schedule, ScheduleEvaluation,
};

use crate::evaluator::Rules;
use crate::{catalog, config, planner};

#[allow(missing_debug_implementations, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "callsheet:plugins/assigner@0.1.0",
        with: { "callsheet:plugins/types@0.1.0": callsheet_plugin_sdk::types },
    });
}

use bindings::callsheet::plugins::tenant_rules;
use bindings::exports::callsheet::plugins::{planner as planner_export, plugin};

struct Component;

impl plugin::Guest for Component {
    fn describe() -> PluginInfo {
        catalog::describe()
    }

    fn validate_params(params: Params) -> Result<(), Vec<ParamError>> {
        let errors = config::validate(&params);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

impl planner_export::Guest for Component {
    fn plan(problem: Problem, params: Params) -> Result<PlanResult, PluginError> {
        Ok(planner::plan(&problem, &params, &mut TenantRules)?)
    }
}

/// The tenant's rules plugin, through the host.
struct TenantRules;

impl Rules for TenantRules {
    fn evaluate_schedules(
        &mut self,
        schedules: &[Schedule],
    ) -> Result<Vec<ScheduleEvaluation>, PluginError> {
        tenant_rules::evaluate_schedules(schedules)
    }

    fn evaluate_plan(&mut self, plan: &Plan) -> Result<PlanEvaluation, PluginError> {
        tenant_rules::evaluate_plan(plan)
    }
}

bindings::export!(Component with_types_in bindings);

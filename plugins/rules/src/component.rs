//! The WIT shell: bindings for world `rules` and the exports, delegating to the plain-Rust
//! [`Evaluator`](crate::evaluator::Evaluator). Compiled for wasm32 only: the generated
//! exports carry WIT names that native linkers refuse.

#![allow(unsafe_code)]

use alloc::vec::Vec;

use callsheet_plugin_sdk::types::{
    ParamError, Params, Plan, PlanEvaluation, PluginError, PluginInfo, Problem, Schedule,
    ScheduleEvaluation,
};

use crate::{catalog, config, evaluator};

#[allow(missing_debug_implementations, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "callsheet:plugins/rules@0.1.0",
        with: { "callsheet:plugins/types@0.1.0": callsheet_plugin_sdk::types },
    });
}

use bindings::exports::callsheet::plugins::{plugin, rule_engine};

struct Component;

impl plugin::Guest for Component {
    fn describe() -> PluginInfo {
        catalog::describe()
    }

    fn validate_params(params: Params) -> Result<(), Vec<ParamError>> {
        let errors = config::validate(&params, None);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

impl rule_engine::Guest for Component {
    type Evaluator = Session;
}

/// The WIT resource, holding the plain-Rust session.
struct Session(evaluator::Evaluator);

impl rule_engine::GuestEvaluator for Session {
    fn open(problem: Problem, params: Params) -> Result<rule_engine::Evaluator, PluginError> {
        Ok(rule_engine::Evaluator::new(Session(
            evaluator::Evaluator::open(problem, params)?,
        )))
    }

    fn evaluate_schedules(
        &self,
        schedules: Vec<Schedule>,
    ) -> Result<Vec<ScheduleEvaluation>, PluginError> {
        Ok(self.0.evaluate_schedules(&schedules)?)
    }

    fn evaluate_plan(&self, plan: Plan) -> Result<PlanEvaluation, PluginError> {
        Ok(self.0.evaluate_plan(&plan)?)
    }
}

bindings::export!(Component with_types_in bindings);

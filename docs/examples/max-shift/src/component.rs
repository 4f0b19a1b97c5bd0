//! The WIT shell (wasm32 only): bindings for world `rules`, exports delegating to the
//! plain-Rust logic in `lib.rs`.

#![allow(unsafe_code)]

use alloc::vec::Vec;

use callsheet_plugin_sdk::types::{
    ParamError, Params, Plan, PlanEvaluation, PluginError, PluginInfo, Problem, Schedule,
    ScheduleEvaluation,
};

mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit",
        world: "callsheet:plugins/rules@0.1.0",
        with: { "callsheet:plugins/types@0.1.0": callsheet_plugin_sdk::types },
    });
}

use bindings::exports::callsheet::plugins::{plugin, rule_engine};

struct Component;

impl plugin::Guest for Component {
    fn describe() -> PluginInfo {
        crate::describe()
    }

    fn validate_params(params: Params) -> Result<(), Vec<ParamError>> {
        crate::max_seconds(&params).map(|_| ()).map_err(|message| {
            alloc::vec![ParamError {
                name: crate::PARAM.into(),
                code: "out-of-range".into(),
                message
            }]
        })
    }
}

impl rule_engine::Guest for Component {
    type Evaluator = Session;
}

/// The evaluator resource: the problem crosses the boundary once, at `open`.
struct Session {
    problem: Problem,
    max: i64,
}

impl rule_engine::GuestEvaluator for Session {
    fn open(problem: Problem, params: Params) -> Result<rule_engine::Evaluator, PluginError> {
        let max = crate::max_seconds(&params).map_err(|message| PluginError {
            code: "invalid-params".into(),
            message,
        })?;
        Ok(rule_engine::Evaluator::new(Session { problem, max }))
    }

    fn evaluate_schedules(
        &self,
        schedules: Vec<Schedule>,
    ) -> Result<Vec<ScheduleEvaluation>, PluginError> {
        Ok(crate::evaluate(&schedules, self.max))
    }

    fn evaluate_plan(&self, plan: Plan) -> Result<PlanEvaluation, PluginError> {
        Ok(crate::evaluate_plan(&self.problem, &plan, self.max))
    }
}

bindings::export!(Component with_types_in bindings);

//! The WIT shell (wasm32 only): bindings for world `rules`, exports delegating to the
//! plain-Rust [`Session`](crate::Session).

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
        crate::validate_params(&params)
    }
}

impl rule_engine::Guest for Component {
    type Evaluator = crate::Session;
}

impl rule_engine::GuestEvaluator for crate::Session {
    fn open(problem: Problem, params: Params) -> Result<rule_engine::Evaluator, PluginError> {
        let session = crate::Session::open(&problem, &params)?;
        Ok(rule_engine::Evaluator::new(session))
    }

    fn evaluate_schedules(
        &self,
        schedules: Vec<Schedule>,
    ) -> Result<Vec<ScheduleEvaluation>, PluginError> {
        Ok(crate::Session::evaluate_schedules(self, &schedules)?)
    }

    fn evaluate_plan(&self, plan: Plan) -> Result<PlanEvaluation, PluginError> {
        Ok(crate::Session::evaluate_plan(self, &plan)?)
    }
}

bindings::export!(Component with_types_in bindings);

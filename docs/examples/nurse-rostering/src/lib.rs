//! A tenant rules plugin for nurse rostering: the Curtois & Qu benchmark's constraints
//! stated against callsheet's public WIT, with nothing but the SDK.
//!
//! - [`params`]: the limits (per technician through `overrides`) and forbidden successions;
//! - [`model`]: the problem indexed once, when the evaluator opens;
//! - [`schedule`]: one technician's rules (hard limits, requests);
//! - [`cover`]: the plan-level cover terms;
//! - [`rules`]: rule ids and descriptions.
//!
//! The logic is plain Rust over the SDK's types, unit-tested natively and checked against
//! an independent checker (`convert/tests/`); `component` is the thin WIT shell, compiled
//! for wasm32 only. The mapping from a C&Q instance to a problem is in README.md.

#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

pub mod cover;
pub mod model;
pub mod params;
pub mod rules;
pub mod schedule;

use alloc::vec::Vec;

use callsheet_plugin_sdk::report::{Failure, add, score_of, sort_violations};
use callsheet_plugin_sdk::types::{
    Param, ParamError, Plan, PlanEvaluation, PluginInfo, Problem, Schedule, ScheduleEvaluation,
    Score, Shift,
};

pub use model::Model;

/// What `describe()` answers.
pub fn describe() -> PluginInfo {
    PluginInfo {
        name: "example-nurse-rostering".into(),
        version: "0.1.0".into(),
        description: "Nurse rostering as in the Curtois & Qu benchmark: one shift a day, forbidden successions, shifts per type, minimum and maximum working time, minimum and maximum days worked in a row, minimum days off in a row, weekends and days off are hard; shift requests and cover are soft.".into(),
        rules: rules::infos(),
        params: params::SPECS.iter().map(|s| s.to_wit()).collect(),
        lookback_days: 0,
    }
}

/// `validate-params`: every error of the tenant's list.
pub fn validate_params(params: &[Param]) -> Result<(), Vec<ParamError>> {
    let errors = callsheet_plugin_sdk::params::validate(params::SPECS, params, false);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// An evaluation session: `open` indexes the problem, the evaluations only read it.
#[derive(Debug, Clone)]
pub struct Session {
    model: Model,
}

impl Session {
    /// Opens a session on a problem with the tenant's parameters.
    pub fn open(problem: &Problem, params: &[Param]) -> Result<Session, Failure> {
        Ok(Session {
            model: Model::open(problem, params)?,
        })
    }

    /// One evaluation per schedule, in order.
    pub fn evaluate_schedules(
        &self,
        schedules: &[Schedule],
    ) -> Result<Vec<ScheduleEvaluation>, Failure> {
        schedules
            .iter()
            .map(|s| schedule::evaluate(&self.model, s))
            .collect()
    }

    /// A whole plan: every technician's schedule (those without shifts too, since a
    /// minimum of work can be broken by not working) plus cover.
    pub fn evaluate_plan(&self, plan: &Plan) -> Result<PlanEvaluation, Failure> {
        let model = &self.model;
        let mut shifts: Vec<Vec<Shift>> = alloc::vec![Vec::new(); model.technicians.len()];
        let mut staffed = alloc::vec![0u32; model.needs.len()];
        for a in plan
            .assignments
            .iter()
            .filter(|a| a.status != callsheet_plugin_sdk::types::AssignmentStatus::Declined)
        {
            shifts[model.technician(&a.technician_id)?].push(Shift {
                need_id: a.need_id.clone(),
                window: a.window,
            });
            staffed[model.need(&a.need_id)?] += 1;
        }
        let schedules: Vec<Schedule> = model
            .technicians
            .iter()
            .zip(shifts)
            .map(|(t, shifts)| Schedule {
                technician_id: t.id.clone(),
                shifts,
            })
            .collect();
        let evaluations = self.evaluate_schedules(&schedules)?;
        let mut plan_violations = cover::evaluate(model, &staffed);
        sort_violations(&mut plan_violations);
        let score = evaluations
            .iter()
            .fold(score_of(&plan_violations), |s: Score, e| add(s, e.score));
        Ok(PlanEvaluation {
            score,
            schedules: evaluations,
            plan_violations,
        })
    }
}

#[cfg(target_arch = "wasm32")]
mod component;

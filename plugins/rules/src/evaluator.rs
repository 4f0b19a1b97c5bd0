//! The evaluation session behind the WIT `evaluator` resource, in plain Rust: open a
//! problem with parameters once, then evaluate schedules and plans. Every answer is a pure
//! function of (problem, parameters, arguments): nothing is cached between calls.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::vec::Vec;

use callsheet_plugin_sdk::calendar::Calendar;
use callsheet_plugin_sdk::params::Reader;
use callsheet_plugin_sdk::report::{Failure, add, score_of, sort_violations};
use callsheet_plugin_sdk::types::{
    Assignment, Param, Plan, PlanEvaluation, Problem, Schedule, ScheduleEvaluation, Window,
};

use crate::config::{self, Limits, SPECS};
use crate::model::{self, Index};
use crate::rules::{self, Ctx};

/// An open session.
#[derive(Debug)]
pub struct Evaluator {
    problem: Problem,
    index: Index,
    /// The tenant's limits (plan-level rules read them).
    tenant: Limits,
    /// Each technician's limits, in the order of `problem.technicians`.
    limits: Vec<Limits>,
}

impl Evaluator {
    /// Checks the parameters ("invalid-params") and the problem ("invalid-input"), and
    /// resolves every technician's limits once.
    pub fn open(problem: Problem, params: Vec<Param>) -> Result<Evaluator, Failure> {
        let errors = config::validate(&params, None);
        if !errors.is_empty() {
            return Err(Failure::InvalidParams(errors));
        }
        Calendar::new(&problem.calendar).map_err(|e| Failure::InvalidInput(format!("{e}")))?;
        let index = Index::build(&problem)?;
        let mut limits = Vec::with_capacity(problem.technicians.len());
        for t in &problem.technicians {
            let errors = config::validate(&params, Some(&t.overrides));
            if let Some(e) = errors.first() {
                return Err(Failure::InvalidInput(format!(
                    "overrides of technician {}: {}",
                    t.id, e.message
                )));
            }
            limits.push(Limits::read(&Reader::with_overrides(
                SPECS,
                &params,
                &t.overrides,
            )));
        }
        let tenant = Limits::read(&Reader::new(SPECS, &params));
        Ok(Evaluator {
            problem,
            index,
            tenant,
            limits,
        })
    }

    /// One evaluation per schedule, in order.
    pub fn evaluate_schedules(
        &self,
        schedules: &[Schedule],
    ) -> Result<Vec<ScheduleEvaluation>, Failure> {
        schedules
            .iter()
            .map(|s| {
                self.evaluate(
                    &s.technician_id,
                    s.shifts.iter().map(|sh| (sh.need_id.as_str(), sh.window)),
                )
            })
            .collect()
    }

    /// Every technician's schedule (sorted by id, those without shifts included) plus the
    /// plan-level violations; the score is their sum, as the contract's decomposition says.
    pub fn evaluate_plan(&self, plan: &Plan) -> Result<PlanEvaluation, Failure> {
        let mut by_technician: BTreeMap<&str, Vec<&Assignment>> = BTreeMap::new();
        let mut active = Vec::new();
        for a in plan.assignments.iter().filter(|a| rules::plan::counts(a)) {
            if !self.index.technicians.contains_key(&a.technician_id) {
                return Err(Failure::InvalidInput(format!(
                    "unknown technician {} in the plan",
                    a.technician_id
                )));
            }
            if !self.index.needs.contains_key(&a.need_id) {
                return Err(Failure::InvalidInput(format!(
                    "unknown need {} in the plan",
                    a.need_id
                )));
            }
            by_technician
                .entry(a.technician_id.as_str())
                .or_default()
                .push(a);
            active.push(a);
        }
        let mut schedules = Vec::with_capacity(self.index.technicians.len());
        for id in self.index.technicians.keys() {
            let shifts = by_technician
                .get(id.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            schedules
                .push(self.evaluate(id, shifts.iter().map(|a| (a.need_id.as_str(), a.window)))?);
        }
        let mut plan_violations =
            rules::plan::check(&self.problem, &self.index, &self.tenant, &active);
        sort_violations(&mut plan_violations);
        let score = schedules
            .iter()
            .fold(score_of(&plan_violations), |s, e| add(s, e.score));
        Ok(PlanEvaluation {
            score,
            schedules,
            plan_violations,
        })
    }

    fn evaluate<'a>(
        &self,
        technician_id: &str,
        shifts: impl Iterator<Item = (&'a str, Window)>,
    ) -> Result<ScheduleEvaluation, Failure> {
        let i =
            *self.index.technicians.get(technician_id).ok_or_else(|| {
                Failure::InvalidInput(format!("unknown technician {technician_id}"))
            })?;
        let tech = &self.problem.technicians[i];
        let periods = model::periods(&self.problem, &self.index, tech, shifts)?;
        let cal = Calendar::new(&self.problem.calendar)
            .map_err(|e| Failure::InvalidInput(format!("{e}")))?;
        let ctx = Ctx::new(&self.problem, cal, tech, &self.limits[i], periods);
        let mut violations = rules::check_schedule(&ctx);
        sort_violations(&mut violations);
        Ok(ScheduleEvaluation {
            technician_id: tech.id.clone(),
            score: score_of(&violations),
            violations,
        })
    }
}

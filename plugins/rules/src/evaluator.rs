//! The evaluation session behind the WIT `evaluator` resource, in plain Rust: open a
//! problem with parameters once, then evaluate schedules and plans. Every answer is a pure
//! function of (problem, parameters, arguments): nothing is cached between calls.

use alloc::format;
use alloc::vec::Vec;

use callsheet_plugin_sdk::calendar::Calendar;
use callsheet_plugin_sdk::params::Reader;
use callsheet_plugin_sdk::report::{Failure, add, score_of, sort_violations};
use callsheet_plugin_sdk::types::{
    Param, Plan, PlanEvaluation, Problem, Schedule, ScheduleEvaluation, Window,
};

use crate::active::Active;
use crate::config::{self, Limits, SPECS};
use crate::index::Index;
use crate::model;
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
                let t = self.technician(&s.technician_id)?;
                let shifts = s
                    .shifts
                    .iter()
                    .map(|sh| match self.index.needs.get(&sh.need_id) {
                        Some(&n) => Ok((n, sh.window)),
                        None => Err(Failure::InvalidInput(format!(
                            "unknown need {} in the schedule of {}",
                            sh.need_id, s.technician_id
                        ))),
                    });
                self.evaluate(t, shifts)
            })
            .collect()
    }

    /// Every technician's schedule (sorted by id, those without shifts included) plus the
    /// plan-level violations; the score is their sum, as the contract's decomposition says.
    pub fn evaluate_plan(&self, plan: &Plan) -> Result<PlanEvaluation, Failure> {
        let active = Active::resolve(&self.index, plan)?;
        let mut schedules = Vec::with_capacity(self.index.technicians_by_id.len());
        for &t in &self.index.technicians_by_id {
            let shifts = active.of(t).iter().map(|s| Ok((s.need, s.window)));
            schedules.push(self.evaluate(t, shifts)?);
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

    fn technician(&self, id: &str) -> Result<usize, Failure> {
        self.index
            .technicians
            .get(id)
            .copied()
            .ok_or_else(|| Failure::InvalidInput(format!("unknown technician {id}")))
    }

    fn evaluate(
        &self,
        t: usize,
        shifts: impl Iterator<Item = Result<(usize, Window), Failure>>,
    ) -> Result<ScheduleEvaluation, Failure> {
        let tech = &self.problem.technicians[t];
        let periods = model::periods(&self.problem, &self.index, t, shifts)?;
        // `open` checked the calendar.
        let cal = Calendar::already_checked(&self.problem.calendar);
        let ctx = Ctx::new(
            &self.problem,
            &self.index,
            cal,
            tech,
            &self.limits[t],
            periods,
        );
        let mut violations = rules::check_schedule(&ctx);
        sort_violations(&mut violations);
        Ok(ScheduleEvaluation {
            technician_id: tech.id.clone(),
            score: score_of(&violations),
            violations,
        })
    }
}

//! A problem builder over a four-week horizon from Monday 2025-05-05 (Europe/Paris), and
//! the default rules plugin's evaluator as the [`Rules`] the assigner calls.

use callsheet_plugin_sdk::testing::{self, at, window};
use callsheet_plugin_sdk::types::*;
use callsheet_rules_fr::evaluator::Evaluator;

use crate::Rules;
use crate::error::Error;
use crate::planner::{self, Outcome};

/// Local time in May 2025 (hour may exceed 23 for the next day).
pub fn may(day: u8, hour: i64, minute: i64) -> i64 {
    at(2025, 5, day, hour, minute)
}

pub const HOUR: i64 = 3600;

/// The default rules, evaluated natively; counts the calls like the host would.
pub struct NativeRules {
    evaluator: Evaluator,
    pub calls: u64,
}

impl NativeRules {
    pub fn open(problem: &Problem, params: &[Param]) -> NativeRules {
        NativeRules {
            evaluator: Evaluator::open(problem.clone(), params.to_vec())
                .unwrap_or_else(|e| panic!("the rules refuse the fixture: {e:?}")),
            calls: 0,
        }
    }
}

impl Rules for NativeRules {
    fn evaluate_schedules(
        &mut self,
        schedules: &[Schedule],
    ) -> Result<Vec<ScheduleEvaluation>, PluginError> {
        self.calls += 1;
        Ok(self.evaluator.evaluate_schedules(schedules)?)
    }

    fn evaluate_plan(&mut self, plan: &Plan) -> Result<PlanEvaluation, PluginError> {
        self.calls += 1;
        Ok(self.evaluator.evaluate_plan(plan)?)
    }
}

/// A problem under construction, with the assigner's and the rules' parameters.
#[derive(Debug, Clone)]
pub struct Fx {
    pub problem: Problem,
    pub params: Vec<Param>,
    pub rules_params: Vec<Param>,
}

impl Fx {
    /// Four weeks from Monday 5 May 2025, no technician, no need.
    pub fn new() -> Fx {
        let horizon = window(may(5, 0, 0), at(2025, 6, 2, 0, 0));
        Fx {
            problem: testing::problem(horizon, vec![], vec![], vec![]),
            params: vec![],
            rules_params: vec![],
        }
    }

    /// Adds a technician "Tech <id>" at 20.00 / h.
    pub fn tech(&mut self, id: &str, skills: &[&str]) -> &mut Technician {
        self.problem
            .technicians
            .push(testing::technician(id, skills));
        self.problem.technicians.last_mut().expect("just pushed")
    }

    /// Adds a mission of its own at venue `v1` with one need of `places` places.
    pub fn need(
        &mut self,
        title: &str,
        skill: &str,
        start: i64,
        end: i64,
        places: u32,
    ) -> &mut Need {
        let k = self.problem.missions.len() + 1;
        let m = testing::mission(&format!("m{k:02}"), title, "v1", window(start, end));
        let mut need = testing::need(&format!("n{k:02}"), &m, skill);
        need.min_crew = places;
        self.problem.missions.push(m);
        self.problem.needs.push(need);
        self.problem.needs.last_mut().expect("just pushed")
    }

    /// Adds an existing assignment of `tech` on `need` over the need's window.
    pub fn assign(&mut self, need: &str, tech: &str, status: AssignmentStatus, pinned: bool) {
        let window = self
            .problem
            .needs
            .iter()
            .find(|n| n.id == need)
            .map(|n| n.window)
            .expect("known need");
        self.problem.assignments.push(Assignment {
            id: Some(format!("a-{need}-{tech}")),
            need_id: need.into(),
            technician_id: tech.into(),
            window,
            status,
            pinned,
        });
        self.problem
            .assignments
            .sort_by(|a, b| (&a.need_id, &a.technician_id).cmp(&(&b.need_id, &b.technician_id)));
    }

    pub fn param(&mut self, name: &str, value: Value) {
        self.params.push(testing::param(name, value));
    }

    /// Plans with the native rules.
    pub fn run(&self) -> Result<Outcome, Error> {
        let mut rules = NativeRules::open(&self.problem, &self.rules_params);
        planner::run(&self.problem, &self.params, &mut rules)
    }

    /// Plans with the native rules; the fixture must be valid.
    pub fn plan(&self) -> PlanResult {
        self.run()
            .unwrap_or_else(|e| panic!("planning failed: {e:?}"))
            .result
    }
}

/// (need, technician) of every assignment of a result.
pub fn pairs(result: &PlanResult) -> Vec<(String, String)> {
    result
        .assignments
        .iter()
        .map(|a| {
            (
                a.assignment.need_id.clone(),
                a.assignment.technician_id.clone(),
            )
        })
        .collect()
}

/// The unfilled record of a need.
pub fn unfilled<'r>(result: &'r PlanResult, need: &str) -> &'r Unfilled {
    result
        .unfilled
        .iter()
        .find(|u| u.need_id == need)
        .unwrap_or_else(|| panic!("need {need} is not unfilled: {:?}", pairs(result)))
}

/// The reasons a technician was rejected for a need.
pub fn reasons<'r>(result: &'r PlanResult, need: &str, tech: &str) -> &'r [Violation] {
    &unfilled(result, need)
        .rejections
        .iter()
        .find(|r| r.technician_id == tech)
        .unwrap_or_else(|| panic!("{tech} is not among the rejections of {need}"))
        .reasons
}

/// The figure of a violation.
pub fn figure(v: &Violation, name: &str) -> i64 {
    v.figures
        .iter()
        .find(|f| f.name == name)
        .map(|f| f.value)
        .unwrap_or_else(|| panic!("no figure {name} in {v:?}"))
}

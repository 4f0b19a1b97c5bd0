//! Refused input: every case is a `plugin-error` with its code, never a panic (which would
//! be a trap in the component).

use callsheet_plugin_sdk::testing::{param, window};
use callsheet_plugin_sdk::types::*;

use super::fixture::{Fx, may};
use crate::Rules;
use crate::planner;

/// Rules that find nothing wrong, so that only the assigner's own checks are exercised
/// (the default rules would refuse some of these problems themselves when opened).
struct Lenient {
    /// Answer one evaluation too few, like a broken rules plugin.
    short: bool,
    /// Answer with an error.
    fail: bool,
}

impl Rules for Lenient {
    fn evaluate_schedules(
        &mut self,
        schedules: &[Schedule],
    ) -> Result<Vec<ScheduleEvaluation>, PluginError> {
        if self.fail {
            return Err(PluginError {
                code: "invalid-input".into(),
                message: "no".into(),
            });
        }
        let n = schedules.len() - usize::from(self.short && !schedules.is_empty());
        Ok(schedules[..n]
            .iter()
            .map(|s| ScheduleEvaluation {
                technician_id: s.technician_id.clone(),
                score: Score { hard: 0, soft: 0 },
                violations: vec![],
            })
            .collect())
    }

    fn evaluate_plan(&mut self, _: &Plan) -> Result<PlanEvaluation, PluginError> {
        Ok(PlanEvaluation {
            score: Score { hard: 0, soft: 0 },
            schedules: vec![],
            plan_violations: vec![],
        })
    }
}

fn valid() -> Fx {
    let mut fx = Fx::new();
    fx.tech("a", &["sound"]);
    fx.need("Show", "sound", may(6, 18, 0), may(6, 23, 0), 1);
    fx
}

fn code(fx: &Fx, rules: &mut Lenient) -> String {
    match planner::plan(&fx.problem, &fx.params, rules) {
        Ok(r) => panic!("accepted: {r:?}"),
        Err(e) => PluginError::from(e).code,
    }
}

#[test]
fn every_broken_invariant_is_refused_with_invalid_input() {
    type Breaker = fn(&mut Fx);
    let cases: Vec<(&str, Breaker)> = vec![
        ("no needs at all", |fx| {
            fx.problem.needs.clear();
        }),
        ("an empty problem", |fx| {
            fx.problem.needs.clear();
            fx.problem.technicians.clear();
            fx.problem.missions.clear();
        }),
        ("an inverted need window", |fx| {
            let w = fx.problem.needs[0].window;
            fx.problem.needs[0].window = window(w.end, w.start);
        }),
        ("an empty need window", |fx| {
            fx.problem.needs[0].window.end = fx.problem.needs[0].window.start;
        }),
        ("an inverted horizon", |fx| {
            let h = fx.problem.horizon;
            fx.problem.horizon = window(h.end, h.start);
        }),
        ("an inverted mission window", |fx| {
            let w = fx.problem.missions[0].window;
            fx.problem.missions[0].window = window(w.end, w.start);
        }),
        ("a need outside the horizon", |fx| {
            fx.problem.needs[0].window = window(may(1, 8, 0), may(1, 12, 0));
        }),
        ("a need of an unknown mission", |fx| {
            fx.problem.needs[0].mission_id = "nope".into();
        }),
        ("an assignment to an unknown need", |fx| {
            fx.assign("n01", "a", AssignmentStatus::Proposed, false);
            fx.problem.assignments[0].need_id = "nope".into();
        }),
        ("an assignment of an unknown technician", |fx| {
            fx.assign("n01", "a", AssignmentStatus::Confirmed, false);
            fx.problem.assignments[0].technician_id = "nope".into();
        }),
        ("an inverted assignment window", |fx| {
            fx.assign("n01", "a", AssignmentStatus::Proposed, true);
            let w = fx.problem.assignments[0].window;
            fx.problem.assignments[0].window = window(w.end, w.start);
        }),
        ("the same assignment twice", |fx| {
            fx.assign("n01", "a", AssignmentStatus::Proposed, false);
            fx.assign("n01", "a", AssignmentStatus::Confirmed, false);
        }),
        ("duplicate need ids", |fx| {
            let n = fx.problem.needs[0].clone();
            fx.problem.needs.push(n);
        }),
        ("duplicate technician ids", |fx| {
            fx.tech("a", &["light"]);
        }),
        ("a negative unfilled penalty", |fx| {
            fx.problem.needs[0].unfilled_penalty = -1;
        }),
        ("a relation with oneself", |fx| {
            fx.problem.technicians[0].relations.push(Relation {
                other: "a".into(),
                kind: RelationKind::Affinity,
                severity: Severity::Soft,
                weight: 1,
            });
        }),
        ("a calendar without offsets", |fx| {
            fx.problem.calendar.offsets.clear();
        }),
    ];
    for (case, breaker) in cases {
        let mut fx = valid();
        breaker(&mut fx);
        let got = code(
            &fx,
            &mut Lenient {
                short: false,
                fail: false,
            },
        );
        assert_eq!(got, "invalid-input", "case {case}");
    }
}

#[test]
fn bad_parameters_are_refused_with_every_error() {
    let mut fx = valid();
    fx.params = vec![
        param("assigner.search.iterations", Value::Int(-1)),
        param("assigner.unknown", Value::Int(1)),
        param("assigner.keep-proposed", Value::Int(1)),
    ];
    let error = PluginError::from(
        planner::plan(
            &fx.problem,
            &fx.params,
            &mut Lenient {
                short: false,
                fail: false,
            },
        )
        .expect_err("refused"),
    );
    assert_eq!(error.code, "invalid-params");
    assert_eq!(error.message.matches("; ").count(), 2, "{}", error.message);
}

#[test]
fn rules_that_fail_or_answer_wrongly_fail_the_run() {
    let fx = valid();
    for (case, mut rules) in [
        (
            "an error",
            Lenient {
                short: false,
                fail: true,
            },
        ),
        (
            "a short answer",
            Lenient {
                short: true,
                fail: false,
            },
        ),
    ] {
        assert_eq!(code(&fx, &mut rules), "rules-failed", "case {case}");
    }
}

#[test]
fn extreme_numbers_are_planned_without_overflow() {
    // Debug builds check arithmetic overflow: a panic here would be a trap in the component.
    let mut fx = valid();
    fx.problem.horizon = window(i64::MIN / 2, i64::MAX / 2);
    let need = &mut fx.problem.needs[0];
    need.min_crew = u32::MAX;
    need.unfilled_penalty = i64::MAX;
    need.extra_penalty = i64::MAX;
    need.window = window(i64::MIN / 2, i64::MAX / 2);
    fx.problem.missions[0].window = need.window;
    fx.problem.technicians[0].contract.hourly_rate = i64::MAX;
    fx.tech("b", &["sound"]).contract.cachet_rate = i64::MAX;
    fx.param("assigner.cost.weight", Value::Int(10_000));
    fx.param("assigner.balance.weight", Value::Int(10_000));
    let result = planner::plan(
        &fx.problem,
        &fx.params,
        &mut Lenient {
            short: false,
            fail: false,
        },
    )
    .expect("plans");
    assert_eq!(result.unfilled.len(), 1);
}

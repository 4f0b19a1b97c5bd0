//! An example rules plugin: every shift longer than `max-shift.hours` is a hard violation.
//!
//! The logic ([`evaluate`], [`evaluate_plan`]) is plain Rust over the SDK's types, so it is
//! unit-tested on the native target; the `component` module is the thin WIT shell compiled
//! for wasm32 only.
//!
//! A template to copy: `evaluate_plan` keeps the whole contract of `evaluate-plan`, which a
//! plugin with a single per-shift rule could get away without, and one with a minimum rule
//! (minimum hours, minimum runs) cannot: one evaluation per technician of the problem,
//! those without a shift included, and the cover of every need as plan violations.

#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

use alloc::{format, string::String, vec, vec::Vec};

use callsheet_plugin_sdk::report::{figure, score_of, violation};
use callsheet_plugin_sdk::types::{
    AssignmentStatus, Figure, Param, Plan, PlanEvaluation, PluginInfo, Problem, RuleInfo, Schedule,
    ScheduleEvaluation, Score, Severity, Shift, Subject, Value, Violation,
};

pub const RULE_ID: &str = "example.max-shift";
/// Places left empty, by the convention every rules plugin follows.
pub const COVER_UNDER: &str = "cover.under";
/// More people than a need's maximum.
pub const COVER_OVER_MAX: &str = "cover.over-max";
pub const PARAM: &str = "max-shift.hours";
const DEFAULT_HOURS: i64 = 10;

/// What `describe()` answers: the rule and its one parameter.
pub fn describe() -> PluginInfo {
    PluginInfo {
        name: "example-max-shift".into(),
        version: "0.1.0".into(),
        description: "No shift longer than a maximum number of hours.".into(),
        rules: vec![
            RuleInfo {
                id: RULE_ID.into(),
                title: "Maximum shift length".into(),
                description: "A shift longer than `max-shift.hours` is refused.".into(),
                severity: Severity::Hard,
                params: vec![PARAM.into()],
            },
            RuleInfo {
                id: COVER_UNDER.into(),
                title: "Places left empty".into(),
                description:
                    "Each place of a need below its minimum crew costs the need's unfilled penalty."
                        .into(),
                severity: Severity::Soft,
                params: vec![],
            },
            RuleInfo {
                id: COVER_OVER_MAX.into(),
                title: "Too many people".into(),
                description: "More people on a need than its maximum crew.".into(),
                severity: Severity::Hard,
                params: vec![],
            },
        ],
        params: vec![callsheet_plugin_sdk::types::ParamSpec {
            name: PARAM.into(),
            description: "Longest shift allowed, in hours (1 to 24).".into(),
            unit: "h".into(),
            default: Value::Int(DEFAULT_HOURS),
        }],
        lookback_days: 0,
    }
}

/// The limit in seconds, from the tenant's parameters or the default.
pub fn max_seconds(params: &[Param]) -> Result<i64, String> {
    match params.iter().find(|p| p.name == PARAM).map(|p| &p.value) {
        None => Ok(DEFAULT_HOURS * 3600),
        Some(Value::Int(h)) if (1..=24).contains(h) => Ok(h * 3600),
        Some(_) => Err(format!("{PARAM} must be an integer from 1 to 24")),
    }
}

/// One evaluation per schedule, in order: a hard violation per shift over the limit.
pub fn evaluate(schedules: &[Schedule], max: i64) -> Vec<ScheduleEvaluation> {
    schedules
        .iter()
        .map(|schedule| {
            let violations: Vec<Violation> = schedule
                .shifts
                .iter()
                .filter(|shift| shift.window.end - shift.window.start > max)
                .map(|shift| {
                    let length = shift.window.end - shift.window.start;
                    Violation {
                        rule_id: RULE_ID.into(),
                        severity: Severity::Hard,
                        // The penalty grows with the excess, so a search prefers smaller ones.
                        penalty: (length - max + 59) / 60,
                        subjects: vec![
                            Subject::Technician(schedule.technician_id.clone()),
                            Subject::Need(shift.need_id.clone()),
                        ],
                        message: format!(
                            "shift of {} > {} allowed",
                            callsheet_plugin_sdk::text::duration(length),
                            callsheet_plugin_sdk::text::duration(max)
                        ),
                        figures: vec![
                            Figure {
                                name: "length".into(),
                                value: length,
                                unit: "s".into(),
                            },
                            Figure {
                                name: "max".into(),
                                value: max,
                                unit: "s".into(),
                            },
                        ],
                    }
                })
                .collect();
            let hard = violations.iter().map(|v| v.penalty).sum();
            ScheduleEvaluation {
                technician_id: schedule.technician_id.clone(),
                score: Score { hard, soft: 0 },
                violations,
            }
        })
        .collect()
}

/// The whole plan, as `evaluate-plan` must answer it: one evaluation per technician of the
/// problem, sorted by id, *those without a shift included* (a rule such as "at least 20 h
/// a month" is broken by not working, and a technician left out would hide it), and the
/// cover of each need as plan violations. Declined assignments count for nothing.
pub fn evaluate_plan(problem: &Problem, plan: &Plan, max: i64) -> PlanEvaluation {
    let active: Vec<_> = plan
        .assignments
        .iter()
        .filter(|a| a.status != AssignmentStatus::Declined)
        .collect();
    let mut ids: Vec<&str> = problem.technicians.iter().map(|t| t.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let schedules: Vec<Schedule> = ids
        .iter()
        .map(|id| Schedule {
            technician_id: (*id).into(),
            shifts: active
                .iter()
                .filter(|a| a.technician_id == *id)
                .map(|a| Shift {
                    need_id: a.need_id.clone(),
                    window: a.window,
                })
                .collect(),
        })
        .collect();
    let evaluations = evaluate(&schedules, max);
    let plan_violations = cover(problem, &active);
    let mut score = score_of(&plan_violations);
    for e in &evaluations {
        score.hard = score.hard.saturating_add(e.score.hard);
        score.soft = score.soft.saturating_add(e.score.soft);
    }
    PlanEvaluation {
        score,
        schedules: evaluations,
        plan_violations,
    }
}

/// Under- and over-staffing of each need: a soft violation per need short of its minimum
/// (its unfilled penalty per empty place), a hard one per need above its maximum (none
/// given: exactly the minimum).
fn cover(problem: &Problem, active: &[&callsheet_plugin_sdk::types::Assignment]) -> Vec<Violation> {
    let mut out = Vec::new();
    for need in &problem.needs {
        let assigned = i64::try_from(active.iter().filter(|a| a.need_id == need.id).count())
            .unwrap_or(i64::MAX);
        let min = i64::from(need.min_crew);
        let max = i64::from(need.max_crew.unwrap_or(need.min_crew).max(need.min_crew));
        let subjects = || {
            vec![
                Subject::Mission(need.mission_id.clone()),
                Subject::Need(need.id.clone()),
            ]
        };
        let figures = || {
            vec![
                figure("assigned", assigned, "count"),
                figure("min-crew", min, "count"),
                figure("max-crew", max, "count"),
            ]
        };
        if assigned < min && need.unfilled_penalty > 0 {
            let empty = min - assigned;
            out.push(violation(
                COVER_UNDER,
                Severity::Soft,
                empty.saturating_mul(need.unfilled_penalty),
                subjects(),
                format!("{empty} of {min} {} places unfilled", need.skill),
                figures(),
            ));
        }
        if assigned > max {
            out.push(violation(
                COVER_OVER_MAX,
                Severity::Hard,
                assigned - max,
                subjects(),
                format!("{assigned} {} crew > {max} allowed", need.skill),
                figures(),
            ));
        }
    }
    out
}

#[cfg(target_arch = "wasm32")]
mod component;

#[cfg(test)]
mod tests {
    use super::*;
    use callsheet_plugin_sdk::types::Window;

    fn schedule(hours: &[i64]) -> Schedule {
        Schedule {
            technician_id: "t1".into(),
            shifts: hours
                .iter()
                .enumerate()
                .map(|(i, h)| Shift {
                    need_id: format!("n{i}"),
                    window: Window {
                        start: 0,
                        end: h * 3600,
                    },
                })
                .collect(),
        }
    }

    #[test]
    fn shifts_over_the_limit_are_hard_violations() {
        let evaluation = &evaluate(&[schedule(&[10, 11])], 10 * 3600)[0];
        assert_eq!(
            evaluation.violations.len(),
            1,
            "10 h is allowed, 11 h is not"
        );
        assert_eq!(
            evaluation.violations[0].message,
            "shift of 11 h > 10 h allowed"
        );
        assert_eq!(evaluation.score, Score { hard: 60, soft: 0 });
    }

    /// The contract a copied template must keep: a technician with no shift still has
    /// an evaluation (their minimum rules live there), and empty places are reported.
    #[test]
    fn a_plan_answers_for_every_technician_and_every_need() {
        use callsheet_plugin_sdk::testing::{mission, need, problem, technician, window};
        use callsheet_plugin_sdk::types::Assignment;
        let show = mission("m1", "Show", "v1", window(0, 11 * 3600));
        let mut sound = need("n1", &show, "sound");
        sound.min_crew = 2;
        sound.max_crew = Some(2);
        let p = problem(
            window(0, 86_400),
            // Out of order on purpose: the answer is sorted by id.
            vec![
                technician("t3", &["sound"]),
                technician("t1", &["sound"]),
                technician("t2", &["sound"]),
            ],
            vec![show],
            vec![sound],
        );
        let assign = |t: &str, status| Assignment {
            id: None,
            need_id: "n1".into(),
            technician_id: t.into(),
            window: window(0, 11 * 3600),
            status,
            pinned: false,
        };
        let plan = Plan {
            assignments: vec![
                assign("t1", AssignmentStatus::Confirmed),
                assign("t2", AssignmentStatus::Declined),
            ],
        };
        let e = evaluate_plan(&p, &plan, 10 * 3600);
        let ids: Vec<&str> = e
            .schedules
            .iter()
            .map(|s| s.technician_id.as_str())
            .collect();
        assert_eq!(
            ids,
            ["t1", "t2", "t3"],
            "every technician, those without shifts too"
        );
        assert_eq!(
            e.schedules[0].violations[0].rule_id, RULE_ID,
            "t1's 11 h shift"
        );
        assert!(
            e.schedules[1].violations.is_empty(),
            "a declined shift is not worked"
        );
        assert_eq!(e.plan_violations.len(), 1);
        let under = &e.plan_violations[0];
        assert_eq!(under.rule_id, COVER_UNDER);
        assert_eq!(
            under.penalty, 100,
            "one empty place (the declined one) at 100"
        );
        assert_eq!(
            e.score,
            Score {
                hard: 60,
                soft: 100
            }
        );

        // Three on a need of two: over its maximum.
        let crowded = Plan {
            assignments: ["t1", "t2", "t3"]
                .iter()
                .map(|t| Assignment {
                    window: window(0, 3600),
                    ..assign(t, AssignmentStatus::Proposed)
                })
                .collect(),
        };
        let e = evaluate_plan(&p, &crowded, 10 * 3600);
        assert_eq!(e.plan_violations[0].rule_id, COVER_OVER_MAX);
        assert_eq!(e.score, Score { hard: 1, soft: 0 });
    }

    #[test]
    fn the_parameter_is_checked() {
        let param = |v| {
            vec![Param {
                name: PARAM.into(),
                value: v,
            }]
        };
        assert_eq!(max_seconds(&[]), Ok(36_000));
        assert_eq!(max_seconds(&param(Value::Int(12))), Ok(43_200));
        assert!(max_seconds(&param(Value::Int(0))).is_err());
        assert!(max_seconds(&param(Value::Text("ten".into()))).is_err());
    }
}

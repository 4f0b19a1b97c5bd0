//! An example rules plugin: every shift longer than `max-shift.hours` is a hard violation.
//!
//! The logic ([`evaluate`]) is plain Rust over the SDK's types, so it is unit-tested on the
//! native target; the `component` module is the thin WIT shell compiled for wasm32 only.

#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

use alloc::{format, string::String, vec, vec::Vec};

use callsheet_plugin_sdk::types::{
    Figure, Param, PluginInfo, RuleInfo, Schedule, ScheduleEvaluation, Score, Severity, Subject,
    Value, Violation,
};

pub const RULE_ID: &str = "example.max-shift";
pub const PARAM: &str = "max-shift.hours";
const DEFAULT_HOURS: i64 = 10;

/// What `describe()` answers: the rule and its one parameter.
pub fn describe() -> PluginInfo {
    PluginInfo {
        name: "example-max-shift".into(),
        version: "0.1.0".into(),
        description: "No shift longer than a maximum number of hours.".into(),
        rules: vec![RuleInfo {
            id: RULE_ID.into(),
            title: "Maximum shift length".into(),
            description: "A shift longer than `max-shift.hours` is refused.".into(),
            severity: Severity::Hard,
            params: vec![PARAM.into()],
        }],
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

#[cfg(target_arch = "wasm32")]
mod component;

#[cfg(test)]
mod tests {
    use super::*;
    use callsheet_plugin_sdk::types::{Shift, Window};

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

//! Results and failures: figures, violations, scores and plugin errors, built the same way
//! by every plugin and sorted so that no output depends on an iteration order.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Ordering;

use crate::types::{Figure, ParamError, PluginError, Score, Severity, Subject, Violation};

/// A named figure with its unit ("rest", 34200, "s").
pub fn figure(name: &str, value: i64, unit: &str) -> Figure {
    Figure {
        name: name.to_owned(),
        value,
        unit: unit.to_owned(),
    }
}

/// A violation. The penalty is raised to 1 if lower, since the contract says a violation
/// always costs something (a zero-cost rule is simply not reported).
pub fn violation(
    rule_id: &str,
    severity: Severity,
    penalty: i64,
    subjects: Vec<Subject>,
    message: String,
    figures: Vec<Figure>,
) -> Violation {
    Violation {
        rule_id: rule_id.to_owned(),
        severity,
        penalty: penalty.max(1),
        subjects,
        message,
        figures,
    }
}

/// The score of a list of violations: hard and soft penalties summed (saturating, so a
/// hostile parameter cannot overflow into a trap).
pub fn score_of(violations: &[Violation]) -> Score {
    violations
        .iter()
        .fold(Score { hard: 0, soft: 0 }, |s, v| add(s, score_of_one(v)))
}

/// The score of one violation.
pub fn score_of_one(v: &Violation) -> Score {
    match v.severity {
        Severity::Hard => Score {
            hard: v.penalty,
            soft: 0,
        },
        Severity::Soft => Score {
            hard: 0,
            soft: v.penalty,
        },
    }
}

/// Two scores added.
pub fn add(a: Score, b: Score) -> Score {
    Score {
        hard: a.hard.saturating_add(b.hard),
        soft: a.soft.saturating_add(b.soft),
    }
}

/// Orders subjects by kind (technician, mission, need, venue, room, day), then value.
pub fn compare_subjects(a: &Subject, b: &Subject) -> Ordering {
    fn key(s: &Subject) -> (u8, &str, i32) {
        match s {
            Subject::Technician(id) => (0, id, 0),
            Subject::Mission(id) => (1, id, 0),
            Subject::Need(id) => (2, id, 0),
            Subject::Venue(id) => (3, id, 0),
            Subject::Room(id) => (4, id, 0),
            Subject::Day(d) => (5, "", *d),
        }
    }
    key(a).cmp(&key(b))
}

/// Sorts violations as the contract asks (rule id, then first subject), breaking the
/// remaining ties on all subjects, the message and the penalty so that the order is total.
pub fn sort_violations(violations: &mut [Violation]) {
    violations.sort_by(|a, b| {
        a.rule_id
            .cmp(&b.rule_id)
            .then_with(|| {
                for (x, y) in a.subjects.iter().zip(&b.subjects) {
                    let o = compare_subjects(x, y);
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                a.subjects.len().cmp(&b.subjects.len())
            })
            .then_with(|| a.message.cmp(&b.message))
            .then_with(|| a.penalty.cmp(&b.penalty))
    });
}

/// Sorts subjects and removes duplicates.
pub fn normalize_subjects(subjects: &mut Vec<Subject>) {
    subjects.sort_by(compare_subjects);
    subjects.dedup_by(|a, b| compare_subjects(a, b) == Ordering::Equal);
}

/// Why a call failed as a whole; becomes a WIT `plugin-error` with its stable code.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// The input breaks a documented invariant ("invalid-input").
    InvalidInput(String),
    /// The parameters are refused ("invalid-params"), with every error.
    InvalidParams(Vec<ParamError>),
    /// A feature the plugin does not implement ("unsupported").
    Unsupported(String),
}

impl Failure {
    /// The stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            Failure::InvalidInput(_) => "invalid-input",
            Failure::InvalidParams(_) => "invalid-params",
            Failure::Unsupported(_) => "unsupported",
        }
    }
}

impl From<Failure> for PluginError {
    fn from(f: Failure) -> PluginError {
        let message = match &f {
            Failure::InvalidInput(m) | Failure::Unsupported(m) => m.clone(),
            Failure::InvalidParams(errors) => errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        };
        PluginError {
            code: f.code().to_owned(),
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::{format, vec};

    #[test]
    fn violations_sort_by_rule_then_subject_and_scores_add_up() {
        let v = |rule: &str, sev, pen, tech: &str| {
            violation(
                rule,
                sev,
                pen,
                vec![Subject::Technician(tech.into())],
                format!("{rule} {tech}"),
                vec![],
            )
        };
        let mut list = vec![
            v("b", Severity::Soft, 3, "t1"),
            v("a", Severity::Hard, 0, "t2"),
            v("a", Severity::Hard, 5, "t1"),
        ];
        sort_violations(&mut list);
        let order: Vec<_> = list.iter().map(|v| v.message.clone()).collect();
        assert_eq!(order, vec!["a t1", "a t2", "b t1"]);
        assert_eq!(
            score_of(&list),
            Score { hard: 6, soft: 3 },
            "a zero penalty counts 1"
        );
    }

    #[test]
    fn failures_carry_their_code() {
        let e: PluginError = Failure::InvalidInput("bad".into()).into();
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("invalid-input", "bad")
        );
    }
}

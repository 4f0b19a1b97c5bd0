//! Cover, the plan-level rules: per need, places short of `min-crew` at its
//! `unfilled-penalty`, people above it at its `extra-penalty`, and people above `max-crew`
//! as a hard violation. With the converter's needs these are C&Q's cover terms exactly.

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use callsheet_plugin_sdk::calendar::date_label;
use callsheet_plugin_sdk::report::{figure, violation};
use callsheet_plugin_sdk::types::{Severity, Subject, Violation};

use crate::model::{Model, NeedInfo};
use crate::rules;

/// The cover violations, given the number of people on each need (indexed like
/// `model.needs`), in need order.
pub fn evaluate(model: &Model, staffed: &[u32]) -> Vec<Violation> {
    let mut violations = Vec::new();
    for (need, &count) in model.needs.iter().zip(staffed) {
        let (count, min, max) = (
            i64::from(count),
            i64::from(need.min_crew),
            i64::from(need.max_crew),
        );
        let under = (min - count).max(0);
        if under > 0 && need.unfilled_penalty > 0 {
            violations.push(one(
                need,
                rules::COVER_UNDER,
                Severity::Soft,
                under * need.unfilled_penalty,
                format!("{count} of {min} places filled"),
                count,
                "min",
                min,
                "missing",
                under,
            ));
        }
        let over = (count - min).max(0);
        if over > 0 && need.extra_penalty > 0 {
            violations.push(one(
                need,
                rules::COVER_OVER,
                Severity::Soft,
                over * need.extra_penalty,
                format!("{count} people for {min} places"),
                count,
                "min",
                min,
                "extra",
                over,
            ));
        }
        if count > max {
            violations.push(one(
                need,
                rules::COVER_MAX,
                Severity::Hard,
                count - max,
                format!("{count} people > {max} allowed"),
                count,
                "max",
                max,
                "excess",
                count - max,
            ));
        }
    }
    violations
}

#[allow(clippy::too_many_arguments)] // one call shape for three rules, figures in order
fn one(
    need: &NeedInfo,
    rule: &str,
    severity: Severity,
    penalty: i64,
    message: alloc::string::String,
    count: i64,
    limit_name: &str,
    limit: i64,
    gap_name: &str,
    gap: i64,
) -> Violation {
    violation(
        rule,
        severity,
        penalty,
        vec![
            Subject::Mission(need.mission_id.clone()),
            Subject::Need(need.id.clone()),
            Subject::Day(need.day),
        ],
        format!("{message} on {}", date_label(need.day)),
        vec![
            figure("staffed", count, "count"),
            figure(limit_name, limit, "count"),
            figure(gap_name, gap, "count"),
        ],
    )
}

//! Whether the tenant's rules admit a manual assignment.
//!
//! The technician's schedule is evaluated twice by the tenant's rules plugin, in one call:
//! as it is, and with the new assignment. Only violations the new assignment *adds* count
//! (a planner fixing Tuesday is not blocked by a problem on Friday). Overlaps are left to
//! the database, the one authority on double bookings (see `http::assignments`): it is
//! checked first for a clear answer, and enforced at the insert for the race.

use crate::plugins::PluginCall;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use tracing::Instrument as _;

use callsheet_engine::Configured;
use callsheet_runtime::types::{Problem, Schedule, ScheduleEvaluation, Severity, Shift, Violation};
use callsheet_runtime::{CallOutcome, RulesPlugin, Slot};
use chrono::Duration;
use serde_json::{Value, json};

use crate::audit::{self, EntryKind};
use crate::domain::AssignmentStatus;
use crate::domain::time::{Window, local_date, local_midnight};
use crate::domain::{TenantId, TimeZone, UserId};
use crate::planning::problem::{self, Scope};
use crate::state::AppState;
use crate::storage::planning::Assignment;

use super::PlanningError;

/// The rule the database enforces itself.
const OVERLAP_RULE: &str = "shift.overlap";

/// The violations a new assignment would add, as JSON (the contract's `violation`).
#[derive(Debug, Default)]
pub struct Admission {
    /// Refuse, unless an admin overrides.
    pub hard: Vec<Value>,
    /// Accept, and tell.
    pub soft: Vec<Value>,
}

/// Checks `candidate` (not stored yet) against the technician's state and the tenant's
/// rules; `None` when its need is no longer in the schedule the check reads (its mission
/// was cancelled, deleted or moved since the need was read): check again.
pub async fn check(
    state: &AppState,
    tenant: TenantId,
    tz: TimeZone,
    candidate: &Assignment,
) -> Result<Option<Admission>, PlanningError> {
    let technician = state
        .storage
        .technician(tenant, candidate.technician_id)
        .await?
        .ok_or(PlanningError::UnknownTechnician)?;
    if !technician.active {
        return Err(PlanningError::InactiveTechnician {
            name: technician.name,
        });
    }
    let horizon = days_around(candidate.window, tz);
    let theirs = state
        .storage
        .technician_assignments(tenant, candidate.technician_id, horizon)
        .await?;
    if let Some(clash) = theirs
        .iter()
        .find(|a| a.status != AssignmentStatus::Declined && a.window.overlaps(&candidate.window))
    {
        let local = |t| crate::domain::time::local(t, tz).format("%Y-%m-%d %H:%M");
        return Err(PlanningError::AlreadyAssigned {
            name: technician.name,
            from: local(clash.window.start()).to_string(),
            to: local(clash.window.end()).to_string(),
            assignment: clash.id,
            mission: clash.mission_id,
        });
    }

    // The mission's crew come along, for incompatibilities and affinities.
    let crew = state
        .storage
        .list_assignments(
            tenant,
            &crate::storage::planning::AssignmentFilter {
                mission: Some(candidate.mission_id),
                ..Default::default()
            },
            crate::domain::PageRequest::FIRST_LARGEST,
        )
        .await?
        .0;
    let mut technicians: BTreeSet<_> = crew.iter().map(|a| a.technician_id).collect();
    technicians.insert(candidate.technician_id);
    let scope = Scope {
        horizon,
        missions: None,
        technicians: Some(technicians),
    };
    let (rules, mut problem) =
        crate::planning::runs::rules_and_problem(state, tenant, tz, &scope).await?;
    let candidate_wit = problem::to_wit(candidate);
    let planned = problem
        .needs
        .iter()
        .any(|n| n.id == candidate_wit.need_id && n.window == candidate_wit.window);
    if !planned {
        return Ok(None);
    }
    // A declined assignment brought back is in the problem already, as declined.
    problem.assignments.retain(|a| a.id != candidate_wit.id);
    problem.assignments.push(candidate_wit.clone());
    problem
        .assignments
        .sort_by(|a, b| (&a.need_id, &a.technician_id).cmp(&(&b.need_id, &b.technician_id)));

    let tech_id = candidate.technician_id.to_string();
    let before: Vec<Shift> = problem
        .assignments
        .iter()
        .filter(|a| {
            a.technician_id == tech_id
                && a.status != callsheet_runtime::types::AssignmentStatus::Declined
                && a.id != candidate_wit.id
        })
        .map(|a| Shift {
            need_id: a.need_id.clone(),
            window: a.window,
        })
        .collect();
    let mut after = before.clone();
    after.push(Shift {
        need_id: candidate_wit.need_id.clone(),
        window: candidate_wit.window,
    });
    let schedules = vec![
        Schedule {
            technician_id: tech_id.clone(),
            shifts: before,
        },
        Schedule {
            technician_id: tech_id,
            shifts: after,
        },
    ];
    let evaluations = evaluate(state, &rules, problem, schedules).await?;
    let [before, after] = evaluations.as_slice() else {
        return Err(PlanningError::internal(
            "the rules plugin did not evaluate both schedules",
        ));
    };
    Ok(Some(added(&before.violations, &after.violations)))
}

/// The tenant's rules on `schedules` (one evaluation each, in order), in a session opened
/// on `problem`: one plugin call, counted in the metrics with its fuel.
pub(super) async fn evaluate(
    state: &AppState,
    rules: &Configured<RulesPlugin>,
    problem: Problem,
    schedules: Vec<Schedule>,
) -> Result<Vec<ScheduleEvaluation>, PlanningError> {
    let expected = schedules.len();
    let call = PluginCall::start(Slot::Rules);
    let evaluated = async {
        let session = rules
            .plugin
            .open_async(Arc::new(problem), rules.params.clone())
            .await?;
        let evaluations = session.value.evaluate_schedules_async(schedules).await?;
        Ok::<_, callsheet_runtime::Error>(CallOutcome {
            value: evaluations.value,
            fuel_used: session.fuel_used + evaluations.fuel_used,
        })
    }
    .instrument(call.span())
    .await;
    call.end(
        &state.metrics,
        evaluated
            .as_ref()
            .map(|o| Some(o.fuel_used))
            .map_err(callsheet_runtime::Error::code),
    );
    let evaluations = evaluated?.value;
    if evaluations.len() != expected {
        return Err(PlanningError::internal(
            "the rules plugin did not evaluate every schedule",
        ));
    }
    Ok(evaluations)
}

/// The local days of `window`, with a day before and after it for rest rules: what a
/// check of shifts in `window` reads of the technicians' schedules.
pub(super) fn days_around(window: Window, tz: TimeZone) -> Window {
    Window::new(
        local_midnight(tz, local_date(window.start(), tz) - Duration::days(1)),
        local_midnight(tz, local_date(window.end(), tz) + Duration::days(2)),
    )
    .expect("the day before a window starts ends before the day after it ends")
}

/// The violations of `after` that `before` did not have (as a multiset, by rule and
/// message), split by severity; overlaps left out.
pub(super) fn added(before: &[Violation], after: &[Violation]) -> Admission {
    let mut seen: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for v in before {
        *seen.entry((&v.rule_id, &v.message)).or_default() += 1;
    }
    let mut admission = Admission::default();
    for v in after {
        if let Some(count) = seen.get_mut(&(v.rule_id.as_str(), v.message.as_str()))
            && *count > 0
        {
            *count -= 1;
            continue;
        }
        if v.rule_id == OVERLAP_RULE {
            continue;
        }
        let value = serde_json::to_value(v).unwrap_or(Value::Null);
        match v.severity {
            Severity::Hard => admission.hard.push(value),
            Severity::Soft => admission.soft.push(value),
        }
    }
    admission
}

/// Appends an admin's override to the audit chain.
pub async fn record_override(
    state: &AppState,
    tenant: TenantId,
    actor: UserId,
    assignment: &Assignment,
    violations: &[Value],
) -> Result<(), PlanningError> {
    let payload = json!({
        "assignment_id": assignment.id,
        "need_id": assignment.need_id,
        "mission_id": assignment.mission_id,
        "technician_id": assignment.technician_id,
        "window": {"start": assignment.window.start(), "end": assignment.window.end()},
        "reason": assignment.override_reason,
        "violations": violations,
    });
    audit::append(
        &state.storage,
        tenant,
        EntryKind::Override,
        Some(actor),
        &payload,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(rule: &str, severity: Severity, message: &str) -> Violation {
        Violation {
            rule_id: rule.into(),
            severity,
            penalty: 1,
            subjects: vec![],
            message: message.into(),
            figures: vec![],
        }
    }

    #[test]
    fn only_what_the_new_shift_adds_counts_and_overlaps_are_the_databases() {
        let before = [v("rest.daily", Severity::Hard, "rest 9 h < 11 h on Friday")];
        let after = [
            v("rest.daily", Severity::Hard, "rest 9 h < 11 h on Friday"),
            v("rest.daily", Severity::Hard, "rest 8 h < 11 h on Tuesday"),
            v("shift.overlap", Severity::Hard, "two shifts at once"),
            v("venue.avoided", Severity::Soft, "avoids this venue"),
        ];
        let admission = added(&before, &after);
        assert_eq!(admission.hard.len(), 1);
        assert_eq!(admission.hard[0]["message"], "rest 8 h < 11 h on Tuesday");
        assert_eq!(admission.soft.len(), 1);
    }
}

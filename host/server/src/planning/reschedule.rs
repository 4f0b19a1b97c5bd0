//! Changing a mission or one of its needs while the crew's rules still hold.
//!
//! A move changes the schedule of everyone assigned to the mission: a later start can cut
//! a technician's rest before their next job, a longer need can take their week over its
//! maximum. So a change that alters what the rules read of the mission (its window, venue,
//! room, attributes; a need's window, skill, shift type, attributes) is checked as a manual
//! assignment is: every crew member's schedule is evaluated by the tenant's rules as it is
//! and as it would be, and a change that adds a hard violation to anyone's schedule is
//! refused, naming each one. There is no override: the planner unassigns the technician
//! first, or moves the mission elsewhere.
//!
//! The rules run outside the write, against counters read before anything else (the
//! mission's crew counter, then each crew member's schedule counter); the write compares
//! and bumps them in one transaction and the whole check runs again when one moved (a crew
//! member added, another assignment of theirs...). So a move racing an assignment of the
//! same technician elsewhere is refused or seen by the other, never both admitted when
//! only together they break a rule (ADR 0004).

use std::collections::BTreeSet;

use callsheet_runtime::types::{AssignmentStatus as WitStatus, Problem, Schedule, Shift};

use crate::domain::{MissionId, MissionStatus, NeedId, TenantId, TimeZone};
use crate::state::AppState;
use crate::storage::planning::{
    Mission, MissionUpdate, MissionWithNeeds, Need, NeedUpdate, ScheduleSnapshot,
};

use super::PlanningError;
use super::admission::{self, Admission};
use super::problem::{self, Scope};

/// As [`super::assign`]: each retry follows another write that committed.
const ATTEMPTS: usize = 8;

/// Writes `next` (with its needs moved along, `needs`) over `current` once no crew member's
/// rules object; `current` is what the caller read and built `next` from.
pub async fn update_mission(
    state: &AppState,
    tenant: TenantId,
    tz: TimeZone,
    current: &MissionWithNeeds,
    next: Mission,
    needs: Vec<Need>,
) -> Result<MissionWithNeeds, PlanningError> {
    for _ in 0..ATTEMPTS {
        let snapshot = state
            .storage
            .crew_snapshot(tenant, current.mission.id)
            .await?;
        // Cancelling only takes shifts away.
        if next.status != MissionStatus::Cancelled {
            check_crew(
                state,
                tenant,
                tz,
                &snapshot,
                (&current.mission, &current.needs),
                (&next, &needs),
            )
            .await?;
        }
        let written = state
            .storage
            .update_mission(
                tenant,
                next.clone(),
                needs.clone(),
                current.mission.updated_at,
                &snapshot,
            )
            .await;
        match written {
            Ok(MissionUpdate::Updated(mission)) => return Ok(*mission),
            Ok(MissionUpdate::NotFound) => return Err(PlanningError::UnknownMission),
            Ok(MissionUpdate::Stale) => return Err(PlanningError::MissionEdited),
            Ok(MissionUpdate::ScheduleChanged) => {}
            Err(e) if e.is_transient() => {}
            Err(e) => return Err(e.into()),
        }
        tokio::task::yield_now().await;
    }
    Err(PlanningError::ScheduleBusy)
}

/// Changes need `id` of `mission` to what `build` makes of it (given the need and its
/// mission as they are), once no crew member's rules object. `build` runs again on fresh
/// data when the schedule changed under the check.
pub async fn update_need<E>(
    state: &AppState,
    tenant: TenantId,
    tz: TimeZone,
    mission: MissionId,
    id: NeedId,
    build: impl Fn(&Need, &Mission) -> Result<Need, E>,
) -> Result<Need, E>
where
    E: From<PlanningError>,
{
    for _ in 0..ATTEMPTS {
        // Before the need is read: a move of its mission in between moves the counter.
        let snapshot = state
            .storage
            .crew_snapshot(tenant, mission)
            .await
            .map_err(PlanningError::from)?;
        let current = state
            .storage
            .mission(tenant, mission)
            .await
            .map_err(PlanningError::from)?
            .ok_or(PlanningError::UnknownNeedOfMission)?;
        let need = current
            .needs
            .iter()
            .find(|n| n.id == id)
            .ok_or(PlanningError::UnknownNeedOfMission)?;
        let next = build(need, &current.mission)?;
        if current.mission.status != MissionStatus::Cancelled {
            let after: Vec<Need> = current
                .needs
                .iter()
                .map(|n| if n.id == id { next.clone() } else { n.clone() })
                .collect();
            check_crew(
                state,
                tenant,
                tz,
                &snapshot,
                (&current.mission, &current.needs),
                (&current.mission, &after),
            )
            .await?;
        }
        match state.storage.update_need(tenant, next, &snapshot).await {
            Ok(NeedUpdate::Updated(need)) => return Ok(need),
            Ok(NeedUpdate::NotFound) => return Err(PlanningError::UnknownNeedOfMission.into()),
            Ok(NeedUpdate::ScheduleChanged) => {}
            Err(e) if e.is_transient() => {}
            Err(e) => return Err(PlanningError::from(e).into()),
        }
        tokio::task::yield_now().await;
    }
    Err(PlanningError::ScheduleBusy.into())
}

/// Refuses the change from `before` to `after` (a mission and its needs) when it adds a
/// hard violation to a crew member's schedule; the crew is `snapshot`'s technicians.
async fn check_crew(
    state: &AppState,
    tenant: TenantId,
    tz: TimeZone,
    snapshot: &ScheduleSnapshot,
    before: (&Mission, &[Need]),
    after: (&Mission, &[Need]),
) -> Result<(), PlanningError> {
    if snapshot.technicians.is_empty() {
        return Ok(());
    }
    let crew: BTreeSet<_> = snapshot.technicians.keys().copied().collect();
    let scope = Scope {
        horizon: admission::days_around(before.0.window.hull(after.0.window), tz),
        missions: None,
        technicians: Some(crew),
    };
    let (rules, base) = super::runs::rules_and_problem(state, tenant, tz, &scope).await?;
    // Both sides carry the new title: it only names the mission in violation messages,
    // which are compared by text, so a crew member's existing violation (an override)
    // must not read as a new one because the mission was renamed.
    let renamed = Mission {
        title: after.0.title.clone(),
        ..before.0.clone()
    };
    let problem_before = problem::with_mission(&base, &renamed, before.1);
    let problem_after = problem::with_mission(&base, after.0, after.1);
    if problem_after == problem_before {
        // Nothing the rules read changes (a title, notes).
        return Ok(());
    }
    let mut refused = Admission::default();
    let before_schedules = schedules(&problem_before, snapshot);
    let after_schedules = schedules(&problem_after, snapshot);
    let before_evaluations =
        admission::evaluate(state, &rules, problem_before, before_schedules).await?;
    let after_evaluations =
        admission::evaluate(state, &rules, problem_after, after_schedules).await?;
    for (was, will) in before_evaluations.iter().zip(&after_evaluations) {
        let added = admission::added(&was.violations, &will.violations);
        refused.hard.extend(added.hard);
        refused.soft.extend(added.soft);
    }
    if refused.hard.is_empty() {
        return Ok(());
    }
    Err(PlanningError::ChangeViolatesRules {
        violations: refused.hard,
        warnings: refused.soft,
    })
}

/// Each crew member's planned shifts in `problem` (declined ones left out), by id; a
/// deactivated technician is not in the problem and has no rules to break.
fn schedules(problem: &Problem, snapshot: &ScheduleSnapshot) -> Vec<Schedule> {
    snapshot
        .technicians
        .keys()
        .map(ToString::to_string)
        .filter(|id| problem.technicians.iter().any(|t| &t.id == id))
        .map(|id| {
            let shifts = problem
                .assignments
                .iter()
                .filter(|a| a.technician_id == id && a.status != WitStatus::Declined)
                .map(|a| Shift {
                    need_id: a.need_id.clone(),
                    window: a.window,
                })
                .collect();
            Schedule {
                technician_id: id,
                shifts,
            }
        })
        .collect()
}

//! A timesheet's life: created from an assignment that took place (or as unplanned work),
//! edited while a draft, submitted, approved or sent back, excluded, deleted.
//!
//! Each change is computed from the stored timesheet and written only if nobody wrote it
//! in between (its version); otherwise it is computed again from the new state.

use chrono::{DateTime, Utc};

use super::{ATTEMPTS, Scope, TimesheetError};
use crate::domain::time::{Window, now, to_second};
use crate::domain::{
    AssignmentId, AssignmentStatus, ContractKind, MAX_CACHETS, MissionId, PageRequest, Shift,
    TechnicianId, TenantId, TimeZone, TimesheetId, TimesheetState, UserId,
};
use crate::storage::{DynStorage, StorageError, Timesheet, TimesheetFilter, TimesheetWrite};

/// Who acts, on whose timesheets, in which zone.
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    pub user: UserId,
    pub scope: Scope,
    pub tz: TimeZone,
}

/// A timesheet to create. With `assignment`, every other field defaults from the plan
/// (its window, no break, one cachet for a cachet contract); without, it records unplanned
/// work and needs the technician, the mission and the times (planners only).
#[derive(Debug, Clone, Default)]
pub struct NewSheet {
    pub assignment: Option<AssignmentId>,
    pub technician: Option<TechnicianId>,
    pub mission: Option<MissionId>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub breaks: Option<Vec<Window>>,
    pub cachets: Option<u32>,
    pub note: Option<String>,
}

/// The fields a draft's edit may change; `None` keeps one, `note: Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct SheetEdit {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub breaks: Option<Vec<Window>>,
    pub cachets: Option<u32>,
    pub note: Option<Option<String>>,
}

/// A state change a manager or the technician asks for.
#[derive(Debug, Clone)]
pub enum Decision {
    /// The technician (or a planner for them) hands a draft in.
    Submit,
    /// A planner accepts a submitted timesheet.
    Approve,
    /// A planner sends a submitted or approved timesheet back to draft.
    Reject { reason: String },
    /// A planner leaves it out of pay.
    Exclude { reason: String },
}

impl Decision {
    fn rule(&self) -> (&'static [TimesheetState], &'static str, &'static str) {
        use TimesheetState::{Approved, Draft, Submitted};
        match self {
            Decision::Submit => (&[Draft], "submitted", "draft"),
            Decision::Approve => (&[Submitted], "approved", "submitted"),
            Decision::Reject { .. } => {
                (&[Submitted, Approved], "rejected", "submitted or approved")
            }
            Decision::Exclude { .. } => (
                &[Draft, Submitted, Approved],
                "excluded",
                "draft, submitted or approved",
            ),
        }
    }
}

/// Creates a timesheet (see [`NewSheet`]).
pub async fn create(
    storage: &DynStorage,
    tenant: TenantId,
    actor: Actor,
    new: NewSheet,
) -> Result<Timesheet, TimesheetError> {
    let at = now();
    let (technician, mission, planned) = match new.assignment {
        Some(id) => {
            let a = storage.assignment(tenant, id).await?.ok_or_else(|| {
                TimesheetError::invalid(
                    "assignment_id",
                    format!("there is no assignment {id} in this tenant"),
                )
            })?;
            if !actor.scope.may_see(a.technician_id) {
                return Err(TimesheetError::NotYours(
                    "a technician records only their own assignments",
                ));
            }
            if a.status == AssignmentStatus::Declined {
                return Err(TimesheetError::AssignmentDeclined);
            }
            // Asked first for a clear answer: the insert would also meet the technician's
            // timesheet over the same time. The unique index holds under races.
            let existing = TimesheetFilter {
                assignment: Some(id),
                ..TimesheetFilter::default()
            };
            let (_, recorded) = storage
                .list_timesheets(
                    tenant,
                    &existing,
                    PageRequest::new(None, Some(1)).expect("a valid page"),
                )
                .await?;
            if recorded > 0 {
                return Err(TimesheetError::AlreadyRecorded);
            }
            for (given, field, stored) in [
                (
                    new.technician.map(|t| t.0),
                    "technician_id",
                    a.technician_id.0,
                ),
                (new.mission.map(|m| m.0), "mission_id", a.mission_id.0),
            ] {
                if given.is_some_and(|g| g != stored) {
                    return Err(TimesheetError::invalid(
                        field,
                        "does not match the assignment's; leave it out",
                    ));
                }
            }
            (a.technician_id, a.mission_id, Some(a.window))
        }
        None => {
            if actor.scope != Scope::Everyone {
                return Err(TimesheetError::NotYours(
                    "a technician records work through their assignments (`assignment_id`); a manager adds unplanned work",
                ));
            }
            let technician = new.technician.ok_or_else(|| {
                TimesheetError::invalid("technician_id", "is required without `assignment_id`")
            })?;
            let mission = new.mission.ok_or_else(|| {
                TimesheetError::invalid("mission_id", "is required without `assignment_id`")
            })?;
            if storage.mission(tenant, mission).await?.is_none() {
                return Err(TimesheetError::invalid(
                    "mission_id",
                    format!("there is no mission {mission} in this tenant"),
                ));
            }
            if new.start.is_none() || new.end.is_none() {
                let field = if new.start.is_none() { "start" } else { "end" };
                return Err(TimesheetError::invalid(
                    field,
                    "is required without `assignment_id`",
                ));
            }
            (technician, mission, None)
        }
    };
    let person = storage
        .technician(tenant, technician)
        .await?
        .ok_or_else(|| {
            TimesheetError::invalid(
                "technician_id",
                format!("there is no technician {technician} in this tenant"),
            )
        })?;
    let start = new
        .start
        .or(planned.map(|p| p.start()))
        .expect("checked above");
    let end = new.end.or(planned.map(|p| p.end())).expect("checked above");
    let shift = shift(start, end, new.breaks.unwrap_or_default(), actor.tz)?;
    if shift.window().start() > at {
        return Err(TimesheetError::not_started(
            shift.window().start(),
            actor.tz,
        ));
    }
    let cachets = match new.cachets {
        Some(c) => checked_cachets(c)?,
        None => u32::from(person.contract.kind == ContractKind::Cachet),
    };
    let sheet = Timesheet {
        id: TimesheetId::new(),
        technician_id: technician,
        mission_id: mission,
        assignment_id: new.assignment,
        window: shift.window(),
        worked_seconds: shift.worked_seconds(),
        breaks: shift.breaks().to_vec(),
        cachets,
        planned,
        version: 0,
        state: TimesheetState::Draft,
        note: new.note,
        reason: None,
        submitted_at: None,
        decided_by: None,
        decided_at: None,
        created_by: Some(actor.user),
        created_at: at,
        updated_at: at,
    };
    match storage.create_timesheet(tenant, &sheet).await {
        Ok(TimesheetWrite::Done(Some(written))) => Ok(*written),
        Ok(TimesheetWrite::PeriodClosed(period)) => Err(TimesheetError::PeriodClosed { period }),
        Ok(other) => Err(TimesheetError::Storage(StorageError::Open(format!(
            "unexpected answer to an insert: {other:?}"
        )))),
        Err(StorageError::Duplicate { .. }) => Err(TimesheetError::AlreadyRecorded),
        Err(StorageError::TimeOverlap) => Err(TimesheetError::Overlap),
        Err(e) => Err(e.into()),
    }
}

/// One timesheet the actor may see.
pub async fn get(
    storage: &DynStorage,
    tenant: TenantId,
    scope: Scope,
    id: TimesheetId,
) -> Result<Timesheet, TimesheetError> {
    storage
        .timesheet(tenant, id)
        .await?
        .filter(|t| scope.may_see(t.technician_id))
        .ok_or(TimesheetError::NotFound)
}

/// Edits a draft.
pub async fn edit(
    storage: &DynStorage,
    tenant: TenantId,
    actor: Actor,
    id: TimesheetId,
    edit: SheetEdit,
) -> Result<Timesheet, TimesheetError> {
    changed(storage, tenant, actor, id, |current| {
        if current.state != TimesheetState::Draft {
            return Err(TimesheetError::WrongState {
                state: current.state,
                action: "edited",
                allowed: "draft",
            });
        }
        let start = edit.start.unwrap_or(current.window.start());
        let end = edit.end.unwrap_or(current.window.end());
        let breaks = edit
            .breaks
            .clone()
            .unwrap_or_else(|| current.breaks.clone());
        let shift = shift(start, end, breaks, actor.tz)?;
        if shift.window().start() > now() {
            return Err(TimesheetError::not_started(
                shift.window().start(),
                actor.tz,
            ));
        }
        let mut next = current.clone();
        next.window = shift.window();
        next.worked_seconds = shift.worked_seconds();
        next.breaks = shift.breaks().to_vec();
        if let Some(c) = edit.cachets {
            next.cachets = checked_cachets(c)?;
        }
        if let Some(note) = &edit.note {
            next.note.clone_from(note);
        }
        Ok(next)
    })
    .await
}

/// Moves a timesheet on (see [`Decision`]).
pub async fn decide(
    storage: &DynStorage,
    tenant: TenantId,
    actor: Actor,
    id: TimesheetId,
    decision: Decision,
) -> Result<Timesheet, TimesheetError> {
    let (from, action, allowed) = decision.rule();
    changed(storage, tenant, actor, id, |current| {
        if !from.contains(&current.state) {
            return Err(TimesheetError::WrongState {
                state: current.state,
                action,
                allowed,
            });
        }
        let at = now();
        let mut next = current.clone();
        match &decision {
            Decision::Submit => {
                next.state = TimesheetState::Submitted;
                next.submitted_at = Some(at);
            }
            Decision::Approve => {
                next.state = TimesheetState::Approved;
                next.reason = None;
                next.decided_by = Some(actor.user);
                next.decided_at = Some(at);
            }
            Decision::Reject { reason } => {
                next.state = TimesheetState::Draft;
                next.reason = Some(reason.clone());
                next.decided_by = Some(actor.user);
                next.decided_at = Some(at);
            }
            Decision::Exclude { reason } => {
                next.state = TimesheetState::Excluded;
                next.reason = Some(reason.clone());
                next.decided_by = Some(actor.user);
                next.decided_at = Some(at);
            }
        }
        Ok(next)
    })
    .await
}

/// Deletes a draft.
pub async fn delete(
    storage: &DynStorage,
    tenant: TenantId,
    actor: Actor,
    id: TimesheetId,
) -> Result<(), TimesheetError> {
    for _ in 0..ATTEMPTS {
        let current = get(storage, tenant, actor.scope, id).await?;
        if let Some(period) = storage
            .closed_period_at(tenant, current.window.start())
            .await?
        {
            return Err(TimesheetError::PeriodClosed { period });
        }
        if current.state != TimesheetState::Draft {
            return Err(TimesheetError::WrongState {
                state: current.state,
                action: "deleted",
                allowed: "draft",
            });
        }
        match storage.delete_timesheet(tenant, id, current.version).await {
            Ok(TimesheetWrite::Done(_)) => return Ok(()),
            Ok(TimesheetWrite::NotFound) => return Err(TimesheetError::NotFound),
            Ok(TimesheetWrite::PeriodClosed(period)) => {
                return Err(TimesheetError::PeriodClosed { period });
            }
            Ok(TimesheetWrite::Stale) => {}
            Err(e) if e.is_transient() => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(TimesheetError::Busy)
}

/// Reads the timesheet, computes its next state with `next` and writes it if nobody wrote
/// it meanwhile; otherwise starts again from what is stored.
async fn changed<F>(
    storage: &DynStorage,
    tenant: TenantId,
    actor: Actor,
    id: TimesheetId,
    next: F,
) -> Result<Timesheet, TimesheetError>
where
    F: Fn(&Timesheet) -> Result<Timesheet, TimesheetError>,
{
    for _ in 0..ATTEMPTS {
        let current = get(storage, tenant, actor.scope, id).await?;
        // A closed period answers first: no other reason matters once it is closed.
        if let Some(period) = storage
            .closed_period_at(tenant, current.window.start())
            .await?
        {
            return Err(TimesheetError::PeriodClosed { period });
        }
        let mut updated = next(&current)?;
        updated.updated_at = now();
        match storage.update_timesheet(tenant, &updated).await {
            Ok(TimesheetWrite::Done(Some(written))) => return Ok(*written),
            Ok(TimesheetWrite::Done(None) | TimesheetWrite::NotFound) => {
                return Err(TimesheetError::NotFound);
            }
            Ok(TimesheetWrite::PeriodClosed(period)) => {
                return Err(TimesheetError::PeriodClosed { period });
            }
            Ok(TimesheetWrite::Stale) => {}
            Err(StorageError::TimeOverlap) => return Err(TimesheetError::Overlap),
            Err(e) if e.is_transient() => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(TimesheetError::Busy)
}

fn shift(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    breaks: Vec<Window>,
    tz: TimeZone,
) -> Result<Shift, TimesheetError> {
    let window = Window::new(to_second(start), to_second(end)).map_err(|e| {
        TimesheetError::invalid(
            "end",
            format!(
                "{} (start {}, end {}, {})",
                e.reason,
                crate::domain::time::local(start, tz).to_rfc3339(),
                crate::domain::time::local(end, tz).to_rfc3339(),
                tz.name()
            ),
        )
    })?;
    Shift::new(window, breaks, tz).map_err(|e| TimesheetError::Invalid {
        field: e.field,
        reason: e.reason,
    })
}

fn checked_cachets(c: u32) -> Result<u32, TimesheetError> {
    if c > MAX_CACHETS {
        return Err(TimesheetError::invalid(
            "cachets",
            format!("at most {MAX_CACHETS} per timesheet"),
        ));
    }
    Ok(c)
}

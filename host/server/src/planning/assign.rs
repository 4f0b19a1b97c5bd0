//! A manual assignment: checked against the tenant's rules, written only while that check
//! still holds.
//!
//! The rules plugin runs outside the write (it takes milliseconds; holding a database
//! transaction open across it would queue every writer behind it). Instead the check reads
//! two counters first -- the technician's schedule version and the mission's crew version
//! -- and the insert happens in a transaction that compares and bumps both, re-reads the
//! need (window, mission status, maximum crew) and lets the database refuse a double
//! booking. Every write that adds to or moves a technician's shifts, or changes what
//! their rules read, bumps their counter; every write that changes a mission's crew or
//! needs bumps the mission's. When a counter moved, the whole check runs again on fresh
//! data. So no interleaving of requests yields a hard violation that none of them would
//! have been admitted with alone (ADR 0004), and a move, cancel or delete of the mission
//! racing the assignment is seen by one of the two.

use serde_json::Value;

use crate::domain::time::now;
use crate::domain::{
    AssignmentId, AssignmentSource, AssignmentStatus, MissionStatus, NeedId, TechnicianId,
    TenantId, TimeZone, UserId,
};
use crate::state::AppState;
use crate::storage::planning::{Admitted, Assignment, AssignmentInsert, Mission, Need};

use super::PlanningError;
use super::admission::{self, Admission};

/// How many times the check runs again after the schedule changed under it. Each retry is
/// caused by another write that committed, so the system as a whole progresses; a request
/// that loses this many times in a row answers `ScheduleBusy` rather than wait.
const ATTEMPTS: usize = 8;

/// What a planner asks for; the API has checked the fields' shapes.
#[derive(Debug, Clone)]
pub struct ManualAssignment {
    pub need: NeedId,
    pub technician: TechnicianId,
    /// Proposed or confirmed (never declined).
    pub status: AssignmentStatus,
    pub pinned: bool,
    /// Set only for a caller allowed to override hard rules, with a checked reason.
    pub override_reason: Option<String>,
    pub actor: UserId,
}

/// A written assignment and what the rules said.
#[derive(Debug)]
pub struct Assigned {
    pub assignment: Assignment,
    /// Soft violations it adds.
    pub warnings: Vec<Value>,
    /// Hard violations an admin's override let through (recorded in the audit chain).
    pub overridden: Vec<Value>,
}

/// Checks and writes `request` (see the module docs).
pub async fn assign(
    state: &AppState,
    tenant: TenantId,
    tz: TimeZone,
    request: &ManualAssignment,
) -> Result<Assigned, PlanningError> {
    retried(|| attempt(state, tenant, tz, request)).await
}

/// Runs `attempt` until it writes (`Some`), at most [`ATTEMPTS`] times.
async fn retried<F, Fut>(mut attempt: F) -> Result<Assigned, PlanningError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<Assigned>, PlanningError>>,
{
    for _ in 0..ATTEMPTS {
        match attempt().await {
            Ok(Some(assigned)) => return Ok(assigned),
            Ok(None) => {}
            // A PostgreSQL deadlock or serialisation failure: the same as a moved counter.
            Err(PlanningError::Storage(e)) if e.is_transient() => {}
            Err(e) => return Err(e),
        }
        tokio::task::yield_now().await;
    }
    Err(PlanningError::ScheduleBusy)
}

/// One check and write; `None` when the schedule changed under it.
async fn attempt(
    state: &AppState,
    tenant: TenantId,
    tz: TimeZone,
    request: &ManualAssignment,
) -> Result<Option<Assigned>, PlanningError> {
    let candidate = |need: &Need, mission: &Mission| {
        let at = now();
        Assignment {
            id: AssignmentId::new(),
            tenant_id: tenant,
            need_id: need.id,
            mission_id: mission.id,
            technician_id: request.technician,
            window: need.window,
            status: request.status,
            pinned: request.pinned,
            source: AssignmentSource::Manual,
            run_id: None,
            override_reason: request.override_reason.clone(),
            created_by: Some(request.actor),
            created_at: at,
            updated_at: at,
        }
    };
    let Some(Checked {
        candidate,
        admitted,
        admission: Admission { hard, soft },
    }) = check(
        state,
        tenant,
        tz,
        request.technician,
        request.need,
        candidate,
    )
    .await?
    else {
        return Ok(None);
    };
    if !hard.is_empty() && request.override_reason.is_none() {
        return Err(PlanningError::RulesViolation {
            violations: hard,
            warnings: soft,
        });
    }
    let inserted = state
        .storage
        .create_assignment(tenant, candidate.clone(), admitted)
        .await?;
    let Some(created) = written(inserted, &candidate)? else {
        return Ok(None);
    };
    if !hard.is_empty() {
        admission::record_override(state, tenant, request.actor, &created, &hard).await?;
    }
    Ok(Some(Assigned {
        assignment: created,
        warnings: soft,
        overridden: hard,
    }))
}

/// Brings a declined assignment back as `status` (proposed or confirmed): it adds a shift
/// to the technician's schedule, so it is checked and written as a new assignment is,
/// without the override (an admin assigns anew with a reason instead).
pub async fn reinstate(
    state: &AppState,
    tenant: TenantId,
    tz: TimeZone,
    id: AssignmentId,
    status: AssignmentStatus,
) -> Result<Assigned, PlanningError> {
    retried(|| reinstate_once(state, tenant, tz, id, status)).await
}

async fn reinstate_once(
    state: &AppState,
    tenant: TenantId,
    tz: TimeZone,
    id: AssignmentId,
    status: AssignmentStatus,
) -> Result<Option<Assigned>, PlanningError> {
    let current = state
        .storage
        .assignment(tenant, id)
        .await?
        .ok_or(PlanningError::UnknownAssignment)?;
    let candidate = |need: &Need, _: &Mission| Assignment {
        status,
        window: need.window,
        updated_at: now(),
        ..current.clone()
    };
    let (technician, need) = (current.technician_id, current.need_id);
    let Some(Checked {
        candidate,
        admitted,
        admission: Admission { hard, soft },
    }) = check(state, tenant, tz, technician, need, candidate).await?
    else {
        return Ok(None);
    };
    if !hard.is_empty() {
        return Err(PlanningError::RulesViolation {
            violations: hard,
            warnings: soft,
        });
    }
    let back = state
        .storage
        .reinstate_assignment(tenant, candidate.clone(), admitted)
        .await?;
    Ok(written(back, &candidate)?.map(|assignment| Assigned {
        assignment,
        warnings: soft,
        overridden: Vec::new(),
    }))
}

/// A candidate checked by the rules, and the counters the check read.
struct Checked {
    candidate: Assignment,
    admitted: Admitted,
    admission: Admission,
}

/// Reads the counters, then the need, builds the candidate and runs the rules; `None`
/// when something moved under the check.
async fn check(
    state: &AppState,
    tenant: TenantId,
    tz: TimeZone,
    technician: TechnicianId,
    need: NeedId,
    candidate: impl FnOnce(&Need, &Mission) -> Assignment,
) -> Result<Option<Checked>, PlanningError> {
    // Before anything the check reads: a write committed after this point moves them.
    let versions = state
        .storage
        .schedule_versions(tenant, technician, need)
        .await?;
    let (need, mission) = state
        .storage
        .need(tenant, need)
        .await?
        .ok_or(PlanningError::UnknownNeed)?;
    if mission.status == MissionStatus::Cancelled {
        return Err(PlanningError::MissionCancelled {
            mission: mission.id,
        });
    }
    let candidate = candidate(&need, &mission);
    let Some(admission) = admission::check(state, tenant, tz, &candidate).await? else {
        return Ok(None);
    };
    // The need and the technician both existed when the check read them; no counters
    // means one of them was created after the counters were read.
    let Some(versions) = versions else {
        return Ok(None);
    };
    let admitted = Admitted {
        versions,
        need_window: need.window,
    };
    Ok(Some(Checked {
        candidate,
        admitted,
        admission,
    }))
}

/// The written assignment, `None` when the counters moved, or the refusal.
fn written(
    insert: AssignmentInsert,
    candidate: &Assignment,
) -> Result<Option<Assignment>, PlanningError> {
    match insert {
        AssignmentInsert::Created(written) => Ok(Some(written)),
        AssignmentInsert::Stale => Ok(None),
        AssignmentInsert::NeedGone => Err(PlanningError::UnknownNeed),
        AssignmentInsert::MissionCancelled => Err(PlanningError::MissionCancelled {
            mission: candidate.mission_id,
        }),
        AssignmentInsert::NeedFull { max_crew } => Err(PlanningError::NeedFull {
            need: candidate.need_id,
            max_crew,
        }),
    }
}

//! Late changes: how much of the plan moved shortly before the work, when crews are hard
//! to find and people's plans are made.
//!
//! Counted on the missions overlapping the range (of one project or venue if given), with
//! `late` = within `late_hours` of the start (or after it):
//! - assignments **added late**: created late (every status);
//! - assignments **declined late**: declined, and last changed late;
//! - missions **cancelled late**: cancelled, and last changed late.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::Scope;
use crate::domain::{AssignmentStatus, MissionStatus, TenantId};
use crate::storage::{DynStorage, StorageResult};

/// The default horizon of a late change: three days.
pub const DEFAULT_LATE_HOURS: i64 = 72;

/// Late changes over a scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LateChanges {
    /// A change is late when made less than this many hours before the start.
    pub late_hours: i64,
    /// Assignments of the scope's missions (every status).
    pub assignments: usize,
    pub added_late: usize,
    pub declined_late: usize,
    /// `(added_late + declined_late) / assignments` in basis points; 0 without assignments.
    pub late_bp: i64,
    /// Missions of the scope.
    pub missions: usize,
    pub cancelled_late: usize,
}

/// Whether `at` is within `late` of `start` (or after it).
fn late(at: DateTime<Utc>, start: DateTime<Utc>, late: Duration) -> bool {
    at > start - late
}

pub async fn late_changes(
    storage: &DynStorage,
    tenant: TenantId,
    scope: &Scope,
    late_hours: i64,
) -> StorageResult<LateChanges> {
    // Cancelled missions are part of this figure: read the rows unfiltered.
    let mut rows = storage
        .planning_rows(tenant, scope.window, scope.venue, None)
        .await?;
    rows.missions.retain(|m| {
        scope
            .project
            .is_none_or(|p| m.mission.project_id == Some(p))
    });
    let kept: std::collections::BTreeSet<_> = rows.missions.iter().map(|m| m.mission.id).collect();
    rows.assignments
        .retain(|a| kept.contains(&a.assignment.mission_id));
    let horizon = Duration::hours(late_hours);
    let added_late = rows
        .assignments
        .iter()
        .filter(|a| {
            late(
                a.assignment.created_at,
                a.assignment.window.start(),
                horizon,
            )
        })
        .count();
    let declined_late = rows
        .assignments
        .iter()
        .filter(|a| {
            a.assignment.status == AssignmentStatus::Declined
                && late(
                    a.assignment.updated_at,
                    a.assignment.window.start(),
                    horizon,
                )
        })
        .count();
    let cancelled_late = rows
        .missions
        .iter()
        .filter(|m| {
            m.mission.status == MissionStatus::Cancelled
                && late(m.mission.updated_at, m.mission.window.start(), horizon)
        })
        .count();
    let assignments = rows.assignments.len();
    let late_bp = ((added_late + declined_late) * 10_000)
        .checked_div(assignments)
        .map_or(0, |bp| i64::try_from(bp).unwrap_or(i64::MAX));
    Ok(LateChanges {
        late_hours,
        assignments,
        added_late,
        declined_late,
        late_bp,
        missions: rows.missions.len(),
        cancelled_late,
    })
}

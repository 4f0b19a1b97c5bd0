//! Planning analytics over a range, optionally one project or venue: how well the needs
//! are covered, and how the work is shared between technicians. Every figure's definition
//! is in `docs/api.md` ("Analytics"); the tests check them against data computed by hand.
//!
//! - [`coverage`]: places needed and filled, open places by skill;
//! - [`workload`]: planned, worked, night and weekend hours and planned cost per
//!   technician, and the spread of planned hours (min, max, mean, standard deviation, Gini);
//! - [`changes`]: assignments added or declined and missions cancelled shortly before
//!   the work;
//! - [`pay`]: from the payroll runs, what the crew cost as paid, overtime hours, and the
//!   progress of each paid technician towards the intermittents' 507 hours.

pub mod changes;
pub mod coverage;
pub mod pay;
pub mod workload;

use crate::domain::time::Window;
use crate::domain::{ProjectId, TenantId, VenueId};
use crate::storage::planning::PlanningRows;
use crate::storage::{DynStorage, StorageResult};

/// What a figure covers: missions overlapping `window`, of one project or venue if given.
#[derive(Debug, Clone, Copy)]
pub struct Scope {
    pub window: Window,
    pub project: Option<ProjectId>,
    pub venue: Option<VenueId>,
}

/// The planning rows of the scope, cancelled missions left out.
async fn rows(
    storage: &DynStorage,
    tenant: TenantId,
    scope: &Scope,
) -> StorageResult<PlanningRows> {
    let mut rows = storage
        .planning_rows(tenant, scope.window, scope.venue, None)
        .await?;
    rows.missions.retain(|m| {
        m.mission.status != crate::domain::MissionStatus::Cancelled
            && scope
                .project
                .is_none_or(|p| m.mission.project_id == Some(p))
    });
    let kept: std::collections::BTreeSet<_> = rows.missions.iter().map(|m| m.mission.id).collect();
    rows.needs.retain(|n| kept.contains(&n.mission_id));
    rows.assignments
        .retain(|a| kept.contains(&a.assignment.mission_id));
    Ok(rows)
}

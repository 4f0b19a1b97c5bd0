//! Why a planning operation failed, in the planning service's own terms: the API maps each
//! variant to a status and code in `http::error`, so the service never chooses one.

use callsheet_engine::EngineError;

use crate::audit::AuditError;
use crate::domain::{AssignmentId, MissionId, NeedId};
use crate::plugins::TenantPluginError;
use crate::storage::StorageError;

/// A manual assignment refused before the rules ran, a run that could not complete or
/// commit, or a failure of a part below.
#[derive(Debug, thiserror::Error)]
pub enum PlanningError {
    /// The assignment names a technician the tenant does not have.
    #[error("no such technician in this tenant")]
    UnknownTechnician,
    /// The technician exists but is deactivated.
    #[error("{name} is deactivated")]
    InactiveTechnician { name: String },
    /// The technician already works then (found before the insert, for a clear answer;
    /// the database enforces it at the insert for the race).
    #[error("{name} is already assigned from {from} to {to}")]
    AlreadyAssigned {
        name: String,
        /// Local times of the other assignment, `YYYY-MM-DD HH:MM`.
        from: String,
        to: String,
        assignment: AssignmentId,
        mission: MissionId,
    },
    /// No such assignment in the tenant (or deleted meanwhile).
    #[error("no such assignment in this tenant")]
    UnknownAssignment,
    /// The assignment names a need the tenant does not have (or that was just deleted).
    #[error("no such need in this tenant")]
    UnknownNeed,
    /// The need's mission is cancelled.
    #[error("mission {mission} is cancelled")]
    MissionCancelled { mission: MissionId },
    /// The need already has its maximum crew.
    #[error("need {need} already has its maximum crew of {max_crew}")]
    NeedFull { need: NeedId, max_crew: i32 },
    /// The tenant's rules refuse the assignment (hard violations it would add).
    #[error("the tenant's rules refuse this assignment: {}", messages(violations))]
    RulesViolation {
        violations: Vec<serde_json::Value>,
        /// The soft violations it would add too.
        warnings: Vec<serde_json::Value>,
    },
    /// A change of a mission or need would add hard violations to its crew's schedules.
    #[error(
        "the tenant's rules refuse this change for the mission's crew: {}",
        messages(violations)
    )]
    ChangeViolatesRules {
        violations: Vec<serde_json::Value>,
        /// The soft violations it would add too.
        warnings: Vec<serde_json::Value>,
    },
    /// No such mission in the tenant (or deleted meanwhile).
    #[error("no such mission in this tenant")]
    UnknownMission,
    /// The mission was changed by another request since it was read.
    #[error("the mission changed while this update was prepared; read it and try again")]
    MissionEdited,
    /// No such need in that mission (or deleted meanwhile).
    #[error("no such need in this mission")]
    UnknownNeedOfMission,
    /// An automatic run over a window (or missions) without a single need.
    #[error("{}", if *missions { "none of these missions has a need in the window: nothing to plan" } else { "no mission in this window has a need: nothing to plan" })]
    NothingToPlan {
        /// Whether the run was limited to some missions.
        missions: bool,
    },
    /// The technician's schedule kept changing while the assignment was checked.
    #[error("the technician's schedule kept changing while this assignment was checked; try again")]
    ScheduleBusy,
    /// A run's commit met a double booking made while it was computed; nothing was written.
    #[error(
        "a technician was booked elsewhere while the run was computed; nothing was written, run it again"
    )]
    BookedMeanwhile,
    /// A technician or mission the run assigns changed while it was computed (a manual
    /// assignment, a move, an availability...); nothing was written.
    #[error("the schedule changed while the run was computed; nothing was written, run it again")]
    ChangedMeanwhile,
    /// The run's job was cancelled before it wrote anything.
    #[error("the job was cancelled; nothing was written")]
    Cancelled,
    /// The tenant's assigner broke the planning contract (its plan does not score as it
    /// says, or breaks the contract's rules).
    #[error("the tenant's assigner failed: {0}")]
    Assigner(EngineError),
    /// The tenant's plugins could not be resolved or failed at run time.
    #[error(transparent)]
    Plugin(#[from] TenantPluginError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// A fault of the host itself (a problem it built wrong, a task that panicked).
    #[error("{0}")]
    Internal(String),
}

/// The violations' messages, for a one-line summary.
fn messages(violations: &[serde_json::Value]) -> String {
    violations
        .iter()
        .filter_map(|v| v["message"].as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

impl PlanningError {
    pub(crate) fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }
}

/// What the engine's failures mean for planning: a plugin's failure is the tenant's
/// plugin's, a broken contract is the assigner's, anything else the host's.
impl From<EngineError> for PlanningError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::Plugin(e) => Self::Plugin(TenantPluginError::Plugin(e)),
            EngineError::ScoreMismatch { .. } | EngineError::Contract(_) => Self::Assigner(error),
            other => Self::internal(other),
        }
    }
}

impl From<callsheet_runtime::Error> for PlanningError {
    fn from(error: callsheet_runtime::Error) -> Self {
        Self::Plugin(TenantPluginError::Plugin(error))
    }
}

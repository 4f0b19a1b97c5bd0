//! The engine's errors, one type for the whole crate, each with a stable code for the API's
//! `{detail, code, meta}` shape.

use callsheet_runtime::types::Score;

use crate::contract::Breach;

/// What can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A plugin call failed (trap, fuel, timeout, memory, bad output, its own error, or the
    /// rules plugin failing under the assigner); the runtime's error carries its code.
    #[error(transparent)]
    Plugin(#[from] callsheet_runtime::Error),

    /// The assigner claimed a score that the tenant's rules plugin does not confirm when the
    /// host re-evaluates its plan: the contract says the score is `evaluate-plan`'s.
    #[error(
        "the assigner reported score {claimed:?} but the rules plugin evaluates its plan at {evaluated:?}"
    )]
    ScoreMismatch {
        /// What the assigner returned.
        claimed: Score,
        /// What the rules plugin says.
        evaluated: Score,
    },

    /// The assigner's result breaks the planning contract (an unknown need or technician,
    /// an unqualified technician, too many people on a need, a wrong or empty window, a kept
    /// or pinned assignment changed or dropped, a status it may not set...): the first
    /// breach, see [`crate::contract`]. Nothing of the run may be used.
    #[error("the assigner broke the planning contract: {0}")]
    Contract(Breach),

    /// A problem handed to the engine breaks an invariant (unknown ids, empty windows...).
    #[error("invalid problem: {0}")]
    InvalidProblem(String),

    /// JSON (de)serialisation failed.
    #[error("JSON: {0}")]
    Json(#[source] serde_json::Error),

    /// The exact reference could not solve the model.
    #[error("MILP solver: {0}")]
    Solver(String),
}

impl EngineError {
    /// Stable machine code: the runtime's (`PLUGIN_TRAP`...) for plugin failures, else
    /// `ENGINE_*`.
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::Plugin(e) => e.code(),
            EngineError::ScoreMismatch { .. } => "ENGINE_SCORE_MISMATCH",
            EngineError::Contract(_) => "ENGINE_CONTRACT_BROKEN",
            EngineError::InvalidProblem(_) => "ENGINE_INVALID_PROBLEM",
            EngineError::Json(_) => "ENGINE_JSON",
            EngineError::Solver(_) => "ENGINE_SOLVER",
        }
    }
}

/// The engine's result type.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;

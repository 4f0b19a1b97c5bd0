//! Planning: the problem the plugins see, whether the rules admit a manual assignment, and
//! automatic runs.
//!
//! - [`problem`] builds the plugin contract's `problem` from the tenant's data, the same
//!   way for every caller (manual checks, runs, conflicts, replays);
//! - [`admission`] decides whether the tenant's rules admit a manual assignment;
//! - [`assign`] writes a manual assignment while that decision still holds;
//! - [`reschedule`] moves a mission or a need while its crew's rules still hold;
//! - [`runs`] prepares, executes, commits and records automatic runs;
//! - [`replay`] plans a recorded run again from its audit record and compares the bytes.
//!
//! Every failure is a [`PlanningError`]; the API maps it to a status in `http::error`.

pub mod admission;
pub mod assign;
pub mod conflicts;
mod error;
pub mod problem;
mod replay;
pub mod reschedule;
pub mod runs;

pub use error::PlanningError;
pub use replay::{Difference, Replay, ReplayError, ReplayFailure, replay};

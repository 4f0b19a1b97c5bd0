//! # callsheet-engine: the assignment engine
//!
//! What the server calls to plan a problem and check a plan, plus the tools that measure
//! the engine: realistic instances and an exact reference.
//!
//! ## Layout
//! - [`plan()`] (module [`plan`]): one automatic run: the tenant's assigner plans, scored on
//!   the tenant's rules; the host checks the planner contract and re-evaluates the score;
//!   the [`PlanOutcome`] is canonical (same inputs, same bytes) with the sha256 of its
//!   inputs and its own, for the audit log.
//! - [`contract`]: the planner contract the host checks on every assigner result (known
//!   ids, qualified technicians, crew limits, need windows, kept and pinned assignments
//!   unchanged, statuses an assigner may set, no duplicates), refusing it at the first
//!   [`Breach`] with `ENGINE_CONTRACT_BROKEN`.
//! - [`find_conflicts`] (module [`conflicts`]): technician overlaps, room double bookings,
//!   legal-rule violations, role incompatibilities, unavailability and missing skills, each
//!   with its severity, subjects, message, figures and provenance.
//! - [`plugins`]: [`Configured`] plugins (loaded, with parameters, budget and
//!   [`PluginIdentity`]).
//! - [`canonical`]: the canonical bytes and sha256 of any engine value.
//! - [`generator`]: realistic synthetic problems (a festival week, a touring month, a venue
//!   season, any size) from a seed, deterministic, with their JSON form.
//! - [`calendar`]: the contract's local calendar (UTC offsets across daylight-saving
//!   changes, ISO weeks, French public holidays) for a time zone and a range of days.
//! - `reference` (feature `milp`, on by default): the exact MILP of the same problem
//!   through good_lp and CBC, for small instances.
//! - [`error`]: [`EngineError`], with stable codes.
//!
//! ## Using it
//! ```no_run
//! # fn main() -> Result<(), callsheet_engine::EngineError> {
//! use callsheet_engine::{Configured, find_conflicts, generator, plan};
//! use callsheet_runtime::{Budget, Runtime, RuntimeConfig};
//! # let (rules_wasm, assigner_wasm): (Vec<u8>, Vec<u8>) = (vec![], vec![]);
//! let runtime = Runtime::new(RuntimeConfig::default())?;
//! let rules = Configured::rules(&runtime, &rules_wasm, vec![], Budget::default())?;
//! let assigner = Configured::assigner(&runtime, &assigner_wasm, vec![], Budget::default())?;
//! let problem = generator::festival_week(1);
//! let outcome = plan(&problem, &assigner, &rules)?;
//! let report = find_conflicts(&problem, &outcome.plan(), &rules)?;
//! println!("{:?} {} conflicts, {}", outcome.score, report.conflicts.len(), outcome.sha256()?);
//! # Ok(()) }
//! ```
//! Every call is blocking (guest code runs on the calling thread): from async code, run it
//! with `tokio::task::spawn_blocking`.

pub mod calendar;
pub mod canonical;
pub mod conflicts;
pub mod contract;
pub mod error;
pub mod generator;
pub mod plan;
pub mod plugins;
#[cfg(feature = "milp")]
pub mod reference;
mod rng;

pub use conflicts::{Conflict, ConflictKind, ConflictReport, Provenance, Source, find_conflicts};
pub use contract::{Breach, BreachKind};
pub use error::{EngineError, Result};
pub use plan::{
    FUEL_BUDGET_PARAM, FuelUsed, PlanOutcome, RunPlugins, assigner_params, inputs_sha256, plan,
};
pub use plugins::{BudgetRecord, Configured, PluginIdentity};

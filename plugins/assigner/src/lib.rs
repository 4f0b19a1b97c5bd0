//! callsheet's default assigner plugin (`callsheet-assigner`, WIT world `assigner`): builds a
//! plan by greedy construction, improves it by local search, and explains every decision,
//! scoring candidates on the tenant's own rules through `tenant-rules`.
//!
//! The pipeline ([`planner::plan`]):
//! 1. [`config`]: the parameters (score-term weights, search budgets) read once;
//! 2. [`model`]: the problem checked ("invalid-input" rather than a trap) and indexed: needs,
//!    technicians, fixed (pinned or confirmed) and proposed assignments, relations, rooms;
//! 3. [`candidates`]: who is qualified and available for each need, from one batch of
//!    evaluations of "fixed work + this need" schedules;
//! 4. [`construct`]: greedy construction, most constrained place first, best-scored
//!    candidate, first without making any hard rule of anyone's schedule worse, then
//!    never a candidate whose schedule would gain hard points;
//! 5. [`search`]: tabu search over a sampled neighbourhood of [`moves`] (reassign, swap,
//!    fill, transfer, relocate, change, block swap, unassign, extra crew up to
//!    `max-crew`; half of them on schedules with hard points while there are), seeded from
//!    `problem.seed` ([`rng`]), evaluated incrementally (only the changed schedules) and in
//!    batches, plans compared whole, hard points first, with [`ruin`] and recreate around
//!    open places, until its budget or its [`fuel`] estimate ends; then a last greedy pass;
//! 6. [`explain`]: the `plan-result`: score terms per assignment, every rejected candidate
//!    per unfilled place, and [`scarcity`] groups from a maximum bipartite matching.
//!
//! The search is plain Rust behind the [`evaluator::Rules`] trait, so the native unit tests
//! run it against the default rules plugin's evaluator, and the wasm component against the
//! host's `tenant-rules` import (`component`, wasm32 only). The objective it minimises is
//! [`objective`]: the tenant's plan score (schedules, cover, relations, rooms, exactly as the
//! rules' `evaluate-plan` decomposes it) plus the assigner's preference terms.

#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

pub mod candidates;
pub mod catalog;
#[cfg(target_arch = "wasm32")]
mod component;
pub mod config;
pub mod construct;
pub mod error;
pub mod evaluator;
pub mod explain;
pub mod fuel;
pub mod model;
pub mod moves;
pub mod objective;
pub mod planner;
pub mod rng;
pub mod ruin;
pub mod scarcity;
pub mod search;
pub mod state;

pub use error::Error;
pub use evaluator::Rules;
pub use planner::plan;

#[cfg(test)]
mod tests;

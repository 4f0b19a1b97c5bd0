//! Native tests of the assigner, with the default rules plugin's evaluator standing in for
//! the host's `tenant-rules` (the same code the rules component runs).
//!
//! - `fixture`: a builder for problems over May 2025 (Europe/Paris) and the native rules;
//! - `instances`: seeded random instances (skills, rates, availability, relations, rooms,
//!   shifts that break rest rules when chained);
//! - `behaviour`: determinism, pinned and confirmed assignments, no hard violation, kept
//!   proposals, objective bookkeeping, parameters;
//! - `explanations`: score terms, every rejected candidate, scarcity groups;
//! - `oracle`: exhaustive search on small instances against the heuristic;
//! - `search`: lexicographic acceptance over the whole plan, repair of infeasible starts,
//!   never worse than the construction;
//! - `bad_input`: every refused input is a `plugin-error`, never a panic.

mod bad_input;
mod behaviour;
mod explanations;
mod fixture;
mod instances;
mod oracle;
mod search;

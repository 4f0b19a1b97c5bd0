//! The exact reference: the assignment problem as a mixed-integer linear program, with the
//! default rules linearised, solved by CBC through good_lp, for small instances.
//!
//! It answers "what is the best plan the default rules allow?" so the benchmarks and tests
//! can measure the heuristic assigner's gap. Why CBC: `docs/adr/0003-milp-backend.md`.
//!
//! ## The objective
//! Minimised, in the tenant's points, integer:
//! - the default rules plugin's **soft score** with default parameters: unfilled places
//!   (`cover.under`, each need's `unfilled-penalty`), extra crew (`cover.over`), shifts outside
//!   declared preferred windows (5), at avoided venues (10), ISO-week work above a personal
//!   ceiling (1 per started hour), day and need requests not honoured (their weight), stretches
//!   over 6 h without a break (10), daily-rest derogations (1 per missing minute), soft
//!   incompatibilities (their weight per shared mission), affinity splits (their weight);
//! - plus, when [`Options::assigner`] is set (the default), the default assigner's linear
//!   preference terms with its default weights: labour cost (1 point per 1000 cents, rounded
//!   half up per shift), preferred venues (-10 per shift), affinity reward (-the relation's
//!   weight per shared mission). Its balance term (hours squared) is not linear and is left
//!   out: compare with the assigner run with `assigner.balance.weight = 0`.
//!
//! ## The hard rules, as constraints
//! Skills, declared unavailability and declined pairs (no variable), one shift at a time
//! (clique constraints on each start instant), at most 10 h per local day (a technician's
//! `work.daily.max` override read), 48 h per ISO week, 6 working days per ISO week, crew at
//! most `max-crew`, hard incompatibilities per mission, room double bookings, pinned
//! assignments (fixed to 1) and past shifts (constants), daily rest and weekly rest:
//! - **daily rest** (L3131-1, IDCC 2717) as the plugin defines it: a working day starts with a
//!   shift after 11 h of rest, and its rest is the longest free time within the 24 h from its
//!   start. For each shift that may start a working day, a binary picks the free stretch
//!   (which starts at a shift's end), its length is bounded by the next worked start and the
//!   window's end; at least 9 h is required, below 11 h it is a derogation (at most 2 per ISO
//!   week and 3 in 7 days), costing the missing minutes;
//! - **weekly rest** (L3132-2): a week with work needs a free 35 h stretch overlapping it;
//!   stretches starting at a shift's end or ending at a shift's start (or at the week's edges)
//!   are enough candidates.
//!
//! ## What it leaves out (not exercised by the generator's default instances)
//! The 12-week average (a few weeks of horizon cannot reach it), regular night workers,
//! forbidden successions, consecutive days, weekends and total-time limits (all off by
//! default), shift/mission/window requests, derogations granted before the horizon, and
//! chains of three or more shifts closer than 20 min for the break rule. The tests check on
//! generated instances that the rules plugin scores the MILP's plan exactly as the model does.
//!
//! ## Sizes
//! On the project's machine (2 cores, shared) CBC proves the optimum of `custom` instances
//! up to 50 places and 20 technicians (about 20 s); 80 places x 30 technicians and the
//! denser festival week (50 places in 7 days) are not proven within 60 s. The numbers are
//! in `docs/benchmarks-engine.md`.

mod model;
mod timeline;

use std::time::{Duration, Instant};

use callsheet_runtime::types::{ContractKind, Plan, Problem};
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// The default assigner's preference weights that the MILP can express.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignerWeights {
    /// `assigner.cost.weight`: points per 1000 cents of a shift's cost.
    pub cost: i64,
    /// `assigner.preferred-venue.weight`: reward per shift at a preferred venue.
    pub preferred_venue: i64,
    /// `assigner.affinity.weight`: share of an affinity's weight rewarded per shared
    /// mission, basis points.
    pub affinity_bp: i64,
}

impl Default for AssignerWeights {
    fn default() -> Self {
        AssignerWeights {
            cost: 1,
            preferred_venue: 10,
            affinity_bp: 10_000,
        }
    }
}

/// How to solve.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// CBC's time limit; past it the best plan found is returned, not proven.
    pub time_limit: Duration,
    /// The assigner's preference terms in the objective (`None`: the rules' soft score
    /// alone).
    pub assigner: Option<AssignerWeights>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            time_limit: Duration::from_secs(60),
            assigner: Some(AssignerWeights::default()),
        }
    }
}

/// What the reference found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    /// The best plan found (pinned assignments as given, new ones proposed), sorted by need
    /// then technician.
    pub plan: Plan,
    /// Its objective: `rules_soft + assigner_terms`.
    pub objective: i64,
    /// Its soft score under the default rules, as the model computes it.
    pub rules_soft: i64,
    /// Its assigner preference terms (0 when not modelled).
    pub assigner_terms: i64,
    /// CBC's proven lower bound on the objective.
    pub bound: f64,
    /// Whether CBC proved the plan optimal within the time limit.
    pub proven_optimal: bool,
    /// Model size: variables.
    pub variables: usize,
    /// Model size: constraints.
    pub constraints: usize,
    /// Wall-clock seconds spent solving (not deterministic; for reports only).
    pub seconds: f64,
}

/// Solves `problem` exactly (up to the time limit).
pub fn solve(problem: &Problem, options: &Options) -> Result<Reference> {
    let started = Instant::now();
    let mut reference = model::solve(problem, options)?;
    reference.seconds = started.elapsed().as_secs_f64();
    Ok(reference)
}

/// `num / den` rounded half up (`den > 0`), as the assigner rounds.
fn round_half_up(num: i128, den: i128) -> i64 {
    i64::try_from((num * 2 + den).div_euclid(2 * den)).unwrap_or(i64::MAX)
}

/// The assigner's cost points of one shift of `seconds` for a technician's contract.
pub(crate) fn cost_points(
    kind: ContractKind,
    hourly_rate: i64,
    cachet_rate: i64,
    seconds: i64,
    weight: i64,
) -> i64 {
    let cents = match kind {
        ContractKind::Hourly => round_half_up(i128::from(hourly_rate) * i128::from(seconds), 3_600),
        ContractKind::Cachet => cachet_rate,
    };
    round_half_up(i128::from(cents) * i128::from(weight), 1_000)
}

/// The assigner's linear preference terms of a plan (cost, preferred venues, affinity
/// reward), as [`solve`] counts them: add them to a plan's rules soft score to compare it
/// with [`Reference::objective`].
pub fn assigner_terms(problem: &Problem, plan: &Plan, weights: &AssignerWeights) -> i64 {
    model::assigner_terms(problem, plan, weights)
}

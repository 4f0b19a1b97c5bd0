//! The run's fuel, estimated from the assigner's own counters, so that the search stops
//! itself before the host's fuel budget ends.
//!
//! The host meters both plugins of a run with fuel (one budget for the assigner's own
//! instructions, one for the rules plugin's, the tenant's `fuel` for each) and a run that
//! uses a budget up fails with `PLUGIN_FUEL_EXHAUSTED` and no plan at all. The assigner
//! cannot read its fuel (the contract gives a guest no such call, and wall time would break
//! replays), so it estimates it: every unit of work it does or asks for is counted
//! deterministically (schedules sent and their shifts, requests answered from the cache,
//! `tenant-rules` calls, moves priced, the plan scanned at each step) and priced at rates measured on the default plugins
//! (`docs/benchmarks-engine.md`, "Fuel"), rounded up. `assigner.fuel-budget` says what
//! budget the host gives; the search stops when either estimate reaches
//! [`SEARCH_SHARE`] of it, which leaves the rest for the last greedy pass and the
//! explanations (whose own cost is projected from the open places) and for the error of
//! the estimate. Running out of this budget is a result: the best plan found so far.
//!
//! A tenant's own rules may cost more per schedule than the default ones: such a tenant
//! raises its fuel budget, or states a smaller `assigner.fuel-budget`.

use crate::evaluator::{Evaluations, Rules};

/// Rules fuel per `evaluate-schedules` call (the boundary: lowering the schedules, lifting
/// the answers).
const RULES_PER_CALL: u64 = 100_000;
/// Rules fuel per schedule evaluated, besides its shifts.
const RULES_PER_SCHEDULE: u64 = 20_000;
/// Rules fuel per shift of a schedule evaluated.
const RULES_PER_SHIFT: u64 = 8_000;
/// Assigner fuel per schedule sent (built with its ids, cached, its answer read).
const ASSIGNER_PER_SCHEDULE: u64 = 40_000;
/// Assigner fuel per shift of a schedule sent.
const ASSIGNER_PER_SHIFT: u64 = 5_000;
/// Assigner fuel per request answered from the cache (its key built and looked up).
const ASSIGNER_PER_HIT: u64 = 5_000;
/// Assigner fuel per shift of a request answered from the cache. Measured on the
/// nurse-rostering example's Instance1 with 200,000 iterations (411,487 hits, about 10
/// shifts each): the estimate without the hits was 6.0 G against 11.2 G used, and a 100 G
/// budget ran out before the search stopped.
const ASSIGNER_PER_HIT_SHIFT: u64 = 1_000;
/// Assigner fuel per move drawn and priced.
const ASSIGNER_PER_MOVE: u64 = 20_000;
/// Assigner fuel per need or assignment scanned when a step takes the plan's neighbourhood.
const ASSIGNER_PER_SCANNED: u64 = 400;
/// Assigner fuel per (need, technician) of the problem, for the work that does not go
/// through the rules: indexing, the greedy's choice of need, the scarcity matching.
const ASSIGNER_PER_PAIR: u64 = 10_000;

/// The share of the budget (in percent) the run may have used, by the estimate, before
/// the search stops.
pub const SEARCH_SHARE: u64 = 60;

/// Work counted by the search itself (the evaluations count the rest).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SearchWork {
    /// (need, technician) pairs of the problem.
    pub pairs: u64,
    /// Moves drawn and priced.
    pub moves: u64,
    /// Needs and assignments scanned to take neighbourhoods.
    pub scanned: u64,
}

/// Estimated fuel of each plugin, so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Estimate {
    pub assigner: u64,
    pub rules: u64,
}

impl Estimate {
    /// The estimate for what `evals` sent and `work` did.
    pub fn of<R: Rules>(evals: &Evaluations<'_, R>, work: SearchWork) -> Estimate {
        let rules = evals
            .calls
            .saturating_mul(RULES_PER_CALL)
            .saturating_add(evals.sent.saturating_mul(RULES_PER_SCHEDULE))
            .saturating_add(evals.shifts_sent.saturating_mul(RULES_PER_SHIFT));
        let assigner = evals
            .sent
            .saturating_mul(ASSIGNER_PER_SCHEDULE)
            .saturating_add(evals.shifts_sent.saturating_mul(ASSIGNER_PER_SHIFT))
            .saturating_add(evals.hits.saturating_mul(ASSIGNER_PER_HIT))
            .saturating_add(evals.hit_shifts.saturating_mul(ASSIGNER_PER_HIT_SHIFT))
            .saturating_add(work.moves.saturating_mul(ASSIGNER_PER_MOVE))
            .saturating_add(work.scanned.saturating_mul(ASSIGNER_PER_SCANNED))
            .saturating_add(work.pairs.saturating_mul(ASSIGNER_PER_PAIR));
        Estimate { assigner, rules }
    }

    /// The larger of the two.
    pub fn max(&self) -> u64 {
        self.assigner.max(self.rules)
    }
}

/// What the search may spend: the budget (`assigner.fuel-budget`, millions) as fuel, or
/// `None` when it is 0 (no limit).
pub fn search_limit(budget_millions: u64) -> Option<u64> {
    (budget_millions > 0).then(|| budget_millions.saturating_mul(1_000_000) / 100 * SEARCH_SHARE)
}

/// Projected fuel of explaining unfilled needs by evaluating `candidates` schedules of
/// about `shifts` shifts (full evaluations, with their violations, cost more than scores:
/// each counts as two).
pub fn explanations(candidates: u64, shifts: u64) -> u64 {
    let schedules = candidates.saturating_mul(2);
    schedules.saturating_mul(
        RULES_PER_SCHEDULE
            .saturating_add(RULES_PER_SHIFT.saturating_mul(shifts))
            .max(ASSIGNER_PER_SCHEDULE.saturating_add(ASSIGNER_PER_SHIFT.saturating_mul(shifts))),
    )
}

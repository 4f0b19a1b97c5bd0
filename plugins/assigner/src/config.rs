//! The assigner's parameters: the weight of each preference term and the search budgets,
//! one table ([`SPECS`]) for `describe()`, `validate-params` and the typed [`Settings`].
//!
//! Weights are points on the tenant's scale (the same scale as the needs' unfilled
//! penalties and the rules' soft penalties), so the defaults are small: preferences break
//! ties between legal candidates, they should not leave a place empty on their own.

use callsheet_plugin_sdk::params::{self, Kind, Reader, Spec};
use callsheet_plugin_sdk::report::Failure;
use callsheet_plugin_sdk::types::{Param, ParamError};

use alloc::vec::Vec;

pub const COST_WEIGHT: &str = "assigner.cost.weight";
pub const PREFERRED_VENUE_WEIGHT: &str = "assigner.preferred-venue.weight";
pub const AFFINITY_WEIGHT: &str = "assigner.affinity.weight";
pub const BALANCE_WEIGHT: &str = "assigner.balance.weight";
pub const SEARCH_ITERATIONS: &str = "assigner.search.iterations";
pub const SEARCH_EVALUATIONS: &str = "assigner.search.evaluations";
pub const SEARCH_TENURE: &str = "assigner.search.tabu-tenure";
pub const SEARCH_BATCH: &str = "assigner.search.batch";
pub const SEARCH_PATIENCE: &str = "assigner.search.patience";
pub const SEARCH_RUIN: &str = "assigner.search.ruin";
pub const RULES_BATCH: &str = "assigner.rules.batch";
pub const FUEL_BUDGET: &str = "assigner.fuel-budget";
pub const KEEP_PROPOSED: &str = "assigner.keep-proposed";
pub const EXPLAIN_UNQUALIFIED: &str = "assigner.explain.unqualified";

const fn int(
    name: &'static str,
    unit: &'static str,
    default: i64,
    min: i64,
    max: i64,
    description: &'static str,
) -> Spec {
    Spec {
        name,
        unit,
        description,
        kind: Kind::Int { default, min, max },
        // Per-technician overrides are the rules plugin's business; the assigner's
        // parameters are the tenant's only.
        overridable: false,
    }
}

const fn switch(name: &'static str, default: bool, description: &'static str) -> Spec {
    Spec {
        name,
        unit: "",
        description,
        kind: Kind::Bool { default },
        overridable: false,
    }
}

/// Every parameter of the assigner.
pub const SPECS: &[Spec] = &[
    int(
        COST_WEIGHT,
        "points",
        1,
        0,
        10_000,
        "Points per 10 EUR (1000 cents) of a shift's cost: hourly rate x hours, or the cachet rate per shift for cachet contracts; rounded half up per shift. 0 ignores cost.",
    ),
    int(
        PREFERRED_VENUE_WEIGHT,
        "points",
        10,
        0,
        1_000_000,
        "Reward (negative points) per shift at one of the technician's preferred venues.",
    ),
    int(
        AFFINITY_WEIGHT,
        "bp",
        10_000,
        0,
        1_000_000,
        "Reward per mission shared by two technicians with an affinity, as a share of the relation's weight (10000 bp = the whole weight).",
    ),
    int(
        BALANCE_WEIGHT,
        "points",
        1,
        0,
        10_000,
        "Points per 100 h squared of a technician's planned time over the horizon: a sum of squares, so the same hours spread over more people cost less (8 h more for someone at 40 h costs 7 points at weight 1).",
    ),
    int(
        SEARCH_ITERATIONS,
        "count",
        20_000,
        0,
        100_000_000,
        "Moves the local search examines after the greedy construction; 0 keeps the greedy plan.",
    ),
    int(
        SEARCH_EVALUATIONS,
        "count",
        200_000,
        0,
        1_000_000_000,
        "Schedules the local search may send to the tenant's rules (cached answers are free); the search stops at whichever budget runs out first.",
    ),
    int(
        SEARCH_TENURE,
        "count",
        10,
        0,
        100_000,
        "Tabu tenure, in search steps: after a step takes a technician off a need, moves that put them back are refused for this many steps (unless they beat the best plan).",
    ),
    int(
        SEARCH_PATIENCE,
        "bp",
        10_000,
        0,
        10_000_000,
        "Moves drawn without finding an improving one, as a share of the neighbourhood's size (a candidate per movable or open place), after which a step takes its best move even if worse: the way out of a local optimum. 10000 bp: about as many moves as there are; 0: always take the best move, as plain tabu search does.",
    ),
    int(
        SEARCH_RUIN,
        "bp",
        2_500,
        0,
        10_000,
        "Chance, per search step while a place is open, that the step is a ruin and recreate instead of a batch of moves: about half the candidates of an open need lose their assignments within a day and a half of it, and the greedy fills that span again; kept when no worse. 2500 bp: one step in four; 0: never. The chance falls (to a tenth at least) while ruins are rarely kept.",
    ),
    int(
        SEARCH_BATCH,
        "count",
        16,
        1,
        4_096,
        "Moves drawn at each search step, whose schedules go to the rules in one call; the step makes the best of them that is not tabu, even a worse one.",
    ),
    int(
        FUEL_BUDGET,
        "Mfuel",
        20_000,
        0,
        1_000_000_000,
        "The fuel budget, in millions, the host gives each plugin of a planning run (the runtime's default: 20000). The search estimates the fuel it and the tenant's rules use and stops at 60 % of this, keeping its best plan, so that a large search budget ends with a plan rather than PLUGIN_FUEL_EXHAUSTED. 0: no such limit.",
    ),
    int(
        RULES_BATCH,
        "count",
        1_000,
        1,
        100_000,
        "Most schedules per `evaluate-schedules` call (bigger batches are split), to stay under the host's request size limit.",
    ),
    switch(
        KEEP_PROPOSED,
        true,
        "Start from the existing proposed (not pinned) assignments that add no hard violation, so that re-planning changes as little as it must; the search may still move them.",
    ),
    switch(
        EXPLAIN_UNQUALIFIED,
        true,
        "List technicians without the need's skill among the rejected candidates of an unfilled need (skill.missing); off keeps large explanations short.",
    ),
];

/// The typed parameters of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Points per 1000 cents of cost.
    pub cost_weight: i64,
    /// Reward per shift at a preferred venue.
    pub preferred_venue_weight: i64,
    /// Share of an affinity's weight rewarded per shared mission, basis points.
    pub affinity_bp: i64,
    /// Points per 100 h² of planned time.
    pub balance_weight: i64,
    /// Moves examined by the local search.
    pub iterations: u64,
    /// Schedules the local search may send to the rules.
    pub evaluations: u64,
    /// Tabu tenure, in steps.
    pub tenure: u64,
    /// Moves without improvement before a worsening step, in bp of the neighbourhood.
    pub patience: u64,
    /// Chance of a ruin-and-recreate step, basis points.
    pub ruin: u64,
    /// Moves per batch.
    pub search_batch: usize,
    /// Schedules per `evaluate-schedules` call.
    pub rules_batch: usize,
    /// The host's fuel budget per plugin, in millions (0: none).
    pub fuel_budget: u64,
    /// Start from the existing proposed assignments.
    pub keep_proposed: bool,
    /// Explain unqualified technicians too.
    pub explain_unqualified: bool,
}

impl Settings {
    /// Checks the parameters ("invalid-params" with every error) and reads them.
    pub fn read(params: &[Param]) -> Result<Settings, Failure> {
        let errors = validate(params);
        if !errors.is_empty() {
            return Err(Failure::InvalidParams(errors));
        }
        let r = Reader::new(SPECS, params);
        // The table's ranges are non-negative and small, so the conversions cannot fail;
        // the fallbacks only keep them total.
        let count = |name| u64::try_from(r.int(name)).unwrap_or(0);
        let size = |name| usize::try_from(r.int(name)).unwrap_or(1).max(1);
        Ok(Settings {
            cost_weight: r.int(COST_WEIGHT),
            preferred_venue_weight: r.int(PREFERRED_VENUE_WEIGHT),
            affinity_bp: r.int(AFFINITY_WEIGHT),
            balance_weight: r.int(BALANCE_WEIGHT),
            iterations: count(SEARCH_ITERATIONS),
            evaluations: count(SEARCH_EVALUATIONS),
            tenure: count(SEARCH_TENURE),
            patience: count(SEARCH_PATIENCE),
            ruin: count(SEARCH_RUIN),
            search_batch: size(SEARCH_BATCH),
            rules_batch: size(RULES_BATCH),
            fuel_budget: count(FUEL_BUDGET),
            keep_proposed: r.bool(KEEP_PROPOSED),
            explain_unqualified: r.bool(EXPLAIN_UNQUALIFIED),
        })
    }
}

impl Default for Settings {
    fn default() -> Settings {
        // Reading an empty list cannot fail: every parameter takes its default.
        Settings::read(&[]).unwrap_or(Settings {
            cost_weight: 1,
            preferred_venue_weight: 10,
            affinity_bp: 10_000,
            balance_weight: 1,
            iterations: 20_000,
            evaluations: 200_000,
            tenure: 10,
            patience: 10_000,
            ruin: 2_500,
            search_batch: 16,
            rules_batch: 1_000,
            fuel_budget: 20_000,
            keep_proposed: true,
            explain_unqualified: true,
        })
    }
}

/// Every error of a parameter list (unknown, duplicate, wrong type, out of range); the
/// assigner has no combination to refuse.
pub fn validate(params: &[Param]) -> Vec<ParamError> {
    params::validate(SPECS, params, false)
}

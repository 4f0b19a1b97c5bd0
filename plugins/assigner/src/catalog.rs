//! What `describe()` says about the assigner: its score terms and rejection reasons (the
//! ids its explanations use besides the tenant's rule ids), its parameters, its look-back.

use alloc::borrow::ToOwned;
use alloc::vec::Vec;

use callsheet_plugin_sdk::types::{PluginInfo, RuleInfo, Severity};

use crate::config::{self, SPECS};

/// Plugin name, recorded with every run.
pub const NAME: &str = "callsheet-assigner";
/// The plugin's own version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Score term: the shift's labour cost.
pub const COST: &str = "assigner.cost";
/// Score term: reward for a shift at a preferred venue.
pub const PREFERRED_VENUE: &str = "assigner.preferred-venue";
/// Score term: reward for working a mission with a technician one has an affinity with.
pub const AFFINITY: &str = "assigner.affinity";
/// Score term: the marginal cost of the technician's planned time (sum of squares).
pub const BALANCE: &str = "assigner.balance";
/// Score term: the unfilled penalty a filled place saves.
pub const PLACE_FILLED: &str = "assigner.place-filled";
/// Score term: crew above the need's `min-crew`, at its `extra-penalty`.
pub const EXTRA_CREW: &str = "assigner.extra-crew";
/// Score term of a pinned or confirmed assignment: kept as it was.
pub const KEPT: &str = "assigner.kept";
/// Rejection: already working an overlapping need.
pub const BUSY: &str = "assigner.busy-elsewhere";
/// Rejection: declined this need before.
pub const DECLINED: &str = "assigner.declined";
/// Rejection: legal, but the plan scores worse with them than with the place empty.
pub const WORSE_SCORE: &str = "assigner.worse-score";
/// Rejection: lacks the need's skill (the rules' id, decided without asking them).
pub const SKILL: &str = "skill.missing";
/// Rejection: a hard incompatibility with someone already on the mission (the rules' id).
pub const INCOMPATIBLE: &str = "relation.incompatibility";

/// (id, title, severity, description, parameters read)
type Term = (
    &'static str,
    &'static str,
    Severity,
    &'static str,
    &'static [&'static str],
);

const TERMS: &[Term] = &[
    (
        COST,
        "Labour cost",
        Severity::Soft,
        "Score term: the shift's cost (hourly rate x hours, or one cachet) in points per 10 EUR.",
        &[config::COST_WEIGHT],
    ),
    (
        PREFERRED_VENUE,
        "Preferred venue",
        Severity::Soft,
        "Score term: a reward (negative points) for a shift at a venue the technician prefers.",
        &[config::PREFERRED_VENUE_WEIGHT],
    ),
    (
        AFFINITY,
        "Affinity",
        Severity::Soft,
        "Score term: a reward for two technicians with an affinity on the same mission, a share of the relation's weight.",
        &[config::AFFINITY_WEIGHT],
    ),
    (
        BALANCE,
        "Balance of hours",
        Severity::Soft,
        "Score term: the marginal cost of the technician's planned time, counted as a sum of squares so work spreads over the crew.",
        &[config::BALANCE_WEIGHT],
    ),
    (
        PLACE_FILLED,
        "Place filled",
        Severity::Soft,
        "Score term: the need's unfilled penalty that filling the place saves (negative points).",
        &[],
    ),
    (
        EXTRA_CREW,
        "Extra crew",
        Severity::Soft,
        "Score term: a person above the need's min-crew (up to max-crew), costing its extra-penalty; the search staffs above min-crew only when that improves the plan (someone short of a minimum of work, say).",
        &[],
    ),
    (
        KEPT,
        "Kept assignment",
        Severity::Soft,
        "Score term of a pinned or confirmed assignment: an automatic run never moves it (0 points).",
        &[],
    ),
    (
        BUSY,
        "Busy elsewhere",
        Severity::Hard,
        "Rejection: the candidate already works an overlapping need in the plan.",
        &[],
    ),
    (
        DECLINED,
        "Declined",
        Severity::Hard,
        "Rejection: the candidate declined this need; it is never proposed again.",
        &[],
    ),
    (
        WORSE_SCORE,
        "Worse score",
        Severity::Soft,
        "Rejection: the candidate breaks no hard rule, but the plan scores worse with them on the place than with the place empty (figures: the change in points and the unfilled penalty).",
        &[],
    ),
];

/// The plugin's description.
pub fn describe() -> PluginInfo {
    PluginInfo {
        name: NAME.to_owned(),
        version: VERSION.to_owned(),
        description: "Default assigner: greedy construction (most constrained place first, best-scored candidate) then tabu search over reassign, swap, fill, transfer, relocate and unassign moves, seeded from the problem; scored on the tenant's rules plus cost, preferred venues, affinities and balance of hours; pinned and confirmed assignments never move and no candidate is given a hard violation. Each assignment carries its score terms, each unfilled place every rejected candidate with the rule and figures, and scarcity groups come from a maximum bipartite matching.".to_owned(),
        rules: TERMS
            .iter()
            .map(|(id, title, severity, description, params)| RuleInfo {
                id: (*id).to_owned(),
                title: (*title).to_owned(),
                description: (*description).to_owned(),
                severity: *severity,
                params: params.iter().map(|p| (*p).to_owned()).collect(),
            })
            .collect(),
        params: SPECS.iter().map(|s| s.to_wit()).collect::<Vec<_>>(),
        // The assigner reads no history itself; the rules plugin declares its own look-back.
        lookback_days: 0,
    }
}

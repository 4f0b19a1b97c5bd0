//! `planner.plan` in plain Rust: check, construct, improve, top up, explain.

use callsheet_plugin_sdk::types::{Param, PlanResult, Problem};

use crate::candidates::Candidates;
use crate::config::Settings;
use crate::construct;
use crate::error::Error;
use crate::evaluator::{Evaluations, Rules};
use crate::explain::{self, Counters};
use crate::model::Model;
use crate::objective::Cost;
use crate::rng::Pcg32;
use crate::search;
use crate::state::State;

/// A run's result with the objective the search minimised (for tests and benchmarks: the
/// result carries the tenant's score, this adds the assigner's preference terms).
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub result: PlanResult,
    pub objective: Cost,
}

/// Plans a problem, scoring candidates on `rules` (see the crate documentation).
pub fn plan<R: Rules>(
    problem: &Problem,
    params: &[Param],
    rules: &mut R,
) -> Result<PlanResult, Error> {
    run(problem, params, rules).map(|o| o.result)
}

/// [`plan`], also returning the objective of the final plan.
pub fn run<R: Rules>(problem: &Problem, params: &[Param], rules: &mut R) -> Result<Outcome, Error> {
    let settings = Settings::read(params)?;
    let model = Model::build(problem, settings)?;
    let mut evals = Evaluations::new(rules, settings.rules_batch);
    let mut state = State::initial(&model, &mut evals)?;
    let candidates = Candidates::compute(&model, &state, &mut evals)?;
    let mut counters = Counters {
        sent_candidates: evals.sent,
        ..Counters::default()
    };
    counters.kept = construct::keep_proposed(&model, &mut state, &mut evals)?;
    counters.greedy = construct::fill(&model, &candidates, &mut state, &mut evals)?;
    counters.sent_construction = evals.sent - counters.sent_candidates;
    let mut rng = Pcg32::new(problem.seed);
    let before_search = evals.sent;
    let (mut state, stats) = search::improve(&model, &candidates, state, &mut evals, &mut rng)?;
    counters.search = stats;
    counters.sent_search = evals.sent - before_search;
    // The search may end on a plan where a place could be filled at no loss (it stopped
    // mid-walk); a last greedy pass makes the explanations' "worse score" true.
    let before_top_up = evals.sent;
    counters.topped_up = construct::fill(&model, &candidates, &mut state, &mut evals)?;
    counters.sent_construction += evals.sent - before_top_up;
    debug_assert_eq!(
        state.total,
        state.recompute(&model),
        "the incremental objective drifted from the plan's"
    );
    let result = explain::result(&model, &candidates, &state, &mut evals, counters)?;
    Ok(Outcome {
        result,
        objective: state.total,
    })
}

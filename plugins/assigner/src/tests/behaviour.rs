//! What the assigner guarantees: determinism, pinned and confirmed assignments untouched,
//! no hard violation, proposals kept, and an objective that is the tenant's plan score
//! plus the preference terms.

use std::time::Instant;

use callsheet_plugin_sdk::types::*;

use super::fixture::{Fx, may, pairs};
use super::instances::{Size, random};
use crate::config;
use crate::objective::Cost;

const MEDIUM: Size = Size {
    places: 40,
    techs: 12,
    days: 5,
    max_crew: 3,
};

#[test]
fn the_same_problem_planned_twenty_times_gives_identical_results() {
    let fx = random(7, MEDIUM);
    let started = Instant::now();
    let first = fx.plan();
    eprintln!(
        "medium instance ({} places, {} technicians): planned in {:?}, {} iterations, {} schedules evaluated",
        MEDIUM.places,
        MEDIUM.techs,
        started.elapsed(),
        first.stats.iterations,
        first.stats.evaluations
    );
    let bytes = format!("{first:?}");
    for run in 1..20 {
        let again = fx.plan();
        assert_eq!(again, first, "run {run} differs");
        assert_eq!(
            format!("{again:?}").as_bytes(),
            bytes.as_bytes(),
            "run {run}"
        );
    }
    assert!(first.stats.iterations > 0, "the search ran");
}

#[test]
fn another_seed_is_recorded_and_still_deterministic() {
    let mut fx = random(7, MEDIUM);
    fx.problem.seed = 99;
    let a = fx.plan();
    assert_eq!(a.stats.seed, 99);
    assert_eq!(a, fx.plan());
}

#[test]
fn pinned_and_confirmed_assignments_never_move() {
    for seed in 1..=10 {
        let mut fx = random(seed, MEDIUM);
        // Pin or confirm some first-come technician on a few needs, whatever it costs.
        let needs: Vec<(String, String)> = fx
            .problem
            .needs
            .iter()
            .step_by(4)
            .map(|n| (n.id.clone(), n.skill.clone()))
            .collect();
        let mut fixed = Vec::new();
        for (i, (need, skill)) in needs.iter().enumerate() {
            let tech = fx
                .problem
                .technicians
                .iter()
                .rev()
                .find(|t| t.skills.contains(skill))
                .map(|t| t.id.clone());
            let Some(tech) = tech else { continue };
            if fixed.iter().any(|(_, t): &(String, String)| *t == tech) {
                continue;
            }
            let (status, pinned) = if i % 2 == 0 {
                (AssignmentStatus::Proposed, true)
            } else {
                (AssignmentStatus::Confirmed, false)
            };
            fx.assign(need, &tech, status, pinned);
            fixed.push((need.clone(), tech));
        }
        assert!(
            !fixed.is_empty(),
            "seed {seed}: the fixture fixes something"
        );
        let expected: Vec<Assignment> = fx.problem.assignments.clone();
        let result = fx.plan();
        for a in &expected {
            let kept = result
                .assignments
                .iter()
                .find(|p| p.assignment == *a)
                .unwrap_or_else(|| panic!("seed {seed}: {a:?} moved"));
            assert!(
                kept.terms.iter().any(|t| t.id == "assigner.kept"),
                "seed {seed}: kept assignments say so"
            );
        }
    }
}

#[test]
fn the_plan_never_has_a_hard_violation_when_one_can_be_avoided() {
    // Cover is soft by default, so leaving places empty is always legal: a feasible plan
    // always exists, and the assigner must find one on every instance.
    for seed in 1..=25 {
        let result = random(seed, MEDIUM).plan();
        let hard: Vec<&Violation> = result
            .violations
            .iter()
            .filter(|v| v.severity == Severity::Hard)
            .collect();
        assert!(hard.is_empty(), "seed {seed}: hard violations {hard:?}");
        assert_eq!(result.score.hard, 0, "seed {seed}");
    }
}

#[test]
fn a_technician_is_never_given_shifts_that_break_the_daily_rest() {
    let mut fx = Fx::new();
    fx.tech("a", &["sound"]);
    // Monday 12:00-21:00 then Tuesday 06:30: 9 h 30 of rest, and no derogation allowed
    // this week, so working both would be a hard violation.
    fx.need("Show Zenith", "sound", may(5, 12, 0), may(5, 21, 0), 1)
        .unfilled_penalty = 500;
    fx.need("Load-in Olympia", "sound", may(6, 6, 30), may(6, 12, 0), 1);
    fx.rules_params.push(callsheet_plugin_sdk::testing::param(
        "rest.daily.derogation.per-week",
        Value::Int(0),
    ));
    let result = fx.plan();
    assert_eq!(pairs(&result), vec![("n01".to_owned(), "a".to_owned())]);
    assert_eq!(result.score.hard, 0);
}

#[test]
fn existing_proposals_are_kept_when_legal() {
    let mut fx = Fx::new();
    fx.tech("a", &["sound"]).contract.hourly_rate = 5000;
    fx.tech("b", &["sound"]).contract.hourly_rate = 1000;
    fx.need("Show", "sound", may(6, 18, 0), may(6, 23, 0), 1);
    fx.assign("n01", "a", AssignmentStatus::Proposed, false);
    fx.param(config::SEARCH_ITERATIONS, Value::Int(0));
    let kept = fx.plan();
    assert_eq!(
        kept.assignments[0].assignment.id.as_deref(),
        Some("a-n01-a"),
        "the proposal is the starting point"
    );
    fx.param(config::KEEP_PROPOSED, Value::Bool(false));
    let fresh = fx.plan();
    assert_eq!(pairs(&fresh), vec![("n01".to_owned(), "b".to_owned())]);
    assert_eq!(fresh.assignments[0].assignment.id, None, "a new proposal");
}

#[test]
fn declined_pairs_are_never_proposed_again() {
    let mut fx = Fx::new();
    fx.tech("a", &["sound"]);
    fx.need("Show", "sound", may(6, 18, 0), may(6, 23, 0), 1);
    fx.assign("n01", "a", AssignmentStatus::Declined, false);
    let result = fx.plan();
    assert!(result.assignments.is_empty(), "{:?}", pairs(&result));
    let reasons = super::fixture::reasons(&result, "n01", "a");
    assert_eq!(reasons[0].rule_id, "assigner.declined");
}

#[test]
fn without_preference_terms_the_objective_is_the_tenants_plan_score() {
    // The assigner mirrors cover, relations and rooms exactly as the rules' evaluate-plan
    // computes them; with its own terms off, its objective must be the rules' score.
    for seed in 1..=15 {
        let mut fx = random(seed, MEDIUM);
        for name in [
            config::COST_WEIGHT,
            config::PREFERRED_VENUE_WEIGHT,
            config::AFFINITY_WEIGHT,
            config::BALANCE_WEIGHT,
        ] {
            fx.param(name, Value::Int(0));
        }
        fx.param(config::SEARCH_ITERATIONS, Value::Int(2000));
        let outcome = fx.run().expect("plans");
        assert_eq!(
            outcome.objective,
            Cost::from(outcome.result.score),
            "seed {seed}"
        );
    }
}

#[test]
fn the_search_improves_on_the_greedy() {
    let mut total_greedy = Cost::ZERO;
    let mut total_searched = Cost::ZERO;
    for seed in 1..=10 {
        let mut fx = random(seed, MEDIUM);
        let searched = fx.run().expect("plans").objective;
        fx.param(config::SEARCH_ITERATIONS, Value::Int(0));
        let greedy = fx.run().expect("plans").objective;
        assert!(searched <= greedy, "seed {seed}: {searched:?} > {greedy:?}");
        total_greedy += greedy;
        total_searched += searched;
    }
    eprintln!("greedy {total_greedy:?}, after search {total_searched:?}");
}

#[test]
fn a_bigger_instance_is_planned_legally() {
    let size = Size {
        places: 300,
        techs: 60,
        days: 14,
        max_crew: 4,
    };
    let fx = random(3, size);
    let started = Instant::now();
    let result = fx.plan();
    eprintln!(
        "big instance ({} places, {} technicians, {} needs): planned in {:?}, {} iterations, {} schedules evaluated, {} unfilled needs",
        size.places,
        size.techs,
        fx.problem.needs.len(),
        started.elapsed(),
        result.stats.iterations,
        result.stats.evaluations,
        result.unfilled.len()
    );
    assert_eq!(result.score.hard, 0);
}

#[test]
fn describe_and_validate_params_agree_with_the_table() {
    let info = crate::catalog::describe();
    assert_eq!(info.name, "callsheet-assigner");
    assert_eq!(info.params.len(), config::SPECS.len());
    assert!(config::validate(&[]).is_empty());
    let bad = vec![
        callsheet_plugin_sdk::testing::param("assigner.nope", Value::Int(1)),
        callsheet_plugin_sdk::testing::param(config::SEARCH_BATCH, Value::Int(0)),
    ];
    let codes: Vec<String> = config::validate(&bad).into_iter().map(|e| e.code).collect();
    assert_eq!(codes, vec!["unknown", "out-of-range"]);
}

/// The benchmark-sized instance, timed (run with `--ignored --nocapture`, in release).
#[test]
#[ignore = "timing only: cargo test --release -p callsheet-assigner -- --ignored --nocapture"]
fn time_a_500_place_200_technician_instance() {
    let size = Size {
        places: 500,
        techs: 200,
        days: 14,
        max_crew: 4,
    };
    for seed in 1..=3 {
        let fx = random(seed, size);
        let started = Instant::now();
        let result = fx.plan();
        eprintln!(
            "500 places, 200 technicians, {} needs, seed {seed}: {:?}, {} iterations, {} schedules evaluated in {} calls, score {:?}, {} places unfilled",
            fx.problem.needs.len(),
            started.elapsed(),
            result.stats.iterations,
            result.stats.evaluations,
            result
                .stats
                .figures
                .iter()
                .find(|f| f.name == "rules-calls")
                .map_or(0, |f| f.value),
            result.score,
            result.unfilled.iter().map(|u| u.places).sum::<u32>()
        );
        eprintln!(
            "  {:?}",
            result
                .stats
                .figures
                .iter()
                .map(|f| (f.name.as_str(), f.value))
                .collect::<Vec<_>>()
        );
        assert_eq!(result.score.hard, 0);
    }
}

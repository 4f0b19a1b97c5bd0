//! `plan`: determinism, the planner contract, and the assigner's quality.

use callsheet_engine::{generator, plan};
use callsheet_runtime::types::{Param, Severity, Value};

use crate::common::*;

#[test]
fn the_same_run_twenty_times_gives_identical_bytes_with_the_fixture_assigner() {
    let (assigner, rules) = (fixture_assigner(), rules());
    let problem = generator::festival_week(11);
    let first = plan(&problem, &assigner, &rules).expect("plans");
    let bytes = first.canonical_json().expect("serialises");
    for _ in 1..20 {
        let again = plan(&problem, &assigner, &rules).expect("plans");
        assert_eq!(again.canonical_json().expect("serialises"), bytes);
    }
    assert!(first.fuel.assigner > 0 && first.fuel.rules > 0);
    assert_eq!(first.inputs_sha256.len(), 64);
    assert_eq!(first.plugins.rules.name, "callsheet-rules-fr");
}

#[test]
fn pinned_assignments_come_back_unchanged() {
    let (assigner, rules) = (fixture_assigner(), rules());
    let problem = generator::festival_week(12);
    let outcome = plan(&problem, &assigner, &rules).expect("plans");
    for pin in problem.assignments.iter().filter(|a| a.pinned) {
        assert!(outcome.assignments.iter().any(|p| &p.assignment == pin));
    }
}

#[test]
fn inputs_digest_changes_with_the_parameters() {
    let (assigner, rules) = (fixture_assigner(), rules());
    let problem = generator::festival_week(13);
    let a = callsheet_engine::inputs_sha256(&problem, &assigner, &rules).expect("digest");
    let mut tuned = rules.clone();
    tuned.params = vec![Param {
        name: "work.daily.max".into(),
        value: Value::Int(12 * HOUR),
    }];
    let b = callsheet_engine::inputs_sha256(&problem, &assigner, &tuned).expect("digest");
    assert_ne!(a, b);
}

#[test]
fn the_default_assigner_is_deterministic_over_twenty_runs() {
    let Some(assigner) = default_assigner(vec![]) else {
        return;
    };
    let rules = rules();
    let problem = generator::festival_week(21);
    let bytes = plan(&problem, &assigner, &rules)
        .expect("plans")
        .canonical_json()
        .expect("serialises");
    for _ in 1..20 {
        let again = plan(&problem, &assigner, &rules).expect("plans");
        assert_eq!(again.canonical_json().expect("serialises"), bytes);
    }
}

#[test]
fn the_default_assigner_leaves_no_hard_violation_on_feasible_instances() {
    let Some(assigner) = default_assigner(vec![]) else {
        return;
    };
    let rules = rules();
    // Feasible: the plan of the pins alone breaks no hard rule (the generator's guarantee),
    // and cover is soft by default, so a plan with hard = 0 exists.
    for problem in [generator::festival_week(31), generator::custom(120, 40, 32)] {
        let outcome = plan(&problem, &assigner, &rules).expect("plans");
        let hard: Vec<_> = outcome
            .violations
            .iter()
            .filter(|v| v.severity == Severity::Hard)
            .map(|v| v.message.clone())
            .collect();
        assert_eq!(outcome.score.hard, 0, "hard violations left: {hard:#?}");
    }
}

#[test]
fn an_assigner_result_that_breaks_the_contract_is_refused_before_it_is_scored() {
    // The fixture's `cheat` mode behaves on the conformance sample's tenant and, on any
    // other, adds a proposal with an inverted window after its own evaluation.
    let bytes = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../runtime/tests/fixtures/assigner.wasm"),
    )
    .expect("runtime fixture");
    let mode = vec![Param {
        name: "mode".into(),
        value: Value::Text("cheat".into()),
    }];
    let assigner = callsheet_engine::Configured::assigner(
        runtime(),
        &bytes,
        mode,
        callsheet_runtime::Budget::default(),
    )
    .expect("fixture loads");
    let rules = rules();
    let mut problem = generator::festival_week(14);
    plan(&problem, &assigner, &rules).expect("the sample's tenant gets a valid plan");

    problem.tenant_id = "another-tenant".into();
    let err = plan(&problem, &assigner, &rules).expect_err("refused");
    assert_eq!(err.code(), "ENGINE_CONTRACT_BROKEN");
    let callsheet_engine::EngineError::Contract(breach) = err else {
        unreachable!()
    };
    assert_eq!(breach.kind.code(), "empty-window", "{breach}");
    assert_eq!(breach.need_id, problem.needs[0].id);
}

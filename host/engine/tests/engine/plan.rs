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
fn a_budget_aware_assigner_is_told_the_runs_fuel_unless_the_tenant_set_it() {
    use callsheet_engine::{FUEL_BUDGET_PARAM, assigner_params};

    let Some(assigner) = default_assigner(vec![]) else {
        return;
    };
    let told = |params: Vec<Param>, fuel| {
        assigner_params(&assigner.plugin, &params, fuel)
            .expect("describes")
            .into_iter()
            .find(|p| p.name == FUEL_BUDGET_PARAM)
            .map(|p| p.value)
    };
    assert_eq!(told(vec![], 45_000_000_000), Some(Value::Int(45_000)));
    // Never 0, which the default assigner reads as "no limit".
    assert_eq!(told(vec![], 1_000), Some(Value::Int(1)));
    let set = vec![Param {
        name: FUEL_BUDGET_PARAM.into(),
        value: Value::Int(0),
    }];
    assert_eq!(
        told(set, 45_000_000_000),
        Some(Value::Int(0)),
        "the tenant's own"
    );
    // An assigner that does not declare it gets nothing it would refuse.
    let fixture = fixture_assigner();
    let params = assigner_params(&fixture.plugin, &vec![], 45_000_000_000).expect("describes");
    assert!(params.is_empty(), "{params:?}");
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

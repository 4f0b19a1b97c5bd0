//! Well-behaved calls: the three slots, the `tenant-rules` routing, determinism, and the
//! async API staying off the executor.

use std::sync::Arc;
use std::time::{Duration, Instant};

use callsheet_runtime::types::*;
use callsheet_runtime::{Budget, Error, Runtime, RuntimeConfig};

use crate::common::*;

#[test]
fn a_rules_session_evaluates_schedules_and_plans_with_figures() {
    let problem = problem();
    let opened = rules().open(&problem, &vec![]).expect("opens");
    assert!(opened.fuel_used > 0);
    let session = opened.value;

    // t1 on both overlapping needs: one hard overlap with its figure; t2 on n1: clean.
    let schedules = vec![
        Schedule {
            technician_id: "t1".into(),
            shifts: vec![shift(&problem, "n1"), shift(&problem, "n2")],
        },
        Schedule {
            technician_id: "t2".into(),
            shifts: vec![shift(&problem, "n1")],
        },
    ];
    let evaluated = session.evaluate_schedules(&schedules).expect("evaluates");
    assert!(evaluated.fuel_used > 0);
    let [t1, t2] = &evaluated.value[..] else {
        panic!("one evaluation per schedule")
    };
    assert_eq!(t1.score, Score { hard: 1, soft: 0 });
    assert_eq!(t1.violations[0].rule_id, "overlap");
    assert_eq!(
        t1.violations[0].figures[0].value,
        2 * 3600,
        "overlap of 2 h"
    );
    assert_eq!(t2.score, Score { hard: 0, soft: 0 });

    // An empty plan leaves every place short: cover.under at 100 points a place.
    let plan = session
        .evaluate_plan(&Plan {
            assignments: vec![],
        })
        .expect("evaluates")
        .value;
    assert_eq!(plan.score, Score { hard: 0, soft: 400 });
    assert_eq!(plan.schedules.len(), 3, "one evaluation per technician");
}

#[test]
fn a_rules_plugin_error_is_passed_through_with_its_code() {
    let session = rules().open(&problem(), &vec![]).expect("opens").value;
    let unknown = Schedule {
        technician_id: "nobody".into(),
        shifts: vec![],
    };
    let err = session
        .evaluate_schedules(&[unknown])
        .expect_err("unknown technician");
    assert_eq!(err.code(), "PLUGIN_ERROR");
    assert_eq!(
        err.plugin_error().map(|e| e.code.as_str()),
        Some("invalid-input")
    );
    // A returned error does not break the session.
    assert!(
        session
            .evaluate_plan(&Plan {
                assignments: vec![]
            })
            .is_ok()
    );
}

#[test]
fn the_assigner_plans_through_the_tenants_rules() {
    let run = assigner()
        .plan(&problem(), &vec![], &rules(), &vec![])
        .expect("plans");
    let placed: Vec<(&str, &str)> = run
        .value
        .result
        .assignments
        .iter()
        .map(|p| {
            (
                p.assignment.need_id.as_str(),
                p.assignment.technician_id.as_str(),
            )
        })
        .collect();
    // n2 cannot go to t1 (overlap with n1, reported by the rules plugin): t3 gets it.
    assert_eq!(
        placed,
        [("n1", "t1"), ("n1", "t2"), ("n2", "t3"), ("n3", "t1")]
    );
    assert_eq!(run.value.result.score, Score { hard: 0, soft: 0 });
    assert!(run.value.result.unfilled.is_empty());
    // describe-rules reached the rules plugin: it declares 4 rules.
    assert_eq!(run.value.result.stats.figures[0].value, 4);
    assert_eq!(
        run.value.rules_calls, 5,
        "4 evaluate-schedules + 1 evaluate-plan"
    );
    assert!(run.fuel_used > 0 && run.value.rules_fuel_used > 0);
}

#[test]
fn the_rules_parameters_reach_the_rules_plugin() {
    // max-shifts = 1: whoever takes n3 has a second shift, 10 soft points.
    let rules_params = vec![Param {
        name: "max-shifts".into(),
        value: Value::Int(1),
    }];
    let run = assigner()
        .plan(&problem(), &vec![], &rules(), &rules_params)
        .expect("plans");
    assert_eq!(run.value.result.score, Score { hard: 0, soft: 10 });
    let n3 = run
        .value
        .result
        .assignments
        .iter()
        .find(|p| p.assignment.need_id == "n3")
        .unwrap();
    assert_eq!(n3.terms[0].points, 10);
}

#[test]
fn payroll_computes_a_payslip() {
    let outcome = payroll()
        .compute(&pay_input("ok"), &vec![])
        .expect("computes");
    assert!(outcome.fuel_used > 0);
    assert_good_payslip(&payroll());
}

#[test]
fn validate_params_returns_the_plugins_errors_as_a_value() {
    let rules = rules();
    assert_eq!(rules.validate_params(&vec![]).expect("runs").value, Ok(()));
    let refused = rules
        .validate_params(&vec![text_param("nope", "x")])
        .expect("runs")
        .value;
    let errors = refused.expect_err("unknown parameter");
    assert_eq!(
        (errors[0].name.as_str(), errors[0].code.as_str()),
        ("nope", "unknown")
    );
}

#[test]
fn the_same_run_twenty_times_gives_identical_bytes_and_fuel() {
    let (assigner, rules, problem) = (assigner(), rules(), problem());
    let first = assigner
        .plan(&problem, &vec![], &rules, &vec![])
        .expect("plans");
    let bytes = postcard::to_allocvec(&first.value.result).expect("serializes");
    for i in 1..20 {
        let again = assigner
            .plan(&problem, &vec![], &rules, &vec![])
            .expect("plans");
        assert_eq!(
            postcard::to_allocvec(&again.value.result).unwrap(),
            bytes,
            "run {i}"
        );
        assert_eq!(again.fuel_used, first.fuel_used, "assigner fuel, run {i}");
        assert_eq!(
            again.value.rules_fuel_used, first.value.rules_fuel_used,
            "rules fuel, run {i}"
        );
    }
}

#[test]
fn nans_are_canonical() {
    let payslip = payroll()
        .compute(&pay_input("nan"), &vec![])
        .expect("computes")
        .value;
    let bits = payslip.figures[0].value as u64;
    assert_eq!(bits, 0x7ff8_0000_0000_0000, "got {bits:#x}");
}

#[test]
fn an_input_over_the_limit_is_refused_before_the_guest_runs() {
    let runtime = Runtime::new(RuntimeConfig {
        max_input_bytes: 64,
        ..config()
    })
    .unwrap();
    let payroll = runtime.load_payroll(PAYROLL).unwrap();
    let err = payroll
        .compute(&pay_input("ok"), &vec![])
        .expect_err("too large");
    assert!(
        matches!(
            err,
            Error::InputTooLarge {
                what: "pay-input",
                limit: 64,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(err.code(), "PLUGIN_INPUT_TOO_LARGE");
    assert_eq!(runtime.stats().instantiations, 0);
}

/// A spinning guest must not stall the executor: on a single-threaded runtime, a ticker
/// task keeps ticking while the guest spins until its deadline.
#[tokio::test(flavor = "current_thread")]
async fn a_spinning_guest_does_not_stall_the_async_executor() {
    let spinning = payroll().with_budget(Budget {
        fuel: 1 << 62,
        timeout: Duration::from_secs(2),
    });
    let call = tokio::spawn(async move { spinning.compute_async(pay_input("loop"), vec![]).await });
    let started = Instant::now();
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let ticked_in = started.elapsed();
    assert!(!call.is_finished(), "the guest is still spinning");
    assert!(
        ticked_in < Duration::from_millis(1500),
        "ticker starved: {ticked_in:?}"
    );
    let err = call.await.unwrap().expect_err("times out");
    assert_eq!(err.code(), "PLUGIN_TIMEOUT");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_beyond_the_pool_queue_instead_of_failing() {
    let runtime = Runtime::new(RuntimeConfig {
        max_instances: 2,
        ..config()
    })
    .unwrap();
    let payroll = runtime.load_payroll(PAYROLL).unwrap();
    let rules = runtime.load_rules(RULES).unwrap();
    let assigner = runtime.load_assigner(ASSIGNER).unwrap();
    let problem = Arc::new(problem());
    let mut calls = Vec::new();
    for _ in 0..6 {
        let payroll = payroll.clone();
        calls.push(tokio::spawn(async move {
            payroll
                .compute_async(pay_input("ok"), vec![])
                .await
                .map(|o| o.value.gross)
        }));
        let (assigner, rules, problem) = (assigner.clone(), rules.clone(), problem.clone());
        calls.push(tokio::spawn(async move {
            assigner
                .plan_async(problem, vec![], rules, vec![])
                .await
                .map(|o| o.value.result.score.soft)
        }));
    }
    for call in calls {
        call.await.unwrap().expect("every call eventually runs");
    }
}

#[tokio::test]
async fn the_async_api_validates_opens_and_evaluates_off_the_executor() {
    let runtime = runtime().clone();
    let info = runtime
        .validate_async(callsheet_runtime::Slot::Rules, RULES.into())
        .await
        .unwrap();
    assert_eq!(info.name, "fixture-rules");
    let rules = runtime
        .load_async(callsheet_runtime::Slot::Rules, RULES.into())
        .await
        .unwrap();
    let rules = rules.into_rules().unwrap();
    assert_eq!(rules.describe_async().await.unwrap(), info);
    let session = rules
        .open_async(Arc::new(problem()), vec![])
        .await
        .unwrap()
        .value;
    let plan = session
        .evaluate_plan_async(Plan {
            assignments: vec![],
        })
        .await
        .unwrap();
    assert_eq!(plan.value.score.soft, 400);
    let none = session.evaluate_schedules_async(vec![]).await.unwrap();
    assert!(none.value.is_empty());
}

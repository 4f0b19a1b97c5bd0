//! Hostile plugins: each fails with its own error, and the same runtime keeps serving
//! well-behaved calls right after.

use std::time::{Duration, Instant};

use callsheet_runtime::{Budget, Error, LimitExceeded, Slot, TrapKind};

use crate::common::*;

/// Runs the payroll fixture in `mode` and checks a good call still works after it.
fn compute(mode: &str, budget: Option<Budget>) -> Error {
    let mut plugin = payroll();
    if let Some(budget) = budget {
        plugin = plugin.with_budget(budget);
    }
    let err = plugin.compute(&pay_input(mode), &vec![]).expect_err(mode);
    assert_good_payslip(&payroll());
    err
}

#[test]
fn an_infinite_loop_exhausts_its_fuel() {
    let budget = Budget {
        fuel: 50_000_000,
        timeout: Duration::from_secs(30),
    };
    let err = compute("loop", Some(budget));
    assert_eq!(err, Error::FuelExhausted { budget: 50_000_000 });
    assert_eq!(err.code(), "PLUGIN_FUEL_EXHAUSTED");
}

#[test]
fn an_infinite_loop_with_huge_fuel_hits_the_epoch_deadline() {
    let timeout = Duration::from_millis(300);
    let started = Instant::now();
    let err = compute(
        "loop",
        Some(Budget {
            fuel: 1 << 62,
            timeout,
        }),
    );
    assert_eq!(err, Error::Timeout { limit: timeout });
    assert_eq!(err.code(), "PLUGIN_TIMEOUT");
    // Fires a tick after the timeout at most, plus scheduling slack on a loaded machine.
    let elapsed = started.elapsed();
    assert!(
        elapsed >= timeout && elapsed < timeout + Duration::from_secs(2),
        "{elapsed:?}"
    );
}

#[test]
fn negative_or_extreme_pay_lines_are_refused_as_invalid_output() {
    for (mode, says) in [
        ("negative", "never negative"),
        ("extreme", "a line may carry"),
    ] {
        let err = compute(mode, None);
        assert_eq!(err.code(), "PLUGIN_OUTPUT_INVALID", "{mode}: {err:?}");
        assert!(err.to_string().contains(says), "{mode}: {err}");
    }
}

#[test]
fn a_memory_bomb_hits_the_memory_limit() {
    let err = compute("bomb", None);
    let Error::MemoryLimit(LimitExceeded::Memory { requested, limit }) = err else {
        panic!("expected a memory limit, got {err:?}");
    };
    assert_eq!(limit, 32 * MIB);
    assert!(requested > limit);
    assert_eq!(
        Error::MemoryLimit(LimitExceeded::Memory { requested, limit }).code(),
        "PLUGIN_MEMORY_LIMIT"
    );
}

#[test]
fn deep_recursion_traps_with_a_stack_overflow() {
    let err = compute("recurse", None);
    assert!(
        matches!(
            err,
            Error::Trap {
                kind: TrapKind::StackOverflow,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.code(), "PLUGIN_TRAP");
}

#[test]
fn deep_recursion_on_the_shadow_stack_traps_out_of_bounds() {
    // What a Rust guest with big frames usually hits first: its 1 MiB shadow stack, at the
    // bottom of linear memory, runs below address 0.
    let err = compute("recurse-frames", None);
    assert!(
        matches!(
            err,
            Error::Trap {
                kind: TrapKind::MemoryOutOfBounds,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn a_huge_output_is_refused() {
    // 20,000 lines: ~2 MB serialized, over the 1 MiB output limit, well under the memory cap.
    let mut input = pay_input("huge");
    input.attributes.push(callsheet_runtime::types::Param {
        name: "lines".into(),
        value: callsheet_runtime::types::Value::Int(20_000),
    });
    let err = payroll().compute(&input, &vec![]).expect_err("too big");
    assert_good_payslip(&payroll());
    assert_eq!(err.code(), "PLUGIN_OUTPUT_INVALID");
    assert!(
        err.to_string().contains("over the 1048576-byte limit"),
        "{err}"
    );
}

#[test]
fn unreachable_and_panics_trap() {
    for mode in ["trap", "panic"] {
        let err = compute(mode, None);
        assert!(
            matches!(
                err,
                Error::Trap {
                    kind: TrapKind::Unreachable,
                    ..
                }
            ),
            "{mode}: {err:?}"
        );
    }
}

#[test]
fn a_plugins_own_error_is_passed_through() {
    let err = compute("error", None);
    let Error::Plugin { error, fuel_used } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (error.code.as_str(), error.message.as_str()),
        ("invalid-input", "fixture refuses")
    );
    assert!(*fuel_used > 0);
}

#[test]
fn a_component_importing_wasi_filesystem_is_refused_at_validation() {
    let err = runtime()
        .validate(Slot::Payroll, WASI_FS)
        .expect_err("refused");
    assert_eq!(err.code(), "PLUGIN_INVALID");
    let message = err.to_string();
    assert!(message.contains("wasi:filesystem/types@0.2.6"), "{message}");
    assert!(
        message.contains("wasi:filesystem/preopens@0.2.6"),
        "{message}"
    );
    assert!(
        runtime().load(Slot::Payroll, WASI_FS).is_err(),
        "load refuses it too"
    );
    assert_good_payslip(&payroll());
}

#[test]
fn a_rules_plugin_failing_under_an_assigner_aborts_the_run_with_its_error() {
    let rules = rules().with_budget(Budget {
        fuel: 20_000_000,
        timeout: Duration::from_secs(30),
    });
    let looping = vec![text_param("mode", "loop")];
    let err = assigner()
        .plan(&problem(), &vec![], &rules, &looping)
        .expect_err("rules spin");
    assert!(err.is_from_rules(), "{err:?}");
    assert_eq!(
        err,
        Error::Rules(Box::new(Error::FuelExhausted { budget: 20_000_000 }))
    );
    assert_eq!(err.code(), "PLUGIN_FUEL_EXHAUSTED");
    // The same plugins still plan.
    assert!(
        assigner()
            .plan(&problem(), &vec![], &crate::common::rules(), &vec![])
            .is_ok()
    );
}

#[test]
fn an_assigner_that_spins_runs_out_of_its_own_fuel_not_the_rules() {
    let assigner = assigner().with_budget(Budget {
        fuel: 30_000_000,
        timeout: Duration::from_secs(30),
    });
    let err = assigner
        .plan(
            &problem(),
            &vec![text_param("mode", "loop")],
            &rules(),
            &vec![],
        )
        .expect_err("spins");
    assert_eq!(err, Error::FuelExhausted { budget: 30_000_000 });
}

#[test]
fn a_failed_session_keeps_failing_with_the_same_error_and_others_are_unaffected() {
    let rules = rules().with_budget(Budget {
        fuel: 10_000_000,
        timeout: Duration::from_secs(30),
    });
    let session = rules
        .open(&problem(), &vec![text_param("mode", "loop")])
        .expect("opens")
        .value;
    let first = session.evaluate_schedules(&[]).expect_err("spins");
    assert_eq!(first, Error::FuelExhausted { budget: 10_000_000 });
    assert_eq!(
        session.evaluate_plan(&callsheet_runtime::types::Plan {
            assignments: vec![]
        }),
        Err(first)
    );
    let fresh = rules.open(&problem(), &vec![]).expect("opens").value;
    assert!(fresh.evaluate_schedules(&[]).is_ok());
}

#[test]
fn tenant_rules_outside_plan_traps() {
    let err = assigner()
        .validate_params(&vec![text_param("mode", "outside")])
        .expect_err("traps");
    assert!(
        matches!(&err, Error::Trap { kind: TrapKind::ComponentModel, detail } if detail.contains("planner.plan")),
        "{err:?}"
    );
    assert!(assigner().validate_params(&vec![]).is_ok());
}

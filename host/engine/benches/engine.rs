#![allow(missing_docs)] // criterion_group! generates undocumented functions
//! Engine benchmarks: planning time and score by size, the gap to the proven MILP optimum,
//! plugin instantiation and call overhead, and the default rules as WASM against the same
//! crate compiled natively.
//!
//! `cargo bench --bench engine` (from host/engine). Scores, gaps and fuel are printed on
//! stderr once per case ("figure: ..."), since criterion only measures time; a case's
//! figures are computed when the case runs, so a filter (`-- rules_wasm_vs_native`) skips
//! the MILP solves and planning runs of the cases it leaves out. Set
//! `CALLSHEET_BENCH_SEASON=1` to include the 5,000-place venue season.
//!
//! Needs `plugins/dist/assigner.wasm`; without it the planning cases are skipped.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use callsheet_engine::reference::{self, AssignerWeights, Options};
use callsheet_engine::{Configured, generator, plan};
use callsheet_runtime::types::{Param, Plan, Problem, Schedule, Value};
use callsheet_runtime::{AssignerPlugin, Budget, RulesPlugin, Runtime, RuntimeConfig};
use criterion::{Criterion, criterion_group, criterion_main};

fn read(path: &str) -> Option<Vec<u8>> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(path),
    )
    .ok()
}

struct Setup {
    runtime: Runtime,
    rules: Configured<RulesPlugin>,
    assigner: Option<Configured<AssignerPlugin>>,
}

fn setup(assigner_params: Vec<Param>) -> Setup {
    let runtime = Runtime::new(RuntimeConfig::default()).expect("runtime");
    // Large budgets: the benchmark measures, the tenant's budget is a policy.
    let budget = Budget {
        fuel: 2_000_000_000_000,
        timeout: Duration::from_secs(600),
    };
    let rules = Configured::rules(
        &runtime,
        &read("plugins/dist/rules.wasm").expect("rules.wasm"),
        vec![],
        budget,
    )
    .expect("rules load");
    let assigner = read("plugins/dist/assigner.wasm").map(|bytes| {
        Configured::assigner(&runtime, &bytes, assigner_params, budget).expect("assigner loads")
    });
    if assigner.is_none() {
        eprintln!("figure: SKIPPED planning benchmarks: plugins/dist/assigner.wasm is not built");
    }
    Setup {
        runtime,
        rules,
        assigner,
    }
}

fn places(p: &Problem) -> u32 {
    p.needs.iter().map(|n| n.min_crew).sum()
}

/// Planning time by size, and the score, unfilled places and fuel of each size once.
fn planning(c: &mut Criterion) {
    let s = setup(vec![]);
    let Some(assigner) = &s.assigner else { return };
    let mut cases = vec![
        ("festival_week_50", generator::festival_week(1)),
        ("touring_month_500", generator::touring_month(1)),
    ];
    if std::env::var_os("CALLSHEET_BENCH_SEASON").is_some() {
        cases.push(("venue_season_5000", generator::venue_season(1)));
    }
    let mut group = c.benchmark_group("plan");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    for (name, problem) in &cases {
        // The figure's own run happens when the case is measured, not when a filter skips it.
        let figure = std::sync::Once::new();
        group.bench_function(*name, |b| {
            figure.call_once(|| {
                let started = std::time::Instant::now();
                let outcome = plan(problem, assigner, &s.rules).expect("plans");
                let unfilled: u32 = outcome.unfilled.iter().map(|u| u.places).sum();
                eprintln!(
                    "figure: plan {name}: {} places, {} technicians, score hard {} soft {}, \
                     {unfilled} places unfilled, assigner fuel {}, rules fuel {}, {} rules calls, \
                     one run {:.2?}",
                    places(problem),
                    problem.technicians.len(),
                    outcome.score.hard,
                    outcome.score.soft,
                    outcome.fuel.assigner,
                    outcome.fuel.rules,
                    outcome.rules_calls,
                    started.elapsed()
                );
            });
            b.iter(|| plan(black_box(problem), assigner, &s.rules).expect("plans"))
        });
    }
    group.finish();
}

/// The heuristic against the proven optimum, on the sizes the MILP proves (balance term
/// off on both sides so they minimise the same objective); times the MILP on one of them.
fn gap(c: &mut Criterion) {
    let params = vec![Param {
        name: "assigner.balance.weight".into(),
        value: Value::Int(0),
    }];
    let s = setup(params);
    let Some(assigner) = &s.assigner else { return };
    let options = Options::default();
    // The figures solve five MILPs (most of this file's set-up time), so they run when the
    // group's benchmark does, not when a filter skips it.
    let figures = std::sync::Once::new();
    let p = generator::custom(30, 10, 3);
    let mut group = c.benchmark_group("reference");
    group.sample_size(10);
    group.bench_function("milp_custom_30x10", |b| {
        figures.call_once(|| gap_figures(assigner, &s.rules, &options));
        b.iter(|| reference::solve(black_box(&p), &options).expect("solves"))
    });
    group.finish();
}

/// The heuristic's score against the proven optimum on each size, printed.
fn gap_figures(
    assigner: &Configured<AssignerPlugin>,
    rules: &Configured<RulesPlugin>,
    options: &Options,
) {
    for (places, techs, seed) in [
        (16, 6, 1),
        (24, 8, 2),
        (30, 10, 3),
        (30, 10, 4),
        (50, 20, 1),
    ] {
        let p = generator::custom(places, techs, seed);
        let r = reference::solve(&p, options).expect("solves");
        let outcome = plan(&p, assigner, rules).expect("plans");
        let heuristic = outcome.score.soft
            + reference::assigner_terms(&p, &outcome.plan(), &AssignerWeights::default());
        let gap = if r.objective != 0 {
            100.0 * (heuristic - r.objective) as f64 / r.objective.abs() as f64
        } else {
            0.0
        };
        eprintln!(
            "figure: gap custom({places}, {techs}, {seed}): optimum {} (proven {}, {:.2} s), \
             heuristic {heuristic}, gap {gap:.2} %",
            r.objective, r.proven_optimal, r.seconds
        );
    }
}

/// What the sandbox costs: a fresh instance and one call (`validate-params([])`), one call
/// on an open session (`evaluate-schedules` of one empty schedule), and a whole plan
/// evaluated in WASM.
fn overhead(c: &mut Criterion) {
    let s = setup(vec![]);
    let rules = &s.rules.plugin;
    let problem = generator::touring_month(1);
    let session = rules.open(&problem, &vec![]).expect("opens").value;
    let one = vec![Schedule {
        technician_id: problem.technicians[0].id.clone(),
        shifts: vec![],
    }];
    let pins = Plan {
        assignments: problem.assignments.clone(),
    };
    let mut group = c.benchmark_group("plugin");
    group.bench_function("instantiate_and_call", |b| {
        b.iter(|| rules.validate_params(black_box(&vec![])).expect("calls"))
    });
    group.bench_function("session_call", |b| {
        b.iter(|| session.evaluate_schedules(black_box(&one)).expect("calls"))
    });
    group.sample_size(20);
    group.bench_function("evaluate_plan_touring_month", |b| {
        b.iter(|| session.evaluate_plan(black_box(&pins)).expect("evaluates"))
    });
    group.finish();
    let _ = &s.runtime;
}

/// The same rules, the same problem and plan, evaluated by the committed WASM component
/// under the sandbox and by the `callsheet-rules-fr` crate compiled natively; the two
/// evaluations must be identical, and the ratio of their times is printed.
fn wasm_vs_native(c: &mut Criterion) {
    let s = setup(vec![]);
    let problem = generator::touring_month(1);
    let full_plan = match &s.assigner {
        Some(assigner) => plan(&problem, assigner, &s.rules).expect("plans").plan(),
        None => Plan {
            assignments: problem.assignments.clone(),
        },
    };
    let session = s.rules.plugin.open(&problem, &vec![]).expect("opens").value;

    // The runtime's and the guest SDK's types come from the same WIT; serde carries one to
    // the other field for field.
    let native_problem: callsheet_plugin_sdk::types::Problem =
        serde_json::from_value(serde_json::to_value(&problem).expect("ser"))
            .expect("the SDK reads the host's problem");
    let native_plan: callsheet_plugin_sdk::types::Plan =
        serde_json::from_value(serde_json::to_value(&full_plan).expect("ser")).expect("plan");
    let native = callsheet_rules_fr::evaluator::Evaluator::open(native_problem, vec![])
        .unwrap_or_else(|_| panic!("the native rules open the problem"));

    let wasm_eval = session.evaluate_plan(&full_plan).expect("wasm").value;
    let native_eval = native
        .evaluate_plan(&native_plan)
        .unwrap_or_else(|_| panic!("native evaluation"));
    assert_eq!(
        serde_json::to_value(&wasm_eval).expect("ser"),
        serde_json::to_value(&native_eval).expect("ser"),
        "WASM and native rules disagree"
    );

    // The ratio, measured in one run, interleaved so machine noise hits both alike.
    let rounds = 20;
    let (mut wasm_time, mut native_time) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..rounds {
        let t = std::time::Instant::now();
        black_box(session.evaluate_plan(black_box(&full_plan)).expect("wasm"));
        wasm_time += t.elapsed();
        let t = std::time::Instant::now();
        black_box(native.evaluate_plan(black_box(&native_plan)).is_ok());
        native_time += t.elapsed();
    }
    eprintln!(
        "figure: rules evaluate_plan touring_month ({} assignments): wasm {:.2} ms, native {:.2} ms, ratio {:.2}",
        full_plan.assignments.len(),
        wasm_time.as_secs_f64() * 1000.0 / f64::from(rounds),
        native_time.as_secs_f64() * 1000.0 / f64::from(rounds),
        wasm_time.as_secs_f64() / native_time.as_secs_f64()
    );

    let mut group = c.benchmark_group("rules_wasm_vs_native");
    group.sample_size(20);
    group.bench_function("wasm_evaluate_plan_touring_month", |b| {
        b.iter(|| session.evaluate_plan(black_box(&full_plan)).expect("wasm"))
    });
    group.bench_function("native_evaluate_plan_touring_month", |b| {
        b.iter(|| native.evaluate_plan(black_box(&native_plan)).is_ok())
    });
    group.finish();
}

criterion_group!(benches, overhead, wasm_vs_native, planning, gap);
criterion_main!(benches);

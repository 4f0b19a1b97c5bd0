//! The exact reference: known optima on tiny hand-made instances, agreement with the rules
//! plugin on generated ones, and the heuristic's gap to it.

use callsheet_engine::reference::{self, AssignerWeights, Options};
use callsheet_engine::{generator, plan};
use callsheet_runtime::types::*;

use crate::common::*;

/// The rules' soft score alone, as the rules plugin reports it.
fn rules_only() -> Options {
    Options {
        assigner: None,
        ..Options::default()
    }
}

/// The rules plugin's score of a plan.
fn evaluate(problem: &Problem, plan: &Plan) -> Score {
    let rules = rules();
    let session = rules
        .plugin
        .open(problem, &rules.params)
        .expect("opens")
        .value;
    session.evaluate_plan(plan).expect("evaluates").value.score
}

fn solve(problem: &Problem) -> reference::Reference {
    let r = reference::solve(problem, &rules_only()).expect("solves");
    assert!(r.proven_optimal, "not proven optimal");
    r
}

#[test]
fn overlapping_needs_take_the_most_costly_one() {
    let day = ymd(2025, 6, 4);
    let m1 = mission("m1", None, window(at(day, 8, 0), at(day, 12, 0)));
    let m2 = mission("m2", None, window(at(day, 10, 0), at(day, 14, 0)));
    let n1 = need("n1", &m1, "sound", 1, m1.window);
    let mut n2 = need("n2", &m2, "sound", 1, m2.window);
    n2.unfilled_penalty = 2_000;
    let p = problem(
        vec![technician("t1", &["sound"])],
        vec![m1, m2],
        vec![n1, n2],
    );
    let r = solve(&p);
    assert_eq!(r.objective, 1_000);
    assert_eq!(r.plan.assignments.len(), 1);
    assert_eq!(r.plan.assignments[0].need_id, "n2");
    assert_eq!(
        evaluate(&p, &r.plan),
        Score {
            hard: 0,
            soft: 1_000
        }
    );
}

#[test]
fn an_unqualified_technician_is_never_used() {
    let day = ymd(2025, 6, 4);
    let m1 = mission("m1", None, window(at(day, 8, 0), at(day, 12, 0)));
    let n1 = need("n1", &m1, "rigging", 2, m1.window);
    let p = problem(vec![technician("t1", &["sound"])], vec![m1], vec![n1]);
    let r = solve(&p);
    assert_eq!(r.objective, 2_000);
    assert!(r.plan.assignments.is_empty());
}

/// Load-in 08-12, show 19-23, load-out 23-02, one stage hand. All three: rest 7 h < 9 h
/// (hard). Load-in + show: derogation, 120 min + load-out unfilled = 1120. Show +
/// load-out: 7 h without a break (10) + load-in unfilled = 1010. Load-in + load-out: 11 h
/// apart, no rule broken, show unfilled = 1000: the optimum.
#[test]
fn daily_rest_picks_the_load_in_and_the_load_out() {
    let day = ymd(2025, 6, 4);
    let m = mission("m1", None, window(at(day, 8, 0), at(day, 26, 0)));
    let load_in = need("n1", &m, "stage", 1, window(at(day, 8, 0), at(day, 12, 0)));
    let show = need("n2", &m, "stage", 1, window(at(day, 19, 0), at(day, 23, 0)));
    let load_out = need("n3", &m, "stage", 1, window(at(day, 23, 0), at(day, 26, 0)));
    let p = problem(
        vec![technician("t1", &["stage"])],
        vec![m],
        vec![load_in, show, load_out],
    );
    let r = solve(&p);
    assert_eq!(r.objective, 1_000);
    let needs: Vec<&str> = r
        .plan
        .assignments
        .iter()
        .map(|a| a.need_id.as_str())
        .collect();
    assert_eq!(needs, ["n1", "n3"]);
    assert_eq!(
        evaluate(&p, &r.plan),
        Score {
            hard: 0,
            soft: 1_000
        }
    );
}

/// Load-in and show alone: the derogation (rest 9 h, 120 min missing) costs less than a
/// place.
#[test]
fn a_derogation_costs_its_missing_minutes() {
    let day = ymd(2025, 6, 4);
    let m = mission("m1", None, window(at(day, 8, 0), at(day, 23, 0)));
    let load_in = need("n1", &m, "stage", 1, window(at(day, 8, 0), at(day, 12, 0)));
    let show = need("n2", &m, "stage", 1, window(at(day, 19, 0), at(day, 23, 0)));
    let p = problem(
        vec![technician("t1", &["stage"])],
        vec![m],
        vec![load_in, show],
    );
    let r = solve(&p);
    assert_eq!(r.objective, 120);
    assert_eq!(r.plan.assignments.len(), 2);
    assert_eq!(evaluate(&p, &r.plan), Score { hard: 0, soft: 120 });
}

#[test]
fn incompatible_technicians_never_share_a_mission() {
    let day = ymd(2025, 6, 4);
    let m = mission("m1", None, window(at(day, 8, 0), at(day, 12, 0)));
    let n = need("n1", &m, "sound", 2, m.window);
    let (mut a, mut b) = (technician("t1", &["sound"]), technician("t2", &["sound"]));
    for (x, other) in [(&mut a, "t2"), (&mut b, "t1")] {
        x.relations.push(Relation {
            other: other.into(),
            kind: RelationKind::Incompatibility,
            severity: Severity::Hard,
            weight: 1,
        });
    }
    let p = problem(vec![a, b], vec![m], vec![n]);
    let r = solve(&p);
    assert_eq!((r.objective, r.plan.assignments.len()), (1_000, 1));
}

#[test]
fn ten_hours_a_day_at_most() {
    let day = ymd(2025, 6, 4);
    let m = mission("m1", None, window(at(day, 7, 0), at(day, 19, 0)));
    let early = need("n1", &m, "video", 1, window(at(day, 7, 0), at(day, 13, 0)));
    let late = need(
        "n2",
        &m,
        "video",
        1,
        window(at(day, 13, 30), at(day, 19, 0)),
    );
    let p = problem(
        vec![technician("t1", &["video"])],
        vec![m],
        vec![early, late],
    );
    let r = solve(&p);
    // 11 h 30 in the day: one shift only; each alone is under 6 h.
    assert_eq!((r.objective, r.plan.assignments.len()), (1_000, 1));
}

/// On generated instances the model scores its plan exactly as the rules plugin does, and
/// its plan breaks no hard rule: the linearisation is exact where it matters.
#[test]
fn the_rules_plugin_agrees_with_the_model_on_generated_instances() {
    for (places, techs, seed) in [(16, 6, 1), (24, 8, 2), (30, 10, 3)] {
        let p = generator::custom(places, techs, seed);
        let r = reference::solve(&p, &rules_only()).expect("solves");
        assert!(
            r.proven_optimal,
            "custom({places}, {techs}, {seed}) not proven"
        );
        let score = evaluate(&p, &r.plan);
        assert_eq!(
            score,
            Score {
                hard: 0,
                soft: r.rules_soft
            },
            "custom({places}, {techs}, {seed})"
        );
    }
}

/// The default assigner (balance term off, so both minimise the same objective) against the
/// proven optimum. Tolerance: 2 % of the optimum (see docs/benchmarks-engine.md): the
/// assigner is a bounded local search, and on these instances one place is worth 1000 to
/// 3000 points against preference terms of 5 to 40, so 2 % allows preference-level
/// differences but never a place left empty that the optimum fills.
#[test]
fn the_default_assigner_is_within_two_percent_of_the_optimum() {
    let params = vec![Param {
        name: "assigner.balance.weight".into(),
        value: Value::Int(0),
    }];
    let Some(assigner) = default_assigner(params) else {
        return;
    };
    let rules = rules();
    let weights = AssignerWeights::default();
    for (places, techs, seed) in [(16, 6, 1), (24, 8, 2), (30, 10, 3)] {
        let p = generator::custom(places, techs, seed);
        let r = reference::solve(&p, &Options::default()).expect("solves");
        assert!(r.proven_optimal);
        let outcome = plan(&p, &assigner, &rules).expect("plans");
        assert_eq!(outcome.score.hard, 0);
        let heuristic =
            outcome.score.soft + reference::assigner_terms(&p, &outcome.plan(), &weights);
        let tolerance = r.objective.abs() / 50;
        assert!(
            heuristic <= r.objective + tolerance,
            "custom({places}, {techs}, {seed}): heuristic {heuristic} > optimum {} + {tolerance}",
            r.objective
        );
    }
}

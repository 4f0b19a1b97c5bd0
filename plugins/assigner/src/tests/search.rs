//! The search over the whole plan: lexicographic (hard, soft) acceptance, repair of
//! infeasible starting points, never worse than the construction.

use callsheet_plugin_sdk::types::*;

use super::fixture::{Fx, HOUR, NativeRules, may, pairs};
use super::instances::{Size, random};
use crate::Rules;
use crate::config;
use crate::objective::Cost;
use crate::planner::{self, Outcome};

/// The default rules plus a tenant rule of the kind nurse rostering has: everyone works at
/// least `min` shifts, hard, `missing²` points (so two people one shift short weigh less
/// than one person two shifts short).
struct MinShifts {
    inner: NativeRules,
    min: i64,
}

impl MinShifts {
    fn points(&self, shifts: usize) -> i64 {
        let missing = (self.min - shifts as i64).max(0);
        missing * missing
    }
}

impl Rules for MinShifts {
    fn evaluate_schedules(
        &mut self,
        schedules: &[Schedule],
    ) -> Result<Vec<ScheduleEvaluation>, PluginError> {
        let mut out = self.inner.evaluate_schedules(schedules)?;
        for (e, s) in out.iter_mut().zip(schedules) {
            e.score.hard += self.points(s.shifts.len());
        }
        Ok(out)
    }

    fn evaluate_plan(&mut self, plan: &Plan) -> Result<PlanEvaluation, PluginError> {
        let mut out = self.inner.evaluate_plan(plan)?;
        for e in &mut out.schedules {
            let shifts = plan
                .assignments
                .iter()
                .filter(|a| {
                    a.technician_id == e.technician_id && a.status != AssignmentStatus::Declined
                })
                .count();
            let extra = self.points(shifts);
            e.score.hard += extra;
            out.score.hard += extra;
        }
        Ok(out)
    }
}

fn run_with(fx: &Fx, rules: &mut impl Rules) -> Outcome {
    planner::run(&fx.problem, &fx.params, rules).unwrap_or_else(|e| panic!("plans: {e:?}"))
}

#[test]
fn a_move_may_give_one_technician_a_hard_point_when_the_plan_loses_more() {
    // B holds both shifts (kept proposals); A has none. At least two shifts each, hard,
    // missing²: A costs 4, B 0. Moving one shift from B to A costs B 1 and saves A 3, so
    // the plan goes from 4 hard points to 2 although B's own schedule gains one: a search
    // that refused every move adding a hard point to someone's schedule stayed at 4.
    let mut fx = Fx::new();
    fx.tech("a", &["sound"]);
    fx.tech("b", &["sound"]);
    fx.need("Monday", "sound", may(5, 10, 0), may(5, 18, 0), 1);
    fx.need("Wednesday", "sound", may(7, 10, 0), may(7, 18, 0), 1);
    fx.assign("n01", "b", AssignmentStatus::Proposed, false);
    fx.assign("n02", "b", AssignmentStatus::Proposed, false);
    let mut rules = MinShifts {
        inner: NativeRules::open(&fx.problem, &[]),
        min: 2,
    };
    let outcome = run_with(&fx, &mut rules);
    assert_eq!(
        outcome.objective.hard,
        2,
        "one shift each: {:?}",
        pairs(&outcome.result)
    );
    let mut techs: Vec<String> = pairs(&outcome.result).into_iter().map(|p| p.1).collect();
    techs.sort();
    assert_eq!(techs, ["a", "b"], "one shift each");
    let traded = outcome
        .result
        .stats
        .figures
        .iter()
        .find(|f| f.name == "hard-trades")
        .map(|f| f.value);
    assert!(
        traded.is_some_and(|v| v >= 1),
        "the step that gave B a hard point is counted: {traded:?}"
    );
}

#[test]
fn an_infeasible_start_is_repaired_rather_than_frozen() {
    // Three people who must each work two shifts, four shifts: A and B hold two each (kept
    // proposals), C none, 4 hard points. Every way to give C work takes someone below the
    // minimum: the best plans have 2 hard points (2-1-1), reached only through steps that
    // raise someone's own hard count.
    let mut fx = Fx::new();
    for t in ["a", "b", "c"] {
        fx.tech(t, &["sound"]);
    }
    for day in 0..4u8 {
        fx.need(
            &format!("Day {day}"),
            "sound",
            may(5 + day, 10, 0),
            may(5 + day, 16, 0),
            1,
        );
    }
    for (n, t) in [(1, "a"), (2, "a"), (3, "b"), (4, "b")] {
        fx.assign(&format!("n{n:02}"), t, AssignmentStatus::Proposed, false);
    }
    let mut rules = MinShifts {
        inner: NativeRules::open(&fx.problem, &[]),
        min: 2,
    };
    let outcome = run_with(&fx, &mut rules);
    assert_eq!(outcome.objective.hard, 2, "{:?}", pairs(&outcome.result));
    assert_eq!(
        outcome.result.score.hard, 2,
        "the rules' own evaluation agrees"
    );
    let plan = pairs(&outcome.result);
    for t in ["a", "b", "c"] {
        assert!(plan.iter().any(|p| p.1 == t), "{t} works: {plan:?}");
    }
}

/// The default rules plus two hard rules of a rostering tenant for technician "a", each a
/// violation of its own at 1 point: "a" works at least `min` shifts (a point per shift
/// short) and may not work on the first need's day (a point per shift).
struct Rostering {
    inner: NativeRules,
    min: i64,
}

impl Rules for Rostering {
    fn evaluate_schedules(
        &mut self,
        schedules: &[Schedule],
    ) -> Result<Vec<ScheduleEvaluation>, PluginError> {
        let mut out = self.inner.evaluate_schedules(schedules)?;
        for (e, s) in out
            .iter_mut()
            .zip(schedules)
            .filter(|(_, s)| s.technician_id == "a")
        {
            let short = (self.min - s.shifts.len() as i64).max(0);
            let day_off = s.shifts.iter().filter(|x| x.need_id == "n01").count() as i64;
            for (rule, points) in [("test.min-shifts", short), ("test.day-off", day_off)] {
                if points > 0 {
                    e.violations.push(Violation {
                        rule_id: rule.into(),
                        severity: Severity::Hard,
                        penalty: points,
                        subjects: vec![Subject::Technician(s.technician_id.clone())],
                        message: rule.into(),
                        figures: vec![],
                    });
                    e.score.hard += points;
                }
            }
        }
        Ok(out)
    }

    fn evaluate_plan(&mut self, plan: &Plan) -> Result<PlanEvaluation, PluginError> {
        // The tests below read the assigner's objective, not the plan's evaluation.
        self.inner.evaluate_plan(plan)
    }
}

#[test]
fn the_construction_gives_no_one_a_shift_that_breaks_a_rule_their_shortfall_hides() {
    // A must work a shift and may not work Monday; B has no rule of the kind. A on Monday
    // costs A what A short does (1 point), so on sums alone the tie went to A, the first
    // candidate: a shift on a day off. Taking Monday makes no single rule of B's worse,
    // so B takes it.
    let mut fx = Fx::new();
    fx.tech("a", &["sound"]);
    fx.tech("b", &["sound"]);
    fx.need("Monday", "sound", may(5, 10, 0), may(5, 18, 0), 1);
    fx.param(config::SEARCH_ITERATIONS, Value::Int(0));
    let mut rules = Rostering {
        inner: NativeRules::open(&fx.problem, &[]),
        min: 1,
    };
    let outcome = run_with(&fx, &mut rules);
    assert_eq!(
        pairs(&outcome.result),
        [("n01".to_string(), "b".to_string())],
        "B takes Monday"
    );
}

#[test]
fn a_shift_on_a_forbidden_day_moves_to_another_day_of_the_same_technician() {
    // A alone, held (a kept proposal) on Monday, which A may not work, and at least one
    // shift. Wednesday takes one person at most (min-crew 0, extra crew at 1 point). The
    // legal plan moves A's shift from Monday to Wednesday: one change of A's schedule.
    let mut fx = Fx::new();
    fx.tech("a", &["sound"]);
    fx.need("Monday", "sound", may(5, 10, 0), may(5, 18, 0), 1);
    fx.need("Wednesday", "sound", may(7, 10, 0), may(7, 18, 0), 0);
    fx.problem.needs[1].max_crew = Some(1);
    fx.problem.needs[1].extra_penalty = 1;
    fx.assign("n01", "a", AssignmentStatus::Proposed, false);
    let mut rules = Rostering {
        inner: NativeRules::open(&fx.problem, &[]),
        min: 1,
    };
    let outcome = run_with(&fx, &mut rules);
    assert_eq!(outcome.objective.hard, 0, "{:?}", pairs(&outcome.result));
    assert_eq!(
        pairs(&outcome.result),
        [("n02".to_string(), "a".to_string())]
    );
}

/// Instances where the crew is short: about three places a head over a week.
const SCARCE: Size = Size {
    places: 60,
    techs: 8,
    days: 5,
    max_crew: 3,
};

#[test]
fn the_search_never_returns_a_plan_worse_than_its_construction() {
    // Plain rules, unfilled places as hard points (`cover.hard`), and rostering limits that
    // make the construction's choices bind: on every instance, the searched plan is at
    // least as good as the construction's (the same run with a search of 0 iterations).
    let variants: [(&str, Vec<Param>); 3] = [
        ("default rules", vec![]),
        (
            "cover.hard",
            vec![callsheet_plugin_sdk::testing::param(
                "cover.hard",
                Value::Bool(true),
            )],
        ),
        (
            "minimum total time",
            vec![
                callsheet_plugin_sdk::testing::param("time.total.min", Value::Int(16 * HOUR)),
                callsheet_plugin_sdk::testing::param("time.total.weight", Value::Int(50)),
            ],
        ),
    ];
    for (name, rules_params) in variants {
        for seed in 1..=6 {
            let mut fx = random(seed, SCARCE);
            fx.rules_params = rules_params.clone();
            let searched = fx.run().expect("plans").objective;
            fx.param(config::SEARCH_ITERATIONS, Value::Int(0));
            let greedy = fx.run().expect("plans").objective;
            assert!(
                searched <= greedy,
                "{name}, seed {seed}: searched {searched:?} is worse than the construction {greedy:?}"
            );
            assert!(
                searched.hard <= greedy.hard,
                "{name}, seed {seed}: more hard points"
            );
        }
    }
}

#[test]
fn costs_compare_hard_points_first() {
    let one_hard = Cost { hard: 1, soft: 0 };
    let much_soft = Cost {
        hard: 0,
        soft: 1_000_000,
    };
    assert!(much_soft < one_hard);
    assert!(Cost { hard: 1, soft: -5 } < Cost { hard: 1, soft: 0 });
}

/// One need of 8 h for one to three people (extra crew at 5 points each), three people
/// who must each work 8 h over the horizon (soft, `weight` points per started hour short).
fn short_of_work(weight: i64) -> Fx {
    let mut fx = Fx::new();
    for t in ["a", "b", "c"] {
        fx.tech(t, &["sound"]);
    }
    let need = fx.need("Show", "sound", may(6, 10, 0), may(6, 18, 0), 1);
    need.max_crew = Some(3);
    need.extra_penalty = 5;
    fx.rules_params = vec![
        callsheet_plugin_sdk::testing::param("time.total.min", Value::Int(8 * HOUR)),
        callsheet_plugin_sdk::testing::param("time.total.weight", Value::Int(weight)),
    ];
    fx
}

#[test]
fn the_search_staffs_above_min_crew_when_work_is_scarce_for_people_with_minimum_hours() {
    // min-crew work for one, three people each 8 h short of their minimum: every person
    // added at 5 points of extra penalty (and their cost) saves 8 x 50 points.
    let fx = short_of_work(50);
    let outcome = fx.run().expect("plans");
    let plan = pairs(&outcome.result);
    assert_eq!(plan.len(), 3, "everyone works the show: {plan:?}");
    let extra: Vec<&ScoreTerm> = outcome
        .result
        .assignments
        .iter()
        .flat_map(|a| &a.terms)
        .filter(|t| t.id == crate::catalog::EXTRA_CREW)
        .collect();
    assert_eq!(extra.len(), 2, "two of them are extra crew: {extra:?}");
    assert!(extra.iter().all(|t| t.points == 5));
    let mut greedy = fx.clone();
    greedy.param(config::SEARCH_ITERATIONS, Value::Int(0));
    let greedy = greedy.run().expect("plans");
    assert_eq!(pairs(&greedy.result).len(), 1, "the greedy staffs min-crew");
    assert!(outcome.objective < greedy.objective);
    assert_eq!(outcome.result.score.hard, 0);
}

#[test]
fn extra_crew_that_does_not_pay_is_not_added() {
    // Same need, but missing hours cost nothing: extra crew would only cost its penalty.
    let fx = short_of_work(0);
    let plan = pairs(&fx.plan());
    assert_eq!(plan.len(), 1, "min-crew only: {plan:?}");
}

#[test]
fn never_more_than_max_crew() {
    // Ten people short of work, room for three: the search fills up to max-crew, no more.
    let mut fx = short_of_work(50);
    for i in 0..7 {
        fx.tech(&format!("x{i}"), &["sound"]);
    }
    let result = fx.plan();
    assert_eq!(pairs(&result).len(), 3);
    assert_eq!(result.score.hard, 0);
}

fn figure_of(result: &PlanResult, name: &str) -> i64 {
    result
        .stats
        .figures
        .iter()
        .find(|f| f.name == name)
        .map(|f| f.value)
        .unwrap_or_else(|| panic!("no figure {name}"))
}

#[test]
fn a_search_budget_larger_than_the_fuel_ends_with_the_best_plan_found() {
    // A hundred million moves, but a fuel budget of 200 M per plugin: the search stops on
    // its estimate, returns a plan (never an error), no worse than the construction, and
    // the whole run's estimate stays within the budget, explanations included.
    let mut fx = random(3, SCARCE);
    fx.param(config::SEARCH_ITERATIONS, Value::Int(100_000_000));
    fx.param(config::SEARCH_EVALUATIONS, Value::Int(1_000_000_000));
    fx.param(config::FUEL_BUDGET, Value::Int(200));
    let outcome = fx.run().expect("running out of budget is a result");
    let result = &outcome.result;
    assert_eq!(figure_of(result, "search-stopped-by-fuel-estimate"), 1);
    assert!(result.stats.iterations > 0, "the search ran");
    assert!(result.stats.iterations < 100_000_000);
    for plugin in ["assigner", "rules"] {
        let spent = figure_of(result, &format!("estimated-fuel-{plugin}"));
        assert!(
            spent <= 200,
            "{plugin}: {spent} M estimated, over the budget"
        );
    }
    let mut greedy = random(3, SCARCE);
    greedy.param(config::SEARCH_ITERATIONS, Value::Int(0));
    assert!(outcome.objective <= greedy.run().expect("plans").objective);
    // Deterministic: the budget counts work, not time.
    assert_eq!(fx.run().expect("plans").result, outcome.result);
}

#[test]
fn a_larger_fuel_budget_searches_longer() {
    let run = |budget: i64| {
        let mut fx = random(3, SCARCE);
        fx.param(config::SEARCH_ITERATIONS, Value::Int(100_000_000));
        fx.param(config::FUEL_BUDGET, Value::Int(budget));
        fx.run().expect("plans").result.stats.iterations
    };
    let (small, large) = (run(100), run(400));
    assert!(
        small < large,
        "{small} iterations at 100 M, {large} at 400 M"
    );
}

#[test]
fn the_default_budget_stops_on_iterations_on_small_instances() {
    let result = random(3, SCARCE).plan();
    assert_eq!(figure_of(&result, "search-stopped-by-fuel-estimate"), 0);
}

#[test]
fn ruin_and_recreate_alone_never_makes_the_plan_worse_and_keeps_the_books_exact() {
    // Every step a ruin around an open place (the planner's debug assertion checks the
    // incremental objective against a recomputation at the end).
    for seed in 1..=4 {
        let mut fx = random(seed, SCARCE);
        fx.param(config::SEARCH_RUIN, Value::Int(10_000));
        fx.param(config::SEARCH_ITERATIONS, Value::Int(200));
        let outcome = fx.run().expect("plans");
        assert!(
            figure_of(&outcome.result, "ruins") > 0,
            "seed {seed}: ruins were made"
        );
        let mut greedy = random(seed, SCARCE);
        greedy.param(config::SEARCH_ITERATIONS, Value::Int(0));
        let greedy = greedy.run().expect("plans").objective;
        assert!(
            outcome.objective <= greedy,
            "seed {seed}: {:?} > {greedy:?}",
            outcome.objective
        );
    }
}

//! The plugin, run natively on converted instances, against the independent checker: on
//! hand-made rosters with known violations and on random rosters, both must find the same
//! hard violations (rule, technician, magnitude) and the plugin's soft score must be the
//! Curtois & Qu objective.

use std::collections::BTreeMap;

use callsheet_plugin_sdk::types::{Plan, PlanEvaluation, Severity, Subject};
use nrp_convert::check::{HardRule, check};
use nrp_convert::instance::Instance;
use nrp_convert::problem::{convert, plan_of, technician_id};
use nrp_convert::roster::Roster;
use nurse_rostering::Session;

fn instance(n: u32) -> Instance {
    let text = match n {
        1 => include_str!("../../data/Instance1.txt"),
        2 => include_str!("../../data/Instance2.txt"),
        3 => include_str!("../../data/Instance3.txt"),
        _ => unreachable!("only Instance1-3 are in the repository"),
    };
    Instance::parse(text).unwrap()
}

/// The checker's rule for a plugin rule id, and how the plugin's `excess`/`deficit`
/// figure converts to the checker's unit (minutes for working time, else the same).
fn checker_rule(rule_id: &str) -> (HardRule, i64) {
    match rule_id {
        "nrp.one-shift-a-day" => (HardRule::OneShiftADay, 1),
        "nrp.succession" => (HardRule::ForbiddenSuccession, 1),
        "nrp.shifts-max" => (HardRule::MaxShiftsOfType, 1),
        "nrp.work-max-total" => (HardRule::MaxTotalMinutes, 60),
        "nrp.work-min-total" => (HardRule::MinTotalMinutes, 60),
        "nrp.consecutive-shifts-max" => (HardRule::MaxConsecutiveShifts, 1),
        "nrp.consecutive-shifts-min" => (HardRule::MinConsecutiveShifts, 1),
        "nrp.consecutive-days-off-min" => (HardRule::MinConsecutiveDaysOff, 1),
        "nrp.weekends-max" => (HardRule::MaxWeekends, 1),
        "nrp.day-off" => (HardRule::DayOff, 1),
        other => panic!("hard rule {other} has no counterpart in the checker"),
    }
}

/// (rule, employee index, magnitude) of every hard violation the plugin reports.
fn plugin_hard(instance: &Instance, evaluation: &PlanEvaluation) -> Vec<(HardRule, usize, i64)> {
    let staff: BTreeMap<String, usize> = instance
        .staff
        .iter()
        .enumerate()
        .map(|(i, s)| (technician_id(&s.id), i))
        .collect();
    let mut found = Vec::new();
    for schedule in &evaluation.schedules {
        for v in schedule
            .violations
            .iter()
            .filter(|v| v.severity == Severity::Hard)
        {
            let (rule, unit) = checker_rule(&v.rule_id);
            assert_eq!(
                v.subjects[0],
                Subject::Technician(schedule.technician_id.clone())
            );
            let gap = v
                .figures
                .iter()
                .find(|f| f.name == "excess" || f.name == "deficit")
                .unwrap_or_else(|| panic!("{} has no excess or deficit figure", v.rule_id));
            found.push((rule, staff[&schedule.technician_id], gap.value / unit));
        }
    }
    found.sort();
    found
}

fn evaluate(instance: &Instance, roster: &Roster) -> PlanEvaluation {
    let converted = convert(instance, "test", 1).unwrap();
    let session = Session::open(&converted.problem, &converted.rules_params)
        .unwrap_or_else(|e| panic!("the plugin refuses the converted problem: {e:?}"));
    session
        .evaluate_plan(&Plan {
            assignments: plan_of(instance, roster),
        })
        .unwrap()
}

/// Asserts the plugin and the checker agree on a roster; returns the hard count.
fn assert_agree(case: &str, instance: &Instance, roster: &Roster) -> usize {
    let evaluation = evaluate(instance, roster);
    let report = check(instance, roster);
    let expected: Vec<(HardRule, usize, i64)> = report
        .hard
        .iter()
        .map(|v| (v.rule, v.staff, v.amount))
        .collect();
    assert_eq!(
        plugin_hard(instance, &evaluation),
        expected,
        "case {case}: hard violations"
    );
    assert_eq!(
        evaluation.score.soft,
        report.objective(),
        "case {case}: soft score vs C&Q objective"
    );
    // The plan-level hard rule is max-crew (the qualified staff): not a C&Q rule, since
    // C&Q has no skills; a random roster breaks it by putting people on types their
    // contract forbids, which the checker counts as MaxShiftsOfType.
    let plan_hard: i64 = evaluation
        .plan_violations
        .iter()
        .filter(|v| v.severity == Severity::Hard)
        .inspect(|v| assert_eq!(v.rule_id, "cover.max-crew", "case {case}"))
        .map(|v| v.penalty)
        .sum();
    assert_eq!(
        evaluation.score.hard,
        evaluation
            .schedules
            .iter()
            .map(|s| s.score.hard)
            .sum::<i64>()
            + plan_hard,
        "case {case}: the plan's hard score is the schedules' plus max-crew"
    );
    expected.len()
}

#[test]
fn hand_made_rosters_of_instance_1_agree_rule_by_rule() {
    let i = instance(1);
    // 8 staff (A..H), one shift type D; A is off on day 0, B on day 5.
    let cases: &[(&str, &[&str], usize)] = &[
        ("nobody works: everyone under minimum time", &[], 8),
        (
            "A legal, B on its day off with a single inner shift",
            &[".DDDD..DDDD...", ".DDDDD.D.DD..."],
            6 + 4,
        ),
        ("six in a row and two weekends", &[".DDDDDD..DDDDD"], 7 + 3),
    ];
    for (case, rows, hard) in cases {
        let roster = Roster::from_rows(&i, rows);
        assert_eq!(assert_agree(case, &i, &roster), *hard, "case {case}");
    }
}

#[test]
fn working_time_is_priced_in_shifts_like_every_other_hard_rule() {
    // Instance1: 8 h shifts, at least 56 h (3360 min) each. Nobody works: every schedule
    // is 7 shifts short, 7 points (it was 56, an hour a point). B working on their day
    // off (day 5) inside a 2-day run with 6 shifts is one shift short and one day off
    // broken: 2 points, the same as one shift short plus any other single violation.
    let i = instance(1);
    let evaluation = evaluate(&i, &Roster::from_rows(&i, &[]));
    for s in &evaluation.schedules {
        assert_eq!(s.score.hard, 7, "{}: 56 h short", s.technician_id);
    }
    let roster = Roster::from_rows(&i, &["", "...DDDD...DD.."]);
    let evaluation = evaluate(&i, &roster);
    let b = &evaluation.schedules[1];
    let points: Vec<(&str, i64)> = b
        .violations
        .iter()
        .filter(|v| v.severity == Severity::Hard)
        .map(|v| (v.rule_id.as_str(), v.penalty))
        .collect();
    assert_eq!(
        points,
        [("nrp.day-off", 1), ("nrp.work-min-total", 1)],
        "B: a shift too few costs what a shift on a day off does"
    );
}

#[test]
fn hand_made_rosters_of_instance_3_agree_on_successions_types_and_doubles() {
    let i = instance(3);
    // E, D, L; D>E, L>E, L>D forbidden; A may not work L.
    let mut roster = Roster::from_rows(&i, &["..LLE..DE", "EDL.E"]);
    // Two shifts on one day for C.
    roster.add(2, 3, 0);
    roster.add(2, 3, 1);
    let hard = assert_agree("successions, L for A, a double day", &i, &roster);
    let report = check(&i, &roster);
    assert_eq!(
        report.count(HardRule::ForbiddenSuccession),
        2,
        "L>E and D>E for A"
    );
    assert_eq!(
        report.count(HardRule::MaxShiftsOfType),
        1,
        "A works L twice"
    );
    assert_eq!(report.count(HardRule::OneShiftADay), 1, "C on day 3");
    assert!(hard > 4);
}

/// A small deterministic generator (splitmix64), so the random rosters are the same on
/// every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn random_roster(i: &Instance, rng: &mut Rng, density: usize) -> Roster {
    let mut roster = Roster::empty(i.staff.len(), i.days);
    for staff in 0..i.staff.len() {
        for day in 0..i.days {
            if rng.below(100) < density {
                roster.add(staff, day, rng.below(i.shifts.len()));
                // Now and then a second shift the same day.
                if rng.below(40) == 0 {
                    roster.add(staff, day, rng.below(i.shifts.len()));
                }
            }
        }
    }
    roster
}

#[test]
fn random_rosters_agree_on_instances_1_to_3() {
    let mut rng = Rng(2026);
    let mut total_hard = 0;
    for n in 1..=3 {
        let i = instance(n);
        for round in 0..40 {
            let density = 20 + (round % 7) * 10;
            let roster = random_roster(&i, &mut rng, density);
            total_hard += assert_agree(
                &format!("Instance{n} random roster {round} ({density} % of days)"),
                &i,
                &roster,
            );
        }
    }
    assert!(total_hard > 0, "the random rosters do break rules");
}

/// `data/instance1.problem.json` and `data/instance1.rules-params.json` (which the
/// server's CLI test plans) are what the converter writes today.
#[test]
fn the_committed_instance_1_problem_is_the_converted_one() {
    let converted = convert(&instance(1), "instance1", 1).unwrap();
    let problem: serde_json::Value =
        serde_json::from_str(include_str!("../../data/instance1.problem.json")).unwrap();
    let params: serde_json::Value =
        serde_json::from_str(include_str!("../../data/instance1.rules-params.json")).unwrap();
    assert_eq!(
        problem,
        serde_json::to_value(&converted.problem).unwrap(),
        "regenerate: cargo run -p nrp-convert --bin nrp-convert -- data/Instance1.txt data/instance1.problem.json data/instance1.rules-params.json"
    );
    assert_eq!(
        params,
        serde_json::to_value(&converted.rules_params).unwrap()
    );
}

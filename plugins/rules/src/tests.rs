//! Table-driven tests of every rule: one case per figure or limit boundary (just under, at,
//! just over), each failure naming the rule and the case.
//!
//! The fixture is a four-week horizon from Monday 2025-05-05 (Europe/Paris, CEST) with one
//! technician `t1` (skill "sound"); each `shift` adds a mission and a need of its own.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use callsheet_plugin_sdk::testing::{self, at, param, window};
use callsheet_plugin_sdk::types::*;

use crate::evaluator::Evaluator;

/// Local time in May 2025 (hour may exceed 23 for the next day).
fn may(day: u8, hour: i64, minute: i64) -> i64 {
    at(2025, 5, day, hour, minute)
}

const HOUR: i64 = 3600;

#[derive(Debug, Clone)]
struct Fx {
    problem: Problem,
    shifts: Vec<(String, Window)>,
    params: Vec<Param>,
}

impl Fx {
    fn new() -> Fx {
        let horizon = window(may(5, 0, 0), at(2025, 6, 2, 0, 0));
        let t2 = testing::technician("t2", &["sound"]);
        Fx {
            problem: testing::problem(
                horizon,
                vec![testing::technician("t1", &["sound"]), t2],
                vec![],
                vec![],
            ),
            shifts: vec![],
            params: vec![],
        }
    }

    /// A need of its own, on a mission of its own, worked by t1.
    fn shift(&mut self, title: &str, start: i64, end: i64) -> &mut Need {
        let n = self.problem.missions.len() + 1;
        let m = testing::mission(&format!("m{n:02}"), title, "v1", window(start, end));
        let need = testing::need(&format!("n{n:02}"), &m, "sound");
        self.problem.missions.push(m);
        self.problem.needs.push(need);
        self.shifts.push((format!("n{n:02}"), window(start, end)));
        self.problem.needs.last_mut().expect("just pushed")
    }

    fn typed(&mut self, shift_type: &str, start: i64, end: i64) {
        self.shift(shift_type, start, end).shift_type = Some(shift_type.to_owned());
    }

    fn history(&mut self, start: i64, end: i64) {
        self.problem.history.push(PastShift {
            technician_id: "t1".into(),
            window: window(start, end),
            mission_id: None,
            shift_type: None,
        });
    }

    fn param(&mut self, name: &str, value: Value) {
        self.params.push(param(name, value));
    }

    fn tech(&mut self) -> &mut Technician {
        &mut self.problem.technicians[0]
    }

    fn evaluate(&self) -> ScheduleEvaluation {
        let e = Evaluator::open(self.problem.clone(), self.params.clone())
            .unwrap_or_else(|f| panic!("open failed: {f:?}"));
        let schedule = Schedule {
            technician_id: "t1".into(),
            shifts: self
                .shifts
                .iter()
                .map(|(n, w)| Shift {
                    need_id: n.clone(),
                    window: *w,
                })
                .collect(),
        };
        let mut out = e
            .evaluate_schedules(&[schedule])
            .unwrap_or_else(|f| panic!("evaluate failed: {f:?}"));
        out.remove(0)
    }
}

/// (case, builder, rule, expected number of violations, expected total penalty)
type Case = (&'static str, fn(&mut Fx), &'static str, usize, i64);

fn run(cases: &[Case]) {
    for (case, build, rule, count, penalty) in cases {
        let mut fx = Fx::new();
        build(&mut fx);
        let e = fx.evaluate();
        let found: Vec<&Violation> = e.violations.iter().filter(|v| v.rule_id == *rule).collect();
        let total: i64 = found.iter().map(|v| v.penalty).sum();
        assert!(
            found.len() == *count && total == *penalty,
            "rule {rule}, case \"{case}\": expected {count} violation(s) with penalty {penalty}, got {} with penalty {total}: {:#?}",
            found.len(),
            found
        );
    }
}

fn first(fx: &Fx, rule: &str) -> Violation {
    let e = fx.evaluate();
    e.violations
        .into_iter()
        .find(|v| v.rule_id == rule)
        .unwrap_or_else(|| panic!("rule {rule}: no violation"))
}

fn figure_of(v: &Violation, name: &str) -> i64 {
    v.figures
        .iter()
        .find(|f| f.name == name)
        .map(|f| f.value)
        .unwrap_or_else(|| panic!("rule {}: no figure {name}", v.rule_id))
}

// ---------------------------------------------------------------------------------------
// Daily rest and its derogation
// ---------------------------------------------------------------------------------------

/// Mission A Monday 12:00-21:00, mission B Tuesday from `start`.
fn rest_gap(fx: &mut Fx, hour: i64, minute: i64) {
    fx.shift("Load-in Olympia", may(5, 12, 0), may(5, 21, 0));
    fx.shift(
        "Show Zenith",
        may(6, hour, minute),
        may(6, hour + 4, minute),
    );
}

/// The BRIEF's shape: two periods on `day` making one working day.
fn split_day(fx: &mut Fx, day: u8, a: (i64, i64), b: (i64, i64)) {
    fx.shift("Load-in", may(day, a.0, 0), may(day, a.1, 0));
    fx.shift("Show", may(day, b.0, 0), may(day, b.1, 0));
}

#[test]
fn daily_rest() {
    let cases: &[Case] = &[
        (
            "rest just over 11 h",
            |fx| rest_gap(fx, 8, 1),
            "rest.daily",
            0,
            0,
        ),
        ("rest at 11 h", |fx| rest_gap(fx, 8, 0), "rest.daily", 0, 0),
        (
            "rest at 11 h: no derogation",
            |fx| rest_gap(fx, 8, 0),
            "rest.daily.derogation",
            0,
            0,
        ),
        (
            "rest just under 11 h: derogation",
            |fx| rest_gap(fx, 7, 59),
            "rest.daily.derogation",
            1,
            1,
        ),
        (
            "rest just under 11 h: not hard",
            |fx| rest_gap(fx, 7, 59),
            "rest.daily",
            0,
            0,
        ),
        (
            "rest at 9 h: derogation, 120 min to recover",
            |fx| rest_gap(fx, 6, 0),
            "rest.daily.derogation",
            1,
            120,
        ),
        (
            "rest just under 9 h: hard, 121 min missing",
            |fx| rest_gap(fx, 5, 59),
            "rest.daily",
            1,
            121,
        ),
        (
            "BRIEF 08-12 + 19-23 (span 15 h) needs the derogation",
            |fx| split_day(fx, 5, (8, 12), (19, 23)),
            "rest.daily.derogation",
            1,
            120,
        ),
        (
            "BRIEF 09-13 + 18-22 (span 13 h) is fine",
            |fx| split_day(fx, 5, (9, 13), (18, 22)),
            "rest.daily.derogation",
            0,
            0,
        ),
        (
            "span 16 h leaves 8 h: hard",
            |fx| split_day(fx, 5, (8, 12), (19, 24)),
            "rest.daily",
            1,
            180,
        ),
        (
            "two derogations in a week are allowed",
            |fx| {
                split_day(fx, 5, (8, 12), (19, 23));
                split_day(fx, 7, (8, 12), (19, 23));
            },
            "rest.daily",
            0,
            0,
        ),
        (
            "a third derogation in the week is hard",
            |fx| {
                split_day(fx, 5, (8, 12), (19, 23));
                split_day(fx, 7, (8, 12), (19, 23));
                split_day(fx, 9, (8, 12), (19, 23));
            },
            "rest.daily",
            1,
            120,
        ),
        (
            "three derogations in 7 days across two weeks are allowed",
            |fx| {
                split_day(fx, 8, (8, 12), (19, 23)); // Thu
                split_day(fx, 11, (8, 12), (19, 23)); // Sun
                split_day(fx, 12, (8, 12), (19, 23)); // Mon
            },
            "rest.daily",
            0,
            0,
        ),
        (
            "a fourth derogation in 7 days is hard",
            |fx| {
                split_day(fx, 8, (8, 12), (19, 23));
                split_day(fx, 11, (8, 12), (19, 23));
                split_day(fx, 12, (8, 12), (19, 23));
                split_day(fx, 13, (8, 12), (19, 23));
            },
            "rest.daily",
            1,
            120,
        ),
        (
            "per-week parameter 0 forbids derogations",
            |fx| {
                fx.param("rest.daily.derogation.per-week", Value::Int(0));
                rest_gap(fx, 6, 0);
            },
            "rest.daily",
            1,
            120,
        ),
        (
            "history counts: the rest after yesterday's work",
            |fx| {
                fx.history(may(4, 12, 0), may(4, 21, 0));
                fx.shift("Early", may(5, 5, 0), may(5, 9, 0));
            },
            "rest.daily",
            1,
            180,
        ),
        (
            "history alone is never blamed",
            |fx| fx.history(may(1, 8, 0), may(1, 23, 0)),
            "rest.daily.derogation",
            0,
            0,
        ),
    ];
    run(cases);
}

#[test]
fn daily_rest_message_and_figures_show_the_arithmetic() {
    let mut fx = Fx::new();
    fx.shift("Load-in Olympia", may(5, 12, 0), may(5, 21, 0));
    fx.shift("Show Zenith", may(6, 6, 30), may(6, 10, 0));
    let v = first(&fx, "rest.daily.derogation");
    assert!(
        v.message
            .starts_with("rest 9 h 30 < 11 h required between Load-in Olympia and Show Zenith"),
        "rest.daily.derogation message: {}",
        v.message
    );
    assert_eq!(
        (
            figure_of(&v, "rest"),
            figure_of(&v, "required"),
            figure_of(&v, "missing")
        ),
        (34200, 39600, 5400),
        "rest.daily.derogation figures"
    );
    assert_eq!(v.severity, Severity::Soft);
    assert!(
        v.subjects.contains(&Subject::Mission("m01".into()))
            && v.subjects.contains(&Subject::Mission("m02".into())),
        "subjects {:?}",
        v.subjects
    );
}

// ---------------------------------------------------------------------------------------
// Weekly rest, days per week
// ---------------------------------------------------------------------------------------

/// History Sunday 4 May; Monday to Friday 08:00-16:00; Saturday 08:00 to `sat_end`;
/// Monday 12 May from 08:00: the weekly rest is Saturday's end to Monday 08:00.
fn week_ending_saturday(fx: &mut Fx, sat_end_hour: i64, sat_end_minute: i64) {
    fx.history(may(4, 8, 0), may(4, 16, 0));
    for d in 5..=9 {
        fx.shift("Day", may(d, 8, 0), may(d, 16, 0));
    }
    fx.shift(
        "Saturday",
        may(10, 8, 0),
        may(10, sat_end_hour, sat_end_minute),
    );
    fx.shift("Monday", may(12, 8, 0), may(12, 16, 0));
}

#[test]
fn weekly_rest_and_days_per_week() {
    let cases: &[Case] = &[
        (
            "rest just over 35 h",
            |fx| week_ending_saturday(fx, 20, 59),
            "rest.weekly",
            0,
            0,
        ),
        (
            "rest at 35 h",
            |fx| week_ending_saturday(fx, 21, 0),
            "rest.weekly",
            0,
            0,
        ),
        // Only the first week: the second has unbounded free time after its Monday.
        (
            "rest just under 35 h",
            |fx| week_ending_saturday(fx, 21, 1),
            "rest.weekly",
            1,
            1,
        ),
        (
            "5 working days",
            |fx| {
                for d in 5..=9 {
                    fx.shift("Day", may(d, 8, 0), may(d, 12, 0));
                }
            },
            "work.max-days-per-week",
            0,
            0,
        ),
        (
            "6 working days",
            |fx| {
                for d in 5..=10 {
                    fx.shift("Day", may(d, 8, 0), may(d, 12, 0));
                }
            },
            "work.max-days-per-week",
            0,
            0,
        ),
        (
            "7 working days",
            |fx| {
                for d in 5..=11 {
                    fx.shift("Day", may(d, 8, 0), may(d, 12, 0));
                }
            },
            "work.max-days-per-week",
            1,
            1,
        ),
    ];
    run(cases);
}

// ---------------------------------------------------------------------------------------
// Working time: daily, weekly, 12-week average, break, night
// ---------------------------------------------------------------------------------------

fn one_shift(fx: &mut Fx, seconds: i64) {
    let start = may(6, 7, 0);
    fx.shift("Long day", start, start + seconds);
}

fn five_days(fx: &mut Fx, seconds_each: i64, extra_on_friday: i64) {
    for d in 5..=9 {
        let extra = if d == 9 { extra_on_friday } else { 0 };
        fx.shift("Day", may(d, 7, 0), may(d, 7, 0) + seconds_each + extra);
    }
}

#[test]
fn working_time_limits() {
    let cases: &[Case] = &[
        (
            "10 h minus 1 min",
            |fx| one_shift(fx, 10 * HOUR - 60),
            "work.max-daily",
            0,
            0,
        ),
        (
            "10 h",
            |fx| one_shift(fx, 10 * HOUR),
            "work.max-daily",
            0,
            0,
        ),
        (
            "10 h plus 1 min",
            |fx| one_shift(fx, 10 * HOUR + 60),
            "work.max-daily",
            1,
            1,
        ),
        (
            "12 h by parameter",
            |fx| {
                fx.param("work.daily.max", Value::Int(12 * HOUR));
                one_shift(fx, 12 * HOUR);
            },
            "work.max-daily",
            0,
            0,
        ),
        (
            "12 h plus 1 min by parameter",
            |fx| {
                fx.param("work.daily.max", Value::Int(12 * HOUR));
                one_shift(fx, 12 * HOUR + 60);
            },
            "work.max-daily",
            1,
            1,
        ),
        (
            "12 h across midnight is split 4 h + 8 h",
            |fx| {
                fx.shift("Night", may(6, 20, 0), may(6, 32, 0));
            },
            "work.max-daily",
            0,
            0,
        ),
        (
            "48 h minus 1 min in a week",
            |fx| five_days(fx, 48 * HOUR / 5, -60),
            "work.max-weekly",
            0,
            0,
        ),
        (
            "48 h in a week",
            |fx| five_days(fx, 48 * HOUR / 5, 0),
            "work.max-weekly",
            0,
            0,
        ),
        (
            "48 h plus 1 min in a week",
            |fx| five_days(fx, 48 * HOUR / 5, 60),
            "work.max-weekly",
            1,
            1,
        ),
        (
            "6 h continuous",
            |fx| one_shift(fx, 6 * HOUR),
            "break.missing",
            0,
            0,
        ),
        (
            "6 h plus 1 min continuous",
            |fx| one_shift(fx, 6 * HOUR + 60),
            "break.missing",
            1,
            10,
        ),
        (
            "a 19-minute gap is no break",
            |fx| {
                fx.shift("A", may(6, 8, 0), may(6, 12, 0));
                fx.shift("B", may(6, 12, 19), may(6, 14, 1));
            },
            "break.missing",
            1,
            10,
        ),
        (
            "a 20-minute gap is the break",
            |fx| {
                fx.shift("A", may(6, 8, 0), may(6, 12, 0));
                fx.shift("B", may(6, 12, 20), may(6, 16, 0));
            },
            "break.missing",
            0,
            0,
        ),
        (
            "hard break by parameter",
            |fx| {
                fx.param("break.hard", Value::Bool(true));
                one_shift(fx, 7 * HOUR);
            },
            "break.missing",
            1,
            1,
        ),
    ];
    run(cases);
}

/// Eleven weeks of history at 44 h (Monday to Friday 8 h 48) before the horizon, then the
/// candidate week with `delta` more or less.
fn twelve_weeks(fx: &mut Fx, delta: i64) {
    let monday = testing::day(2025, 5, 5);
    let cal = testing::paris_2025();
    let view = callsheet_plugin_sdk::calendar::Calendar::new(&cal).expect("calendar");
    for week in (1..=11).rev() {
        for d in 0..5 {
            let start = view.local_instant(monday - 7 * week + d, 8 * HOUR);
            fx.history(start, start + 44 * HOUR / 5);
        }
    }
    five_days(fx, 44 * HOUR / 5, delta);
}

#[test]
fn twelve_week_average() {
    let cases: &[Case] = &[
        (
            "44 h average minus 1 min",
            |fx| twelve_weeks(fx, -60),
            "work.max-average",
            0,
            0,
        ),
        (
            "44 h average",
            |fx| twelve_weeks(fx, 0),
            "work.max-average",
            0,
            0,
        ),
        (
            "44 h average plus 1 min in total",
            |fx| twelve_weeks(fx, 60),
            "work.max-average",
            1,
            1,
        ),
    ];
    run(cases);
    // 40 h over 2 weeks (one empty) = 20 h average: at the limit; 40 h + 1 min: 1 min over.
    let mut fx = Fx::new();
    fx.param("work.average.weeks", Value::Int(2));
    fx.param("work.average.max", Value::Int(20 * HOUR));
    five_days(&mut fx, 8 * HOUR, 0);
    assert!(
        fx.evaluate()
            .violations
            .iter()
            .all(|v| v.rule_id != "work.max-average"),
        "rule work.max-average, case \"at a 2-week limit\""
    );
    let mut fx = Fx::new();
    fx.param("work.average.weeks", Value::Int(2));
    fx.param("work.average.max", Value::Int(20 * HOUR));
    five_days(&mut fx, 8 * HOUR, 60);
    let v = first(&fx, "work.max-average");
    assert_eq!(
        (v.penalty, figure_of(&v, "worked")),
        (1, 40 * HOUR + 60),
        "rule work.max-average, case \"just over a 2-week limit\""
    );
}

fn night_worker(fx: &mut Fx) {
    fx.tech()
        .overrides
        .push(param("night.regular-worker", Value::Bool(true)));
}

#[test]
fn night_work() {
    let cases: &[Case] = &[
        (
            "night worker, 8 h minus 1 min with night",
            |fx| {
                night_worker(fx);
                fx.shift("Night", may(6, 22, 0), may(6, 29, 59));
            },
            "night.max-daily",
            0,
            0,
        ),
        (
            "night worker, 8 h with night",
            |fx| {
                night_worker(fx);
                fx.shift("Night", may(6, 22, 0), may(6, 30, 0));
            },
            "night.max-daily",
            0,
            0,
        ),
        (
            "night worker, 8 h plus 1 min with night",
            |fx| {
                night_worker(fx);
                fx.shift("Night", may(6, 22, 0), may(6, 30, 1));
            },
            "night.max-daily",
            1,
            1,
        ),
        (
            "not a night worker",
            |fx| {
                fx.shift("Night", may(6, 21, 0), may(6, 30, 0));
            },
            "night.max-daily",
            0,
            0,
        ),
        (
            "night worker, 9 h by day",
            |fx| {
                night_worker(fx);
                fx.shift("Day", may(6, 8, 0), may(6, 17, 0));
            },
            "night.max-daily",
            0,
            0,
        ),
    ];
    run(cases);
}

// ---------------------------------------------------------------------------------------
// Shifts: overlap, skill, availability, preferences
// ---------------------------------------------------------------------------------------

fn availability(fx: &mut Fx, kind: AvailabilityKind, start: i64, end: i64) {
    fx.tech().availability.push(Availability {
        window: window(start, end),
        kind,
    });
}

#[test]
fn shifts_and_availability() {
    let cases: &[Case] = &[
        (
            "touching shifts",
            |fx| {
                fx.shift("A", may(6, 8, 0), may(6, 12, 0));
                fx.shift("B", may(6, 12, 0), may(6, 16, 0));
            },
            "shift.overlap",
            0,
            0,
        ),
        (
            "1 s of overlap",
            |fx| {
                fx.shift("A", may(6, 8, 0), may(6, 12, 0));
                fx.shift("B", may(6, 12, 0) - 1, may(6, 16, 0));
            },
            "shift.overlap",
            1,
            1,
        ),
        (
            "1 h of overlap",
            |fx| {
                fx.shift("A", may(6, 8, 0), may(6, 12, 0));
                fx.shift("B", may(6, 11, 0), may(6, 16, 0));
            },
            "shift.overlap",
            1,
            60,
        ),
        (
            "overlap with history",
            |fx| {
                fx.history(may(5, 6, 0), may(5, 9, 0));
                fx.shift("A", may(5, 8, 0), may(5, 12, 0));
            },
            "shift.overlap",
            1,
            60,
        ),
        (
            "skill held",
            |fx| fx.shift("A", may(6, 8, 0), may(6, 12, 0)).skill = "sound".into(),
            "skill.missing",
            0,
            0,
        ),
        (
            "skill missing",
            |fx| fx.shift("A", may(6, 8, 0), may(6, 12, 0)).skill = "rigging".into(),
            "skill.missing",
            1,
            1,
        ),
        (
            "shift ends where the unavailability starts",
            |fx| {
                availability(
                    fx,
                    AvailabilityKind::Unavailable,
                    may(6, 12, 0),
                    may(6, 18, 0),
                );
                fx.shift("A", may(6, 8, 0), may(6, 12, 0));
            },
            "availability.unavailable",
            0,
            0,
        ),
        (
            "1 min in the unavailability",
            |fx| {
                availability(
                    fx,
                    AvailabilityKind::Unavailable,
                    may(6, 12, 0),
                    may(6, 18, 0),
                );
                fx.shift("A", may(6, 8, 0), may(6, 12, 1));
            },
            "availability.unavailable",
            1,
            1,
        ),
        (
            "soft unavailability by parameter",
            |fx| {
                fx.param("availability.unavailable.hard", Value::Bool(false));
                availability(
                    fx,
                    AvailabilityKind::Unavailable,
                    may(6, 12, 0),
                    may(6, 18, 0),
                );
                fx.shift("A", may(6, 8, 0), may(6, 13, 0));
            },
            "availability.unavailable",
            1,
            100,
        ),
        (
            "inside a preferred window",
            |fx| {
                availability(fx, AvailabilityKind::Preferred, may(6, 0, 0), may(7, 0, 0));
                fx.shift("A", may(6, 8, 0), may(6, 12, 0));
            },
            "availability.preferred",
            0,
            0,
        ),
        (
            "outside the preferred windows",
            |fx| {
                availability(fx, AvailabilityKind::Preferred, may(6, 0, 0), may(7, 0, 0));
                fx.shift("A", may(8, 8, 0), may(8, 12, 0));
            },
            "availability.preferred",
            1,
            5,
        ),
        (
            "no preferred window declared",
            |fx| {
                fx.shift("A", may(8, 8, 0), may(8, 12, 0));
            },
            "availability.preferred",
            0,
            0,
        ),
        (
            "covered by a declared availability",
            |fx| {
                fx.param("availability.undeclared.weight", Value::Int(3));
                availability(fx, AvailabilityKind::Available, may(6, 8, 0), may(6, 18, 0));
                fx.shift("A", may(6, 8, 0), may(6, 18, 0));
            },
            "availability.undeclared",
            0,
            0,
        ),
        (
            "1 min past the declared availability",
            |fx| {
                fx.param("availability.undeclared.weight", Value::Int(3));
                availability(fx, AvailabilityKind::Available, may(6, 8, 0), may(6, 18, 0));
                fx.shift("A", may(6, 8, 0), may(6, 18, 1));
            },
            "availability.undeclared",
            1,
            3,
        ),
        (
            "avoided venue",
            |fx| {
                fx.tech().preferences.avoided_venues.push("v1".into());
                fx.shift("A", may(6, 8, 0), may(6, 12, 0));
            },
            "preference.avoided-venue",
            1,
            10,
        ),
        (
            "personal ceiling 20 h reached",
            |fx| {
                fx.tech().preferences.max_weekly = Some(20 * HOUR);
                five_days(fx, 4 * HOUR, 0);
            },
            "preference.max-weekly",
            0,
            0,
        ),
        (
            "personal ceiling 20 h plus 1 min",
            |fx| {
                fx.tech().preferences.max_weekly = Some(20 * HOUR);
                five_days(fx, 4 * HOUR, 60);
            },
            "preference.max-weekly",
            1,
            1,
        ),
    ];
    run(cases);
}

// ---------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------

fn request(fx: &mut Fx, target: RequestTarget, wanted: bool) {
    fx.tech().requests.push(Request {
        target,
        wanted,
        weight: 7,
    });
}

#[test]
fn requests() {
    let cases: &[Case] = &[
        (
            "day off honoured",
            |fx| {
                request(fx, RequestTarget::Day(testing::day(2025, 5, 6)), false);
                fx.shift("A", may(7, 8, 0), may(7, 12, 0));
            },
            "request.day",
            0,
            0,
        ),
        (
            "day off broken",
            |fx| {
                request(fx, RequestTarget::Day(testing::day(2025, 5, 6)), false);
                fx.shift("A", may(6, 8, 0), may(6, 12, 0));
            },
            "request.day",
            1,
            7,
        ),
        (
            "night shift starting the day before is not on the day",
            |fx| {
                request(fx, RequestTarget::Day(testing::day(2025, 5, 7)), false);
                fx.shift("A", may(6, 22, 0), may(6, 30, 0));
            },
            "request.day",
            0,
            0,
        ),
        (
            "day on broken",
            |fx| request(fx, RequestTarget::Day(testing::day(2025, 5, 6)), true),
            "request.day",
            1,
            7,
        ),
        (
            "day outside the horizon ignored",
            |fx| request(fx, RequestTarget::Day(testing::day(2025, 4, 6)), true),
            "request.day",
            0,
            0,
        ),
        (
            "shift on honoured",
            |fx| {
                request(
                    fx,
                    RequestTarget::Shift(ShiftOnDay {
                        day: testing::day(2025, 5, 6),
                        shift_type: "night".into(),
                    }),
                    true,
                );
                fx.typed("night", may(6, 22, 0), may(6, 30, 0));
            },
            "request.shift",
            0,
            0,
        ),
        (
            "shift on broken by another type",
            |fx| {
                request(
                    fx,
                    RequestTarget::Shift(ShiftOnDay {
                        day: testing::day(2025, 5, 6),
                        shift_type: "night".into(),
                    }),
                    true,
                );
                fx.typed("early", may(6, 6, 0), may(6, 14, 0));
            },
            "request.shift",
            1,
            7,
        ),
        (
            "shift off broken",
            |fx| {
                request(
                    fx,
                    RequestTarget::Shift(ShiftOnDay {
                        day: testing::day(2025, 5, 6),
                        shift_type: "early".into(),
                    }),
                    false,
                );
                fx.typed("early", may(6, 6, 0), may(6, 14, 0));
            },
            "request.shift",
            1,
            7,
        ),
        (
            "mission off broken",
            |fx| {
                fx.shift("A", may(6, 8, 0), may(6, 12, 0));
                request(fx, RequestTarget::Mission("m01".into()), false);
            },
            "request.mission",
            1,
            7,
        ),
        (
            "need on honoured",
            |fx| {
                fx.shift("A", may(6, 8, 0), may(6, 12, 0));
                request(fx, RequestTarget::Need("n01".into()), true);
            },
            "request.need",
            0,
            0,
        ),
        (
            "window off broken",
            |fx| {
                fx.shift("A", may(6, 8, 0), may(6, 12, 0));
                request(
                    fx,
                    RequestTarget::Window(window(may(6, 11, 0), may(6, 13, 0))),
                    false,
                );
            },
            "request.window",
            1,
            7,
        ),
        (
            "window off touching only",
            |fx| {
                fx.shift("A", may(6, 8, 0), may(6, 12, 0));
                request(
                    fx,
                    RequestTarget::Window(window(may(6, 12, 0), may(6, 13, 0))),
                    false,
                );
            },
            "request.window",
            0,
            0,
        ),
    ];
    run(cases);
}

// ---------------------------------------------------------------------------------------
// Nurse-rostering rules
// ---------------------------------------------------------------------------------------

fn forbid_night_early(fx: &mut Fx) {
    fx.param(
        "succession.forbidden",
        Value::List(vec![Scalar::Text("night>early".into())]),
    );
}

fn days(fx: &mut Fx, list: &[u8]) {
    for &d in list {
        fx.shift("Day", may(d, 8, 0), may(d, 12, 0));
    }
}

/// A one-week horizon, Monday 5 to Sunday 11 May.
fn one_week(fx: &mut Fx) {
    fx.problem.horizon = window(may(5, 0, 0), may(12, 0, 0));
}

#[test]
fn rostering() {
    let cases: &[Case] = &[
        (
            "night then early the next day",
            |fx| {
                forbid_night_early(fx);
                fx.typed("night", may(5, 22, 0), may(5, 30, 0));
                fx.typed("early", may(6, 18, 0), may(6, 22, 0));
            },
            "succession.forbidden",
            1,
            1,
        ),
        (
            "night then early two days later",
            |fx| {
                forbid_night_early(fx);
                fx.typed("night", may(5, 22, 0), may(5, 30, 0));
                fx.typed("early", may(7, 6, 0), may(7, 14, 0));
            },
            "succession.forbidden",
            0,
            0,
        ),
        (
            "early then night is allowed",
            |fx| {
                forbid_night_early(fx);
                fx.typed("early", may(5, 6, 0), may(5, 14, 0));
                fx.typed("night", may(6, 22, 0), may(6, 30, 0));
            },
            "succession.forbidden",
            0,
            0,
        ),
        (
            "soft succession by parameter",
            |fx| {
                forbid_night_early(fx);
                fx.param("succession.hard", Value::Bool(false));
                fx.typed("night", may(5, 22, 0), may(5, 30, 0));
                fx.typed("early", may(6, 18, 0), may(6, 22, 0));
            },
            "succession.forbidden",
            1,
            100,
        ),
        (
            "3 consecutive days, max 3",
            |fx| {
                fx.param("days.consecutive.max", Value::Int(3));
                days(fx, &[5, 6, 7]);
            },
            "days.consecutive-max",
            0,
            0,
        ),
        (
            "4 consecutive days, max 3",
            |fx| {
                fx.param("days.consecutive.max", Value::Int(3));
                days(fx, &[5, 6, 7, 8]);
            },
            "days.consecutive-max",
            1,
            10,
        ),
        (
            "a lone day, min 2",
            |fx| {
                fx.param("days.consecutive.min", Value::Int(2));
                days(fx, &[7]);
            },
            "days.consecutive-min",
            1,
            10,
        ),
        (
            "two days, min 2",
            |fx| {
                fx.param("days.consecutive.min", Value::Int(2));
                days(fx, &[7, 8]);
            },
            "days.consecutive-min",
            0,
            0,
        ),
        (
            "a lone day at the horizon's end may go on",
            |fx| {
                fx.param("days.consecutive.min", Value::Int(2));
                fx.shift("Day", at(2025, 6, 1, 8, 0), at(2025, 6, 1, 12, 0));
            },
            "days.consecutive-min",
            0,
            0,
        ),
        (
            "2 days off, max 2",
            |fx| {
                one_week(fx);
                fx.param("days-off.consecutive.max", Value::Int(2));
                days(fx, &[5, 8, 11]);
            },
            "days-off.consecutive-max",
            0,
            0,
        ),
        (
            "3 days off, max 2",
            |fx| {
                one_week(fx);
                fx.param("days-off.consecutive.max", Value::Int(2));
                days(fx, &[5, 9, 11]);
            },
            "days-off.consecutive-max",
            1,
            10,
        ),
        (
            "1 day off, min 2",
            |fx| {
                fx.param("days-off.consecutive.min", Value::Int(2));
                days(fx, &[5, 7]);
            },
            "days-off.consecutive-min",
            1,
            10,
        ),
        (
            "2 days off, min 2",
            |fx| {
                fx.param("days-off.consecutive.min", Value::Int(2));
                days(fx, &[5, 8]);
            },
            "days-off.consecutive-min",
            0,
            0,
        ),
        (
            "1 weekend, max 1",
            |fx| {
                fx.param("weekend.max", Value::Int(1));
                days(fx, &[10]);
            },
            "weekend.max",
            0,
            0,
        ),
        (
            "2 weekends, max 1",
            |fx| {
                fx.param("weekend.max", Value::Int(1));
                days(fx, &[10, 18]);
            },
            "weekend.max",
            1,
            10,
        ),
        (
            "Saturday only, complete weekends",
            |fx| {
                fx.param("weekend.complete", Value::Bool(true));
                days(fx, &[10]);
            },
            "weekend.incomplete",
            1,
            10,
        ),
        (
            "Saturday and Sunday, complete weekends",
            |fx| {
                fx.param("weekend.complete", Value::Bool(true));
                days(fx, &[10, 11]);
            },
            "weekend.incomplete",
            0,
            0,
        ),
        (
            "total 8 h, min 8 h",
            |fx| {
                fx.param("time.total.min", Value::Int(8 * HOUR));
                days(fx, &[5, 6]);
            },
            "time.total-min",
            0,
            0,
        ),
        (
            "total 8 h minus 1 min, min 8 h",
            |fx| {
                fx.param("time.total.min", Value::Int(8 * HOUR + 60));
                days(fx, &[5, 6]);
            },
            "time.total-min",
            1,
            1,
        ),
        (
            "no work at all, min 8 h",
            |fx| fx.param("time.total.min", Value::Int(8 * HOUR)),
            "time.total-min",
            1,
            8,
        ),
        (
            "total 8 h plus 1 min, max 8 h",
            |fx| {
                fx.param("time.total.max", Value::Int(8 * HOUR - 60));
                days(fx, &[5, 6]);
            },
            "time.total-max",
            1,
            1,
        ),
    ];
    run(cases);
}

// ---------------------------------------------------------------------------------------
// Plans: cover, relations, rooms, decomposition, determinism
// ---------------------------------------------------------------------------------------

fn assignment(need: &str, tech: &str, w: Window) -> Assignment {
    Assignment {
        id: None,
        need_id: need.into(),
        technician_id: tech.into(),
        window: w,
        status: AssignmentStatus::Proposed,
        pinned: false,
    }
}

/// A problem with `crew` technicians, one need (min 2, max 3) on mission m01, and a second
/// mission m02 at the same time in the same venue.
fn plan_fixture(crew: usize) -> (Problem, Vec<Assignment>) {
    let w = window(may(6, 8, 0), may(6, 12, 0));
    let m1 = testing::mission("m01", "Show Olympia", "v1", w);
    let m2 = testing::mission("m02", "Show Zenith", "v1", w);
    let mut n1 = testing::need("n01", &m1, "sound");
    n1.min_crew = 2;
    n1.max_crew = Some(3);
    let mut n2 = testing::need("n02", &m2, "sound");
    n2.min_crew = 0;
    let techs: Vec<Technician> = (1..=5)
        .map(|i| testing::technician(&format!("t{i}"), &["sound"]))
        .collect();
    let p = testing::problem(
        window(may(5, 0, 0), may(12, 0, 0)),
        techs,
        vec![m1, m2],
        vec![n1, n2],
    );
    let a = (1..=crew)
        .map(|i| assignment("n01", &format!("t{i}"), w))
        .collect();
    (p, a)
}

fn plan_rule(
    problem: Problem,
    params: Vec<Param>,
    assignments: Vec<Assignment>,
    rule: &str,
) -> (usize, i64, Severity) {
    let e = Evaluator::open(problem, params).unwrap_or_else(|f| panic!("open failed: {f:?}"));
    let r = e
        .evaluate_plan(&Plan { assignments })
        .unwrap_or_else(|f| panic!("plan failed: {f:?}"));
    let found: Vec<_> = r
        .plan_violations
        .iter()
        .filter(|v| v.rule_id == rule)
        .collect();
    (
        found.len(),
        found.iter().map(|v| v.penalty).sum(),
        found.first().map_or(Severity::Soft, |v| v.severity),
    )
}

#[test]
fn cover() {
    let cases: &[(&str, usize, bool, &str, usize, i64)] = &[
        ("1 of min 2", 1, false, "cover.under", 1, 100),
        ("1 of min 2, hard cover", 1, true, "cover.under", 1, 1),
        ("2 of min 2", 2, false, "cover.under", 0, 0),
        ("2 of min 2: no extra", 2, false, "cover.over", 0, 0),
        ("3 of min 2 max 3: one extra", 3, false, "cover.over", 1, 10),
        ("3 of max 3", 3, false, "cover.over-max", 0, 0),
        ("4 of max 3", 4, false, "cover.over-max", 1, 1),
        ("0 of min 2", 0, false, "cover.under", 1, 200),
    ];
    for (case, crew, hard, rule, count, penalty) in cases {
        let (p, a) = plan_fixture(*crew);
        let params = if *hard {
            vec![param("cover.hard", Value::Bool(true))]
        } else {
            vec![]
        };
        let (n, pen, _) = plan_rule(p, params, a, rule);
        assert_eq!((n, pen), (*count, *penalty), "rule {rule}, case \"{case}\"");
    }
}

fn relate(
    p: &mut Problem,
    a: usize,
    b: usize,
    kind: RelationKind,
    severity: Severity,
    weight: i64,
) {
    let (ida, idb) = (p.technicians[a].id.clone(), p.technicians[b].id.clone());
    p.technicians[a].relations.push(Relation {
        other: idb,
        kind,
        severity,
        weight,
    });
    p.technicians[b].relations.push(Relation {
        other: ida,
        kind,
        severity,
        weight,
    });
}

#[test]
fn relations_and_rooms() {
    let w = window(may(6, 8, 0), may(6, 12, 0));
    // Incompatible t1/t2 on the same mission: hard.
    let (mut p, a) = plan_fixture(2);
    relate(
        &mut p,
        0,
        1,
        RelationKind::Incompatibility,
        Severity::Hard,
        1,
    );
    assert_eq!(
        plan_rule(p, vec![], a, "relation.incompatibility"),
        (1, 1, Severity::Hard),
        "rule relation.incompatibility, case \"same mission\""
    );
    // On different missions: nothing.
    let (mut p, _) = plan_fixture(0);
    relate(
        &mut p,
        0,
        1,
        RelationKind::Incompatibility,
        Severity::Hard,
        1,
    );
    let a = vec![assignment("n01", "t1", w), assignment("n02", "t2", w)];
    assert_eq!(
        plan_rule(p, vec![], a, "relation.incompatibility").0,
        0,
        "rule relation.incompatibility, case \"different missions\""
    );
    // Soft incompatibility: its weight.
    let (mut p, a) = plan_fixture(2);
    relate(
        &mut p,
        0,
        1,
        RelationKind::Incompatibility,
        Severity::Soft,
        30,
    );
    assert_eq!(
        plan_rule(p, vec![], a, "relation.incompatibility"),
        (1, 30, Severity::Soft),
        "rule relation.incompatibility, case \"soft\""
    );
    // Affinity split between simultaneous missions.
    let (mut p, _) = plan_fixture(0);
    relate(&mut p, 0, 1, RelationKind::Affinity, Severity::Soft, 5);
    let a = vec![assignment("n01", "t1", w), assignment("n02", "t2", w)];
    assert_eq!(
        plan_rule(p, vec![], a, "relation.affinity-split"),
        (1, 5, Severity::Soft),
        "rule relation.affinity-split, case \"split\""
    );
    let (mut p, a) = plan_fixture(2);
    relate(&mut p, 0, 1, RelationKind::Affinity, Severity::Soft, 5);
    assert_eq!(
        plan_rule(p, vec![], a, "relation.affinity-split").0,
        0,
        "rule relation.affinity-split, case \"together\""
    );
    // Room double booking: both missions in room r1.
    for (case, second_start, expected) in [
        ("overlapping", may(6, 11, 59), 1),
        ("touching", may(6, 12, 0), 0),
    ] {
        let (mut p, _) = plan_fixture(0);
        p.missions[0].room_id = Some("r1".into());
        p.missions[1].room_id = Some("r1".into());
        p.missions[1].window = window(second_start, second_start + 4 * HOUR);
        let a = vec![
            assignment("n01", "t1", w),
            assignment("n02", "t2", window(second_start, second_start + 4 * HOUR)),
        ];
        assert_eq!(
            plan_rule(p, vec![], a, "room.double-booking").0,
            expected,
            "rule room.double-booking, case \"{case}\""
        );
    }
}

#[test]
fn plan_score_is_the_sum_of_schedules_and_plan_violations_and_is_deterministic() {
    let (mut p, mut a) = plan_fixture(3);
    // t1 also works a second, overlapping need; t4 and t5 have no shift.
    a.push(assignment(
        "n02",
        "t1",
        window(may(6, 11, 0), may(6, 13, 0)),
    ));
    a.push(Assignment {
        status: AssignmentStatus::Declined,
        ..assignment("n02", "t2", window(may(6, 8, 0), may(6, 12, 0)))
    });
    p.technicians[3].requests.push(Request {
        target: RequestTarget::Day(testing::day(2025, 5, 6)),
        wanted: true,
        weight: 4,
    });
    let e = Evaluator::open(p, vec![]).expect("open");
    let r = e
        .evaluate_plan(&Plan {
            assignments: a.clone(),
        })
        .expect("plan");
    assert_eq!(
        r.schedules
            .iter()
            .map(|s| s.technician_id.as_str())
            .collect::<Vec<_>>(),
        vec!["t1", "t2", "t3", "t4", "t5"],
        "every technician, sorted"
    );
    let sum = r.schedules.iter().fold(
        callsheet_plugin_sdk::report::score_of(&r.plan_violations),
        |s, e| callsheet_plugin_sdk::report::add(s, e.score),
    );
    assert_eq!(r.score, sum, "plan score = schedules + plan violations");
    assert!(
        r.schedules[0]
            .violations
            .iter()
            .any(|v| v.rule_id == "shift.overlap"),
        "t1 overlaps"
    );
    assert!(
        r.schedules[3]
            .violations
            .iter()
            .any(|v| v.rule_id == "request.day"),
        "t4's day-on request is broken by not working"
    );
    // Each schedule evaluation equals what evaluate-schedules returns for it.
    let t1 = Schedule {
        technician_id: "t1".into(),
        shifts: a
            .iter()
            .filter(|x| x.technician_id == "t1")
            .map(|x| Shift {
                need_id: x.need_id.clone(),
                window: x.window,
            })
            .collect(),
    };
    assert_eq!(
        e.evaluate_schedules(&[t1]).expect("schedules")[0],
        r.schedules[0],
        "decomposition"
    );
    // Same answer whatever the order of the assignments.
    a.reverse();
    assert_eq!(
        e.evaluate_plan(&Plan { assignments: a }).expect("plan"),
        r,
        "order-independent"
    );
}

// ---------------------------------------------------------------------------------------
// Parameters, description, invalid input
// ---------------------------------------------------------------------------------------

#[test]
fn parameters_are_validated_and_described() {
    let info = crate::catalog::describe();
    assert!(
        crate::config::validate(&[], None).is_empty(),
        "the defaults are valid"
    );
    let names: Vec<&str> = info.params.iter().map(|p| p.name.as_str()).collect();
    for rule in &info.rules {
        for p in &rule.params {
            assert!(
                names.contains(&p.as_str()),
                "rule {} reads undeclared parameter {p}",
                rule.id
            );
        }
    }
    let mut ids: Vec<&str> = info.rules.iter().map(|r| r.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), info.rules.len(), "rule ids are unique");
    let cases: &[(&str, Vec<Param>, &[&str])] = &[
        (
            "rest at its maximum",
            vec![param("rest.daily.min", Value::Int(86400))],
            &[],
        ),
        (
            "rest over its maximum",
            vec![param("rest.daily.min", Value::Int(86401))],
            &["out-of-range"],
        ),
        (
            "derogation above the rest",
            vec![param("rest.daily.derogation.min", Value::Int(40000))],
            &["inconsistent"],
        ),
        (
            "night ends before it starts",
            vec![
                param("night.start", Value::Int(7200)),
                param("night.end", Value::Int(3600)),
            ],
            &["inconsistent"],
        ),
        (
            "bad succession",
            vec![param(
                "succession.forbidden",
                Value::List(vec![Scalar::Text("night".into())]),
            )],
            &["out-of-range"],
        ),
        (
            "bad weekday",
            vec![param(
                "weekend.days",
                Value::List(vec![Scalar::Text("caturday".into())]),
            )],
            &["out-of-range"],
        ),
        (
            "unknown and wrong type",
            vec![
                param("nope", Value::Int(1)),
                param("break.hard", Value::Int(1)),
            ],
            &["unknown", "wrong-type"],
        ),
    ];
    for (case, params, codes) in cases {
        let got: Vec<String> = crate::config::validate(params, None)
            .into_iter()
            .map(|e| e.code)
            .collect();
        assert_eq!(
            got,
            codes.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>(),
            "validate-params, case \"{case}\""
        );
    }
}

#[test]
fn bad_input_becomes_a_plugin_error_not_a_trap() {
    let fx = Fx::new();
    let code =
        |r: Result<Evaluator, callsheet_plugin_sdk::report::Failure>| r.err().map(|f| f.code());
    assert_eq!(
        code(Evaluator::open(
            fx.problem.clone(),
            vec![param("nope", Value::Int(1))]
        )),
        Some("invalid-params"),
        "unknown parameter"
    );
    let mut p = fx.problem.clone();
    p.technicians[0]
        .overrides
        .push(param("cover.hard", Value::Bool(true)));
    assert_eq!(
        code(Evaluator::open(p, vec![])),
        Some("invalid-input"),
        "non-overridable override"
    );
    let mut p = fx.problem.clone();
    p.calendar.offsets.clear();
    assert_eq!(
        code(Evaluator::open(p, vec![])),
        Some("invalid-input"),
        "calendar without offsets"
    );
    let mut p = fx.problem.clone();
    p.technicians.push(p.technicians[0].clone());
    assert_eq!(
        code(Evaluator::open(p, vec![])),
        Some("invalid-input"),
        "duplicate technician"
    );
    let e = Evaluator::open(fx.problem.clone(), vec![]).expect("open");
    let unknown_need = Schedule {
        technician_id: "t1".into(),
        shifts: vec![Shift {
            need_id: "zz".into(),
            window: window(0, 1),
        }],
    };
    assert_eq!(
        e.evaluate_schedules(&[unknown_need])
            .err()
            .map(|f| f.code()),
        Some("invalid-input"),
        "unknown need"
    );
    let unknown_tech = Schedule {
        technician_id: "zz".into(),
        shifts: vec![],
    };
    assert_eq!(
        e.evaluate_schedules(&[unknown_tech])
            .err()
            .map(|f| f.code()),
        Some("invalid-input"),
        "unknown technician"
    );
}

#[test]
fn the_readme_documents_every_rule_and_parameter() {
    let readme = include_str!("../../README.md");
    let info = crate::catalog::describe();
    for id in info
        .rules
        .iter()
        .map(|r| &r.id)
        .chain(info.params.iter().map(|p| &p.name))
    {
        assert!(
            readme.contains(&format!("`{id}`")),
            "plugins/README.md does not mention `{id}`"
        );
    }
}

#[test]
fn rest_is_measured_in_real_time_across_a_daylight_saving_change() {
    // Clocks go from 02:00 to 03:00 on Sunday 30 March 2025: from Saturday 21:00 to Sunday
    // 08:00 local is 11 h on the wall clock but 10 h of real rest.
    let cases: &[(&str, i64, usize)] = &[
        ("08:00 after the change: 10 h", 8, 1),
        ("09:00 after the change: 11 h", 9, 0),
    ];
    for (case, hour, expected) in cases {
        let mut fx = Fx::new();
        fx.problem.horizon = window(at(2025, 3, 24, 0, 0), at(2025, 4, 7, 0, 0));
        fx.shift("Saturday", at(2025, 3, 29, 12, 0), at(2025, 3, 29, 21, 0));
        fx.shift(
            "Sunday",
            at(2025, 3, 30, *hour, 0),
            at(2025, 3, 30, hour + 4, 0),
        );
        let found = fx
            .evaluate()
            .violations
            .iter()
            .filter(|v| v.rule_id == "rest.daily.derogation")
            .count();
        assert_eq!(
            found, *expected,
            "rule rest.daily.derogation, case \"{case}\""
        );
    }
}

//! The rules of one technician's schedule: the Curtois & Qu hard constraints and the
//! shift (and day) requests.
//!
//! A shift is "on" the local day it starts (the contract's convention). Days are counted
//! inside the horizon only: the plugin declares no look-back, so runs that touch the
//! horizon's first or last day are not held to the minimum run lengths (they may continue
//! outside it, as the C&Q model assumes).
//!
//! Each hard violation costs its magnitude (shifts, days or weekends over or short; hours
//! of working time, rounded up), so the search can tell a near miss from a far one, and
//! carries it as the figure `excess` or `deficit` in the rule's unit.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use callsheet_plugin_sdk::calendar::{date_label, weekday_of};
use callsheet_plugin_sdk::report::{Failure, figure, score_of, sort_violations, violation};
use callsheet_plugin_sdk::text::duration;
use callsheet_plugin_sdk::types::{
    Figure, Schedule, ScheduleEvaluation, Severity, Subject, Violation, Weekday,
};

use crate::model::{Model, TechInfo};
use crate::rules;

/// One shift of the schedule, resolved.
#[derive(Debug, Clone, Copy)]
struct Worked<'a> {
    need: &'a str,
    kind: usize,
    day: i32,
    seconds: i64,
    start: i64,
    end: i64,
}

/// Evaluates a schedule.
pub fn evaluate(model: &Model, schedule: &Schedule) -> Result<ScheduleEvaluation, Failure> {
    let tech = &model.technicians[model.technician(&schedule.technician_id)?];
    let calendar = model.calendar();
    let mut shifts = Vec::with_capacity(schedule.shifts.len());
    for shift in &schedule.shifts {
        let need = &model.needs[model.need(&shift.need_id)?];
        shifts.push(Worked {
            need: &need.id,
            kind: need.kind,
            day: calendar.day_of(shift.window.start),
            seconds: shift.window.end - shift.window.start,
            start: shift.window.start,
            end: shift.window.end,
        });
    }
    shifts.sort_by(|a, b| (a.day, a.need).cmp(&(b.day, b.need)));

    let mut out = Out {
        tech: &tech.id,
        violations: Vec::new(),
    };
    per_day(model, tech, &shifts, &mut out);
    totals(model, tech, &shifts, &mut out);
    runs(model, tech, &shifts, &mut out);
    weekends(model, tech, &shifts, &mut out);
    wishes(tech, &shifts, &mut out);

    let mut violations = out.violations;
    sort_violations(&mut violations);
    Ok(ScheduleEvaluation {
        technician_id: tech.id.clone(),
        score: score_of(&violations),
        violations,
    })
}

/// Collects the violations of one schedule.
struct Out<'a> {
    tech: &'a str,
    violations: Vec<Violation>,
}

impl Out<'_> {
    fn hard(
        &mut self,
        rule: &str,
        penalty: i64,
        mut subjects: Vec<Subject>,
        message: String,
        figures: Vec<Figure>,
    ) {
        subjects.insert(0, Subject::Technician(self.tech.into()));
        self.violations.push(violation(
            rule,
            Severity::Hard,
            penalty,
            subjects,
            message,
            figures,
        ));
    }

    fn soft(&mut self, rule: &str, penalty: i64, day: i32, message: String) {
        let subjects = vec![Subject::Technician(self.tech.into()), Subject::Day(day)];
        self.violations.push(violation(
            rule,
            Severity::Soft,
            penalty,
            subjects,
            message,
            vec![figure("weight", penalty, "points")],
        ));
    }
}

/// Groups of shifts on the same day, in day order.
fn days<'s, 'a>(shifts: &'s [Worked<'a>]) -> impl Iterator<Item = &'s [Worked<'a>]> {
    shifts.chunk_by(|a, b| a.day == b.day)
}

/// One shift a day, days off, forbidden successions.
fn per_day(model: &Model, tech: &TechInfo, shifts: &[Worked<'_>], out: &mut Out<'_>) {
    let mut previous: Option<&[Worked<'_>]> = None;
    for today in days(shifts) {
        let day = today[0].day;
        if today.len() > 1 {
            let extra = today.len() as i64 - 1;
            out.hard(
                rules::ONE_SHIFT_A_DAY,
                extra,
                needs_and_day(today, day),
                format!("{} shifts on {}, one allowed", today.len(), date_label(day)),
                vec![
                    figure("shifts", today.len() as i64, "count"),
                    figure("excess", extra, "count"),
                ],
            );
        }
        let off = today
            .iter()
            .filter(|s| {
                tech.unavailable
                    .iter()
                    .any(|w| w.start < s.end && s.start < w.end)
            })
            .count() as i64;
        if off > 0 {
            out.hard(
                rules::DAY_OFF,
                off,
                needs_and_day(today, day),
                format!(
                    "works on {}, declared unavailable (day off)",
                    date_label(day)
                ),
                vec![figure("excess", off, "count")],
            );
        }
        if let Some(yesterday) = previous.filter(|y| y[0].day + 1 == day) {
            let pair = yesterday.iter().find_map(|a| {
                today
                    .iter()
                    .find(|b| model.is_forbidden(a.kind, b.kind))
                    .map(|b| (a, b))
            });
            if let Some((a, b)) = pair {
                out.hard(
                    rules::SUCCESSION,
                    1,
                    vec![
                        Subject::Need(a.need.into()),
                        Subject::Need(b.need.into()),
                        Subject::Day(day),
                    ],
                    format!(
                        "{} on {} then {} the next day: a forbidden succession",
                        model.types[a.kind],
                        date_label(a.day),
                        model.types[b.kind]
                    ),
                    vec![figure("excess", 1, "count")],
                );
            }
        }
        previous = Some(today);
    }
}

fn needs_and_day(shifts: &[Worked<'_>], day: i32) -> Vec<Subject> {
    let mut subjects: Vec<Subject> = shifts
        .iter()
        .map(|s| Subject::Need(s.need.into()))
        .collect();
    subjects.push(Subject::Day(day));
    subjects
}

/// Shifts per type and total working time over the horizon.
fn totals(model: &Model, tech: &TechInfo, shifts: &[Worked<'_>], out: &mut Out<'_>) {
    let limits = &tech.limits;
    let mut per_type = vec![0i64; model.types.len()];
    for s in shifts {
        per_type[s.kind] += 1;
    }
    for (kind, (&count, max)) in per_type.iter().zip(&limits.max_shifts).enumerate() {
        if let Some(max) = *max
            && count > max
        {
            out.hard(
                rules::MAX_SHIFTS,
                count - max,
                vec![],
                format!("{count} {} shifts > {max} allowed", model.types[kind]),
                vec![
                    figure("shifts", count, "count"),
                    figure("max", max, "count"),
                    figure("excess", count - max, "count"),
                ],
            );
        }
    }
    let worked: i64 = shifts.iter().map(|s| s.seconds).sum();
    if worked > limits.max_total {
        let excess = worked - limits.max_total;
        out.hard(
            rules::MAX_TOTAL,
            shifts_up(excess, model.shortest_shift),
            vec![],
            format!(
                "works {} > {} allowed",
                duration(worked),
                duration(limits.max_total)
            ),
            vec![
                figure("worked", worked, "s"),
                figure("max", limits.max_total, "s"),
                figure("excess", excess, "s"),
            ],
        );
    }
    if worked < limits.min_total {
        let deficit = limits.min_total - worked;
        out.hard(
            rules::MIN_TOTAL,
            shifts_up(deficit, model.shortest_shift),
            vec![],
            format!(
                "works {} < {} required",
                duration(worked),
                duration(limits.min_total)
            ),
            vec![
                figure("worked", worked, "s"),
                figure("min", limits.min_total, "s"),
                figure("deficit", deficit, "s"),
            ],
        );
    }
}

/// Shifts' worth, rounded up, of a positive number of seconds: the working-time rules'
/// penalty, so that a shift too few (or too many) costs what any other C&Q violation
/// costs (see `totals`).
fn shifts_up(seconds: i64, shift: i64) -> i64 {
    if seconds <= 0 {
        0
    } else {
        seconds.saturating_add(shift - 1) / shift
    }
}

/// Runs of days worked and days off, inside the horizon.
fn runs(model: &Model, tech: &TechInfo, shifts: &[Worked<'_>], out: &mut Out<'_>) {
    let (first, last) = (model.first_day, model.last_day);
    if last < first {
        return;
    }
    let mut worked = vec![false; (last - first + 1) as usize];
    for s in shifts {
        if (first..=last).contains(&s.day) {
            worked[(s.day - first) as usize] = true;
        }
    }
    let limits = &tech.limits;
    let n = worked.len();
    let mut start = 0;
    for end in 1..=n {
        if end < n && worked[end] == worked[start] {
            continue;
        }
        let length = (end - start) as i64;
        let inner = start > 0 && end < n;
        let (from, to) = (first + start as i32, first + end as i32 - 1);
        let span = format!("{} to {}", date_label(from), date_label(to));
        if worked[start] {
            if length > limits.max_consecutive {
                let excess = length - limits.max_consecutive;
                out.hard(
                    rules::MAX_CONSECUTIVE,
                    excess,
                    vec![Subject::Day(from)],
                    format!(
                        "{length} days worked in a row ({span}) > {} allowed",
                        limits.max_consecutive
                    ),
                    run_figures(length, "max", limits.max_consecutive, "excess", excess),
                );
            }
            if inner && length < limits.min_consecutive {
                let deficit = limits.min_consecutive - length;
                out.hard(
                    rules::MIN_CONSECUTIVE,
                    deficit,
                    vec![Subject::Day(from)],
                    format!(
                        "{length} days worked in a row ({span}) < {} required",
                        limits.min_consecutive
                    ),
                    run_figures(length, "min", limits.min_consecutive, "deficit", deficit),
                );
            }
        } else if inner && length < limits.min_days_off {
            let deficit = limits.min_days_off - length;
            out.hard(
                rules::MIN_DAYS_OFF,
                deficit,
                vec![Subject::Day(from)],
                format!(
                    "{length} days off in a row ({span}) < {} required",
                    limits.min_days_off
                ),
                run_figures(length, "min", limits.min_days_off, "deficit", deficit),
            );
        }
        start = end;
    }
}

fn run_figures(length: i64, limit_name: &str, limit: i64, gap_name: &str, gap: i64) -> Vec<Figure> {
    vec![
        figure("run", length, "day"),
        figure(limit_name, limit, "day"),
        figure(gap_name, gap, "day"),
    ]
}

/// Weekends worked: ISO weeks with a shift starting on their Saturday or Sunday.
fn weekends(model: &Model, tech: &TechInfo, shifts: &[Worked<'_>], out: &mut Out<'_>) {
    let mut weeks: Vec<i32> = shifts
        .iter()
        .filter(|s| (model.first_day..=model.last_day).contains(&s.day))
        .filter(|s| matches!(weekday_of(s.day), Weekday::Saturday | Weekday::Sunday))
        .map(|s| s.day - (s.day - 4).rem_euclid(7)) // the week's Monday (day 4 was a Monday)
        .collect();
    weeks.dedup();
    let count = weeks.len() as i64;
    let max = tech.limits.max_weekends;
    if count > max {
        out.hard(
            rules::MAX_WEEKENDS,
            count - max,
            vec![],
            format!("{count} weekends worked > {max} allowed"),
            vec![
                figure("weekends", count, "week"),
                figure("max", max, "week"),
                figure("excess", count - max, "week"),
            ],
        );
    }
}

/// Shift-on, shift-off, day-on and day-off requests.
fn wishes(tech: &TechInfo, shifts: &[Worked<'_>], out: &mut Out<'_>) {
    for wish in &tech.wishes {
        let on_day = |s: &&Worked<'_>| s.day == wish.day;
        let honoured_by = |s: &Worked<'_>| match (&wish.kind_name, wish.kind) {
            (None, _) => true,
            (Some(_), Some(kind)) => s.kind == kind,
            (Some(_), None) => false,
        };
        let works = shifts.iter().filter(on_day).any(honoured_by);
        if works == wish.wanted {
            continue;
        }
        let day = date_label(wish.day);
        let (rule, message) = match (&wish.kind_name, wish.wanted) {
            (Some(kind), true) => (rules::SHIFT_ON, format!("wanted a {kind} shift on {day}")),
            (Some(kind), false) => (rules::SHIFT_OFF, format!("wanted no {kind} shift on {day}")),
            (None, true) => (rules::DAY_ON, format!("wanted to work on {day}")),
            (None, false) => (rules::DAY_OFF_REQUEST, format!("wanted {day} off")),
        };
        if wish.weight > 0 {
            out.soft(rule, wish.weight, wish.day, message);
        }
    }
}

//! Nurse-rostering rules driven by parameters (soft unless stated): forbidden shift-type
//! successions, minimum and maximum consecutive working days and days off, weekend limits,
//! and minimum and maximum total time over the horizon. Days are the local days on which
//! shifts start (WIT `schedule`); history counts for runs crossing the horizon's start.

use alloc::collections::BTreeSet;
use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use callsheet_plugin_sdk::calendar::{
    date_label, week_label, week_monday, week_of, weekday_name, weekday_of,
};
use callsheet_plugin_sdk::report::{figure, violation};
use callsheet_plugin_sdk::text::{duration, hours_up};
use callsheet_plugin_sdk::types::{Severity, Subject, Violation};

use super::Ctx;

pub const SUCCESSION: &str = "succession.forbidden";
pub const CONSECUTIVE_MAX: &str = "days.consecutive-max";
pub const CONSECUTIVE_MIN: &str = "days.consecutive-min";
pub const OFF_MAX: &str = "days-off.consecutive-max";
pub const OFF_MIN: &str = "days-off.consecutive-min";
pub const WEEKEND_MAX: &str = "weekend.max";
pub const WEEKEND_INCOMPLETE: &str = "weekend.incomplete";
pub const TOTAL_MIN: &str = "time.total-min";
pub const TOTAL_MAX: &str = "time.total-max";

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Violation>) {
    successions(ctx, out);
    consecutive(ctx, out);
    weekends(ctx, out);
    total_time(ctx, out);
}

fn successions(ctx: &Ctx<'_>, out: &mut Vec<Violation>) {
    let l = ctx.limits;
    if l.forbidden.is_empty() || (!l.succession_hard && l.succession_weight == 0) {
        return;
    }
    for pair in ctx.periods.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let (Some(ta), Some(tb)) = (a.shift_type, b.shift_type) else {
            continue;
        };
        if a.past && b.past {
            continue;
        }
        let (da, db) = (
            ctx.cal.day_of(a.window.start),
            ctx.cal.day_of(b.window.start),
        );
        if db - da > 1 || !l.forbidden.iter().any(|(x, y)| x == ta && y == tb) {
            continue;
        }
        let (severity, penalty) = if l.succession_hard {
            (Severity::Hard, 1)
        } else {
            (Severity::Soft, l.succession_weight)
        };
        let mut subjects = a.subjects();
        subjects.extend(b.subjects());
        subjects.push(Subject::Day(db));
        out.push(violation(
            SUCCESSION,
            severity,
            penalty,
            ctx.subjects(subjects),
            format!(
                "forbidden succession {ta}>{tb}: {} on {} then {} on {}",
                a.label(),
                date_label(da),
                b.label(),
                date_label(db)
            ),
            vec![
                figure("first-day", i64::from(da), "day-number"),
                figure("second-day", i64::from(db), "day-number"),
            ],
        ));
    }
}

/// Runs of consecutive days in a sorted set: (first, last).
fn runs(days: &BTreeSet<i32>) -> Vec<(i32, i32)> {
    let mut out: Vec<(i32, i32)> = Vec::new();
    for &d in days {
        match out.last_mut() {
            Some(run) if run.1 + 1 == d => run.1 = d,
            _ => out.push((d, d)),
        }
    }
    out
}

fn consecutive(ctx: &Ctx<'_>, out: &mut Vec<Violation>) {
    let l = ctx.limits;
    if l.consecutive_weight == 0
        || (l.consecutive_max == 0 && l.consecutive_min == 0 && l.off_max == 0 && l.off_min == 0)
    {
        return;
    }
    let (h0, h1) = ctx.horizon_days;
    let worked: BTreeSet<i32> = ctx
        .periods
        .iter()
        .map(|p| ctx.cal.day_of(p.window.start))
        .collect();
    let candidate: BTreeSet<i32> = ctx
        .candidates()
        .map(|p| ctx.cal.day_of(p.window.start))
        .collect();
    let mut push = |rule: &str, run: (i32, i32), limit: i64, len: i64, what: &str, cmp: &str| {
        let deviation = (len - limit).abs();
        let mut subjects = ctx.candidate_subjects_between(run.0, run.1);
        subjects.push(Subject::Day(run.0));
        out.push(violation(
            rule,
            Severity::Soft,
            deviation.saturating_mul(l.consecutive_weight),
            ctx.subjects(subjects),
            format!(
                "{len} consecutive {what} {cmp} {limit} ({} to {})",
                date_label(run.0),
                date_label(run.1)
            ),
            vec![
                figure("days", len, "day"),
                figure("limit", limit, "day"),
                figure("first-day", i64::from(run.0), "day-number"),
            ],
        ));
    };
    for run in runs(&worked) {
        if !candidate.iter().any(|d| *d >= run.0 && *d <= run.1) {
            continue;
        }
        let len = i64::from(run.1 - run.0 + 1);
        if l.consecutive_max > 0 && len > l.consecutive_max {
            push(
                CONSECUTIVE_MAX,
                run,
                l.consecutive_max,
                len,
                "working days",
                ">",
            );
        }
        // A run reaching the horizon's last day may go on after it.
        if l.consecutive_min > 0 && len < l.consecutive_min && run.1 < h1 {
            push(
                CONSECUTIVE_MIN,
                run,
                l.consecutive_min,
                len,
                "working days",
                "<",
            );
        }
    }
    // Days off inside the horizon.
    let off: BTreeSet<i32> = (h0..=h1).filter(|d| !worked.contains(d)).collect();
    for run in runs(&off) {
        let len = i64::from(run.1 - run.0 + 1);
        if l.off_max > 0 && len > l.off_max {
            push(OFF_MAX, run, l.off_max, len, "days off", ">");
        }
        // Only a break between two worked days is a complete run of days off.
        let closed = worked.contains(&(run.0 - 1)) && worked.contains(&(run.1 + 1));
        if l.off_min > 0 && len < l.off_min && closed {
            push(OFF_MIN, run, l.off_min, len, "days off", "<");
        }
    }
}

fn weekends(ctx: &Ctx<'_>, out: &mut Vec<Violation>) {
    let l = ctx.limits;
    if l.weekend_weight == 0
        || l.weekend_days.is_empty()
        || (l.weekend_max < 0 && !l.weekend_complete)
    {
        return;
    }
    let (h0, h1) = ctx.horizon_days;
    let candidate: BTreeSet<i32> = ctx
        .candidates()
        .map(|p| ctx.cal.day_of(p.window.start))
        .collect();
    let mut worked_weekends: Vec<i64> = Vec::new();
    for week in week_of(h0)..=week_of(h1) {
        let monday = week_monday(week);
        let days: Vec<i32> = (monday..monday + 7)
            .filter(|d| *d >= h0 && *d <= h1 && l.weekend_days.contains(&weekday_of(*d)))
            .collect();
        let on: Vec<i32> = days
            .iter()
            .copied()
            .filter(|d| candidate.contains(d))
            .collect();
        if on.is_empty() {
            continue;
        }
        worked_weekends.push(week);
        if l.weekend_complete && on.len() < days.len() {
            let names = |ds: &[i32]| {
                ds.iter()
                    .map(|d| weekday_name(weekday_of(*d)))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let off: Vec<i32> = days
                .iter()
                .copied()
                .filter(|d| !candidate.contains(d))
                .collect();
            let mut subjects = ctx.candidate_subjects_between(days[0], days[days.len() - 1]);
            subjects.push(Subject::Day(days[0]));
            out.push(violation(
                WEEKEND_INCOMPLETE,
                Severity::Soft,
                l.weekend_weight,
                ctx.subjects(subjects),
                format!(
                    "incomplete weekend in week {}: works {} but not {}",
                    week_label(week),
                    names(&on),
                    names(&off)
                ),
                vec![
                    figure("worked-days", on.len() as i64, "day"),
                    figure("weekend-days", days.len() as i64, "day"),
                ],
            ));
        }
    }
    let count = worked_weekends.len() as i64;
    if l.weekend_max >= 0 && count > l.weekend_max {
        let first = worked_weekends.first().map_or(h0, |w| week_monday(*w));
        out.push(violation(
            WEEKEND_MAX,
            Severity::Soft,
            (count - l.weekend_max).saturating_mul(l.weekend_weight),
            ctx.subjects(vec![Subject::Day(first)]),
            format!(
                "{count} weekends worked > {} allowed over the horizon",
                l.weekend_max
            ),
            vec![
                figure("weekends", count, "count"),
                figure("limit", l.weekend_max, "count"),
            ],
        ));
    }
}

fn total_time(ctx: &Ctx<'_>, out: &mut Vec<Violation>) {
    let l = ctx.limits;
    if l.total_weight == 0 || (l.total_min == 0 && l.total_max == 0) {
        return;
    }
    let h = ctx.problem.horizon;
    // Candidate work merged (no double count of overlaps) and clipped to the horizon.
    let mut total = 0;
    let mut cursor = i64::MIN;
    for p in ctx.candidates() {
        let (s, e) = (
            p.window.start.max(cursor).max(h.start),
            p.window.end.min(h.end),
        );
        if e > s {
            total += e - s;
        }
        cursor = cursor.max(p.window.end);
    }
    let mut push = |rule: &str, limit: i64, cmp: &str, kind: &str| {
        out.push(violation(
            rule,
            Severity::Soft,
            hours_up((total - limit).abs()).saturating_mul(l.total_weight),
            ctx.subjects(vec![]),
            format!(
                "work {} {cmp} {} {kind} over the horizon",
                duration(total),
                duration(limit)
            ),
            vec![figure("worked", total, "s"), figure("limit", limit, "s")],
        ));
    };
    if l.total_min > 0 && total < l.total_min {
        push(TOTAL_MIN, l.total_min, "<", "minimum");
    }
    if l.total_max > 0 && total > l.total_max {
        push(TOTAL_MAX, l.total_max, ">", "maximum");
    }
}

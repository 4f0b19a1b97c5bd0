//! Working-time limits: per local day (L3121-18/19), per ISO week (L3121-20), average over
//! consecutive weeks (L3121-22), working days per week (L3132-1), the break after 6 h
//! (L3121-16) and the daily limit of regular night workers (L3122-6).

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use callsheet_plugin_sdk::calendar::{date_label, week_label, week_monday};
use callsheet_plugin_sdk::report::{figure, violation};
use callsheet_plugin_sdk::text::{duration, minutes_up};
use callsheet_plugin_sdk::types::{Severity, Subject, Violation, Window};

use super::Ctx;

pub const DAILY: &str = "work.max-daily";
pub const WEEKLY: &str = "work.max-weekly";
pub const AVERAGE: &str = "work.max-average";
pub const DAYS_PER_WEEK: &str = "work.max-days-per-week";
pub const BREAK: &str = "break.missing";
pub const NIGHT: &str = "night.max-daily";

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Violation>) {
    daily(ctx, out);
    weekly(ctx, out);
    average(ctx, out);
    days_per_week(ctx, out);
    breaks(ctx, out);
    night(ctx, out);
}

fn daily(ctx: &Ctx<'_>, out: &mut Vec<Violation>) {
    let limit = ctx.limits.daily_max;
    for &day in &ctx.timeline.candidate_days {
        let worked = ctx.timeline.work_on(day);
        if worked <= limit {
            continue;
        }
        let mut subjects = ctx.candidate_subjects_between(day, day);
        subjects.push(Subject::Day(day));
        out.push(violation(
            DAILY,
            Severity::Hard,
            minutes_up(worked - limit),
            ctx.subjects(subjects),
            format!(
                "work {} > {} allowed on {}",
                duration(worked),
                duration(limit),
                date_label(day)
            ),
            vec![
                figure("worked", worked, "s"),
                figure("limit", limit, "s"),
                figure("excess", worked - limit, "s"),
                figure("day", i64::from(day), "day-number"),
            ],
        ));
    }
}

fn weekly(ctx: &Ctx<'_>, out: &mut Vec<Violation>) {
    let limit = ctx.limits.weekly_max;
    for week in ctx.candidate_weeks() {
        let worked = ctx.week_work(week);
        if worked <= limit {
            continue;
        }
        let monday = week_monday(week);
        let mut subjects = ctx.candidate_subjects_between(monday, monday + 6);
        subjects.push(Subject::Day(monday));
        out.push(violation(
            WEEKLY,
            Severity::Hard,
            minutes_up(worked - limit),
            ctx.subjects(subjects),
            format!(
                "work {} > {} allowed in week {}",
                duration(worked),
                duration(limit),
                week_label(week)
            ),
            vec![
                figure("worked", worked, "s"),
                figure("limit", limit, "s"),
                figure("excess", worked - limit, "s"),
                figure("week-monday", i64::from(monday), "day-number"),
            ],
        ));
    }
}

/// The worst run of `work.average.weeks` consecutive weeks that contains a candidate week
/// (weeks without known work count as 0): one violation per schedule, not one per window.
fn average(ctx: &Ctx<'_>, out: &mut Vec<Violation>) {
    let (n, limit) = (ctx.limits.average_weeks, ctx.limits.average_max);
    let (Some(low), Some(high)) = (ctx.candidate_weeks().next(), ctx.candidate_weeks().last())
    else {
        return;
    };
    // Work per week from the first run's first week to the last run's last, as prefix
    // sums: each run's total is one subtraction, not a walk of the weeks.
    let low = low - n + 1;
    let mut prefix: Vec<i64> = Vec::with_capacity((high + n - low + 1) as usize);
    prefix.push(0);
    for week in low..high + n {
        let worked = ctx.week_work(week);
        prefix.push(prefix[prefix.len() - 1] + worked);
    }
    let total_from =
        |first: i64| prefix[(first + n - low) as usize] - prefix[(first - low) as usize];
    let mut worst: Option<(i64, i64)> = None; // (total, first week)
    for week in ctx.candidate_weeks() {
        for first in week - n + 1..=week {
            let total = total_from(first);
            if worst.is_none_or(|(t, _)| total > t) {
                worst = Some((total, first));
            }
        }
    }
    let Some((total, first)) = worst else { return };
    let allowed = limit.saturating_mul(n);
    if total <= allowed {
        return;
    }
    let last = first + n - 1;
    let mut subjects = ctx.candidate_subjects_between(week_monday(first), week_monday(last) + 6);
    subjects.push(Subject::Day(week_monday(first)));
    out.push(violation(
        AVERAGE,
        Severity::Hard,
        minutes_up(total - allowed),
        ctx.subjects(subjects),
        format!(
            "average {} > {} allowed per week over the {n} weeks {} to {} ({} worked)",
            duration(total / n),
            duration(limit),
            week_label(first),
            week_label(last),
            duration(total)
        ),
        vec![
            figure("worked", total, "s"),
            figure("average", total / n, "s"),
            figure("limit", limit, "s"),
            figure("weeks", n, "week"),
            figure("excess", total - allowed, "s"),
            figure("first-monday", i64::from(week_monday(first)), "day-number"),
        ],
    ));
}

fn days_per_week(ctx: &Ctx<'_>, out: &mut Vec<Violation>) {
    let limit = ctx.limits.days_per_week_max;
    for week in ctx.candidate_weeks() {
        let monday = week_monday(week);
        let days = ctx.timeline.work_between(monday..monday + 7).len() as i64;
        if days <= limit {
            continue;
        }
        let mut subjects = ctx.candidate_subjects_between(monday, monday + 6);
        subjects.push(Subject::Day(monday));
        out.push(violation(
            DAYS_PER_WEEK,
            Severity::Hard,
            days - limit,
            ctx.subjects(subjects),
            format!(
                "{days} working days > {limit} allowed in week {}",
                week_label(week)
            ),
            vec![
                figure("days", days, "day"),
                figure("limit", limit, "day"),
                figure("week-monday", i64::from(monday), "day-number"),
            ],
        ));
    }
}

/// Stretches of work whose gaps are all shorter than the break; one longer than
/// `break.after` had no break. 0 for `break.after` disables the rule.
fn breaks(ctx: &Ctx<'_>, out: &mut Vec<Violation>) {
    let l = ctx.limits;
    if l.break_after == 0 || (!l.break_hard && l.break_weight == 0) {
        return;
    }
    let blocks = &ctx.timeline.blocks;
    let mut i = 0;
    while i < blocks.len() {
        let mut j = i;
        while j + 1 < blocks.len() && blocks[j + 1].start - blocks[j].end < l.break_min {
            j += 1;
        }
        let (start, end) = (blocks[i].start, blocks[j].end);
        let candidate = blocks[i..=j].iter().any(|b| b.candidate);
        if candidate && end - start > l.break_after {
            let (first, last) = (
                &ctx.periods[blocks[i].periods.start],
                &ctx.periods[blocks[j].last],
            );
            let mut subjects = first.subjects();
            subjects.extend(last.subjects());
            subjects.push(Subject::Day(ctx.cal.day_of(start)));
            let (severity, penalty) = if l.break_hard {
                (Severity::Hard, 1)
            } else {
                (Severity::Soft, l.break_weight)
            };
            out.push(violation(
                BREAK,
                severity,
                penalty,
                ctx.subjects(subjects),
                format!(
                    "{} of work without a {} break (required after {}), from {} ({}) to {}",
                    duration(end - start),
                    duration(l.break_min),
                    duration(l.break_after),
                    first.label(),
                    ctx.cal.time_label(start),
                    last.label()
                ),
                vec![
                    figure("continuous", end - start, "s"),
                    figure("limit", l.break_after, "s"),
                    figure("break", l.break_min, "s"),
                    figure("start", start, "instant"),
                ],
            ));
        }
        i = j + 1;
    }
}

/// For a regular night worker, a working day that includes night work has at most
/// `night.daily.max` of work.
fn night(ctx: &Ctx<'_>, out: &mut Vec<Violation>) {
    let l = ctx.limits;
    if !l.night_worker {
        return;
    }
    let blocks = &ctx.timeline.blocks;
    for wd in ctx
        .timeline
        .working_days(l.rest_daily_min)
        .into_iter()
        .filter(|d| d.candidate)
    {
        let mut worked = 0;
        let mut night = 0;
        for b in &blocks[wd.blocks.clone()] {
            let w = Window {
                start: b.start,
                end: b.end,
            };
            worked += b.end - b.start;
            night += ctx
                .cal
                .night_parts(&w, l.night_start, l.night_end)
                .iter()
                .map(|(_, p)| p.end - p.start)
                .sum::<i64>();
        }
        if night == 0 || worked <= l.night_daily_max {
            continue;
        }
        let day = ctx.cal.day_of(wd.start);
        let mut subjects = ctx.candidate_subjects_between(day, ctx.cal.day_of(wd.end - 1));
        subjects.push(Subject::Day(day));
        out.push(violation(
            NIGHT,
            Severity::Hard,
            minutes_up(worked - l.night_daily_max),
            ctx.subjects(subjects),
            format!(
                "work {} > {} allowed for a regular night worker in the working day from {} ({} at night)",
                duration(worked),
                duration(l.night_daily_max),
                ctx.cal.time_label(wd.start),
                duration(night)
            ),
            vec![figure("worked", worked, "s"), figure("limit", l.night_daily_max, "s"), figure("night", night, "s"), figure("start", wd.start, "instant")],
        ));
    }
}

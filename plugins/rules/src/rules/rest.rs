//! Daily rest (L3131-1, IDCC 2717 derogation) and weekly rest (L3132-2).

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use callsheet_plugin_sdk::calendar::{DAY, date_label, week_label, week_monday, week_of};
use callsheet_plugin_sdk::report::{figure, violation};
use callsheet_plugin_sdk::text::{duration, minutes_up};
use callsheet_plugin_sdk::types::{Severity, Subject, Violation};

use super::Ctx;

pub const DAILY: &str = "rest.daily";
pub const DEROGATION: &str = "rest.daily.derogation";
pub const WEEKLY: &str = "rest.weekly";

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Violation>) {
    daily(ctx, out);
    weekly(ctx, out);
}

/// The rest of each working day is the longest free time inside the 24 h from its start
/// (so a 15 h working day leaves 9 h); below `rest.daily.min` it is either an allowed
/// derogation (soft, the missing time to recover) or a hard violation.
fn daily(ctx: &Ctx<'_>, out: &mut Vec<Violation>) {
    let l = ctx.limits;
    if l.rest_daily_min == 0 {
        return;
    }
    let tl = &ctx.timeline;
    // Local days of the derogations granted so far, history included, in time order.
    let mut granted: Vec<i32> = Vec::new();
    for wd in tl.working_days(l.rest_daily_min) {
        let window_end = wd.start + DAY;
        let mut best: (i64, usize) = (i64::MIN, wd.blocks.start);
        for i in wd.blocks.clone() {
            let (gap_start, next) = tl.gap_after(i);
            let clipped = next.unwrap_or(i64::MAX).min(window_end) - gap_start.max(wd.start);
            if clipped > best.0 {
                best = (clipped, i);
            }
        }
        let rest = best.0.max(0);
        if rest >= l.rest_daily_min {
            continue;
        }
        let day = ctx.cal.day_of(wd.start);
        let in_week = granted
            .iter()
            .filter(|&&d| week_of(d) == week_of(day))
            .count() as i64;
        let in_7_days = granted.iter().filter(|&&d| d > day - 7 && d <= day).count() as i64;
        let allowed = rest >= l.derogation_min
            && in_week < l.derogation_per_week
            && in_7_days < l.derogation_per_7_days;
        if allowed {
            granted.push(day);
        }
        if !wd.candidate {
            continue;
        }
        let missing = l.rest_daily_min - rest;
        let before = &ctx.periods[tl.blocks[best.1].last];
        let next_block = tl.blocks.get(best.1 + 1).filter(|b| b.start <= window_end);
        let first = &ctx.periods[tl.blocks[wd.blocks.start].periods.start];
        let place = match next_block {
            Some(b) => format!(
                "between {} and {}",
                before.label(),
                ctx.periods[b.periods.start].label()
            ),
            None => format!(
                "in the 24 h from {} ({}), a working day of {} ending with {}",
                ctx.cal.time_label(wd.start),
                first.label(),
                duration(wd.end - wd.start),
                before.label()
            ),
        };
        let mut subjects = vec![Subject::Day(day)];
        subjects.extend(first.subjects());
        subjects.extend(before.subjects());
        if let Some(b) = next_block {
            subjects.extend(ctx.periods[b.periods.start].subjects());
        }
        let figures = vec![
            figure("rest", rest, "s"),
            figure("required", l.rest_daily_min, "s"),
            figure("missing", missing, "s"),
            figure("derogation-min", l.derogation_min, "s"),
            figure("span", wd.end - wd.start, "s"),
            figure("working-day-start", wd.start, "instant"),
            figure("derogations-in-week", in_week, "count"),
            figure("derogations-in-7-days", in_7_days, "count"),
        ];
        let head = format!(
            "rest {} < {} required {place}",
            duration(rest),
            duration(l.rest_daily_min)
        );
        if allowed {
            if l.derogation_weight > 0 {
                let message = format!(
                    "{head}: derogation to {} ({} of {} in week {}), {} to recover",
                    duration(l.derogation_min),
                    in_week + 1,
                    l.derogation_per_week,
                    week_label(week_of(day)),
                    duration(missing)
                );
                let penalty = minutes_up(missing).saturating_mul(l.derogation_weight);
                out.push(violation(
                    DEROGATION,
                    Severity::Soft,
                    penalty,
                    ctx.subjects(subjects),
                    message,
                    figures,
                ));
            }
            continue;
        }
        let why = if rest < l.derogation_min {
            format!(
                "below the {} derogation minimum",
                duration(l.derogation_min)
            )
        } else if in_week >= l.derogation_per_week {
            format!(
                "derogation already used {in_week} times in week {} (at most {})",
                week_label(week_of(day)),
                l.derogation_per_week
            )
        } else {
            format!(
                "derogation already used {in_7_days} times in the 7 days to {} (at most {})",
                date_label(day),
                l.derogation_per_7_days
            )
        };
        let message = format!("{head} ({why})");
        out.push(violation(
            DAILY,
            Severity::Hard,
            minutes_up(missing),
            ctx.subjects(subjects),
            message,
            figures,
        ));
    }
}

/// Each ISO week with a candidate shift needs a free stretch of `rest.weekly.min`
/// overlapping it; free time before all known work and after the last shift is unbounded.
fn weekly(ctx: &Ctx<'_>, out: &mut Vec<Violation>) {
    let l = ctx.limits;
    if l.rest_weekly_min == 0 {
        return;
    }
    let tl = &ctx.timeline;
    for week in ctx.candidate_weeks() {
        let monday = week_monday(week);
        let (from, to) = (
            ctx.cal.local_instant(monday, 0),
            ctx.cal.local_instant(monday + 7, 0),
        );
        let (rest, before, after) = tl.longest_rest_touching(from, to);
        if rest >= l.rest_weekly_min {
            continue;
        }
        let mut subjects = vec![];
        let mut place = String::new();
        if let (Some(b), Some(a)) = (before, after) {
            let (pb, pa) = (
                &ctx.periods[tl.blocks[b].last],
                &ctx.periods[tl.blocks[a].periods.start],
            );
            place = format!(", between {} and {}", pb.label(), pa.label());
            subjects.extend(pb.subjects());
            subjects.extend(pa.subjects());
        }
        subjects.extend(ctx.candidate_subjects_between(monday, monday + 6));
        subjects.push(Subject::Day(monday));
        let missing = l.rest_weekly_min - rest;
        let message = format!(
            "longest rest {} < {} required in week {}{place}",
            duration(rest),
            duration(l.rest_weekly_min),
            week_label(week)
        );
        let figures = vec![
            figure("rest", rest, "s"),
            figure("required", l.rest_weekly_min, "s"),
            figure("missing", missing, "s"),
            figure("week-monday", i64::from(monday), "day-number"),
        ];
        out.push(violation(
            WEEKLY,
            Severity::Hard,
            minutes_up(missing),
            ctx.subjects(subjects),
            message,
            figures,
        ));
    }
}

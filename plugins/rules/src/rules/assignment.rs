//! Rules on each shift of a schedule: overlapping shifts, missing skill, declared
//! availability (unavailable hard; preferred and undeclared soft), avoided venues and the
//! personal weekly ceiling.

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use callsheet_plugin_sdk::calendar::{week_label, week_monday};
use callsheet_plugin_sdk::report::{figure, violation};
use callsheet_plugin_sdk::text::{duration, hours_up, minutes_up};
use callsheet_plugin_sdk::types::{AvailabilityKind, Severity, Subject, Violation, Window};

use super::Ctx;

pub const OVERLAP: &str = "shift.overlap";
pub const SKILL: &str = "skill.missing";
pub const UNAVAILABLE: &str = "availability.unavailable";
pub const PREFERRED: &str = "availability.preferred";
pub const UNDECLARED: &str = "availability.undeclared";
pub const AVOIDED_VENUE: &str = "preference.avoided-venue";
pub const MAX_WEEKLY: &str = "preference.max-weekly";

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Violation>) {
    overlaps(ctx, out);
    skills(ctx, out);
    availability(ctx, out);
    preferences(ctx, out);
}

fn overlap(a: &Window, b: &Window) -> i64 {
    (a.end.min(b.end) - a.start.max(b.start)).max(0)
}

/// Two periods of one technician that overlap (a candidate shift with another or with
/// history): hard, penalty the minutes of overlap.
fn overlaps(ctx: &Ctx<'_>, out: &mut Vec<Violation>) {
    let p = &ctx.periods;
    for i in 0..p.len() {
        for j in i + 1..p.len() {
            if p[j].window.start >= p[i].window.end {
                break;
            }
            if p[i].past && p[j].past {
                continue;
            }
            let secs = overlap(&p[i].window, &p[j].window);
            let mut subjects = p[i].subjects();
            subjects.extend(p[j].subjects());
            out.push(violation(
                OVERLAP,
                Severity::Hard,
                minutes_up(secs),
                ctx.subjects(subjects),
                format!(
                    "{} and {} overlap by {} ({})",
                    p[i].label(),
                    p[j].label(),
                    duration(secs),
                    ctx.cal.time_label(p[j].window.start)
                ),
                vec![
                    figure("overlap", secs, "s"),
                    figure("start", p[j].window.start, "instant"),
                ],
            ));
        }
    }
}

fn skills(ctx: &Ctx<'_>, out: &mut Vec<Violation>) {
    for p in ctx.candidates() {
        let Some((_, need)) = p.need else { continue };
        if ctx.tech.skills.contains(&need.skill) {
            continue;
        }
        out.push(violation(
            SKILL,
            Severity::Hard,
            1,
            ctx.subjects(p.subjects()),
            format!(
                "{} lacks skill {} for {}",
                ctx.tech.name,
                need.skill,
                p.label()
            ),
            vec![figure("start", p.window.start, "instant")],
        ));
    }
}

fn availability(ctx: &Ctx<'_>, out: &mut Vec<Violation>) {
    let l = ctx.limits;
    let declared = &ctx.tech.availability;
    let horizon = ctx.problem.horizon;
    let has_preferred = declared
        .iter()
        .any(|a| a.kind == AvailabilityKind::Preferred && overlap(&a.window, &horizon) > 0);
    // Available and preferred windows merged, for the undeclared-time rule.
    let mut open: Vec<Window> = declared
        .iter()
        .filter(|a| a.kind != AvailabilityKind::Unavailable)
        .map(|a| a.window)
        .collect();
    open.sort_by_key(|w| (w.start, w.end));
    for p in ctx.candidates() {
        for a in declared
            .iter()
            .filter(|a| a.kind == AvailabilityKind::Unavailable)
        {
            let secs = overlap(&p.window, &a.window);
            if secs == 0 || (!l.unavailable_hard && l.unavailable_weight == 0) {
                continue;
            }
            let (severity, penalty) = if l.unavailable_hard {
                (Severity::Hard, minutes_up(secs))
            } else {
                (Severity::Soft, l.unavailable_weight)
            };
            out.push(violation(
                UNAVAILABLE,
                severity,
                penalty,
                ctx.subjects(p.subjects()),
                format!(
                    "{} overlaps by {} an unavailability of {} ({} to {})",
                    p.label(),
                    duration(secs),
                    ctx.tech.name,
                    ctx.cal.time_label(a.window.start),
                    ctx.cal.time_label(a.window.end)
                ),
                vec![
                    figure("overlap", secs, "s"),
                    figure("unavailable-start", a.window.start, "instant"),
                    figure("unavailable-end", a.window.end, "instant"),
                ],
            ));
        }
        if has_preferred && l.preferred_weight > 0 {
            let inside = declared.iter().any(|a| {
                a.kind == AvailabilityKind::Preferred && overlap(&a.window, &p.window) > 0
            });
            if !inside {
                out.push(violation(
                    PREFERRED,
                    Severity::Soft,
                    l.preferred_weight,
                    ctx.subjects(p.subjects()),
                    format!(
                        "{} is outside the preferred windows of {}",
                        p.label(),
                        ctx.tech.name
                    ),
                    vec![figure("start", p.window.start, "instant")],
                ));
            }
        }
        if l.undeclared_weight > 0 {
            let uncovered = uncovered(&p.window, &open);
            if uncovered > 0 {
                out.push(violation(
                    UNDECLARED,
                    Severity::Soft,
                    l.undeclared_weight,
                    ctx.subjects(p.subjects()),
                    format!(
                        "{} is not in a declared availability of {} ({} uncovered)",
                        p.label(),
                        ctx.tech.name,
                        duration(uncovered)
                    ),
                    vec![
                        figure("uncovered", uncovered, "s"),
                        figure("start", p.window.start, "instant"),
                    ],
                ));
            }
        }
    }
}

/// Seconds of `w` not covered by the sorted windows.
fn uncovered(w: &Window, sorted: &[Window]) -> i64 {
    let mut cursor = w.start;
    let mut missing = 0;
    for o in sorted {
        if o.end <= cursor {
            continue;
        }
        if o.start >= w.end {
            break;
        }
        if o.start > cursor {
            missing += o.start - cursor;
        }
        cursor = cursor.max(o.end);
        if cursor >= w.end {
            break;
        }
    }
    missing + (w.end - cursor).max(0)
}

fn preferences(ctx: &Ctx<'_>, out: &mut Vec<Violation>) {
    let l = ctx.limits;
    let prefs = &ctx.tech.preferences;
    if l.avoided_venue_weight > 0 {
        for p in ctx.candidates() {
            let Some((_, need)) = p.need else { continue };
            if prefs.avoided_venues.contains(&need.venue_id) {
                let mut subjects = p.subjects();
                subjects.push(Subject::Venue(need.venue_id.clone()));
                out.push(violation(
                    AVOIDED_VENUE,
                    Severity::Soft,
                    l.avoided_venue_weight,
                    ctx.subjects(subjects),
                    format!(
                        "{} would rather avoid venue {} ({})",
                        ctx.tech.name,
                        need.venue_id,
                        p.label()
                    ),
                    vec![figure("start", p.window.start, "instant")],
                ));
            }
        }
    }
    if let (Some(max), true) = (prefs.max_weekly, l.max_weekly_weight > 0) {
        for week in ctx.candidate_weeks() {
            let worked = ctx.week_work(week);
            if worked <= max {
                continue;
            }
            let monday = week_monday(week);
            let mut subjects = ctx.candidate_subjects_between(monday, monday + 6);
            subjects.push(Subject::Day(monday));
            out.push(violation(
                MAX_WEEKLY,
                Severity::Soft,
                hours_up(worked - max).saturating_mul(l.max_weekly_weight),
                ctx.subjects(subjects),
                format!(
                    "work {} > personal ceiling {} in week {}",
                    duration(worked),
                    duration(max),
                    week_label(week)
                ),
                vec![
                    figure("worked", worked, "s"),
                    figure("limit", max, "s"),
                    figure("week-monday", i64::from(monday), "day-number"),
                ],
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncovered_time_is_what_no_window_covers() {
        let w = |a, b| Window { start: a, end: b };
        let cases = [
            ("no windows", vec![], 100),
            ("fully covered", vec![w(0, 100)], 0),
            ("gap in the middle", vec![w(0, 40), w(60, 100)], 20),
            ("overlapping windows", vec![w(0, 70), w(50, 90)], 10),
            (
                "window before and after",
                vec![w(-50, -10), w(200, 300)],
                100,
            ),
        ];
        for (case, windows, expected) in cases {
            assert_eq!(uncovered(&w(0, 100), &windows), expected, "case {case}");
        }
    }
}

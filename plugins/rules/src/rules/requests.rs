//! A technician's weighted requests (soft): day off/on, shift type off/on a day, a mission,
//! a need, a window. One violation per request not honoured, its penalty the request's
//! weight. A shift is "on" the local day on which it starts (WIT `schedule`). Requests
//! outside the horizon, or about a mission or need not in the problem, are ignored.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use callsheet_plugin_sdk::calendar::date_label;
use callsheet_plugin_sdk::report::{figure, violation};
use callsheet_plugin_sdk::types::{Request, RequestTarget, Severity, Subject, Violation};

use super::Ctx;
use crate::model::Period;

pub const DAY: &str = "request.day";
pub const SHIFT: &str = "request.shift";
pub const MISSION: &str = "request.mission";
pub const NEED: &str = "request.need";
pub const WINDOW: &str = "request.window";

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Violation>) {
    for request in &ctx.tech.requests {
        if request.weight > 0 {
            one(ctx, request, out);
        }
    }
}

fn one(ctx: &Ctx<'_>, request: &Request, out: &mut Vec<Violation>) {
    let (h0, h1) = ctx.horizon_days;
    let starts_on = |p: &Period<'_>, day: i32| ctx.cal.day_of(p.window.start) == day;
    // (rule, matching candidate shifts, what the request is about, its subject)
    let (rule, matching, what, subject): (&str, Vec<&Period<'_>>, String, Subject) =
        match &request.target {
            RequestTarget::Day(day) => {
                if *day < h0 || *day > h1 {
                    return;
                }
                (
                    DAY,
                    ctx.candidates().filter(|p| starts_on(p, *day)).collect(),
                    date_label(*day),
                    Subject::Day(*day),
                )
            }
            RequestTarget::Shift(s) => {
                if s.day < h0 || s.day > h1 {
                    return;
                }
                let matching = ctx
                    .candidates()
                    .filter(|p| starts_on(p, s.day) && p.shift_type == Some(s.shift_type.as_str()))
                    .collect();
                (
                    SHIFT,
                    matching,
                    format!("a {} shift on {}", s.shift_type, date_label(s.day)),
                    Subject::Day(s.day),
                )
            }
            RequestTarget::Mission(id) => {
                let Some(&i) = ctx.index.missions.get(id) else {
                    return;
                };
                let m = &ctx.problem.missions[i];
                (
                    MISSION,
                    ctx.candidates()
                        .filter(|p| p.mission.is_some_and(|(pm, _)| pm == i))
                        .collect(),
                    m.title.clone(),
                    Subject::Mission(id.clone()),
                )
            }
            RequestTarget::Need(id) => {
                let Some(&i) = ctx.index.needs.get(id) else {
                    return;
                };
                let n = &ctx.problem.needs[i];
                let title = ctx
                    .index
                    .mission_title(ctx.problem, ctx.index.need_missions[i]);
                let matching = ctx
                    .candidates()
                    .filter(|p| p.need.is_some_and(|(pn, _)| pn == i))
                    .collect();
                (
                    NEED,
                    matching,
                    format!("the {} place on {title}", n.skill),
                    Subject::Need(id.clone()),
                )
            }
            RequestTarget::Window(w) => {
                if w.end <= ctx.problem.horizon.start || w.start >= ctx.problem.horizon.end {
                    return;
                }
                let matching = ctx
                    .candidates()
                    .filter(|p| p.window.start < w.end && p.window.end > w.start)
                    .collect();
                let what = format!(
                    "{} to {}",
                    ctx.cal.time_label(w.start),
                    ctx.cal.time_label(w.end)
                );
                (
                    WINDOW,
                    matching,
                    what,
                    Subject::Day(ctx.cal.day_of(w.start)),
                )
            }
        };
    let message = match (request.wanted, matching.first()) {
        (false, Some(p)) => format!(
            "{} asked not to work on {what} but works {}",
            ctx.tech.name,
            p.label()
        ),
        (true, None) => format!(
            "{} asked to work on {what} but has no shift there",
            ctx.tech.name
        ),
        _ => return,
    };
    let mut subjects = vec![subject];
    subjects.extend(matching.iter().flat_map(|p| p.subjects()));
    out.push(violation(
        rule,
        Severity::Soft,
        request.weight,
        ctx.subjects(subjects),
        message,
        vec![
            figure("weight", request.weight, "points"),
            figure("wanted", i64::from(request.wanted), "count"),
            figure("matching-shifts", matching.len() as i64, "count"),
        ],
    ));
}

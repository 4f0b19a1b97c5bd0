//! Plan-level rules, between schedules: cover (under- and over-staffing of each need),
//! incompatible technicians on one mission, affine technicians split between missions, and
//! room double bookings.

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use callsheet_plugin_sdk::report::{figure, violation};
use callsheet_plugin_sdk::types::{
    Assignment, AssignmentStatus, Mission, Problem, Severity, Subject, Violation,
};

use crate::active::{Active, Shift};
use crate::config::Limits;
use crate::index::Index;

pub const COVER_UNDER: &str = "cover.under";
pub const COVER_OVER: &str = "cover.over";
pub const COVER_OVER_MAX: &str = "cover.over-max";
pub const INCOMPATIBLE: &str = "relation.incompatibility";
pub const AFFINITY_SPLIT: &str = "relation.affinity-split";
pub const ROOM: &str = "room.double-booking";

/// The plan-level violations of the non-declined assignments.
pub fn check(problem: &Problem, index: &Index, limits: &Limits, active: &Active) -> Vec<Violation> {
    let mut out = Vec::new();
    cover(problem, index, limits, active, &mut out);
    relations(problem, index, active, &mut out);
    rooms(problem, index, active, &mut out);
    out
}

fn cover(
    problem: &Problem,
    index: &Index,
    limits: &Limits,
    active: &Active,
    out: &mut Vec<Violation>,
) {
    let mut counts = vec![0i64; problem.needs.len()];
    for s in active.all() {
        counts[s.need] += 1;
    }
    for ((need, &n), &mission) in problem.needs.iter().zip(&counts).zip(&index.need_missions) {
        let min = i64::from(need.min_crew);
        let max = i64::from(need.max_crew.unwrap_or(need.min_crew).max(need.min_crew));
        let extra = n.min(max) - min;
        let over = extra > 0 && need.extra_penalty > 0;
        if n >= min && !over && n <= max {
            continue;
        }
        let title = index.mission_title(problem, mission);
        // Built only for a violation: most needs have none, and each would cost allocations.
        let subjects = || {
            vec![
                Subject::Mission(need.mission_id.clone()),
                Subject::Need(need.id.clone()),
            ]
        };
        let figures = || {
            vec![
                figure("assigned", n, "count"),
                figure("min-crew", min, "count"),
                figure("max-crew", max, "count"),
            ]
        };
        if n < min {
            let places = min - n;
            let (severity, penalty) = if limits.cover_hard {
                (Severity::Hard, places)
            } else {
                (Severity::Soft, places.saturating_mul(need.unfilled_penalty))
            };
            if penalty > 0 {
                out.push(violation(
                    COVER_UNDER,
                    severity,
                    penalty,
                    subjects(),
                    format!(
                        "{places} of {min} {} places unfilled on {title}",
                        need.skill
                    ),
                    figures(),
                ));
            }
        }
        if over {
            out.push(violation(
                COVER_OVER,
                Severity::Soft,
                extra.saturating_mul(need.extra_penalty),
                subjects(),
                format!("{extra} extra {} crew above {min} on {title}", need.skill),
                figures(),
            ));
        }
        if n > max {
            out.push(violation(
                COVER_OVER_MAX,
                Severity::Hard,
                n - max,
                subjects(),
                format!("{n} {} crew > {max} allowed on {title}", need.skill),
                figures(),
            ));
        }
    }
}

/// Incompatible technicians on one mission, affine ones split between missions. Only the
/// technicians of a related pair are read, through their own shifts: no scan of the plan
/// per pair.
fn relations(problem: &Problem, index: &Index, active: &Active, out: &mut Vec<Violation>) {
    let mission = |s: &Shift| index.need_missions[s.need];
    let name = |t: usize| problem.technicians[t].name.as_str();
    let id = |t: usize| Subject::Technician(problem.technicians[t].id.clone());
    for pair in &index.pairs {
        let (xs, ys) = (active.of(pair.a), active.of(pair.b));
        if let Some((severity, weight)) = pair.incompatible
            && (severity == Severity::Hard || weight > 0)
        {
            // The missions both work on.
            let mut shared: Vec<usize> = Vec::new();
            for x in xs {
                shared.extend(ys.iter().map(mission).filter(|&m| m == mission(x)));
            }
            shared.sort_unstable();
            shared.dedup();
            for m in shared {
                out.push(violation(
                    INCOMPATIBLE,
                    severity,
                    weight,
                    vec![
                        id(pair.a),
                        id(pair.b),
                        Subject::Mission(index.mission_id(problem, m).into()),
                    ],
                    format!(
                        "{} and {} are incompatible but both work on {}",
                        name(pair.a),
                        name(pair.b),
                        index.mission_title(problem, m)
                    ),
                    vec![figure("weight", weight.max(1), "points")],
                ));
            }
        }
        if pair.affinity > 0 {
            // Working at the same time on different missions: they could have been together.
            let mut split: Vec<(usize, usize)> = Vec::new();
            for x in xs {
                for y in ys {
                    let overlap = x.window.start < y.window.end && y.window.start < x.window.end;
                    if overlap && mission(x) != mission(y) {
                        split.push((mission(x), mission(y)));
                    }
                }
            }
            split.sort_unstable();
            split.dedup();
            for (mx, my) in split {
                out.push(violation(
                    AFFINITY_SPLIT,
                    Severity::Soft,
                    pair.affinity,
                    vec![
                        id(pair.a),
                        id(pair.b),
                        Subject::Mission(index.mission_id(problem, mx).into()),
                        Subject::Mission(index.mission_id(problem, my).into()),
                    ],
                    format!(
                        "{} and {} work well together but are split between {} and {}",
                        name(pair.a),
                        name(pair.b),
                        index.mission_title(problem, mx),
                        index.mission_title(problem, my)
                    ),
                    vec![figure("weight", pair.affinity, "points")],
                ));
            }
        }
    }
}

fn rooms(problem: &Problem, index: &Index, active: &Active, out: &mut Vec<Violation>) {
    let mut staffed = vec![false; problem.missions.len()];
    for s in active.all() {
        if let Some(m) = staffed.get_mut(index.need_missions[s.need]) {
            *m = true;
        }
    }
    // Staffed missions with a room, and their room's key.
    let missions: Vec<(&Mission, usize)> = problem
        .missions
        .iter()
        .zip(index.mission_rooms.iter().zip(&staffed))
        .filter_map(|(m, (room, &staffed))| Some((m, room.filter(|_| staffed)?)))
        .collect();
    for (i, &(a, room_a)) in missions.iter().enumerate() {
        for &(b, room_b) in &missions[i + 1..] {
            if room_a == room_b && a.window.start < b.window.end && b.window.start < a.window.end {
                let room = a.room_id.clone().unwrap_or_default();
                let overlap = a.window.end.min(b.window.end) - a.window.start.max(b.window.start);
                out.push(violation(
                    ROOM,
                    Severity::Hard,
                    1,
                    vec![
                        Subject::Mission(a.id.clone()),
                        Subject::Mission(b.id.clone()),
                        Subject::Venue(a.venue_id.clone()),
                        Subject::Room(room.clone()),
                    ],
                    format!(
                        "{} and {} double-book room {room} of venue {}",
                        a.title, b.title, a.venue_id
                    ),
                    vec![figure("overlap", overlap, "s")],
                ));
            }
        }
    }
}

/// Whether an assignment occupies its technician (declined ones do not).
pub fn counts(a: &Assignment) -> bool {
    a.status != AssignmentStatus::Declined
}

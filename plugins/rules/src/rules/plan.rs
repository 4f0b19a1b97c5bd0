//! Plan-level rules, between schedules: cover (under- and over-staffing of each need),
//! incompatible technicians on one mission, affine technicians split between missions, and
//! room double bookings.

use alloc::borrow::ToOwned;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use callsheet_plugin_sdk::report::{figure, violation};
use callsheet_plugin_sdk::types::{
    Assignment, AssignmentStatus, Problem, RelationKind, Severity, Subject, Violation,
};

use crate::config::Limits;
use crate::model::Index;

pub const COVER_UNDER: &str = "cover.under";
pub const COVER_OVER: &str = "cover.over";
pub const COVER_OVER_MAX: &str = "cover.over-max";
pub const INCOMPATIBLE: &str = "relation.incompatibility";
pub const AFFINITY_SPLIT: &str = "relation.affinity-split";
pub const ROOM: &str = "room.double-booking";

/// The plan-level violations of the non-declined assignments (already checked to name known
/// needs and technicians).
pub fn check(
    problem: &Problem,
    index: &Index,
    limits: &Limits,
    assignments: &[&Assignment],
) -> Vec<Violation> {
    let mut out = Vec::new();
    cover(problem, limits, assignments, &mut out);
    relations(problem, index, assignments, &mut out);
    rooms(problem, index, assignments, &mut out);
    out
}

fn mission_title<'p>(problem: &'p Problem, index: &Index, id: &'p str) -> &'p str {
    index
        .missions
        .get(id)
        .map_or(id, |&i| problem.missions[i].title.as_str())
}

fn cover(
    problem: &Problem,
    limits: &Limits,
    assignments: &[&Assignment],
    out: &mut Vec<Violation>,
) {
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for a in assignments {
        *counts.entry(a.need_id.as_str()).or_insert(0) += 1;
    }
    for need in &problem.needs {
        let n = counts.get(need.id.as_str()).copied().unwrap_or(0);
        let min = i64::from(need.min_crew);
        let max = i64::from(need.max_crew.unwrap_or(need.min_crew).max(need.min_crew));
        let title = problem
            .missions
            .iter()
            .find(|m| m.id == need.mission_id)
            .map_or(need.mission_id.as_str(), |m| m.title.as_str());
        let subjects = vec![
            Subject::Mission(need.mission_id.clone()),
            Subject::Need(need.id.clone()),
        ];
        let figures = vec![
            figure("assigned", n, "count"),
            figure("min-crew", min, "count"),
            figure("max-crew", max, "count"),
        ];
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
                    subjects.clone(),
                    format!(
                        "{places} of {min} {} places unfilled on {title}",
                        need.skill
                    ),
                    figures.clone(),
                ));
            }
        }
        let extra = n.min(max) - min;
        if extra > 0 && need.extra_penalty > 0 {
            out.push(violation(
                COVER_OVER,
                Severity::Soft,
                extra.saturating_mul(need.extra_penalty),
                subjects.clone(),
                format!("{extra} extra {} crew above {min} on {title}", need.skill),
                figures.clone(),
            ));
        }
        if n > max {
            out.push(violation(
                COVER_OVER_MAX,
                Severity::Hard,
                n - max,
                subjects,
                format!("{n} {} crew > {max} allowed on {title}", need.skill),
                figures,
            ));
        }
    }
}

/// The relations of one pair of technicians: the incompatibility (severity, weight) if
/// any, and the affinity weight (0 if none).
type PairRelations = (Option<(Severity, i64)>, i64);

fn relations(
    problem: &Problem,
    index: &Index,
    assignments: &[&Assignment],
    out: &mut Vec<Violation>,
) {
    let mission_of = |a: &Assignment| {
        index
            .needs
            .get(&a.need_id)
            .map(|&i| problem.needs[i].mission_id.as_str())
    };
    let mut crews: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for a in assignments {
        if let Some(m) = mission_of(a) {
            crews.entry(m).or_default().insert(a.technician_id.as_str());
        }
    }
    // Relations of each unordered pair, both directions combined.
    let mut pairs: BTreeMap<(&str, &str), PairRelations> = BTreeMap::new();
    for t in &problem.technicians {
        for r in &t.relations {
            let key = if t.id < r.other {
                (t.id.as_str(), r.other.as_str())
            } else {
                (r.other.as_str(), t.id.as_str())
            };
            let entry = pairs.entry(key).or_insert((None, 0));
            match r.kind {
                RelationKind::Incompatibility => {
                    let hard = r.severity == Severity::Hard
                        || entry.0.is_some_and(|(s, _)| s == Severity::Hard);
                    let weight = r.weight.max(entry.0.map_or(0, |(_, w)| w));
                    entry.0 = Some((if hard { Severity::Hard } else { Severity::Soft }, weight));
                }
                RelationKind::Affinity => entry.1 = entry.1.max(r.weight),
            }
        }
    }
    let name = |id: &str| {
        index
            .technicians
            .get(id)
            .map_or_else(|| id.to_owned(), |&i| problem.technicians[i].name.clone())
    };
    for ((a, b), (incompatible, affinity)) in pairs {
        if let Some((severity, weight)) = incompatible {
            for (mission, crew) in &crews {
                if crew.contains(a)
                    && crew.contains(b)
                    && (severity == Severity::Hard || weight > 0)
                {
                    out.push(violation(
                        INCOMPATIBLE,
                        severity,
                        weight,
                        vec![
                            Subject::Technician(a.into()),
                            Subject::Technician(b.into()),
                            Subject::Mission((*mission).into()),
                        ],
                        format!(
                            "{} and {} are incompatible but both work on {}",
                            name(a),
                            name(b),
                            mission_title(problem, index, mission)
                        ),
                        vec![figure("weight", weight.max(1), "points")],
                    ));
                }
            }
        }
        if affinity > 0 {
            // Working at the same time on different missions: they could have been together.
            let mut split: BTreeSet<(&str, &str)> = BTreeSet::new();
            for x in assignments.iter().filter(|x| x.technician_id == a) {
                for y in assignments.iter().filter(|y| y.technician_id == b) {
                    let overlap = x.window.start < y.window.end && y.window.start < x.window.end;
                    if let (Some(mx), Some(my), true) = (mission_of(x), mission_of(y), overlap)
                        && mx != my
                    {
                        split.insert((mx, my));
                    }
                }
            }
            for (mx, my) in split {
                out.push(violation(
                    AFFINITY_SPLIT,
                    Severity::Soft,
                    affinity,
                    vec![
                        Subject::Technician(a.into()),
                        Subject::Technician(b.into()),
                        Subject::Mission(mx.into()),
                        Subject::Mission(my.into()),
                    ],
                    format!(
                        "{} and {} work well together but are split between {} and {}",
                        name(a),
                        name(b),
                        mission_title(problem, index, mx),
                        mission_title(problem, index, my)
                    ),
                    vec![figure("weight", affinity, "points")],
                ));
            }
        }
    }
}

fn rooms(problem: &Problem, index: &Index, assignments: &[&Assignment], out: &mut Vec<Violation>) {
    let staffed: BTreeSet<&str> = assignments
        .iter()
        .filter_map(|a| {
            index
                .needs
                .get(&a.need_id)
                .map(|&i| problem.needs[i].mission_id.as_str())
        })
        .collect();
    let missions: Vec<_> = problem
        .missions
        .iter()
        .filter(|m| m.room_id.is_some() && staffed.contains(m.id.as_str()))
        .collect();
    for (i, a) in missions.iter().enumerate() {
        for b in &missions[i + 1..] {
            if a.venue_id == b.venue_id
                && a.room_id == b.room_id
                && a.window.start < b.window.end
                && b.window.start < a.window.end
            {
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

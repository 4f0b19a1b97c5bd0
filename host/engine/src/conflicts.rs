//! [`find_conflicts`]: what is wrong with a plan, each conflict with its kind, severity,
//! subjects, message, figures and provenance (the rule, and the plugin or the host that
//! raised it).
//!
//! The tenant's rules plugin is the authority: its `evaluate-plan` gives every violation,
//! and its rule ids map to kinds (`shift.overlap` is a technician overlap, and so on; any
//! other rule is a legal-rule conflict, hard or soft as the tenant's parameters make it).
//! The host adds its own native checks only for the kinds the plugin does not declare in
//! `describe()` (a minimal tenant plugin may implement legal rules only), so a double
//! booking is never missed and never reported twice. Cover terms (`cover.under`,
//! `cover.over`) are not conflicts: they are unfilled or extra places, which a plan run
//! reports as such.

use std::collections::{BTreeMap, BTreeSet};

use callsheet_runtime::RulesPlugin;
use callsheet_runtime::types::{
    Assignment, AssignmentStatus, AvailabilityKind, Figure, Plan, Problem, RelationKind, Severity,
    Subject, Violation,
};
use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};
use crate::plugins::{Configured, PluginIdentity};

/// The kinds of conflict the API shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConflictKind {
    /// A technician on two things at once.
    TechnicianOverlap,
    /// Two staffed missions in the same room at the same time.
    RoomDoubleBooking,
    /// Any other rule of the tenant's rules plugin: rest, working time, requests...
    LegalRule,
    /// Two incompatible technicians on the same mission.
    RoleIncompatibility,
    /// Work inside a declared unavailability.
    Unavailability,
    /// A technician without the need's skill.
    MissingSkill,
}

impl ConflictKind {
    /// The default plugin's rule id for each kind the host can also check natively.
    const NATIVE: [(ConflictKind, &'static str); 5] = [
        (ConflictKind::TechnicianOverlap, "shift.overlap"),
        (ConflictKind::RoomDoubleBooking, "room.double-booking"),
        (
            ConflictKind::RoleIncompatibility,
            "relation.incompatibility",
        ),
        (ConflictKind::Unavailability, "availability.unavailable"),
        (ConflictKind::MissingSkill, "skill.missing"),
    ];

    fn of_rule(rule_id: &str) -> Option<ConflictKind> {
        if matches!(rule_id, "cover.under" | "cover.over") {
            return None;
        }
        Some(
            Self::NATIVE
                .iter()
                .find(|(_, id)| *id == rule_id)
                .map_or(ConflictKind::LegalRule, |(k, _)| *k),
        )
    }
}

/// Who raised a conflict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// The tenant's rules plugin.
    Plugin(PluginIdentity),
    /// The host's native check (this crate, at this version).
    Host {
        /// `callsheet-engine` version.
        engine_version: String,
    },
}

/// The rule behind a conflict and who applied it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The rule's id: "rest.daily".
    pub rule_id: String,
    /// The plugin or the host.
    pub source: Source,
}

/// One conflict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conflict {
    /// What kind.
    pub kind: ConflictKind,
    /// Hard (the plan is not acceptable) or soft (a cost).
    pub severity: Severity,
    /// Who and what: technicians, missions, needs, venue, room, day.
    pub subjects: Vec<Subject>,
    /// One English sentence with the numbers.
    pub message: String,
    /// The figures behind it.
    pub figures: Vec<Figure>,
    /// The rule and who raised it.
    pub provenance: Provenance,
}

/// The conflicts of a plan and what checking it cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictReport {
    /// Hard ones first, then by kind, rule and message.
    pub conflicts: Vec<Conflict>,
    /// Fuel the rules plugin used (open and `evaluate-plan`).
    pub rules_fuel: u64,
}

/// Finds the conflicts of `plan` (declined assignments ignored) in `problem`, with the
/// tenant's rules plugin, completed by native checks for the kinds it does not implement.
pub fn find_conflicts(
    problem: &Problem,
    plan: &Plan,
    rules: &Configured<RulesPlugin>,
) -> Result<ConflictReport> {
    check_ids(problem, plan)?;
    let declared: BTreeSet<String> = rules
        .plugin
        .describe()?
        .rules
        .into_iter()
        .map(|r| r.id)
        .collect();
    let session = rules.plugin.open(problem, &rules.params)?;
    let evaluation = session.value.evaluate_plan(plan)?;
    let rules_fuel = session.fuel_used + evaluation.fuel_used;

    let source = Source::Plugin(rules.identity.clone());
    let mut conflicts: Vec<Conflict> = evaluation
        .value
        .schedules
        .iter()
        .flat_map(|s| s.violations.iter())
        .chain(evaluation.value.plan_violations.iter())
        .filter_map(|v| from_violation(v, &source))
        .collect();

    let native = native_checks(problem, plan);
    for (kind, rule_id) in ConflictKind::NATIVE {
        if !declared.contains(rule_id) {
            conflicts.extend(native.iter().filter(|c| c.kind == kind).cloned());
        }
    }
    sort(&mut conflicts);
    Ok(ConflictReport {
        conflicts,
        rules_fuel,
    })
}

fn from_violation(v: &Violation, source: &Source) -> Option<Conflict> {
    Some(Conflict {
        kind: ConflictKind::of_rule(&v.rule_id)?,
        severity: v.severity,
        subjects: v.subjects.clone(),
        message: v.message.clone(),
        figures: v.figures.clone(),
        provenance: Provenance {
            rule_id: v.rule_id.clone(),
            source: source.clone(),
        },
    })
}

/// Hard first, then kind, rule, message, and the subjects' JSON as the last tie-break, so
/// the order never depends on the order of discovery.
fn sort(conflicts: &mut [Conflict]) {
    conflicts.sort_by_cached_key(|c| {
        (
            c.severity != Severity::Hard,
            c.kind,
            c.provenance.rule_id.clone(),
            c.message.clone(),
            serde_json::to_string(&c.subjects).unwrap_or_default(),
        )
    });
}

fn check_ids(problem: &Problem, plan: &Plan) -> Result<()> {
    let needs: BTreeSet<&str> = problem.needs.iter().map(|n| n.id.as_str()).collect();
    let techs: BTreeSet<&str> = problem.technicians.iter().map(|t| t.id.as_str()).collect();
    for a in &plan.assignments {
        if !needs.contains(a.need_id.as_str()) {
            return Err(EngineError::InvalidProblem(format!(
                "unknown need {}",
                a.need_id
            )));
        }
        if !techs.contains(a.technician_id.as_str()) {
            return Err(EngineError::InvalidProblem(format!(
                "unknown technician {}",
                a.technician_id
            )));
        }
        if a.window.start >= a.window.end {
            return Err(EngineError::InvalidProblem(format!(
                "empty window on the assignment of {} to {}",
                a.technician_id, a.need_id
            )));
        }
    }
    Ok(())
}

fn figure(name: &str, value: i64, unit: &str) -> Figure {
    Figure {
        name: name.into(),
        value,
        unit: unit.into(),
    }
}

fn overlap(a: (i64, i64), b: (i64, i64)) -> i64 {
    (a.1.min(b.1) - a.0.max(b.0)).max(0)
}

/// The host's own checks of the five structural kinds, all hard: they need no parameter.
fn native_checks(problem: &Problem, plan: &Plan) -> Vec<Conflict> {
    let host = Source::Host {
        engine_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let conflict = |kind, rule_id: &str, subjects, message, figures| Conflict {
        kind,
        severity: Severity::Hard,
        subjects,
        message,
        figures,
        provenance: Provenance {
            rule_id: rule_id.into(),
            source: host.clone(),
        },
    };
    let needs: BTreeMap<&str, &callsheet_runtime::types::Need> =
        problem.needs.iter().map(|n| (n.id.as_str(), n)).collect();
    let techs: BTreeMap<&str, &callsheet_runtime::types::Technician> = problem
        .technicians
        .iter()
        .map(|t| (t.id.as_str(), t))
        .collect();
    let active: Vec<&Assignment> = plan
        .assignments
        .iter()
        .filter(|a| a.status != AssignmentStatus::Declined)
        .collect();
    let mut out = Vec::new();

    // Per technician: overlaps, skills, unavailability.
    let mut by_tech: BTreeMap<&str, Vec<&Assignment>> = BTreeMap::new();
    for a in &active {
        by_tech.entry(a.technician_id.as_str()).or_default().push(a);
    }
    for (tid, mut list) in by_tech {
        let tech = techs[tid];
        list.sort_by_key(|a| (a.window.start, a.window.end, a.need_id.clone()));
        for (i, a) in list.iter().enumerate() {
            for b in &list[i + 1..] {
                if b.window.start >= a.window.end {
                    break;
                }
                let secs = overlap(
                    (a.window.start, a.window.end),
                    (b.window.start, b.window.end),
                );
                out.push(conflict(
                    ConflictKind::TechnicianOverlap,
                    "shift.overlap",
                    vec![
                        Subject::Technician(tid.into()),
                        Subject::Need(a.need_id.clone()),
                        Subject::Need(b.need_id.clone()),
                    ],
                    format!(
                        "{} works {} and {} at once ({} min overlap)",
                        tech.name,
                        a.need_id,
                        b.need_id,
                        (secs + 59) / 60
                    ),
                    vec![figure("overlap", secs, "s")],
                ));
            }
            let need = needs[a.need_id.as_str()];
            if !tech.skills.contains(&need.skill) {
                out.push(conflict(
                    ConflictKind::MissingSkill,
                    "skill.missing",
                    vec![
                        Subject::Technician(tid.into()),
                        Subject::Need(need.id.clone()),
                    ],
                    format!("{} lacks skill {} for {}", tech.name, need.skill, need.id),
                    vec![],
                ));
            }
            for u in tech
                .availability
                .iter()
                .filter(|u| u.kind == AvailabilityKind::Unavailable)
            {
                let secs = overlap(
                    (a.window.start, a.window.end),
                    (u.window.start, u.window.end),
                );
                if secs > 0 {
                    out.push(conflict(
                        ConflictKind::Unavailability,
                        "availability.unavailable",
                        vec![
                            Subject::Technician(tid.into()),
                            Subject::Need(need.id.clone()),
                        ],
                        format!(
                            "{} is unavailable during {} ({} min)",
                            tech.name,
                            need.id,
                            (secs + 59) / 60
                        ),
                        vec![
                            figure("overlap", secs, "s"),
                            figure("unavailable-start", u.window.start, "instant"),
                            figure("unavailable-end", u.window.end, "instant"),
                        ],
                    ));
                }
            }
        }
    }

    // Per mission: crews, for incompatibilities; staffed missions, for rooms.
    let mut crews: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for a in &active {
        let mission = needs[a.need_id.as_str()].mission_id.as_str();
        crews
            .entry(mission)
            .or_default()
            .insert(a.technician_id.as_str());
    }
    for (mission, crew) in &crews {
        for &a in crew {
            for r in &techs[a].relations {
                if r.kind == RelationKind::Incompatibility
                    && a < r.other.as_str()
                    && crew.contains(r.other.as_str())
                {
                    let mut c = conflict(
                        ConflictKind::RoleIncompatibility,
                        "relation.incompatibility",
                        vec![
                            Subject::Technician(a.into()),
                            Subject::Technician(r.other.clone()),
                            Subject::Mission((*mission).into()),
                        ],
                        format!(
                            "{a} and {} are incompatible but both work on {mission}",
                            r.other
                        ),
                        vec![figure("weight", r.weight.max(1), "points")],
                    );
                    c.severity = r.severity;
                    out.push(c);
                }
            }
        }
    }
    let staffed: Vec<&callsheet_runtime::types::Mission> = problem
        .missions
        .iter()
        .filter(|m| m.room_id.is_some() && crews.contains_key(m.id.as_str()))
        .collect();
    for (i, a) in staffed.iter().enumerate() {
        for b in &staffed[i + 1..] {
            let secs = overlap(
                (a.window.start, a.window.end),
                (b.window.start, b.window.end),
            );
            if a.venue_id == b.venue_id && a.room_id == b.room_id && secs > 0 {
                let room = a.room_id.clone().unwrap_or_default();
                out.push(conflict(
                    ConflictKind::RoomDoubleBooking,
                    "room.double-booking",
                    vec![
                        Subject::Mission(a.id.clone()),
                        Subject::Mission(b.id.clone()),
                        Subject::Venue(a.venue_id.clone()),
                        Subject::Room(room.clone()),
                    ],
                    format!("{} and {} double-book room {room}", a.title, b.title),
                    vec![figure("overlap", secs, "s")],
                ));
            }
        }
    }
    out
}

//! The problem checked once and indexed for the search: parse, don't validate. Everything
//! after [`Model::build`] works on indices (`u32` positions in the problem's lists) and can
//! rely on what it checked: known ids, non-empty windows inside the horizon, no duplicate
//! assignment, non-negative penalties.
//!
//! Assignments fall in three groups:
//! - **fixed**: pinned or confirmed; never moved, they occupy their technician and count
//!   towards their need's crew;
//! - **proposed**: existing, neither pinned nor confirmed; a starting point the search may
//!   change (with `assigner.keep-proposed`), else ignored;
//! - **declined**: occupy nobody; the same technician is never proposed for that need again.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use callsheet_plugin_sdk::calendar::Calendar;
use callsheet_plugin_sdk::report::Failure;
use callsheet_plugin_sdk::types::{
    AssignmentStatus, Mission, Need, Problem, RelationKind, Schedule, Severity, Technician, Window,
};

use crate::config::Settings;

/// A technician's position in `problem.technicians`.
pub type TechIx = u32;
/// A need's position in `problem.needs`.
pub type NeedIx = u32;
/// A mission's position in `problem.missions`.
pub type MissionIx = u32;

/// Where a shift of the plan comes from, so the result can return existing records as they
/// were.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A pinned or confirmed assignment (index into [`Model::existing`]): never moves.
    Fixed(u32),
    /// An existing proposed assignment (index into [`Model::existing`]), kept or re-made.
    Proposed(u32),
    /// Made by this run, over the need's window.
    New,
}

/// One shift of a technician's schedule in the plan being built.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shift {
    /// The need filled.
    pub need: NeedIx,
    /// Identifies (need, window) in evaluation cache keys: the need's index when the shift
    /// covers the need's window, else one past the needs plus the existing record's index.
    pub code: u32,
    /// The window worked.
    pub window: Window,
    /// Where it comes from.
    pub origin: Origin,
}

impl Shift {
    /// Whether the search may move it.
    pub fn movable(&self) -> bool {
        !matches!(self.origin, Origin::Fixed(_))
    }

    /// Its length in seconds.
    pub fn seconds(&self) -> i64 {
        self.window.end.saturating_sub(self.window.start)
    }

    /// The order of a schedule's shifts: by start, end, then need, so that cache keys and
    /// schedules sent to the rules never depend on the order moves were made in.
    pub fn order_key(&self) -> (i64, i64, NeedIx) {
        (self.window.start, self.window.end, self.need)
    }
}

/// Whether two half-open windows overlap.
pub fn overlaps(a: &Window, b: &Window) -> bool {
    a.start < b.end && b.start < a.end
}

/// An existing, non-declined assignment.
#[derive(Debug, Clone, Copy)]
pub struct Existing {
    /// Its position in `problem.assignments`.
    pub record: usize,
    pub need: NeedIx,
    pub tech: TechIx,
    pub window: Window,
    /// Pinned or confirmed.
    pub fixed: bool,
}

/// What the search needs to know about a need.
#[derive(Debug, Clone)]
pub struct NeedInfo {
    /// Its mission.
    pub mission: MissionIx,
    /// Fixed assignments on it.
    pub fixed: u32,
    /// Places the assigner fills: `min-crew` less the fixed crew (never negative). An
    /// unfilled place is one of these.
    pub places: u32,
    /// Most people the assigner may put on it: `max-crew` (`min-crew` when unset or lower)
    /// less the fixed crew. Crew above `min-crew` costs `extra-penalty` each; the search
    /// adds it when that pays (someone short of a minimum of work, say), the greedy never.
    pub capacity: u32,
    /// Technicians with the skill who did not decline it and are not fixed on it, by index.
    pub qualified: Vec<TechIx>,
}

/// The relations between two technicians, both directions combined as the rules combine
/// them: an incompatibility is hard if either side says so, weights are the larger one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pair {
    /// Severity and weight of an incompatibility, if any.
    pub incompatibility: Option<(Severity, i64)>,
    /// Affinity weight (0 for none).
    pub affinity: i64,
}

/// The checked, indexed problem.
#[derive(Debug)]
pub struct Model<'p> {
    pub problem: &'p Problem,
    pub settings: Settings,
    pub calendar: Calendar<'p>,
    pub needs: Vec<NeedInfo>,
    /// Per mission, the missions in the same venue room at overlapping times (a room
    /// double booking if both are staffed).
    pub room_conflicts: Vec<Vec<MissionIx>>,
    /// Existing non-declined assignments, in the problem's order.
    pub existing: Vec<Existing>,
    /// Existing proposed assignments by (need, technician), when kept.
    pub proposed: BTreeMap<(NeedIx, TechIx), u32>,
    /// Declined (need, technician) pairs.
    pub declined: BTreeSet<(NeedIx, TechIx)>,
    /// Relations by pair of technicians, lower index first.
    pub pairs: BTreeMap<(TechIx, TechIx), Pair>,
    /// Per technician, the technicians it has a relation with, sorted.
    pub related: Vec<Vec<TechIx>>,
    /// Per technician, the fixed shifts, sorted.
    pub fixed_shifts: Vec<Vec<Shift>>,
}

fn ix(i: usize) -> Result<u32, Failure> {
    u32::try_from(i).map_err(|_| Failure::InvalidInput(String::from("the problem is too large")))
}

fn unique<'a>(
    what: &str,
    ids: impl Iterator<Item = &'a String>,
) -> Result<BTreeMap<&'a str, u32>, Failure> {
    let mut map = BTreeMap::new();
    for (i, id) in ids.enumerate() {
        if map.insert(id.as_str(), ix(i)?).is_some() {
            return Err(Failure::InvalidInput(format!("duplicate {what} id {id}")));
        }
    }
    Ok(map)
}

fn check_window(what: &str, w: &Window) -> Result<(), Failure> {
    if w.end <= w.start {
        return Err(Failure::InvalidInput(format!(
            "{what} has an empty or inverted window ({}..{})",
            w.start, w.end
        )));
    }
    Ok(())
}

impl<'p> Model<'p> {
    /// Checks and indexes a problem ("invalid-input" on any broken invariant).
    pub fn build(problem: &'p Problem, settings: Settings) -> Result<Model<'p>, Failure> {
        check_window("the horizon", &problem.horizon)?;
        if problem.needs.is_empty() {
            return Err(Failure::InvalidInput(String::from(
                "the problem has no needs: there is nothing to plan",
            )));
        }
        let calendar = Calendar::new(&problem.calendar)
            .map_err(|e| Failure::InvalidInput(format!("calendar: {e}")))?;
        let techs = unique("technician", problem.technicians.iter().map(|t| &t.id))?;
        let missions = unique("mission", problem.missions.iter().map(|m| &m.id))?;
        let need_ids = unique("need", problem.needs.iter().map(|n| &n.id))?;
        for m in &problem.missions {
            check_window(&format!("mission {}", m.id), &m.window)?;
        }

        let mut needs = Vec::with_capacity(problem.needs.len());
        for n in &problem.needs {
            check_window(&format!("need {}", n.id), &n.window)?;
            if n.window.start < problem.horizon.start || n.window.end > problem.horizon.end {
                return Err(Failure::InvalidInput(format!(
                    "need {} ({}..{}) is not inside the horizon ({}..{})",
                    n.id, n.window.start, n.window.end, problem.horizon.start, problem.horizon.end
                )));
            }
            let mission = *missions.get(n.mission_id.as_str()).ok_or_else(|| {
                Failure::InvalidInput(format!(
                    "need {} names an unknown mission {}",
                    n.id, n.mission_id
                ))
            })?;
            if n.unfilled_penalty < 0 || n.extra_penalty < 0 {
                return Err(Failure::InvalidInput(format!(
                    "need {} has a negative penalty",
                    n.id
                )));
            }
            needs.push(NeedInfo {
                mission,
                fixed: 0,
                places: 0,
                capacity: 0,
                qualified: Vec::new(),
            });
        }

        let mut existing = Vec::new();
        let mut declined = BTreeSet::new();
        let mut seen = BTreeSet::new();
        for (record, a) in problem.assignments.iter().enumerate() {
            let need = *need_ids.get(a.need_id.as_str()).ok_or_else(|| {
                Failure::InvalidInput(format!(
                    "assignment {record} names an unknown need {}",
                    a.need_id
                ))
            })?;
            let tech = *techs.get(a.technician_id.as_str()).ok_or_else(|| {
                Failure::InvalidInput(format!(
                    "assignment {record} names an unknown technician {}",
                    a.technician_id
                ))
            })?;
            check_window(&format!("assignment {record}"), &a.window)?;
            if a.status == AssignmentStatus::Declined {
                declined.insert((need, tech));
                continue;
            }
            if !seen.insert((need, tech)) {
                return Err(Failure::InvalidInput(format!(
                    "technician {} is assigned twice to need {}",
                    a.technician_id, a.need_id
                )));
            }
            let fixed = a.pinned || a.status == AssignmentStatus::Confirmed;
            if fixed {
                needs[need as usize].fixed += 1;
            }
            existing.push(Existing {
                record,
                need,
                tech,
                window: a.window,
                fixed,
            });
        }

        let mut proposed = BTreeMap::new();
        let mut fixed_shifts = vec![Vec::new(); problem.technicians.len()];
        let mut fixed_on = BTreeSet::new();
        for (i, e) in existing.iter().enumerate() {
            let i = ix(i)?;
            if e.fixed {
                fixed_on.insert((e.need, e.tech));
            } else if settings.keep_proposed {
                proposed.insert((e.need, e.tech), i);
            }
        }
        let n_needs = ix(problem.needs.len())?;
        for (i, e) in existing.iter().enumerate().filter(|(_, e)| e.fixed) {
            let i = ix(i)?;
            fixed_shifts[e.tech as usize].push(Shift {
                need: e.need,
                code: code_of(problem, n_needs, e.need, &e.window, i),
                window: e.window,
                origin: Origin::Fixed(i),
            });
        }
        for shifts in &mut fixed_shifts {
            shifts.sort_by_key(Shift::order_key);
        }

        for (n, need) in problem.needs.iter().enumerate() {
            let n = ix(n)?;
            let info = &mut needs[n as usize];
            info.places = need.min_crew.saturating_sub(info.fixed);
            info.capacity = need
                .max_crew
                .unwrap_or(need.min_crew)
                .max(need.min_crew)
                .saturating_sub(info.fixed);
            for (t, tech) in problem.technicians.iter().enumerate() {
                let t = ix(t)?;
                if tech.skills.contains(&need.skill)
                    && !declined.contains(&(n, t))
                    && !fixed_on.contains(&(n, t))
                {
                    info.qualified.push(t);
                }
            }
        }

        let (pairs, related) = relations(problem, &techs)?;
        let room_conflicts = rooms(&problem.missions);
        Ok(Model {
            problem,
            settings,
            calendar,
            needs,
            room_conflicts,
            existing,
            proposed,
            declined,
            pairs,
            related,
            fixed_shifts,
        })
    }

    pub fn need(&self, n: NeedIx) -> &'p Need {
        &self.problem.needs[n as usize]
    }

    pub fn tech(&self, t: TechIx) -> &'p Technician {
        &self.problem.technicians[t as usize]
    }

    pub fn mission(&self, m: MissionIx) -> &'p Mission {
        &self.problem.missions[m as usize]
    }

    /// The mission of a need.
    pub fn mission_of(&self, n: NeedIx) -> MissionIx {
        self.needs[n as usize].mission
    }

    /// Every technician's index.
    pub fn tech_indices(&self) -> core::ops::Range<TechIx> {
        // `build` checked that the count fits in u32.
        0..self.problem.technicians.len() as TechIx
    }

    /// Every need's index.
    pub fn need_indices(&self) -> core::ops::Range<NeedIx> {
        0..self.problem.needs.len() as NeedIx
    }

    /// The shift technician `t` would work on need `n`: their existing proposal for it
    /// (its window) when one is kept, else the need's window.
    pub fn shift_for(&self, n: NeedIx, t: TechIx) -> Shift {
        if let Some(&i) = self.proposed.get(&(n, t)) {
            let window = self.existing[i as usize].window;
            Shift {
                need: n,
                code: code_of(self.problem, self.problem.needs.len() as u32, n, &window, i),
                window,
                origin: Origin::Proposed(i),
            }
        } else {
            Shift {
                need: n,
                code: n,
                window: self.need(n).window,
                origin: Origin::New,
            }
        }
    }

    /// The schedule the rules evaluate.
    pub fn schedule(&self, t: TechIx, shifts: &[Shift]) -> Schedule {
        Schedule {
            technician_id: self.tech(t).id.clone(),
            shifts: shifts
                .iter()
                .map(|s| callsheet_plugin_sdk::types::Shift {
                    need_id: self.need(s.need).id.clone(),
                    window: s.window,
                })
                .collect(),
        }
    }

    /// The relations of two technicians (none for most pairs).
    pub fn pair(&self, a: TechIx, b: TechIx) -> Pair {
        let key = if a < b { (a, b) } else { (b, a) };
        self.pairs.get(&key).copied().unwrap_or_default()
    }

    /// A need's label for messages: "sound on Load-in Olympia".
    pub fn need_label(&self, n: NeedIx) -> String {
        format!(
            "{} on {}",
            self.need(n).skill,
            self.mission(self.mission_of(n)).title
        )
    }
}

/// The cache code of a shift: the need's index over the need's window, else a code of the
/// existing record.
fn code_of(problem: &Problem, n_needs: u32, need: NeedIx, window: &Window, record: u32) -> u32 {
    if problem.needs[need as usize].window == *window {
        need
    } else {
        n_needs.saturating_add(record)
    }
}

type Relations = (BTreeMap<(TechIx, TechIx), Pair>, Vec<Vec<TechIx>>);

/// Relations by unordered pair, combined over both directions like the rules do; relations
/// to unknown technicians are ignored (the rules cannot see them on a mission either).
fn relations(problem: &Problem, techs: &BTreeMap<&str, u32>) -> Result<Relations, Failure> {
    let mut pairs: BTreeMap<(TechIx, TechIx), Pair> = BTreeMap::new();
    for (a, t) in problem.technicians.iter().enumerate() {
        let a = ix(a)?;
        for r in &t.relations {
            let Some(&b) = techs.get(r.other.as_str()) else {
                continue;
            };
            if a == b {
                return Err(Failure::InvalidInput(format!(
                    "technician {} has a relation with themself",
                    t.id
                )));
            }
            let entry = pairs.entry((a.min(b), a.max(b))).or_default();
            match r.kind {
                RelationKind::Incompatibility => {
                    let hard = r.severity == Severity::Hard
                        || entry
                            .incompatibility
                            .is_some_and(|(s, _)| s == Severity::Hard);
                    let weight = r.weight.max(entry.incompatibility.map_or(0, |(_, w)| w));
                    let severity = if hard { Severity::Hard } else { Severity::Soft };
                    entry.incompatibility = Some((severity, weight));
                }
                RelationKind::Affinity => entry.affinity = entry.affinity.max(r.weight),
            }
        }
    }
    let mut related = vec![Vec::new(); problem.technicians.len()];
    for &(a, b) in pairs.keys() {
        related[a as usize].push(b);
        related[b as usize].push(a);
    }
    for r in &mut related {
        r.sort_unstable();
    }
    Ok((pairs, related))
}

/// Per mission, the other missions booking the same venue room at overlapping times.
fn rooms(missions: &[Mission]) -> Vec<Vec<MissionIx>> {
    let mut conflicts = vec![Vec::new(); missions.len()];
    for (i, a) in missions.iter().enumerate() {
        for (j, b) in missions.iter().enumerate().skip(i + 1) {
            if a.room_id.is_some()
                && a.venue_id == b.venue_id
                && a.room_id == b.room_id
                && overlaps(&a.window, &b.window)
            {
                // Fits in u32: `build` indexed every mission with a checked conversion.
                conflicts[i].push(j as MissionIx);
                conflicts[j].push(i as MissionIx);
            }
        }
    }
    conflicts
}

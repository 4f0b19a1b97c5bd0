//! The problem indexed for evaluation: ids are strings only at the boundary. [`Index::build`]
//! resolves every cross-reference (a need's mission, a technician's history and relations,
//! a mission's room) to positions once, when the session opens, so that evaluation
//! compares integers. In the wasm guest a string comparison is an out-of-line byte loop,
//! and comparing ids per shift or per pair was half the evaluation time.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;

use callsheet_plugin_sdk::report::Failure;
use callsheet_plugin_sdk::types::{Problem, RelationKind, Severity, Window};
use foldhash::fast::FixedState;
use hashbrown::HashMap;

/// Positions of the problem's records by id, and everything rules follow from one record
/// to another, resolved to positions.
#[derive(Debug, Clone, Default)]
pub struct Index {
    pub technicians: Ids,
    pub missions: Ids,
    pub needs: Ids,
    /// Technician positions in id order, the order schedules are reported in.
    pub technicians_by_id: Vec<usize>,
    /// Each technician's past shifts (a range of `problem.history`).
    pub history: Vec<Range<usize>>,
    /// The mission of each past shift, when it is in the problem.
    pub past_missions: Vec<Option<usize>>,
    /// Each need's mission key (see [`Index::mission_id`]).
    pub need_missions: Vec<usize>,
    /// Each need's rank in id order: the last tie-break of the periods' order.
    pub need_ranks: Vec<usize>,
    /// Mission ids named by needs but absent from the problem; their keys follow the
    /// problem's missions, so that plan rules still tell them apart, as the ids do.
    pub unknown_missions: Vec<String>,
    /// Each mission's room as a key equal for missions in the same venue and room; none
    /// without a room.
    pub mission_rooms: Vec<Option<usize>>,
    /// Each unordered pair of technicians with a relation, both directions combined, in
    /// order of their ids.
    pub pairs: Vec<Pair>,
}

/// Positions by id, hashed: a plan names every technician and need by id, and a B-tree
/// lookup would be a dozen string comparisons each.
pub type Ids = HashMap<String, usize, FixedState>;

/// The relations between two technicians (`a` first in id order; the same position twice
/// for a relation of a technician with themself).
#[derive(Debug, Clone, Copy)]
pub struct Pair {
    pub a: usize,
    pub b: usize,
    /// The incompatibility, if any: hard if either direction is, the larger weight.
    pub incompatible: Option<(Severity, i64)>,
    /// The larger affinity weight (0 if none).
    pub affinity: i64,
}

impl Index {
    /// Indexes a problem, refusing duplicate ids and empty windows.
    pub fn build(problem: &Problem) -> Result<Index, Failure> {
        fn unique<'a>(what: &str, ids: impl Iterator<Item = &'a String>) -> Result<Ids, Failure> {
            let mut map = Ids::default();
            for (i, id) in ids.enumerate() {
                if map.insert(id.clone(), i).is_some() {
                    return Err(Failure::InvalidInput(format!("duplicate {what} id {id}")));
                }
            }
            Ok(map)
        }
        let check = |what: &str, id: &str, w: &Window| {
            if w.end <= w.start {
                Err(Failure::InvalidInput(format!(
                    "{what} {id} has an empty window ({}..{})",
                    w.start, w.end
                )))
            } else {
                Ok(())
            }
        };
        check("horizon of", "the problem", &problem.horizon)?;
        for m in &problem.missions {
            check("mission", &m.id, &m.window)?;
        }
        for n in &problem.needs {
            check("need", &n.id, &n.window)?;
        }
        let mut history: BTreeMap<&str, Range<usize>> = BTreeMap::new();
        for (i, past) in problem.history.iter().enumerate() {
            check("past shift of", &past.technician_id, &past.window)?;
            let range = history.entry(&past.technician_id).or_insert(i..i);
            if range.end != i {
                return Err(Failure::InvalidInput(format!(
                    "history is not grouped by technician ({})",
                    past.technician_id
                )));
            }
            range.end = i + 1;
        }
        let technicians = unique("technician", problem.technicians.iter().map(|t| &t.id))?;
        let missions = unique("mission", problem.missions.iter().map(|m| &m.id))?;
        let needs = unique("need", problem.needs.iter().map(|n| &n.id))?;

        let mut need_ranks = alloc::vec![0; problem.needs.len()];
        for (rank, i) in by_id(problem.needs.iter().map(|n| &n.id))
            .into_iter()
            .enumerate()
        {
            need_ranks[i] = rank;
        }
        let mut unknown_missions: Vec<String> = Vec::new();
        let need_missions = problem
            .needs
            .iter()
            .map(|n| match missions.get(&n.mission_id) {
                Some(&i) => i,
                None => {
                    let k = match unknown_missions.iter().position(|id| *id == n.mission_id) {
                        Some(k) => k,
                        None => {
                            unknown_missions.push(n.mission_id.clone());
                            unknown_missions.len() - 1
                        }
                    };
                    problem.missions.len() + k
                }
            })
            .collect();
        let mut rooms: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        let mission_rooms = problem
            .missions
            .iter()
            .map(|m| {
                let room = m.room_id.as_deref()?;
                let next = rooms.len();
                Some(*rooms.entry((&m.venue_id, room)).or_insert(next))
            })
            .collect();
        Ok(Index {
            technicians_by_id: by_id(problem.technicians.iter().map(|t| &t.id)),
            history: problem
                .technicians
                .iter()
                .map(|t| history.get(t.id.as_str()).cloned().unwrap_or(0..0))
                .collect(),
            past_missions: problem
                .history
                .iter()
                .map(|p| {
                    p.mission_id
                        .as_ref()
                        .and_then(|id| missions.get(id).copied())
                })
                .collect(),
            pairs: pairs(problem, &technicians),
            need_missions,
            need_ranks,
            unknown_missions,
            mission_rooms,
            technicians,
            missions,
            needs,
        })
    }

    /// The id of a mission key: a mission of the problem, or an unknown id a need names.
    pub fn mission_id<'p>(&'p self, problem: &'p Problem, key: usize) -> &'p str {
        match problem.missions.get(key) {
            Some(m) => &m.id,
            None => &self.unknown_missions[key - problem.missions.len()],
        }
    }

    /// How messages name a mission key: its title, else its id.
    pub fn mission_title<'p>(&'p self, problem: &'p Problem, key: usize) -> &'p str {
        match problem.missions.get(key) {
            Some(m) => &m.title,
            None => self.mission_id(problem, key),
        }
    }
}

/// Positions in id order.
fn by_id<'a>(ids: impl Iterator<Item = &'a String>) -> Vec<usize> {
    let mut order: Vec<(&String, usize)> = ids.zip(0..).collect();
    order.sort_unstable();
    order.into_iter().map(|(_, i)| i).collect()
}

/// The relation pairs of the problem's technicians. A relation naming a technician not in
/// the problem is dropped: only technicians of the problem can be in a plan.
fn pairs(problem: &Problem, technicians: &Ids) -> Vec<Pair> {
    let mut pairs: BTreeMap<(&str, &str), Pair> = BTreeMap::new();
    for (i, t) in problem.technicians.iter().enumerate() {
        for r in &t.relations {
            let Some(&other) = technicians.get(&r.other) else {
                continue;
            };
            let (key, a, b) = if t.id < r.other {
                ((t.id.as_str(), r.other.as_str()), i, other)
            } else {
                ((r.other.as_str(), t.id.as_str()), other, i)
            };
            let entry = pairs.entry(key).or_insert(Pair {
                a,
                b,
                incompatible: None,
                affinity: 0,
            });
            match r.kind {
                RelationKind::Incompatibility => {
                    let hard = r.severity == Severity::Hard
                        || entry.incompatible.is_some_and(|(s, _)| s == Severity::Hard);
                    let weight = r.weight.max(entry.incompatible.map_or(0, |(_, w)| w));
                    entry.incompatible =
                        Some((if hard { Severity::Hard } else { Severity::Soft }, weight));
                }
                RelationKind::Affinity => entry.affinity = entry.affinity.max(r.weight),
            }
        }
    }
    pairs.into_values().collect()
}

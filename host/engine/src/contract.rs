//! [`check`]: the planner contract, checked by the host on every assigner result before
//! anything is scored, returned or written.
//!
//! An assigner is tenant code: it may be buggy or hostile, and the server commits what it
//! returns. So the host checks the result against the problem it was given, and refuses it
//! as a whole ([`EngineError::Contract`], code `ENGINE_CONTRACT_BROKEN`) at the first
//! breach, naming the need, the technician and what is wrong ([`Breach`]). A refused run
//! writes nothing: the server commits only an outcome that passed.
//!
//! What the contract (`wit/assigner.wit`, `wit/types.wit`) asks of a result, in the order
//! the host checks it:
//! 1. each assignment, in (need, technician, start) order:
//!    - names a need and a technician of the problem ([`BreachKind::UnknownNeed`],
//!      [`BreachKind::UnknownTechnician`]);
//!    - has a window that ends after it starts ([`BreachKind::EmptyWindow`]);
//!    - is not the same technician on the same need twice ([`BreachKind::Duplicate`];
//!      declined assignments, which occupy nobody, are not counted);
//!    - if it carries a host id, it is a **kept** assignment: the id is one of the problem's
//!      ([`BreachKind::UnknownAssignment`]), returned once, exactly as it was sent: need,
//!      technician, window, status and pin ([`BreachKind::KeptChanged`]). An assigner that
//!      wants to move an unpinned assignment drops it and proposes a new one; the server
//!      writes new assignments and deletes dropped proposals, and never rewrites a kept one,
//!      so a changed kept assignment would be reported but not committed;
//!    - else it is **new**: status `proposed` and not pinned, the only ones an assigner may
//!      set (confirming and declining are the technician's, pinning the planner's:
//!      [`BreachKind::StatusNotAllowed`], [`BreachKind::PinnedByAssigner`]); worked over its
//!      need's window ([`BreachKind::WindowNotNeeds`]); by a technician qualified for it,
//!      the need's skill in their skills ([`BreachKind::Unqualified`]); and not a pair the
//!      technician declined ([`BreachKind::DeclinedProposedAgain`]).
//!
//!    Kept assignments are the host's own data, so the checks of new ones (window, skill)
//!    are not applied to them: a manual assignment may have been made with an override.
//! 2. each need, in id order, has at most `max-crew` people (`min-crew` when none is set),
//!    declined ones not counted ([`BreachKind::OverCrew`]). Pinned and confirmed
//!    assignments of the problem raise that limit to their number: an assigner may not drop
//!    them, so it is not blamed for them.
//! 3. every pinned assignment of the problem comes back unchanged
//!    ([`BreachKind::PinDropped`]).
//!
//! The check is a pure function of (problem, result), so it is tested without a plugin.
//! It does not judge the plan's quality or its rules (overlaps, rest...): that is the rules
//! plugin's score, which the host re-evaluates separately.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use callsheet_runtime::types::{
    Assignment, AssignmentStatus, Need, PlannedAssignment, Problem, Technician, Window,
};

use crate::error::{EngineError, Result};

/// The first breach of the planner contract found in an assigner's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Breach {
    /// The need concerned (as the assigner named it, known or not).
    pub need_id: String,
    /// The technician concerned, when the breach is about one assignment.
    pub technician_id: Option<String>,
    /// What is wrong.
    pub kind: BreachKind,
}

/// What is wrong with an assigner's result. [`BreachKind::code`] gives a stable name.
#[derive(Debug, Clone, PartialEq)]
pub enum BreachKind {
    /// The need is not one of the problem's.
    UnknownNeed,
    /// The technician is not one of the problem's.
    UnknownTechnician,
    /// The window ends at or before its start.
    EmptyWindow {
        /// The window returned.
        window: Window,
    },
    /// The same technician appears twice on the need.
    Duplicate,
    /// A kept assignment's host id is not one of the problem's assignments (or comes twice).
    UnknownAssignment {
        /// The id returned.
        id: String,
    },
    /// A kept assignment (returned with its host id) differs from the problem's.
    KeptChanged {
        /// Its host id.
        id: String,
        /// The first field that differs: "need", "technician", "window", "status", "pinned".
        field: &'static str,
    },
    /// A new assignment has a status other than `proposed`.
    StatusNotAllowed {
        /// The status returned.
        status: AssignmentStatus,
    },
    /// A new assignment is pinned: only a planner pins.
    PinnedByAssigner,
    /// A new assignment's window is not its need's.
    WindowNotNeeds {
        /// The window returned.
        window: Window,
        /// The need's window.
        need: Window,
    },
    /// The technician does not have the need's skill.
    Unqualified {
        /// The skill the need requires.
        skill: String,
    },
    /// The technician declined this need and was proposed for it again.
    DeclinedProposedAgain,
    /// More people on the need than it allows.
    OverCrew {
        /// People assigned (declined ones not counted).
        assigned: usize,
        /// The most allowed: `max-crew` (or `min-crew`), raised to the number of pinned and
        /// confirmed assignments the problem already has on the need.
        limit: usize,
    },
    /// A pinned assignment of the problem is missing from the result or was changed.
    PinDropped {
        /// Its host id, if it has one.
        id: Option<String>,
    },
}

impl BreachKind {
    /// Stable kebab-case name, for the API's `meta` and for tests.
    pub fn code(&self) -> &'static str {
        match self {
            BreachKind::UnknownNeed => "unknown-need",
            BreachKind::UnknownTechnician => "unknown-technician",
            BreachKind::EmptyWindow { .. } => "empty-window",
            BreachKind::Duplicate => "duplicate",
            BreachKind::UnknownAssignment { .. } => "unknown-assignment",
            BreachKind::KeptChanged { .. } => "kept-changed",
            BreachKind::StatusNotAllowed { .. } => "status-not-allowed",
            BreachKind::PinnedByAssigner => "pinned-by-assigner",
            BreachKind::WindowNotNeeds { .. } => "window-not-needs",
            BreachKind::Unqualified { .. } => "unqualified",
            BreachKind::DeclinedProposedAgain => "declined-proposed-again",
            BreachKind::OverCrew { .. } => "over-crew",
            BreachKind::PinDropped { .. } => "pin-dropped",
        }
    }
}

impl fmt::Display for Breach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "need {}", self.need_id)?;
        if let Some(t) = &self.technician_id {
            write!(f, ", technician {t}")?;
        }
        write!(f, ": ")?;
        match &self.kind {
            BreachKind::UnknownNeed => write!(f, "the need is not in the problem"),
            BreachKind::UnknownTechnician => write!(f, "the technician is not in the problem"),
            BreachKind::EmptyWindow { window } => write!(
                f,
                "the window [{}, {}) is empty or inverted",
                window.start, window.end
            ),
            BreachKind::Duplicate => write!(f, "the technician is on the need twice"),
            BreachKind::UnknownAssignment { id } => write!(
                f,
                "assignment id {id} is not one of the problem's, or is returned twice"
            ),
            BreachKind::KeptChanged { id, field } => write!(
                f,
                "kept assignment {id} came back with a changed {field}; an assignment is \
                 kept unchanged or dropped and proposed anew"
            ),
            BreachKind::StatusNotAllowed { status } => write!(
                f,
                "a new assignment has status {}; an assigner may only propose",
                status_name(*status)
            ),
            BreachKind::PinnedByAssigner => {
                write!(f, "a new assignment is pinned; only a planner pins")
            }
            BreachKind::WindowNotNeeds { window, need } => write!(
                f,
                "the window [{}, {}) is not the need's [{}, {})",
                window.start, window.end, need.start, need.end
            ),
            BreachKind::Unqualified { skill } => {
                write!(f, "the technician lacks the need's skill {skill:?}")
            }
            BreachKind::DeclinedProposedAgain => {
                write!(
                    f,
                    "the technician declined this need and was proposed again"
                )
            }
            BreachKind::OverCrew { assigned, limit } => {
                write!(f, "{assigned} people assigned, at most {limit} allowed")
            }
            BreachKind::PinDropped { id } => write!(
                f,
                "pinned assignment {} was dropped or changed",
                id.as_deref().unwrap_or("(no id)")
            ),
        }
    }
}

fn status_name(status: AssignmentStatus) -> &'static str {
    match status {
        AssignmentStatus::Proposed => "proposed",
        AssignmentStatus::Confirmed => "confirmed",
        AssignmentStatus::Declined => "declined",
    }
}

/// Checks an assigner's result against its problem (see the module docs): `Ok` when it
/// keeps the contract, else [`EngineError::Contract`] with the first [`Breach`].
pub fn check(problem: &Problem, planned: &[PlannedAssignment]) -> Result<()> {
    first_breach(problem, planned).map_or(Ok(()), |b| Err(EngineError::Contract(b)))
}

/// The first breach of `planned` against `problem`, if any.
pub fn first_breach(problem: &Problem, planned: &[PlannedAssignment]) -> Option<Breach> {
    let index = Index::of(problem);
    let mut sorted: Vec<&Assignment> = planned.iter().map(|p| &p.assignment).collect();
    sorted.sort_by(|a, b| {
        (&a.need_id, &a.technician_id, a.window.start, a.window.end).cmp(&(
            &b.need_id,
            &b.technician_id,
            b.window.start,
            b.window.end,
        ))
    });
    each_assignment(&index, &sorted)
        .or_else(|| crew_limits(problem, &index, &sorted))
        .or_else(|| pins_kept(problem, planned))
}

/// The problem's needs, technicians and assignments by id.
struct Index<'p> {
    needs: BTreeMap<&'p str, &'p Need>,
    technicians: BTreeMap<&'p str, &'p Technician>,
    existing: BTreeMap<&'p str, &'p Assignment>,
    declined: BTreeSet<(&'p str, &'p str)>,
}

impl<'p> Index<'p> {
    fn of(problem: &'p Problem) -> Self {
        Index {
            needs: problem.needs.iter().map(|n| (n.id.as_str(), n)).collect(),
            technicians: problem
                .technicians
                .iter()
                .map(|t| (t.id.as_str(), t))
                .collect(),
            existing: problem
                .assignments
                .iter()
                .filter_map(|a| a.id.as_deref().map(|id| (id, a)))
                .collect(),
            declined: problem
                .assignments
                .iter()
                .filter(|a| a.status == AssignmentStatus::Declined)
                .map(|a| (a.need_id.as_str(), a.technician_id.as_str()))
                .collect(),
        }
    }
}

/// Step 1: each assignment on its own, and duplicates.
fn each_assignment(index: &Index<'_>, sorted: &[&Assignment]) -> Option<Breach> {
    let mut on_need: BTreeSet<(&str, &str)> = BTreeSet::new();
    let mut kept_ids: BTreeSet<&str> = BTreeSet::new();
    for a in sorted {
        let breach = |kind| {
            Some(Breach {
                need_id: a.need_id.clone(),
                technician_id: Some(a.technician_id.clone()),
                kind,
            })
        };
        let Some(need) = index.needs.get(a.need_id.as_str()) else {
            return breach(BreachKind::UnknownNeed);
        };
        let Some(technician) = index.technicians.get(a.technician_id.as_str()) else {
            return breach(BreachKind::UnknownTechnician);
        };
        if a.window.end <= a.window.start {
            return breach(BreachKind::EmptyWindow { window: a.window });
        }
        if a.status != AssignmentStatus::Declined
            && !on_need.insert((a.need_id.as_str(), a.technician_id.as_str()))
        {
            return breach(BreachKind::Duplicate);
        }
        let kind = match &a.id {
            Some(id) => check_kept(index, &mut kept_ids, id, a),
            None => check_new(index, need, technician, a),
        };
        if let Some(kind) = kind {
            return breach(kind);
        }
    }
    None
}

/// What is wrong with a kept assignment (one returned with its host id), if anything.
fn check_kept<'a>(
    index: &Index<'_>,
    kept_ids: &mut BTreeSet<&'a str>,
    id: &'a str,
    a: &Assignment,
) -> Option<BreachKind> {
    let Some(sent) = index.existing.get(id).filter(|_| kept_ids.insert(id)) else {
        return Some(BreachKind::UnknownAssignment { id: id.to_owned() });
    };
    let field = if a.need_id != sent.need_id {
        "need"
    } else if a.technician_id != sent.technician_id {
        "technician"
    } else if a.window != sent.window {
        "window"
    } else if a.status != sent.status {
        "status"
    } else if a.pinned != sent.pinned {
        "pinned"
    } else {
        return None;
    };
    Some(BreachKind::KeptChanged {
        id: id.to_owned(),
        field,
    })
}

/// What is wrong with a new assignment (one without a host id), if anything.
fn check_new(
    index: &Index<'_>,
    need: &Need,
    technician: &Technician,
    a: &Assignment,
) -> Option<BreachKind> {
    if a.status != AssignmentStatus::Proposed {
        return Some(BreachKind::StatusNotAllowed { status: a.status });
    }
    if a.pinned {
        return Some(BreachKind::PinnedByAssigner);
    }
    if a.window != need.window {
        return Some(BreachKind::WindowNotNeeds {
            window: a.window,
            need: need.window,
        });
    }
    if !technician.skills.contains(&need.skill) {
        return Some(BreachKind::Unqualified {
            skill: need.skill.clone(),
        });
    }
    if index
        .declined
        .contains(&(a.need_id.as_str(), a.technician_id.as_str()))
    {
        return Some(BreachKind::DeclinedProposedAgain);
    }
    None
}

/// Step 2: no need has more people than it allows.
fn crew_limits(problem: &Problem, index: &Index<'_>, sorted: &[&Assignment]) -> Option<Breach> {
    let mut assigned: BTreeMap<&str, usize> = BTreeMap::new();
    for a in sorted
        .iter()
        .filter(|a| a.status != AssignmentStatus::Declined)
    {
        *assigned.entry(a.need_id.as_str()).or_default() += 1;
    }
    let mut fixed: BTreeMap<&str, usize> = BTreeMap::new();
    for a in problem
        .assignments
        .iter()
        .filter(|a| a.status != AssignmentStatus::Declined)
        .filter(|a| a.pinned || a.status == AssignmentStatus::Confirmed)
    {
        *fixed.entry(a.need_id.as_str()).or_default() += 1;
    }
    index.needs.values().find_map(|need| {
        let assigned = assigned.get(need.id.as_str()).copied().unwrap_or(0);
        let allowed = need.max_crew.unwrap_or(need.min_crew) as usize;
        let limit = allowed.max(fixed.get(need.id.as_str()).copied().unwrap_or(0));
        (assigned > limit).then(|| Breach {
            need_id: need.id.clone(),
            technician_id: None,
            kind: BreachKind::OverCrew { assigned, limit },
        })
    })
}

/// Step 3: every pinned assignment of the problem is in the result, unchanged.
fn pins_kept(problem: &Problem, planned: &[PlannedAssignment]) -> Option<Breach> {
    problem
        .assignments
        .iter()
        .filter(|a| a.pinned)
        .find(|pin| !planned.iter().any(|p| &p.assignment == *pin))
        .map(|pin| Breach {
            need_id: pin.need_id.clone(),
            technician_id: Some(pin.technician_id.clone()),
            kind: BreachKind::PinDropped { id: pin.id.clone() },
        })
}

#[cfg(test)]
mod tests;

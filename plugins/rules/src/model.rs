//! The problem indexed for evaluation, and a technician's work as [`Period`]s: their
//! candidate shifts and their history, each with what rules need (mission, need, shift
//! type, whether it can still change).

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;

use callsheet_plugin_sdk::report::Failure;
use callsheet_plugin_sdk::types::{Mission, Need, Problem, Subject, Technician, Window};

/// Positions of the problem's records by id, and of each technician's history.
#[derive(Debug, Clone, Default)]
pub struct Index {
    pub technicians: BTreeMap<String, usize>,
    pub missions: BTreeMap<String, usize>,
    pub needs: BTreeMap<String, usize>,
    pub history: BTreeMap<String, Range<usize>>,
}

impl Index {
    /// Indexes a problem, refusing duplicate ids and empty windows.
    pub fn build(problem: &Problem) -> Result<Index, Failure> {
        fn unique<'a>(
            what: &str,
            ids: impl Iterator<Item = &'a String>,
        ) -> Result<BTreeMap<String, usize>, Failure> {
            let mut map = BTreeMap::new();
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
        let mut history: BTreeMap<String, Range<usize>> = BTreeMap::new();
        for (i, past) in problem.history.iter().enumerate() {
            check("past shift of", &past.technician_id, &past.window)?;
            let range = history.entry(past.technician_id.clone()).or_insert(i..i);
            if range.end != i {
                return Err(Failure::InvalidInput(format!(
                    "history is not grouped by technician ({})",
                    past.technician_id
                )));
            }
            range.end = i + 1;
        }
        Ok(Index {
            technicians: unique("technician", problem.technicians.iter().map(|t| &t.id))?,
            missions: unique("mission", problem.missions.iter().map(|m| &m.id))?,
            needs: unique("need", problem.needs.iter().map(|n| &n.id))?,
            history,
        })
    }
}

/// A period of work of one technician.
#[derive(Debug, Clone, Copy)]
pub struct Period<'p> {
    pub window: Window,
    /// The need filled (candidate shifts); none for history.
    pub need: Option<&'p Need>,
    /// The mission, when known.
    pub mission: Option<&'p Mission>,
    /// The mission id, when known (history may name a mission no longer in the problem).
    pub mission_id: Option<&'p str>,
    /// The shift type, for successions and shift requests.
    pub shift_type: Option<&'p str>,
    /// Whether the period is history (fixed, before the horizon): rules still read it, but
    /// report only violations that involve a candidate shift.
    pub past: bool,
}

impl Period<'_> {
    /// How messages name the period: the mission's title, else "earlier work".
    pub fn label(&self) -> String {
        match (self.mission, self.mission_id) {
            (Some(m), _) => m.title.clone(),
            (None, Some(id)) => format!("mission {id}"),
            (None, None) => String::from("earlier work"),
        }
    }

    /// The period's subjects: its mission and need.
    pub fn subjects(&self) -> Vec<Subject> {
        let mut s = Vec::new();
        if let Some(id) = self.mission_id {
            s.push(Subject::Mission(id.into()));
        }
        if let Some(n) = self.need {
            s.push(Subject::Need(n.id.clone()));
        }
        s
    }
}

/// A technician's periods, history and candidate shifts, sorted by start then end then
/// need id so that every later step is deterministic.
pub fn periods<'p, 's>(
    problem: &'p Problem,
    index: &Index,
    technician: &Technician,
    shifts: impl Iterator<Item = (&'s str, Window)>,
) -> Result<Vec<Period<'p>>, Failure> {
    let mission = |id: &str| index.missions.get(id).map(|&i| &problem.missions[i]);
    let mut out = Vec::new();
    if let Some(range) = index.history.get(&technician.id) {
        for past in &problem.history[range.clone()] {
            out.push(Period {
                window: past.window,
                need: None,
                mission: past.mission_id.as_deref().and_then(mission),
                mission_id: past.mission_id.as_deref(),
                shift_type: past.shift_type.as_deref(),
                past: true,
            });
        }
    }
    for (need_id, window) in shifts {
        let need = index
            .needs
            .get(need_id)
            .map(|&i| &problem.needs[i])
            .ok_or_else(|| {
                Failure::InvalidInput(format!(
                    "unknown need {need_id} in the schedule of {}",
                    technician.id
                ))
            })?;
        if window.end <= window.start {
            return Err(Failure::InvalidInput(format!(
                "empty window for need {need_id} in the schedule of {}",
                technician.id
            )));
        }
        out.push(Period {
            window,
            need: Some(need),
            mission: mission(&need.mission_id),
            mission_id: Some(&need.mission_id),
            shift_type: need.shift_type.as_deref(),
            past: false,
        });
    }
    out.sort_by(|a, b| {
        (a.window.start, a.window.end, a.need.map(|n| n.id.as_str())).cmp(&(
            b.window.start,
            b.window.end,
            b.need.map(|n| n.id.as_str()),
        ))
    });
    Ok(out)
}

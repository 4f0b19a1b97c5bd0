//! A technician's work as [`Period`]s: their candidate shifts and their history, each with
//! what rules need (mission, need, shift type, whether it can still change).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use callsheet_plugin_sdk::report::Failure;
use callsheet_plugin_sdk::types::{Mission, Need, Problem, Subject, Window};

use crate::index::Index;

/// A period of work of one technician.
#[derive(Debug, Clone, Copy)]
pub struct Period<'p> {
    pub window: Window,
    /// The need filled (candidate shifts), with its position; none for history.
    pub need: Option<(usize, &'p Need)>,
    /// The mission, when known, with its position.
    pub mission: Option<(usize, &'p Mission)>,
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
            (Some((_, m)), _) => m.title.clone(),
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
        if let Some((_, n)) = self.need {
            s.push(Subject::Need(n.id.clone()));
        }
        s
    }
}

/// A technician's periods, history and candidate shifts (needs given by position, or the
/// failure that refuses the shift), sorted by start then end then need id so that every
/// later step is deterministic.
pub fn periods<'p>(
    problem: &'p Problem,
    index: &Index,
    technician: usize,
    shifts: impl Iterator<Item = Result<(usize, Window), Failure>>,
) -> Result<Vec<Period<'p>>, Failure> {
    let mission = |i: Option<usize>| i.map(|i| (i, &problem.missions[i]));
    let range = index.history[technician].clone();
    let mut out = Vec::with_capacity(range.len() + shifts.size_hint().0);
    for (i, past) in problem.history[range.clone()].iter().enumerate() {
        out.push(Period {
            window: past.window,
            need: None,
            mission: mission(index.past_missions[range.start + i]),
            mission_id: past.mission_id.as_deref(),
            shift_type: past.shift_type.as_deref(),
            past: true,
        });
    }
    for shift in shifts {
        let (n, window) = shift?;
        let need = &problem.needs[n];
        if window.end <= window.start {
            return Err(Failure::InvalidInput(format!(
                "empty window for need {} in the schedule of {}",
                need.id, problem.technicians[technician].id
            )));
        }
        let key = index.need_missions[n];
        out.push(Period {
            window,
            need: Some((n, need)),
            mission: mission(Some(key).filter(|&k| k < problem.missions.len())),
            mission_id: Some(&need.mission_id),
            shift_type: need.shift_type.as_deref(),
            past: false,
        });
    }
    let rank = |p: &Period<'_>| p.need.map(|(n, _)| index.need_ranks[n]);
    out.sort_by(|a, b| {
        (a.window.start, a.window.end, rank(a)).cmp(&(b.window.start, b.window.end, rank(b)))
    });
    Ok(out)
}

//! Assignments that exist before the run: a few pinned (confirmed by hand, which a run
//! must not move) and a few declined (which a run must not propose again).
//!
//! Pins are chosen so that they break no hard rule by themselves, whatever else is planned:
//! a qualified technician, not unavailable, at most one pin per technician and per
//! mission (no incompatible pair can be pinned together), no history in the two days
//! before (no rest across the edge), and not more places than the need has.

use std::collections::BTreeSet;

use callsheet_runtime::types::{Assignment, AssignmentStatus, Need, PastShift, Technician, Window};

use super::crew::unavailable;
use crate::rng::Rng;

/// About 4 % of the places pinned and 1 % declined, sorted by need then technician.
pub fn assignments(
    techs: &[Technician],
    needs: &[Need],
    history: &[PastShift],
    horizon: Window,
    rng: &mut Rng,
) -> Vec<Assignment> {
    let places: u32 = needs.iter().map(|n| n.min_crew).sum();
    let pins = (places as usize * 4).div_ceil(100);
    let declines = (places as usize).div_ceil(100);
    let mut pinned_techs: BTreeSet<usize> = BTreeSet::new();
    let mut pinned_missions: BTreeSet<&str> = BTreeSet::new();
    let mut taken: BTreeSet<(usize, usize)> = BTreeSet::new();
    let mut out = Vec::new();
    let recent = |t: &Technician, need: &Need| {
        history
            .iter()
            .any(|h| h.technician_id == t.id && need.window.start - h.window.end < 2 * 86_400)
    };

    let mut attempts = 0;
    while out.len() < pins && attempts < pins * 50 && !needs.is_empty() {
        attempts += 1;
        let ni = rng.below(needs.len() as u64) as usize;
        let need = &needs[ni];
        // Not in the first two days, so no past shift can collide with a pin.
        if need.window.start < horizon.start + 2 * 86_400
            || pinned_missions.contains(need.mission_id.as_str())
        {
            continue;
        }
        let candidates: Vec<usize> = (0..techs.len())
            .filter(|&ti| {
                let t = &techs[ti];
                !pinned_techs.contains(&ti)
                    && t.skills.contains(&need.skill)
                    && !unavailable(t, &need.window)
                    && !recent(t, need)
            })
            .collect();
        if candidates.is_empty() {
            continue;
        }
        let ti = *rng.pick(&candidates);
        pinned_techs.insert(ti);
        pinned_missions.insert(need.mission_id.as_str());
        taken.insert((ni, ti));
        out.push(Assignment {
            id: Some(format!("a{:05}", out.len() + 1)),
            need_id: need.id.clone(),
            technician_id: techs[ti].id.clone(),
            window: need.window,
            status: AssignmentStatus::Confirmed,
            pinned: true,
        });
    }

    let mut declined = 0;
    let mut attempts = 0;
    while declined < declines && attempts < declines * 50 && !needs.is_empty() {
        attempts += 1;
        let ni = rng.below(needs.len() as u64) as usize;
        let need = &needs[ni];
        let qualified: Vec<usize> = (0..techs.len())
            .filter(|&ti| techs[ti].skills.contains(&need.skill) && !taken.contains(&(ni, ti)))
            .collect();
        if qualified.is_empty() {
            continue;
        }
        let ti = *rng.pick(&qualified);
        taken.insert((ni, ti));
        declined += 1;
        out.push(Assignment {
            id: Some(format!("a{:05}", out.len() + 1)),
            need_id: need.id.clone(),
            technician_id: techs[ti].id.clone(),
            window: need.window,
            status: AssignmentStatus::Declined,
            pinned: false,
        });
    }
    out.sort_by(|a, b| (&a.need_id, &a.technician_id).cmp(&(&b.need_id, &b.technician_id)));
    out
}

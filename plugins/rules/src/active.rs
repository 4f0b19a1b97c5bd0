//! A plan's assignments resolved against the [`Index`]: the input of `evaluate-plan`,
//! grouped by technician once so that rules between technicians read only the shifts of
//! the technicians concerned.

use alloc::format;
use alloc::vec::Vec;

use callsheet_plugin_sdk::report::Failure;
use callsheet_plugin_sdk::types::{Plan, Window};

use crate::index::Index;
use crate::rules::plan;

/// A plan's assignments that occupy their technician, resolved to positions and grouped
/// by technician (in plan order within each technician).
#[derive(Debug, Clone)]
pub struct Active {
    shifts: Vec<Shift>,
    /// Where each technician's shifts start in `shifts` (one more entry than technicians).
    starts: Vec<usize>,
}

/// One active assignment.
#[derive(Debug, Clone, Copy)]
pub struct Shift {
    pub need: usize,
    pub window: Window,
}

impl Active {
    /// Resolves the assignments, refusing the first one that names an unknown technician
    /// or need.
    pub fn resolve(index: &Index, plan: &Plan) -> Result<Active, Failure> {
        let mut resolved = Vec::with_capacity(plan.assignments.len());
        for a in plan.assignments.iter().filter(|a| plan::counts(a)) {
            let Some(&t) = index.technicians.get(&a.technician_id) else {
                return Err(Failure::InvalidInput(format!(
                    "unknown technician {} in the plan",
                    a.technician_id
                )));
            };
            let Some(&need) = index.needs.get(&a.need_id) else {
                return Err(Failure::InvalidInput(format!(
                    "unknown need {} in the plan",
                    a.need_id
                )));
            };
            resolved.push((t, need, a.window));
        }
        // A counting sort by technician: stable, so each keeps the plan's order.
        let mut starts = alloc::vec![0; index.technicians.len() + 1];
        for &(t, _, _) in &resolved {
            starts[t + 1] += 1;
        }
        for t in 0..index.technicians.len() {
            starts[t + 1] += starts[t];
        }
        let mut next = starts.clone();
        let mut shifts = alloc::vec![
            Shift {
                need: 0,
                window: Window { start: 0, end: 0 }
            };
            resolved.len()
        ];
        for (t, need, window) in resolved {
            shifts[next[t]] = Shift { need, window };
            next[t] += 1;
        }
        Ok(Active { shifts, starts })
    }

    /// One technician's shifts.
    pub fn of(&self, technician: usize) -> &[Shift] {
        &self.shifts[self.starts[technician]..self.starts[technician + 1]]
    }

    /// Every active shift.
    pub fn all(&self) -> &[Shift] {
        &self.shifts
    }
}

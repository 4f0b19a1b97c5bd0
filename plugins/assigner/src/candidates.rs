//! Who is qualified and available for each need: technicians with the skill, who did not
//! decline it, whose fixed work does not overlap it, and whose schedule "fixed work + this
//! need" gains no hard point from the tenant's rules. One batch of evaluations for the whole
//! problem; the greedy's "most constrained" order, the moves and the scarcity matching all
//! draw from these lists.

use alloc::vec::Vec;

use crate::error::Error;
use crate::evaluator::{Evaluations, Rules};
use crate::model::{Model, NeedIx, Shift, TechIx};
use crate::objective::Cost;
use crate::state::{State, with_shift};

/// (need, technician) pairs evaluated per round: a round's schedules and their cache
/// entries stay a few megabytes, and the evaluations' cache (100,000 scores) keeps every
/// pair of a problem up to that size, as one round would.
const REQUESTS_PER_ROUND: usize = 20_000;

/// Per need, the technicians qualified and available for it, sorted; and the inverse.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Candidates {
    /// Per need, its candidates.
    pub of: Vec<Vec<TechIx>>,
    /// Per technician, the needs they are a candidate for, sorted.
    pub needs_of: Vec<Vec<NeedIx>>,
}

impl Candidates {
    /// Computes the lists from the plan of fixed work (`initial`), only for needs the
    /// assigner may staff (up to `max-crew`).
    pub fn compute<R: Rules>(
        model: &Model<'_>,
        initial: &State,
        evals: &mut Evaluations<'_, R>,
    ) -> Result<Candidates, Error> {
        let mut of = alloc::vec![Vec::new(); model.needs.len()];
        let mut requests: Vec<(NeedIx, TechIx, Vec<Shift>)> = Vec::new();
        let mut needs = model
            .need_indices()
            .filter(|&n| model.needs[n as usize].capacity > 0)
            .peekable();
        // Needs in groups of about `REQUESTS_PER_ROUND` (need, technician) pairs: on a
        // season (thousands of needs, hundreds of qualified technicians each) the pairs'
        // schedules at once outgrew the guest's memory cap.
        while needs.peek().is_some() {
            requests.clear();
            while requests.len() < REQUESTS_PER_ROUND {
                let Some(n) = needs.next() else { break };
                for &t in &model.needs[n as usize].qualified {
                    let shift = model.shift_for(n, t);
                    if initial.clashes(t, &shift.window, &[]).next().is_some() {
                        continue;
                    }
                    requests.push((n, t, with_shift(&initial.shifts[t as usize], shift)));
                }
            }
            evals.ensure(model, requests.iter().map(|(_, t, s)| (*t, s.as_slice())))?;
            for (n, t, shifts) in &requests {
                let Some(score) = evals.score(*t, shifts) else {
                    return Err(Error::Internal(alloc::format!(
                        "no evaluation of technician {t} on need {n}"
                    )));
                };
                if Cost::from(score).hard <= initial.rules[*t as usize].hard {
                    of[*n as usize].push(*t);
                }
            }
        }
        let mut needs_of = alloc::vec![Vec::new(); model.problem.technicians.len()];
        for (n, techs) in of.iter().enumerate() {
            for &t in techs {
                // `n` indexes `problem.needs`, whose length `Model::build` fits in u32.
                needs_of[t as usize].push(n as NeedIx);
            }
        }
        Ok(Candidates { of, needs_of })
    }

    /// Whether `t` is a candidate for `n`.
    pub fn contains(&self, n: NeedIx, t: TechIx) -> bool {
        self.of[n as usize].binary_search(&t).is_ok()
    }
}

//! Ruin and recreate (large neighbourhood search) around an open place: the search's way
//! out of the plans where crew is scarce.
//!
//! When people are short, a place stays open because everyone who could take it is held
//! by the rest of their week: their hours, their rests. Freeing one of them is a chain of
//! moves (A leaves Y for X, B takes Y and leaves Z...), each of which looks bad alone, so
//! single moves rarely find it. A ruin step takes an open need X, picks about half of X's
//! candidates at random, and takes off the plan every movable assignment they hold within
//! [`REACH`] of X; the recreate step is a greedy over X, the needs emptied and the open
//! needs in that span, the place that saves the most penalty per hour first (when crew is
//! short, hours are what places compete for; the construction's order, most constrained
//! first, tends to rebuild what was ruined). The result replaces the plan when it is no
//! worse (hard points first), else the plan is restored.
//!
//! Deterministic: the need and the candidates come from the search's [`Pcg32`].

use alloc::vec::Vec;

use crate::candidates::Candidates;
use crate::error::Error;
use crate::evaluator::{Evaluations, Rules};
use crate::model::{Model, NeedIx, TechIx};
use crate::rng::Pcg32;
use crate::state::{Change, State, with_shift, without};

/// How far from the open need's window the ruin reaches: a day and a half each side, the
/// span daily rests and consecutive days couple.
pub const REACH: i64 = 36 * 3600;

/// What one ruin-and-recreate did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Assignments taken off.
    pub removed: u64,
    /// Whether the recreated plan was kept.
    pub kept: bool,
}

/// Ruins the plan around open need `x` and recreates it; keeps the result when it is no
/// worse than the plan it started from.
pub fn around<R: Rules>(
    model: &Model<'_>,
    candidates: &Candidates,
    state: &mut State,
    evals: &mut Evaluations<'_, R>,
    rng: &mut Pcg32,
    x: NeedIx,
) -> Result<Outcome, Error> {
    let window = model.need(x).window;
    let (from, to) = (
        window.start.saturating_sub(REACH),
        window.end.saturating_add(REACH),
    );
    let chosen: Vec<TechIx> = candidates.of[x as usize]
        .iter()
        .copied()
        .filter(|_| rng.below(2) == 0)
        .collect();
    let mut needs: Vec<NeedIx> = Vec::new();
    let mut changes: Vec<(TechIx, Vec<NeedIx>)> = Vec::new();
    for &t in &chosen {
        let off: Vec<NeedIx> = state.shifts[t as usize]
            .iter()
            .filter(|s| s.movable() && s.window.start < to && from < s.window.end)
            .map(|s| s.need)
            .collect();
        if !off.is_empty() {
            needs.extend(off.iter().copied());
            changes.push((t, off));
        }
    }
    if changes.is_empty() {
        return Ok(Outcome::default());
    }
    let before = state.clone();
    let mut removed = 0;
    for (t, off) in changes {
        let change = Change {
            techs: alloc::vec![(t, without(&state.shifts[t as usize], &off))],
        };
        evals.ensure(model, change.techs.iter().map(|(t, s)| (*t, s.as_slice())))?;
        let Some(priced) = state.price(model, evals, &change)? else {
            continue;
        };
        removed += off.len() as u64;
        state.apply(model, change, &priced);
    }
    needs.push(x);
    for n in model.need_indices() {
        let w = model.need(n).window;
        if state.open(model, n) > 0 && w.start < to && from < w.end {
            needs.push(n);
        }
    }
    needs.sort_unstable();
    needs.dedup();
    recreate(model, candidates, state, evals, rng, &mut needs)?;
    let kept = state.total <= before.total;
    if !kept {
        *state = before;
    }
    Ok(Outcome { removed, kept })
}

/// Fills the open places of `needs` greedily, the place that saves the most unfilled
/// penalty per hour of work first (when crew is short, hours are what places compete
/// for), ties in random order; each place gets its best-priced free candidate when that
/// makes the plan no worse.
fn recreate<R: Rules>(
    model: &Model<'_>,
    candidates: &Candidates,
    state: &mut State,
    evals: &mut Evaluations<'_, R>,
    rng: &mut Pcg32,
    needs: &mut Vec<NeedIx>,
) -> Result<(), Error> {
    // (penalty per hour, in points per 3600 s, descending; a random tie-break)
    let mut keyed: Vec<(i128, u32, NeedIx)> = needs
        .iter()
        .map(|&n| {
            let need = model.need(n);
            let seconds = i128::from(need.window.end.saturating_sub(need.window.start).max(1));
            let rate = i128::from(need.unfilled_penalty) * 3600 * 1000 / seconds;
            (-rate, rng.next_u32(), n)
        })
        .collect();
    keyed.sort_unstable();
    for (_, _, n) in keyed {
        while state.open(model, n) > 0 {
            let changes: Vec<Change> = candidates.of[n as usize]
                .iter()
                .filter(|&&t| state.can_take(model, t, n, &[]))
                .map(|&t| Change {
                    techs: alloc::vec![(
                        t,
                        with_shift(&state.shifts[t as usize], model.shift_for(n, t)),
                    )],
                })
                .collect();
            evals.ensure(
                model,
                changes
                    .iter()
                    .flat_map(|c| c.techs.iter().map(|(t, s)| (*t, s.as_slice()))),
            )?;
            let mut best: Option<(Change, crate::state::Priced)> = None;
            for change in changes {
                if let Some(priced) = state.price(model, evals, &change)?
                    && !priced.adds_hard
                    && best.as_ref().is_none_or(|(_, p)| priced.delta < p.delta)
                {
                    best = Some((change, priced));
                }
            }
            match best {
                Some((change, priced)) if priced.delta <= crate::objective::Cost::ZERO => {
                    state.apply(model, change, &priced);
                }
                _ => break,
            }
        }
    }
    needs.clear();
    Ok(())
}

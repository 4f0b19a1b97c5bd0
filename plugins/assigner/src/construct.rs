//! Greedy construction: the most constrained place first, the best-scored candidate on it.
//!
//! - **Most constrained**: the need with the fewest candidates still free for it (qualified,
//!   available, not on an overlapping shift) per open place; ties go to the higher unfilled
//!   penalty, then the earlier start, then the need's position.
//! - **Best scored**: every free candidate's schedule with the shift added is evaluated by
//!   the tenant's rules in one batch; candidates who would gain a hard point are out, the
//!   others are priced on the whole objective (their schedule, their preference terms, the
//!   place filled, relations, rooms) and the cheapest wins, ties to the lower index.
//! - A place is filled only if that makes the plan no worse: when even the best candidate
//!   costs more than the need's unfilled penalty saves, the need stays short and the
//!   explanation says so ("assigner.worse-score").

use alloc::vec;
use alloc::vec::Vec;

use crate::candidates::Candidates;
use crate::error::Error;
use crate::evaluator::{Evaluations, Rules};
use crate::model::{Model, NeedIx, Origin, TechIx};
use crate::objective::Cost;
use crate::state::{Change, Priced, State, with_shift};

/// Starts from the existing proposed assignments (with `assigner.keep-proposed`), each kept
/// when its need has room (up to `max-crew`: a previous run's extra crew is kept too, the
/// search may still take it off) and it adds no hard point; returns how many.
pub fn keep_proposed<R: Rules>(
    model: &Model<'_>,
    state: &mut State,
    evals: &mut Evaluations<'_, R>,
) -> Result<u64, Error> {
    let mut kept = 0;
    for &i in model.proposed.values() {
        let e = model.existing[i as usize];
        if state.room(model, e.need) == 0 || !state.can_take(model, e.tech, e.need, &[]) {
            continue;
        }
        let shift = model.shift_for(e.need, e.tech);
        debug_assert_eq!(shift.origin, Origin::Proposed(i));
        let change = Change {
            techs: vec![(e.tech, with_shift(&state.shifts[e.tech as usize], shift))],
        };
        evals.ensure(model, change.techs.iter().map(|(t, s)| (*t, s.as_slice())))?;
        if let Some(priced) = state.price(model, evals, &change)?
            && !priced.adds_hard
        {
            state.apply(model, change, &priced);
            kept += 1;
        }
    }
    Ok(kept)
}

/// The next need to fill, most constrained first, from the count of free candidates of
/// each need; needs with none are closed.
fn most_constrained(
    model: &Model<'_>,
    state: &State,
    free: &[u64],
    closed: &mut [bool],
) -> Option<NeedIx> {
    // (need, free candidates, open places)
    let mut best: Option<(NeedIx, u64, u64)> = None;
    for n in model.need_indices() {
        let open = u64::from(state.open(model, n));
        if closed[n as usize] || open == 0 {
            continue;
        }
        let free = free[n as usize];
        if free == 0 {
            closed[n as usize] = true;
            continue;
        }
        let better = match best {
            None => true,
            Some((b, b_free, b_open)) => {
                // free / open < b_free / b_open, compared without division.
                let (x, y) = (free * b_open, b_free * open);
                let (need, other) = (model.need(n), model.need(b));
                x < y
                    || (x == y
                        && (need.unfilled_penalty, -need.window.start)
                            > (other.unfilled_penalty, -other.window.start))
            }
        };
        if better {
            best = Some((n, free, open));
        }
    }
    best.map(|(n, _, _)| n)
}

/// Adds (`sign` 1) or removes (-1) technician `t` from the free counts of the needs they
/// are a candidate for, as the plan stands.
fn count_free(
    model: &Model<'_>,
    candidates: &Candidates,
    state: &State,
    free: &mut [u64],
    t: TechIx,
    add: bool,
) {
    for &n in &candidates.needs_of[t as usize] {
        if state.can_take(model, t, n, &[]) {
            let f = &mut free[n as usize];
            *f = if add { *f + 1 } else { f.saturating_sub(1) };
        }
    }
}

/// Fills open places greedily until no need can take anyone at no loss; returns how many
/// places it filled. Closed needs are reconsidered once more whenever a pass filled
/// something, so that when it returns no free candidate can fill any open place without
/// making the plan worse or adding a hard point (what the explanations state).
///
/// Two rounds: the first gives no one a shift that makes any single hard rule of their
/// schedule worse; the second, only when the first held someone back for that, allows it
/// when their schedule's hard points do not grow in sum. A schedule short of a minimum
/// (working time, say) loses more points with a shift than a new violation costs, so a
/// construction on sums alone puts people on their days off, or on one weekend too many,
/// as readily as anywhere: the first round fills what it can without that, the second
/// keeps the construction's cover where only such a shift would do.
pub fn fill<R: Rules>(
    model: &Model<'_>,
    candidates: &Candidates,
    state: &mut State,
    evals: &mut Evaluations<'_, R>,
) -> Result<u64, Error> {
    let (filled, held_back) = fill_round(model, candidates, state, evals, true)?;
    if held_back == 0 {
        return Ok(filled);
    }
    let (more, _) = fill_round(model, candidates, state, evals, false)?;
    Ok(filled + more)
}

/// One round of [`fill`]: with `by_rule`, no candidate whose schedule gets worse under some
/// hard rule. Returns the places filled and how many candidates `by_rule` alone held back.
fn fill_round<R: Rules>(
    model: &Model<'_>,
    candidates: &Candidates,
    state: &mut State,
    evals: &mut Evaluations<'_, R>,
    by_rule: bool,
) -> Result<(u64, u64), Error> {
    // Free candidates per need, kept up to date as technicians get shifts.
    let mut free = vec![0u64; model.needs.len()];
    for t in model.tech_indices() {
        count_free(model, candidates, state, &mut free, t, true);
    }
    let mut filled = 0;
    let mut held_back = 0;
    loop {
        let before = filled;
        let mut closed = vec![false; model.needs.len()];
        while let Some(n) = most_constrained(model, state, &free, &mut closed) {
            let changes: Vec<Change> = candidates.of[n as usize]
                .iter()
                .filter(|&&t| state.can_take(model, t, n, &[]))
                .map(|&t| Change {
                    techs: vec![(
                        t,
                        with_shift(&state.shifts[t as usize], model.shift_for(n, t)),
                    )],
                })
                .collect();
            evals.ensure(
                model,
                changes.iter().flat_map(|c| {
                    c.techs.iter().flat_map(|(t, s)| {
                        [
                            (*t, s.as_slice()),
                            (*t, state.shifts[*t as usize].as_slice()),
                        ]
                    })
                }),
            )?;
            let mut best: Option<(Change, Priced)> = None;
            for change in changes {
                if let Some(priced) = state.price(model, evals, &change)?
                    && !priced.adds_hard
                {
                    let (t, new) = (change.techs[0].0, &change.techs[0].1);
                    if by_rule
                        && evals
                            .gains_a_rule(t, &state.shifts[t as usize], new)
                            .unwrap_or(false)
                    {
                        held_back += 1;
                        continue;
                    }
                    let better = match &best {
                        None => true,
                        Some((_, p)) => priced.delta < p.delta,
                    };
                    if better {
                        best = Some((change, priced));
                    }
                }
            }
            match best {
                Some((change, priced)) if priced.delta <= Cost::ZERO => {
                    let t = change.techs[0].0;
                    count_free(model, candidates, state, &mut free, t, false);
                    state.apply(model, change, &priced);
                    count_free(model, candidates, state, &mut free, t, true);
                    filled += 1;
                }
                _ => closed[n as usize] = true,
            }
        }
        if filled == before {
            return Ok((filled, held_back));
        }
    }
}

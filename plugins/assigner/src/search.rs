//! Local search after the greedy: tabu search over a sampled neighbourhood.
//!
//! Each step draws `assigner.search.batch` moves from the current plan ([`moves`]), sends
//! the schedules they need that are not cached to the rules in one call, prices them all,
//! and makes the best one that is not tabu, even when it is worse than the current plan:
//! that is how the search leaves the local optimum the greedy ends in (the greedy already
//! took every improving single move, so a search that only accepts improvements or equal
//! moves, like late acceptance started there, never leaves it). A step that takes a
//! technician off a need makes putting them back tabu for `assigner.search.tabu-tenure`
//! steps, which keeps the walk from undoing its last steps and cycling; a tabu move is
//! still taken when it beats the best plan so far (aspiration). The best plan seen is the
//! result.
//!
//! Plans are compared whole and lexicographically, hard points first ([`Cost`]): a move may
//! give one technician a hard point when the plan's total hard count falls (or stays and
//! the soft score improves), so a construction that leaves people below a minimum, or a
//! plan that starts with hard points (pinned work, kept proposals), is repaired rather
//! than frozen. The best plan is never worse than the start, so the search never returns
//! a plan worse than its construction. While the plan has hard points, a step that keeps
//! them and costs only soft points is made at once rather than after the patience below:
//! on a plan that is not yet legal the soft score (mostly cover) is a wall between
//! arrangements with as many hard points, and the way to a legal plan often crosses it.
//!
//! Anytime and deterministic: the search stops at the first of its budgets, moves examined
//! (`assigner.search.iterations`), schedules sent (`assigner.search.evaluations`) and the
//! run's estimated fuel ([`fuel`], from `assigner.fuel-budget`), and returns the best plan
//! found; running out of budget is a result, never an error. Moves come from [`Pcg32`]
//! seeded with `problem.seed`, the plan's lists are ordered, ties go to the first drawn,
//! and the budgets count work, never time, so a replay stops at the same step.
//!
//! [`fuel`]: crate::fuel
//!
//! [`moves`]: crate::moves

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::candidates::Candidates;
use crate::error::Error;
use crate::evaluator::{Evaluations, Rules};
use crate::fuel::{self, Estimate, SearchWork};
use crate::model::{Model, NeedIx, TechIx};
use crate::moves::{Move, Neighbourhood};
use crate::objective::Cost;
use crate::rng::Pcg32;
use crate::state::{Priced, State};

/// Counters of the search, for `plan-stats`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Moves examined (drawn and priced).
    pub iterations: u64,
    /// Steps made (one move each).
    pub accepted: u64,
    /// Moves refused because they would overfill a need.
    pub inadmissible: u64,
    /// Steps made that gave some part of the plan (a schedule, a pair, the rooms, a need)
    /// hard points while the plan as a whole improved or escaped a local optimum.
    pub traded: u64,
    /// Moves passed over because they were tabu.
    pub tabu: u64,
    /// The iteration at which the best plan was found (0: the greedy's).
    pub best_at: u64,
    /// Whether the search stopped because the run's estimated fuel reached its share of
    /// `assigner.fuel-budget` (rather than at its iterations or evaluations).
    pub fuel_stop: bool,
    /// The work counted for the fuel estimate.
    pub work: SearchWork,
    /// Ruin-and-recreate steps made, and kept.
    pub ruins: u64,
    pub ruins_kept: u64,
}

/// The (need, technician) pairs a move takes off the plan (`removed`) or puts on it.
fn pairs(state: &State, m: &Move, removed: bool) -> Vec<(NeedIx, TechIx)> {
    let mut out = Vec::new();
    for (t, new) in &m.change.techs {
        let old = &state.shifts[*t as usize];
        let (from, to) = if removed { (old, new) } else { (new, old) };
        for s in from.iter().filter(|s| !to.iter().any(|x| x.need == s.need)) {
            out.push((s.need, *t));
        }
    }
    out
}

/// Whether a move puts back a pair taken off the plan less than a tenure ago.
fn is_tabu(tabu: &BTreeMap<(NeedIx, TechIx), u64>, state: &State, m: &Move, step: u64) -> bool {
    pairs(state, m, false)
        .iter()
        .any(|p| tabu.get(p).is_some_and(|&until| until > step))
}

/// Makes a move and makes undoing it tabu.
fn make(
    state: &mut State,
    tabu: &mut BTreeMap<(NeedIx, TechIx), u64>,
    model: &Model<'_>,
    m: Move,
    priced: &Priced,
    step: u64,
    tenure: u64,
) {
    let until = step.saturating_add(tenure).saturating_add(1);
    for p in pairs(state, &m, true) {
        tabu.insert(p, until);
    }
    state.apply(model, m.change, priced);
}

/// The chance of a ruin-and-recreate step, in basis points: `assigner.search.ruin` while
/// ruins pay, less as they keep failing (down to a tenth of it). A ruin costs dozens of
/// evaluations; where crew is scarce a third or more are kept and it is the search's best
/// step, but where places stay open because the tenant's rules want them open (cover as a
/// soft term against hard limits on everyone's work), almost none are, and at the full
/// rate they spent half the budget.
fn ruin_chance(ruin: u64, stats: &Stats) -> u64 {
    if stats.ruins < RUINS_BEFORE_ADAPTING {
        return ruin;
    }
    // Full while a quarter or more are kept, then in proportion.
    let scaled = ruin.saturating_mul(4).saturating_mul(stats.ruins_kept) / stats.ruins;
    scaled.clamp(ruin / 10, ruin)
}

/// Ruins made at the full chance before their success rate adjusts it.
const RUINS_BEFORE_ADAPTING: u64 = 32;

/// Improves `start` within the budgets and returns the best plan seen.
pub fn improve<R: Rules>(
    model: &Model<'_>,
    candidates: &Candidates,
    start: State,
    evals: &mut Evaluations<'_, R>,
    rng: &mut Pcg32,
) -> Result<(State, Stats), Error> {
    let settings = &model.settings;
    let mut stats = Stats {
        work: SearchWork {
            pairs: u64::from(model.need_indices().end)
                .saturating_mul(u64::from(model.tech_indices().end)),
            ..SearchWork::default()
        },
        ..Stats::default()
    };
    let mut best = start.clone();
    let mut current = start;
    // (need, technician) taken off the plan -> the first step at which putting it back is
    // allowed.
    let mut tabu: BTreeMap<(NeedIx, TechIx), u64> = BTreeMap::new();
    let sent_before = evals.sent;
    let batch = settings.search_batch;
    let mut step = 0u64;
    // Moves priced since the last improving step (or the last way out).
    let mut idle = 0u64;
    let fuel_limit = fuel::search_limit(settings.fuel_budget);
    while stats.iterations < settings.iterations && evals.sent - sent_before < settings.evaluations
    {
        step += 1;
        let neighbourhood = Neighbourhood::of(model, candidates, &current);
        stats.work.scanned += neighbourhood.scanned;
        if let Some(limit) = fuel_limit {
            let spent = Estimate::of(evals, stats.work).max();
            let techs = u64::from(model.tech_indices().end.max(1));
            let shifts = neighbourhood.scanned / techs;
            let explaining = fuel::explanations(neighbourhood.open_candidates(candidates), shifts);
            if spent.saturating_add(explaining) >= limit {
                stats.fuel_stop = true;
                break;
            }
        }
        if settings.ruin > 0
            && neighbourhood.has_open()
            && (rng.below(10_000) as u64) < ruin_chance(settings.ruin, &stats)
        {
            let x = neighbourhood.pick_open_need(rng);
            stats.iterations += 1;
            stats.ruins += 1;
            let outcome = crate::ruin::around(model, candidates, &mut current, evals, rng, x)?;
            // Its work besides the schedules it sends: the plan copied and scanned again.
            stats.work.moves += outcome.removed;
            stats.work.scanned += 2 * neighbourhood.scanned;
            if outcome.kept {
                stats.ruins_kept += 1;
                stats.accepted += 1;
            }
            if current.total < best.total {
                best = current.clone();
                stats.best_at = stats.iterations;
                idle = 0;
            }
            continue;
        }
        let mut moves = Vec::with_capacity(batch);
        for _ in 0..batch.saturating_mul(4) {
            if moves.len() == batch {
                break;
            }
            if let Some(m) = neighbourhood.draw(model, candidates, &current, rng) {
                moves.push(m);
            }
        }
        if moves.is_empty() {
            break;
        }
        evals.ensure(
            model,
            moves
                .iter()
                .flat_map(|m| m.change.techs.iter().map(|(t, s)| (*t, s.as_slice()))),
        )?;
        let drawn = moves.len() as u64;
        let mut priced: Vec<(Move, Priced, Cost)> = Vec::with_capacity(moves.len());
        for m in moves {
            if stats.iterations >= settings.iterations {
                break;
            }
            stats.iterations += 1;
            stats.work.moves += 1;
            let Some(p) = current.price(model, evals, &m.change)? else {
                stats.inadmissible += 1;
                continue;
            };
            let cost = current.total + p.delta;
            if is_tabu(&tabu, &current, &m, step) && cost >= best.total {
                stats.tabu += 1;
                continue;
            }
            priced.push((m, p, cost));
        }
        // The best move of the sample (the first drawn on a tie).
        let Some(chosen) = (0..priced.len()).min_by_key(|&i| priced[i].2) else {
            idle += drawn;
            continue;
        };
        let improving = priced[chosen].2 < current.total;
        if improving {
            idle = 0;
        } else {
            idle += drawn;
            // While the plan breaks a hard rule, a move that keeps its hard points and
            // costs only soft ones is taken at once: the soft score (cover, mostly) must
            // not pin a plan that is not yet legal to the first arrangement it found.
            let sideways = current.total.hard > 0 && priced[chosen].2.hard == current.total.hard;
            if priced[chosen].2 > current.total && !sideways {
                let patience = (u128::from(neighbourhood.size) * u128::from(settings.patience)
                    / 10_000)
                    .max(1);
                if u128::from(idle) < patience {
                    continue;
                }
                // Probably a local optimum: take the least bad move out of it.
                idle = 0;
            }
        }
        let (m, p, _) = priced.remove(chosen);
        stats.traded += u64::from(p.adds_hard);
        let mut changed: Vec<TechIx> = m.change.techs.iter().map(|(t, _)| *t).collect();
        make(&mut current, &mut tabu, model, m, &p, step, settings.tenure);
        stats.accepted += 1;
        if improving {
            // The sample's other improving moves on untouched technicians, re-priced on
            // the plan as it now is (their evaluations are still those of their schedules).
            for (m, _, _) in priced {
                if m.change.techs.iter().any(|(t, _)| changed.contains(t)) {
                    continue;
                }
                let Some(p) = current.price(model, evals, &m.change)? else {
                    continue;
                };
                if p.delta < Cost::ZERO && !is_tabu(&tabu, &current, &m, step) {
                    stats.traded += u64::from(p.adds_hard);
                    changed.extend(m.change.techs.iter().map(|(t, _)| *t));
                    make(&mut current, &mut tabu, model, m, &p, step, settings.tenure);
                    stats.accepted += 1;
                }
            }
        }
        // Forget expired entries now and then, so the map stays as small as the tenure.
        if step.is_multiple_of(64) {
            tabu.retain(|_, &mut u| u > step);
        }
        if current.total < best.total {
            best = current.clone();
            stats.best_at = stats.iterations;
        }
    }
    Ok((best, stats))
}

//! The local search's neighbourhood, drawn at random from the current plan. Every move
//! touches one or two technicians and only movable assignments (never a pinned or
//! confirmed one), and only proposes candidates from [`Candidates`] who are free at the
//! need's time, so the rules are asked only about plausible schedules.
//!
//! | move | what changes | weight |
//! | --- | --- | --- |
//! | reassign | a place goes from its technician to another candidate | 4 |
//! | swap | two technicians exchange their places on two needs | 3 |
//! | fill | an open place gets a free candidate | 2 |
//! | transfer | a candidate leaves the overlapping places they hold for an open place | 2 |
//! | relocate | a candidate leaves one of their places (and any overlapping ones) for an open place, e.g. when both would exceed a daily limit | 2 |
//! | change | a technician leaves one of their places for another need with room (another day, another shift type) | 3, while some schedule has hard points |
//! | block swap | two technicians exchange everything they work over a span of one to five days | 2, idem |
//! | unassign | a place is emptied (or extra crew taken off) | 1 |
//! | extra | a need staffed to `min-crew` gets one more free candidate, up to `max-crew`, at its `extra-penalty` | 1 |
//! | add | a technician whose schedule breaks a hard rule takes a need with room | 2, idem |
//!
//! The weights (out of those kinds possible in the current plan) favour moves that keep the
//! cover, since emptying a place is rarely right; fill and transfer exist only while a place
//! is open, extra only while a need at `min-crew` has room below `max-crew` (over-staffing
//! pays when it gives work to someone short of a minimum, or relieves a rule elsewhere).
//!
//! **Focus on hard points.** While some technicians' schedules break a hard rule, half of
//! the moves start from one of them (the place they leave, swap or hand over), and `add`
//! offers them more work: a sampled neighbourhood otherwise spends almost every draw on
//! places far from the few schedules that keep the plan illegal. Change and block swap are
//! the moves rostering needs: a person's week keeps its length while a shift moves to
//! another day, and two people trade runs of days whole, which no sequence of single
//! reassignments does without breaking a minimum run or a weekend limit on the way. They
//! are drawn only while some schedule has hard points: on plans without any (the default
//! rules' plans are legal from the construction on) they took a third of each sample
//! from the moves that pay there, and the touring month's objective rose from 1509 to
//! 1521 at the same budget.

use alloc::vec;
use alloc::vec::Vec;

use crate::candidates::Candidates;
use crate::model::{Model, NeedIx, Shift, TechIx, overlaps};
use crate::rng::Pcg32;
use crate::state::{Change, State, with_shift, without};

/// Random picks per move before giving up on it.
const TRIES: usize = 4;

/// The kinds of move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Reassign,
    Swap,
    Fill,
    Transfer,
    Relocate,
    Unassign,
    Extra,
    Change,
    BlockSwap,
    Add,
}

/// A day, the unit of a block swap's span.
const DAY: i64 = 24 * 3600;

/// The longest span of a block swap, in days.
const BLOCK_DAYS: usize = 5;

/// A drawn move.
#[derive(Debug, Clone, PartialEq)]
pub struct Move {
    pub kind: Kind,
    pub change: Change,
}

/// What the moves are drawn from, taken once per batch.
#[derive(Debug, Clone, Default)]
pub struct Neighbourhood {
    /// Every movable (need, technician) of the plan.
    movable: Vec<(NeedIx, TechIx)>,
    /// Needs with an open place and at least one candidate.
    open: Vec<NeedIx>,
    /// Needs at `min-crew` or above with room below `max-crew` and at least one candidate.
    extra: Vec<NeedIx>,
    /// Technicians whose schedule has hard points, the moves' focus.
    focus: Vec<TechIx>,
    /// About how many distinct moves there are: a candidate per movable place (reassign)
    /// and per open place (fill), the scale the search's patience is measured on.
    pub size: u64,
    /// Needs and assignments looked at to take it (the work it cost, for the fuel
    /// estimate).
    pub scanned: u64,
}

impl Neighbourhood {
    /// The neighbourhood of a plan.
    pub fn of(model: &Model<'_>, candidates: &Candidates, state: &State) -> Neighbourhood {
        let mut movable = Vec::new();
        for t in model.tech_indices() {
            for s in state.shifts[t as usize].iter().filter(|s| s.movable()) {
                movable.push((s.need, t));
            }
        }
        movable.sort_unstable();
        let open: Vec<NeedIx> = model
            .need_indices()
            .filter(|&n| state.open(model, n) > 0 && !candidates.of[n as usize].is_empty())
            .collect();
        let extra: Vec<NeedIx> = model
            .need_indices()
            .filter(|&n| {
                state.open(model, n) == 0
                    && state.room(model, n) > 0
                    && !candidates.of[n as usize].is_empty()
            })
            .collect();
        let size = movable
            .iter()
            .map(|(n, _)| *n)
            .chain(open.iter().copied())
            .chain(extra.iter().copied())
            .map(|n| candidates.of[n as usize].len() as u64)
            .sum();
        let focus: Vec<TechIx> = model
            .tech_indices()
            .filter(|&t| state.rules[t as usize].hard > 0)
            .collect();
        let scanned = movable.len() as u64
            + u64::from(model.need_indices().end)
            + u64::from(model.tech_indices().end);
        Neighbourhood {
            movable,
            open,
            extra,
            focus,
            size,
            scanned,
        }
    }

    /// Candidates of the needs with an open place: about how many schedules explaining
    /// them would evaluate.
    pub fn open_candidates(&self, candidates: &Candidates) -> u64 {
        self.open
            .iter()
            .map(|&n| candidates.of[n as usize].len() as u64)
            .sum()
    }

    /// Draws one move, or none when the picks found nothing possible.
    pub fn draw(
        &self,
        model: &Model<'_>,
        candidates: &Candidates,
        state: &State,
        rng: &mut Pcg32,
    ) -> Option<Move> {
        let has_movable = !self.movable.is_empty();
        let has_open = !self.open.is_empty();
        let has_focus = !self.focus.is_empty();
        let kinds = [
            (Kind::Reassign, 4, has_movable),
            (Kind::Swap, 3, has_movable),
            (Kind::Fill, 2, has_open),
            (Kind::Transfer, 2, has_open),
            (Kind::Relocate, 2, has_open && has_movable),
            (Kind::Unassign, 1, has_movable),
            (Kind::Extra, 1, !self.extra.is_empty()),
            (Kind::Change, 3, has_movable && has_focus),
            (Kind::BlockSwap, 2, has_movable && has_focus),
            (Kind::Add, 2, has_focus),
        ];
        let total: usize = kinds.iter().filter(|k| k.2).map(|k| k.1).sum();
        if total == 0 {
            return None;
        }
        let mut pick = rng.below(total);
        let kind = kinds
            .iter()
            .filter(|k| k.2)
            .find(|k| {
                if pick < k.1 {
                    true
                } else {
                    pick -= k.1;
                    false
                }
            })?
            .0;
        let ctx = Draw {
            model,
            candidates,
            state,
        };
        let focused = has_focus && rng.below(2) == 0;
        let change = (0..TRIES).find_map(|_| match kind {
            Kind::Reassign => ctx.reassign(self.pick_movable(state, focused, rng), rng),
            Kind::Swap => ctx.swap(self.pick_movable(state, focused, rng), rng),
            Kind::Fill => ctx.fill(self.pick_open(rng), rng),
            Kind::Transfer => ctx.transfer(self.pick_open(rng), rng),
            Kind::Relocate => ctx.relocate(self.pick_open(rng), rng),
            Kind::Unassign => ctx.unassign(self.pick_movable(state, focused, rng)),
            Kind::Extra => ctx.extra(self.pick_extra(rng), rng),
            Kind::Change => ctx.change(self.pick_movable(state, focused, rng), rng),
            Kind::BlockSwap => ctx.block_swap(self.pick_movable(state, focused, rng), rng),
            Kind::Add => ctx.add(self.pick_focus(rng), rng),
        })?;
        Some(Move { kind, change })
    }

    /// A movable (need, technician) of the plan; with `focused`, one held by a technician
    /// whose schedule has hard points (any of the plan's when they hold none).
    fn pick_movable(
        &self,
        state: &State,
        focused: bool,
        rng: &mut Pcg32,
    ) -> Option<(NeedIx, TechIx)> {
        if focused && let Some(t) = self.pick_focus(rng) {
            let theirs: Vec<NeedIx> = state.shifts[t as usize]
                .iter()
                .filter(|s| s.movable())
                .map(|s| s.need)
                .collect();
            if let Some(&n) = theirs.get(rng.below(theirs.len())) {
                return Some((n, t));
            }
        }
        self.movable.get(rng.below(self.movable.len())).copied()
    }

    fn pick_focus(&self, rng: &mut Pcg32) -> Option<TechIx> {
        self.focus.get(rng.below(self.focus.len())).copied()
    }

    /// Whether some need has an open place and a candidate.
    pub fn has_open(&self) -> bool {
        !self.open.is_empty()
    }

    /// A random need with an open place and a candidate (`has_open` must hold).
    pub fn pick_open_need(&self, rng: &mut Pcg32) -> NeedIx {
        self.open[rng
            .below(self.open.len())
            .min(self.open.len().saturating_sub(1))]
    }

    fn pick_open(&self, rng: &mut Pcg32) -> Option<NeedIx> {
        self.open.get(rng.below(self.open.len())).copied()
    }

    fn pick_extra(&self, rng: &mut Pcg32) -> Option<NeedIx> {
        self.extra.get(rng.below(self.extra.len())).copied()
    }
}

/// The plan moves are drawn from.
struct Draw<'a, 'p> {
    model: &'a Model<'p>,
    candidates: &'a Candidates,
    state: &'a State,
}

impl Draw<'_, '_> {
    fn shifts(&self, t: TechIx) -> &[crate::model::Shift] {
        &self.state.shifts[t as usize]
    }

    /// A random candidate of `n`, other than `not`.
    fn candidate(&self, n: NeedIx, not: TechIx, rng: &mut Pcg32) -> Option<TechIx> {
        let list = &self.candidates.of[n as usize];
        let t = *list.get(rng.below(list.len()))?;
        (t != not).then_some(t)
    }

    fn reassign(&self, at: Option<(NeedIx, TechIx)>, rng: &mut Pcg32) -> Option<Change> {
        let (n, from) = at?;
        let to = self.candidate(n, from, rng)?;
        if !self.state.can_take(self.model, to, n, &[]) {
            return None;
        }
        Some(Change {
            techs: vec![
                (from, without(self.shifts(from), &[n])),
                (to, with_shift(self.shifts(to), self.model.shift_for(n, to))),
            ],
        })
    }

    fn swap(&self, at: Option<(NeedIx, TechIx)>, rng: &mut Pcg32) -> Option<Change> {
        let (n1, t1) = at?;
        let t2 = self.candidate(n1, t1, rng)?;
        let theirs: Vec<NeedIx> = self
            .shifts(t2)
            .iter()
            .filter(|s| s.movable() && s.need != n1)
            .map(|s| s.need)
            .collect();
        let n2 = *theirs.get(rng.below(theirs.len()))?;
        if !self.candidates.contains(n2, t1)
            || !self.state.can_take(self.model, t1, n2, &[n1])
            || !self.state.can_take(self.model, t2, n1, &[n2])
        {
            return None;
        }
        Some(Change {
            techs: vec![
                (
                    t1,
                    with_shift(
                        &without(self.shifts(t1), &[n1]),
                        self.model.shift_for(n2, t1),
                    ),
                ),
                (
                    t2,
                    with_shift(
                        &without(self.shifts(t2), &[n2]),
                        self.model.shift_for(n1, t2),
                    ),
                ),
            ],
        })
    }

    fn fill(&self, n: Option<NeedIx>, rng: &mut Pcg32) -> Option<Change> {
        let n = n?;
        let t = self.candidate(n, TechIx::MAX, rng)?;
        if self.state.open(self.model, n) == 0 || !self.state.can_take(self.model, t, n, &[]) {
            return None;
        }
        Some(Change {
            techs: vec![(t, with_shift(self.shifts(t), self.model.shift_for(n, t)))],
        })
    }

    fn transfer(&self, n: Option<NeedIx>, rng: &mut Pcg32) -> Option<Change> {
        let n = n?;
        let t = self.candidate(n, TechIx::MAX, rng)?;
        if self.state.open(self.model, n) == 0 || self.state.on(t, n) {
            return None;
        }
        let shift = self.model.shift_for(n, t);
        let clashes: Vec<_> = self.state.clashes(t, &shift.window, &[]).collect();
        if clashes.is_empty() || clashes.iter().any(|s| !s.movable()) {
            return None;
        }
        let left: Vec<NeedIx> = clashes.iter().map(|s| s.need).collect();
        Some(Change {
            techs: vec![(t, with_shift(&without(self.shifts(t), &left), shift))],
        })
    }

    fn relocate(&self, n: Option<NeedIx>, rng: &mut Pcg32) -> Option<Change> {
        let n = n?;
        let t = self.candidate(n, TechIx::MAX, rng)?;
        if self.state.open(self.model, n) == 0 || self.state.on(t, n) {
            return None;
        }
        let theirs: Vec<NeedIx> = self
            .shifts(t)
            .iter()
            .filter(|s| s.movable())
            .map(|s| s.need)
            .collect();
        let dropped = *theirs.get(rng.below(theirs.len()))?;
        let shift = self.model.shift_for(n, t);
        let mut left = vec![dropped];
        for s in self.state.clashes(t, &shift.window, &[dropped]) {
            if !s.movable() {
                return None;
            }
            left.push(s.need);
        }
        Some(Change {
            techs: vec![(t, with_shift(&without(self.shifts(t), &left), shift))],
        })
    }

    /// One more person on a need with room above `min-crew`.
    fn extra(&self, n: Option<NeedIx>, rng: &mut Pcg32) -> Option<Change> {
        let n = n?;
        let t = self.candidate(n, TechIx::MAX, rng)?;
        if self.state.room(self.model, n) == 0 || !self.state.can_take(self.model, t, n, &[]) {
            return None;
        }
        Some(Change {
            techs: vec![(t, with_shift(self.shifts(t), self.model.shift_for(n, t)))],
        })
    }

    /// `t` leaves need `n1` for another of their needs with room.
    fn change(&self, at: Option<(NeedIx, TechIx)>, rng: &mut Pcg32) -> Option<Change> {
        let (n1, t) = at?;
        let theirs = &self.candidates.needs_of[t as usize];
        let n2 = *theirs.get(rng.below(theirs.len()))?;
        if n2 == n1
            || self.state.room(self.model, n2) == 0
            || !self.state.can_take(self.model, t, n2, &[n1])
        {
            return None;
        }
        Some(Change {
            techs: vec![(
                t,
                with_shift(&without(self.shifts(t), &[n1]), self.model.shift_for(n2, t)),
            )],
        })
    }

    /// `t1` and another candidate of `n1` exchange all they work over a span of days
    /// around `n1` (the places both hold stay as they are).
    fn block_swap(&self, at: Option<(NeedIx, TechIx)>, rng: &mut Pcg32) -> Option<Change> {
        let (n1, t1) = at?;
        let t2 = self.candidate(n1, t1, rng)?;
        let days = 1 + rng.below(BLOCK_DAYS) as i64;
        let start = self.model.need(n1).window.start - DAY * rng.below(days as usize) as i64;
        let (from, to) = (start, start.saturating_add(DAY * days));
        let within = |t: TechIx| -> Option<Vec<NeedIx>> {
            let mut out = Vec::new();
            for s in self.shifts(t) {
                if (from..to).contains(&s.window.start) {
                    if !s.movable() {
                        return None;
                    }
                    out.push(s.need);
                }
            }
            Some(out)
        };
        let (held1, held2) = (within(t1)?, within(t2)?);
        let give1: Vec<NeedIx> = held1
            .iter()
            .copied()
            .filter(|n| !held2.contains(n))
            .collect();
        let give2: Vec<NeedIx> = held2
            .iter()
            .copied()
            .filter(|n| !held1.contains(n))
            .collect();
        if give1.is_empty() && give2.is_empty() {
            return None;
        }
        let receive = |t: TechIx, left: &[NeedIx], taken: &[NeedIx]| -> Option<Vec<Shift>> {
            let mut shifts = without(self.shifts(t), left);
            for &n in taken {
                let shift = self.model.shift_for(n, t);
                if !self.candidates.contains(n, t)
                    || shifts.iter().any(|s| overlaps(&s.window, &shift.window))
                {
                    return None;
                }
                shifts = with_shift(&shifts, shift);
            }
            Some(shifts)
        };
        Some(Change {
            techs: vec![
                (t1, receive(t1, &give1, &give2)?),
                (t2, receive(t2, &give2, &give1)?),
            ],
        })
    }

    /// `t` (whose schedule has hard points) takes one of their needs with room.
    fn add(&self, t: Option<TechIx>, rng: &mut Pcg32) -> Option<Change> {
        let t = t?;
        let theirs = &self.candidates.needs_of[t as usize];
        let n = *theirs.get(rng.below(theirs.len()))?;
        if self.state.room(self.model, n) == 0 || !self.state.can_take(self.model, t, n, &[]) {
            return None;
        }
        Some(Change {
            techs: vec![(t, with_shift(self.shifts(t), self.model.shift_for(n, t)))],
        })
    }

    fn unassign(&self, at: Option<(NeedIx, TechIx)>) -> Option<Change> {
        let (n, t) = at?;
        Some(Change {
            techs: vec![(t, without(self.shifts(t), &[n]))],
        })
    }
}

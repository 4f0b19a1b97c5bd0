//! The plan being built: every technician's schedule, every need's crew, and the cached
//! terms of the objective, kept up to date incrementally.
//!
//! A [`Change`] replaces the schedules of one or two technicians. [`State::price`] prices it
//! from the cached scores of the new schedules (evaluated beforehand, in a batch) and the
//! few terms it touches: the changed technicians' own terms, the needs whose crew changes,
//! the pairs of related technicians involving them, and the room bookings of missions that
//! become staffed or unstaffed.
//!
//! Hard points are priced like any other term, in the lexicographic [`Cost`]: the search
//! compares whole plans, hard first, so a change that gives one technician a hard point
//! while taking more from others (or from the cover) improves the plan. [`Priced::adds_hard`]
//! still says whether any single part (a schedule, a pair, the rooms, a need's cover) gains
//! hard points, for the greedy construction and its explanations, which never give a
//! candidate a hard violation. Only a change that puts more people on a need than the
//! assigner may fill is inadmissible.

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use crate::error::Error;
use crate::evaluator::{Evaluations, Rules};
use crate::model::{MissionIx, Model, NeedIx, Shift, TechIx, overlaps};
use crate::objective::{self, Cost};

/// New schedules for some technicians (each sorted by [`Shift::order_key`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Change {
    pub techs: Vec<(TechIx, Vec<Shift>)>,
}

impl Change {
    /// Whether it touches technician `t`.
    pub fn touches(&self, t: TechIx) -> bool {
        self.techs.iter().any(|(x, _)| *x == t)
    }
}

/// A priced, admissible change.
#[derive(Debug, Clone, PartialEq)]
pub struct Priced {
    /// Change of the objective.
    pub delta: Cost,
    /// Whether some part of the plan gains hard points (a changed schedule, a pair of
    /// related technicians, the rooms, a need's cover), even if others lose more.
    pub adds_hard: bool,
    /// The rules' score of each new schedule, in the change's order.
    rules: Vec<Cost>,
}

/// The plan and its objective.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// Per technician, the schedule, sorted.
    pub shifts: Vec<Vec<Shift>>,
    /// Per need, the technicians on it (fixed and movable), sorted.
    pub crew: Vec<Vec<TechIx>>,
    /// Per need, the movable assignments on it.
    pub movable: Vec<u32>,
    /// Per mission, the assignments on its needs.
    pub mission_crew: Vec<u32>,
    /// Per technician, the rules' score of the schedule.
    pub rules: Vec<Cost>,
    /// Per technician, the assigner's own terms.
    pub own: Vec<i64>,
    /// The objective.
    pub total: Cost,
}

/// `shifts` with `shift` inserted in order.
pub fn with_shift(shifts: &[Shift], shift: Shift) -> Vec<Shift> {
    let mut out = Vec::with_capacity(shifts.len() + 1);
    out.extend_from_slice(shifts);
    let at = out.partition_point(|s| s.order_key() < shift.order_key());
    out.insert(at, shift);
    out
}

/// `shifts` without those on the given needs.
pub fn without(shifts: &[Shift], needs: &[NeedIx]) -> Vec<Shift> {
    shifts
        .iter()
        .filter(|s| !needs.contains(&s.need))
        .copied()
        .collect()
}

impl State {
    /// The plan with the fixed assignments only; evaluates every technician's schedule
    /// (those without work included: not working can break a rule too).
    pub fn initial<R: Rules>(
        model: &Model<'_>,
        evals: &mut Evaluations<'_, R>,
    ) -> Result<State, Error> {
        let shifts = model.fixed_shifts.clone();
        evals.ensure(
            model,
            model
                .tech_indices()
                .map(|t| (t, shifts[t as usize].as_slice())),
        )?;
        let mut rules = Vec::with_capacity(shifts.len());
        let mut own = Vec::with_capacity(shifts.len());
        for t in model.tech_indices() {
            let s = &shifts[t as usize];
            rules.push(Cost::from(evals.score(t, s).ok_or_else(|| {
                Error::Internal(format!("no evaluation of technician {t}'s fixed work"))
            })?));
            own.push(objective::own(model, t, s));
        }
        let mut crew = vec![Vec::new(); model.needs.len()];
        let mut mission_crew = vec![0u32; model.problem.missions.len()];
        for t in model.tech_indices() {
            for s in &shifts[t as usize] {
                crew[s.need as usize].push(t);
                mission_crew[model.mission_of(s.need) as usize] += 1;
            }
        }
        for c in &mut crew {
            c.sort_unstable();
        }
        let mut state = State {
            shifts,
            crew,
            movable: vec![0; model.needs.len()],
            mission_crew,
            rules,
            own,
            total: Cost::ZERO,
        };
        state.total = state.recompute(model);
        Ok(state)
    }

    /// The objective computed from scratch over the whole plan (the cached rules scores
    /// included): what the incremental `total` must always equal.
    pub fn recompute(&self, model: &Model<'_>) -> Cost {
        let mut total = Cost::ZERO;
        for t in model.tech_indices() {
            total += self.rules[t as usize] + Cost::soft(self.own[t as usize]);
        }
        for n in model.need_indices() {
            total += objective::cover(model.need(n), self.crew[n as usize].len() as u32);
        }
        for &(a, b) in model.pairs.keys() {
            total += objective::pair(
                model,
                a,
                &self.shifts[a as usize],
                b,
                &self.shifts[b as usize],
            )
            .total();
        }
        let all: Vec<MissionIx> = (0..model.problem.missions.len() as MissionIx).collect();
        total += Cost::hard(objective::room_pairs(model, &all, |m| {
            self.mission_crew[m as usize] > 0
        }));
        total
    }

    /// Places of need `n` still open to the assigner (below `min-crew`).
    pub fn open(&self, model: &Model<'_>, n: NeedIx) -> u32 {
        model.needs[n as usize]
            .places
            .saturating_sub(self.movable[n as usize])
    }

    /// People the assigner may still add to need `n`, up to `max-crew`.
    pub fn room(&self, model: &Model<'_>, n: NeedIx) -> u32 {
        model.needs[n as usize]
            .capacity
            .saturating_sub(self.movable[n as usize])
    }

    /// Whether technician `t` is on need `n`.
    pub fn on(&self, t: TechIx, n: NeedIx) -> bool {
        self.crew[n as usize].binary_search(&t).is_ok()
    }

    /// The shifts of `t` overlapping `window`, ignoring those on the needs in `except`.
    pub fn clashes<'s>(
        &'s self,
        t: TechIx,
        window: &'s callsheet_plugin_sdk::types::Window,
        except: &'s [NeedIx],
    ) -> impl Iterator<Item = &'s Shift> + 's {
        self.shifts[t as usize]
            .iter()
            .filter(move |s| !except.contains(&s.need) && overlaps(&s.window, window))
    }

    /// Whether `t` could take need `n` once freed from the needs in `except`: not on it
    /// already and working nothing overlapping. (The rules decide the rest.)
    pub fn can_take(&self, model: &Model<'_>, t: TechIx, n: NeedIx, except: &[NeedIx]) -> bool {
        let window = model.shift_for(n, t).window;
        (!self.on(t, n) || except.contains(&n)) && self.clashes(t, &window, except).next().is_none()
    }

    /// The schedule of `t` after `change`.
    fn after<'c>(&'c self, change: &'c Change, t: TechIx) -> &'c [Shift] {
        change
            .techs
            .iter()
            .find(|(x, _)| *x == t)
            .map_or(self.shifts[t as usize].as_slice(), |(_, s)| s.as_slice())
    }

    /// Prices a change whose new schedules have been evaluated. `Ok(None)` when it is
    /// inadmissible: it puts more people on a need than the assigner may fill there, or
    /// takes off more than it holds.
    pub fn price<R: Rules>(
        &self,
        model: &Model<'_>,
        evals: &Evaluations<'_, R>,
        change: &Change,
    ) -> Result<Option<Priced>, Error> {
        let mut delta = Cost::ZERO;
        let mut adds_hard = false;
        let mut rules = Vec::with_capacity(change.techs.len());
        let mut needs: Vec<(NeedIx, i64)> = Vec::new();
        for (t, new) in &change.techs {
            let old = &self.shifts[*t as usize];
            let score = Cost::from(evals.score(*t, new).ok_or_else(|| {
                Error::Internal(format!("a schedule of technician {t} was not evaluated"))
            })?);
            let before = self.rules[*t as usize];
            adds_hard |= score.hard > before.hard;
            delta += score - before;
            delta += Cost::soft(objective::own(model, *t, new) - self.own[*t as usize]);
            rules.push(score);
            for s in old.iter().filter(|s| s.movable()) {
                if !new.iter().any(|x| x.need == s.need) {
                    needs.push((s.need, -1));
                }
            }
            for s in new.iter().filter(|s| s.movable()) {
                if !old.iter().any(|x| x.need == s.need) {
                    needs.push((s.need, 1));
                }
            }
        }
        needs.sort_unstable();
        let mut merged: Vec<(NeedIx, i64)> = Vec::with_capacity(needs.len());
        for (n, k) in needs {
            match merged.last_mut() {
                Some((m, total)) if *m == n => *total += k,
                _ => merged.push((n, k)),
            }
        }

        let mut missions: Vec<(MissionIx, i64)> = Vec::new();
        for &(n, k) in merged.iter().filter(|(_, k)| *k != 0) {
            let movable = i64::from(self.movable[n as usize]) + k;
            if movable < 0 || movable > i64::from(model.needs[n as usize].capacity) {
                return Ok(None);
            }
            let before = self.crew[n as usize].len() as i64;
            let need = model.need(n);
            // Counts are small and non-negative (checked above), so they fit.
            let after = objective::cover(need, (before + k) as u32);
            let was = objective::cover(need, before as u32);
            adds_hard |= after.hard > was.hard;
            delta += after - was;
            missions.push((model.mission_of(n), k));
        }

        missions.sort_unstable();
        let mut flipped: Vec<MissionIx> = Vec::new();
        let mut crew_after: Vec<(MissionIx, i64)> = Vec::new();
        for (m, k) in missions {
            match crew_after.last_mut() {
                Some((x, c)) if *x == m => *c += k,
                _ => crew_after.push((m, i64::from(self.mission_crew[m as usize]) + k)),
            }
        }
        for &(m, c) in &crew_after {
            if (c > 0) != (self.mission_crew[m as usize] > 0) {
                flipped.push(m);
            }
        }
        if !flipped.is_empty() {
            let staffed_after = |m: MissionIx| match crew_after.binary_search_by_key(&m, |x| x.0) {
                Ok(i) => crew_after[i].1 > 0,
                Err(_) => self.mission_crew[m as usize] > 0,
            };
            let before =
                objective::room_pairs(model, &flipped, |m| self.mission_crew[m as usize] > 0);
            let after = objective::room_pairs(model, &flipped, staffed_after);
            adds_hard |= after > before;
            delta += Cost::hard(after - before);
        }

        let mut touched: Vec<(TechIx, TechIx)> = Vec::new();
        for (t, _) in &change.techs {
            for &b in &model.related[*t as usize] {
                touched.push(((*t).min(b), (*t).max(b)));
            }
        }
        touched.sort_unstable();
        touched.dedup();
        for (a, b) in touched {
            let was = objective::pair(
                model,
                a,
                &self.shifts[a as usize],
                b,
                &self.shifts[b as usize],
            );
            let now = objective::pair(model, a, self.after(change, a), b, self.after(change, b));
            adds_hard |= now.rules.hard > was.rules.hard;
            delta += now.total() - was.total();
        }
        Ok(Some(Priced {
            delta,
            adds_hard,
            rules,
        }))
    }

    /// Applies a change priced by [`State::price`] on this very state.
    pub fn apply(&mut self, model: &Model<'_>, change: Change, priced: &Priced) {
        for ((t, new), score) in change.techs.into_iter().zip(&priced.rules) {
            let ti = t as usize;
            for s in self.shifts[ti].iter().filter(|s| s.movable()) {
                if !new.iter().any(|x| x.need == s.need) {
                    let n = s.need as usize;
                    if let Ok(i) = self.crew[n].binary_search(&t) {
                        self.crew[n].remove(i);
                    }
                    self.movable[n] = self.movable[n].saturating_sub(1);
                    let m = model.mission_of(s.need) as usize;
                    self.mission_crew[m] = self.mission_crew[m].saturating_sub(1);
                }
            }
            for s in new.iter().filter(|s| s.movable()) {
                if !self.shifts[ti].iter().any(|x| x.need == s.need) {
                    let n = s.need as usize;
                    if let Err(i) = self.crew[n].binary_search(&t) {
                        self.crew[n].insert(i, t);
                    }
                    self.movable[n] += 1;
                    self.mission_crew[model.mission_of(s.need) as usize] += 1;
                }
            }
            self.own[ti] = objective::own(model, t, &new);
            self.rules[ti] = *score;
            self.shifts[ti] = new;
        }
        self.total += priced.delta;
    }
}

//! The seam between the search and the tenant's rules: the [`Rules`] trait (the host's
//! `tenant-rules` import in the wasm component, the default rules plugin's evaluator in
//! native tests), and [`Evaluations`], which batches requests, splits them under the host's
//! size limit, caches scores and counts what was sent.
//!
//! Besides its score, each cached answer keeps its hard points by rule ([`Hard`]): a sum
//! can hide a new violation behind a smaller one it cures (a shift on a day off, or on one
//! weekend too many, lowers a shortfall of working time by more than it adds), and the
//! construction asks whether any single rule gets worse ([`Evaluations::gains_a_rule`]).
//!
//! Caching is sound because the contract makes every evaluation a pure function of
//! (problem, parameters, schedule): the same schedule always scores the same, so asking
//! twice only costs fuel. The cache is keyed by technician and the schedule's shift codes,
//! in the schedule's canonical order.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::vec::Vec;

use callsheet_plugin_sdk::types::{
    Plan, PlanEvaluation, PluginError, Schedule, ScheduleEvaluation, Score, Severity,
};

use crate::error::Error;
use crate::model::{Model, Shift, TechIx};

/// The tenant's rules, as the assigner calls them.
pub trait Rules {
    /// One evaluation per schedule, in order (`tenant-rules.evaluate-schedules`).
    fn evaluate_schedules(
        &mut self,
        schedules: &[Schedule],
    ) -> Result<Vec<ScheduleEvaluation>, PluginError>;

    /// The whole plan (`tenant-rules.evaluate-plan`).
    fn evaluate_plan(&mut self, plan: &Plan) -> Result<PlanEvaluation, PluginError>;
}

/// A schedule's identity in the cache: technician and shift codes in canonical order.
type Key = (TechIx, Vec<u32>);

/// Past this many cached scores the cache starts again empty (deterministically, since the
/// sequence of requests is), bounding the guest's memory on long searches: about 10-20 MB
/// at most, well under the host's default 128 MiB cap.
const CACHE_LIMIT: usize = 100_000;

/// A schedule's hard points by rule: (rule, points), sorted by rule, the rules numbered in
/// the order the run first met them.
type Hard = Vec<(u16, i64)>;

/// What the cache keeps of an answer.
#[derive(Debug, Clone)]
struct Answer {
    score: Score,
    hard: Hard,
}

/// Batched, cached evaluation of schedules, with counters for `plan-stats`.
#[derive(Debug)]
pub struct Evaluations<'r, R: Rules> {
    rules: &'r mut R,
    batch: usize,
    cache: BTreeMap<Key, Answer>,
    /// Hard rule ids met so far, numbered for [`Hard`].
    rule_ids: BTreeMap<alloc::string::String, u16>,
    /// `tenant-rules` calls made.
    pub calls: u64,
    /// Schedules sent.
    pub sent: u64,
    /// Shifts of the schedules sent (what the rules' work grows with).
    pub shifts_sent: u64,
    /// Requests answered from the cache.
    pub hits: u64,
    /// Shifts of the schedules answered from the cache (a hit still builds and compares
    /// its key: on long searches of small plans, most of the assigner's work).
    pub hit_shifts: u64,
}

fn key(t: TechIx, shifts: &[Shift]) -> Key {
    (t, shifts.iter().map(|s| s.code).collect())
}

impl<'r, R: Rules> Evaluations<'r, R> {
    /// Wraps the rules; `batch` is the most schedules per call.
    pub fn new(rules: &'r mut R, batch: usize) -> Self {
        Evaluations {
            rules,
            batch: batch.max(1),
            cache: BTreeMap::new(),
            rule_ids: BTreeMap::new(),
            calls: 0,
            sent: 0,
            shifts_sent: 0,
            hits: 0,
            hit_shifts: 0,
        }
    }

    /// The cached score of a schedule (shifts in canonical order), if evaluated.
    pub fn score(&self, t: TechIx, shifts: &[Shift]) -> Option<Score> {
        self.cache.get(&key(t, shifts)).map(|a| a.score)
    }

    /// Whether the schedule `after` of `t` has more hard points than `before` under some
    /// rule; `None` unless both are cached.
    pub fn gains_a_rule(&self, t: TechIx, before: &[Shift], after: &[Shift]) -> Option<bool> {
        let before = &self.cache.get(&key(t, before))?.hard;
        let after = &self.cache.get(&key(t, after))?.hard;
        Some(after.iter().any(|(rule, points)| {
            let was = before
                .binary_search_by_key(rule, |x| x.0)
                .map_or(0, |i| before[i].1);
            *points > was
        }))
    }

    /// What the cache keeps of an answer: its score and its hard points by rule.
    fn answer(&mut self, evaluation: &ScheduleEvaluation) -> Answer {
        let mut hard: Hard = Vec::new();
        for v in evaluation
            .violations
            .iter()
            .filter(|v| v.severity == Severity::Hard)
        {
            let next = u16::try_from(self.rule_ids.len()).unwrap_or(u16::MAX);
            let rule = *self.rule_ids.entry(v.rule_id.clone()).or_insert(next);
            match hard.binary_search_by_key(&rule, |x| x.0) {
                Ok(i) => hard[i].1 = hard[i].1.saturating_add(v.penalty),
                Err(i) => hard.insert(i, (rule, v.penalty)),
            }
        }
        Answer {
            score: evaluation.score,
            hard,
        }
    }

    /// Makes sure every requested schedule has a cached score, sending the missing ones
    /// (each once) in as few calls as the batch size allows.
    pub fn ensure<'a>(
        &mut self,
        model: &Model<'_>,
        requests: impl IntoIterator<Item = (TechIx, &'a [Shift])>,
    ) -> Result<(), Error> {
        let requests: Vec<(TechIx, &[Shift])> = requests.into_iter().collect();
        if self.cache.len().saturating_add(requests.len()) > CACHE_LIMIT {
            self.cache.clear();
        }
        // The schedules themselves (ids as strings) are built one call's worth at a time:
        // kept for every missing request at once, they were most of the guest's memory on
        // a large problem.
        let mut queued = BTreeSet::new();
        let mut missing = Vec::new();
        for (t, shifts) in requests {
            let k = key(t, shifts);
            if self.cache.contains_key(&k) || queued.contains(&k) {
                self.hits += 1;
                self.hit_shifts += shifts.len() as u64;
                continue;
            }
            queued.insert(k);
            missing.push((t, shifts));
        }
        drop(queued);
        for chunk in missing.chunks(self.batch) {
            let schedules: Vec<Schedule> = chunk
                .iter()
                .map(|&(t, shifts)| model.schedule(t, shifts))
                .collect();
            let answers = self.call(&schedules)?;
            for (&(t, shifts), answer) in chunk.iter().zip(answers) {
                let kept = self.answer(&answer);
                self.cache.insert(key(t, shifts), kept);
            }
        }
        Ok(())
    }

    /// Full evaluations (violations included) of the given schedules, in order; their
    /// scores are cached too.
    pub fn evaluate(
        &mut self,
        model: &Model<'_>,
        requests: &[(TechIx, Vec<Shift>)],
    ) -> Result<Vec<ScheduleEvaluation>, Error> {
        let mut out = Vec::with_capacity(requests.len());
        for chunk in requests.chunks(self.batch) {
            let schedules: Vec<Schedule> =
                chunk.iter().map(|(t, s)| model.schedule(*t, s)).collect();
            let answers = self.call(&schedules)?;
            if self.cache.len().saturating_add(answers.len()) > CACHE_LIMIT {
                self.cache.clear();
            }
            for ((t, shifts), answer) in chunk.iter().zip(&answers) {
                let kept = self.answer(answer);
                self.cache.insert(key(*t, shifts), kept);
            }
            out.extend(answers);
        }
        Ok(out)
    }

    /// The whole plan, evaluated by the rules.
    pub fn plan(&mut self, plan: &Plan) -> Result<PlanEvaluation, Error> {
        self.calls += 1;
        self.rules.evaluate_plan(plan).map_err(Error::from_rules)
    }

    /// One `evaluate-schedules` call, its answer checked against the request.
    fn call(&mut self, schedules: &[Schedule]) -> Result<Vec<ScheduleEvaluation>, Error> {
        self.calls += 1;
        self.sent += schedules.len() as u64;
        self.shifts_sent += schedules.iter().map(|s| s.shifts.len() as u64).sum::<u64>();
        let answers = self
            .rules
            .evaluate_schedules(schedules)
            .map_err(Error::from_rules)?;
        if answers.len() != schedules.len() {
            return Err(Error::Rules(format!(
                "the tenant's rules answered {} evaluations for {} schedules",
                answers.len(),
                schedules.len()
            )));
        }
        for (s, a) in schedules.iter().zip(&answers) {
            if s.technician_id != a.technician_id {
                return Err(Error::Rules(format!(
                    "the tenant's rules answered for technician {} instead of {}",
                    a.technician_id, s.technician_id
                )));
            }
        }
        Ok(answers)
    }
}

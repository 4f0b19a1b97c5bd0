//! The MILP itself: variables, constraints and objective (see the parent module for what
//! each rule becomes), and the plan read back from CBC's solution.

use std::collections::{BTreeMap, BTreeSet};

use callsheet_runtime::types::{
    Assignment, AssignmentStatus, AvailabilityKind, Plan, Problem, RelationKind, RequestTarget,
    Severity, Technician, Value, Window,
};
use good_lp::solvers::coin_cbc::coin_cbc;
use good_lp::{
    Constraint, Expression, ProblemVariables, Solution, SolutionStatus, SolverModel, Variable,
    WithTimeLimit, variable,
};

use super::timeline::{Days, Week};
use super::{AssignerWeights, Options, Reference, cost_points, round_half_up};
use crate::error::{EngineError, Result};

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

/// The default rules plugin's parameters (its `describe()` defaults) that the model reads.
mod limits {
    pub const REST_DAILY: i64 = 11 * super::HOUR;
    pub const REST_DEROGATION: i64 = 9 * super::HOUR;
    pub const DEROGATIONS_PER_WEEK: f64 = 2.0;
    pub const DEROGATIONS_PER_7_DAYS: f64 = 3.0;
    pub const REST_WEEKLY: i64 = 35 * super::HOUR;
    pub const DAYS_PER_WEEK: f64 = 6.0;
    pub const DAILY_MAX: i64 = 10 * super::HOUR;
    pub const WEEKLY_MAX: i64 = 48 * super::HOUR;
    pub const BREAK_AFTER: i64 = 6 * super::HOUR;
    pub const BREAK_MIN: i64 = 20 * 60;
    pub const BREAK_WEIGHT: f64 = 10.0;
    pub const PREFERRED_WEIGHT: f64 = 5.0;
    pub const AVOIDED_VENUE_WEIGHT: f64 = 10.0;
    pub const MAX_WEEKLY_WEIGHT: f64 = 1.0;
}

fn overlaps(a: (i64, i64), b: (i64, i64)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// One period of a technician: a candidate or pinned assignment (a variable) or a past
/// shift (the constant 1).
#[derive(Debug, Clone)]
struct Period {
    start: i64,
    end: i64,
    var: Option<Variable>,
    /// Whether it is work of the horizon (a variable), which rules may blame.
    candidate: bool,
}

impl Period {
    fn val(&self) -> Expression {
        match self.var {
            Some(v) => v.into(),
            None => Expression::from(1.0),
        }
    }
}

/// The model under construction.
struct Builder<'p> {
    problem: &'p Problem,
    days: Days<'p>,
    vars: ProblemVariables,
    constraints: Vec<Constraint>,
    rules: Expression,
    assigner: Expression,
    /// x[(technician index, need index)].
    x: BTreeMap<(usize, usize), Variable>,
}

impl Builder<'_> {
    fn binary(&mut self) -> Variable {
        self.vars.add(variable().binary())
    }

    fn nonneg(&mut self) -> Variable {
        self.vars.add(variable().min(0))
    }

    fn int_nonneg(&mut self) -> Variable {
        self.vars.add(variable().integer().min(0))
    }

    fn push(&mut self, c: Constraint) {
        self.constraints.push(c);
    }
}

fn unavailable(t: &Technician, w: &Window) -> bool {
    t.availability.iter().any(|a| {
        a.kind == AvailabilityKind::Unavailable
            && overlaps((a.window.start, a.window.end), (w.start, w.end))
    })
}

fn daily_max(t: &Technician) -> i64 {
    t.overrides
        .iter()
        .find(|p| p.name == "work.daily.max")
        .and_then(|p| match p.value {
            Value::Int(v) => Some(v),
            _ => None,
        })
        .unwrap_or(limits::DAILY_MAX)
}

pub fn solve(problem: &Problem, options: &Options) -> Result<Reference> {
    let mut b = Builder {
        problem,
        days: Days::new(&problem.calendar),
        vars: ProblemVariables::new(),
        constraints: Vec::new(),
        rules: Expression::from(0.0),
        assigner: Expression::from(0.0),
        x: BTreeMap::new(),
    };
    let pinned = create_assignment_vars(&mut b);
    for ti in 0..problem.technicians.len() {
        technician_rules(&mut b, ti);
    }
    cover(&mut b);
    relations(&mut b, options.assigner.as_ref());
    rooms(&mut b);
    if let Some(w) = &options.assigner {
        assigner_shift_terms(&mut b, w);
    }

    let variables = b.x.len();
    let constraints = b.constraints.len();
    let objective = b.rules.clone() + b.assigner.clone();
    let mut model = b.vars.minimise(objective).using(coin_cbc);
    model.set_parameter("log", "0");
    model.set_parameter("logLevel", "0");
    let mut model = model.with_time_limit(options.time_limit.as_secs_f64().max(1.0));
    for c in b.constraints {
        model.add_constraint(c);
    }
    let solution = model
        .solve()
        .map_err(|e| EngineError::Solver(format!("{e}")))?;
    let bound = solution.model().best_possible_value();
    let proven_optimal = matches!(solution.status(), SolutionStatus::Optimal);
    let rules_soft = solution.eval(&b.rules).round() as i64;
    let assigner_terms = solution.eval(&b.assigner).round() as i64;

    let mut assignments: Vec<Assignment> = pinned;
    for (&(ti, ni), &v) in &b.x {
        let (t, n) = (&problem.technicians[ti], &problem.needs[ni]);
        let is_pinned = assignments
            .iter()
            .any(|a| a.technician_id == t.id && a.need_id == n.id);
        if solution.value(v) > 0.5 && !is_pinned {
            assignments.push(Assignment {
                id: None,
                need_id: n.id.clone(),
                technician_id: t.id.clone(),
                window: n.window,
                status: AssignmentStatus::Proposed,
                pinned: false,
            });
        }
    }
    assignments.sort_by(|a, b| (&a.need_id, &a.technician_id).cmp(&(&b.need_id, &b.technician_id)));
    Ok(Reference {
        plan: Plan { assignments },
        objective: rules_soft + assigner_terms,
        rules_soft,
        assigner_terms,
        bound,
        proven_optimal,
        variables,
        constraints,
        seconds: 0.0,
    })
}

/// x variables for every qualified, available, not declined pair, and the pins (fixed to
/// 1, whatever their qualification). Returns the pinned assignments, kept as given.
fn create_assignment_vars(b: &mut Builder<'_>) -> Vec<Assignment> {
    let p = b.problem;
    let tech_ix: BTreeMap<&str, usize> = index_by_id(&p.technicians, |x| &x.id);
    let need_ix: BTreeMap<&str, usize> = index_by_id(&p.needs, |x| &x.id);
    let mut declined: BTreeSet<(usize, usize)> = BTreeSet::new();
    let mut pins = Vec::new();
    for a in &p.assignments {
        let (Some(&ti), Some(&ni)) = (
            tech_ix.get(a.technician_id.as_str()),
            need_ix.get(a.need_id.as_str()),
        ) else {
            continue;
        };
        if a.status == AssignmentStatus::Declined {
            declined.insert((ti, ni));
        } else if a.pinned {
            let v = b.vars.add(variable().binary().min(1));
            b.x.insert((ti, ni), v);
            pins.push(a.clone());
        }
    }
    for (ti, t) in p.technicians.iter().enumerate() {
        let past: Vec<(i64, i64)> = p
            .history
            .iter()
            .filter(|h| h.technician_id == t.id)
            .map(|h| (h.window.start, h.window.end))
            .collect();
        for (ni, n) in p.needs.iter().enumerate() {
            let w = (n.window.start, n.window.end);
            if b.x.contains_key(&(ti, ni))
                || declined.contains(&(ti, ni))
                || !t.skills.contains(&n.skill)
                || unavailable(t, &n.window)
                || past.iter().any(|&h| overlaps(h, w))
            {
                continue;
            }
            let v = b.binary();
            b.x.insert((ti, ni), v);
        }
    }
    pins
}

/// Per-technician rules: overlap, daily and weekly hours, days per week, personal weekly
/// ceiling, breaks, daily and weekly rest, and the per-shift soft terms.
fn technician_rules(b: &mut Builder<'_>, ti: usize) {
    let p = b.problem;
    let t = &p.technicians[ti];
    let mut periods: Vec<Period> = p
        .history
        .iter()
        .filter(|h| h.technician_id == t.id)
        .map(|h| Period {
            start: h.window.start,
            end: h.window.end,
            var: None,
            candidate: false,
        })
        .collect();
    let mine: Vec<(usize, Variable)> =
        b.x.range((ti, 0)..(ti + 1, 0))
            .map(|(&(_, ni), &v)| (ni, v))
            .collect();
    for &(ni, v) in &mine {
        let w = p.needs[ni].window;
        periods.push(Period {
            start: w.start,
            end: w.end,
            var: Some(v),
            candidate: true,
        });
    }
    if mine.is_empty() {
        return;
    }
    periods.sort_by_key(|q| (q.start, q.end));

    shift_terms(b, t, &mine);
    one_at_a_time(b, &periods);
    hours(b, t, &periods);
    breaks(b, &periods);
    daily_rest(b, &periods);
    weekly_rest(b, &periods);
}

/// Soft terms of single shifts: preferred windows, avoided venues, requests.
fn shift_terms(b: &mut Builder<'_>, t: &Technician, mine: &[(usize, Variable)]) {
    let p = b.problem;
    let horizon = (p.horizon.start, p.horizon.end);
    let preferred: Vec<(i64, i64)> = t
        .availability
        .iter()
        .filter(|a| a.kind == AvailabilityKind::Preferred)
        .map(|a| (a.window.start, a.window.end))
        .collect();
    let has_preferred = preferred.iter().any(|&w| overlaps(w, horizon));
    for &(ni, v) in mine {
        let n = &p.needs[ni];
        let w = (n.window.start, n.window.end);
        if has_preferred && !preferred.iter().any(|&pw| overlaps(pw, w)) {
            b.rules.add_mul(limits::PREFERRED_WEIGHT, v);
        }
        if t.preferences.avoided_venues.contains(&n.venue_id) {
            b.rules.add_mul(limits::AVOIDED_VENUE_WEIGHT, v);
        }
    }
    let (h0, h1) = (
        b.days.day_of(p.horizon.start),
        b.days.day_of(p.horizon.end - 1),
    );
    for r in t.requests.iter().filter(|r| r.weight > 0) {
        let matching: Vec<Variable> = match &r.target {
            RequestTarget::Day(d) if (h0..=h1).contains(d) => mine
                .iter()
                .filter(|(ni, _)| b.days.day_of(p.needs[*ni].window.start) == *d)
                .map(|&(_, v)| v)
                .collect(),
            RequestTarget::Need(id) if p.needs.iter().any(|n| &n.id == id) => mine
                .iter()
                .filter(|(ni, _)| &p.needs[*ni].id == id)
                .map(|&(_, v)| v)
                .collect(),
            // Not modelled (the generator makes none): see the module docs.
            _ => continue,
        };
        let broken = b.nonneg();
        if r.wanted {
            // Broken when none of the matching shifts is worked.
            let worked: Expression = matching.iter().copied().sum();
            b.push((Expression::from(1.0) - worked).leq(broken));
        } else {
            for v in matching {
                b.push(Expression::from(v).leq(broken));
            }
        }
        b.rules.add_mul(r.weight as f64, broken);
    }
}

/// One shift at a time: at each start instant, the periods covering it sum to at most 1.
fn one_at_a_time(b: &mut Builder<'_>, periods: &[Period]) {
    for (i, q) in periods.iter().enumerate() {
        let covering: Vec<&Period> = periods
            .iter()
            .enumerate()
            .filter(|&(j, r)| j == i || (r.start <= q.start && q.start < r.end))
            .map(|(_, r)| r)
            .collect();
        if covering.len() > 1 && covering.iter().any(|r| r.candidate) {
            let sum: Expression = covering.iter().map(|r| r.val()).sum();
            b.push(sum.leq(1.0));
        }
    }
}

/// Daily and weekly maximum hours, days per week, the personal weekly ceiling.
fn hours(b: &mut Builder<'_>, t: &Technician, periods: &[Period]) {
    let daily_limit = daily_max(t);
    let mut by_day: BTreeMap<i32, Vec<(i64, &Period)>> = BTreeMap::new();
    for q in periods {
        for (day, secs) in b.days.split(Window {
            start: q.start,
            end: q.end,
        }) {
            by_day.entry(day).or_default().push((secs, q));
        }
    }
    let mut by_week: BTreeMap<Week, Vec<(i32, i64, &Period)>> = BTreeMap::new();
    for (&day, list) in &by_day {
        let most: i64 = list.iter().map(|(s, _)| s).sum();
        if most > daily_limit && list.iter().any(|(_, q)| q.candidate) {
            let sum: Expression = list.iter().map(|(s, q)| *s as f64 * q.val()).sum();
            b.push(sum.leq(daily_limit as f64));
        }
        for &(s, q) in list {
            by_week
                .entry(b.days.week_of_day(day))
                .or_default()
                .push((day, s, q));
        }
    }
    for list in by_week.values() {
        if !list.iter().any(|(_, _, q)| q.candidate) {
            continue;
        }
        let total: i64 = list.iter().map(|(_, s, _)| s).sum();
        let worked: Expression = list.iter().map(|(_, s, q)| *s as f64 * q.val()).sum();
        if total > limits::WEEKLY_MAX {
            b.push(worked.clone().leq(limits::WEEKLY_MAX as f64));
        }
        if let Some(max) = t.preferences.max_weekly
            && total > max
        {
            let hours_over = b.int_nonneg();
            b.push(worked.clone().leq(max as f64 + HOUR as f64 * hours_over));
            b.rules.add_mul(limits::MAX_WEEKLY_WEIGHT, hours_over);
        }
        let days: BTreeSet<i32> = list.iter().map(|(d, _, _)| *d).collect();
        if days.len() as f64 > limits::DAYS_PER_WEEK {
            let mut count = Expression::from(0.0);
            for d in days {
                let on: Vec<&Period> = list
                    .iter()
                    .filter(|(x, _, _)| *x == d)
                    .map(|(_, _, q)| *q)
                    .collect();
                if on.iter().any(|q| !q.candidate) {
                    count += 1.0;
                    continue;
                }
                let w = b.binary();
                for q in on {
                    b.push(q.val().leq(w));
                }
                count += w;
            }
            b.push(count.leq(limits::DAYS_PER_WEEK));
        }
    }
}

/// A stretch of work with gaps under 20 min longer than 6 h costs 10: single shifts, and
/// pairs of adjacent shifts (the generator's longest chains), counted once per stretch.
fn breaks(b: &mut Builder<'_>, periods: &[Period]) {
    let long = |q: &Period| q.end - q.start > limits::BREAK_AFTER;
    for q in periods.iter().filter(|q| q.candidate && long(q)) {
        b.rules.add_mul(limits::BREAK_WEIGHT, q.val());
    }
    for (i, a) in periods.iter().enumerate() {
        for c in &periods[i + 1..] {
            let gap = c.start - a.end;
            if !(0..limits::BREAK_MIN).contains(&gap) || !(a.candidate || c.candidate) {
                continue;
            }
            // Both worked make one stretch: correct what the single terms counted.
            let correction = match (long(a), long(c)) {
                (false, false) if c.end - a.start > limits::BREAK_AFTER => limits::BREAK_WEIGHT,
                (true, true) => -limits::BREAK_WEIGHT,
                _ => 0.0,
            };
            if correction == 0.0 {
                continue;
            }
            let both = b.nonneg();
            if correction > 0.0 {
                b.push((a.val() + c.val() - 1.0).leq(both));
            } else {
                b.push(Expression::from(both).leq(a.val()));
                b.push(Expression::from(both).leq(c.val()));
            }
            b.rules.add_mul(correction, both);
        }
    }
}

/// Daily rest of each working day (see the module docs).
fn daily_rest(b: &mut Builder<'_>, periods: &[Period]) {
    let big = 2.0 * DAY as f64;
    let mut derogations: Vec<(i32, Variable)> = Vec::new();
    for (i, a) in periods.iter().enumerate() {
        let window_end = a.start + DAY;
        let inside: Vec<usize> = (0..periods.len())
            .filter(|&j| j != i && periods[j].start >= a.start && periods[j].start < window_end)
            .collect();
        // With every period of the window worked, is the rest still 11 h? Then nothing to model.
        let mut ends: Vec<i64> = vec![a.end];
        ends.extend(
            inside
                .iter()
                .map(|&j| periods[j].end)
                .filter(|&e| e < window_end),
        );
        let free_from = |e: i64, all: bool| -> i64 {
            let next = periods
                .iter()
                .filter(|q| all || q.var.is_none())
                .filter(|q| q.end > e && q.start < window_end)
                .map(|q| q.start.max(e))
                .min()
                .unwrap_or(window_end);
            next.min(window_end) - e
        };
        if ends.iter().map(|&e| free_from(e, true)).max().unwrap_or(0) >= limits::REST_DAILY {
            continue;
        }
        let candidates_inside: Vec<&Period> = std::iter::once(a)
            .chain(inside.iter().map(|&j| &periods[j]))
            .filter(|q| q.candidate)
            .collect();
        if candidates_inside.is_empty() {
            continue;
        }
        // s: this working day exists (a worked, nothing worked in the 11 h before it) and
        // holds a candidate shift.
        let before: Vec<&Period> = periods
            .iter()
            .enumerate()
            .filter(|&(j, q)| j != i && q.start < a.start && q.end > a.start - limits::REST_DAILY)
            .map(|(_, q)| q)
            .collect();
        let s = b.binary();
        let prior: Expression = before.iter().map(|q| q.val()).sum();
        if a.candidate {
            b.push((a.val() - prior.clone()).leq(s));
        } else {
            for c in &candidates_inside {
                b.push((c.val() - prior.clone()).leq(s));
            }
        }
        b.push(Expression::from(s).leq(a.val()));
        // r: the rest, picked among free stretches starting at a period's end.
        let r = b.vars.add(variable().min(0).max(DAY as f64));
        let mut picks = Expression::from(0.0);
        for &e in &ends {
            let z = b.binary();
            picks += z;
            b.push(Expression::from(r).leq((window_end - e) as f64 + big * (1.0 - z)));
            for q in periods.iter().filter(|q| q.end > e && q.start < window_end) {
                let until = (q.start.max(e) - e) as f64;
                b.push(Expression::from(r).leq(until + big * (2.0 - z) - big * q.val()));
            }
        }
        b.push(Expression::from(s).leq(picks));
        // Hard: 9 h at least. Below 11 h: a derogation, costing the missing minutes.
        b.push((limits::REST_DEROGATION as f64 * s).leq(r));
        let g = b.binary();
        let minutes = b.int_nonneg();
        let need = limits::REST_DAILY as f64 * s;
        b.push((need.clone() - r).leq(limits::REST_DAILY as f64 * g));
        b.push((need - r).leq(60.0 * minutes));
        b.rules.add_mul(1.0, minutes);
        derogations.push((b.days.day_of(a.start), g));
    }
    let mut by_week: BTreeMap<Week, Expression> = BTreeMap::new();
    for &(day, g) in &derogations {
        *by_week
            .entry(b.days.week_of_day(day))
            .or_insert_with(|| Expression::from(0.0)) += g;
    }
    for (_, sum) in by_week {
        b.push(sum.leq(limits::DEROGATIONS_PER_WEEK));
    }
    for &(day, _) in &derogations {
        let sum: Expression = derogations
            .iter()
            .filter(|(d, _)| *d > day - 7 && *d <= day)
            .map(|&(_, g)| Expression::from(g))
            .sum();
        b.push(sum.leq(limits::DEROGATIONS_PER_7_DAYS));
    }
}

/// Weekly rest: each ISO week with work has a free 35 h stretch overlapping it.
fn weekly_rest(b: &mut Builder<'_>, periods: &[Period]) {
    let mut weeks: BTreeMap<Week, Vec<&Period>> = BTreeMap::new();
    for q in periods.iter().filter(|q| q.candidate) {
        for (day, _) in b.days.split(Window {
            start: q.start,
            end: q.end,
        }) {
            let list = weeks.entry(b.days.week_of_day(day)).or_default();
            if !list.iter().any(|x| std::ptr::eq(*x, q)) {
                list.push(q);
            }
        }
    }
    let len = limits::REST_WEEKLY;
    for (week, worked) in weeks {
        let w = b.days.week_bounds(week);
        let mut starts: BTreeSet<i64> = BTreeSet::from([w.start, w.end - len]);
        for q in periods {
            starts.insert(q.end);
            starts.insert(q.start - len);
        }
        let stretches: Vec<i64> = starts
            .into_iter()
            .filter(|&s| s < w.end && s + len > w.start)
            .collect();
        let blocking = |s: i64| {
            periods
                .iter()
                .filter(move |q| overlaps((q.start, q.end), (s, s + len)))
        };
        // Free even with every period worked: nothing to model.
        if stretches.iter().any(|&s| blocking(s).next().is_none()) {
            continue;
        }
        let mut free = Expression::from(0.0);
        for s in stretches {
            if blocking(s).any(|q| q.var.is_none()) {
                continue;
            }
            let f = b.vars.add(variable().min(0).max(1));
            for q in blocking(s) {
                b.push((Expression::from(f) + q.val()).leq(1.0));
            }
            free += f;
        }
        for q in worked {
            b.push(q.val().leq(free.clone()));
        }
    }
}

/// Cover: unfilled places and extra crew (soft), at most `max-crew` (hard).
fn cover(b: &mut Builder<'_>) {
    let p = b.problem;
    for (ni, n) in p.needs.iter().enumerate() {
        let crew: Expression =
            b.x.iter()
                .filter(|((_, j), _)| *j == ni)
                .map(|(_, &v)| Expression::from(v))
                .sum();
        let min = f64::from(n.min_crew);
        let max = f64::from(n.max_crew.unwrap_or(n.min_crew).max(n.min_crew));
        let under = b.nonneg();
        b.push((min - crew.clone()).leq(under));
        b.rules.add_mul(n.unfilled_penalty as f64, under);
        b.push(crew.clone().leq(max));
        if n.extra_penalty > 0 && max > min {
            let extra = b.nonneg();
            b.push((crew - min).leq(extra));
            b.rules.add_mul(n.extra_penalty as f64, extra);
        }
    }
}

/// A pair's incompatibility (severity, weight), if any, and affinity weight (0 if none).
type PairRelations = (Option<(Severity, i64)>, i64);

/// Relations between two technicians: incompatibility per shared mission, affinity split
/// between overlapping missions, and the assigner's affinity reward.
fn relations(b: &mut Builder<'_>, weights: Option<&AssignerWeights>) {
    let p = b.problem;
    let tech_ix: BTreeMap<&str, usize> = index_by_id(&p.technicians, |x| &x.id);
    let mission_ix: BTreeMap<&str, usize> = index_by_id(&p.missions, |x| &x.id);
    let mission_of: Vec<usize> = p
        .needs
        .iter()
        .map(|n| {
            mission_ix
                .get(n.mission_id.as_str())
                .copied()
                .unwrap_or(usize::MAX)
        })
        .collect();
    // (a, b) -> (incompatibility (severity, weight), affinity weight), both directions merged.
    let mut pairs: BTreeMap<(usize, usize), PairRelations> = BTreeMap::new();
    for (ti, t) in p.technicians.iter().enumerate() {
        for r in &t.relations {
            let Some(&oi) = tech_ix.get(r.other.as_str()) else {
                continue;
            };
            let entry = pairs.entry((ti.min(oi), ti.max(oi))).or_insert((None, 0));
            match r.kind {
                RelationKind::Incompatibility => {
                    let hard = r.severity == Severity::Hard
                        || entry.0.is_some_and(|(s, _)| s == Severity::Hard);
                    let weight = r.weight.max(entry.0.map_or(0, |(_, w)| w));
                    entry.0 = Some((if hard { Severity::Hard } else { Severity::Soft }, weight));
                }
                RelationKind::Affinity => entry.1 = entry.1.max(r.weight),
            }
        }
    }
    // y[(t, mission)]: t works on the mission.
    let mut y: BTreeMap<(usize, usize), Variable> = BTreeMap::new();
    for (&(ta, tb), &(incompatible, affinity)) in &pairs {
        let missions_of = |ti: usize| -> BTreeSet<usize> {
            b.x.range((ti, 0)..(ti + 1, 0))
                .map(|(&(_, ni), _)| mission_of[ni])
                .collect()
        };
        let shared: Vec<usize> = missions_of(ta)
            .intersection(&missions_of(tb))
            .copied()
            .collect();
        let mut y_of = |b: &mut Builder<'_>, ti: usize, m: usize| -> Variable {
            if let Some(&v) = y.get(&(ti, m)) {
                return v;
            }
            let v = b.binary();
            let xs: Vec<Variable> =
                b.x.range((ti, 0)..(ti + 1, 0))
                    .filter(|((_, ni), _)| mission_of[*ni] == m)
                    .map(|(_, &x)| x)
                    .collect();
            for &x in &xs {
                b.push(Expression::from(x).leq(v));
            }
            let sum: Expression = xs.iter().copied().sum();
            b.push(Expression::from(v).leq(sum));
            y.insert((ti, m), v);
            v
        };
        for &m in &shared {
            let (ya, yb) = (y_of(b, ta, m), y_of(b, tb, m));
            if let Some((severity, weight)) = incompatible {
                match severity {
                    Severity::Hard => b.push((Expression::from(ya) + yb).leq(1.0)),
                    Severity::Soft if weight > 0 => {
                        let both = b.nonneg();
                        b.push((Expression::from(ya) + yb - 1.0).leq(both));
                        b.rules.add_mul(weight as f64, both);
                    }
                    Severity::Soft => {}
                }
            }
            if affinity > 0
                && let Some(w) = weights
            {
                let each = round_half_up(i128::from(affinity) * i128::from(w.affinity_bp), 10_000);
                if each > 0 {
                    let together = b.nonneg();
                    b.push(Expression::from(together).leq(ya));
                    b.push(Expression::from(together).leq(yb));
                    b.assigner.add_mul(-(each as f64), together);
                }
            }
        }
        if affinity > 0 {
            // Split: a on mx and b on my != mx at overlapping times, once per (mx, my).
            let xa: Vec<(usize, Variable)> =
                b.x.range((ta, 0)..(ta + 1, 0))
                    .map(|(&(_, ni), &v)| (ni, v))
                    .collect();
            let xb: Vec<(usize, Variable)> =
                b.x.range((tb, 0)..(tb + 1, 0))
                    .map(|(&(_, ni), &v)| (ni, v))
                    .collect();
            let mut split: BTreeMap<(usize, usize), Variable> = BTreeMap::new();
            for &(na, va) in &xa {
                for &(nb, vb) in &xb {
                    let (wa, wb) = (p.needs[na].window, p.needs[nb].window);
                    let (ma, mb) = (mission_of[na], mission_of[nb]);
                    if ma == mb || !overlaps((wa.start, wa.end), (wb.start, wb.end)) {
                        continue;
                    }
                    let s = match split.get(&(ma, mb)) {
                        Some(&s) => s,
                        None => {
                            let s = b.nonneg();
                            b.rules.add_mul(affinity as f64, s);
                            split.insert((ma, mb), s);
                            s
                        }
                    };
                    b.push((Expression::from(va) + vb - 1.0).leq(s));
                }
            }
        }
    }
}

/// Room double bookings: two overlapping missions of one room are not both staffed.
fn rooms(b: &mut Builder<'_>) {
    let p = b.problem;
    let with_room: Vec<usize> = (0..p.missions.len())
        .filter(|&i| p.missions[i].room_id.is_some())
        .collect();
    let mut staffed: BTreeMap<usize, Variable> = BTreeMap::new();
    for (k, &i) in with_room.iter().enumerate() {
        for &j in &with_room[k + 1..] {
            let (a, c) = (&p.missions[i], &p.missions[j]);
            if a.venue_id != c.venue_id
                || a.room_id != c.room_id
                || !overlaps(
                    (a.window.start, a.window.end),
                    (c.window.start, c.window.end),
                )
            {
                continue;
            }
            let mut flag = |b: &mut Builder<'_>, m: usize| -> Variable {
                if let Some(&v) = staffed.get(&m) {
                    return v;
                }
                let v = b.binary();
                let xs: Vec<Variable> =
                    b.x.iter()
                        .filter(|((_, ni), _)| p.needs[*ni].mission_id == p.missions[m].id)
                        .map(|(_, &x)| x)
                        .collect();
                for x in xs {
                    b.push(Expression::from(x).leq(v));
                }
                staffed.insert(m, v);
                v
            };
            let (fa, fc) = (flag(b, i), flag(b, j));
            b.push((Expression::from(fa) + fc).leq(1.0));
        }
    }
}

/// The assigner's per-shift terms: labour cost and preferred venues.
fn assigner_shift_terms(b: &mut Builder<'_>, w: &AssignerWeights) {
    let p = b.problem;
    let terms: Vec<(Variable, i64)> =
        b.x.iter()
            .map(|(&(ti, ni), &v)| (v, shift_terms_of(p, ti, ni, w)))
            .collect();
    for (v, points) in terms {
        b.assigner.add_mul(points as f64, v);
    }
}

fn shift_terms_of(p: &Problem, ti: usize, ni: usize, w: &AssignerWeights) -> i64 {
    let (t, n) = (&p.technicians[ti], &p.needs[ni]);
    let c = &t.contract;
    let mut points = cost_points(
        c.kind,
        c.hourly_rate,
        c.cachet_rate,
        n.window.end - n.window.start,
        w.cost,
    );
    if t.preferences.preferred_venues.contains(&n.venue_id) {
        points -= w.preferred_venue;
    }
    points
}

/// [`super::assigner_terms`].
pub fn assigner_terms(p: &Problem, plan: &Plan, w: &AssignerWeights) -> i64 {
    let tech_ix: BTreeMap<&str, usize> = index_by_id(&p.technicians, |x| &x.id);
    let need_ix: BTreeMap<&str, usize> = index_by_id(&p.needs, |x| &x.id);
    let active: Vec<(usize, usize)> = plan
        .assignments
        .iter()
        .filter(|a| a.status != AssignmentStatus::Declined)
        .filter_map(|a| {
            Some((
                *tech_ix.get(a.technician_id.as_str())?,
                *need_ix.get(a.need_id.as_str())?,
            ))
        })
        .collect();
    let mut total: i64 = active
        .iter()
        .map(|&(ti, ni)| shift_terms_of(p, ti, ni, w))
        .sum();
    let missions = |ti: usize| -> BTreeSet<&str> {
        active
            .iter()
            .filter(|(t, _)| *t == ti)
            .map(|&(_, ni)| p.needs[ni].mission_id.as_str())
            .collect()
    };
    let mut affinities: BTreeMap<(usize, usize), i64> = BTreeMap::new();
    for (ti, t) in p.technicians.iter().enumerate() {
        for r in t
            .relations
            .iter()
            .filter(|r| r.kind == RelationKind::Affinity)
        {
            if let Some(&oi) = tech_ix.get(r.other.as_str()) {
                let e = affinities.entry((ti.min(oi), ti.max(oi))).or_insert(0);
                *e = (*e).max(r.weight);
            }
        }
    }
    for ((a, c), weight) in affinities {
        let shared = missions(a).intersection(&missions(c)).count() as i64;
        total -= shared * round_half_up(i128::from(weight) * i128::from(w.affinity_bp), 10_000);
    }
    total
}

/// Position of each item by its id, for turning the contract's string ids into indices.
fn index_by_id<T>(items: &[T], id: impl Fn(&T) -> &String) -> BTreeMap<&str, usize> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| (id(item).as_str(), i))
        .collect()
}

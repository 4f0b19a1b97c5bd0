//! The `plan-result`: the final plan evaluated once by the tenant's rules (`evaluate-plan`,
//! which gives the score and the remaining violations), and the explanations.
//!
//! - **Each assignment**: its score terms, sorted by id: the rules' violations of the
//!   technician's schedule that name its need (and the plan-level ones that name the
//!   technician and its mission), then the assigner's terms (cost, preferred venue,
//!   affinity, balance, the unfilled penalty the place saves; "kept" for pinned and
//!   confirmed ones).
//! - **Each unfilled need**: every technician not on it, sorted by id, with the reasons
//!   they were rejected: declined, missing skill, busy elsewhere (the other need as
//!   subject), a hard incompatibility with the crew, a room double booking, the hard rules
//!   their schedule would break with the need added (the rules' own violations and figures,
//!   found by evaluating that schedule), or, when they break none, a worse score (the change
//!   in points against the unfilled penalty, with the soft violations behind it).
//! - **Scarcity**: the [`scarcity`] group of the need, when places are lost whatever the
//!   choice.

use alloc::borrow::ToOwned;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use callsheet_plugin_sdk::report::{figure, normalize_subjects, sort_violations, violation};
use callsheet_plugin_sdk::text::duration;
use callsheet_plugin_sdk::types::{
    Assignment, AssignmentStatus, ContractKind, Plan, PlanEvaluation, PlanResult, PlanStats,
    PlannedAssignment, Rejection, Scarcity, ScheduleEvaluation, ScoreTerm, Severity, Subject,
    Unfilled, Violation,
};

use crate::candidates::Candidates;
use crate::catalog;
use crate::error::Error;
use crate::evaluator::{Evaluations, Rules};
use crate::model::{Model, NeedIx, Origin, Shift, TechIx};
use crate::objective::{self, Cost};
use crate::scarcity::{self, Group};
use crate::search;
use crate::state::{Change, State, with_shift};

/// What the run did before explaining, for `plan-stats`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Existing proposed assignments kept as the starting point.
    pub kept: u64,
    /// Places the greedy filled.
    pub greedy: u64,
    /// Places filled by the last greedy pass after the search.
    pub topped_up: u64,
    /// The search's counters.
    pub search: search::Stats,
    /// Schedules sent to the rules while finding candidates (fixed work + each need).
    pub sent_candidates: u64,
    /// Schedules sent while constructing (kept proposals, greedy, last pass).
    pub sent_construction: u64,
    /// Schedules sent by the search.
    pub sent_search: u64,
}

/// Builds the result of a run from its final plan.
pub fn result<R: Rules>(
    model: &Model<'_>,
    candidates: &Candidates,
    state: &State,
    evals: &mut Evaluations<'_, R>,
    counters: Counters,
) -> Result<PlanResult, Error> {
    let mut planned: Vec<(NeedIx, TechIx, Shift, Assignment)> = Vec::new();
    for t in model.tech_indices() {
        for s in &state.shifts[t as usize] {
            planned.push((s.need, t, *s, record(model, t, s)));
        }
    }
    planned.sort_by(|a, b| {
        (&a.3.need_id, &a.3.technician_id).cmp(&(&b.3.need_id, &b.3.technician_id))
    });
    let plan = Plan {
        assignments: planned.iter().map(|p| p.3.clone()).collect(),
    };
    let evaluation = evals.plan(&plan)?;
    let by_tech: BTreeMap<&str, &ScheduleEvaluation> = evaluation
        .schedules
        .iter()
        .map(|e| (e.technician_id.as_str(), e))
        .collect();

    let assignments = planned
        .into_iter()
        .map(|(n, t, shift, assignment)| PlannedAssignment {
            terms: terms(model, state, &evaluation, &by_tech, n, t, &shift),
            assignment,
        })
        .collect();
    let unfilled = unfilled(model, candidates, state, evals, &by_tech)?;
    let unfilled_places: u64 = unfilled.iter().map(|u| u64::from(u.places)).sum();

    let mut violations: Vec<Violation> = evaluation
        .schedules
        .iter()
        .flat_map(|e| e.violations.iter().cloned())
        .chain(evaluation.plan_violations.iter().cloned())
        .collect();
    sort_violations(&mut violations);

    let count = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let estimate = crate::fuel::Estimate::of(evals, counters.search.work);
    let sent_explaining = evals.sent.saturating_sub(
        counters.sent_candidates + counters.sent_construction + counters.sent_search,
    );
    let stats = PlanStats {
        seed: model.problem.seed,
        iterations: counters.search.iterations,
        accepted_moves: counters.search.accepted,
        evaluations: evals.sent,
        figures: vec![
            figure("kept-proposed", count(counters.kept), "count"),
            figure("greedy-filled", count(counters.greedy), "count"),
            figure("topped-up", count(counters.topped_up), "count"),
            figure("tabu-moves", count(counters.search.tabu), "count"),
            figure(
                "inadmissible-moves",
                count(counters.search.inadmissible),
                "count",
            ),
            figure("hard-trades", count(counters.search.traded), "count"),
            figure("ruins", count(counters.search.ruins), "count"),
            figure("ruins-kept", count(counters.search.ruins_kept), "count"),
            figure(
                "search-stopped-by-fuel-estimate",
                i64::from(counters.search.fuel_stop),
                "count",
            ),
            figure(
                "estimated-fuel-assigner",
                count(estimate.assigner / 1_000_000),
                "Mfuel",
            ),
            figure(
                "estimated-fuel-rules",
                count(estimate.rules / 1_000_000),
                "Mfuel",
            ),
            figure("best-at-iteration", count(counters.search.best_at), "count"),
            figure("rules-calls", count(evals.calls), "count"),
            figure(
                "evaluations-candidates",
                count(counters.sent_candidates),
                "count",
            ),
            figure(
                "evaluations-construction",
                count(counters.sent_construction),
                "count",
            ),
            figure("evaluations-search", count(counters.sent_search), "count"),
            figure("evaluations-explanations", count(sent_explaining), "count"),
            figure("cache-hits", count(evals.hits), "count"),
            figure("unfilled-places", count(unfilled_places), "count"),
            figure("objective-hard", Cost::clamp(state.total.hard), "points"),
            figure("objective-soft", Cost::clamp(state.total.soft), "points"),
        ],
    };
    Ok(PlanResult {
        assignments,
        unfilled,
        violations,
        score: evaluation.score,
        stats,
    })
}

/// The assignment record of a shift: existing ones as they were, new ones proposed.
fn record(model: &Model<'_>, t: TechIx, shift: &Shift) -> Assignment {
    match shift.origin {
        Origin::Fixed(i) | Origin::Proposed(i) => {
            model.problem.assignments[model.existing[i as usize].record].clone()
        }
        Origin::New => Assignment {
            id: None,
            need_id: model.need(shift.need).id.clone(),
            technician_id: model.tech(t).id.clone(),
            window: shift.window,
            status: AssignmentStatus::Proposed,
            pinned: false,
        },
    }
}

fn term(
    id: &str,
    points: i64,
    message: String,
    figures: Vec<callsheet_plugin_sdk::types::Figure>,
) -> ScoreTerm {
    ScoreTerm {
        id: id.to_owned(),
        points,
        message,
        figures,
    }
}

/// A rule's violation as a score term (hard ones say so).
fn violation_term(v: &Violation) -> ScoreTerm {
    let message = match v.severity {
        Severity::Hard => format!("hard: {}", v.message),
        Severity::Soft => v.message.clone(),
    };
    term(&v.rule_id, v.penalty, message, v.figures.clone())
}

fn terms(
    model: &Model<'_>,
    state: &State,
    evaluation: &PlanEvaluation,
    by_tech: &BTreeMap<&str, &ScheduleEvaluation>,
    n: NeedIx,
    t: TechIx,
    shift: &Shift,
) -> Vec<ScoreTerm> {
    let (need, tech) = (model.need(n), model.tech(t));
    let m = model.mission_of(n);
    let mission = model.mission(m);
    let settings = &model.settings;
    let mut out = Vec::new();

    let need_subject = Subject::Need(need.id.clone());
    if let Some(e) = by_tech.get(tech.id.as_str()) {
        out.extend(
            e.violations
                .iter()
                .filter(|v| v.subjects.contains(&need_subject))
                .map(violation_term),
        );
    }
    let (tech_subject, mission_subject) = (
        Subject::Technician(tech.id.clone()),
        Subject::Mission(mission.id.clone()),
    );
    out.extend(
        evaluation
            .plan_violations
            .iter()
            .filter(|v| v.subjects.contains(&tech_subject) && v.subjects.contains(&mission_subject))
            .map(violation_term),
    );

    let cents = objective::shift_cost_cents(model, t, shift);
    let how = match tech.contract.kind {
        ContractKind::Hourly => format!(
            "{} x {} c/h",
            duration(shift.seconds()),
            tech.contract.hourly_rate
        ),
        ContractKind::Cachet => String::from("one cachet"),
    };
    out.push(term(
        catalog::COST,
        objective::cost_points(settings, cents),
        format!(
            "cost {cents} c ({how}) at {} per 1000 c",
            points_word(settings.cost_weight)
        ),
        vec![
            figure("cost", cents, "cents"),
            figure("hourly-rate", tech.contract.hourly_rate, "cents/h"),
            figure("cachet-rate", tech.contract.cachet_rate, "cents"),
            figure("worked", shift.seconds(), "s"),
            figure("weight", settings.cost_weight, "points"),
        ],
    ));

    let preferred = objective::preferred_points(model, t, shift);
    if preferred != 0 {
        out.push(term(
            catalog::PREFERRED_VENUE,
            preferred,
            format!("{} prefers venue {}", tech.name, need.venue_id),
            vec![figure("weight", settings.preferred_venue_weight, "points")],
        ));
    }

    for &c in &model.related[t as usize] {
        let pair = model.pair(t, c);
        let with_c = state.shifts[c as usize]
            .iter()
            .any(|s| model.mission_of(s.need) == m);
        if pair.affinity > 0 && with_c {
            let reward = objective::pair(model, t, &[*shift], c, &state.shifts[c as usize]).reward;
            if reward != 0 {
                out.push(term(
                    catalog::AFFINITY,
                    reward,
                    format!(
                        "{} works well with {} on {}",
                        tech.name,
                        model.tech(c).name,
                        mission.title
                    ),
                    vec![
                        figure("affinity", pair.affinity, "points"),
                        figure("share", settings.affinity_bp, "bp"),
                    ],
                ));
            }
        }
    }

    if settings.balance_weight > 0 {
        let planned = objective::seconds(&state.shifts[t as usize]);
        let points = objective::balance_points(settings, planned)
            - objective::balance_points(settings, planned.saturating_sub(shift.seconds()));
        out.push(term(
            catalog::BALANCE,
            points,
            format!(
                "{} planned for {} over the horizon; this shift's {} costs {} of balance",
                tech.name,
                duration(planned),
                duration(shift.seconds()),
                points_word(points)
            ),
            vec![
                figure("planned", planned, "s"),
                figure("shift", shift.seconds(), "s"),
                figure("weight", settings.balance_weight, "points"),
            ],
        ));
    }

    match shift.origin {
        Origin::Fixed(i) => {
            let a = &model.problem.assignments[model.existing[i as usize].record];
            let why = if a.pinned { "pinned" } else { "confirmed" };
            out.push(term(
                catalog::KEPT,
                0,
                format!("{why}: kept as it was"),
                vec![],
            ));
        }
        Origin::Proposed(_) | Origin::New if is_extra(model, state, n, t) => {
            let filled = state.crew[n as usize].len();
            out.push(term(
                catalog::EXTRA_CREW,
                need.extra_penalty,
                format!(
                    "one of {} above the min-crew of {} on {} ({filled} on it), at its {}-point extra penalty",
                    filled.saturating_sub(need.min_crew as usize),
                    need.min_crew,
                    model.need_label(n),
                    need.extra_penalty
                ),
                vec![
                    figure("extra-penalty", need.extra_penalty, "points"),
                    figure("assigned", filled as i64, "count"),
                    figure("min-crew", i64::from(need.min_crew), "count"),
                ],
            ));
        }
        Origin::Proposed(_) | Origin::New => {
            let filled = state.crew[n as usize].len();
            out.push(term(
                catalog::PLACE_FILLED,
                -need.unfilled_penalty,
                format!(
                    "fills a place of {} ({filled} of {} filled), saving the {}-point unfilled penalty",
                    model.need_label(n),
                    need.min_crew,
                    need.unfilled_penalty
                ),
                vec![
                    figure("unfilled-penalty", need.unfilled_penalty, "points"),
                    figure("assigned", filled as i64, "count"),
                    figure("min-crew", i64::from(need.min_crew), "count"),
                ],
            ));
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id).then_with(|| a.message.cmp(&b.message)));
    out
}

/// Whether `t`'s assignment on `n` is extra crew: the need has more people than
/// `min-crew`, and `t` is among the last movable ones (by technician position), as many as
/// there are extra, so that the terms of a need's crew add up to its cover score.
fn is_extra(model: &Model<'_>, state: &State, n: NeedIx, t: TechIx) -> bool {
    let need = model.need(n);
    let crew = &state.crew[n as usize];
    let extra = crew.len().saturating_sub(need.min_crew as usize);
    if extra == 0 {
        return false;
    }
    let movable: Vec<TechIx> = crew
        .iter()
        .copied()
        .filter(|&c| {
            state.shifts[c as usize]
                .iter()
                .any(|s| s.need == n && s.movable())
        })
        .collect();
    movable.iter().rev().take(extra).any(|&c| c == t)
}

/// Violations of `candidate` that `base` does not have (a multiset difference on rule,
/// severity and message): what adding the need changed.
fn added<'v>(candidate: &'v [Violation], base: &[Violation]) -> Vec<&'v Violation> {
    let mut left: Vec<(&str, bool, &str)> = base
        .iter()
        .map(|v| {
            (
                v.rule_id.as_str(),
                v.severity == Severity::Hard,
                v.message.as_str(),
            )
        })
        .collect();
    left.sort_unstable();
    let mut out = Vec::new();
    for v in candidate {
        let key = (
            v.rule_id.as_str(),
            v.severity == Severity::Hard,
            v.message.as_str(),
        );
        match left.binary_search(&key) {
            Ok(i) => {
                left.remove(i);
            }
            Err(_) => out.push(v),
        }
    }
    out
}

fn subjects(mut s: Vec<Subject>) -> Vec<Subject> {
    normalize_subjects(&mut s);
    s
}

/// Every open need with its rejected candidates and scarcity group, sorted by need id.
fn unfilled<R: Rules>(
    model: &Model<'_>,
    candidates: &Candidates,
    state: &State,
    evals: &mut Evaluations<'_, R>,
    by_tech: &BTreeMap<&str, &ScheduleEvaluation>,
) -> Result<Vec<Unfilled>, Error> {
    let mut open: Vec<NeedIx> = model
        .need_indices()
        .filter(|&n| state.open(model, n) > 0)
        .collect();
    open.sort_by(|a, b| model.need(*a).id.cmp(&model.need(*b).id));
    let mut techs: Vec<TechIx> = model.tech_indices().collect();
    techs.sort_by(|a, b| model.tech(*a).id.cmp(&model.tech(*b).id));

    // The schedules to ask the rules about: each qualified technician with the need added.
    let mut asked: BTreeMap<(NeedIx, TechIx), usize> = BTreeMap::new();
    let mut requests: Vec<(TechIx, Vec<Shift>)> = Vec::new();
    for &n in &open {
        for &t in &techs {
            let qualified = model.tech(t).skills.contains(&model.need(n).skill);
            if qualified && !state.on(t, n) && !model.declined.contains(&(n, t)) {
                asked.insert((n, t), requests.len());
                requests.push((
                    t,
                    with_shift(&state.shifts[t as usize], model.shift_for(n, t)),
                ));
            }
        }
    }
    let answers = evals.evaluate(model, &requests)?;

    let mut finder = scarcity::Finder::new(model, candidates);
    let mut out = Vec::with_capacity(open.len());
    for &n in &open {
        let need = model.need(n);
        let places = state.open(model, n);
        let mut rejections = Vec::new();
        for &t in &techs {
            if state.on(t, n) {
                continue;
            }
            let reasons = if model.declined.contains(&(n, t)) {
                vec![declined(model, n, t)]
            } else if let Some(&i) = asked.get(&(n, t)) {
                let base = by_tech
                    .get(model.tech(t).id.as_str())
                    .map_or(&[][..], |e| e.violations.as_slice());
                rejected(model, state, evals, n, t, &requests[i], &answers[i], base)?
            } else if model.settings.explain_unqualified {
                vec![missing_skill(model, n, t)]
            } else {
                continue;
            };
            let mut reasons = reasons;
            sort_violations(&mut reasons);
            rejections.push(Rejection {
                technician_id: model.tech(t).id.clone(),
                reasons,
            });
        }
        let scarcity = finder.for_need(n).map(|g| scarcity_record(model, &g));
        out.push(Unfilled {
            need_id: need.id.clone(),
            places,
            penalty: i64::from(places).saturating_mul(need.unfilled_penalty),
            rejections,
            scarcity,
        });
    }
    Ok(out)
}

fn declined(model: &Model<'_>, n: NeedIx, t: TechIx) -> Violation {
    let (need, tech) = (model.need(n), model.tech(t));
    violation(
        catalog::DECLINED,
        Severity::Hard,
        1,
        subjects(vec![
            Subject::Technician(tech.id.clone()),
            Subject::Need(need.id.clone()),
        ]),
        format!("{} declined {}", tech.name, model.need_label(n)),
        vec![],
    )
}

fn missing_skill(model: &Model<'_>, n: NeedIx, t: TechIx) -> Violation {
    let (need, tech) = (model.need(n), model.tech(t));
    violation(
        catalog::SKILL,
        Severity::Hard,
        1,
        subjects(vec![
            Subject::Technician(tech.id.clone()),
            Subject::Mission(need.mission_id.clone()),
            Subject::Need(need.id.clone()),
        ]),
        format!(
            "{} lacks skill {} for {}",
            tech.name,
            need.skill,
            model.mission(model.mission_of(n)).title
        ),
        vec![figure("start", need.window.start, "instant")],
    )
}

/// Why a qualified technician who did not decline is not on an open need.
#[allow(clippy::too_many_arguments)]
fn rejected<R: Rules>(
    model: &Model<'_>,
    state: &State,
    evals: &Evaluations<'_, R>,
    n: NeedIx,
    t: TechIx,
    request: &(TechIx, Vec<Shift>),
    answer: &ScheduleEvaluation,
    base: &[Violation],
) -> Result<Vec<Violation>, Error> {
    let tech = model.tech(t);
    let m = model.mission_of(n);
    let mission = model.mission(m);
    let window = model.shift_for(n, t).window;
    let mut reasons = Vec::new();

    for s in state.clashes(t, &window, &[]) {
        let other = model.need(s.need);
        reasons.push(violation(
            catalog::BUSY,
            Severity::Hard,
            1,
            subjects(vec![
                Subject::Technician(tech.id.clone()),
                Subject::Mission(other.mission_id.clone()),
                Subject::Need(other.id.clone()),
            ]),
            format!(
                "{} already works {} ({} to {})",
                tech.name,
                model.need_label(s.need),
                model.calendar.time_label(s.window.start),
                model.calendar.time_label(s.window.end)
            ),
            vec![
                figure("start", s.window.start, "instant"),
                figure("end", s.window.end, "instant"),
            ],
        ));
    }

    for &c in &model.related[t as usize] {
        let on_mission = state.shifts[c as usize]
            .iter()
            .any(|s| model.mission_of(s.need) == m);
        if let Some((Severity::Hard, weight)) = model.pair(t, c).incompatibility
            && on_mission
        {
            let other = model.tech(c);
            reasons.push(violation(
                catalog::INCOMPATIBLE,
                Severity::Hard,
                weight,
                subjects(vec![
                    Subject::Technician(tech.id.clone()),
                    Subject::Technician(other.id.clone()),
                    Subject::Mission(mission.id.clone()),
                ]),
                format!(
                    "{} is incompatible with {}, who works on {}",
                    tech.name, other.name, mission.title
                ),
                vec![figure("weight", weight.max(1), "points")],
            ));
        }
    }

    if state.mission_crew[m as usize] == 0 {
        for &c in &model.room_conflicts[m as usize] {
            if state.mission_crew[c as usize] > 0 {
                let other = model.mission(c);
                let room = mission.room_id.clone().unwrap_or_default();
                reasons.push(violation(
                    "room.double-booking",
                    Severity::Hard,
                    1,
                    subjects(vec![
                        Subject::Mission(mission.id.clone()),
                        Subject::Mission(other.id.clone()),
                        Subject::Venue(mission.venue_id.clone()),
                        Subject::Room(room.clone()),
                    ]),
                    format!(
                        "staffing {} would double-book room {room} of venue {} with {}",
                        mission.title, mission.venue_id, other.title
                    ),
                    vec![],
                ));
            }
        }
    }

    let new = added(&answer.violations, base);
    reasons.extend(
        new.iter()
            .filter(|v| v.severity == Severity::Hard)
            .map(|v| (*v).clone()),
    );
    let hard_before = base
        .iter()
        .filter(|v| v.severity == Severity::Hard)
        .fold(0i64, |sum, v| sum.saturating_add(v.penalty));
    if reasons.is_empty() && answer.score.hard > hard_before {
        // The rules added hard points without a new message (a larger magnitude of an
        // existing violation): show every hard violation of the schedule.
        reasons.extend(
            answer
                .violations
                .iter()
                .filter(|v| v.severity == Severity::Hard)
                .cloned(),
        );
    }
    if !reasons.is_empty() {
        return Ok(reasons);
    }

    // Legal: the score decided. Price the change as the search would have.
    let change = Change {
        techs: vec![request.clone()],
    };
    let need = model.need(n);
    let priced = state.price(model, evals, &change)?.filter(|p| !p.adds_hard);
    let (message, figures) = match priced {
        Some(priced) => {
            let delta = Cost::clamp(priced.delta.soft);
            let own = delta.saturating_add(need.unfilled_penalty);
            (
                format!(
                    "{} on {} would cost {own} points, against the {}-point unfilled penalty it saves: the plan's score would change by {delta:+}",
                    tech.name,
                    model.need_label(n),
                    need.unfilled_penalty
                ),
                vec![
                    figure("delta", delta, "points"),
                    figure("cost", own, "points"),
                    figure("unfilled-penalty", need.unfilled_penalty, "points"),
                ],
            )
        }
        None => (
            format!(
                "{} on {} would add hard points to the plan",
                tech.name,
                model.need_label(n)
            ),
            vec![],
        ),
    };
    reasons.push(violation(
        catalog::WORSE_SCORE,
        Severity::Soft,
        figures.first().map_or(1, |f| f.value),
        subjects(vec![
            Subject::Technician(tech.id.clone()),
            Subject::Need(need.id.clone()),
        ]),
        message,
        figures,
    ));
    // The soft rules behind the score.
    reasons.extend(
        new.iter()
            .filter(|v| v.severity == Severity::Soft)
            .map(|v| (*v).clone()),
    );
    Ok(reasons)
}

/// "1 point", "7 points".
fn points_word(n: i64) -> String {
    if n == 1 {
        String::from("1 point")
    } else {
        format!("{n} points")
    }
}

const NUMBERS: [&str; 13] = [
    "no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve",
];

/// "three needs", "one need".
fn count_of(n: usize, singular: &str, plural: &str) -> String {
    let word = NUMBERS
        .get(n)
        .map_or_else(|| format!("{n}"), |w| (*w).to_owned());
    format!("{word} {}", if n == 1 { singular } else { plural })
}

/// Names for a message: all of them up to ten, else the first ten and how many more.
fn names(list: &[String]) -> String {
    const SHOWN: usize = 10;
    if list.len() <= SHOWN {
        list.join(", ")
    } else {
        format!(
            "{} and {} more",
            list[..SHOWN].join(", "),
            list.len() - SHOWN
        )
    }
}

fn scarcity_record(model: &Model<'_>, g: &Group) -> Scarcity {
    let mut needs: Vec<&str> = g.needs.iter().map(|&n| model.need(n).id.as_str()).collect();
    needs.sort_unstable();
    let mut techs: Vec<(&str, &str)> = g
        .techs
        .iter()
        .map(|&t| (model.tech(t).id.as_str(), model.tech(t).name.as_str()))
        .collect();
    techs.sort_unstable();
    let labels: Vec<String> = g.needs.iter().map(|&n| model.need_label(n)).collect();
    let tech_names: Vec<String> = techs.iter().map(|(_, name)| (*name).to_owned()).collect();
    let what = if g.needs.len() == 1 {
        format!("one need ({}) with {} places", labels.join(", "), g.places)
    } else {
        format!(
            "{} ({})",
            count_of(g.needs.len(), "need", "needs"),
            names(&labels)
        )
    };
    let verb = if g.needs.len() == 1 {
        "competes"
    } else {
        "compete"
    };
    let message = if g.techs.is_empty() {
        format!(
            "no qualified and available technician for {what} at {}: {} of {} places cannot be filled",
            model.calendar.time_label(g.at),
            g.deficit,
            g.places
        )
    } else {
        format!(
            "{what} {verb} for {} at {}: {}; {} of {} places cannot be filled",
            count_of(
                g.techs.len(),
                "qualified technician",
                "qualified technicians"
            ),
            model.calendar.time_label(g.at),
            names(&tech_names),
            g.deficit,
            g.places
        )
    };
    Scarcity {
        needs: needs.into_iter().map(str::to_owned).collect(),
        technicians: techs.into_iter().map(|(id, _)| id.to_owned()).collect(),
        places: g.places,
        deficit: g.deficit,
        message,
    }
}

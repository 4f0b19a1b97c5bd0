//! The rules, one module per family. Each `check` reads a [`Ctx`] (one technician's
//! schedule with its history) and pushes its violations; plan-level rules live in `plan`.
//!
//! A rule reports only what involves a candidate shift: history is read (rest across the
//! horizon's edge, averages over 12 weeks) but never blamed on its own.

pub mod assignment;
pub mod plan;
pub mod requests;
pub mod rest;
pub mod rostering;
pub mod working_time;

use alloc::vec::Vec;

use callsheet_plugin_sdk::calendar::{Calendar, WeekIndex, week_of};
use callsheet_plugin_sdk::report::normalize_subjects;
use callsheet_plugin_sdk::types::{Problem, Subject, Technician, Violation};

use crate::config::Limits;
use crate::index::Index;
use crate::model::Period;
use crate::timeline::{Timeline, add_in_order};

/// One technician's schedule, ready to be checked.
#[derive(Debug)]
pub struct Ctx<'p> {
    pub problem: &'p Problem,
    /// The problem's ids resolved to positions.
    pub index: &'p Index,
    pub cal: Calendar<'p>,
    pub tech: &'p Technician,
    pub limits: &'p Limits,
    /// History and candidate shifts, sorted.
    pub periods: Vec<Period<'p>>,
    pub timeline: Timeline,
    /// First and last local day of the horizon.
    pub horizon_days: (i32, i32),
    /// Seconds of work per week (in week order, each week once), and the weeks touched
    /// by candidate shifts: read by several rules, so computed once.
    weeks: Vec<(WeekIndex, i64)>,
    candidate_weeks: Vec<WeekIndex>,
}

impl<'p> Ctx<'p> {
    pub fn new(
        problem: &'p Problem,
        index: &'p Index,
        cal: Calendar<'p>,
        tech: &'p Technician,
        limits: &'p Limits,
        periods: Vec<Period<'p>>,
    ) -> Self {
        let timeline = Timeline::build(&periods, &cal);
        let horizon_days = (
            cal.day_of(problem.horizon.start),
            cal.day_of(problem.horizon.end - 1),
        );
        let mut weeks: Vec<(WeekIndex, i64)> = Vec::new();
        for &(day, secs) in timeline.day_work() {
            add_in_order(&mut weeks, week_of(day), secs);
        }
        let mut candidate_weeks: Vec<WeekIndex> = timeline
            .candidate_days
            .iter()
            .map(|&d| week_of(d))
            .collect();
        candidate_weeks.dedup();
        Ctx {
            problem,
            index,
            cal,
            tech,
            limits,
            periods,
            timeline,
            horizon_days,
            weeks,
            candidate_weeks,
        }
    }

    /// The candidate shifts (not history).
    pub fn candidates(&self) -> impl Iterator<Item = &Period<'p>> {
        self.periods.iter().filter(|p| !p.past)
    }

    /// Subjects: the technician, then the given ones, sorted and unique.
    pub fn subjects(&self, more: impl IntoIterator<Item = Subject>) -> Vec<Subject> {
        let mut s: Vec<Subject> = core::iter::once(Subject::Technician(self.tech.id.clone()))
            .chain(more)
            .collect();
        normalize_subjects(&mut s);
        s
    }

    /// Subjects of the candidate shifts that touch the local days `from..=to`.
    pub fn candidate_subjects_between(&self, from: i32, to: i32) -> Vec<Subject> {
        self.candidates()
            .filter(|p| {
                self.cal.day_of(p.window.start) <= to && self.cal.day_of(p.window.end - 1) >= from
            })
            .flat_map(|p| p.subjects())
            .collect()
    }

    /// Seconds of work in a week (all known work).
    pub fn week_work(&self, week: WeekIndex) -> i64 {
        self.weeks
            .binary_search_by_key(&week, |&(w, _)| w)
            .map_or(0, |i| self.weeks[i].1)
    }

    /// The weeks touched by candidate shifts, in order.
    pub fn candidate_weeks(&self) -> impl Iterator<Item = WeekIndex> + '_ {
        self.candidate_weeks.iter().copied()
    }
}

/// Every schedule-level rule.
pub fn check_schedule(ctx: &Ctx<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    assignment::check(ctx, &mut out);
    requests::check(ctx, &mut out);
    rest::check(ctx, &mut out);
    working_time::check(ctx, &mut out);
    rostering::check(ctx, &mut out);
    out
}

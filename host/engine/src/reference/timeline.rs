//! Local days and ISO weeks of the problem's calendar, as the rules plugin reads them:
//! the local day of an instant, a window split at local midnights, and week bounds.

use callsheet_runtime::types::{Calendar, Window};

/// The problem's calendar, indexed.
#[derive(Debug)]
pub struct Days<'c> {
    cal: &'c Calendar,
}

/// An ISO week: (ISO year, week number).
pub type Week = (i32, u8);

impl<'c> Days<'c> {
    pub fn new(cal: &'c Calendar) -> Self {
        Days { cal }
    }

    /// Index in `days` of the local day holding `instant` (clamped to the calendar).
    fn index(&self, instant: i64) -> usize {
        let days = &self.cal.days;
        days.partition_point(|d| d.bounds.start <= instant)
            .saturating_sub(1)
            .min(days.len().saturating_sub(1))
    }

    /// The local day number of an instant.
    pub fn day_of(&self, instant: i64) -> i32 {
        self.cal.days.get(self.index(instant)).map_or(0, |d| d.day)
    }

    /// The ISO week of a day number.
    pub fn week_of_day(&self, day: i32) -> Week {
        let first = self.cal.days.first().map_or(0, |d| d.day);
        self.cal
            .days
            .get(usize::try_from(day - first).unwrap_or(0))
            .map_or((0, 0), |d| (d.iso_year, d.iso_week))
    }

    /// UTC bounds of an ISO week (Monday 00:00 to next Monday 00:00, local).
    pub fn week_bounds(&self, week: Week) -> Window {
        let mut days = self
            .cal
            .days
            .iter()
            .filter(|d| (d.iso_year, d.iso_week) == week);
        // Monday is the first of the week's days, Sunday the last.
        let first = days.next().map_or(0, |d| d.bounds.start);
        let last = days.next_back().map_or(first, |d| d.bounds.end);
        Window {
            start: first,
            end: last,
        }
    }

    /// Seconds of `w` in each local day it touches.
    pub fn split(&self, w: Window) -> Vec<(i32, i64)> {
        let mut out = Vec::new();
        let mut i = self.index(w.start);
        let days = &self.cal.days;
        while i < days.len() && days[i].bounds.start < w.end {
            let b = days[i].bounds;
            let secs = w.end.min(b.end) - w.start.max(b.start);
            if secs > 0 {
                out.push((days[i].day, secs));
            }
            i += 1;
        }
        out
    }
}

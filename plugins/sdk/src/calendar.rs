//! Local time from the host's `calendar`: which local day an instant falls on, where a local
//! day or a local wall-clock time starts in UTC, ISO weeks, nights and holidays.
//!
//! The host sends the UTC offset periods and the local days (with their holidays), so a
//! guest never needs a time-zone database. Everything here is integer arithmetic on
//! `day-number`s (days since 1970-01-01 local) and instants (UTC seconds): the offsets give
//! exact local times across daylight-saving changes, and dates and ISO weeks are computed
//! from the day number, so a day missing from `calendar.days` still has a date and a week.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::types::{self, CalendarDay, Holiday, Weekday};

/// Seconds in a nominal day (local days are 23, 24 or 25 h long in UTC).
pub const DAY: i64 = 86_400;
/// Seconds in an hour.
pub const HOUR: i64 = 3_600;

/// A Monday-based week index: week 0 is the week of 1970-01-01 (Monday 1969-12-29 to
/// Sunday 1970-01-04). ISO weeks are these weeks; consecutive weeks differ by 1.
pub type WeekIndex = i64;

/// Why a calendar cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarError {
    /// No offset period at all: local time cannot be computed.
    NoOffsets,
    /// Offsets not sorted by `since`.
    UnsortedOffsets,
    /// Days not consecutive.
    NonConsecutiveDays,
}

impl core::fmt::Display for CalendarError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            CalendarError::NoOffsets => "calendar.offsets is empty",
            CalendarError::UnsortedOffsets => "calendar.offsets is not sorted by `since`",
            CalendarError::NonConsecutiveDays => "calendar.days are not consecutive",
        })
    }
}

/// A checked view of a `calendar`.
#[derive(Debug, Clone, Copy)]
pub struct Calendar<'a> {
    offsets: &'a [types::UtcOffset],
    days: &'a [CalendarDay],
}

impl<'a> Calendar<'a> {
    /// Checks the invariants the lookups rely on (sorted offsets, consecutive days).
    pub fn new(calendar: &'a types::Calendar) -> Result<Self, CalendarError> {
        if calendar.offsets.is_empty() {
            return Err(CalendarError::NoOffsets);
        }
        if calendar.offsets.windows(2).any(|w| w[0].since > w[1].since) {
            return Err(CalendarError::UnsortedOffsets);
        }
        if calendar.days.windows(2).any(|w| w[1].day != w[0].day + 1) {
            return Err(CalendarError::NonConsecutiveDays);
        }
        Ok(Calendar::already_checked(calendar))
    }

    /// A view of a calendar that [`Calendar::new`] has accepted before, without checking it
    /// again: a session checks its problem's calendar once when it opens, and the check
    /// walks every day, which per technician and per call was a measurable share of an
    /// evaluation. On a calendar `new` would refuse, lookups give wrong days, and panic if
    /// there is no offset at all: use it only on what `new` accepted.
    pub fn already_checked(calendar: &'a types::Calendar) -> Self {
        Calendar {
            offsets: &calendar.offsets,
            days: &calendar.days,
        }
    }

    /// Local time minus UTC at `instant`, in seconds. Before the first period, the first
    /// period's offset (the host guarantees it covers the calendar).
    pub fn offset_at(&self, instant: i64) -> i64 {
        let i = self.offsets.partition_point(|o| o.since <= instant);
        i64::from(self.offsets[i.saturating_sub(1)].offset)
    }

    /// The instant as local seconds since 1970-01-01 00:00 local.
    pub fn local_seconds(&self, instant: i64) -> i64 {
        instant + self.offset_at(instant)
    }

    /// The local day an instant falls on.
    pub fn day_of(&self, instant: i64) -> i32 {
        day_number(self.local_seconds(instant).div_euclid(DAY))
    }

    /// The instant whose local wall-clock time is `seconds_of_day` after midnight on `day`
    /// (may exceed 24 h to reach into the next day). Exact across offset changes; a time
    /// that does not exist (skipped by a spring-forward) maps to the instant the clock
    /// jumped over it, and an ambiguous one (fall-back) to its first occurrence.
    pub fn local_instant(&self, day: i32, seconds_of_day: i64) -> i64 {
        let local = i64::from(day) * DAY + seconds_of_day;
        // Try each candidate offset: the one in force at the result is the right one.
        let first = local - self.offset_at(local - self.offset_at(local));
        let mut best: Option<i64> = None;
        for o in self.offsets {
            let candidate = local - i64::from(o.offset);
            if self.local_seconds(candidate) == local {
                best = Some(best.map_or(candidate, |b: i64| b.min(candidate)));
            }
        }
        best.unwrap_or(first)
    }

    /// UTC bounds of a local day: local midnight to the next local midnight.
    pub fn day_bounds(&self, day: i32) -> types::Window {
        types::Window {
            start: self.local_instant(day, 0),
            end: self.local_instant(day + 1, 0),
        }
    }

    /// The host's record for a day, if the calendar covers it.
    pub fn day(&self, day: i32) -> Option<&'a CalendarDay> {
        let first = self.days.first()?.day;
        let i = usize::try_from(i64::from(day) - i64::from(first)).ok()?;
        self.days.get(i)
    }

    /// The public holiday on a day, if any.
    pub fn holiday(&self, day: i32) -> Option<&'a Holiday> {
        self.day(day).and_then(|d| d.holiday.as_ref())
    }

    /// The local days a window touches, with the seconds of the window in each, in order:
    /// how rules that count per calendar day split a shift at midnight. An iterator, so
    /// that a caller folding the parts into its own totals allocates nothing.
    pub fn split_by_day(&self, window: &types::Window) -> impl Iterator<Item = (i32, i64)> + 'a {
        let calendar = *self;
        let end = window.end;
        let mut day = self.day_of(window.start);
        let mut cursor = window.start;
        core::iter::from_fn(move || {
            if cursor >= end {
                return None;
            }
            let next = calendar.local_instant(day + 1, 0).max(cursor + 1);
            let part_end = next.min(end);
            let part = (day, part_end - cursor);
            cursor = part_end;
            day += 1;
            Some(part)
        })
    }

    /// The UTC windows of night work touching `window`: for each local day D, local
    /// `start_of_day` to `end_of_day` seconds after D's midnight (`end_of_day` may exceed a
    /// day for nights that cross midnight, e.g. 21:00-06:00 is 75600..108000). Each part is
    /// tagged with the day D the night belongs to.
    pub fn night_parts(
        &self,
        window: &types::Window,
        start_of_day: i64,
        end_of_day: i64,
    ) -> Vec<(i32, types::Window)> {
        let mut parts = Vec::new();
        if end_of_day <= start_of_day {
            return parts;
        }
        // A night belonging to an earlier day may reach into the window.
        let reach = end_of_day.div_euclid(DAY) as i32 + 1;
        for day in self.day_of(window.start) - reach..=self.day_of(window.end) {
            let night = types::Window {
                start: self.local_instant(day, start_of_day),
                end: self.local_instant(day, end_of_day),
            };
            let (start, end) = (night.start.max(window.start), night.end.min(window.end));
            if end > start {
                parts.push((day, types::Window { start, end }));
            }
        }
        parts
    }

    /// "2025-05-12 08:00", local wall-clock time of an instant, for messages.
    pub fn time_label(&self, instant: i64) -> String {
        let local = self.local_seconds(instant);
        let day = day_number(local.div_euclid(DAY));
        let secs = local.rem_euclid(DAY);
        format!(
            "{} {:02}:{:02}",
            date_label(day),
            secs / HOUR,
            (secs % HOUR) / 60
        )
    }
}

/// Saturating conversion of a day count to a `day-number`.
fn day_number(days: i64) -> i32 {
    i32::try_from(days).unwrap_or(if days < 0 { i32::MIN } else { i32::MAX })
}

/// The week of a local day.
pub fn week_of(day: i32) -> WeekIndex {
    (i64::from(day) + 3).div_euclid(7)
}

/// The Monday of a week.
pub fn week_monday(week: WeekIndex) -> i32 {
    day_number(week * 7 - 3)
}

/// The weekday of a local day (1970-01-01 was a Thursday).
pub fn weekday_of(day: i32) -> Weekday {
    match (i64::from(day) + 3).rem_euclid(7) {
        0 => Weekday::Monday,
        1 => Weekday::Tuesday,
        2 => Weekday::Wednesday,
        3 => Weekday::Thursday,
        4 => Weekday::Friday,
        5 => Weekday::Saturday,
        _ => Weekday::Sunday,
    }
}

/// Lowercase English name of a weekday, as parameters spell it ("saturday").
pub fn weekday_name(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Monday => "monday",
        Weekday::Tuesday => "tuesday",
        Weekday::Wednesday => "wednesday",
        Weekday::Thursday => "thursday",
        Weekday::Friday => "friday",
        Weekday::Saturday => "saturday",
        Weekday::Sunday => "sunday",
    }
}

/// The weekday a lowercase English name designates.
pub fn parse_weekday(name: &str) -> Option<Weekday> {
    [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ]
    .into_iter()
    .find(|w| weekday_name(*w) == name)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
pub fn days_from_civil(year: i32, month: u8, day: u8) -> i32 {
    let (y, m, d) = (
        i64::from(year) - i64::from(month <= 2),
        i64::from(month),
        i64::from(day),
    );
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    day_number(era * 146_097 + doe - 719_468)
}

/// The proleptic Gregorian date of a day number (inverse of [`days_from_civil`]).
pub fn civil_from_days(day: i32) -> types::Date {
    let z = i64::from(day) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    types::Date {
        year: day_number(y),
        month: m as u8,
        day: d as u8,
    }
}

/// ISO 8601 week-numbering year and week of a day: the week belongs to the year of its
/// Thursday.
pub fn iso_week(day: i32) -> (i32, u8) {
    let thursday = week_monday(week_of(day)) + 3;
    let year = civil_from_days(thursday).year;
    let week = (thursday - days_from_civil(year, 1, 1)) / 7 + 1;
    (year, week as u8)
}

/// "2025-05-12".
pub fn date_label(day: i32) -> String {
    let d = civil_from_days(day);
    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
}

/// "2025-W19".
pub fn week_label(week: WeekIndex) -> String {
    let (year, w) = iso_week(week_monday(week));
    format!("{year:04}-W{w:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    #[test]
    fn dates_round_trip_and_iso_weeks_match_known_values() {
        let cases = [
            ((1970, 1, 1), 0, Weekday::Thursday, (1970, 1)),
            ((2025, 5, 1), 20209, Weekday::Thursday, (2025, 18)),
            ((2024, 12, 30), 20087, Weekday::Monday, (2025, 1)),
            ((2021, 1, 3), 18630, Weekday::Sunday, (2020, 53)),
            ((1969, 12, 31), -1, Weekday::Wednesday, (1970, 1)),
            ((2000, 2, 29), 11016, Weekday::Tuesday, (2000, 9)),
        ];
        for ((y, m, d), number, weekday, iso) in cases {
            assert_eq!(
                days_from_civil(y, m, d),
                number,
                "days_from_civil({y}-{m}-{d})"
            );
            assert_eq!(
                civil_from_days(number),
                types::Date {
                    year: y,
                    month: m,
                    day: d
                },
                "civil_from_days({number})"
            );
            assert_eq!(weekday_of(number), weekday, "weekday of {y}-{m}-{d}");
            assert_eq!(iso_week(number), iso, "ISO week of {y}-{m}-{d}");
        }
        assert_eq!(week_label(week_of(20209)), "2025-W18");
    }

    #[test]
    fn local_time_follows_daylight_saving_changes() {
        // Europe/Paris 2025: CEST from 2025-03-30 01:00 UTC to 2025-10-26 01:00 UTC.
        let cal = testing::paris_2025();
        let c = Calendar::new(&cal).expect("valid calendar");
        let march_30 = days_from_civil(2025, 3, 30);
        let bounds = c.day_bounds(march_30);
        assert_eq!(
            bounds.end - bounds.start,
            23 * HOUR,
            "spring-forward day is 23 h"
        );
        let october_26 = days_from_civil(2025, 10, 26);
        let bounds = c.day_bounds(october_26);
        assert_eq!(
            bounds.end - bounds.start,
            25 * HOUR,
            "fall-back day is 25 h"
        );
        // 2025-05-12 08:00 CEST is 06:00 UTC.
        let may_12 = days_from_civil(2025, 5, 12);
        let eight = c.local_instant(may_12, 8 * HOUR);
        assert_eq!(eight, i64::from(may_12) * DAY + 6 * HOUR);
        assert_eq!(c.day_of(eight), may_12);
        assert_eq!(c.time_label(eight), "2025-05-12 08:00");
        // 00:30 local on 12 May is still 11 May in UTC, but local day 12 May.
        assert_eq!(c.day_of(c.local_instant(may_12, 1800)), may_12);
    }

    #[test]
    fn windows_split_at_local_midnight_and_nights_are_found() {
        let cal = testing::paris_2025();
        let c = Calendar::new(&cal).expect("valid calendar");
        let d = days_from_civil(2025, 5, 12);
        let w = types::Window {
            start: c.local_instant(d, 22 * HOUR),
            end: c.local_instant(d, 30 * HOUR),
        };
        assert_eq!(
            c.split_by_day(&w).collect::<Vec<_>>(),
            alloc::vec![(d, 2 * HOUR), (d + 1, 6 * HOUR)]
        );
        let nights = c.night_parts(&w, 0, 6 * HOUR);
        assert_eq!(nights.len(), 1, "one night (00:00-06:00 of the 13th)");
        assert_eq!(nights[0].0, d + 1);
        assert_eq!(nights[0].1.end - nights[0].1.start, 6 * HOUR);
        // A 21:00-06:00 night definition crosses midnight and belongs to the 12th.
        let nights = c.night_parts(&w, 21 * HOUR, 30 * HOUR);
        assert_eq!(
            nights
                .iter()
                .map(|(day, w)| (*day, w.end - w.start))
                .collect::<Vec<_>>(),
            alloc::vec![(d, 8 * HOUR)]
        );
    }
}

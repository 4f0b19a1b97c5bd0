//! The local calendar the contract sends with every problem (`types::Calendar`): the
//! periods of constant UTC offset and every local day with its date, weekday, ISO week,
//! UTC bounds and public holiday, so that plugins need no time-zone database.
//!
//! Offsets come from the IANA database compiled into `chrono-tz`, so daylight-saving
//! changes are exact (a 23 h day in March and a 25 h day in October in Europe/Paris).
//! Holidays are France's ([`holidays`]), the default tenant's country.

pub mod holidays;

use callsheet_runtime::types::{Calendar, CalendarDay, Date, UtcOffset, Weekday, Window};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;

/// The tenant's default time zone.
pub const PARIS: Tz = chrono_tz::Europe::Paris;

/// Days since 1970-01-01 of a local date: the contract's `day-number`.
pub fn day_number(date: NaiveDate) -> i32 {
    (date - epoch()).num_days() as i32
}

/// The local date of a `day-number`.
pub fn date_of(day: i32) -> NaiveDate {
    epoch() + Duration::days(i64::from(day))
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date")
}

/// The UTC instant (seconds) of a local wall-clock time. A time that does not exist (the
/// hour skipped when clocks go forward) is taken one hour later, as a person would read it;
/// an ambiguous one (the hour repeated in autumn) is its first occurrence.
pub fn local_instant(tz: Tz, date: NaiveDate, seconds_after_midnight: i64) -> i64 {
    let naive: NaiveDateTime =
        date.and_hms_opt(0, 0, 0).expect("midnight") + Duration::seconds(seconds_after_midnight);
    match tz.from_local_datetime(&naive).earliest() {
        Some(t) => t.timestamp(),
        None => tz
            .from_local_datetime(&(naive + Duration::hours(1)))
            .earliest()
            .map_or_else(|| naive.and_utc().timestamp(), |t| t.timestamp()),
    }
}

/// The offset (local minus UTC, seconds) in force at a UTC instant.
pub fn offset_at(tz: Tz, instant: i64) -> i32 {
    let utc = chrono::DateTime::from_timestamp(instant, 0)
        .expect("instant in chrono's range")
        .naive_utc();
    tz.offset_from_utc_datetime(&utc).fix().local_minus_utc()
}

/// The calendar of the local days `first..=last` in `tz`, with French public holidays.
pub fn build(tz: Tz, first: NaiveDate, last: NaiveDate) -> Calendar {
    let mut days = Vec::new();
    let mut date = first;
    while date <= last {
        let start = local_instant(tz, date, 0);
        let end = local_instant(tz, date + Duration::days(1), 0);
        let iso = date.iso_week();
        days.push(CalendarDay {
            day: day_number(date),
            date: Date {
                year: date.year(),
                month: date.month() as u8,
                day: date.day() as u8,
            },
            weekday: weekday(date),
            iso_year: iso.year(),
            iso_week: iso.week() as u8,
            bounds: Window { start, end },
            holiday: holidays::french(date),
        });
        date += Duration::days(1);
    }
    Calendar {
        time_zone: tz.name().to_string(),
        offsets: offsets(tz, &days),
        days,
    }
}

/// The periods of constant offset over the days: one entry at the first day's start, then
/// one at each change, found to the second by bisection inside the day where it happens.
fn offsets(tz: Tz, days: &[CalendarDay]) -> Vec<UtcOffset> {
    let Some(first) = days.first() else {
        return Vec::new();
    };
    let mut out = vec![UtcOffset {
        since: first.bounds.start,
        offset: offset_at(tz, first.bounds.start),
    }];
    for d in days {
        let before = offset_at(tz, d.bounds.start);
        if offset_at(tz, d.bounds.end) == before {
            continue;
        }
        // Invariant: offset at lo is `before`, at hi it is not.
        let (mut lo, mut hi) = (d.bounds.start, d.bounds.end);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if offset_at(tz, mid) == before {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        out.push(UtcOffset {
            since: hi,
            offset: offset_at(tz, hi),
        });
    }
    out
}

fn weekday(date: NaiveDate) -> Weekday {
    match date.weekday() {
        chrono::Weekday::Mon => Weekday::Monday,
        chrono::Weekday::Tue => Weekday::Tuesday,
        chrono::Weekday::Wed => Weekday::Wednesday,
        chrono::Weekday::Thu => Weekday::Thursday,
        chrono::Weekday::Fri => Weekday::Friday,
        chrono::Weekday::Sat => Weekday::Saturday,
        chrono::Weekday::Sun => Weekday::Sunday,
    }
}

/// The Monday of the ISO week holding `date`.
pub fn monday_of(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn paris_days_are_23_24_and_25_hours_long_around_daylight_saving() {
        let cal = build(PARIS, ymd(2025, 3, 29), ymd(2025, 10, 27));
        let len = |y, m, d| {
            let n = day_number(ymd(y, m, d));
            let day = cal.days.iter().find(|c| c.day == n).expect("day in range");
            day.bounds.end - day.bounds.start
        };
        assert_eq!(len(2025, 3, 29), 24 * 3600);
        assert_eq!(len(2025, 3, 30), 23 * 3600, "spring forward");
        assert_eq!(len(2025, 10, 26), 25 * 3600, "fall back");
        // 2025-03-30 01:00 UTC and 2025-10-26 01:00 UTC.
        assert_eq!(
            cal.offsets,
            vec![
                UtcOffset {
                    since: cal.days[0].bounds.start,
                    offset: 3600
                },
                UtcOffset {
                    since: 1_743_296_400,
                    offset: 7200
                },
                UtcOffset {
                    since: 1_761_440_400,
                    offset: 3600
                },
            ]
        );
    }

    #[test]
    fn iso_weeks_and_weekdays_follow_iso_8601() {
        let cal = build(PARIS, ymd(2024, 12, 30), ymd(2025, 1, 5));
        let first = &cal.days[0];
        assert_eq!(
            (first.iso_year, first.iso_week),
            (2025, 1),
            "30 Dec 2024 is in 2025-W01"
        );
        assert_eq!(first.weekday, Weekday::Monday);
        assert_eq!(cal.days[6].weekday, Weekday::Sunday);
        assert_eq!(first.day, 20_087);
    }

    #[test]
    fn a_skipped_local_time_is_read_one_hour_later() {
        // 2025-03-30 02:30 does not exist in Paris: 03:30 CEST = 01:30 UTC.
        assert_eq!(
            local_instant(PARIS, ymd(2025, 3, 30), 2 * 3600 + 1800),
            1_743_298_200
        );
    }
}

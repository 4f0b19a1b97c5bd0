//! Timesheets and pay periods: the vocabularies, a worked shift with its breaks, and the
//! pay period (a local month or ISO week) that a moment falls in.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, IsoWeek, NaiveDate, Utc, Weekday};
use serde::{Deserialize, Serialize};

use super::planning::text_enum;
use super::time::{Window, local_date, local_midnight};
use super::{InvalidValue, TimeZone};

text_enum!(
    /// Where a timesheet stands: a technician fills a draft and submits it, a manager
    /// approves it or sends it back to draft with a reason, or excludes it from pay.
    TimesheetState {
        Draft => "draft",
        Submitted => "submitted",
        Approved => "approved",
        /// Left out of pay (no-show, cancelled, duplicate), with a reason; not counted as
        /// worked and not checked for overlaps.
        Excluded => "excluded",
    }
);

text_enum!(
    /// How a tenant cuts time into pay periods, in its own time zone.
    PayPeriodKind {
        /// Calendar months: `2026-07`.
        Month => "month",
        /// ISO 8601 weeks, Monday to Sunday: `2026-W27`.
        Week => "week",
    }
);

impl PayPeriodKind {
    /// The kind a tenant starts with.
    pub const DEFAULT: PayPeriodKind = PayPeriodKind::Month;
}

text_enum!(
    /// Whether a pay period takes writes.
    PayPeriodState {
        Open => "open",
        /// Every timesheet in it is approved or excluded, and none may change.
        Closed => "closed",
    }
);

/// The most breaks one shift may declare.
pub const MAX_BREAKS: usize = 16;
/// The longest shift one timesheet may declare; longer work is several timesheets.
pub const MAX_SHIFT_HOURS: i64 = 24;
/// The most cachets one timesheet may declare.
pub const MAX_CACHETS: u32 = 10;

/// What a shift's declaration got wrong: the field and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftError {
    pub field: &'static str,
    pub reason: String,
}

/// A worked shift: its window, its unpaid breaks (sorted, apart, inside the window).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shift {
    window: Window,
    breaks: Vec<Window>,
}

impl Shift {
    /// Checks a shift as declared; `tz` names the zone in the messages.
    pub fn new(window: Window, mut breaks: Vec<Window>, tz: TimeZone) -> Result<Self, ShiftError> {
        if window.seconds() > MAX_SHIFT_HOURS * 3600 {
            return Err(ShiftError {
                field: "end",
                reason: format!(
                    "a timesheet covers at most {MAX_SHIFT_HOURS} hours; declare longer work in several timesheets"
                ),
            });
        }
        if breaks.len() > MAX_BREAKS {
            return Err(ShiftError {
                field: "breaks",
                reason: format!("at most {MAX_BREAKS} breaks per timesheet"),
            });
        }
        breaks.sort();
        let shown = |t: DateTime<Utc>| super::time::local(t, tz).to_rfc3339();
        for b in &breaks {
            if !window.contains(b) {
                return Err(ShiftError {
                    field: "breaks",
                    reason: format!(
                        "the break {} to {} is not inside the shift {} to {} ({})",
                        shown(b.start()),
                        shown(b.end()),
                        shown(window.start()),
                        shown(window.end()),
                        tz.name()
                    ),
                });
            }
        }
        for pair in breaks.windows(2) {
            if pair[0].overlaps(&pair[1]) {
                return Err(ShiftError {
                    field: "breaks",
                    reason: format!(
                        "the breaks starting {} and {} overlap",
                        shown(pair[0].start()),
                        shown(pair[1].start())
                    ),
                });
            }
        }
        Ok(Self { window, breaks })
    }

    pub fn window(&self) -> Window {
        self.window
    }

    pub fn breaks(&self) -> &[Window] {
        &self.breaks
    }

    /// Seconds worked: the shift minus its breaks.
    pub fn worked_seconds(&self) -> i64 {
        self.window.seconds() - self.breaks.iter().map(Window::seconds).sum::<i64>()
    }
}

/// A pay period: a local calendar month or ISO week of the tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PayPeriod {
    kind: PayPeriodKind,
    /// Its first local day.
    first: NaiveDate,
}

impl PayPeriod {
    /// The period of `kind` holding the local date `day`.
    pub fn containing(kind: PayPeriodKind, day: NaiveDate) -> Self {
        let first = match kind {
            PayPeriodKind::Month => day.with_day(1).expect("every month has a first day"),
            PayPeriodKind::Week => {
                day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
            }
        };
        Self { kind, first }
    }

    /// The period of `kind` holding the instant `t`, in `tz`.
    pub fn at(kind: PayPeriodKind, t: DateTime<Utc>, tz: TimeZone) -> Self {
        Self::containing(kind, local_date(t, tz))
    }

    /// Reads `2026-07` (a month) or `2026-W27` (an ISO week); the kind must be the
    /// tenant's.
    pub fn parse(raw: &str, kind: PayPeriodKind) -> Result<Self, InvalidValue> {
        let expected = match kind {
            PayPeriodKind::Month => "a month such as 2026-07 (this tenant pays by month)",
            PayPeriodKind::Week => "an ISO week such as 2026-W27 (this tenant pays by week)",
        };
        let refuse = || InvalidValue::new(format!("`{raw}` is not {expected}"));
        let (year, rest) = raw.split_once('-').ok_or_else(refuse)?;
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refuse());
        }
        let year: i32 = year.parse().map_err(|_| refuse())?;
        if year < 1970 {
            return Err(refuse());
        }
        let first = match kind {
            PayPeriodKind::Month => {
                if rest.len() != 2 || !rest.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(refuse());
                }
                let month: u32 = rest.parse().map_err(|_| refuse())?;
                NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(refuse)?
            }
            PayPeriodKind::Week => {
                let week = rest.strip_prefix('W').ok_or_else(refuse)?;
                if week.len() != 2 || !week.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(refuse());
                }
                let week: u32 = week.parse().map_err(|_| refuse())?;
                NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(refuse)?
            }
        };
        Ok(Self { kind, first })
    }

    pub fn kind(&self) -> PayPeriodKind {
        self.kind
    }

    /// Its first local day.
    pub fn first_day(&self) -> NaiveDate {
        self.first
    }

    /// The day after its last local day.
    pub fn end_day(&self) -> NaiveDate {
        match self.kind {
            PayPeriodKind::Month => self
                .first
                .checked_add_months(chrono::Months::new(1))
                .expect("months of supported years"),
            PayPeriodKind::Week => self.first + Duration::days(7),
        }
    }

    /// Its bounds in UTC: local midnight of its first day to local midnight after its
    /// last (a daylight-saving change inside makes it an hour shorter or longer).
    pub fn window(&self, tz: TimeZone) -> Window {
        Window::new(
            local_midnight(tz, self.first),
            local_midnight(tz, self.end_day()),
        )
        .expect("a period lasts days")
    }

    /// `2026-07` or `2026-W27`.
    pub fn label(&self) -> String {
        match self.kind {
            PayPeriodKind::Month => format!("{:04}-{:02}", self.first.year(), self.first.month()),
            PayPeriodKind::Week => {
                let week: IsoWeek = self.first.iso_week();
                format!("{:04}-W{:02}", week.year(), week.week())
            }
        }
    }
}

impl fmt::Display for PayPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paris() -> TimeZone {
        TimeZone::parse("Europe/Paris").unwrap()
    }

    fn at(raw: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(raw)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn months_and_weeks_are_local_and_round_trip_through_their_labels() {
        // 30 June 23:30 UTC is already 1 July in Paris.
        let p = PayPeriod::at(PayPeriodKind::Month, at("2026-06-30T23:30:00Z"), paris());
        assert_eq!(p.label(), "2026-07");
        let w = p.window(paris());
        assert_eq!(w.start(), at("2026-06-30T22:00:00Z"));
        assert_eq!(w.end(), at("2026-07-31T22:00:00Z"));
        assert_eq!(
            PayPeriod::parse("2026-07", PayPeriodKind::Month).unwrap(),
            p
        );

        // March 2026 loses an hour to daylight saving.
        let march = PayPeriod::parse("2026-03", PayPeriodKind::Month).unwrap();
        assert_eq!(march.window(paris()).seconds(), 31 * 86_400 - 3600);

        // 1 January 2027 is a Friday of ISO week 2026-W53.
        let week = PayPeriod::containing(
            PayPeriodKind::Week,
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
        );
        assert_eq!(week.label(), "2026-W53");
        assert_eq!(
            week.first_day(),
            NaiveDate::from_ymd_opt(2026, 12, 28).unwrap()
        );
        assert_eq!(
            PayPeriod::parse("2026-W53", PayPeriodKind::Week).unwrap(),
            week
        );
    }

    #[test]
    fn labels_of_the_other_kind_or_out_of_range_are_refused_with_the_expected_form() {
        let err = PayPeriod::parse("2026-W27", PayPeriodKind::Month).unwrap_err();
        assert!(err.reason.contains("2026-07"), "{err}");
        for bad in [
            "2026-13",
            "2026-7",
            "26-07",
            "1969-12",
            "2026-07-01",
            "",
            "2026-",
        ] {
            assert!(
                PayPeriod::parse(bad, PayPeriodKind::Month).is_err(),
                "{bad}"
            );
        }
        for bad in ["2025-W53", "2026-W00", "2026-W1", "2026-07"] {
            assert!(PayPeriod::parse(bad, PayPeriodKind::Week).is_err(), "{bad}");
        }
    }

    #[test]
    fn breaks_sit_inside_the_shift_apart_and_are_not_worked() {
        let w = |a: &str, b: &str| Window::new(at(a), at(b)).unwrap();
        let shift = w("2026-07-01T08:00:00Z", "2026-07-01T18:00:00Z");
        let s = Shift::new(
            shift,
            vec![
                w("2026-07-01T15:00:00Z", "2026-07-01T15:15:00Z"),
                w("2026-07-01T12:00:00Z", "2026-07-01T13:00:00Z"),
            ],
            paris(),
        )
        .unwrap();
        assert_eq!(s.worked_seconds(), 10 * 3600 - 4500);
        assert_eq!(s.breaks()[0].start(), at("2026-07-01T12:00:00Z"), "sorted");

        let outside = Shift::new(
            shift,
            vec![w("2026-07-01T17:30:00Z", "2026-07-01T18:30:00Z")],
            paris(),
        );
        let err = outside.unwrap_err();
        assert_eq!(err.field, "breaks");
        assert!(
            err.reason.contains("19:30:00+02:00") && err.reason.contains("Europe/Paris"),
            "{}",
            err.reason
        );
        let overlapping = Shift::new(
            shift,
            vec![
                w("2026-07-01T12:00:00Z", "2026-07-01T13:00:00Z"),
                w("2026-07-01T12:30:00Z", "2026-07-01T13:30:00Z"),
            ],
            paris(),
        );
        assert!(overlapping.unwrap_err().reason.contains("overlap"));
        let long = Shift::new(
            w("2026-07-01T08:00:00Z", "2026-07-02T08:00:01Z"),
            vec![],
            paris(),
        );
        assert_eq!(long.unwrap_err().field, "end");
    }
}

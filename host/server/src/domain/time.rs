//! Instants, windows and date bounds as the API takes them.
//!
//! Instants are stored in UTC and truncated to the second: the plugin contract counts in
//! seconds, and on SQLite instants are RFC 3339 text whose order is time order only when
//! every value has the same shape (no fractional part). Dates in query strings are local
//! to the tenant's time zone: `from=2026-07-01` means local midnight there.

use chrono::{DateTime, FixedOffset, NaiveDate, SubsecRound, TimeZone as _, Utc};
use serde::{Deserialize, Deserializer};

use super::{InvalidValue, TimeZone};

/// The current instant to the microsecond, the finest PostgreSQL stores: a row read back
/// equals the one written, on both backends (record timestamps, optimistic checks).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// `t` without its fraction of a second.
pub fn to_second(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(0)
}

/// `t` as the API shows it: in the tenant's zone, with that zone's offset at that instant
/// (`2026-07-01T20:00:00+02:00`), so it is both unambiguous and readable locally.
pub fn local(t: DateTime<Utc>, tz: TimeZone) -> DateTime<FixedOffset> {
    t.with_timezone(&tz.0).fixed_offset()
}

/// The local date of `t` in `tz`.
pub fn local_date(t: DateTime<Utc>, tz: TimeZone) -> NaiveDate {
    t.with_timezone(&tz.0).date_naive()
}

/// The first instant the API accepts: plugins count seconds from it.
pub const EARLIEST: DateTime<Utc> = DateTime::<Utc>::UNIX_EPOCH;

/// The last instant the API accepts, 9999-12-31T23:59:59Z: SQLite keeps instants as
/// RFC 3339 text, whose order is time order only while years have four digits.
pub fn latest() -> DateTime<Utc> {
    DateTime::from_timestamp(253_402_300_799, 0).expect("in chrono's range")
}

/// Refuses an instant outside [`EARLIEST`]..=[`latest`].
fn in_range(t: DateTime<Utc>) -> Result<DateTime<Utc>, InvalidValue> {
    if t < EARLIEST || t > latest() {
        return Err(InvalidValue::new(format!(
            "{} is outside the supported range, 1970-01-01 to 9999-12-31 (UTC)",
            t.to_rfc3339()
        )));
    }
    Ok(t)
}

/// A half-open window `[start, end)` in UTC, to the second, with `end > start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Window {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl Window {
    /// Truncates both ends to the second and refuses an empty or reversed window.
    /// Both ends must lie in the supported range (see [`latest`]).
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self, InvalidValue> {
        let (start, end) = (in_range(to_second(start))?, in_range(to_second(end))?);
        if end <= start {
            return Err(InvalidValue::new(format!(
                "must end after it starts (start {}, end {})",
                start.to_rfc3339(),
                end.to_rfc3339()
            )));
        }
        Ok(Self { start, end })
    }

    /// Its first second.
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// The instant just after its last second.
    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }

    /// The smallest window covering both.
    pub fn hull(self, other: Window) -> Window {
        Self {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// Whether `other` lies entirely inside this window.
    pub fn contains(&self, other: &Window) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// Whether the two windows share at least one second.
    pub fn overlaps(&self, other: &Window) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// Its length in seconds.
    pub fn seconds(&self) -> i64 {
        (self.end - self.start).num_seconds()
    }
}

/// A bound of a date filter: a calendar date (local midnight in the tenant's zone) or an
/// RFC 3339 instant with its offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateBound {
    Date(NaiveDate),
    Instant(DateTime<Utc>),
}

impl DateBound {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        if let Ok(date) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            // Midnight UTC of the date: a bound a day off the range in some zone is harmless.
            in_range(date.and_time(chrono::NaiveTime::MIN).and_utc())?;
            return Ok(Self::Date(date));
        }
        let t = DateTime::parse_from_rfc3339(raw).map_err(|_| {
            InvalidValue::new(format!(
                "`{raw}` is neither a date (YYYY-MM-DD) nor an RFC 3339 instant with an offset"
            ))
        })?;
        Ok(Self::Instant(in_range(to_second(t.with_timezone(&Utc)))?))
    }

    /// The instant this bound designates in `tz`: a date is its local midnight.
    pub fn resolve(self, tz: TimeZone) -> DateTime<Utc> {
        match self {
            Self::Instant(t) => t,
            Self::Date(date) => local_midnight(tz, date),
        }
    }

    /// The instant an inclusive upper bound designates: a date `to=2026-07-03` includes
    /// that whole local day, so it resolves to the next local midnight.
    pub fn resolve_end(self, tz: TimeZone) -> DateTime<Utc> {
        match self {
            Self::Instant(t) => t,
            Self::Date(date) => local_midnight(tz, date.succ_opt().unwrap_or(date)),
        }
    }
}

/// The window a list's `from`/`to` filter designates in `tz` (open on a missing side);
/// `None` when neither is given. An empty or reversed range is refused.
pub fn filter_window(
    from: Option<DateBound>,
    to: Option<DateBound>,
    tz: TimeZone,
) -> Result<Option<Window>, InvalidValue> {
    if from.is_none() && to.is_none() {
        return Ok(None);
    }
    // An open side is the supported range's end, not chrono's: SQLite compares instants
    // as text, and `+262143-12-31...` sorts before every four-digit year.
    let start = from.map_or(EARLIEST, |f| f.resolve(tz));
    let end = to.map_or_else(latest, |t| t.resolve_end(tz));
    if end <= start {
        return Err(InvalidValue::new("must be after `from`"));
    }
    Ok(Some(Window { start, end }))
}

impl<'de> Deserialize<'de> for DateBound {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// An instant as a client writes it: RFC 3339 with an offset, or a local date-time
/// without one (`2026-07-01T20:00`, seconds optional), read in the tenant's zone `tz`.
/// A local time that daylight saving skips or repeats is refused with what to write
/// instead. To the second, inside the supported range.
pub fn parse_instant(raw: &str, tz: TimeZone) -> Result<DateTime<Utc>, InvalidValue> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return in_range(to_second(t.with_timezone(&Utc)));
    }
    let naive = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(raw, f).ok())
        .ok_or_else(|| {
            InvalidValue::new(format!(
                "`{raw}` is not an RFC 3339 date-time with an offset (2026-07-01T20:00:00+02:00) nor a local date-time in {} (2026-07-01T20:00)",
                tz.name()
            ))
        })?;
    match tz.0.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => in_range(to_second(t.with_timezone(&Utc))),
        chrono::LocalResult::Ambiguous(a, b) => Err(InvalidValue::new(format!(
            "`{raw}` happens twice in {} (daylight saving ends); write it with its offset: {} or {}",
            tz.name(),
            a.fixed_offset().to_rfc3339(),
            b.fixed_offset().to_rfc3339()
        ))),
        chrono::LocalResult::None => Err(InvalidValue::new(format!(
            "`{raw}` does not exist in {} (daylight saving skips it)",
            tz.name()
        ))),
    }
}

/// The first instant of `date` in `tz`. Midnight can fall in a daylight-saving gap in a
/// few zones; the day then starts at the first instant that exists.
pub fn local_midnight(tz: TimeZone, date: NaiveDate) -> DateTime<Utc> {
    let mut naive = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    for _ in 0..4 {
        if let Some(t) = tz.0.from_local_datetime(&naive).earliest() {
            return t.with_timezone(&Utc);
        }
        naive += chrono::Duration::minutes(30);
    }
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paris() -> TimeZone {
        TimeZone::parse("Europe/Paris").unwrap()
    }

    #[test]
    fn windows_must_end_after_they_start_and_lose_their_fractions() {
        let t = DateTime::parse_from_rfc3339("2026-07-01T10:00:00.750Z")
            .unwrap()
            .with_timezone(&Utc);
        assert!(Window::new(t, t).is_err());
        let w = Window::new(t, t + chrono::Duration::hours(2)).unwrap();
        assert_eq!(w.start.to_rfc3339(), "2026-07-01T10:00:00+00:00");
        assert_eq!(w.seconds(), 7200);
    }

    #[test]
    fn instants_beyond_four_digit_years_or_before_1970_are_refused() {
        let t = |raw: &str| {
            DateTime::parse_from_rfc3339(raw)
                .unwrap()
                .with_timezone(&Utc)
        };
        assert!(Window::new(t("9999-12-31T20:00:00Z"), t("9999-12-31T23:59:59Z")).is_ok());
        let year_10000 = Utc.with_ymd_and_hms(10_000, 1, 1, 2, 0, 0).unwrap();
        let err = Window::new(t("9999-12-31T20:00:00Z"), year_10000).unwrap_err();
        assert!(err.reason.contains("9999-12-31"), "{err}");
        assert!(Window::new(t("1969-12-31T23:00:00Z"), t("1970-01-01T02:00:00Z")).is_err());
        assert!(DateBound::parse("+10000-01-01T00:00:00+00:00").is_err());
        assert!(DateBound::parse("10000-01-01").is_err());
        assert!(DateBound::parse("1969-12-31").is_err());
        assert!(DateBound::parse("9999-12-31").is_ok());
    }

    #[test]
    fn a_hull_covers_both_windows_and_the_gap_between_them() {
        let at = |h: i64| DateTime::<Utc>::from_timestamp(1_782_900_000 + h * 3600, 0).unwrap();
        let morning = Window::new(at(8), at(12)).unwrap();
        let evening = Window::new(at(18), at(23)).unwrap();
        let day = morning.hull(evening);
        assert_eq!((day.start(), day.end()), (at(8), at(23)));
        assert_eq!(evening.hull(morning), day);
        assert!(day.contains(&morning) && day.contains(&evening));
        assert_eq!(day.hull(morning), day);
    }

    #[test]
    fn dates_are_local_midnights_and_inclusive_at_the_end() {
        let d = DateBound::parse("2026-07-01").unwrap();
        assert_eq!(d.resolve(paris()).to_rfc3339(), "2026-06-30T22:00:00+00:00");
        assert_eq!(
            d.resolve_end(paris()).to_rfc3339(),
            "2026-07-01T22:00:00+00:00"
        );
        // Winter: UTC+1.
        let d = DateBound::parse("2026-01-15").unwrap();
        assert_eq!(d.resolve(paris()).to_rfc3339(), "2026-01-14T23:00:00+00:00");
    }

    #[test]
    fn client_instants_take_an_offset_or_the_tenants_zone() {
        let p = |raw: &str| parse_instant(raw, paris()).map(|t| t.to_rfc3339());
        assert_eq!(p("2026-07-01T20:00").unwrap(), "2026-07-01T18:00:00+00:00");
        assert_eq!(
            p("2026-01-01T20:00:30").unwrap(),
            "2026-01-01T19:00:30+00:00"
        );
        assert_eq!(
            p("2026-07-01T20:00:00.9Z").unwrap(),
            "2026-07-01T20:00:00+00:00"
        );
        let skipped = p("2026-03-29T02:30").unwrap_err();
        assert!(skipped.reason.contains("skips"), "{skipped}");
        let twice = p("2026-10-25T02:30").unwrap_err();
        assert!(
            twice.reason.contains("+02:00") && twice.reason.contains("+01:00"),
            "{twice}"
        );
        assert!(p("tomorrow").unwrap_err().reason.contains("Europe/Paris"));
        assert!(p("10000-01-01T00:00").is_err());
    }

    #[test]
    fn instants_need_an_offset() {
        assert!(DateBound::parse("2026-07-01T10:00:00").is_err());
        assert!(DateBound::parse("tomorrow").is_err());
        assert_eq!(
            DateBound::parse("2026-07-01T12:00:00+02:00")
                .unwrap()
                .resolve(paris())
                .to_rfc3339(),
            "2026-07-01T10:00:00+00:00"
        );
    }
}

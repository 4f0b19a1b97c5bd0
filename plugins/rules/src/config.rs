//! The rules plugin's parameters: the table (names, units, defaults with their legal
//! source, ranges) and [`Limits`], the typed values one evaluation reads.
//!
//! Every figure of every rule is here. Durations are seconds, weights penalty points.
//! Parameters marked overridable may be set per technician in `technician.overrides`
//! (a personal contract, a regular night worker); the plan-level ones may not.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use callsheet_plugin_sdk::calendar::parse_weekday;
use callsheet_plugin_sdk::params::{Kind, Reader, Spec};
use callsheet_plugin_sdk::types::{Param, ParamError, Weekday};

const H: i64 = 3600;
/// Upper bound of weights, so that sums of penalties stay far from overflow.
const MAX_WEIGHT: i64 = 1_000_000;

const fn int(
    name: &'static str,
    unit: &'static str,
    default: i64,
    min: i64,
    max: i64,
    description: &'static str,
) -> Spec {
    Spec {
        name,
        unit,
        description,
        kind: Kind::Int { default, min, max },
        overridable: true,
    }
}

const fn switch(name: &'static str, default: bool, description: &'static str) -> Spec {
    Spec {
        name,
        unit: "",
        description,
        kind: Kind::Bool { default },
        overridable: true,
    }
}

const fn weight(name: &'static str, default: i64, description: &'static str) -> Spec {
    int(name, "points", default, 0, MAX_WEIGHT, description)
}

fn succession_item(s: &str) -> Result<(), String> {
    match s.split_once('>') {
        Some((a, b)) if !a.is_empty() && !b.is_empty() && !b.contains('>') => Ok(()),
        _ => Err("must be \"from>to\", two shift types".to_owned()),
    }
}

fn weekday_item(s: &str) -> Result<(), String> {
    parse_weekday(s)
        .map(|_| ())
        .ok_or_else(|| "must be a lowercase English weekday (\"saturday\")".to_owned())
}

/// Every parameter of the rules plugin.
pub const SPECS: &[Spec] = &[
    int(
        "rest.daily.min",
        "s",
        11 * H,
        0,
        24 * H,
        "Minimum consecutive daily rest in the 24 h from the start of each working day; periods closer than this belong to the same working day. 11 h (Code du travail L3131-1).",
    ),
    int(
        "rest.daily.derogation.min",
        "s",
        9 * H,
        0,
        24 * H,
        "Shortest daily rest allowed by derogation, the missing hours to be recovered. 9 h (IDCC 2717).",
    ),
    int(
        "rest.daily.derogation.per-week",
        "count",
        2,
        0,
        7,
        "Derogations allowed per ISO (calendar) week; 0 forbids them. 2 (IDCC 2717).",
    ),
    int(
        "rest.daily.derogation.per-7-days",
        "count",
        3,
        0,
        7,
        "Derogations allowed in any 7 consecutive days (7 lifts this limit). 3 (IDCC 2717).",
    ),
    weight(
        "rest.daily.derogation.weight",
        1,
        "Soft penalty per missing minute of rest when a derogation is used within its limits (the hours to recover); 0 records nothing.",
    ),
    int(
        "rest.weekly.min",
        "s",
        35 * H,
        0,
        168 * H,
        "Minimum consecutive weekly rest: 24 h plus the 11 h daily rest (L3132-2). A rest straddling two weeks counts for both.",
    ),
    int(
        "work.days-per-week.max",
        "day",
        6,
        1,
        7,
        "Most local days with work in an ISO week (L3132-1).",
    ),
    int(
        "work.daily.max",
        "s",
        10 * H,
        H,
        24 * H,
        "Most work in a local calendar day, shifts split at midnight. 10 h (L3121-18); 12 h by agreement (L3121-19, IDCC 2717 art. 5.1).",
    ),
    int(
        "work.weekly.max",
        "s",
        48 * H,
        H,
        168 * H,
        "Most work in an ISO week. 48 h (L3121-20).",
    ),
    int(
        "work.average.max",
        "s",
        44 * H,
        H,
        168 * H,
        "Most average weekly work over `work.average.weeks` consecutive ISO weeks. 44 h (L3121-22).",
    ),
    int(
        "work.average.weeks",
        "week",
        12,
        1,
        12,
        "Number of consecutive weeks of the average. 12 (L3121-22); the look-back covers at most 12.",
    ),
    int(
        "break.after",
        "s",
        6 * H,
        0,
        24 * H,
        "Continuous work longer than this needs a break. 6 h (L3121-16).",
    ),
    int(
        "break.min",
        "s",
        20 * 60,
        0,
        24 * H,
        "Shortest gap that counts as the break. 20 min (L3121-16).",
    ),
    switch(
        "break.hard",
        false,
        "Whether a missing break is hard. Soft by default because planned windows do not show breaks taken inside them (timesheets do).",
    ),
    weight("break.weight", 10, "Penalty per stretch without the break."),
    int(
        "night.start",
        "s",
        0,
        0,
        24 * H,
        "Start of night work, seconds after local midnight. 00:00 (IDCC 2717: 24h-6h).",
    ),
    int(
        "night.end",
        "s",
        6 * H,
        0,
        48 * H,
        "End of night work, seconds after the local midnight of the night's day (over 86400 for a night crossing midnight). 06:00 (IDCC 2717).",
    ),
    switch(
        "night.regular-worker",
        false,
        "Whether the technician is a regular night worker (L3122-5); set it per technician in `overrides`.",
    ),
    int(
        "night.daily.max",
        "s",
        8 * H,
        H,
        24 * H,
        "Most work in a working day that includes night work, for regular night workers. 8 h (L3122-6).",
    ),
    switch(
        "availability.unavailable.hard",
        true,
        "Whether working in a declared unavailability is hard.",
    ),
    weight(
        "availability.unavailable.weight",
        100,
        "Penalty per shift in an unavailability when it is soft.",
    ),
    weight(
        "availability.preferred.weight",
        5,
        "Penalty per shift outside the technician's preferred windows, when they declared any.",
    ),
    weight(
        "availability.undeclared.weight",
        0,
        "Penalty per shift not covered by declared available or preferred windows; 0 treats undeclared time as available.",
    ),
    weight(
        "preference.avoided-venue.weight",
        10,
        "Penalty per shift at a venue the technician avoids.",
    ),
    weight(
        "preference.max-weekly.weight",
        1,
        "Penalty per started hour above the technician's personal weekly ceiling.",
    ),
    Spec {
        name: "succession.forbidden",
        unit: "",
        description: "Forbidden successions of shift types, \"from>to\", read between consecutive shifts starting on the same or the next local day (history included). None by default.",
        kind: Kind::TextList {
            default: &[],
            item: succession_item,
        },
        overridable: true,
    },
    switch(
        "succession.hard",
        true,
        "Whether a forbidden succession is hard.",
    ),
    weight(
        "succession.weight",
        100,
        "Penalty per forbidden succession when soft.",
    ),
    int(
        "days.consecutive.max",
        "day",
        0,
        0,
        366,
        "Most consecutive days on which a shift starts; 0: no limit.",
    ),
    int(
        "days.consecutive.min",
        "day",
        0,
        0,
        366,
        "Fewest consecutive working days in a run (runs reaching the horizon's end are exempt); 0: no limit.",
    ),
    int(
        "days-off.consecutive.max",
        "day",
        0,
        0,
        366,
        "Most consecutive days off inside the horizon; 0: no limit.",
    ),
    int(
        "days-off.consecutive.min",
        "day",
        0,
        0,
        366,
        "Fewest consecutive days off between two working runs; 0: no limit.",
    ),
    weight(
        "days.consecutive.weight",
        10,
        "Penalty per day above or below the four consecutive-day limits.",
    ),
    Spec {
        name: "weekend.days",
        unit: "",
        description: "The local weekdays that make a weekend. Saturday and Sunday.",
        kind: Kind::TextList {
            default: &["saturday", "sunday"],
            item: weekday_item,
        },
        overridable: true,
    },
    int(
        "weekend.max",
        "count",
        -1,
        -1,
        53,
        "Most weekends with work in the horizon; -1: no limit.",
    ),
    switch(
        "weekend.complete",
        false,
        "Whether a weekend must be worked on all its days or none.",
    ),
    weight(
        "weekend.weight",
        10,
        "Penalty per weekend above `weekend.max`, and per incomplete weekend.",
    ),
    int(
        "time.total.min",
        "s",
        0,
        0,
        1_000_000_000,
        "Least work over the horizon; 0: no minimum.",
    ),
    int(
        "time.total.max",
        "s",
        0,
        0,
        1_000_000_000,
        "Most work over the horizon; 0: no maximum.",
    ),
    weight(
        "time.total.weight",
        1,
        "Penalty per started hour below the minimum or above the maximum.",
    ),
    Spec {
        name: "cover.hard",
        unit: "",
        description: "Whether an unfilled place is hard (penalty 1 per place) rather than soft (the need's unfilled penalty).",
        kind: Kind::Bool { default: false },
        overridable: false,
    },
];

/// Typed parameter values for one technician (tenant values under their overrides).
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    pub rest_daily_min: i64,
    pub derogation_min: i64,
    pub derogation_per_week: i64,
    pub derogation_per_7_days: i64,
    pub derogation_weight: i64,
    pub rest_weekly_min: i64,
    pub days_per_week_max: i64,
    pub daily_max: i64,
    pub weekly_max: i64,
    pub average_max: i64,
    pub average_weeks: i64,
    pub break_after: i64,
    pub break_min: i64,
    pub break_hard: bool,
    pub break_weight: i64,
    pub night_start: i64,
    pub night_end: i64,
    pub night_worker: bool,
    pub night_daily_max: i64,
    pub unavailable_hard: bool,
    pub unavailable_weight: i64,
    pub preferred_weight: i64,
    pub undeclared_weight: i64,
    pub avoided_venue_weight: i64,
    pub max_weekly_weight: i64,
    /// Forbidden successions as (from, to) shift types, sorted.
    pub forbidden: Vec<(String, String)>,
    pub succession_hard: bool,
    pub succession_weight: i64,
    pub consecutive_max: i64,
    pub consecutive_min: i64,
    pub off_max: i64,
    pub off_min: i64,
    pub consecutive_weight: i64,
    pub weekend_days: Vec<Weekday>,
    pub weekend_max: i64,
    pub weekend_complete: bool,
    pub weekend_weight: i64,
    pub total_min: i64,
    pub total_max: i64,
    pub total_weight: i64,
    pub cover_hard: bool,
}

impl Limits {
    /// Reads every value (defaults where unset).
    pub fn read(r: &Reader<'_>) -> Limits {
        let mut forbidden: Vec<(String, String)> = r
            .texts("succession.forbidden")
            .iter()
            .filter_map(|s| s.split_once('>').map(|(a, b)| (a.to_owned(), b.to_owned())))
            .collect();
        forbidden.sort();
        forbidden.dedup();
        let mut weekend_days: Vec<Weekday> = r
            .texts("weekend.days")
            .iter()
            .filter_map(|s| parse_weekday(s))
            .collect();
        weekend_days.sort_by_key(|w| *w as u8);
        weekend_days.dedup();
        Limits {
            rest_daily_min: r.int("rest.daily.min"),
            derogation_min: r.int("rest.daily.derogation.min"),
            derogation_per_week: r.int("rest.daily.derogation.per-week"),
            derogation_per_7_days: r.int("rest.daily.derogation.per-7-days"),
            derogation_weight: r.int("rest.daily.derogation.weight"),
            rest_weekly_min: r.int("rest.weekly.min"),
            days_per_week_max: r.int("work.days-per-week.max"),
            daily_max: r.int("work.daily.max"),
            weekly_max: r.int("work.weekly.max"),
            average_max: r.int("work.average.max"),
            average_weeks: r.int("work.average.weeks"),
            break_after: r.int("break.after"),
            break_min: r.int("break.min"),
            break_hard: r.bool("break.hard"),
            break_weight: r.int("break.weight"),
            night_start: r.int("night.start"),
            night_end: r.int("night.end"),
            night_worker: r.bool("night.regular-worker"),
            night_daily_max: r.int("night.daily.max"),
            unavailable_hard: r.bool("availability.unavailable.hard"),
            unavailable_weight: r.int("availability.unavailable.weight"),
            preferred_weight: r.int("availability.preferred.weight"),
            undeclared_weight: r.int("availability.undeclared.weight"),
            avoided_venue_weight: r.int("preference.avoided-venue.weight"),
            max_weekly_weight: r.int("preference.max-weekly.weight"),
            forbidden,
            succession_hard: r.bool("succession.hard"),
            succession_weight: r.int("succession.weight"),
            consecutive_max: r.int("days.consecutive.max"),
            consecutive_min: r.int("days.consecutive.min"),
            off_max: r.int("days-off.consecutive.max"),
            off_min: r.int("days-off.consecutive.min"),
            consecutive_weight: r.int("days.consecutive.weight"),
            weekend_days,
            weekend_max: r.int("weekend.max"),
            weekend_complete: r.bool("weekend.complete"),
            weekend_weight: r.int("weekend.weight"),
            total_min: r.int("time.total.min"),
            total_max: r.int("time.total.max"),
            total_weight: r.int("time.total.weight"),
            cover_hard: r.bool("cover.hard"),
        }
    }

    /// The combinations that make no sense, as `inconsistent` errors.
    pub fn inconsistencies(&self) -> Vec<ParamError> {
        let mut errors = Vec::new();
        let mut check = |ok: bool, message: String| {
            if !ok {
                errors.push(ParamError {
                    name: String::new(),
                    code: "inconsistent".to_owned(),
                    message,
                });
            }
        };
        check(
            self.derogation_min <= self.rest_daily_min,
            format!(
                "rest.daily.derogation.min ({} s) must not exceed rest.daily.min ({} s)",
                self.derogation_min, self.rest_daily_min
            ),
        );
        check(
            self.night_end > self.night_start,
            format!(
                "night.end ({} s) must be after night.start ({} s)",
                self.night_end, self.night_start
            ),
        );
        check(
            self.night_end - self.night_start <= 24 * H,
            "night.start to night.end must not exceed 24 h".to_owned(),
        );
        check(
            self.consecutive_max == 0 || self.consecutive_min <= self.consecutive_max,
            "days.consecutive.min must not exceed days.consecutive.max".to_owned(),
        );
        check(
            self.off_max == 0 || self.off_min <= self.off_max,
            "days-off.consecutive.min must not exceed days-off.consecutive.max".to_owned(),
        );
        check(
            self.total_max == 0 || self.total_min <= self.total_max,
            "time.total.min must not exceed time.total.max".to_owned(),
        );
        check(
            !(self.weekend_days.is_empty() && (self.weekend_max >= 0 || self.weekend_complete)),
            "weekend.days must not be empty when a weekend limit is set".to_owned(),
        );
        errors
    }
}

/// Validates tenant parameters (or, with `overrides_only`, a technician's overrides
/// resolved over `tenant`): every table error, then the inconsistent combinations.
pub fn validate(tenant: &[Param], overrides: Option<&[Param]>) -> Vec<ParamError> {
    let mut errors = match overrides {
        None => callsheet_plugin_sdk::params::validate(SPECS, tenant, false),
        Some(o) => callsheet_plugin_sdk::params::validate(SPECS, o, true),
    };
    if errors.is_empty() {
        let reader = match overrides {
            None => Reader::new(SPECS, tenant),
            Some(o) => Reader::with_overrides(SPECS, tenant, o),
        };
        errors.extend(Limits::read(&reader).inconsistencies());
    }
    errors
}

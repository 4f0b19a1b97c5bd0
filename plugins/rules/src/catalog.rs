//! What `describe()` says about the rules plugin: its rules with their legal sources and
//! parameters, its parameter table, its look-back.

use alloc::borrow::ToOwned;
use alloc::vec::Vec;

use callsheet_plugin_sdk::types::{PluginInfo, RuleInfo, Severity};

use crate::config::SPECS;
use crate::rules::{assignment, plan, requests, rest, rostering, working_time};

/// Plugin name, recorded with every run.
pub const NAME: &str = "callsheet-rules-fr";
/// The plugin's own version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Days of history needed: 11 weeks before the horizon's week, for the 12-week average
/// (the host rounds out to whole ISO weeks).
pub const LOOKBACK_DAYS: u32 = 77;

/// (id, title, severity with defaults, description with source, parameters read)
type Rule = (
    &'static str,
    &'static str,
    Severity,
    &'static str,
    &'static [&'static str],
);

const RULES: &[Rule] = &[
    (
        assignment::OVERLAP,
        "Overlapping shifts",
        Severity::Hard,
        "A technician cannot work two overlapping shifts (history included); penalty: minutes of overlap.",
        &[],
    ),
    (
        assignment::SKILL,
        "Missing skill",
        Severity::Hard,
        "The need's skill must be one of the technician's skills; penalty 1 per shift.",
        &[],
    ),
    (
        assignment::UNAVAILABLE,
        "Unavailability",
        Severity::Hard,
        "No work inside a declared unavailability; hard with a penalty of minutes overlapped, or soft by parameter.",
        &[
            "availability.unavailable.hard",
            "availability.unavailable.weight",
        ],
    ),
    (
        assignment::PREFERRED,
        "Preferred windows",
        Severity::Soft,
        "When a technician declared preferred windows, each shift outside them costs a penalty.",
        &["availability.preferred.weight"],
    ),
    (
        assignment::UNDECLARED,
        "Undeclared availability",
        Severity::Soft,
        "Each shift not covered by declared available or preferred windows costs a penalty (0 by default: undeclared time is available).",
        &["availability.undeclared.weight"],
    ),
    (
        assignment::AVOIDED_VENUE,
        "Avoided venue",
        Severity::Soft,
        "Each shift at a venue the technician avoids costs a penalty.",
        &["preference.avoided-venue.weight"],
    ),
    (
        assignment::MAX_WEEKLY,
        "Personal weekly ceiling",
        Severity::Soft,
        "Work in an ISO week above the technician's `preferences.max-weekly` costs a penalty per started hour.",
        &["preference.max-weekly.weight"],
    ),
    (
        requests::DAY,
        "Day-off / day-on request",
        Severity::Soft,
        "A request to work or not on a local day (a shift is on the day it starts); penalty: the request's weight.",
        &[],
    ),
    (
        requests::SHIFT,
        "Shift-off / shift-on request",
        Severity::Soft,
        "A request to work or not a shift type on a local day; penalty: the request's weight.",
        &[],
    ),
    (
        requests::MISSION,
        "Mission request",
        Severity::Soft,
        "A request to work or not on a mission; penalty: the request's weight.",
        &[],
    ),
    (
        requests::NEED,
        "Need request",
        Severity::Soft,
        "A request to fill or not a need; penalty: the request's weight.",
        &[],
    ),
    (
        requests::WINDOW,
        "Window request",
        Severity::Soft,
        "A request to work or not in a window; penalty: the request's weight.",
        &[],
    ),
    (
        rest::DAILY,
        "Daily rest",
        Severity::Hard,
        "11 h consecutive rest in the 24 h from the start of each working day (Code du travail L3131-1); periods less than the rest apart make one working day. IDCC 2717 allows 9 h at most twice per ISO week and three times in 7 days; beyond, hard with a penalty of missing minutes.",
        &[
            "rest.daily.min",
            "rest.daily.derogation.min",
            "rest.daily.derogation.per-week",
            "rest.daily.derogation.per-7-days",
        ],
    ),
    (
        rest::DEROGATION,
        "Daily rest derogation",
        Severity::Soft,
        "A daily rest shortened within the IDCC 2717 derogation: allowed, and noted with the hours to recover; penalty per missing minute.",
        &["rest.daily.derogation.min", "rest.daily.derogation.weight"],
    ),
    (
        rest::WEEKLY,
        "Weekly rest",
        Severity::Hard,
        "24 h + 11 h consecutive rest in each ISO week (L3132-2); penalty: missing minutes.",
        &["rest.weekly.min"],
    ),
    (
        working_time::DAYS_PER_WEEK,
        "Working days per week",
        Severity::Hard,
        "At most 6 local days with work in an ISO week (L3132-1); penalty: days over.",
        &["work.days-per-week.max"],
    ),
    (
        working_time::DAILY,
        "Daily working time",
        Severity::Hard,
        "At most 10 h of work per local calendar day (L3121-18), 12 h by agreement (L3121-19); penalty: minutes over.",
        &["work.daily.max"],
    ),
    (
        working_time::WEEKLY,
        "Weekly working time",
        Severity::Hard,
        "At most 48 h in an ISO week (L3121-20); penalty: minutes over.",
        &["work.weekly.max"],
    ),
    (
        working_time::AVERAGE,
        "Average weekly working time",
        Severity::Hard,
        "At most 44 h a week on average over any 12 consecutive ISO weeks (L3121-22); the worst window is reported, penalty: minutes over in total.",
        &["work.average.max", "work.average.weeks"],
    ),
    (
        working_time::BREAK,
        "Break",
        Severity::Soft,
        "A 20-minute break once work reaches 6 h (L3121-16): a continuous stretch (gaps under 20 min) longer than 6 h. Soft by default, planned windows do not show breaks.",
        &["break.after", "break.min", "break.hard", "break.weight"],
    ),
    (
        working_time::NIGHT,
        "Night worker daily limit",
        Severity::Hard,
        "For regular night workers (L3122-5), at most 8 h of work in a working day that includes night work (L3122-6); night is 24h-6h (IDCC 2717). Penalty: minutes over.",
        &[
            "night.regular-worker",
            "night.daily.max",
            "night.start",
            "night.end",
        ],
    ),
    (
        rostering::SUCCESSION,
        "Forbidden succession",
        Severity::Hard,
        "Consecutive shifts starting on the same or the next day must not follow a forbidden \"from>to\" succession of shift types.",
        &[
            "succession.forbidden",
            "succession.hard",
            "succession.weight",
        ],
    ),
    (
        rostering::CONSECUTIVE_MAX,
        "Maximum consecutive working days",
        Severity::Soft,
        "Runs of days with a shift start longer than the limit; penalty per day over.",
        &["days.consecutive.max", "days.consecutive.weight"],
    ),
    (
        rostering::CONSECUTIVE_MIN,
        "Minimum consecutive working days",
        Severity::Soft,
        "Runs of working days shorter than the limit (runs reaching the horizon's end exempt); penalty per day missing.",
        &["days.consecutive.min", "days.consecutive.weight"],
    ),
    (
        rostering::OFF_MAX,
        "Maximum consecutive days off",
        Severity::Soft,
        "Runs of days off inside the horizon longer than the limit; penalty per day over.",
        &["days-off.consecutive.max", "days.consecutive.weight"],
    ),
    (
        rostering::OFF_MIN,
        "Minimum consecutive days off",
        Severity::Soft,
        "Breaks between two working days shorter than the limit; penalty per day missing.",
        &["days-off.consecutive.min", "days.consecutive.weight"],
    ),
    (
        rostering::WEEKEND_MAX,
        "Weekends worked",
        Severity::Soft,
        "At most `weekend.max` weekends with a shift start over the horizon; penalty per weekend over.",
        &["weekend.days", "weekend.max", "weekend.weight"],
    ),
    (
        rostering::WEEKEND_INCOMPLETE,
        "Complete weekends",
        Severity::Soft,
        "With `weekend.complete`, a weekend is worked on all its days or none.",
        &["weekend.days", "weekend.complete", "weekend.weight"],
    ),
    (
        rostering::TOTAL_MIN,
        "Minimum total time",
        Severity::Soft,
        "Work over the horizon below the minimum; penalty per started hour missing.",
        &["time.total.min", "time.total.weight"],
    ),
    (
        rostering::TOTAL_MAX,
        "Maximum total time",
        Severity::Soft,
        "Work over the horizon above the maximum; penalty per started hour over.",
        &["time.total.max", "time.total.weight"],
    ),
    (
        plan::COVER_UNDER,
        "Under-staffing",
        Severity::Soft,
        "Each place below a need's min-crew costs its unfilled penalty (hard, 1 per place, with `cover.hard`).",
        &["cover.hard"],
    ),
    (
        plan::COVER_OVER,
        "Over-staffing",
        Severity::Soft,
        "Each person above min-crew, up to max-crew, costs the need's extra penalty.",
        &[],
    ),
    (
        plan::COVER_OVER_MAX,
        "Crew above maximum",
        Severity::Hard,
        "More people than a need's max-crew (min-crew when unset); penalty 1 per person.",
        &[],
    ),
    (
        plan::INCOMPATIBLE,
        "Incompatible technicians",
        Severity::Hard,
        "Two technicians with an incompatibility relation on the same mission; severity and penalty from the relation.",
        &[],
    ),
    (
        plan::AFFINITY_SPLIT,
        "Split affinity",
        Severity::Soft,
        "Two technicians with an affinity working at the same time on different missions; penalty: the affinity's weight.",
        &[],
    ),
    (
        plan::ROOM,
        "Room double booking",
        Severity::Hard,
        "Two staffed missions in the same room at overlapping times; penalty 1 per pair.",
        &[],
    ),
];

/// The plugin's description.
pub fn describe() -> PluginInfo {
    PluginInfo {
        name: NAME.to_owned(),
        version: VERSION.to_owned(),
        description: "French labour law (Code du travail) and the collective agreement of technical companies serving creation and events (IDCC 2717): daily and weekly rest, working-time limits, breaks, night work; plus skills, availability, requests, relations, cover and nurse-rostering rules driven by parameters. Every figure is a parameter.".to_owned(),
        rules: RULES
            .iter()
            .map(|(id, title, severity, description, params)| RuleInfo {
                id: (*id).to_owned(),
                title: (*title).to_owned(),
                description: (*description).to_owned(),
                severity: *severity,
                params: params.iter().map(|p| (*p).to_owned()).collect(),
            })
            .collect(),
        params: SPECS.iter().map(|s| s.to_wit()).collect::<Vec<_>>(),
        lookback_days: LOOKBACK_DAYS,
    }
}

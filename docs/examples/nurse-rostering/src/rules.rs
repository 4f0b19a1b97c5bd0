//! The rules this plugin checks: their ids (stable, used in violations) and what
//! `describe()` says of each.

use alloc::vec::Vec;

use callsheet_plugin_sdk::types::{RuleInfo, Severity};

use crate::params;

pub const ONE_SHIFT_A_DAY: &str = "nrp.one-shift-a-day";
pub const SUCCESSION: &str = "nrp.succession";
pub const MAX_SHIFTS: &str = "nrp.shifts-max";
pub const MAX_TOTAL: &str = "nrp.work-max-total";
pub const MIN_TOTAL: &str = "nrp.work-min-total";
pub const MAX_CONSECUTIVE: &str = "nrp.consecutive-shifts-max";
pub const MIN_CONSECUTIVE: &str = "nrp.consecutive-shifts-min";
pub const MIN_DAYS_OFF: &str = "nrp.consecutive-days-off-min";
pub const MAX_WEEKENDS: &str = "nrp.weekends-max";
pub const DAY_OFF: &str = "nrp.day-off";
pub const SHIFT_ON: &str = "request.shift-on";
pub const SHIFT_OFF: &str = "request.shift-off";
pub const DAY_ON: &str = "request.day-on";
pub const DAY_OFF_REQUEST: &str = "request.day-off";
pub const COVER_UNDER: &str = "cover.under";
pub const COVER_OVER: &str = "cover.over";
pub const COVER_MAX: &str = "cover.max-crew";

/// (id, title, description, severity, parameters read).
type Row = (
    &'static str,
    &'static str,
    &'static str,
    Severity,
    &'static [&'static str],
);

const RULES: &[Row] = &[
    (
        COVER_MAX,
        "Crew limit",
        "More people on a need than its max-crew.",
        Severity::Hard,
        &[],
    ),
    (
        COVER_OVER,
        "Over-staffing",
        "Each person above a need's min-crew costs its extra-penalty (C&Q cover over weight).",
        Severity::Soft,
        &[],
    ),
    (
        COVER_UNDER,
        "Under-staffing",
        "Each place below a need's min-crew costs its unfilled-penalty (C&Q cover under weight).",
        Severity::Soft,
        &[],
    ),
    (
        MIN_DAYS_OFF,
        "Minimum days off in a row",
        "A run of days off with work on both sides inside the horizon is at least the minimum long.",
        Severity::Hard,
        &[params::MIN_DAYS_OFF],
    ),
    (
        MAX_CONSECUTIVE,
        "Maximum days worked in a row",
        "No run of days worked longer than the maximum.",
        Severity::Hard,
        &[params::MAX_CONSECUTIVE],
    ),
    (
        MIN_CONSECUTIVE,
        "Minimum days worked in a row",
        "A run of days worked with a day off on both sides inside the horizon is at least the minimum long.",
        Severity::Hard,
        &[params::MIN_CONSECUTIVE],
    ),
    (
        DAY_OFF,
        "Days off",
        "No shift overlapping a window the technician declared unavailable (C&Q days off).",
        Severity::Hard,
        &[],
    ),
    (
        ONE_SHIFT_A_DAY,
        "One shift a day",
        "At most one shift starting on each local day.",
        Severity::Hard,
        &[],
    ),
    (
        MAX_SHIFTS,
        "Shifts per type",
        "At most the technician's maximum of shifts of each type over the horizon.",
        Severity::Hard,
        &[params::MAX_SHIFTS],
    ),
    (
        SUCCESSION,
        "Forbidden successions",
        "No shift of a type forbidden after the type worked the day before.",
        Severity::Hard,
        &[params::FORBIDDEN],
    ),
    (
        MAX_WEEKENDS,
        "Weekends",
        "At most the maximum of weekends (a shift starting on Saturday or Sunday) over the horizon.",
        Severity::Hard,
        &[params::MAX_WEEKENDS],
    ),
    (
        MAX_TOTAL,
        "Maximum working time",
        "Working time over the horizon at most the maximum; costs an hour per started hour over.",
        Severity::Hard,
        &[params::MAX_TOTAL],
    ),
    (
        MIN_TOTAL,
        "Minimum working time",
        "Working time over the horizon at least the minimum; costs an hour per started hour short.",
        Severity::Hard,
        &[params::MIN_TOTAL],
    ),
    (
        DAY_OFF_REQUEST,
        "Day-off request",
        "A day the technician asked off and works; costs the request's weight.",
        Severity::Soft,
        &[],
    ),
    (
        DAY_ON,
        "Day-on request",
        "A day the technician asked to work and does not; costs the request's weight.",
        Severity::Soft,
        &[],
    ),
    (
        SHIFT_OFF,
        "Shift-off request",
        "A shift type the technician asked not to work on a day and works; costs the request's weight.",
        Severity::Soft,
        &[],
    ),
    (
        SHIFT_ON,
        "Shift-on request",
        "A shift type the technician asked to work on a day and does not; costs the request's weight.",
        Severity::Soft,
        &[],
    ),
];

/// Every rule, sorted by id.
pub fn infos() -> Vec<RuleInfo> {
    RULES
        .iter()
        .map(|(id, title, description, severity, params)| RuleInfo {
            id: (*id).into(),
            title: (*title).into(),
            description: (*description).into(),
            severity: *severity,
            params: params.iter().map(|p| (*p).into()).collect(),
        })
        .collect()
}

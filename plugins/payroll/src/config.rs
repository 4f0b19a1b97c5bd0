//! The payroll plugin's parameters: rates in basis points (2500 = +25 %), thresholds and
//! night bounds in seconds. Every default is French law or IDCC 2717; the Sunday and other
//! public-holiday premiums are the tenant's (0 % by default).

use alloc::vec::Vec;

use callsheet_plugin_sdk::params::{Kind, Reader, Spec};
use callsheet_plugin_sdk::types::{Param, ParamError};

const H: i64 = 3600;
/// Premiums up to +1000 %.
const MAX_BP: i64 = 100_000;

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
        overridable: false,
    }
}

/// Every parameter of the payroll plugin.
pub const SPECS: &[Spec] = &[
    int(
        "overtime.threshold",
        "s",
        35 * H,
        0,
        168 * H,
        "Weekly work above this is overtime: the 36th hour onwards (legal week of 35 h, L3121-27).",
    ),
    int(
        "overtime.first-rate",
        "bp",
        2500,
        0,
        MAX_BP,
        "Premium for overtime up to `overtime.second-threshold`: +25 % from the 36th to the 43rd hour (L3121-36).",
    ),
    int(
        "overtime.second-threshold",
        "s",
        43 * H,
        0,
        168 * H,
        "Weekly work above this takes the second rate: from the 44th hour.",
    ),
    int(
        "overtime.second-rate",
        "bp",
        5000,
        0,
        MAX_BP,
        "Premium from the 44th hour: +50 % (L3121-36).",
    ),
    int(
        "night.start",
        "s",
        0,
        0,
        24 * H,
        "Start of night work, seconds after local midnight: 00:00 (IDCC 2717, 24h-6h).",
    ),
    int(
        "night.end",
        "s",
        6 * H,
        0,
        48 * H,
        "End of night work, seconds after the night's local midnight (over 86400 crosses midnight): 06:00.",
    ),
    int(
        "night.rate",
        "bp",
        2500,
        0,
        MAX_BP,
        "Night premium, cumulative with the others: +25 % (IDCC 2717).",
    ),
    int(
        "sunday.rate",
        "bp",
        0,
        0,
        MAX_BP,
        "Premium for work on a local Sunday; the tenant's choice, 0 % by default.",
    ),
    int(
        "holiday.rate",
        "bp",
        0,
        0,
        MAX_BP,
        "Premium for work on a public holiday other than 1 May; the tenant's choice, 0 % by default.",
    ),
    int(
        "labour-day.rate",
        "bp",
        10_000,
        0,
        MAX_BP,
        "Premium for work on 1 May (holiday code \"labour-day\"): +100 %, so the day is paid double (L3133-6).",
    ),
    int(
        "cachet.eligibility",
        "s",
        12 * H,
        0,
        24 * H,
        "Time each cachet counts towards the 507 h of unemployment eligibility: 12 h (annexe 10, since 2016). Informative figure.",
    ),
];

/// Typed parameter values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rates {
    pub overtime_threshold: i64,
    pub overtime_first_rate: i64,
    pub overtime_second_threshold: i64,
    pub overtime_second_rate: i64,
    pub night_start: i64,
    pub night_end: i64,
    pub night_rate: i64,
    pub sunday_rate: i64,
    pub holiday_rate: i64,
    pub labour_day_rate: i64,
    pub cachet_eligibility: i64,
}

impl Rates {
    pub fn read(r: &Reader<'_>) -> Rates {
        Rates {
            overtime_threshold: r.int("overtime.threshold"),
            overtime_first_rate: r.int("overtime.first-rate"),
            overtime_second_threshold: r.int("overtime.second-threshold"),
            overtime_second_rate: r.int("overtime.second-rate"),
            night_start: r.int("night.start"),
            night_end: r.int("night.end"),
            night_rate: r.int("night.rate"),
            sunday_rate: r.int("sunday.rate"),
            holiday_rate: r.int("holiday.rate"),
            labour_day_rate: r.int("labour-day.rate"),
            cachet_eligibility: r.int("cachet.eligibility"),
        }
    }
}

fn inconsistent(message: &str) -> ParamError {
    ParamError {
        name: alloc::string::String::new(),
        code: "inconsistent".into(),
        message: message.into(),
    }
}

/// Every error of a parameter list: the table's, then the inconsistent combinations.
pub fn validate(params: &[Param]) -> Vec<ParamError> {
    let mut errors = callsheet_plugin_sdk::params::validate(SPECS, params, false);
    if errors.is_empty() {
        let r = Rates::read(&Reader::new(SPECS, params));
        if r.overtime_second_threshold < r.overtime_threshold {
            errors.push(inconsistent(
                "overtime.second-threshold must not be below overtime.threshold",
            ));
        }
        if r.night_end <= r.night_start || r.night_end - r.night_start > 24 * H {
            errors.push(inconsistent(
                "night.end must be after night.start, at most 24 h later",
            ));
        }
    }
    errors
}

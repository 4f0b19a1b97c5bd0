//! The plugin's parameters: one SDK table for `describe()`, `validate-params` and reading.
//!
//! The contract limits of Curtois & Qu differ per employee, so every limit is overridable
//! per technician (`technician.overrides`); the tenant's value is the default for those who
//! have none. The forbidden successions are the same for everyone: the tenant's only.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use callsheet_plugin_sdk::params::{Kind, Reader, Spec};

pub const MAX_SHIFTS: &str = "nrp.shifts.max";
pub const MAX_TOTAL: &str = "nrp.work.max-total";
pub const MIN_TOTAL: &str = "nrp.work.min-total";
pub const MAX_CONSECUTIVE: &str = "nrp.consecutive-shifts.max";
pub const MIN_CONSECUTIVE: &str = "nrp.consecutive-shifts.min";
pub const MIN_DAYS_OFF: &str = "nrp.consecutive-days-off.min";
pub const MAX_WEEKENDS: &str = "nrp.weekends.max";
pub const FORBIDDEN: &str = "nrp.successions.forbidden";

/// "no limit" for counts and times: larger than any horizon can reach.
const UNLIMITED: i64 = 1_000_000_000;

const fn limit(
    name: &'static str,
    unit: &'static str,
    default: i64,
    description: &'static str,
) -> Spec {
    Spec {
        name,
        unit,
        description,
        kind: Kind::Int {
            default,
            min: 0,
            max: UNLIMITED,
        },
        overridable: true,
    }
}

/// Every parameter.
pub const SPECS: &[Spec] = &[
    Spec {
        name: MAX_SHIFTS,
        unit: "count",
        description: "Most shifts of each type over the horizon, as \"TYPE=N\" items (\"L=5\"); a type not listed has no limit (C&Q MaxShifts).",
        kind: Kind::TextList {
            default: &[],
            item: check_type_limit,
        },
        overridable: true,
    },
    limit(
        MAX_TOTAL,
        "s",
        UNLIMITED,
        "Most working time over the horizon (C&Q MaxTotalMinutes).",
    ),
    limit(
        MIN_TOTAL,
        "s",
        0,
        "Least working time over the horizon (C&Q MinTotalMinutes).",
    ),
    limit(
        MAX_CONSECUTIVE,
        "day",
        UNLIMITED,
        "Most days worked in a row (C&Q MaxConsecutiveShifts).",
    ),
    limit(
        MIN_CONSECUTIVE,
        "day",
        1,
        "Fewest days worked in a row, for runs with a day off on both sides inside the horizon (C&Q MinConsecutiveShifts).",
    ),
    limit(
        MIN_DAYS_OFF,
        "day",
        1,
        "Fewest days off in a row, for runs with work on both sides inside the horizon (C&Q MinConsecutiveDaysOff).",
    ),
    limit(
        MAX_WEEKENDS,
        "week",
        UNLIMITED,
        "Most weekends worked (a shift starting on Saturday or Sunday) over the horizon (C&Q MaxWeekends).",
    ),
    Spec {
        name: FORBIDDEN,
        unit: "",
        description: "Shift types that may not be worked the day after another, as \"FIRST>NEXT\" items (\"L>E\": no early shift the day after a late one).",
        kind: Kind::TextList {
            default: &[],
            item: check_succession,
        },
        overridable: false,
    },
];

fn check_type_limit(item: &str) -> Result<(), String> {
    parse_type_limit(item).map(|_| ())
}

fn check_succession(item: &str) -> Result<(), String> {
    parse_succession(item).map(|_| ())
}

/// "L=5" -> ("L", 5).
pub fn parse_type_limit(item: &str) -> Result<(&str, i64), String> {
    let (kind, max) = item
        .split_once('=')
        .ok_or_else(|| format!("{item:?} is not TYPE=N"))?;
    let max: i64 = max
        .parse()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| format!("{max:?} is not a count"))?;
    if kind.is_empty() {
        return Err(format!("{item:?} names no shift type"));
    }
    Ok((kind, max))
}

/// "L>E" -> ("L", "E").
pub fn parse_succession(item: &str) -> Result<(&str, &str), String> {
    match item.split_once('>') {
        Some((first, next)) if !first.is_empty() && !next.is_empty() => Ok((first, next)),
        _ => Err(format!("{item:?} is not FIRST>NEXT")),
    }
}

/// One technician's limits, resolved from their overrides, the tenant's values and the
/// defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Most shifts per shift type, indexed like the model's types; `None`: no limit.
    pub max_shifts: Vec<Option<i64>>,
    pub max_total: i64,
    pub min_total: i64,
    pub max_consecutive: i64,
    pub min_consecutive: i64,
    pub min_days_off: i64,
    pub max_weekends: i64,
}

impl Limits {
    /// Reads the limits; `types` are the model's shift types (limits on other types are
    /// kept out: no need has them, so nobody can work them).
    pub fn read(reader: &Reader<'_>, types: &[String]) -> Limits {
        let mut max_shifts = alloc::vec![None; types.len()];
        for item in reader.texts(MAX_SHIFTS) {
            if let Ok((kind, max)) = parse_type_limit(&item)
                && let Some(i) = types.iter().position(|t| t == kind)
            {
                max_shifts[i] = Some(max);
            }
        }
        Limits {
            max_shifts,
            max_total: reader.int(MAX_TOTAL),
            min_total: reader.int(MIN_TOTAL),
            max_consecutive: reader.int(MAX_CONSECUTIVE),
            min_consecutive: reader.int(MIN_CONSECUTIVE),
            min_days_off: reader.int(MIN_DAYS_OFF),
            max_weekends: reader.int(MAX_WEEKENDS),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use callsheet_plugin_sdk::params::validate;
    use callsheet_plugin_sdk::types::{Param, Scalar, Value};

    fn texts(name: &str, items: &[&str]) -> Param {
        Param {
            name: name.into(),
            value: Value::List(items.iter().map(|s| Scalar::Text((*s).into())).collect()),
        }
    }

    #[test]
    fn list_items_are_checked() {
        let cases: &[(&str, Param, usize)] = &[
            ("good limits", texts(MAX_SHIFTS, &["L=5", "E=0"]), 0),
            ("no equals", texts(MAX_SHIFTS, &["L5"]), 1),
            ("negative", texts(MAX_SHIFTS, &["L=-1"]), 1),
            ("good succession", texts(FORBIDDEN, &["L>E"]), 0),
            ("half a succession", texts(FORBIDDEN, &["L>"]), 1),
        ];
        for (case, param, errors) in cases {
            assert_eq!(
                validate(SPECS, core::slice::from_ref(param), false).len(),
                *errors,
                "case {case}"
            );
        }
    }

    #[test]
    fn successions_are_the_tenants_only() {
        let errors = validate(SPECS, &[texts(FORBIDDEN, &["L>E"])], true);
        assert_eq!(errors.len(), 1);
        assert!(validate(SPECS, &[texts(MAX_SHIFTS, &["L=1"])], true).is_empty());
    }

    #[test]
    fn overrides_win_and_unknown_types_are_left_out() {
        let tenant = [Param {
            name: MAX_WEEKENDS.into(),
            value: Value::Int(2),
        }];
        let overrides = [texts(MAX_SHIFTS, &["L=3", "X=1"])];
        let types = ["E".into(), "L".into()];
        let limits = Limits::read(&Reader::with_overrides(SPECS, &tenant, &overrides), &types);
        assert_eq!(limits.max_shifts, [None, Some(3)]);
        assert_eq!(limits.max_weekends, 2);
        assert_eq!(limits.min_consecutive, 1);
    }
}

//! What `describe()` says about the payroll plugin: its pay codes and parameters.

use alloc::borrow::ToOwned;

use callsheet_plugin_sdk::types::{PluginInfo, RuleInfo, Severity};

use crate::config::SPECS;

pub const NAME: &str = "callsheet-payroll-fr";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// (code, label, description, parameters)
const CODES: &[(&str, &str, &str, &[&str])] = &[
    (
        "base",
        "Heures normales",
        "Every hour worked in the period (windows minus breaks, cut at the period's bounds) at the hourly rate.",
        &[],
    ),
    (
        "overtime-25",
        "Heures supplémentaires 25 %",
        "Premium for the hours of an ISO week from the 36th to the 43rd (L3121-36), one line per week, paid in the period holding the week's Sunday.",
        &[
            "overtime.threshold",
            "overtime.second-threshold",
            "overtime.first-rate",
        ],
    ),
    (
        "overtime-50",
        "Heures supplémentaires 50 %",
        "Premium for the hours of an ISO week from the 44th (L3121-36), one line per week, paid in the period holding the week's Sunday.",
        &["overtime.second-threshold", "overtime.second-rate"],
    ),
    (
        "night",
        "Majoration de nuit",
        "Premium for work between 00:00 and 06:00 local (IDCC 2717), cumulative with the others.",
        &["night.start", "night.end", "night.rate"],
    ),
    (
        "sunday",
        "Majoration du dimanche",
        "Premium for work on a local Sunday, one line per Sunday (0 % by default).",
        &["sunday.rate"],
    ),
    (
        "holiday",
        "Majoration jour férié",
        "Premium for work on a public holiday other than 1 May, one line per holiday (0 % by default).",
        &["holiday.rate"],
    ),
    (
        "labour-day",
        "1er mai travaillé",
        "Premium of 100 % for work on 1 May, so it is paid double (L3133-6).",
        &["labour-day.rate"],
    ),
    (
        "cachet",
        "Cachets",
        "Cachets earned by the periods starting in the pay period, at the contract's cachet rate; each counts 12 h towards the 507 h of eligibility (informative figure).",
        &["cachet.eligibility"],
    ),
];

pub fn describe() -> PluginInfo {
    PluginInfo {
        name: NAME.to_owned(),
        version: VERSION.to_owned(),
        description: "French payroll for event technicians and artists (IDCC 2717): hourly pay with weekly overtime (+25 % from the 36th hour, +50 % from the 44th), night (+25 %, 24h-6h), 1 May paid double, Sunday and public-holiday premiums by parameter, and cachets. Integer cents; each line's amount is rounded once, half away from zero.".to_owned(),
        rules: CODES
            .iter()
            .map(|(code, label, description, params)| RuleInfo {
                id: (*code).to_owned(),
                title: (*label).to_owned(),
                description: (*description).to_owned(),
                // A pay code is not a constraint; the field is required by the record.
                severity: Severity::Soft,
                params: params.iter().map(|p| (*p).to_owned()).collect(),
            })
            .collect(),
        params: SPECS.iter().map(|s| s.to_wit()).collect(),
        // Overtime needs the whole ISO weeks around the period, which the host sends anyway.
        lookback_days: 0,
    }
}

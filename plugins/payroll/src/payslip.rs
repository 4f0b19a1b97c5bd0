//! The payslip: base hours, weekly overtime, night, Sunday, public-holiday and 1 May
//! premiums, cachets. Every premium is computed on the base hourly rate and they are
//! cumulative (IDCC 2717: the night premium adds to the others). Each line carries its
//! formula with the numbers and its figures; amounts follow the rule in [`crate::money`].
//!
//! Which hours a period pays: work inside the period (cut at its bounds) for base and every
//! per-hour premium; a week's overtime is paid in the period holding the week's Sunday (the
//! host sends the whole ISO weeks around the period, so the week's total is known); cachets
//! of the worked periods starting in the period.

use alloc::borrow::ToOwned;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use callsheet_plugin_sdk::calendar::{Calendar, date_label, week_label, week_monday, week_of};
use callsheet_plugin_sdk::params::Reader;
use callsheet_plugin_sdk::report::{Failure, figure};
use callsheet_plugin_sdk::text::{duration, milli, percent};
use callsheet_plugin_sdk::types::{Param, PayInput, PayLine, Payslip, Weekday};

use crate::config::{self, Rates, SPECS};
use crate::money::{amount, div_round, hours_milli};
use crate::work::{Piece, clip, hourly_pieces};

/// The holiday code of 1 May in the host's table.
const LABOUR_DAY: &str = "labour-day";

/// Computes one technician's payslip for one period.
pub fn compute(input: &PayInput, params: &[Param]) -> Result<Payslip, Failure> {
    let errors = config::validate(params);
    if !errors.is_empty() {
        return Err(Failure::InvalidParams(errors));
    }
    let rates = Rates::read(&Reader::new(SPECS, params));
    let cal = Calendar::new(&input.calendar).map_err(|e| Failure::InvalidInput(format!("{e}")))?;
    let period = input.period;
    if period.end <= period.start {
        return Err(Failure::InvalidInput("the pay period is empty".to_owned()));
    }
    let contract = &input.technician.contract;
    let pieces = hourly_pieces(&input.worked)?;
    let hourly = contract.hourly_rate;
    if !pieces.is_empty() && hourly <= 0 {
        return Err(Failure::InvalidInput(format!(
            "technician {} has hourly work but no hourly rate",
            input.technician.id
        )));
    }
    let inside: Vec<Piece<'_>> = pieces.iter().filter_map(|p| clip(p, &period)).collect();
    let mut lines = Vec::new();

    let worked: i64 = inside.iter().map(|p| p.window.end - p.window.start).sum();
    if worked > 0 {
        lines.push(per_hour(
            "base",
            "Heures normales",
            worked,
            hourly,
            10_000,
            "hours worked in the period".to_owned(),
            ids(&inside),
        ));
    }
    overtime(&cal, &rates, &pieces, &period, hourly, &mut lines);
    if rates.night_rate > 0 {
        let mut night = 0;
        let mut night_ids = BTreeSet::new();
        for p in &inside {
            let secs: i64 = cal
                .night_parts(&p.window, rates.night_start, rates.night_end)
                .iter()
                .map(|(_, w)| w.end - w.start)
                .sum();
            if secs > 0 {
                night += secs;
                night_ids.insert(p.id);
            }
        }
        if night > 0 {
            let context = format!(
                "night {:02}:{:02}-{:02}:{:02}",
                rates.night_start / 3600,
                rates.night_start % 3600 / 60,
                rates.night_end / 3600 % 24,
                rates.night_end % 3600 / 60
            );
            lines.push(per_hour(
                "night",
                "Majoration de nuit",
                night,
                hourly,
                rates.night_rate,
                context,
                night_ids.into_iter().map(ToOwned::to_owned).collect(),
            ));
        }
    }
    per_day(&cal, &rates, &inside, hourly, &mut lines);
    cachets(input, &rates, &mut lines)?;

    let gross = lines
        .iter()
        .fold(0i64, |sum, l| sum.saturating_add(l.amount));
    let cachets: i64 = input
        .worked
        .iter()
        .filter(|w| w.cachets > 0 && w.window.start >= period.start && w.window.start < period.end)
        .map(|w| i64::from(w.cachets))
        .sum();
    let figures = vec![
        figure("worked", worked, "s"),
        figure("cachets", cachets, "cachet"),
        figure(
            "eligibility-hours",
            worked.saturating_add(cachets.saturating_mul(rates.cachet_eligibility)),
            "s",
        ),
        figure("gross", gross, "cents"),
    ];
    Ok(Payslip {
        technician_id: input.technician.id.clone(),
        period,
        lines,
        gross,
        figures,
    })
}

fn ids(pieces: &[Piece<'_>]) -> Vec<String> {
    let set: BTreeSet<&str> = pieces.iter().map(|p| p.id).collect();
    set.into_iter().map(ToOwned::to_owned).collect()
}

/// A line paying `seconds` at `basis_points` of the hourly rate.
fn per_hour(
    code: &str,
    label: &str,
    seconds: i64,
    hourly: i64,
    basis_points: i64,
    context: String,
    worked_ids: Vec<String>,
) -> PayLine {
    let total = amount(seconds, hourly, basis_points);
    let rate = div_round(i128::from(hourly) * i128::from(basis_points), 10_000);
    let quantity = hours_milli(seconds);
    let formula = if basis_points == 10_000 {
        format!(
            "{} h x {hourly} c/h = {total} c ({context})",
            milli(quantity)
        )
    } else {
        format!(
            "{} h x {} of {hourly} c/h = {total} c ({context})",
            milli(quantity),
            percent(basis_points)
        )
    };
    PayLine {
        code: code.to_owned(),
        label: label.to_owned(),
        quantity_milli: quantity,
        unit: "h".to_owned(),
        rate,
        amount: total,
        formula,
        figures: vec![
            figure("worked", seconds, "s"),
            figure("hourly-rate", hourly, "cents/h"),
            figure("rate", basis_points, "bp"),
            figure("amount", total, "cents"),
        ],
        worked_ids,
    }
}

/// Overtime of every ISO week whose Sunday falls in the period, from the whole week's work.
fn overtime(
    cal: &Calendar<'_>,
    rates: &Rates,
    pieces: &[Piece<'_>],
    period: &callsheet_plugin_sdk::types::Window,
    hourly: i64,
    lines: &mut Vec<PayLine>,
) {
    let mut weeks: BTreeMap<i64, (i64, BTreeSet<&str>)> = BTreeMap::new();
    for p in pieces {
        for (day, secs) in cal.split_by_day(&p.window) {
            let week = weeks.entry(week_of(day)).or_default();
            week.0 += secs;
            week.1.insert(p.id);
        }
    }
    for (week, (worked, week_ids)) in weeks {
        let sunday = cal.local_instant(week_monday(week) + 6, 0);
        if sunday < period.start || sunday >= period.end {
            continue;
        }
        let (t1, t2) = (rates.overtime_threshold, rates.overtime_second_threshold);
        let first = (worked - t1).clamp(0, t2 - t1);
        let second = (worked - t2).max(0);
        let ids: Vec<String> = week_ids.iter().map(|s| (*s).to_owned()).collect();
        let label = week_label(week);
        if first > 0 && rates.overtime_first_rate > 0 {
            let context = format!(
                "week {label}: {} worked, hours above {} up to {}",
                duration(worked),
                duration(t1),
                duration(t2)
            );
            lines.push(per_hour(
                "overtime-25",
                "Heures supplémentaires 25 %",
                first,
                hourly,
                rates.overtime_first_rate,
                context,
                ids.clone(),
            ));
        }
        if second > 0 && rates.overtime_second_rate > 0 {
            let context = format!(
                "week {label}: {} worked, hours above {}",
                duration(worked),
                duration(t2)
            );
            lines.push(per_hour(
                "overtime-50",
                "Heures supplémentaires 50 %",
                second,
                hourly,
                rates.overtime_second_rate,
                context,
                ids,
            ));
        }
    }
}

/// Sunday, public-holiday and 1 May premiums, one line per day.
fn per_day(
    cal: &Calendar<'_>,
    rates: &Rates,
    inside: &[Piece<'_>],
    hourly: i64,
    lines: &mut Vec<PayLine>,
) {
    let mut days: BTreeMap<i32, (i64, BTreeSet<&str>)> = BTreeMap::new();
    for p in inside {
        for (day, secs) in cal.split_by_day(&p.window) {
            let d = days.entry(day).or_default();
            d.0 += secs;
            d.1.insert(p.id);
        }
    }
    for (day, (secs, day_ids)) in days {
        let ids = || day_ids.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let date = date_label(day);
        if callsheet_plugin_sdk::calendar::weekday_of(day) == Weekday::Sunday
            && rates.sunday_rate > 0
        {
            lines.push(per_hour(
                "sunday",
                "Majoration du dimanche",
                secs,
                hourly,
                rates.sunday_rate,
                format!("Sunday {date}"),
                ids(),
            ));
        }
        match cal.holiday(day) {
            Some(h) if h.code == LABOUR_DAY && rates.labour_day_rate > 0 => {
                lines.push(per_hour(
                    "labour-day",
                    "1er mai travaillé",
                    secs,
                    hourly,
                    rates.labour_day_rate,
                    format!("{} {date}", h.name),
                    ids(),
                ));
            }
            Some(h) if h.code != LABOUR_DAY && rates.holiday_rate > 0 => {
                lines.push(per_hour(
                    "holiday",
                    "Majoration jour férié",
                    secs,
                    hourly,
                    rates.holiday_rate,
                    format!("{} {date}", h.name),
                    ids(),
                ));
            }
            _ => {}
        }
    }
}

/// Cachets of the worked periods starting in the period.
fn cachets(input: &PayInput, rates: &Rates, lines: &mut Vec<PayLine>) -> Result<(), Failure> {
    let period = input.period;
    let earning: Vec<_> = input
        .worked
        .iter()
        .filter(|w| w.cachets > 0 && w.window.start >= period.start && w.window.start < period.end)
        .collect();
    let count: i64 = earning.iter().map(|w| i64::from(w.cachets)).sum();
    if count == 0 {
        return Ok(());
    }
    let rate = input.technician.contract.cachet_rate;
    if rate <= 0 {
        return Err(Failure::InvalidInput(format!(
            "technician {} earns cachets but has no cachet rate",
            input.technician.id
        )));
    }
    let total = count.saturating_mul(rate);
    let eligibility = count.saturating_mul(rates.cachet_eligibility);
    let mut ids: Vec<String> = earning.iter().map(|w| w.id.clone()).collect();
    ids.sort();
    lines.push(PayLine {
        code: "cachet".to_owned(),
        label: "Cachets".to_owned(),
        quantity_milli: count.saturating_mul(1000),
        unit: "cachet".to_owned(),
        rate,
        amount: total,
        formula: format!("{count} cachet(s) x {rate} c = {total} c ({} towards the 507 h of eligibility, {} per cachet)", duration(eligibility), duration(rates.cachet_eligibility)),
        figures: vec![figure("cachets", count, "cachet"), figure("cachet-rate", rate, "cents"), figure("amount", total, "cents"), figure("eligibility-hours", eligibility, "s")],
        worked_ids: ids,
    });
    Ok(())
}

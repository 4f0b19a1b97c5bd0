//! The independent checker: hard violations and the Curtois & Qu objective of a roster,
//! computed straight from the instance, without the plugin or the callsheet problem.
//!
//! It exists to check the plugin (tests) and the assigner's rosters (benchmark), so it
//! shares no code with the plugin and follows the published model (Curtois & Qu 2014,
//! the integer programme of the technical report):
//! - one shift a day; forbidden successions between consecutive days;
//! - per type at most `MaxShifts`; total minutes within `[MinTotalMinutes, MaxTotalMinutes]`;
//! - no run of worked days longer than `MaxConsecutiveShifts`;
//! - a run of worked days with a day off on both sides inside the horizon is at least
//!   `MinConsecutiveShifts` long, and a run of days off with work on both sides is at least
//!   `MinConsecutiveDaysOff` (runs touching the horizon's edges are not constrained);
//! - at most `MaxWeekends` weekends (Saturday or Sunday, days 5 and 6 of each week) worked;
//! - no work on a day off.
//!
//! The objective: the weight of each shift-on request not honoured and each shift-off
//! request not honoured, plus, per day and shift type, the under weight times the places
//! missing and the over weight times the people in excess.
//!
//! Counting: one violation per (employee, rule, occurrence) as listed in [`HardRule`]; its
//! `amount` is the excess or deficit in the rule's unit, so tests can compare magnitudes.

use crate::instance::Instance;
use crate::roster::Roster;

/// The hard rules of the model, one occurrence each as documented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HardRule {
    /// A day with more than one shift: amount = shifts beyond the first.
    OneShiftADay,
    /// A pair (day d, day d+1) whose shift types may not follow each other: amount 1.
    ForbiddenSuccession,
    /// A shift type worked more than allowed: amount = shifts over.
    MaxShiftsOfType,
    /// Total minutes over the maximum: amount = minutes over.
    MaxTotalMinutes,
    /// Total minutes under the minimum: amount = minutes short.
    MinTotalMinutes,
    /// A run of worked days longer than allowed: amount = days over.
    MaxConsecutiveShifts,
    /// An inner run of worked days too short: amount = days short.
    MinConsecutiveShifts,
    /// An inner run of days off too short: amount = days short.
    MinConsecutiveDaysOff,
    /// More weekends worked than allowed: amount = weekends over.
    MaxWeekends,
    /// A shift on a day off: amount = shifts that day.
    DayOff,
}

/// One hard violation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct HardViolation {
    pub rule: HardRule,
    /// The employee's index.
    pub staff: usize,
    /// Excess or deficit, in the rule's unit.
    pub amount: i64,
}

/// The checker's verdict on a roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Every hard violation, sorted.
    pub hard: Vec<HardViolation>,
    /// Request penalties (on and off).
    pub requests: i64,
    /// Cover penalties (under and over).
    pub cover: i64,
}

impl Report {
    /// The Curtois & Qu objective: requests plus cover.
    pub fn objective(&self) -> i64 {
        self.requests + self.cover
    }

    /// Hard violations of one rule.
    pub fn count(&self, rule: HardRule) -> usize {
        self.hard.iter().filter(|v| v.rule == rule).count()
    }
}

/// Checks a roster against an instance.
pub fn check(instance: &Instance, roster: &Roster) -> Report {
    let mut hard = Vec::new();
    for staff in 0..instance.staff.len() {
        check_employee(instance, roster, staff, &mut hard);
    }
    hard.sort();
    Report {
        hard,
        requests: request_penalty(instance, roster),
        cover: cover_penalty(instance, roster),
    }
}

fn check_employee(
    instance: &Instance,
    roster: &Roster,
    staff: usize,
    hard: &mut Vec<HardViolation>,
) {
    let limits = &instance.staff[staff];
    let days = instance.days;
    let mut push = |rule, amount| {
        hard.push(HardViolation {
            rule,
            staff,
            amount,
        })
    };
    let on = |day: usize| roster.on(staff, day);
    let worked: Vec<bool> = (0..days).map(|d| !on(d).is_empty()).collect();

    for day in 0..days {
        if on(day).len() > 1 {
            push(HardRule::OneShiftADay, on(day).len() as i64 - 1);
        }
        if !on(day).is_empty() && limits.days_off.contains(&day) {
            push(HardRule::DayOff, on(day).len() as i64);
        }
        if day + 1 < days {
            let forbidden = on(day).iter().any(|&a| {
                on(day + 1)
                    .iter()
                    .any(|b| instance.shifts[a].cannot_follow.contains(b))
            });
            if forbidden {
                push(HardRule::ForbiddenSuccession, 1);
            }
        }
    }

    let mut per_type = vec![0u32; instance.shifts.len()];
    let mut minutes = 0;
    for day in 0..days {
        for &shift in on(day) {
            per_type[shift] += 1;
            minutes += instance.shifts[shift].minutes;
        }
    }
    for (shift, &count) in per_type.iter().enumerate() {
        if count > limits.max_shifts[shift] {
            push(
                HardRule::MaxShiftsOfType,
                i64::from(count - limits.max_shifts[shift]),
            );
        }
    }
    if minutes > limits.max_total_minutes {
        push(
            HardRule::MaxTotalMinutes,
            minutes - limits.max_total_minutes,
        );
    }
    if minutes < limits.min_total_minutes {
        push(
            HardRule::MinTotalMinutes,
            limits.min_total_minutes - minutes,
        );
    }

    // Runs of equal days: (first day, length, worked).
    let mut start = 0;
    for day in 1..=days {
        if day < days && worked[day] == worked[start] {
            continue;
        }
        let length = (day - start) as i64;
        let inner = start > 0 && day < days;
        if worked[start] {
            if length > i64::from(limits.max_consecutive_shifts) {
                push(
                    HardRule::MaxConsecutiveShifts,
                    length - i64::from(limits.max_consecutive_shifts),
                );
            }
            if inner && length < i64::from(limits.min_consecutive_shifts) {
                push(
                    HardRule::MinConsecutiveShifts,
                    i64::from(limits.min_consecutive_shifts) - length,
                );
            }
        } else if inner && length < i64::from(limits.min_consecutive_days_off) {
            push(
                HardRule::MinConsecutiveDaysOff,
                i64::from(limits.min_consecutive_days_off) - length,
            );
        }
        start = day;
    }

    let weekends = (0..days / 7)
        .filter(|week| worked[week * 7 + 5] || worked[week * 7 + 6])
        .count() as i64;
    if weekends > i64::from(limits.max_weekends) {
        push(
            HardRule::MaxWeekends,
            weekends - i64::from(limits.max_weekends),
        );
    }
}

fn request_penalty(instance: &Instance, roster: &Roster) -> i64 {
    let on_missed = instance
        .on_requests
        .iter()
        .filter(|r| !roster.on(r.staff, r.day).contains(&r.shift))
        .map(|r| r.weight);
    let off_missed = instance
        .off_requests
        .iter()
        .filter(|r| roster.on(r.staff, r.day).contains(&r.shift))
        .map(|r| r.weight);
    on_missed.chain(off_missed).sum()
}

fn cover_penalty(instance: &Instance, roster: &Roster) -> i64 {
    let mut total = 0;
    for day in 0..instance.days {
        for shift in 0..instance.shifts.len() {
            let staffed = (0..instance.staff.len())
                .map(|s| roster.on(s, day).iter().filter(|&&t| t == shift).count())
                .sum::<usize>() as i64;
            let cover = instance.cover[day][shift];
            let required = i64::from(cover.requirement);
            total += (required - staffed).max(0) * cover.under_weight;
            total += (staffed - required).max(0) * cover.over_weight;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance_1() -> Instance {
        Instance::parse(include_str!("../../data/Instance1.txt")).unwrap()
    }

    /// Instance 1 has one shift type (D, 480 min) and 8 staff, all with the same contract:
    /// max 5 in a row, min 2 in a row, min 2 days off, 1 weekend, 3360..=4320 minutes.
    fn roster_of(rows: &[&str]) -> Roster {
        Roster::from_rows(&instance_1(), rows)
    }

    #[test]
    fn an_empty_roster_breaks_every_minimum_and_leaves_every_place_open() {
        let instance = instance_1();
        let report = check(&instance, &Roster::empty(8, 14));
        assert_eq!(report.count(HardRule::MinTotalMinutes), 8);
        assert_eq!(report.hard.len(), 8, "{:?}", report.hard);
        let places: i64 = instance
            .cover
            .iter()
            .map(|d| i64::from(d[0].requirement))
            .sum();
        assert_eq!(report.cover, places * 100);
        // Every shift-on request is missed, no shift-off request is broken.
        let on: i64 = instance.on_requests.iter().map(|r| r.weight).sum();
        assert_eq!(report.requests, on);
    }

    #[test]
    fn each_hard_rule_is_counted_once_per_occurrence() {
        let instance = instance_1();
        // Employee 0 (A) is off on day 0; D=shift, .=off.
        // (case, A's row, A's violations)
        type Case = (&'static str, &'static str, &'static [(HardRule, i64)]);
        let cases: &[Case] = &[
            ("a legal fortnight of 8 shifts", ".DDDD..DDDD...", &[]),
            (
                "work on the day off",
                "DDDD...DDDD...",
                &[(HardRule::DayOff, 1)],
            ),
            (
                "six in a row",
                ".DDDDDD..DD...",
                &[(HardRule::MaxConsecutiveShifts, 1)],
            ),
            (
                "a single inner shift, a single inner day off",
                ".DDDD.D.DDD...",
                &[
                    (HardRule::MinConsecutiveShifts, 1),
                    (HardRule::MinConsecutiveDaysOff, 1),
                    (HardRule::MinConsecutiveDaysOff, 1),
                ],
            ),
            (
                "an inner single shift, a free run at the end, too few minutes",
                ".D..........DD",
                &[
                    (HardRule::MinTotalMinutes, 3360 - 3 * 480),
                    (HardRule::MinConsecutiveShifts, 1),
                ],
            ),
            (
                "too many minutes and two weekends",
                ".DDDDD..DDDDDD",
                &[
                    (HardRule::MaxTotalMinutes, 11 * 480 - 4320),
                    (HardRule::MaxConsecutiveShifts, 1),
                    (HardRule::MaxWeekends, 1),
                ],
            ),
        ];
        for (case, row, expected) in cases {
            let roster = roster_of(&[row]);
            let report = check(&instance, &roster);
            let got: Vec<(HardRule, i64)> = report
                .hard
                .iter()
                .filter(|v| v.staff == 0)
                .map(|v| (v.rule, v.amount))
                .collect();
            let mut expected = expected.to_vec();
            expected.sort();
            assert_eq!(got, expected, "case {case}: {row}");
        }
    }
}

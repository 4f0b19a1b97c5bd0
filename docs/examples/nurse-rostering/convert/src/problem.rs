//! An instance as a callsheet problem and the rules plugin's parameters (the mapping is
//! laid out in the example's README.md), and rosters to and from callsheet plans.
//!
//! - Day 0 is Monday 2024-01-01, in UTC (C&Q horizons start on a Monday and have no time
//!   zone); every shift starts at 08:00 and lasts its length, so it falls on its day.
//! - One mission per day; one need per day and shift type that someone may work (C&Q gives
//!   cover for every pair), with `min-crew` = the requirement, `unfilled-penalty` = the
//!   under weight, `extra-penalty` = the over weight and `max-crew` = the staff qualified,
//!   so over-staffing is possible and costs what C&Q says.
//! - Skill `shift-<id>` per shift type: an employee has it when their `MaxShifts` for that
//!   type is above 0, so the assigner never proposes a type the contract forbids outright.
//! - The contract limits are the employee's parameter overrides, days off are
//!   `unavailable` windows, shift on/off requests are `shift` requests; the forbidden
//!   successions, the same for everyone, are the tenant's rules parameter.

use std::collections::BTreeMap;
use std::fmt;

use callsheet_plugin_sdk::calendar::{civil_from_days, iso_week, weekday_of};
use callsheet_plugin_sdk::types::{
    Assignment, AssignmentStatus, Availability, AvailabilityKind, Calendar, CalendarDay, Contract,
    ContractKind, Mission, MissionStatus, Need, Param, Preferences, Problem, Request,
    RequestTarget, Scalar, ShiftOnDay, Technician, UtcOffset, Value, Window,
};

use crate::instance::Instance;
use crate::roster::Roster;

/// Day number of Monday 2024-01-01 (days since 1970-01-01), the first day of every
/// converted horizon.
pub const FIRST_DAY: i32 = 19_723;
const DAY: i64 = 86_400;
/// When every shift starts, seconds after local midnight.
const SHIFT_START: i64 = 8 * 3_600;

/// The rules plugin's parameter names (see the plugin's `describe()`).
pub mod params {
    pub const MAX_SHIFTS: &str = "nrp.shifts.max";
    pub const MAX_TOTAL: &str = "nrp.work.max-total";
    pub const MIN_TOTAL: &str = "nrp.work.min-total";
    pub const MAX_CONSECUTIVE: &str = "nrp.consecutive-shifts.max";
    pub const MIN_CONSECUTIVE: &str = "nrp.consecutive-shifts.min";
    pub const MIN_DAYS_OFF: &str = "nrp.consecutive-days-off.min";
    pub const MAX_WEEKENDS: &str = "nrp.weekends.max";
    pub const FORBIDDEN: &str = "nrp.successions.forbidden";
}

/// Why an instance cannot be converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConvertError {
    /// Two shift ids that differ only in case would get the same (lowercase) skill.
    SkillClash(String, String),
}

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConvertError::SkillClash(a, b) => {
                write!(f, "shift types {a:?} and {b:?} map to the same skill")
            }
        }
    }
}

impl std::error::Error for ConvertError {}

/// Why a plan does not read as a roster of the instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    UnknownNeed(String),
    UnknownTechnician(String),
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::UnknownNeed(id) => write!(f, "need {id:?} is not one of the instance"),
            PlanError::UnknownTechnician(id) => {
                write!(f, "technician {id:?} is not one of the instance")
            }
        }
    }
}

impl std::error::Error for PlanError {}

/// A converted instance: the problem and the tenant's rules parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Converted {
    pub problem: Problem,
    pub rules_params: Vec<Param>,
}

/// The need id of a day and shift type: zero-padded so ids sort by day.
pub fn need_id(day: usize, shift: &str) -> String {
    format!("n-{day:03}-{shift}")
}

/// The technician id of an employee.
pub fn technician_id(staff: &str) -> String {
    format!("s-{staff}")
}

fn skill(shift: &str) -> String {
    format!("shift-{}", shift.to_lowercase())
}

fn day_start(day: usize) -> i64 {
    (i64::from(FIRST_DAY) + day as i64) * DAY
}

fn shift_window(instance: &Instance, day: usize, shift: usize) -> Window {
    let start = day_start(day) + SHIFT_START;
    Window {
        start,
        end: start + instance.shifts[shift].minutes * 60,
    }
}

/// Converts an instance; `name` becomes the tenant id, `seed` the problem's seed.
pub fn convert(instance: &Instance, name: &str, seed: u64) -> Result<Converted, ConvertError> {
    check_skills(instance)?;
    let horizon = Window {
        start: day_start(0),
        end: day_start(instance.days),
    };
    let mut technicians: Vec<Technician> = (0..instance.staff.len())
        .map(|s| technician(instance, s))
        .collect();
    technicians.sort_by(|a, b| a.id.cmp(&b.id));
    let mut needs = needs(instance);
    needs.sort_by(|a, b| a.id.cmp(&b.id));
    let problem = Problem {
        tenant_id: name.to_owned(),
        horizon,
        seed,
        calendar: calendar(instance.days),
        technicians,
        missions: missions(instance),
        needs,
        assignments: Vec::new(),
        history: Vec::new(),
        attributes: Vec::new(),
    };
    Ok(Converted {
        problem,
        rules_params: vec![Param {
            name: params::FORBIDDEN.to_owned(),
            value: texts(forbidden_successions(instance)),
        }],
    })
}

fn check_skills(instance: &Instance) -> Result<(), ConvertError> {
    for (i, a) in instance.shifts.iter().enumerate() {
        if let Some(b) = instance.shifts[..i]
            .iter()
            .find(|b| skill(&b.id) == skill(&a.id))
        {
            return Err(ConvertError::SkillClash(b.id.clone(), a.id.clone()));
        }
    }
    Ok(())
}

fn texts(items: Vec<String>) -> Value {
    Value::List(items.into_iter().map(Scalar::Text).collect())
}

fn int(name: &str, value: i64) -> Param {
    Param {
        name: name.to_owned(),
        value: Value::Int(value),
    }
}

/// "L>E": an `E` may not follow an `L` on the next day.
fn forbidden_successions(instance: &Instance) -> Vec<String> {
    let mut pairs = Vec::new();
    for first in &instance.shifts {
        for &next in &first.cannot_follow {
            pairs.push(format!("{}>{}", first.id, instance.shifts[next].id));
        }
    }
    pairs
}

/// The local calendar: the horizon (whole weeks from a Monday) and one week after, as the
/// host sends it; UTC, so no offset changes.
fn calendar(days: usize) -> Calendar {
    let weeks = days.div_ceil(7) + 1;
    let days = (0..weeks * 7)
        .map(|d| {
            let day = FIRST_DAY + d as i32;
            let (iso_year, iso_week) = iso_week(day);
            CalendarDay {
                day,
                date: civil_from_days(day),
                weekday: weekday_of(day),
                iso_year,
                iso_week,
                bounds: Window {
                    start: day_start(d),
                    end: day_start(d + 1),
                },
                holiday: None,
            }
        })
        .collect();
    Calendar {
        time_zone: "UTC".to_owned(),
        offsets: vec![UtcOffset {
            since: day_start(0),
            offset: 0,
        }],
        days,
    }
}

fn qualified(instance: &Instance, shift: usize) -> u32 {
    instance
        .staff
        .iter()
        .filter(|s| s.max_shifts[shift] > 0)
        .count() as u32
}

/// One mission per day, over the day's longest shift.
fn missions(instance: &Instance) -> Vec<Mission> {
    let longest = instance.shifts.iter().map(|s| s.minutes).max().unwrap_or(0);
    (0..instance.days)
        .map(|day| {
            let start = day_start(day) + SHIFT_START;
            let date = civil_from_days(FIRST_DAY + day as i32);
            Mission {
                id: format!("m-{day:03}"),
                title: format!(
                    "Day {day} ({}-{:02}-{:02})",
                    date.year, date.month, date.day
                ),
                project_id: None,
                venue_id: "ward".to_owned(),
                room_id: None,
                window: Window {
                    start,
                    end: start + longest.max(1) * 60,
                },
                paid: true,
                status: MissionStatus::Confirmed,
                attributes: Vec::new(),
            }
        })
        .collect()
}

/// A need per day and shift type, unless nobody may work the type and nobody is required.
fn needs(instance: &Instance) -> Vec<Need> {
    let mut needs = Vec::new();
    for day in 0..instance.days {
        for (shift, kind) in instance.shifts.iter().enumerate() {
            let cover = instance.cover[day][shift];
            let qualified = qualified(instance, shift);
            if qualified == 0 && cover.requirement == 0 {
                continue;
            }
            needs.push(Need {
                id: need_id(day, &kind.id),
                mission_id: format!("m-{day:03}"),
                venue_id: "ward".to_owned(),
                room_id: None,
                window: shift_window(instance, day, shift),
                skill: skill(&kind.id),
                shift_type: Some(kind.id.clone()),
                min_crew: cover.requirement,
                max_crew: Some(qualified.max(cover.requirement)),
                unfilled_penalty: cover.under_weight,
                extra_penalty: cover.over_weight,
                attributes: Vec::new(),
            });
        }
    }
    needs
}

fn technician(instance: &Instance, s: usize) -> Technician {
    let staff = &instance.staff[s];
    let skills = instance
        .shifts
        .iter()
        .zip(&staff.max_shifts)
        .filter(|(_, max)| **max > 0)
        .map(|(shift, _)| skill(&shift.id))
        .collect();
    let availability = staff
        .days_off
        .iter()
        .map(|&day| Availability {
            window: Window {
                start: day_start(day),
                end: day_start(day + 1),
            },
            kind: AvailabilityKind::Unavailable,
        })
        .collect();
    let request = |r: &crate::instance::Request, wanted| Request {
        target: RequestTarget::Shift(ShiftOnDay {
            day: FIRST_DAY + r.day as i32,
            shift_type: instance.shifts[r.shift].id.clone(),
        }),
        wanted,
        weight: r.weight,
    };
    let requests = instance
        .on_requests
        .iter()
        .filter(|r| r.staff == s)
        .map(|r| request(r, true))
        .chain(
            instance
                .off_requests
                .iter()
                .filter(|r| r.staff == s)
                .map(|r| request(r, false)),
        )
        .collect();
    let max_shifts = instance
        .shifts
        .iter()
        .zip(&staff.max_shifts)
        .filter(|(_, max)| **max != u32::MAX)
        .map(|(shift, max)| format!("{}={max}", shift.id))
        .collect();
    Technician {
        id: technician_id(&staff.id),
        name: format!("Staff {}", staff.id),
        skills,
        contract: Contract {
            kind: ContractKind::Hourly,
            hourly_rate: 0,
            cachet_rate: 0,
        },
        preferences: Preferences {
            preferred_venues: Vec::new(),
            avoided_venues: Vec::new(),
            max_weekly: None,
        },
        relations: Vec::new(),
        availability,
        requests,
        overrides: vec![
            Param {
                name: params::MAX_SHIFTS.to_owned(),
                value: texts(max_shifts),
            },
            int(params::MAX_TOTAL, staff.max_total_minutes * 60),
            int(params::MIN_TOTAL, staff.min_total_minutes * 60),
            int(
                params::MAX_CONSECUTIVE,
                i64::from(staff.max_consecutive_shifts),
            ),
            int(
                params::MIN_CONSECUTIVE,
                i64::from(staff.min_consecutive_shifts),
            ),
            int(
                params::MIN_DAYS_OFF,
                i64::from(staff.min_consecutive_days_off),
            ),
            int(params::MAX_WEEKENDS, i64::from(staff.max_weekends)),
        ],
        attributes: Vec::new(),
    }
}

/// A roster as the assignments of a plan (proposed, not pinned), sorted by need then
/// technician as the contract asks.
pub fn plan_of(instance: &Instance, roster: &Roster) -> Vec<Assignment> {
    let mut assignments = Vec::new();
    for (s, staff) in instance.staff.iter().enumerate() {
        for day in 0..instance.days {
            for &shift in roster.on(s, day) {
                assignments.push(Assignment {
                    id: None,
                    need_id: need_id(day, &instance.shifts[shift].id),
                    technician_id: technician_id(&staff.id),
                    window: shift_window(instance, day, shift),
                    status: AssignmentStatus::Proposed,
                    pinned: false,
                });
            }
        }
    }
    assignments.sort_by(|a, b| (&a.need_id, &a.technician_id).cmp(&(&b.need_id, &b.technician_id)));
    assignments
}

/// The roster of a plan's assignments (declined ones left out).
pub fn roster_of(instance: &Instance, assignments: &[Assignment]) -> Result<Roster, PlanError> {
    let needs: BTreeMap<String, (usize, usize)> = (0..instance.days)
        .flat_map(|d| (0..instance.shifts.len()).map(move |t| (d, t)))
        .map(|(d, t)| (need_id(d, &instance.shifts[t].id), (d, t)))
        .collect();
    let staff: BTreeMap<String, usize> = instance
        .staff
        .iter()
        .enumerate()
        .map(|(i, s)| (technician_id(&s.id), i))
        .collect();
    let mut roster = Roster::empty(instance.staff.len(), instance.days);
    for a in assignments {
        if a.status == AssignmentStatus::Declined {
            continue;
        }
        let &(day, shift) = needs
            .get(&a.need_id)
            .ok_or_else(|| PlanError::UnknownNeed(a.need_id.clone()))?;
        let &who = staff
            .get(&a.technician_id)
            .ok_or_else(|| PlanError::UnknownTechnician(a.technician_id.clone()))?;
        roster.add(who, day, shift);
    }
    Ok(roster)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance_3() -> Instance {
        Instance::parse(include_str!("../../data/Instance3.txt")).unwrap()
    }

    #[test]
    fn instance_3_maps_cover_to_needs_and_contracts_to_overrides() {
        let instance = instance_3();
        let converted = convert(&instance, "instance-3", 7).unwrap();
        let p = &converted.problem;
        assert_eq!(p.technicians.len(), 20);
        assert_eq!(p.calendar.days.len(), 21, "two weeks and one after");
        assert_eq!(
            p.calendar.days[0].weekday,
            callsheet_plugin_sdk::types::Weekday::Monday
        );
        // Everyone may work E or D, so every day has both; L only for some staff.
        assert_eq!(p.needs.len(), 14 * 3);
        let first = &p.needs[0];
        let cover = instance.cover[0][instance.shift_index("D").unwrap()];
        assert_eq!(
            (
                first.id.as_str(),
                first.min_crew,
                first.unfilled_penalty,
                first.extra_penalty
            ),
            (
                "n-000-D",
                cover.requirement,
                cover.under_weight,
                cover.over_weight
            )
        );
        assert_eq!(first.window.end - first.window.start, 480 * 60);
        let a = &p.technicians[0];
        assert_eq!(a.id, "s-A");
        assert_eq!(a.skills, ["shift-e", "shift-d"], "A may not work L (L=0)");
        assert_eq!(a.availability.len(), 1, "A is off on day 0");
        assert_eq!(
            converted.rules_params[0].value,
            texts(vec!["D>E".into(), "L>E".into(), "L>D".into()])
        );
    }

    #[test]
    fn a_roster_survives_the_round_trip_through_a_plan() {
        let instance = instance_3();
        let roster = Roster::from_rows(&instance, &["..EED..LL", "DD.E", "", "L.L"]);
        let plan = plan_of(&instance, &roster);
        assert_eq!(plan.len(), 5 + 3 + 2);
        assert_eq!(roster_of(&instance, &plan), Ok(roster));
        let mut unknown = plan.clone();
        unknown[0].need_id = "n-999-E".into();
        assert_eq!(
            roster_of(&instance, &unknown),
            Err(PlanError::UnknownNeed("n-999-E".into()))
        );
    }
}

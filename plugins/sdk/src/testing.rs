//! Fixtures for native unit tests (feature `testing`): a Europe/Paris 2025 calendar with
//! its daylight-saving changes and French public holidays, local times, and records with
//! sensible defaults that a test then adjusts.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::calendar::{self, Calendar, days_from_civil};
use crate::types::{self, *};

/// 2025-03-30 01:00 UTC: CET (+1) becomes CEST (+2).
pub const SPRING_FORWARD_2025: i64 = 1_743_296_400;
/// 2025-10-26 01:00 UTC: CEST (+2) becomes CET (+1).
pub const FALL_BACK_2025: i64 = 1_761_440_400;

/// Europe/Paris from Monday 2024-12-30 to Sunday 2026-01-04 (whole ISO weeks), with the
/// French public holidays of 2025.
pub fn paris_2025() -> types::Calendar {
    let offsets = vec![
        UtcOffset {
            since: i64::from(days_from_civil(2024, 12, 29)) * calendar::DAY,
            offset: 3600,
        },
        UtcOffset {
            since: SPRING_FORWARD_2025,
            offset: 7200,
        },
        UtcOffset {
            since: FALL_BACK_2025,
            offset: 3600,
        },
    ];
    let mut cal = types::Calendar {
        time_zone: "Europe/Paris".to_owned(),
        offsets,
        days: Vec::new(),
    };
    let holidays: [((u8, u8), &str, &str); 11] = [
        ((1, 1), "new-year", "Jour de l'an"),
        ((4, 21), "easter-monday", "Lundi de Pâques"),
        ((5, 1), "labour-day", "Fête du Travail"),
        ((5, 8), "victory-day", "Victoire 1945"),
        ((5, 29), "ascension", "Ascension"),
        ((6, 9), "whit-monday", "Lundi de Pentecôte"),
        ((7, 14), "bastille-day", "Fête nationale"),
        ((8, 15), "assumption", "Assomption"),
        ((11, 1), "all-saints", "Toussaint"),
        ((11, 11), "armistice", "Armistice"),
        ((12, 25), "christmas", "Noël"),
    ];
    let first = days_from_civil(2024, 12, 30);
    let last = days_from_civil(2026, 1, 4);
    let days = {
        let view = Calendar::new(&cal).unwrap_or_else(|e| panic!("fixture calendar: {e}"));
        (first..=last)
            .map(|day| {
                let date = calendar::civil_from_days(day);
                let (iso_year, iso_week) = calendar::iso_week(day);
                let holiday = holidays
                    .iter()
                    .find(|((m, d), _, _)| date.year == 2025 && date.month == *m && date.day == *d)
                    .map(|(_, code, name)| Holiday {
                        code: (*code).to_owned(),
                        name: (*name).to_owned(),
                    });
                CalendarDay {
                    day,
                    date,
                    weekday: calendar::weekday_of(day),
                    iso_year,
                    iso_week,
                    bounds: view.day_bounds(day),
                    holiday,
                }
            })
            .collect()
    };
    cal.days = days;
    cal
}

/// The UTC instant of a local Paris wall-clock time in 2025 (hour may exceed 23 to reach
/// into the next day: `at(2025, 5, 12, 30, 0)` is 13 May 06:00).
pub fn at(year: i32, month: u8, day: u8, hour: i64, minute: i64) -> i64 {
    let cal = paris_2025();
    let view = Calendar::new(&cal).unwrap_or_else(|e| panic!("fixture calendar: {e}"));
    view.local_instant(days_from_civil(year, month, day), hour * 3600 + minute * 60)
}

/// The local day number of a 2025 date.
pub fn day(year: i32, month: u8, d: u8) -> i32 {
    days_from_civil(year, month, d)
}

/// A window.
pub fn window(start: i64, end: i64) -> Window {
    Window { start, end }
}

/// An hourly technician at 20.00 / h with the given skills and nothing else.
pub fn technician(id: &str, skills: &[&str]) -> Technician {
    Technician {
        id: id.to_owned(),
        name: String::from("Tech ") + id,
        skills: skills.iter().map(|s| (*s).to_owned()).collect(),
        contract: Contract {
            kind: ContractKind::Hourly,
            hourly_rate: 2000,
            cachet_rate: 0,
        },
        preferences: Preferences {
            preferred_venues: vec![],
            avoided_venues: vec![],
            max_weekly: None,
        },
        relations: vec![],
        availability: vec![],
        requests: vec![],
        overrides: vec![],
        attributes: vec![],
    }
}

/// A confirmed paid mission titled `title` at `venue`.
pub fn mission(id: &str, title: &str, venue: &str, window: Window) -> Mission {
    Mission {
        id: id.to_owned(),
        title: title.to_owned(),
        project_id: None,
        venue_id: venue.to_owned(),
        room_id: None,
        window,
        paid: true,
        status: MissionStatus::Confirmed,
        attributes: vec![],
    }
}

/// A need for one person of `skill` on the whole of `mission`, unfilled penalty 100.
pub fn need(id: &str, mission: &Mission, skill: &str) -> Need {
    Need {
        id: id.to_owned(),
        mission_id: mission.id.clone(),
        venue_id: mission.venue_id.clone(),
        room_id: mission.room_id.clone(),
        window: mission.window,
        skill: skill.to_owned(),
        shift_type: None,
        min_crew: 1,
        max_crew: None,
        unfilled_penalty: 100,
        extra_penalty: 10,
        attributes: vec![],
    }
}

/// A problem over `horizon` on the Paris 2025 calendar.
pub fn problem(
    horizon: Window,
    technicians: Vec<Technician>,
    missions: Vec<Mission>,
    needs: Vec<Need>,
) -> Problem {
    Problem {
        tenant_id: "tenant".to_owned(),
        horizon,
        seed: 1,
        calendar: paris_2025(),
        technicians,
        missions,
        needs,
        assignments: vec![],
        history: vec![],
        attributes: vec![],
    }
}

/// A named parameter.
pub fn param(name: &str, value: Value) -> Param {
    Param {
        name: name.to_owned(),
        value,
    }
}

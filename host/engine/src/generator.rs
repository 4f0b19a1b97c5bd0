//! Realistic synthetic planning problems, from a seed and a size, for tests, benchmarks,
//! sample files and demos.
//!
//! Deterministic: the same [`Spec`] gives the same [`Problem`], byte for byte, on every
//! platform (our own [`Rng`](crate::rng::Rng), no hash-map iteration, every list sorted as
//! the contract requires).
//!
//! What "realistic" means here, part by part:
//! - [`crew`]: technicians with mixed skills of realistic rarity (stage hands are common,
//!   riggers and video technicians rare), hourly contracts with rates in cents by skill and
//!   a few per-show cachets, days off, preferred evening windows, preferred and avoided
//!   venues, personal weekly ceilings, day-off requests, affinities and incompatibilities,
//!   a few personal overrides (12 h days by agreement), and past shifts before the horizon;
//! - [`work`]: venues with rooms, missions from templates (concert, theatre, conference,
//!   festival day) with load-in, show and load-out needs at local times in Europe/Paris
//!   (so a load-out ends at 02:00 the next day), one mission per room per day;
//! - [`existing`]: a few pinned (confirmed) assignments that break no hard rule, and a few
//!   declined ones;
//! - the [`calendar`](crate::calendar) over the horizon plus the rules plugin's 77 days of
//!   look-back, rounded out to whole ISO weeks, with daylight-saving changes and French
//!   public holidays. The presets are placed to exercise them: the festival week holds
//!   1 May, the touring month the spring change, the venue season the autumn change,
//!   1 and 11 November.
//!
//! After generation, every need has at least one technician who holds its skill and is
//! not unavailable during it (a repair pass adds the skill to someone free when the draw
//! left none), so the presets never contain a need no plan could fill.

mod crew;
mod existing;
mod work;

pub use work::Venue;

use callsheet_runtime::types::{Param, Problem, Value, Window};
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::calendar::{self, PARIS};
use crate::error::{EngineError, Result};
use crate::rng::Rng;

/// Look-back the default rules plugin declares (`lookback-days`): the 12-week average.
const LOOKBACK_DAYS: i64 = 77;

/// The size and shape of a generated problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spec {
    /// A short name, recorded in the problem's attributes: "festival-week".
    pub name: String,
    /// Places to staff: the sum of the needs' `min-crew`, exactly.
    pub places: u32,
    /// Technicians.
    pub technicians: u32,
    /// First local day with missions.
    pub first_day: NaiveDate,
    /// Days with missions; the horizon has one more, for load-outs past midnight.
    pub days: u32,
    /// Venues (the festival template turns the first into a site with three stages).
    pub venues: u32,
    /// The kind of work.
    pub style: Style,
    /// The seed of every random draw.
    pub seed: u64,
}

/// What kind of missions fill the horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Style {
    /// Festival days on three stages, plus club concerts.
    Festival,
    /// A tour: concerts in many venues, some theatre.
    Touring,
    /// A venue's season: concerts, theatre and conferences.
    Season,
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid preset date")
}

impl Spec {
    /// A festival week: 50 places, 20 technicians, Monday 28 April 2025 for 7 days (holds
    /// Thursday 1 May).
    pub fn festival_week(seed: u64) -> Spec {
        Spec {
            name: "festival-week".into(),
            places: 50,
            technicians: 20,
            first_day: ymd(2025, 4, 28),
            days: 7,
            venues: 2,
            style: Style::Festival,
            seed,
        }
    }

    /// A touring month: 500 places, 200 technicians, from Monday 10 March 2025 for 4 weeks
    /// (holds the change to summer time on 30 March).
    pub fn touring_month(seed: u64) -> Spec {
        Spec {
            name: "touring-month".into(),
            places: 500,
            technicians: 200,
            first_day: ymd(2025, 3, 10),
            days: 28,
            venues: 12,
            style: Style::Touring,
            seed,
        }
    }

    /// A venue season: 5,000 places, 1,000 technicians, from Monday 1 September 2025 for
    /// 13 weeks (holds the change to winter time on 26 October, 1 and 11 November).
    pub fn venue_season(seed: u64) -> Spec {
        Spec {
            name: "venue-season".into(),
            places: 5_000,
            technicians: 1_000,
            first_day: ymd(2025, 9, 1),
            days: 91,
            venues: 30,
            style: Style::Season,
            seed,
        }
    }

    /// A scarce month: 1,360 places for 40 technicians over 4 weeks from Monday 10 March
    /// 2025 (the touring month's dates): about 34 places a head, more than the working-time
    /// rules let most of them work, so many places must stay open and which ones is the
    /// assigner's real choice. The shape of issue 11's tenant month (1,363 places, 40
    /// technicians, 28 days), generated.
    pub fn scarce_month(seed: u64) -> Spec {
        Spec {
            name: "scarce-month".into(),
            places: 1_360,
            technicians: 40,
            first_day: ymd(2025, 3, 10),
            days: 28,
            venues: 8,
            style: Style::Season,
            seed,
        }
    }

    /// Any size: a season-style mix from Monday 24 March 2025 (across the spring change),
    /// over enough days that each technician has about two places a week.
    pub fn custom(places: u32, technicians: u32, seed: u64) -> Spec {
        let technicians = technicians.max(1);
        let days = (u64::from(places) * 7)
            .div_ceil(u64::from(technicians) * 2)
            .clamp(2, 182) as u32;
        let per_day = u64::from(places).div_ceil(u64::from(days));
        Spec {
            name: format!("custom-{places}x{technicians}"),
            places,
            technicians,
            first_day: ymd(2025, 3, 24),
            days,
            venues: (per_day.div_ceil(10) + 1).min(60) as u32,
            style: Style::Season,
            seed,
        }
    }

    /// The last local day of the horizon (the day after the last mission day).
    pub fn last_day(&self) -> NaiveDate {
        self.first_day + Duration::days(i64::from(self.days))
    }
}

/// [`Spec::festival_week`], generated.
pub fn festival_week(seed: u64) -> Problem {
    generate(&Spec::festival_week(seed))
}

/// [`Spec::touring_month`], generated.
pub fn touring_month(seed: u64) -> Problem {
    generate(&Spec::touring_month(seed))
}

/// [`Spec::venue_season`], generated.
pub fn venue_season(seed: u64) -> Problem {
    generate(&Spec::venue_season(seed))
}

/// [`Spec::scarce_month`], generated.
pub fn scarce_month(seed: u64) -> Problem {
    generate(&Spec::scarce_month(seed))
}

/// [`Spec::custom`], generated.
pub fn custom(places: u32, technicians: u32, seed: u64) -> Problem {
    generate(&Spec::custom(places, technicians, seed))
}

/// The venues a spec generates (the same draw as [`generate`]'s): ids, names and room
/// ids, which a problem does not carry, for importing a generated problem as real data.
pub fn venues(spec: &Spec) -> Vec<Venue> {
    work::venues(spec, &mut Rng::new(spec.seed).fork("venues"))
}

/// Generates the problem a spec describes.
pub fn generate(spec: &Spec) -> Problem {
    let mut rng = Rng::new(spec.seed);
    let tz = PARIS;
    let horizon = Window {
        start: calendar::local_instant(tz, spec.first_day, 0),
        end: calendar::local_instant(tz, spec.last_day() + Duration::days(1), 0),
    };
    let first = calendar::monday_of(spec.first_day - Duration::days(LOOKBACK_DAYS));
    let last = calendar::monday_of(spec.last_day()) + Duration::days(13);
    let calendar = calendar::build(tz, first, last);

    let venues = work::venues(spec, &mut rng.fork("venues"));
    let (missions, needs) = work::missions(spec, &venues, &mut rng.fork("missions"));
    let mut technicians = crew::technicians(spec, &venues, &mut rng.fork("crew"));
    crew::repair_coverage(&mut technicians, &needs, &mut rng.fork("repair"));
    let history = crew::history(spec, &technicians, &mut rng.fork("history"));
    let assignments = existing::assignments(
        &technicians,
        &needs,
        &history,
        horizon,
        &mut rng.fork("existing"),
    );

    Problem {
        tenant_id: "tenant-demo".into(),
        horizon,
        seed: rng.next_u64(),
        calendar,
        technicians,
        missions,
        needs,
        assignments,
        history,
        attributes: vec![
            Param {
                name: "generator.preset".into(),
                value: Value::Text(spec.name.clone()),
            },
            Param {
                name: "generator.seed".into(),
                value: Value::Int(spec.seed as i64),
            },
        ],
    }
}

/// A problem as pretty JSON (the runtime's types derive serde): the format of the sample
/// files in `docs/samples/`. Deterministic: no map in the types, lists kept in order.
pub fn to_json(problem: &Problem) -> Result<String> {
    serde_json::to_string_pretty(problem).map_err(EngineError::Json)
}

/// A problem read back from [`to_json`]'s format.
pub fn from_json(json: &str) -> Result<Problem> {
    serde_json::from_str(json).map_err(EngineError::Json)
}

/// Seconds in an hour and in a day, for readable times.
pub(crate) const HOUR: i64 = 3_600;

#[cfg(test)]
mod tests;

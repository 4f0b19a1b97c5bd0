//! Workload: how much each technician is planned and has worked, when (nights, weekends),
//! what the plan costs, and how evenly planned hours are shared.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveTime, Utc, Weekday};
use serde::Serialize;

use super::{Scope, rows};
use crate::domain::time::{Window, local_date, local_midnight};
use crate::domain::{
    AssignmentStatus, ContractKind, TechnicianId, TenantId, TimeZone, TimesheetState,
};
use crate::storage::{DynStorage, StorageResult};

/// The end of a night, local: work between local midnight and 06:00 is night work (the
/// default payroll plugin's night).
const NIGHT_END: u32 = 6;

/// One technician's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TechnicianLoad {
    pub technician_id: TechnicianId,
    pub name: String,
    /// Proposed or confirmed assignments of the scope.
    pub assignments: usize,
    /// Their length, inside the range.
    pub planned_seconds: i64,
    /// Of which between local midnight and 06:00.
    pub night_seconds: i64,
    /// Of which on a local Saturday or Sunday.
    pub weekend_seconds: i64,
    /// Approved timesheets starting in the range (of the scope's missions).
    pub worked_seconds: i64,
    /// The plan's cost: planned hours at the hourly rate, or one cachet per assignment for
    /// a cachet contract, in cents.
    pub planned_cost_cents: i64,
}

/// The spread of planned hours over the active technicians (those without work count
/// with 0).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Spread {
    pub technicians: usize,
    pub min_seconds: i64,
    pub max_seconds: i64,
    pub mean_seconds: f64,
    /// Population standard deviation.
    pub stddev_seconds: f64,
    /// Gini coefficient, 0 (everyone the same) to 1 (one person has all the work).
    pub gini: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Workload {
    /// Active technicians, and anyone planned in the scope, by name.
    pub technicians: Vec<TechnicianLoad>,
    pub planned_seconds: i64,
    pub worked_seconds: i64,
    pub planned_cost_cents: i64,
    pub spread: Spread,
}

/// The workload of `scope`.
pub async fn workload(
    storage: &DynStorage,
    tenant: TenantId,
    tz: TimeZone,
    scope: &Scope,
) -> StorageResult<Workload> {
    let rows = rows(storage, tenant, scope).await?;
    let crew = crate::storage::crew::all_technicians(storage, tenant).await?;
    let contracts: BTreeMap<TechnicianId, &crate::domain::Contract> =
        crew.iter().map(|t| (t.id, &t.contract)).collect();
    let missions: std::collections::BTreeSet<_> =
        rows.missions.iter().map(|m| m.mission.id).collect();
    let worked_sheets = storage.timesheets_starting_in(tenant, scope.window).await?;
    let mut loads: BTreeMap<TechnicianId, TechnicianLoad> = BTreeMap::new();
    for t in &crew {
        if t.active {
            loads.insert(t.id, empty(t.id, &t.name));
        }
    }
    for a in &rows.assignments {
        if a.assignment.status == AssignmentStatus::Declined {
            continue;
        }
        let Some(inside) = intersection(a.assignment.window, scope.window) else {
            continue;
        };
        let load = loads
            .entry(a.assignment.technician_id)
            .or_insert_with(|| empty(a.assignment.technician_id, &a.technician_name));
        let (night, weekend) = night_and_weekend(inside, tz);
        load.assignments += 1;
        load.planned_seconds += inside.seconds();
        load.night_seconds += night;
        load.weekend_seconds += weekend;
        if let Some(contract) = contracts.get(&a.assignment.technician_id) {
            load.planned_cost_cents += match contract.kind {
                ContractKind::Hourly => inside.seconds() * contract.hourly_rate_cents / 3600,
                ContractKind::Cachet => contract.cachet_rate_cents,
            };
        }
    }
    for sheet in worked_sheets
        .iter()
        .filter(|s| s.state == TimesheetState::Approved && missions.contains(&s.mission_id))
    {
        if let Some(load) = loads.get_mut(&sheet.technician_id) {
            load.worked_seconds += sheet.worked_seconds;
        }
    }
    let mut technicians: Vec<TechnicianLoad> = loads.into_values().collect();
    technicians.sort_by(|a, b| {
        a.name
            .cmp(&b.name)
            .then(a.technician_id.cmp(&b.technician_id))
    });
    let hours: Vec<i64> = technicians.iter().map(|t| t.planned_seconds).collect();
    Ok(Workload {
        planned_seconds: hours.iter().sum(),
        worked_seconds: technicians.iter().map(|t| t.worked_seconds).sum(),
        planned_cost_cents: technicians.iter().map(|t| t.planned_cost_cents).sum(),
        spread: spread(&hours),
        technicians,
    })
}

fn empty(id: TechnicianId, name: &str) -> TechnicianLoad {
    TechnicianLoad {
        technician_id: id,
        name: name.to_owned(),
        assignments: 0,
        planned_seconds: 0,
        night_seconds: 0,
        weekend_seconds: 0,
        worked_seconds: 0,
        planned_cost_cents: 0,
    }
}

fn intersection(a: Window, b: Window) -> Option<Window> {
    Window::new(a.start().max(b.start()), a.end().min(b.end())).ok()
}

/// Seconds of `w` between local midnight and 06:00, and on local Saturdays and Sundays.
pub fn night_and_weekend(w: Window, tz: TimeZone) -> (i64, i64) {
    let (mut night, mut weekend) = (0, 0);
    let mut day = local_date(w.start(), tz);
    let last = local_date(w.end() - Duration::seconds(1), tz);
    while day <= last {
        let start = local_midnight(tz, day);
        let end = local_midnight(tz, day + Duration::days(1));
        let six = day
            .and_time(NaiveTime::from_hms_opt(NIGHT_END, 0, 0).expect("a time"))
            .and_local_timezone(tz.0)
            .earliest()
            .map_or(start + Duration::hours(i64::from(NIGHT_END)), |t| {
                t.with_timezone(&Utc)
            });
        let overlap = |a: chrono::DateTime<Utc>, b: chrono::DateTime<Utc>| {
            (w.end().min(b) - w.start().max(a)).num_seconds().max(0)
        };
        night += overlap(start, six);
        if matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            weekend += overlap(start, end);
        }
        day += Duration::days(1);
    }
    (night, weekend)
}

/// Min, max, mean, population standard deviation and Gini of `values`.
pub fn spread(values: &[i64]) -> Spread {
    let n = values.len();
    if n == 0 {
        return Spread {
            technicians: 0,
            min_seconds: 0,
            max_seconds: 0,
            mean_seconds: 0.0,
            stddev_seconds: 0.0,
            gini: 0.0,
        };
    }
    let total: i64 = values.iter().sum();
    let mean = total as f64 / n as f64;
    let variance = values
        .iter()
        .map(|v| (*v as f64 - mean).powi(2))
        .sum::<f64>()
        / n as f64;
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    // Gini from the sorted values: sum((2i - n - 1) x_i) / (n * sum x), i from 1.
    let gini = if total == 0 {
        0.0
    } else {
        let weighted: i128 = sorted
            .iter()
            .enumerate()
            .map(|(i, x)| (2 * (i as i128 + 1) - n as i128 - 1) * i128::from(*x))
            .sum();
        weighted as f64 / (n as f64 * total as f64)
    };
    let round = |x: f64| (x * 10_000.0).round() / 10_000.0;
    Spread {
        technicians: n,
        min_seconds: sorted[0],
        max_seconds: sorted[n - 1],
        mean_seconds: round(mean),
        stddev_seconds: round(variance.sqrt()),
        gini: round(gini),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paris() -> TimeZone {
        TimeZone::parse("Europe/Paris").unwrap()
    }

    fn at(raw: &str) -> chrono::DateTime<Utc> {
        chrono::DateTime::parse_from_rfc3339(raw)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn nights_and_weekends_are_local() {
        // Saturday 22:00 to Sunday 04:00 in Paris: 4 h of night, 6 h of weekend.
        let w = Window::new(at("2026-07-11T20:00:00Z"), at("2026-07-12T02:00:00Z")).unwrap();
        assert_eq!(night_and_weekend(w, paris()), (4 * 3600, 6 * 3600));
        // Friday 23:00 to Saturday 07:00: 6 h of night (00:00-06:00), 7 h of weekend.
        let w = Window::new(at("2026-07-10T21:00:00Z"), at("2026-07-11T05:00:00Z")).unwrap();
        assert_eq!(night_and_weekend(w, paris()), (6 * 3600, 7 * 3600));
        // A weekday afternoon: neither.
        let w = Window::new(at("2026-07-08T12:00:00Z"), at("2026-07-08T16:00:00Z")).unwrap();
        assert_eq!(night_and_weekend(w, paris()), (0, 0));
    }

    #[test]
    fn the_spread_of_equal_loads_is_zero_and_of_one_load_is_maximal() {
        let s = spread(&[36_000, 36_000, 36_000]);
        assert_eq!((s.stddev_seconds, s.gini), (0.0, 0.0));
        // One of four does everything: Gini (n - 1) / n.
        assert_eq!(spread(&[0, 0, 0, 10]).gini, 0.75);
        // 14 h and 12 h: mean 13 h, deviation 1 h, Gini |14 - 12| / (2 x 2 x 13) = 0.0385.
        let s = spread(&[50_400, 43_200]);
        assert_eq!((s.min_seconds, s.max_seconds), (43_200, 50_400));
        assert_eq!(
            (s.mean_seconds, s.stddev_seconds, s.gini),
            (46_800.0, 3_600.0, 0.0385)
        );
        assert_eq!(spread(&[]).technicians, 0);
    }
}

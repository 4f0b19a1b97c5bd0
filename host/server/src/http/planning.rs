//! The day and week plans, in the tenant's time zone, served from the plan cache.
//!
//! A plan lists the missions overlapping the period, each with its needs, who is on them
//! and how many places are still open. Days are local days of the tenant's zone (a
//! 23-hour day in March, a 25-hour one in October), weeks are ISO weeks (Monday first,
//! `2026-W27`). A mission appears under the local day it starts on (or the period's first
//! day when it started before).
//!
//! Rendered plans are cached per tenant and filter (Redis when configured, in process
//! otherwise; see `plan_cache`), and every write to planning data invalidates them. A plan
//! costs three queries on a miss (missions with venue and room names, needs, assignments
//! with technician names) and none on a hit, on top of the caller's session check.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorResponses};
use super::extract::{Allowed, Caller, ValidQuery};
use crate::domain::time::{Window, local, local_midnight};
use crate::domain::{
    AssignmentId, AssignmentStatus, MissionId, MissionStatus, NeedId, RoomId, TechnicianId, VenueId,
};
use crate::rbac::ReadPlanning;
use crate::state::AppState;
use crate::storage::planning::PlanningRows;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(day_plan))
        .routes(routes!(week_plan))
}

/// `X-Cache: hit|miss`, so clients and tests can see where a plan came from.
const X_CACHE: HeaderName = HeaderName::from_static("x-cache");

/// A plan of a day or a week.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanView {
    /// `2026-07-01` for a day, `2026-W27` for a week.
    pub period: String,
    /// The tenant's IANA time zone, in which every time below is shown.
    pub time_zone: String,
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    /// Every local day of the period, in order, even empty ones.
    pub days: Vec<DayView>,
    /// Totals over the period.
    pub totals: Totals,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DayView {
    pub date: NaiveDate,
    pub missions: Vec<PlannedMission>,
}

#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Totals {
    pub missions: u32,
    /// Places asked for (sum of `min_crew`).
    pub places: u32,
    /// Places held by a proposed or confirmed assignment (at most `min_crew` per need).
    pub filled: u32,
    /// Places still open.
    pub open: u32,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlannedMission {
    pub id: MissionId,
    pub title: String,
    pub status: MissionStatus,
    pub venue_id: VenueId,
    pub venue: String,
    pub room_id: Option<RoomId>,
    pub room: Option<String>,
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub needs: Vec<PlannedNeed>,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlannedNeed {
    pub id: NeedId,
    pub skill: String,
    pub min_crew: i32,
    pub max_crew: Option<i32>,
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    /// Who is on it (declined assignments are left out).
    pub crew: Vec<CrewMember>,
    /// Places below `min_crew` nobody holds yet.
    pub open: i32,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CrewMember {
    pub assignment_id: AssignmentId,
    pub technician_id: TechnicianId,
    pub name: String,
    pub status: AssignmentStatus,
    pub pinned: bool,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct DayQuery {
    /// The local date.
    #[param(value_type = String, example = "2026-07-01")]
    date: NaiveDate,
    /// Only this venue's missions.
    venue_id: Option<VenueId>,
    /// Only the missions this technician works on.
    technician_id: Option<TechnicianId>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct WeekQuery {
    /// The ISO week, `YYYY-Www`.
    #[param(example = "2026-W27")]
    week: String,
    venue_id: Option<VenueId>,
    technician_id: Option<TechnicianId>,
}

/// The plan of one local day.
#[utoipa::path(
    get,
    path = "/planning/day",
    tag = "planning",
    params(DayQuery),
    security(("bearer" = [])),
    responses((status = 200, body = PlanView, headers(("X-Cache" = String, description = "`hit` or `miss`"))), ErrorResponses)
)]
async fn day_plan(
    State(state): State<AppState>,
    allowed: Allowed<ReadPlanning>,
    ValidQuery(query): ValidQuery<DayQuery>,
) -> Result<Response, ApiError> {
    let period = Period {
        label: query.date.to_string(),
        first: query.date,
        days: 1,
    };
    plan(
        &state,
        allowed.caller,
        period,
        query.venue_id,
        query.technician_id,
    )
    .await
}

/// The plan of one ISO week, Monday to Sunday.
#[utoipa::path(
    get,
    path = "/planning/week",
    tag = "planning",
    params(WeekQuery),
    security(("bearer" = [])),
    responses((status = 200, body = PlanView, headers(("X-Cache" = String, description = "`hit` or `miss`"))), ErrorResponses)
)]
async fn week_plan(
    State(state): State<AppState>,
    allowed: Allowed<ReadPlanning>,
    ValidQuery(query): ValidQuery<WeekQuery>,
) -> Result<Response, ApiError> {
    let monday = parse_iso_week(&query.week).map_err(|r| ApiError::validation("week", r))?;
    let period = Period {
        label: query.week.clone(),
        first: monday,
        days: 7,
    };
    plan(
        &state,
        allowed.caller,
        period,
        query.venue_id,
        query.technician_id,
    )
    .await
}

struct Period {
    label: String,
    first: NaiveDate,
    days: u32,
}

impl Period {
    fn dates(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.first.iter_days().take(self.days as usize)
    }
}

async fn plan(
    state: &AppState,
    caller: Caller,
    period: Period,
    venue: Option<VenueId>,
    technician: Option<TechnicianId>,
) -> Result<Response, ApiError> {
    let key = format!(
        "{}:{}:{}",
        period.label,
        venue.map(|v| v.to_string()).unwrap_or_default(),
        technician.map(|t| t.to_string()).unwrap_or_default()
    );
    // Taken before reading the database: see `plan_cache` on why this order is safe.
    let lookup = state.plan_cache.get(caller.tenant, &key).await;
    if let Some(hit) = lookup.hit {
        return Ok(json_response(hit, "hit"));
    }
    let tz = caller.time_zone;
    let last = period.first + Duration::days(i64::from(period.days));
    let window = Window::new(local_midnight(tz, period.first), local_midnight(tz, last))
        .expect("a period lasts at least a day");
    let rows = state
        .storage
        .planning_rows(caller.tenant, window, venue, technician)
        .await?;
    let view = render(&period, window, tz, rows);
    let body: Arc<str> = Arc::from(serde_json::to_string(&view).map_err(ApiError::internal)?);
    state
        .plan_cache
        .put(caller.tenant, lookup.generation, &key, body.clone())
        .await;
    Ok(json_response(body, "miss"))
}

/// A cached or freshly computed JSON body, with `X-Cache: hit` or `miss`.
pub(super) fn json_response(body: Arc<str>, cache: &'static str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (X_CACHE, HeaderValue::from_static(cache)),
        ],
        body.to_string(),
    )
        .into_response()
}

fn render(
    period: &Period,
    window: Window,
    tz: crate::domain::TimeZone,
    rows: PlanningRows,
) -> PlanView {
    let mut needs_by_mission: BTreeMap<MissionId, Vec<PlannedNeed>> = BTreeMap::new();
    let mut crew_by_need: BTreeMap<NeedId, Vec<CrewMember>> = BTreeMap::new();
    for a in rows.assignments {
        if a.assignment.status == AssignmentStatus::Declined {
            continue;
        }
        crew_by_need
            .entry(a.assignment.need_id)
            .or_default()
            .push(CrewMember {
                assignment_id: a.assignment.id,
                technician_id: a.assignment.technician_id,
                name: a.technician_name,
                status: a.assignment.status,
                pinned: a.assignment.pinned,
            });
    }
    let mut totals = Totals::default();
    for need in rows.needs {
        let crew = crew_by_need.remove(&need.id).unwrap_or_default();
        let held = i32::try_from(crew.len()).unwrap_or(i32::MAX);
        let open = (need.min_crew - held).max(0);
        totals.places += u32::try_from(need.min_crew).unwrap_or_default();
        totals.filled += u32::try_from(need.min_crew.min(held)).unwrap_or_default();
        totals.open += u32::try_from(open).unwrap_or_default();
        needs_by_mission
            .entry(need.mission_id)
            .or_default()
            .push(PlannedNeed {
                id: need.id,
                skill: need.skill,
                min_crew: need.min_crew,
                max_crew: need.max_crew,
                start: local(need.window.start(), tz),
                end: local(need.window.end(), tz),
                crew,
                open,
            });
    }
    let mut days: Vec<DayView> = period
        .dates()
        .map(|date| DayView {
            date,
            missions: Vec::new(),
        })
        .collect();
    for m in rows.missions {
        let mission = m.mission;
        totals.missions += 1;
        let start_day = mission.window.start().with_timezone(&tz.0).date_naive();
        let index = days
            .iter()
            .rposition(|d| d.date <= start_day)
            .unwrap_or_default();
        let planned = PlannedMission {
            id: mission.id,
            title: mission.title,
            status: mission.status,
            venue_id: mission.venue_id,
            venue: m.venue_name,
            room_id: mission.room_id,
            room: m.room_name,
            start: local(mission.window.start(), tz),
            end: local(mission.window.end(), tz),
            needs: needs_by_mission.remove(&mission.id).unwrap_or_default(),
        };
        if let Some(day) = days.get_mut(index) {
            day.missions.push(planned);
        }
    }
    PlanView {
        period: period.label.clone(),
        time_zone: tz.name().to_owned(),
        start: local(window.start(), tz),
        end: local(window.end(), tz),
        days,
        totals,
    }
}

/// The Monday of an ISO week written `YYYY-Www` (`2026-W27`; week 53 only in years that
/// have one).
fn parse_iso_week(raw: &str) -> Result<NaiveDate, String> {
    let invalid = || format!("`{raw}` is not an ISO week like 2026-W27");
    let (year, week) = raw.split_once("-W").ok_or_else(invalid)?;
    if year.len() != 4 || week.len() != 2 {
        return Err(invalid());
    }
    let year: i32 = year.parse().map_err(|_| invalid())?;
    let week: u32 = week.parse().map_err(|_| invalid())?;
    NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)
        .filter(|d| d.iso_week().week() == week)
        .ok_or_else(|| format!("{year} has no ISO week {week}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_weeks_parse_to_their_monday() {
        assert_eq!(
            parse_iso_week("2026-W27").unwrap(),
            NaiveDate::from_ymd_opt(2026, 6, 29).unwrap()
        );
        // ISO 2027-W01 starts in 2027; 2026-W53 exists (2026 starts on a Thursday).
        assert_eq!(
            parse_iso_week("2026-W53").unwrap(),
            NaiveDate::from_ymd_opt(2026, 12, 28).unwrap()
        );
        assert!(parse_iso_week("2027-W53").is_err());
        assert!(parse_iso_week("2026-27").is_err());
        assert!(parse_iso_week("2026-W7").is_err());
        assert!(parse_iso_week("2026-W00").is_err());
    }
}

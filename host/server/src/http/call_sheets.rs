//! Printed call sheets (PDF, A4): `/exports/call-sheet` for a mission or a venue's day,
//! `/exports/technician-week` for one technician's week. Answered with the checksum
//! headers of every export and recorded in the audit chain.

use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::calendar::own_or_forbidden;
use super::error::{ApiError, ErrorBody, ErrorResponses};
use super::exports::deliver;
use super::extract::{Allowed, ValidQuery};
use crate::domain::{MissionId, PayPeriod, PayPeriodKind, Role, TechnicianId, VenueId};
use crate::exports::call_sheets::{self, Reader};
use crate::rbac::ReadPlanning;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(call_sheet))
        .routes(routes!(technician_week))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct CallSheetQuery {
    /// One mission's sheet.
    mission_id: Option<MissionId>,
    /// Or a venue's day: every mission there on `date`.
    venue_id: Option<VenueId>,
    /// The venue's local day.
    #[param(value_type = Option<String>, example = "2026-07-14")]
    date: Option<NaiveDate>,
}

/// A call sheet as PDF: a mission (a technician: one they are on the crew of), or every
/// mission of a venue on one day (planners), with times, place, notes, and each need's
/// crew and their phones.
#[utoipa::path(
    get,
    path = "/exports/call-sheet",
    tag = "exports",
    params(CallSheetQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, content_type = "application/pdf", body = Vec<u8>, description = "The file, with the checksum headers of every export"),
        (status = 404, description = "No such mission or venue in this tenant, or a mission the technician is not on (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn call_sheet(
    State(state): State<AppState>,
    allowed: Allowed<ReadPlanning>,
    ValidQuery(query): ValidQuery<CallSheetQuery>,
) -> Result<Response, ApiError> {
    let caller = allowed.caller;
    let tz = caller.time_zone;
    let (export, parameters) = match (query.mission_id, query.venue_id, query.date) {
        (Some(mission), None, None) => {
            let reader = match (caller.role, caller.technician) {
                (Role::Tech, Some(me)) => Reader::Technician(me),
                (Role::Tech, None) => return Err(ApiError::Forbidden),
                _ => Reader::Planner,
            };
            let export = call_sheets::mission(&state.storage, caller.tenant, tz, mission, reader)
                .await?
                .ok_or(ApiError::NotFound { entity: "mission" })?;
            (export, json!({"mission_id": mission}))
        }
        (None, Some(venue), Some(date)) => {
            if caller.role == Role::Tech {
                return Err(ApiError::Forbidden);
            }
            let export = call_sheets::venue_day(&state.storage, caller.tenant, tz, venue, date)
                .await?
                .ok_or(ApiError::NotFound { entity: "venue" })?;
            (export, json!({"venue_id": venue, "date": date}))
        }
        (None, Some(_), None) => return Err(ApiError::validation("date", "is required")),
        _ => {
            return Err(ApiError::validation(
                "mission_id",
                "give either `mission_id`, or `venue_id` and `date`",
            ));
        }
    };
    deliver(&state, &caller, false, "call-sheet", parameters, || async {
        Ok(export)
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct WeekQuery {
    /// Whose week; a technician may only name their own (the default).
    technician_id: Option<TechnicianId>,
    /// An ISO week.
    #[param(example = "2026-W28")]
    week: String,
}

/// A technician's week as PDF: a row per shift (day, time, mission, place, role, status),
/// the week's hours, the missions' notes. A technician: their own.
#[utoipa::path(
    get,
    path = "/exports/technician-week",
    tag = "exports",
    params(WeekQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, content_type = "application/pdf", body = Vec<u8>, description = "The file, with the checksum headers of every export"),
        (status = 404, description = "No such technician in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn technician_week(
    State(state): State<AppState>,
    allowed: Allowed<ReadPlanning>,
    ValidQuery(query): ValidQuery<WeekQuery>,
) -> Result<Response, ApiError> {
    let caller = allowed.caller;
    let tz = caller.time_zone;
    let week = PayPeriod::parse(&query.week, PayPeriodKind::Week)
        .map_err(|e| ApiError::validation("week", e.reason))?;
    let technician = own_or_forbidden(&caller, query.technician_id)?;
    let export = call_sheets::technician_week(&state.storage, caller.tenant, tz, technician, &week)
        .await?
        .ok_or(ApiError::NotFound {
            entity: "technician",
        })?;
    let parameters = json!({"technician_id": technician, "week": week.label()});
    deliver(
        &state,
        &caller,
        false,
        "technician-week",
        parameters,
        || async { Ok(export) },
    )
    .await
}

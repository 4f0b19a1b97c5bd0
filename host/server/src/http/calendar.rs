//! Calendars: a technician's assignments as an iCalendar file (`/exports/ics`), and a
//! secret, revocable subscription feed per technician (`/technicians/{id}/calendar-feed`,
//! then `/feeds/{token}` polled by calendar apps without a login).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use base64::Engine as _;
use chrono::Utc;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody, ErrorResponses};
use super::exports::{Delivery, file};
use super::extract::{Allowed, Caller, ValidPath, ValidQuery};
use crate::domain::time::{DateBound, filter_window};
use crate::domain::{Role, TechnicianId, TimeZone, VenueId};
use crate::exports::{self, ics};
use crate::rbac::{ManageCalendarFeeds, ReadPlanning};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export_ics))
        .routes(routes!(create_feed, revoke_feed))
        .routes(routes!(read_feed))
}

/// The technician a caller may act for: any for planners, their own for a technician.
pub(super) fn own_or_forbidden(
    caller: &Caller,
    wanted: Option<TechnicianId>,
) -> Result<TechnicianId, ApiError> {
    match (caller.role, wanted, caller.technician) {
        (Role::Tech, Some(w), Some(own)) if w == own => Ok(own),
        (Role::Tech, None, Some(own)) => Ok(own),
        (Role::Tech, _, _) => Err(ApiError::Forbidden),
        (_, Some(w), _) => Ok(w),
        (_, None, Some(own)) => Ok(own),
        (_, None, None) => Err(ApiError::validation("technician_id", "is required")),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct IcsQuery {
    /// Whose assignments; a technician may only name their own (the default).
    technician_id: Option<TechnicianId>,
    /// Instead: a venue's missions, one event each.
    venue_id: Option<VenueId>,
    /// Default: 31 days ago.
    #[param(value_type = Option<String>, example = "2026-07-01")]
    from: Option<DateBound>,
    /// Default: 400 days ahead.
    #[param(value_type = Option<String>, example = "2026-07-31")]
    to: Option<DateBound>,
}

/// A technician's assignments (or a venue's missions) as an iCalendar (RFC 5545) file, in
/// the tenant's time zone.
#[utoipa::path(
    get,
    path = "/exports/ics",
    tag = "exports",
    params(IcsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, content_type = "text/calendar", body = String, description = "The file, with the checksum headers of every export"),
        ErrorResponses,
    )
)]
async fn export_ics(
    State(state): State<AppState>,
    allowed: Allowed<ReadPlanning>,
    ValidQuery(query): ValidQuery<IcsQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let caller = allowed.caller;
    let tz = caller.time_zone;
    let window = match filter_window(query.from, query.to, tz)
        .map_err(|e| ApiError::validation("to", e.reason))?
    {
        Some(w) if query.from.is_some() && query.to.is_some() => w,
        _ => ics::feed_window(Utc::now()),
    };
    if let Some(venue) = query.venue_id {
        if query.technician_id.is_some() {
            return Err(ApiError::validation(
                "venue_id",
                "give either `technician_id` or `venue_id`",
            ));
        }
        let export = ics::venue(&state.storage, caller.tenant, tz, venue, window)
            .await?
            .ok_or(ApiError::NotFound { entity: "venue" })?;
        exports::record(
            &state.storage,
            caller.tenant,
            caller.user,
            "ics",
            json!({"venue_id": venue, "from": window.start(), "to": window.end()}),
            &export,
        )
        .await?;
        return Ok(file(export, tz, Delivery::Download));
    }
    let technician = own_or_forbidden(&caller, query.technician_id)?;
    let export = ics::technician(&state.storage, caller.tenant, tz, technician, window).await?;
    exports::record(
        &state.storage,
        caller.tenant,
        caller.user,
        "ics",
        json!({"technician_id": technician, "from": window.start(), "to": window.end()}),
        &export,
    )
    .await?;
    Ok(file(export, tz, Delivery::Download))
}

/// A new subscription URL.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct FeedView {
    /// Add it to a calendar app (prefixed with this server's address); it works without a
    /// login until rotated or revoked. Shown once: only its hash is kept.
    #[schema(example = "/api/v1/feeds/Jm3...Q")]
    path: String,
}

/// Creates the technician's calendar subscription URL, or replaces it (the old one stops
/// working). A technician manages their own.
#[utoipa::path(
    post,
    path = "/technicians/{id}/calendar-feed",
    tag = "technicians",
    params(("id" = TechnicianId, Path, description = "The technician's id")),
    security(("bearer" = [])),
    responses(
        (status = 201, body = FeedView),
        (status = 404, description = "No such technician in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn create_feed(
    State(state): State<AppState>,
    allowed: Allowed<ManageCalendarFeeds>,
    ValidPath(id): ValidPath<TechnicianId>,
) -> Result<impl IntoResponse, ApiError> {
    let caller = allowed.caller;
    let id = own_or_forbidden(&caller, Some(id))?;
    let mut secret = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut secret);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret);
    let hash = Sha256::digest(token.as_bytes());
    if !state
        .storage
        .set_calendar_feed(caller.tenant, id, &hash, caller.user, Utc::now())
        .await?
    {
        return Err(ApiError::NotFound {
            entity: "technician",
        });
    }
    tracing::info!(technician = %id, by = %caller.user, "calendar feed issued");
    Ok((
        StatusCode::CREATED,
        Json(FeedView {
            path: format!("/api/v1/feeds/{token}"),
        }),
    ))
}

/// Revokes the technician's calendar subscription URL.
#[utoipa::path(
    delete,
    path = "/technicians/{id}/calendar-feed",
    tag = "technicians",
    params(("id" = TechnicianId, Path, description = "The technician's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No feed for this technician (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn revoke_feed(
    State(state): State<AppState>,
    allowed: Allowed<ManageCalendarFeeds>,
    ValidPath(id): ValidPath<TechnicianId>,
) -> Result<StatusCode, ApiError> {
    let caller = allowed.caller;
    let id = own_or_forbidden(&caller, Some(id))?;
    if !state
        .storage
        .revoke_calendar_feed(caller.tenant, id)
        .await?
    {
        return Err(ApiError::NotFound {
            entity: "calendar feed",
        });
    }
    tracing::info!(technician = %id, by = %caller.user, "calendar feed revoked");
    Ok(StatusCode::NO_CONTENT)
}

/// A technician's calendar feed, for calendar apps: no login, the secret is the URL. From
/// 31 days ago to 400 days ahead.
#[utoipa::path(
    get,
    path = "/feeds/{token}",
    tag = "technicians",
    params(("token" = String, Path, description = "The feed's secret")),
    responses(
        (status = 200, content_type = "text/calendar", body = String, description = "The calendar"),
        (status = 404, description = "Unknown or revoked feed (`ENTITY_NOT_FOUND`)", body = ErrorBody),
    )
)]
async fn read_feed(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    const NOT_FOUND: ApiError = ApiError::NotFound {
        entity: "calendar feed",
    };
    if token.len() > 100 {
        return Err(NOT_FOUND);
    }
    let hash = Sha256::digest(token.as_bytes());
    let (tenant, technician) = state.storage.calendar_feed(&hash).await?.ok_or(NOT_FOUND)?;
    let tz = state
        .storage
        .tenant(tenant)
        .await?
        .and_then(|t| TimeZone::parse(&t.time_zone).ok())
        .unwrap_or_default();
    let export = ics::technician(
        &state.storage,
        tenant,
        tz,
        technician,
        ics::feed_window(Utc::now()),
    )
    .await?;
    Ok(file(export, tz, Delivery::Feed))
}

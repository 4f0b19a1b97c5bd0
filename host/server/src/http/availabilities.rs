//! Declared availabilities: technicians manage their own, planners everyone's.
//!
//! A caller with the `tech` role acts on the technician profile linked to their account
//! (`Caller::technician`) only: their list holds their own windows (none without a
//! profile), another technician's window is 404 to them, and they cannot create one for
//! someone else (403). Admins and managers manage everyone's; viewers read everyone's.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, Duration, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody, ErrorResponses};
use super::extract::{Allowed, Caller, ValidJson, ValidPath, ValidQuery};
use crate::domain::time::{DateBound, Window, local, to_second};
use crate::domain::{AvailabilityId, Page, PageRequest, Patch, Role, TechnicianId, TimeZone, text};
use crate::rbac::{
    CreateAvailabilities, DeleteAvailabilities, ReadAvailabilities, UpdateAvailabilities,
};
use crate::state::AppState;
use crate::storage::{
    Availability, AvailabilityFilter, AvailabilityKind, AvailabilityPatch, NewAvailability,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_availabilities, create_availability))
        .routes(routes!(
            get_availability,
            update_availability,
            delete_availability
        ))
}

const NOTE_MAX_CHARS: usize = 1000;
/// The longest window one availability may cover.
const MAX_DAYS: i64 = 366;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AvailabilityView {
    pub id: AvailabilityId,
    pub technician_id: TechnicianId,
    /// In the tenant's time zone.
    #[schema(example = "2026-07-01T20:00:00+02:00")]
    pub start: DateTime<FixedOffset>,
    /// In the tenant's time zone; the window is `[start, end)`.
    #[schema(example = "2026-07-02T02:00:00+02:00")]
    pub end: DateTime<FixedOffset>,
    pub kind: AvailabilityKind,
    pub note: Option<String>,
    /// In the tenant's time zone.
    pub created_at: DateTime<FixedOffset>,
    /// In the tenant's time zone.
    pub updated_at: DateTime<FixedOffset>,
}

impl AvailabilityView {
    fn new(a: Availability, tz: TimeZone) -> Self {
        Self {
            id: a.id,
            technician_id: a.technician_id,
            start: local(a.window.start(), tz),
            end: local(a.window.end(), tz),
            kind: a.kind,
            note: a.note,
            created_at: local(a.created_at, tz),
            updated_at: local(a.updated_at, tz),
        }
    }
}

/// Whose availabilities the caller may touch: everyone's, or only their own profile's
/// (`Own(None)` when a technician's account is not linked to a profile yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Everyone,
    Own(Option<TechnicianId>),
}

impl Scope {
    fn of(caller: &Caller) -> Self {
        if caller.role == Role::Tech {
            Scope::Own(caller.technician)
        } else {
            Scope::Everyone
        }
    }

    fn may_see(self, technician: TechnicianId) -> bool {
        match self {
            Scope::Everyone => true,
            Scope::Own(own) => own == Some(technician),
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Page number, from 1 (default 1).
    #[param(minimum = 1)]
    page: Option<u32>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    size: Option<u32>,
    /// Only this technician's windows.
    technician_id: Option<TechnicianId>,
    /// Only windows of this kind.
    kind: Option<AvailabilityKind>,
    /// Only windows ending after this bound: `YYYY-MM-DD` (local midnight in the tenant's
    /// time zone) or an RFC 3339 instant with an offset.
    #[param(value_type = Option<String>, example = "2026-07-01")]
    from: Option<DateBound>,
    /// Only windows starting before this bound; a date includes that whole day.
    #[param(value_type = Option<String>, example = "2026-07-31")]
    to: Option<DateBound>,
}

/// Lists availabilities overlapping `[from, to)`, ordered by start.
///
/// A technician (role `tech`) sees only their own.
#[utoipa::path(
    get,
    path = "/availabilities",
    tag = "availabilities",
    params(ListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Page<AvailabilityView>), ErrorResponses)
)]
async fn list_availabilities(
    State(state): State<AppState>,
    allowed: Allowed<ReadAvailabilities>,
    ValidQuery(query): ValidQuery<ListQuery>,
) -> Result<Json<Page<AvailabilityView>>, ApiError> {
    let caller = allowed.caller;
    let tz = caller.time_zone;
    let page = PageRequest::new(query.page, query.size)?;
    let from = query.from.map(|b| b.resolve(tz));
    let to = query.to.map(|b| b.resolve_end(tz));
    if let (Some(from), Some(to)) = (from, to)
        && to <= from
    {
        return Err(ApiError::validation("to", "must be after `from`"));
    }
    let technician = match (Scope::of(&caller), query.technician_id) {
        (Scope::Everyone, wanted) => wanted,
        (Scope::Own(Some(own)), None) => Some(own),
        (Scope::Own(Some(own)), Some(wanted)) if wanted == own => Some(own),
        // Someone else's, or no profile: nothing the caller may see.
        (Scope::Own(_), _) => return Ok(Json(Page::new(Vec::new(), 0, page))),
    };
    let filter = AvailabilityFilter {
        technician,
        kind: query.kind,
        from,
        to,
    };
    let (items, total) = state
        .storage
        .list_availabilities(caller.tenant, &filter, page)
        .await?;
    Ok(Json(
        Page::new(items, total, page).map(|a| AvailabilityView::new(a, tz)),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateAvailability {
    /// A technician of the tenant. Defaults to the caller's own profile; a technician
    /// (role `tech`) may only name their own.
    technician_id: Option<TechnicianId>,
    /// RFC 3339 with an offset; stored to the second.
    #[schema(example = "2026-07-01T18:00:00Z")]
    start: String,
    /// RFC 3339 with an offset, after `start`, at most 366 days later.
    #[schema(example = "2026-07-02T00:00:00Z")]
    end: String,
    kind: AvailabilityKind,
    /// Up to 1000 characters, trimmed.
    note: Option<String>,
}

/// Declares an availability window.
#[utoipa::path(
    post,
    path = "/availabilities",
    tag = "availabilities",
    request_body = CreateAvailability,
    security(("bearer" = [])),
    responses(
        (status = 201, body = AvailabilityView, headers(("Location" = String, description = "The new availability's URL"))),
        ErrorResponses,
    )
)]
async fn create_availability(
    State(state): State<AppState>,
    allowed: Allowed<CreateAvailabilities>,
    ValidJson(body): ValidJson<CreateAvailability>,
) -> Result<impl IntoResponse, ApiError> {
    let caller = allowed.caller;
    let technician_id = match (Scope::of(&caller), body.technician_id) {
        (Scope::Own(None), _) => {
            tracing::info!(user = %caller.user, "a technician without a profile cannot declare availabilities");
            return Err(ApiError::Forbidden);
        }
        (Scope::Own(Some(own)), Some(wanted)) if wanted != own => {
            return Err(ApiError::Forbidden);
        }
        (Scope::Own(Some(own)), _) => own,
        (Scope::Everyone, Some(wanted)) => wanted,
        (Scope::Everyone, None) => caller.technician.ok_or_else(|| {
            ApiError::validation(
                "technician_id",
                "is required (your account has no technician profile of its own)",
            )
        })?,
    };
    let start = parse_instant("start", &body.start)?;
    let end = parse_instant("end", &body.end)?;
    let window = window(start, end)?;
    let note = body.note.as_deref().map(parse_note).transpose()?;
    let availability = state
        .storage
        .create_availability(
            caller.tenant,
            NewAvailability {
                id: AvailabilityId::new(),
                technician_id,
                window,
                kind: body.kind,
                note,
                created_at: to_second(Utc::now()),
            },
        )
        .await?
        .ok_or_else(|| unknown_technician(technician_id))?;
    state.plan_cache.invalidate(caller.tenant).await;
    tracing::info!(availability = %availability.id, technician = %technician_id, by = %caller.user, "availability created");
    let location = format!("/api/v1/availabilities/{}", availability.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(AvailabilityView::new(availability, caller.time_zone)),
    ))
}

/// One availability window.
#[utoipa::path(
    get,
    path = "/availabilities/{id}",
    tag = "availabilities",
    params(("id" = AvailabilityId, Path, description = "The availability's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AvailabilityView),
        (status = 404, description = "No such availability in this tenant, or (for a technician) not their own (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn get_availability(
    State(state): State<AppState>,
    allowed: Allowed<ReadAvailabilities>,
    ValidPath(id): ValidPath<AvailabilityId>,
) -> Result<Json<AvailabilityView>, ApiError> {
    let caller = allowed.caller;
    let availability = state
        .storage
        .availability(caller.tenant, id)
        .await?
        .filter(|a| Scope::of(&caller).may_see(a.technician_id))
        .ok_or(NOT_FOUND)?;
    Ok(Json(AvailabilityView::new(availability, caller.time_zone)))
}

/// Every field may be left out (kept as it is); `note` may be `null` (cleared), the other
/// fields may not.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateAvailability {
    /// Moves the window to another technician of the tenant (planners only).
    #[serde(default)]
    #[schema(value_type = Option<TechnicianId>)]
    technician_id: Patch<TechnicianId>,
    /// RFC 3339 with an offset.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    start: Patch<String>,
    /// RFC 3339 with an offset; the window, as it will be, must end after it starts and
    /// last at most 366 days.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    end: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<AvailabilityKind>)]
    kind: Patch<AvailabilityKind>,
    /// `null` clears it.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    note: Patch<String>,
}

/// Changes an availability window.
#[utoipa::path(
    patch,
    path = "/availabilities/{id}",
    tag = "availabilities",
    params(("id" = AvailabilityId, Path, description = "The availability's id")),
    request_body = UpdateAvailability,
    security(("bearer" = [])),
    responses(
        (status = 200, body = AvailabilityView),
        (status = 404, description = "No such availability in this tenant, or (for a technician) not their own (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn update_availability(
    State(state): State<AppState>,
    allowed: Allowed<UpdateAvailabilities>,
    ValidPath(id): ValidPath<AvailabilityId>,
    ValidJson(body): ValidJson<UpdateAvailability>,
) -> Result<Json<AvailabilityView>, ApiError> {
    let caller = allowed.caller;
    let scope = Scope::of(&caller);
    let current = state
        .storage
        .availability(caller.tenant, id)
        .await?
        .filter(|a| scope.may_see(a.technician_id))
        .ok_or(NOT_FOUND)?;
    let technician_id = body.technician_id.required("technician_id")?;
    if let Some(wanted) = technician_id.filter(|t| *t != current.technician_id) {
        if scope != Scope::Everyone {
            return Err(ApiError::Forbidden);
        }
        if state
            .storage
            .technician(caller.tenant, wanted)
            .await?
            .is_none()
        {
            return Err(unknown_technician(wanted));
        }
    }
    let start = body
        .start
        .required("start")?
        .map(|s| parse_instant("start", &s))
        .transpose()?;
    let end = body
        .end
        .required("end")?
        .map(|e| parse_instant("end", &e))
        .transpose()?;
    // Checked as the window will be, the stored bound standing in for a missing one.
    let window = if start.is_some() || end.is_some() {
        Some(window(
            start.unwrap_or(current.window.start()),
            end.unwrap_or(current.window.end()),
        )?)
    } else {
        None
    };
    let patch = AvailabilityPatch {
        technician_id,
        start: start.and(window.map(|w| w.start())),
        end: end.and(window.map(|w| w.end())),
        kind: body.kind.required("kind")?,
        note: body.note.try_map(|n| parse_note(&n))?.nullable(),
    };
    let owner = match scope {
        Scope::Everyone => None,
        Scope::Own(own) => own,
    };
    let availability = state
        .storage
        .update_availability(caller.tenant, id, owner, patch, to_second(Utc::now()))
        .await?
        .ok_or(NOT_FOUND)?;
    state.plan_cache.invalidate(caller.tenant).await;
    tracing::info!(availability = %id, by = %caller.user, "availability updated");
    Ok(Json(AvailabilityView::new(availability, caller.time_zone)))
}

/// Deletes an availability window.
#[utoipa::path(
    delete,
    path = "/availabilities/{id}",
    tag = "availabilities",
    params(("id" = AvailabilityId, Path, description = "The availability's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such availability in this tenant, or (for a technician) not their own (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn delete_availability(
    State(state): State<AppState>,
    allowed: Allowed<DeleteAvailabilities>,
    ValidPath(id): ValidPath<AvailabilityId>,
) -> Result<StatusCode, ApiError> {
    let caller = allowed.caller;
    let owner = match Scope::of(&caller) {
        Scope::Everyone => None,
        Scope::Own(Some(own)) => Some(own),
        Scope::Own(None) => return Err(NOT_FOUND),
    };
    if !state
        .storage
        .delete_availability(caller.tenant, id, owner)
        .await?
    {
        return Err(NOT_FOUND);
    }
    state.plan_cache.invalidate(caller.tenant).await;
    tracing::info!(availability = %id, by = %caller.user, "availability deleted");
    Ok(StatusCode::NO_CONTENT)
}

const NOT_FOUND: ApiError = ApiError::NotFound {
    entity: "availability",
};

fn unknown_technician(id: TechnicianId) -> ApiError {
    ApiError::validation(
        "technician_id",
        format!("there is no technician {id} in this tenant"),
    )
}

fn parse_instant(field: &'static str, raw: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            ApiError::validation(
                field,
                format!(
                    "`{raw}` is not an RFC 3339 instant with an offset, such as 2026-07-01T20:00:00+02:00"
                ),
            )
        })
}

/// The window to the second; the error is about `end`.
fn window(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Window, ApiError> {
    let window = Window::new(start, end).map_err(|e| ApiError::validation("end", e.reason))?;
    if window.end() - window.start() > Duration::days(MAX_DAYS) {
        return Err(ApiError::validation(
            "end",
            format!(
                "a window lasts at most {MAX_DAYS} days; declare longer periods in several windows"
            ),
        ));
    }
    Ok(window)
}

fn parse_note(raw: &str) -> Result<String, ApiError> {
    text::multiline(raw, NOTE_MAX_CHARS).map_err(|e| ApiError::validation("note", e.reason))
}

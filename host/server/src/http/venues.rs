//! Venues and their rooms.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody, ErrorResponses};
use super::extract::{Allowed, ValidJson, ValidPath, ValidQuery};
use crate::domain::time::{local, to_second};
use crate::domain::{Page, PageRequest, Patch, RoomId, TimeZone, VenueId, text};
use crate::rbac::{CreateVenues, DeleteVenues, ReadVenues, UpdateVenues};
use crate::state::AppState;
use crate::storage::{NewRoom, NewVenue, Room, RoomPatch, Venue, VenuePatch};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_venues, create_venue))
        .routes(routes!(get_venue, update_venue, delete_venue))
        .routes(routes!(list_rooms, create_room))
        .routes(routes!(get_room, update_room, delete_room))
}

const NAME_MAX_CHARS: usize = 200;
const ADDRESS_MAX_CHARS: usize = 500;
/// Seats or standing places; a stadium holds about 100 000.
const CAPACITY_MAX: i64 = 1_000_000;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RoomView {
    pub id: RoomId,
    pub venue_id: VenueId,
    /// Unique in the venue.
    pub name: String,
    /// People it holds, if known.
    pub capacity: Option<i32>,
    /// In the tenant's time zone.
    pub created_at: DateTime<FixedOffset>,
}

impl RoomView {
    fn new(r: Room, tz: TimeZone) -> Self {
        Self {
            id: r.id,
            venue_id: r.venue_id,
            name: r.name,
            capacity: r.capacity,
            created_at: local(r.created_at, tz),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VenueView {
    pub id: VenueId,
    /// Unique in the tenant.
    pub name: String,
    pub address: Option<String>,
    /// Ordered by name.
    pub rooms: Vec<RoomView>,
    /// In the tenant's time zone.
    pub created_at: DateTime<FixedOffset>,
    /// In the tenant's time zone.
    pub updated_at: DateTime<FixedOffset>,
}

impl VenueView {
    fn new(v: Venue, tz: TimeZone) -> Self {
        Self {
            id: v.id,
            name: v.name,
            address: v.address,
            rooms: v.rooms.into_iter().map(|r| RoomView::new(r, tz)).collect(),
            created_at: local(v.created_at, tz),
            updated_at: local(v.updated_at, tz),
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    /// Page number, from 1 (default 1).
    #[param(minimum = 1)]
    page: Option<u32>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    size: Option<u32>,
}

/// Lists the tenant's venues with their rooms, ordered by name then id.
#[utoipa::path(
    get,
    path = "/venues",
    tag = "venues",
    params(PageQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Page<VenueView>), ErrorResponses)
)]
async fn list_venues(
    State(state): State<AppState>,
    allowed: Allowed<ReadVenues>,
    ValidQuery(query): ValidQuery<PageQuery>,
) -> Result<Json<Page<VenueView>>, ApiError> {
    let page = PageRequest::new(query.page, query.size)?;
    let tz = allowed.caller.time_zone;
    let (items, total) = state
        .storage
        .list_venues(allowed.caller.tenant, page)
        .await?;
    Ok(Json(
        Page::new(items, total, page).map(|v| VenueView::new(v, tz)),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateVenue {
    /// 1 to 200 characters, trimmed; unique in the tenant.
    #[schema(example = "La Cigale")]
    name: String,
    /// Up to 500 characters, trimmed; may span lines.
    #[schema(example = "120 boulevard de Rochechouart, 75018 Paris")]
    address: Option<String>,
}

/// Creates a venue (without rooms: add them with `POST /venues/{id}/rooms`).
#[utoipa::path(
    post,
    path = "/venues",
    tag = "venues",
    request_body = CreateVenue,
    security(("bearer" = [])),
    responses(
        (status = 201, body = VenueView, headers(("Location" = String, description = "The new venue's URL"))),
        (status = 409, description = "The name is taken in this tenant (`CONFLICT_DUPLICATE`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn create_venue(
    State(state): State<AppState>,
    allowed: Allowed<CreateVenues>,
    ValidJson(body): ValidJson<CreateVenue>,
) -> Result<impl IntoResponse, ApiError> {
    let caller = allowed.caller;
    let name = parse_name(&body.name)?;
    let address = body.address.as_deref().map(parse_address).transpose()?;
    let venue = state
        .storage
        .create_venue(
            caller.tenant,
            NewVenue {
                id: VenueId::new(),
                name,
                address,
                created_at: to_second(Utc::now()),
            },
        )
        .await?;
    state.plan_cache.invalidate(caller.tenant).await;
    tracing::info!(venue = %venue.id, by = %caller.user, "venue created");
    let location = format!("/api/v1/venues/{}", venue.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(VenueView::new(venue, caller.time_zone)),
    ))
}

/// One venue of the caller's tenant, with its rooms.
#[utoipa::path(
    get,
    path = "/venues/{id}",
    tag = "venues",
    params(("id" = VenueId, Path, description = "The venue's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = VenueView),
        (status = 404, description = "No such venue in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn get_venue(
    State(state): State<AppState>,
    allowed: Allowed<ReadVenues>,
    ValidPath(id): ValidPath<VenueId>,
) -> Result<Json<VenueView>, ApiError> {
    let venue = state
        .storage
        .venue(allowed.caller.tenant, id)
        .await?
        .ok_or(ApiError::NotFound { entity: "venue" })?;
    Ok(Json(VenueView::new(venue, allowed.caller.time_zone)))
}

/// Every field may be left out (kept as it is); `address` may be `null` (cleared),
/// `name` may not.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateVenue {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    address: Patch<String>,
}

/// Renames a venue or changes its address.
#[utoipa::path(
    patch,
    path = "/venues/{id}",
    tag = "venues",
    params(("id" = VenueId, Path, description = "The venue's id")),
    request_body = UpdateVenue,
    security(("bearer" = [])),
    responses(
        (status = 200, body = VenueView),
        (status = 404, description = "No such venue in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        (status = 409, description = "The name is taken in this tenant (`CONFLICT_DUPLICATE`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn update_venue(
    State(state): State<AppState>,
    allowed: Allowed<UpdateVenues>,
    ValidPath(id): ValidPath<VenueId>,
    ValidJson(body): ValidJson<UpdateVenue>,
) -> Result<Json<VenueView>, ApiError> {
    let caller = allowed.caller;
    let patch = VenuePatch {
        name: body
            .name
            .required("name")?
            .as_deref()
            .map(parse_name)
            .transpose()?,
        address: body.address.try_map(|a| parse_address(&a))?.nullable(),
    };
    let venue = state
        .storage
        .update_venue(caller.tenant, id, patch, to_second(Utc::now()))
        .await?
        .ok_or(ApiError::NotFound { entity: "venue" })?;
    state.plan_cache.invalidate(caller.tenant).await;
    tracing::info!(venue = %id, by = %caller.user, "venue updated");
    Ok(Json(VenueView::new(venue, caller.time_zone)))
}

/// Deletes a venue no mission uses, with its rooms.
///
/// A venue with missions is kept for their history (409 `CONFLICT_IN_USE`). Technicians'
/// preferences forget the venue.
#[utoipa::path(
    delete,
    path = "/venues/{id}",
    tag = "venues",
    params(("id" = VenueId, Path, description = "The venue's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such venue in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        (status = 409, description = "Missions take place at the venue (`CONFLICT_IN_USE`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn delete_venue(
    State(state): State<AppState>,
    allowed: Allowed<DeleteVenues>,
    ValidPath(id): ValidPath<VenueId>,
) -> Result<StatusCode, ApiError> {
    let caller = allowed.caller;
    if !state
        .storage
        .delete_venue(caller.tenant, id, to_second(Utc::now()))
        .await?
    {
        return Err(ApiError::NotFound { entity: "venue" });
    }
    state.plan_cache.invalidate(caller.tenant).await;
    tracing::info!(venue = %id, by = %caller.user, "venue deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// Lists a venue's rooms, ordered by name then id.
#[utoipa::path(
    get,
    path = "/venues/{id}/rooms",
    tag = "venues",
    params(("id" = VenueId, Path, description = "The venue's id"), PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<RoomView>),
        (status = 404, description = "No such venue in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn list_rooms(
    State(state): State<AppState>,
    allowed: Allowed<ReadVenues>,
    ValidPath(venue): ValidPath<VenueId>,
    ValidQuery(query): ValidQuery<PageQuery>,
) -> Result<Json<Page<RoomView>>, ApiError> {
    let page = PageRequest::new(query.page, query.size)?;
    let tz = allowed.caller.time_zone;
    let (items, total) = state
        .storage
        .list_rooms(allowed.caller.tenant, venue, page)
        .await?
        .ok_or(ApiError::NotFound { entity: "venue" })?;
    Ok(Json(
        Page::new(items, total, page).map(|r| RoomView::new(r, tz)),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateRoom {
    /// 1 to 200 characters, trimmed; unique in the venue.
    #[schema(example = "Main hall")]
    name: String,
    /// 0 to 1 000 000 people.
    #[schema(example = 1400)]
    capacity: Option<i64>,
}

/// Adds a room to a venue.
#[utoipa::path(
    post,
    path = "/venues/{id}/rooms",
    tag = "venues",
    params(("id" = VenueId, Path, description = "The venue's id")),
    request_body = CreateRoom,
    security(("bearer" = [])),
    responses(
        (status = 201, body = RoomView, headers(("Location" = String, description = "The new room's URL"))),
        (status = 404, description = "No such venue in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        (status = 409, description = "The venue already has a room of that name (`CONFLICT_DUPLICATE`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn create_room(
    State(state): State<AppState>,
    allowed: Allowed<CreateVenues>,
    ValidPath(venue): ValidPath<VenueId>,
    ValidJson(body): ValidJson<CreateRoom>,
) -> Result<impl IntoResponse, ApiError> {
    let caller = allowed.caller;
    let name = parse_name(&body.name)?;
    let capacity = body.capacity.map(parse_capacity).transpose()?;
    let room = state
        .storage
        .create_room(
            caller.tenant,
            venue,
            NewRoom {
                id: RoomId::new(),
                name,
                capacity,
                created_at: to_second(Utc::now()),
            },
        )
        .await?
        .ok_or(ApiError::NotFound { entity: "venue" })?;
    state.plan_cache.invalidate(caller.tenant).await;
    tracing::info!(venue = %venue, room = %room.id, by = %caller.user, "room created");
    let location = format!("/api/v1/venues/{venue}/rooms/{}", room.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(RoomView::new(room, caller.time_zone)),
    ))
}

/// One room of a venue.
#[utoipa::path(
    get,
    path = "/venues/{id}/rooms/{room_id}",
    tag = "venues",
    params(
        ("id" = VenueId, Path, description = "The venue's id"),
        ("room_id" = RoomId, Path, description = "The room's id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, body = RoomView),
        (status = 404, description = "No such room in this venue of this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn get_room(
    State(state): State<AppState>,
    allowed: Allowed<ReadVenues>,
    ValidPath((venue, id)): ValidPath<(VenueId, RoomId)>,
) -> Result<Json<RoomView>, ApiError> {
    let room = state
        .storage
        .room(allowed.caller.tenant, id)
        .await?
        .filter(|r| r.venue_id == venue)
        .ok_or(ApiError::NotFound { entity: "room" })?;
    Ok(Json(RoomView::new(room, allowed.caller.time_zone)))
}

/// Every field may be left out (kept as it is); `capacity` may be `null` (cleared),
/// `name` may not.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateRoom {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    capacity: Patch<i64>,
}

/// Renames a room or changes its capacity.
#[utoipa::path(
    patch,
    path = "/venues/{id}/rooms/{room_id}",
    tag = "venues",
    params(
        ("id" = VenueId, Path, description = "The venue's id"),
        ("room_id" = RoomId, Path, description = "The room's id"),
    ),
    request_body = UpdateRoom,
    security(("bearer" = [])),
    responses(
        (status = 200, body = RoomView),
        (status = 404, description = "No such room in this venue of this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        (status = 409, description = "The venue already has a room of that name (`CONFLICT_DUPLICATE`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn update_room(
    State(state): State<AppState>,
    allowed: Allowed<UpdateVenues>,
    ValidPath((venue, id)): ValidPath<(VenueId, RoomId)>,
    ValidJson(body): ValidJson<UpdateRoom>,
) -> Result<Json<RoomView>, ApiError> {
    let caller = allowed.caller;
    let patch = RoomPatch {
        name: body
            .name
            .required("name")?
            .as_deref()
            .map(parse_name)
            .transpose()?,
        capacity: body.capacity.try_map(parse_capacity)?.nullable(),
    };
    let room = state
        .storage
        .update_room(caller.tenant, venue, id, patch)
        .await?
        .ok_or(ApiError::NotFound { entity: "room" })?;
    state.plan_cache.invalidate(caller.tenant).await;
    tracing::info!(venue = %venue, room = %id, by = %caller.user, "room updated");
    Ok(Json(RoomView::new(room, caller.time_zone)))
}

/// Deletes a room; missions in it keep their venue and lose the room.
#[utoipa::path(
    delete,
    path = "/venues/{id}/rooms/{room_id}",
    tag = "venues",
    params(
        ("id" = VenueId, Path, description = "The venue's id"),
        ("room_id" = RoomId, Path, description = "The room's id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such room in this venue of this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn delete_room(
    State(state): State<AppState>,
    allowed: Allowed<DeleteVenues>,
    ValidPath((venue, id)): ValidPath<(VenueId, RoomId)>,
) -> Result<StatusCode, ApiError> {
    let caller = allowed.caller;
    if !state.storage.delete_room(caller.tenant, venue, id).await? {
        return Err(ApiError::NotFound { entity: "room" });
    }
    state.plan_cache.invalidate(caller.tenant).await;
    tracing::info!(venue = %venue, room = %id, by = %caller.user, "room deleted");
    Ok(StatusCode::NO_CONTENT)
}

fn parse_name(raw: &str) -> Result<String, ApiError> {
    text::label(raw, NAME_MAX_CHARS).map_err(|e| ApiError::validation("name", e.reason))
}

fn parse_address(raw: &str) -> Result<String, ApiError> {
    text::multiline(raw, ADDRESS_MAX_CHARS).map_err(|e| ApiError::validation("address", e.reason))
}

fn parse_capacity(raw: i64) -> Result<i32, ApiError> {
    i32::try_from(raw)
        .ok()
        .filter(|c| (0..=CAPACITY_MAX).contains(&i64::from(*c)))
        .ok_or_else(|| {
            ApiError::validation("capacity", format!("must be between 0 and {CAPACITY_MAX}"))
        })
}

//! Missions and their needs.
//!
//! A mission is a dated piece of work at a venue (a load-in, a show, a get-out); its needs
//! say which skills and how many people, over a window inside the mission's. Needs are
//! created with their mission and edited through `/missions/{id}/needs/{need_id}`.
//!
//! Moving a mission moves its needs: when both ends move by the same amount, every need
//! moves with them; otherwise needs that spanned the whole mission keep spanning it, and
//! the others must still fit (422 naming the need otherwise). Assignments follow their
//! need's window, and the database refuses a move that would double-book a technician (409
//! `CONFLICT_TIME_OVERLAP`, nothing changed); a move or need change that would break a crew
//! member's hard rules is refused too (`planning::reschedule`). Cancelling a mission
//! releases its crew: its assignments are deleted in the same transaction.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody, ErrorResponses};
use super::extract::{Allowed, Caller, ValidJson, ValidPath, ValidQuery, not_null};
use super::idempotency::{self, IdempotencyKey};
use crate::domain::mission::{
    self, Crew, DEFAULT_EXTRA_PENALTY, DEFAULT_UNFILLED_PENALTY, MAX_NEEDS, MissionTitle,
};
use crate::domain::time::{DateBound, Window, local};
use crate::domain::{
    Attributes, MissionId, MissionStatus, NeedId, Page, PageRequest, Patch, ProjectId, RoomId,
    Skill, TimeZone, VenueId,
};
use crate::planning::reschedule;
use crate::rbac::{CreateMissions, DeleteMissions, ReadMissions, UpdateMissions};
use crate::state::AppState;
use crate::storage::planning::{
    Mission, MissionFilter, MissionWithNeeds, Need, NeedDelete, NewMission,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_missions, create_mission))
        .routes(routes!(get_mission, update_mission, delete_mission))
        .routes(routes!(add_need))
        .routes(routes!(update_need, delete_need))
}

/// A mission as the API shows it: times in the tenant's zone.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MissionView {
    pub id: MissionId,
    pub title: String,
    pub project_id: Option<ProjectId>,
    pub venue_id: VenueId,
    pub room_id: Option<RoomId>,
    /// In the tenant's time zone, with its offset.
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    /// Paid work (counts for payroll).
    pub paid: bool,
    pub status: MissionStatus,
    pub notes: Option<String>,
    /// Free attributes the tenant's plugins may read.
    #[schema(value_type = Object)]
    pub attributes: Map<String, Value>,
    pub needs: Vec<NeedView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A need as the API shows it.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NeedView {
    pub id: NeedId,
    pub mission_id: MissionId,
    /// Order inside the mission.
    pub position: i32,
    pub skill: String,
    /// A shift type for rostering rules ("night", "early"), if the tenant uses them.
    pub shift_type: Option<String>,
    pub min_crew: i32,
    pub max_crew: Option<i32>,
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    /// Penalty points per unfilled place.
    pub unfilled_penalty: i64,
    /// Penalty points per person above `max_crew`.
    pub extra_penalty: i64,
    #[schema(value_type = Object)]
    pub attributes: Map<String, Value>,
}

impl MissionView {
    pub fn new(m: MissionWithNeeds, tz: TimeZone) -> Self {
        let MissionWithNeeds { mission, needs } = m;
        Self {
            id: mission.id,
            title: mission.title,
            project_id: mission.project_id,
            venue_id: mission.venue_id,
            room_id: mission.room_id,
            start: local(mission.window.start(), tz),
            end: local(mission.window.end(), tz),
            paid: mission.paid,
            status: mission.status,
            notes: mission.notes,
            attributes: parse_attributes(&mission.attributes),
            needs: needs.into_iter().map(|n| NeedView::new(n, tz)).collect(),
            created_at: mission.created_at,
            updated_at: mission.updated_at,
        }
    }
}

impl NeedView {
    pub fn new(n: Need, tz: TimeZone) -> Self {
        Self {
            id: n.id,
            mission_id: n.mission_id,
            position: n.position,
            skill: n.skill,
            shift_type: n.shift_type,
            min_crew: n.min_crew,
            max_crew: n.max_crew,
            start: local(n.window.start(), tz),
            end: local(n.window.end(), tz),
            unfilled_penalty: n.unfilled_penalty,
            extra_penalty: n.extra_penalty,
            attributes: parse_attributes(&n.attributes),
        }
    }
}

/// Stored attributes are written by this module from a checked object.
fn parse_attributes(json: &str) -> Map<String, Value> {
    serde_json::from_str(json).unwrap_or_default()
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    #[param(minimum = 1)]
    page: Option<u32>,
    #[param(minimum = 1, maximum = 200)]
    size: Option<u32>,
    /// Missions ending after this date (local midnight) or instant.
    #[param(value_type = Option<String>, example = "2026-07-01")]
    from: Option<DateBound>,
    /// Missions starting before the end of this date (inclusive) or this instant.
    #[param(value_type = Option<String>, example = "2026-07-07")]
    to: Option<DateBound>,
    venue_id: Option<VenueId>,
    project_id: Option<ProjectId>,
    status: Option<MissionStatus>,
    /// Title contains (case-insensitive).
    q: Option<String>,
}

/// Lists missions by start time; dates are read in the tenant's time zone.
#[utoipa::path(
    get,
    path = "/missions",
    tag = "missions",
    params(ListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Page<MissionView>), ErrorResponses)
)]
async fn list_missions(
    State(state): State<AppState>,
    allowed: Allowed<ReadMissions>,
    ValidQuery(query): ValidQuery<ListQuery>,
) -> Result<Json<Page<MissionView>>, ApiError> {
    let caller = allowed.caller;
    let page = PageRequest::new(query.page, query.size)?;
    let tz = caller.time_zone;
    let window = crate::domain::time::filter_window(query.from, query.to, tz)
        .map_err(|e| ApiError::validation("to", e.reason))?;
    let filter = MissionFilter {
        window,
        venue: query.venue_id,
        project: query.project_id,
        status: query.status,
        title_contains: query.q,
    };
    let (items, total) = state
        .storage
        .list_missions(caller.tenant, &filter, page)
        .await?;
    Ok(Json(
        Page::new(items, total, page).map(|m| MissionView::new(m, tz)),
    ))
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateMission {
    #[schema(example = "Main stage - show")]
    title: String,
    venue_id: VenueId,
    room_id: Option<RoomId>,
    project_id: Option<ProjectId>,
    /// RFC 3339 with an offset.
    #[schema(example = "2026-07-01T18:00:00+02:00")]
    start: DateTime<FixedOffset>,
    #[schema(example = "2026-07-01T23:30:00+02:00")]
    end: DateTime<FixedOffset>,
    /// Defaults to `true`.
    paid: Option<bool>,
    /// Defaults to `draft`.
    status: Option<MissionStatus>,
    notes: Option<String>,
    #[schema(value_type = Option<Object>)]
    attributes: Option<Map<String, Value>>,
    /// At least one; each inside the mission's window.
    needs: Vec<NeedInput>,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NeedInput {
    #[schema(example = "sound")]
    skill: String,
    shift_type: Option<String>,
    /// 0 to 100.
    min_crew: i32,
    /// At least `min_crew` (and at least 1).
    max_crew: Option<i32>,
    /// Defaults to the mission's start.
    start: Option<DateTime<FixedOffset>>,
    /// Defaults to the mission's end.
    end: Option<DateTime<FixedOffset>>,
    /// Defaults to 1000 points.
    unfilled_penalty: Option<i64>,
    /// Defaults to 100 points.
    extra_penalty: Option<i64>,
    #[schema(value_type = Option<Object>)]
    attributes: Option<Map<String, Value>>,
}

/// Creates a mission with its needs. Honours `Idempotency-Key`.
#[utoipa::path(
    post,
    path = "/missions",
    tag = "missions",
    request_body = CreateMission,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for the same key and body; another body with the same key is refused (422 `IDEMPOTENCY_KEY_REUSED`)")),
    security(("bearer" = [])),
    responses(
        (status = 201, body = MissionView, headers(("Location" = String, description = "The new mission's URL"))),
        (status = 422, description = "Invalid field, or an unknown venue, room or project (`VALIDATION_ERR`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn create_mission(
    State(state): State<AppState>,
    allowed: Allowed<CreateMissions>,
    key: IdempotencyKey,
    ValidJson(body): ValidJson<CreateMission>,
) -> Response {
    let caller = allowed.caller;
    idempotency::run(&state, &caller, "POST /missions", key, body, |body| {
        create_mission_once(&state, caller, body)
    })
    .await
}

async fn create_mission_once(
    state: &AppState,
    caller: Caller,
    body: CreateMission,
) -> Result<idempotency::Reply, ApiError> {
    let title = checked_title(&body.title)?;
    let window = mission_window(body.start, body.end)?;
    check_refs(state, &caller, body.venue_id, body.room_id, body.project_id).await?;
    if body.needs.is_empty() || body.needs.len() > MAX_NEEDS {
        return Err(ApiError::validation(
            "needs",
            format!("a mission needs between 1 and {MAX_NEEDS} needs"),
        ));
    }
    let now = crate::domain::time::now();
    let mission = Mission {
        id: MissionId::new(),
        tenant_id: caller.tenant,
        title,
        project_id: body.project_id,
        venue_id: body.venue_id,
        room_id: body.room_id,
        window,
        paid: body.paid.unwrap_or(true),
        status: body.status.unwrap_or(MissionStatus::Draft),
        notes: checked_notes(body.notes)?,
        attributes: checked_attributes("attributes", body.attributes)?,
        created_at: now,
        updated_at: now,
    };
    let mut needs = Vec::with_capacity(body.needs.len());
    for (i, input) in body.needs.into_iter().enumerate() {
        let position = i32::try_from(i).unwrap_or(i32::MAX);
        needs.push(build_need(
            &format!("needs[{i}]"),
            input,
            mission.id,
            position,
            window,
        )?);
    }
    let created = state
        .storage
        .create_mission(caller.tenant, NewMission { mission, needs })
        .await?;
    state.plan_cache.invalidate(caller.tenant).await;
    tracing::info!(mission = %created.mission.id, by = %caller.user, "mission created");
    let location = format!("/api/v1/missions/{}", created.mission.id);
    idempotency::Reply::created(location, &MissionView::new(created, caller.time_zone))
}

/// One mission and its needs.
#[utoipa::path(
    get,
    path = "/missions/{id}",
    tag = "missions",
    params(("id" = MissionId, Path, description = "The mission's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = MissionView),
        (status = 404, description = "No such mission in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn get_mission(
    State(state): State<AppState>,
    allowed: Allowed<ReadMissions>,
    ValidPath(id): ValidPath<MissionId>,
) -> Result<Json<MissionView>, ApiError> {
    let caller = allowed.caller;
    let mission = load(&state, &caller, id).await?;
    Ok(Json(MissionView::new(mission, caller.time_zone)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateMission {
    #[serde(default, deserialize_with = "not_null")]
    title: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    venue_id: Option<VenueId>,
    /// `null` removes the room.
    #[serde(default)]
    #[schema(value_type = Option<RoomId>)]
    room_id: Patch<RoomId>,
    /// `null` detaches the mission from its project.
    #[serde(default)]
    #[schema(value_type = Option<ProjectId>)]
    project_id: Patch<ProjectId>,
    #[serde(default, deserialize_with = "not_null")]
    start: Option<DateTime<FixedOffset>>,
    #[serde(default, deserialize_with = "not_null")]
    end: Option<DateTime<FixedOffset>>,
    #[serde(default, deserialize_with = "not_null")]
    paid: Option<bool>,
    /// `cancelled` deletes the mission's assignments.
    #[serde(default, deserialize_with = "not_null")]
    status: Option<MissionStatus>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    notes: Patch<String>,
    /// Replaces the attributes.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = Option<Object>)]
    attributes: Option<Map<String, Value>>,
}

/// Changes a mission; its needs and their assignments follow a move (see the module docs).
#[utoipa::path(
    patch,
    path = "/missions/{id}",
    tag = "missions",
    params(("id" = MissionId, Path, description = "The mission's id")),
    request_body = UpdateMission,
    security(("bearer" = [])),
    responses(
        (status = 200, body = MissionView),
        (status = 404, description = "No such mission in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        (status = 409, description = "The move would double-book a technician (`CONFLICT_TIME_OVERLAP`) or break a crew member's hard rules (`RULES_VIOLATION`, no override), the mission changed meanwhile (`CONFLICT_STALE`), or its crew's schedules kept changing during the check (`SCHEDULE_BUSY`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn update_mission(
    State(state): State<AppState>,
    allowed: Allowed<UpdateMissions>,
    ValidPath(id): ValidPath<MissionId>,
    ValidJson(body): ValidJson<UpdateMission>,
) -> Result<Json<MissionView>, ApiError> {
    let caller = allowed.caller;
    let current = load(&state, &caller, id).await?;
    let old = current.mission.window;
    let (room_id, project_id) = (body.room_id.nullable(), body.project_id.nullable());
    let mut next = current.mission.clone();
    if let Some(title) = &body.title {
        next.title = checked_title(title)?;
    }
    if let Some(venue) = body.venue_id {
        next.venue_id = venue;
        // A room belongs to one venue: moving venue without naming a room drops it.
        if room_id.is_none() && venue != current.mission.venue_id {
            next.room_id = None;
        }
    }
    if let Some(room) = room_id {
        next.room_id = room;
    }
    if let Some(project) = project_id {
        next.project_id = project;
    }
    if body.venue_id.is_some() || room_id.is_some() || project_id.is_some() {
        check_refs(
            &state,
            &caller,
            next.venue_id,
            next.room_id,
            next.project_id,
        )
        .await?;
    }
    let start = body.start.unwrap_or_else(|| old.start().fixed_offset());
    let end = body.end.unwrap_or_else(|| old.end().fixed_offset());
    next.window = mission_window(start, end)?;
    if let Some(paid) = body.paid {
        next.paid = paid;
    }
    if let Some(status) = body.status {
        next.status = status;
    }
    if let Some(notes) = body.notes.nullable() {
        next.notes = checked_notes(notes)?;
    }
    if body.attributes.is_some() {
        next.attributes = checked_attributes("attributes", body.attributes)?;
    }
    next.updated_at = crate::domain::time::now();
    let needs = moved_needs(current.needs.clone(), old, next.window)?;
    let mission = reschedule::update_mission(
        &state,
        caller.tenant,
        caller.time_zone,
        &current,
        next,
        needs,
    )
    .await?;
    state.plan_cache.invalidate(caller.tenant).await;
    tracing::info!(mission = %id, by = %caller.user, "mission updated");
    Ok(Json(MissionView::new(mission, caller.time_zone)))
}

/// Deletes a mission, its needs and their assignments.
#[utoipa::path(
    delete,
    path = "/missions/{id}",
    tag = "missions",
    params(("id" = MissionId, Path, description = "The mission's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such mission in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn delete_mission(
    State(state): State<AppState>,
    allowed: Allowed<DeleteMissions>,
    ValidPath(id): ValidPath<MissionId>,
) -> Result<StatusCode, ApiError> {
    let caller = allowed.caller;
    if !state.storage.delete_mission(caller.tenant, id).await? {
        return Err(ApiError::NotFound { entity: "mission" });
    }
    state.plan_cache.invalidate(caller.tenant).await;
    tracing::info!(mission = %id, by = %caller.user, "mission deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// Adds a need to a mission, after its other needs.
#[utoipa::path(
    post,
    path = "/missions/{id}/needs",
    tag = "missions",
    params(("id" = MissionId, Path, description = "The mission's id")),
    request_body = NeedInput,
    security(("bearer" = [])),
    responses(
        (status = 201, body = NeedView),
        (status = 404, description = "No such mission in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn add_need(
    State(state): State<AppState>,
    allowed: Allowed<UpdateMissions>,
    ValidPath(id): ValidPath<MissionId>,
    ValidJson(body): ValidJson<NeedInput>,
) -> Result<impl IntoResponse, ApiError> {
    let caller = allowed.caller;
    let mission = load(&state, &caller, id).await?;
    if mission.needs.len() >= MAX_NEEDS {
        return Err(ApiError::validation(
            "needs",
            format!("a mission has at most {MAX_NEEDS} needs"),
        ));
    }
    let position = mission.needs.iter().map(|n| n.position).max().unwrap_or(-1) + 1;
    let need = build_need("", body, id, position, mission.mission.window)?;
    let need = state.storage.add_need(caller.tenant, need).await?;
    state.plan_cache.invalidate(caller.tenant).await;
    Ok((
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/api/v1/missions/{id}/needs/{}", need.id),
        )],
        Json(NeedView::new(need, caller.time_zone)),
    ))
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateNeed {
    #[serde(default, deserialize_with = "not_null")]
    skill: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    shift_type: Patch<String>,
    #[serde(default, deserialize_with = "not_null")]
    min_crew: Option<i32>,
    #[serde(default)]
    #[schema(value_type = Option<i32>)]
    max_crew: Patch<i32>,
    #[serde(default, deserialize_with = "not_null")]
    start: Option<DateTime<FixedOffset>>,
    #[serde(default, deserialize_with = "not_null")]
    end: Option<DateTime<FixedOffset>>,
    #[serde(default, deserialize_with = "not_null")]
    unfilled_penalty: Option<i64>,
    #[serde(default, deserialize_with = "not_null")]
    extra_penalty: Option<i64>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = Option<Object>)]
    attributes: Option<Map<String, Value>>,
}

/// Changes a need; its assignments follow a new window (409 `CONFLICT_TIME_OVERLAP` if
/// that would double-book someone, `RULES_VIOLATION` if it would break a crew member's
/// hard rules).
#[utoipa::path(
    patch,
    path = "/missions/{id}/needs/{need_id}",
    tag = "missions",
    params(
        ("id" = MissionId, Path, description = "The mission's id"),
        ("need_id" = NeedId, Path, description = "The need's id"),
    ),
    request_body = UpdateNeed,
    security(("bearer" = [])),
    responses(
        (status = 200, body = NeedView),
        (status = 404, description = "No such need in this mission (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        (status = 409, description = "The change would double-book a technician (`CONFLICT_TIME_OVERLAP`) or break a crew member's hard rules (`RULES_VIOLATION`, no override), or the crew's schedules kept changing during the check (`SCHEDULE_BUSY`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn update_need(
    State(state): State<AppState>,
    allowed: Allowed<UpdateMissions>,
    ValidPath((id, need_id)): ValidPath<(MissionId, NeedId)>,
    ValidJson(body): ValidJson<UpdateNeed>,
) -> Result<Json<NeedView>, ApiError> {
    let caller = allowed.caller;
    let build = |need: &Need, mission: &Mission| {
        let body = body.clone();
        let input = NeedInput {
            skill: body.skill.unwrap_or_else(|| need.skill.clone()),
            shift_type: body
                .shift_type
                .nullable()
                .unwrap_or_else(|| need.shift_type.clone()),
            min_crew: body.min_crew.unwrap_or(need.min_crew),
            max_crew: body.max_crew.nullable().unwrap_or(need.max_crew),
            start: Some(
                body.start
                    .unwrap_or_else(|| need.window.start().fixed_offset()),
            ),
            end: Some(body.end.unwrap_or_else(|| need.window.end().fixed_offset())),
            unfilled_penalty: Some(body.unfilled_penalty.unwrap_or(need.unfilled_penalty)),
            extra_penalty: Some(body.extra_penalty.unwrap_or(need.extra_penalty)),
            attributes: match body.attributes {
                Some(a) => Some(a),
                None => Some(parse_attributes(&need.attributes)),
            },
        };
        let next = build_need("", input, id, need.position, mission.window)?;
        Ok::<_, ApiError>(Need {
            id: need.id,
            ..next
        })
    };
    let updated =
        reschedule::update_need(&state, caller.tenant, caller.time_zone, id, need_id, build)
            .await?;
    state.plan_cache.invalidate(caller.tenant).await;
    Ok(Json(NeedView::new(updated, caller.time_zone)))
}

/// Deletes a need and its assignments; a mission keeps at least one need.
#[utoipa::path(
    delete,
    path = "/missions/{id}/needs/{need_id}",
    tag = "missions",
    params(
        ("id" = MissionId, Path, description = "The mission's id"),
        ("need_id" = NeedId, Path, description = "The need's id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such need in this mission (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        (status = 409, description = "The mission's only need (`LAST_NEED`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn delete_need(
    State(state): State<AppState>,
    allowed: Allowed<UpdateMissions>,
    ValidPath((id, need_id)): ValidPath<(MissionId, NeedId)>,
) -> Result<StatusCode, ApiError> {
    let caller = allowed.caller;
    match state
        .storage
        .delete_need(caller.tenant, id, need_id)
        .await?
    {
        NeedDelete::Deleted => {}
        NeedDelete::NotFound => return Err(ApiError::NotFound { entity: "need" }),
        NeedDelete::LastOfMission => {
            return Err(ApiError::Conflict {
                code: "LAST_NEED",
                detail: format!(
                    "need {need_id} is the mission's only need; a mission needs at least one (delete or cancel the mission instead)"
                ),
            });
        }
    }
    state.plan_cache.invalidate(caller.tenant).await;
    Ok(StatusCode::NO_CONTENT)
}

async fn load(
    state: &AppState,
    caller: &Caller,
    id: MissionId,
) -> Result<MissionWithNeeds, ApiError> {
    state
        .storage
        .mission(caller.tenant, id)
        .await?
        .ok_or(ApiError::NotFound { entity: "mission" })
}

async fn check_refs(
    state: &AppState,
    caller: &Caller,
    venue: VenueId,
    room: Option<RoomId>,
    project: Option<ProjectId>,
) -> Result<(), ApiError> {
    let refs = state
        .storage
        .mission_refs(caller.tenant, venue, room, project)
        .await?;
    if !refs.venue {
        return Err(ApiError::validation(
            "venue_id",
            "no such venue in this tenant",
        ));
    }
    if !refs.room {
        return Err(ApiError::validation(
            "room_id",
            "no such room in this venue",
        ));
    }
    if !refs.project {
        return Err(ApiError::validation(
            "project_id",
            "no such project in this tenant",
        ));
    }
    Ok(())
}

fn checked_title(raw: &str) -> Result<String, ApiError> {
    MissionTitle::parse(raw)
        .map(MissionTitle::into_string)
        .map_err(|e| ApiError::validation("title", e.reason))
}

fn checked_notes(notes: Option<String>) -> Result<Option<String>, ApiError> {
    mission::parse_notes(notes).map_err(|e| ApiError::validation("notes", e.reason))
}

fn mission_window(
    start: DateTime<FixedOffset>,
    end: DateTime<FixedOffset>,
) -> Result<Window, ApiError> {
    Window::new(start.with_timezone(&Utc), end.with_timezone(&Utc))
        .and_then(mission::mission_window)
        .map_err(|e| ApiError::validation("end", e.reason))
}

/// Checks a need's input (`field` prefixes the names in errors: `needs[2]`).
fn build_need(
    field: &str,
    input: NeedInput,
    mission: MissionId,
    position: i32,
    mission_window: Window,
) -> Result<Need, ApiError> {
    let name = |f: &str| {
        if field.is_empty() {
            f.to_owned()
        } else {
            format!("{field}.{f}")
        }
    };
    let skill = Skill::parse(&input.skill)
        .map_err(|e| ApiError::validation(name("skill"), e.reason))?
        .to_string();
    let shift_type = input
        .shift_type
        .map(|s| mission::parse_shift_type(&s))
        .transpose()
        .map_err(|e| ApiError::validation(name("shift_type"), e.reason))?;
    let crew = Crew::new(input.min_crew, input.max_crew)
        .map_err(|(f, e)| ApiError::validation(name(f.as_str()), e.reason))?;
    let start = input
        .start
        .map_or(mission_window.start(), |s| s.with_timezone(&Utc));
    let end = input
        .end
        .map_or(mission_window.end(), |e| e.with_timezone(&Utc));
    let window =
        Window::new(start, end).map_err(|e| ApiError::validation(name("end"), e.reason))?;
    if !mission_window.contains(&window) {
        return Err(ApiError::validation(
            name("start"),
            "a need's window must lie inside its mission's",
        ));
    }
    let penalty = |value: Option<i64>, default: i64, f: &str| {
        mission::parse_penalty(value, default).map_err(|e| ApiError::validation(name(f), e.reason))
    };
    Ok(Need {
        id: NeedId::new(),
        mission_id: mission,
        position,
        skill,
        shift_type,
        min_crew: crew.min,
        max_crew: crew.max,
        window,
        unfilled_penalty: penalty(
            input.unfilled_penalty,
            DEFAULT_UNFILLED_PENALTY,
            "unfilled_penalty",
        )?,
        extra_penalty: penalty(input.extra_penalty, DEFAULT_EXTRA_PENALTY, "extra_penalty")?,
        attributes: checked_attributes(&name("attributes"), input.attributes)?,
    })
}

/// The needs of a mission moved from `old` to `new` (see the module docs).
fn moved_needs(needs: Vec<Need>, old: Window, new: Window) -> Result<Vec<Need>, ApiError> {
    if old == new {
        return Ok(needs);
    }
    let shift = new.start() - old.start();
    let rigid = new.end() - old.end() == shift;
    needs
        .into_iter()
        .enumerate()
        .map(|(i, mut need)| {
            if rigid {
                need.window = Window::new(need.window.start() + shift, need.window.end() + shift)
                    .expect("a shifted window keeps its length");
            } else if need.window == old {
                need.window = new;
            } else if !new.contains(&need.window) {
                return Err(ApiError::validation(
                    format!("needs[{i}]"),
                    format!(
                        "need {} ({}) would fall outside the mission's new window; change the need first",
                        need.id, need.skill
                    ),
                ));
            }
            Ok(need)
        })
        .collect()
}

/// Attributes, checked by [`Attributes::parse`] (an object of scalars or flat lists of
/// scalars, which is all the plugin contract can carry), stored as JSON text.
fn checked_attributes(
    field: &str,
    attributes: Option<Map<String, Value>>,
) -> Result<String, ApiError> {
    let value = Value::Object(attributes.unwrap_or_default());
    let parsed = Attributes::parse(&value).map_err(|(name, e)| {
        let field = if name.is_empty() {
            field.to_owned()
        } else {
            format!("{field}.{name}")
        };
        ApiError::validation(field, e.reason)
    })?;
    serde_json::to_string(&parsed).map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_782_900_000 + h * 3600, 0).unwrap()
    }

    fn window(start: i64, end: i64) -> Window {
        Window::new(at(start), at(end)).unwrap()
    }

    fn need(start: i64, end: i64) -> Need {
        Need {
            id: NeedId::new(),
            mission_id: MissionId::new(),
            position: 0,
            skill: "sound".into(),
            shift_type: None,
            min_crew: 1,
            max_crew: None,
            window: window(start, end),
            unfilled_penalty: 1,
            extra_penalty: 1,
            attributes: "{}".into(),
        }
    }

    #[test]
    fn a_rigid_move_shifts_every_need() {
        let (old, new) = (window(0, 10), window(24, 34));
        let moved = moved_needs(vec![need(0, 10), need(2, 4)], old, new).unwrap();
        assert_eq!(moved[0].window, new);
        assert_eq!(moved[1].window, window(26, 28));
    }

    #[test]
    fn a_stretch_keeps_inner_needs_and_refuses_the_ones_left_outside() {
        let (old, longer) = (window(0, 10), window(0, 12));
        let moved = moved_needs(vec![need(0, 10), need(2, 4)], old, longer).unwrap();
        assert_eq!(moved[0].window, longer);
        assert_eq!(moved[1].window, window(2, 4));
        let shorter = window(3, 10);
        let err = moved_needs(vec![need(0, 10), need(2, 4)], old, shorter).unwrap_err();
        assert!(matches!(err, ApiError::Validation { field, .. } if field == "needs[1]"));
    }

    #[test]
    fn attributes_are_checked() {
        let mut attrs = Map::new();
        attrs.insert("licence".into(), serde_json::json!(["a", 1, true]));
        assert!(checked_attributes("attributes", Some(attrs.clone())).is_ok());
        attrs.insert("nested".into(), serde_json::json!({"x": 1}));
        assert!(checked_attributes("attributes", Some(attrs)).is_err());
    }
}

//! Manual assignments: create, confirm, decline, pin, unpin, delete.
//!
//! `POST /assignments` puts a technician on a need, over the need's window. Four checks
//! guard it, in this order:
//! 1. the references: the need's mission is not cancelled, the technician is active;
//! 2. the tenant's rules plugin evaluates the technician's schedule with this assignment
//!    added (rest, working time, skills, availability...): hard violations refuse it with
//!    409 `RULES_VIOLATION` listing them, unless an admin overrides with a reason (the
//!    override goes to the audit chain); soft ones come back as `warnings`;
//! 3. the need's maximum crew: 409 `NEED_FULL`;
//! 4. the database refuses a double booking by itself (exclusion constraint / serialised
//!    trigger), so two concurrent requests can never both book the same person at the same
//!    time: the loser gets 409 `CONFLICT_TIME_OVERLAP`.
//!
//! The write happens only while the rules check still holds: `planning::assign` re-runs
//! it when the technician's schedule or the mission's crew changed meanwhile, so two
//! concurrent requests cannot each pass a rule that only their sum breaks (a weekly
//! maximum), and a mission moved or cancelled during the check is seen (ADR 0004). After
//! eight such rounds lost in a row the answer is 409 `SCHEDULE_BUSY`: try again.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody, ErrorResponses, rules_violation};
use super::extract::{Allowed, Caller, ValidJson, ValidPath, ValidQuery};
use super::idempotency::{self, IdempotencyKey, Reply};
use crate::domain::time::{DateBound, local};
use crate::domain::{
    AssignmentId, AssignmentSource, AssignmentStatus, AuditEntryId, MissionId, NeedId, Page,
    PageRequest, Role, TechnicianId, UserId,
};
use crate::planning::assign::{self, Assigned, ManualAssignment};
use crate::rbac::{
    self, CreateAssignments, DeleteAssignments, ReadAssignments, RespondAssignments,
    UpdateAssignments,
};
use crate::state::AppState;
use crate::storage::planning::{Assignment, AssignmentFilter, AssignmentPatch};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_assignments, create_assignment))
        .routes(routes!(get_assignment, delete_assignment))
        .routes(routes!(confirm_assignment))
        .routes(routes!(decline_assignment))
        .routes(routes!(pin_assignment))
        .routes(routes!(unpin_assignment))
}

/// An assignment as the API shows it.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AssignmentView {
    pub id: AssignmentId,
    pub need_id: NeedId,
    pub mission_id: MissionId,
    pub technician_id: TechnicianId,
    /// The need's window, in the tenant's zone.
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub status: AssignmentStatus,
    /// A pinned assignment is never moved by an automatic run.
    pub pinned: bool,
    pub source: AssignmentSource,
    /// The automatic run (audit entry) that made it.
    pub run_id: Option<AuditEntryId>,
    /// Why an admin assigned in spite of hard rule violations.
    pub override_reason: Option<String>,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl AssignmentView {
    pub fn new(a: Assignment, tz: crate::domain::TimeZone) -> Self {
        Self {
            id: a.id,
            need_id: a.need_id,
            mission_id: a.mission_id,
            technician_id: a.technician_id,
            start: local(a.window.start(), tz),
            end: local(a.window.end(), tz),
            status: a.status,
            pinned: a.pinned,
            source: a.source,
            run_id: a.run_id,
            override_reason: a.override_reason,
            created_by: a.created_by,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// A created assignment with the soft rule violations it brings.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreatedAssignment {
    pub assignment: AssignmentView,
    /// Soft violations (a preference not honoured, a rest at the derogation minimum...):
    /// accepted, shown so the planner knows.
    #[schema(value_type = Vec<Object>)]
    pub warnings: Vec<serde_json::Value>,
    /// The hard violations an admin overrode, if any.
    #[schema(value_type = Vec<Object>)]
    pub overridden: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    #[param(minimum = 1)]
    page: Option<u32>,
    #[param(minimum = 1, maximum = 200)]
    size: Option<u32>,
    #[param(value_type = Option<String>, example = "2026-07-01")]
    from: Option<DateBound>,
    #[param(value_type = Option<String>, example = "2026-07-07")]
    to: Option<DateBound>,
    mission_id: Option<MissionId>,
    need_id: Option<NeedId>,
    technician_id: Option<TechnicianId>,
    status: Option<AssignmentStatus>,
}

/// Lists assignments by start time.
#[utoipa::path(
    get,
    path = "/assignments",
    tag = "assignments",
    params(ListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Page<AssignmentView>), ErrorResponses)
)]
async fn list_assignments(
    State(state): State<AppState>,
    allowed: Allowed<ReadAssignments>,
    ValidQuery(query): ValidQuery<ListQuery>,
) -> Result<Json<Page<AssignmentView>>, ApiError> {
    let caller = allowed.caller;
    let page = PageRequest::new(query.page, query.size)?;
    let tz = caller.time_zone;
    let window = crate::domain::time::filter_window(query.from, query.to, tz)
        .map_err(|e| ApiError::validation("to", e.reason))?;
    let filter = AssignmentFilter {
        window,
        mission: query.mission_id,
        need: query.need_id,
        technician: query.technician_id,
        status: query.status,
    };
    let (items, total) = state
        .storage
        .list_assignments(caller.tenant, &filter, page)
        .await?;
    Ok(Json(
        Page::new(items, total, page).map(|a| AssignmentView::new(a, tz)),
    ))
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateAssignment {
    need_id: NeedId,
    technician_id: TechnicianId,
    /// `proposed` (default) or `confirmed`.
    status: Option<AssignmentStatus>,
    /// Defaults to `false`.
    pinned: Option<bool>,
    /// Admins only: assign in spite of hard rule violations, for this reason (10 to 500
    /// characters). Logged in the audit chain.
    override_reason: Option<String>,
}

/// Puts a technician on a need (see the module docs for the checks). Honours
/// `Idempotency-Key`.
#[utoipa::path(
    post,
    path = "/assignments",
    tag = "assignments",
    request_body = CreateAssignment,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for the same key and body")),
    security(("bearer" = [])),
    responses(
        (status = 201, body = CreatedAssignment, headers(("Location" = String, description = "The assignment's URL"))),
        (status = 409, description = "Already booked then (`CONFLICT_TIME_OVERLAP`), already on this need (`CONFLICT_DUPLICATE`), hard rule violations (`RULES_VIOLATION`, listed in `meta.violations`), a cancelled mission (`MISSION_CANCELLED`), a need at its maximum crew (`NEED_FULL`) or a schedule that kept changing during the check (`SCHEDULE_BUSY`)", body = ErrorBody),
        (status = 422, description = "Unknown need or technician, an inactive technician, or a bad override (`VALIDATION_ERR`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn create_assignment(
    State(state): State<AppState>,
    allowed: Allowed<CreateAssignments>,
    key: IdempotencyKey,
    ValidJson(body): ValidJson<CreateAssignment>,
) -> Response {
    let caller = allowed.caller;
    idempotency::run(&state, &caller, "POST /assignments", key, body, |body| {
        create_once(&state, caller, body)
    })
    .await
}

async fn create_once(
    state: &AppState,
    caller: Caller,
    body: CreateAssignment,
) -> Result<Reply, ApiError> {
    let status = body.status.unwrap_or(AssignmentStatus::Proposed);
    if status == AssignmentStatus::Declined {
        return Err(ApiError::validation(
            "status",
            "a new assignment is proposed or confirmed",
        ));
    }
    let override_reason = match body.override_reason {
        None => None,
        Some(reason) => {
            if !rbac::allows(
                caller.role,
                rbac::Resource::Assignments,
                rbac::Action::Override,
            ) {
                return Err(ApiError::Forbidden);
            }
            let reason = reason.trim().to_owned();
            let length = reason.chars().count();
            if !(10..=500).contains(&length) {
                return Err(ApiError::validation(
                    "override_reason",
                    "must be 10 to 500 characters: say why the rule does not apply",
                ));
            }
            Some(reason)
        }
    };
    let request = ManualAssignment {
        need: body.need_id,
        technician: body.technician_id,
        status,
        pinned: body.pinned.unwrap_or(false),
        override_reason,
        actor: caller.user,
    };
    let Assigned {
        assignment: created,
        warnings,
        overridden,
    } = assign::assign(state, caller.tenant, caller.time_zone, &request)
        .await
        .map_err(|e| rules_violation(e, caller.role == Role::Admin))?;
    state.plan_cache.invalidate(caller.tenant).await;
    tracing::info!(assignment = %created.id, technician = %created.technician_id, need = %created.need_id, by = %caller.user, overridden = overridden.len(), "assignment created");
    Reply::created(
        format!("/api/v1/assignments/{}", created.id),
        &CreatedAssignment {
            assignment: AssignmentView::new(created, caller.time_zone),
            warnings,
            overridden,
        },
    )
}

/// One assignment.
#[utoipa::path(
    get,
    path = "/assignments/{id}",
    tag = "assignments",
    params(("id" = AssignmentId, Path, description = "The assignment's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AssignmentView),
        (status = 404, description = "No such assignment in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn get_assignment(
    State(state): State<AppState>,
    allowed: Allowed<ReadAssignments>,
    ValidPath(id): ValidPath<AssignmentId>,
) -> Result<Json<AssignmentView>, ApiError> {
    let caller = allowed.caller;
    let assignment = load(&state, &caller, id).await?;
    Ok(Json(AssignmentView::new(assignment, caller.time_zone)))
}

/// Deletes an assignment.
#[utoipa::path(
    delete,
    path = "/assignments/{id}",
    tag = "assignments",
    params(("id" = AssignmentId, Path, description = "The assignment's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such assignment in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn delete_assignment(
    State(state): State<AppState>,
    allowed: Allowed<DeleteAssignments>,
    ValidPath(id): ValidPath<AssignmentId>,
) -> Result<StatusCode, ApiError> {
    let caller = allowed.caller;
    if !state.storage.delete_assignment(caller.tenant, id).await? {
        return Err(ApiError::NotFound {
            entity: "assignment",
        });
    }
    state.plan_cache.invalidate(caller.tenant).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Confirms an assignment. A technician may confirm only their own.
#[utoipa::path(
    post,
    path = "/assignments/{id}/confirm",
    tag = "assignments",
    params(("id" = AssignmentId, Path, description = "The assignment's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AssignmentView),
        (status = 404, description = "No such assignment (for a technician: of theirs) (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        (status = 409, description = "Confirming a declined assignment is checked as a new assignment: it would double-book (`CONFLICT_TIME_OVERLAP`), break the tenant's hard rules (`RULES_VIOLATION`), exceed the need's maximum crew (`NEED_FULL`), or the mission is cancelled (`MISSION_CANCELLED`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn confirm_assignment(
    State(state): State<AppState>,
    allowed: Allowed<RespondAssignments>,
    ValidPath(id): ValidPath<AssignmentId>,
) -> Result<Json<AssignmentView>, ApiError> {
    respond(&state, allowed.caller, id, AssignmentStatus::Confirmed).await
}

/// Declines an assignment: it stays for history, frees the slot, and no automatic run
/// proposes this need to this technician again. A technician may decline only their own.
#[utoipa::path(
    post,
    path = "/assignments/{id}/decline",
    tag = "assignments",
    params(("id" = AssignmentId, Path, description = "The assignment's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AssignmentView),
        (status = 404, description = "No such assignment (for a technician: of theirs) (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn decline_assignment(
    State(state): State<AppState>,
    allowed: Allowed<RespondAssignments>,
    ValidPath(id): ValidPath<AssignmentId>,
) -> Result<Json<AssignmentView>, ApiError> {
    respond(&state, allowed.caller, id, AssignmentStatus::Declined).await
}

/// Pins an assignment: automatic runs keep it as it is.
#[utoipa::path(
    post,
    path = "/assignments/{id}/pin",
    tag = "assignments",
    params(("id" = AssignmentId, Path, description = "The assignment's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AssignmentView),
        (status = 404, description = "No such assignment in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn pin_assignment(
    State(state): State<AppState>,
    allowed: Allowed<UpdateAssignments>,
    ValidPath(id): ValidPath<AssignmentId>,
) -> Result<Json<AssignmentView>, ApiError> {
    let patch = AssignmentPatch {
        pinned: Some(true),
        ..Default::default()
    };
    patch_assignment(&state, allowed.caller, id, patch).await
}

/// Unpins an assignment: automatic runs may replace it again (if it is not confirmed).
#[utoipa::path(
    post,
    path = "/assignments/{id}/unpin",
    tag = "assignments",
    params(("id" = AssignmentId, Path, description = "The assignment's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AssignmentView),
        (status = 404, description = "No such assignment in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn unpin_assignment(
    State(state): State<AppState>,
    allowed: Allowed<UpdateAssignments>,
    ValidPath(id): ValidPath<AssignmentId>,
) -> Result<Json<AssignmentView>, ApiError> {
    let patch = AssignmentPatch {
        pinned: Some(false),
        ..Default::default()
    };
    patch_assignment(&state, allowed.caller, id, patch).await
}

async fn respond(
    state: &AppState,
    caller: Caller,
    id: AssignmentId,
    status: AssignmentStatus,
) -> Result<Json<AssignmentView>, ApiError> {
    let assignment = load(state, &caller, id).await?;
    if caller.role == Role::Tech && caller.technician != Some(assignment.technician_id) {
        // A technician answers for themselves only; someone else's assignment is not
        // theirs to see through this route.
        return Err(ApiError::NotFound {
            entity: "assignment",
        });
    }
    if assignment.status == AssignmentStatus::Declined && status != AssignmentStatus::Declined {
        // Back in the technician's schedule: checked as a new assignment is.
        let back = assign::reinstate(state, caller.tenant, caller.time_zone, id, status)
            .await
            .map_err(|e| rules_violation(e, false))?;
        state.plan_cache.invalidate(caller.tenant).await;
        tracing::info!(assignment = %id, status = %back.assignment.status, by = %caller.user, "declined assignment reinstated");
        return Ok(Json(AssignmentView::new(back.assignment, caller.time_zone)));
    }
    let patch = AssignmentPatch {
        status: Some(status),
        ..Default::default()
    };
    patch_assignment(state, caller, id, patch).await
}

async fn patch_assignment(
    state: &AppState,
    caller: Caller,
    id: AssignmentId,
    patch: AssignmentPatch,
) -> Result<Json<AssignmentView>, ApiError> {
    let updated = state
        .storage
        .update_assignment(caller.tenant, id, patch, crate::domain::time::now())
        .await?
        .ok_or(ApiError::NotFound {
            entity: "assignment",
        })?;
    state.plan_cache.invalidate(caller.tenant).await;
    tracing::info!(assignment = %id, status = %updated.status, pinned = updated.pinned, by = %caller.user, "assignment updated");
    Ok(Json(AssignmentView::new(updated, caller.time_zone)))
}

async fn load(state: &AppState, caller: &Caller, id: AssignmentId) -> Result<Assignment, ApiError> {
    state
        .storage
        .assignment(caller.tenant, id)
        .await?
        .ok_or(ApiError::NotFound {
            entity: "assignment",
        })
}

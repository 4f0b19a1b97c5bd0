//! Timesheets and pay periods: `/timesheets`, `/timesheets/periods`, `/timesheets/close`,
//! `/timesheets/reopen`.
//!
//! A caller with the `tech` role acts on the technician profile linked to their account
//! only: they list, read, fill, submit and delete their own timesheets (someone else's is
//! 404 to them). Planners do so for everyone and decide (approve, reject, exclude);
//! viewers read. Times are shown in the tenant's zone and read with an offset or, without
//! one, in the tenant's zone.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody, ErrorResponses};
use super::extract::{Allowed, Caller, ValidJson, ValidPath, ValidQuery};
use crate::domain::time::{DateBound, Window, filter_window, local, parse_instant};
use crate::domain::{
    AssignmentId, MissionId, Page, PageRequest, Patch, PayPeriod, PayPeriodKind, PayPeriodState,
    ProjectId, Role, TechnicianId, TimeZone, TimesheetId, TimesheetState, UserId, text,
};
use crate::rbac::{
    ClosePayPeriods, CreateTimesheets, DecideTimesheets, DeleteTimesheets, ReadPayPeriods,
    ReadTimesheets, ReopenPayPeriods, UpdateTimesheets,
};
use crate::state::AppState;
use crate::storage::{Timesheet, TimesheetFilter};
use crate::timesheets::Scope;
use crate::timesheets::periods::{self, Counts, PeriodStatus};
use crate::timesheets::sheets::{self, Actor, Decision, NewSheet, SheetEdit};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_timesheets, create_timesheet))
        .routes(routes!(get_timesheet, update_timesheet, delete_timesheet))
        .routes(routes!(submit_timesheet))
        .routes(routes!(approve_timesheet))
        .routes(routes!(reject_timesheet))
        .routes(routes!(exclude_timesheet))
        .routes(routes!(list_periods))
        .routes(routes!(close_period))
        .routes(routes!(reopen_period))
}

const NOTE_MAX_CHARS: usize = 1000;
const REASON_MAX_CHARS: usize = 1000;

/// Whose timesheets (and their exports) the caller acts on: a technician their own.
pub(super) fn scope(caller: &Caller) -> Scope {
    if caller.role == Role::Tech {
        Scope::Own(caller.technician)
    } else {
        Scope::Everyone
    }
}

fn actor(caller: &Caller) -> Actor {
    Actor {
        user: caller.user,
        scope: scope(caller),
        tz: caller.time_zone,
    }
}

/// A break, `[start, end)`, in the tenant's time zone.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BreakView {
    #[schema(example = "2026-07-01T13:00:00+02:00")]
    pub start: DateTime<FixedOffset>,
    #[schema(example = "2026-07-01T13:45:00+02:00")]
    pub end: DateTime<FixedOffset>,
}

/// The actual times minus the planned ones, in seconds (positive: later or longer).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlanDifference {
    /// Actual start minus planned start.
    pub start_seconds: i64,
    /// Actual end minus planned end.
    pub end_seconds: i64,
    /// Worked seconds minus the planned window's length.
    pub worked_seconds: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TimesheetView {
    pub id: TimesheetId,
    pub technician_id: TechnicianId,
    pub mission_id: MissionId,
    /// The assignment it realises; `null` for unplanned work (or a deleted assignment).
    pub assignment_id: Option<AssignmentId>,
    /// In the tenant's time zone.
    #[schema(example = "2026-07-01T08:00:00+02:00")]
    pub start: DateTime<FixedOffset>,
    /// In the tenant's time zone; the shift is `[start, end)`.
    #[schema(example = "2026-07-01T18:30:00+02:00")]
    pub end: DateTime<FixedOffset>,
    /// Unpaid breaks, sorted.
    pub breaks: Vec<BreakView>,
    /// The shift minus its breaks.
    pub worked_seconds: i64,
    pub cachets: u32,
    pub state: TimesheetState,
    /// The pay period it belongs to (that of its start, in the tenant's zone).
    #[schema(example = "2026-07")]
    pub period: String,
    /// The assignment's window when the timesheet was created.
    pub planned: Option<BreakView>,
    /// Plan vs actual; `null` without a planned window.
    pub difference: Option<PlanDifference>,
    pub note: Option<String>,
    /// Why a manager sent it back to draft, or excluded it.
    pub reason: Option<String>,
    pub submitted_at: Option<DateTime<FixedOffset>>,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<DateTime<FixedOffset>>,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

impl TimesheetView {
    fn new(t: Timesheet, tz: TimeZone, kind: PayPeriodKind) -> Self {
        let window = |w: Window| BreakView {
            start: local(w.start(), tz),
            end: local(w.end(), tz),
        };
        let difference = t.planned.map(|p| PlanDifference {
            start_seconds: (t.window.start() - p.start()).num_seconds(),
            end_seconds: (t.window.end() - p.end()).num_seconds(),
            worked_seconds: t.worked_seconds - p.seconds(),
        });
        Self {
            id: t.id,
            technician_id: t.technician_id,
            mission_id: t.mission_id,
            assignment_id: t.assignment_id,
            start: local(t.window.start(), tz),
            end: local(t.window.end(), tz),
            breaks: t.breaks.iter().copied().map(window).collect(),
            worked_seconds: t.worked_seconds,
            cachets: t.cachets,
            state: t.state,
            period: PayPeriod::at(kind, t.window.start(), tz).label(),
            planned: t.planned.map(window),
            difference,
            note: t.note,
            reason: t.reason,
            submitted_at: t.submitted_at.map(|at| local(at, tz)),
            decided_by: t.decided_by,
            decided_at: t.decided_at.map(|at| local(at, tz)),
            created_by: t.created_by,
            created_at: local(t.created_at, tz),
            updated_at: local(t.updated_at, tz),
        }
    }
}

async fn view(state: &AppState, caller: &Caller, t: Timesheet) -> Result<TimesheetView, ApiError> {
    let (_, kind) = state.storage.timesheet_clock(caller.tenant).await?;
    Ok(TimesheetView::new(t, caller.time_zone, kind))
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
    /// Only this technician's (a technician sees only their own anyway).
    technician_id: Option<TechnicianId>,
    mission_id: Option<MissionId>,
    /// The timesheet of this assignment.
    assignment_id: Option<AssignmentId>,
    /// Only timesheets of this project's missions.
    project_id: Option<ProjectId>,
    state: Option<TimesheetState>,
    /// Only timesheets of this pay period: `2026-07`, or `2026-W27` for a tenant paying
    /// by week.
    #[param(example = "2026-07")]
    period: Option<String>,
    /// Only timesheets starting at or after this bound: `YYYY-MM-DD` (local midnight) or
    /// an RFC 3339 instant.
    #[param(value_type = Option<String>, example = "2026-07-01")]
    from: Option<DateBound>,
    /// Only timesheets starting before this bound; a date includes that whole day.
    #[param(value_type = Option<String>, example = "2026-07-31")]
    to: Option<DateBound>,
}

/// Lists timesheets by start.
///
/// A technician (role `tech`) sees only their own.
#[utoipa::path(
    get,
    path = "/timesheets",
    tag = "timesheets",
    params(ListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Page<TimesheetView>), ErrorResponses)
)]
async fn list_timesheets(
    State(state): State<AppState>,
    allowed: Allowed<ReadTimesheets>,
    ValidQuery(query): ValidQuery<ListQuery>,
) -> Result<Json<Page<TimesheetView>>, ApiError> {
    let caller = allowed.caller;
    let tz = caller.time_zone;
    let page = PageRequest::new(query.page, query.size)?;
    let (_, kind) = state.storage.timesheet_clock(caller.tenant).await?;
    let mut starting_in = filter_window(query.from, query.to, tz)
        .map_err(|e| ApiError::validation("to", e.reason))?;
    if let Some(label) = &query.period {
        let period =
            PayPeriod::parse(label, kind).map_err(|e| ApiError::validation("period", e.reason))?;
        let w = period.window(tz);
        starting_in = match starting_in {
            None => Some(w),
            Some(range) => {
                let start = range.start().max(w.start());
                let end = range.end().min(w.end());
                if end <= start {
                    return Ok(Json(Page::new(Vec::new(), 0, page)));
                }
                Some(Window::new(start, end).map_err(|e| ApiError::validation("to", e.reason))?)
            }
        };
    }
    let technician = match (scope(&caller), query.technician_id) {
        (Scope::Everyone, wanted) => wanted,
        (Scope::Own(Some(own)), None) => Some(own),
        (Scope::Own(Some(own)), Some(wanted)) if wanted == own => Some(own),
        (Scope::Own(_), _) => return Ok(Json(Page::new(Vec::new(), 0, page))),
    };
    let filter = TimesheetFilter {
        technician,
        mission: query.mission_id,
        assignment: query.assignment_id,
        project: query.project_id,
        state: query.state,
        starting_in,
    };
    let (items, total) = state
        .storage
        .list_timesheets(caller.tenant, &filter, page)
        .await?;
    Ok(Json(
        Page::new(items, total, page).map(|t| TimesheetView::new(t, tz, kind)),
    ))
}

/// A break as a client writes it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct BreakInput {
    /// RFC 3339 with an offset, or a local date-time in the tenant's zone.
    #[schema(example = "2026-07-01T13:00")]
    start: String,
    #[schema(example = "2026-07-01T13:45")]
    end: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateTimesheet {
    /// The assignment that took place; the other fields default from it (its window, no
    /// break, one cachet for a cachet contract). A technician may only name their own.
    assignment_id: Option<AssignmentId>,
    /// Unplanned work (planners only, without `assignment_id`): who worked.
    technician_id: Option<TechnicianId>,
    /// Unplanned work: on which mission.
    mission_id: Option<MissionId>,
    /// RFC 3339 with an offset, or a local date-time in the tenant's zone
    /// (`2026-07-01T08:00`); not in the future.
    #[schema(example = "2026-07-01T08:00")]
    start: Option<String>,
    /// After `start`, at most 24 hours later.
    #[schema(example = "2026-07-01T18:30")]
    end: Option<String>,
    /// Unpaid breaks inside the shift, apart; at most 16.
    breaks: Option<Vec<BreakInput>>,
    /// Cachets earned (cachet contracts), 0 to 10.
    #[schema(maximum = 10)]
    cachets: Option<u32>,
    /// Up to 1000 characters, trimmed.
    note: Option<String>,
}

/// Records worked time, as a draft.
#[utoipa::path(
    post,
    path = "/timesheets",
    tag = "timesheets",
    request_body = CreateTimesheet,
    security(("bearer" = [])),
    responses(
        (status = 201, body = TimesheetView, headers(("Location" = String, description = "The new timesheet's URL"))),
        (status = 409, description = "`TIMESHEET_EXISTS` (the assignment has one), `TIMESHEET_OVERLAP`, `PERIOD_CLOSED`, `ASSIGNMENT_DECLINED`, `TIMESHEET_TOO_EARLY`", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn create_timesheet(
    State(state): State<AppState>,
    allowed: Allowed<CreateTimesheets>,
    ValidJson(body): ValidJson<CreateTimesheet>,
) -> Result<impl IntoResponse, ApiError> {
    let caller = allowed.caller;
    let tz = caller.time_zone;
    let new = NewSheet {
        assignment: body.assignment_id,
        technician: body.technician_id,
        mission: body.mission_id,
        start: body.start.map(|s| instant("start", &s, tz)).transpose()?,
        end: body.end.map(|e| instant("end", &e, tz)).transpose()?,
        breaks: body.breaks.map(|b| breaks(&b, tz)).transpose()?,
        cachets: body.cachets,
        note: body.note.as_deref().map(note).transpose()?,
    };
    let sheet = sheets::create(&state.storage, caller.tenant, actor(&caller), new).await?;
    // The workload figures read timesheets (see `http::analytics::cached`).
    state.plan_cache.invalidate(caller.tenant).await;
    tracing::info!(timesheet = %sheet.id, technician = %sheet.technician_id, by = %caller.user, "timesheet created");
    let location = format!("/api/v1/timesheets/{}", sheet.id);
    let view = view(&state, &caller, sheet).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(view),
    ))
}

/// One timesheet.
#[utoipa::path(
    get,
    path = "/timesheets/{id}",
    tag = "timesheets",
    params(("id" = TimesheetId, Path, description = "The timesheet's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = TimesheetView),
        (status = 404, description = "No such timesheet in this tenant, or (for a technician) not their own (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn get_timesheet(
    State(state): State<AppState>,
    allowed: Allowed<ReadTimesheets>,
    ValidPath(id): ValidPath<TimesheetId>,
) -> Result<Json<TimesheetView>, ApiError> {
    let caller = allowed.caller;
    let sheet = sheets::get(&state.storage, caller.tenant, scope(&caller), id).await?;
    Ok(Json(view(&state, &caller, sheet).await?))
}

/// Every field may be left out (kept as it is); `note` may be `null` (cleared).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateTimesheet {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    start: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    end: Patch<String>,
    /// Replaces every break; `[]` removes them.
    #[serde(default)]
    #[schema(value_type = Option<Vec<BreakInput>>)]
    breaks: Patch<Vec<BreakInput>>,
    #[serde(default)]
    #[schema(value_type = Option<u32>, maximum = 10)]
    cachets: Patch<u32>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    note: Patch<String>,
}

/// Changes a draft timesheet.
#[utoipa::path(
    patch,
    path = "/timesheets/{id}",
    tag = "timesheets",
    params(("id" = TimesheetId, Path, description = "The timesheet's id")),
    request_body = UpdateTimesheet,
    security(("bearer" = [])),
    responses(
        (status = 200, body = TimesheetView),
        (status = 404, description = "No such timesheet in this tenant, or (for a technician) not their own (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        (status = 409, description = "`TIMESHEET_STATE` (not a draft), `TIMESHEET_OVERLAP`, `PERIOD_CLOSED`", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn update_timesheet(
    State(state): State<AppState>,
    allowed: Allowed<UpdateTimesheets>,
    ValidPath(id): ValidPath<TimesheetId>,
    ValidJson(body): ValidJson<UpdateTimesheet>,
) -> Result<Json<TimesheetView>, ApiError> {
    let caller = allowed.caller;
    let tz = caller.time_zone;
    let edit = SheetEdit {
        start: body
            .start
            .required("start")?
            .map(|s| instant("start", &s, tz))
            .transpose()?,
        end: body
            .end
            .required("end")?
            .map(|e| instant("end", &e, tz))
            .transpose()?,
        breaks: body
            .breaks
            .required("breaks")?
            .map(|b| breaks(&b, tz))
            .transpose()?,
        cachets: body.cachets.required("cachets")?,
        note: body.note.try_map(|n| note(&n))?.nullable(),
    };
    let sheet = sheets::edit(&state.storage, caller.tenant, actor(&caller), id, edit).await?;
    // The workload figures read timesheets (see `http::analytics::cached`).
    state.plan_cache.invalidate(caller.tenant).await;
    tracing::info!(timesheet = %id, by = %caller.user, "timesheet updated");
    Ok(Json(view(&state, &caller, sheet).await?))
}

/// Deletes a draft timesheet.
#[utoipa::path(
    delete,
    path = "/timesheets/{id}",
    tag = "timesheets",
    params(("id" = TimesheetId, Path, description = "The timesheet's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such timesheet in this tenant, or (for a technician) not their own (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        (status = 409, description = "`TIMESHEET_STATE` (not a draft), `PERIOD_CLOSED`", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn delete_timesheet(
    State(state): State<AppState>,
    allowed: Allowed<DeleteTimesheets>,
    ValidPath(id): ValidPath<TimesheetId>,
) -> Result<StatusCode, ApiError> {
    let caller = allowed.caller;
    sheets::delete(&state.storage, caller.tenant, actor(&caller), id).await?;
    // The workload figures read timesheets (see `http::analytics::cached`).
    state.plan_cache.invalidate(caller.tenant).await;
    tracing::info!(timesheet = %id, by = %caller.user, "timesheet deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// Hands a draft in for approval (the technician, or a planner for them).
#[utoipa::path(
    post,
    path = "/timesheets/{id}/submit",
    tag = "timesheets",
    params(("id" = TimesheetId, Path, description = "The timesheet's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = TimesheetView),
        (status = 404, description = "No such timesheet in this tenant, or (for a technician) not their own (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        (status = 409, description = "`TIMESHEET_STATE` (not a draft), `PERIOD_CLOSED`", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn submit_timesheet(
    State(state): State<AppState>,
    allowed: Allowed<UpdateTimesheets>,
    ValidPath(id): ValidPath<TimesheetId>,
) -> Result<Json<TimesheetView>, ApiError> {
    decided(&state, &allowed.caller, id, Decision::Submit).await
}

/// Approves a submitted timesheet.
#[utoipa::path(
    post,
    path = "/timesheets/{id}/approve",
    tag = "timesheets",
    params(("id" = TimesheetId, Path, description = "The timesheet's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = TimesheetView),
        (status = 404, description = "No such timesheet in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        (status = 409, description = "`TIMESHEET_STATE` (not submitted), `PERIOD_CLOSED`", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn approve_timesheet(
    State(state): State<AppState>,
    allowed: Allowed<DecideTimesheets>,
    ValidPath(id): ValidPath<TimesheetId>,
) -> Result<Json<TimesheetView>, ApiError> {
    decided(&state, &allowed.caller, id, Decision::Approve).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ReasonBody {
    /// Why, for the technician and the audit: 1 to 1000 characters.
    #[schema(example = "The load-out ended at 01:30, not 02:00")]
    reason: String,
}

/// Sends a submitted or approved timesheet back to draft, with the reason.
#[utoipa::path(
    post,
    path = "/timesheets/{id}/reject",
    tag = "timesheets",
    params(("id" = TimesheetId, Path, description = "The timesheet's id")),
    request_body = ReasonBody,
    security(("bearer" = [])),
    responses(
        (status = 200, body = TimesheetView),
        (status = 404, description = "No such timesheet in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        (status = 409, description = "`TIMESHEET_STATE` (neither submitted nor approved), `PERIOD_CLOSED`", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn reject_timesheet(
    State(state): State<AppState>,
    allowed: Allowed<DecideTimesheets>,
    ValidPath(id): ValidPath<TimesheetId>,
    ValidJson(body): ValidJson<ReasonBody>,
) -> Result<Json<TimesheetView>, ApiError> {
    let reason = reason(&body.reason)?;
    decided(&state, &allowed.caller, id, Decision::Reject { reason }).await
}

/// Leaves a timesheet out of pay, with the reason (a no-show, a duplicate).
#[utoipa::path(
    post,
    path = "/timesheets/{id}/exclude",
    tag = "timesheets",
    params(("id" = TimesheetId, Path, description = "The timesheet's id")),
    request_body = ReasonBody,
    security(("bearer" = [])),
    responses(
        (status = 200, body = TimesheetView),
        (status = 404, description = "No such timesheet in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        (status = 409, description = "`TIMESHEET_STATE` (already excluded), `PERIOD_CLOSED`", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn exclude_timesheet(
    State(state): State<AppState>,
    allowed: Allowed<DecideTimesheets>,
    ValidPath(id): ValidPath<TimesheetId>,
    ValidJson(body): ValidJson<ReasonBody>,
) -> Result<Json<TimesheetView>, ApiError> {
    let reason = reason(&body.reason)?;
    decided(&state, &allowed.caller, id, Decision::Exclude { reason }).await
}

async fn decided(
    state: &AppState,
    caller: &Caller,
    id: TimesheetId,
    decision: Decision,
) -> Result<Json<TimesheetView>, ApiError> {
    let name = format!("{decision:?}");
    let sheet = sheets::decide(&state.storage, caller.tenant, actor(caller), id, decision).await?;
    // The workload figures read timesheets (see `http::analytics::cached`).
    state.plan_cache.invalidate(caller.tenant).await;
    tracing::info!(timesheet = %id, by = %caller.user, decision = %name, state = %sheet.state, "timesheet moved on");
    Ok(Json(view(state, caller, sheet).await?))
}

/// A pay period: where it stands and what it holds.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PeriodView {
    /// `2026-07` (a month) or `2026-W27` (an ISO week).
    #[schema(example = "2026-07")]
    pub period: String,
    pub kind: PayPeriodKind,
    /// Local midnight of its first day, in the tenant's time zone.
    pub start: DateTime<FixedOffset>,
    /// Local midnight after its last day; the period is `[start, end)`.
    pub end: DateTime<FixedOffset>,
    pub state: PayPeriodState,
    pub closed_by: Option<UserId>,
    pub closed_at: Option<DateTime<FixedOffset>>,
    pub reopened_by: Option<UserId>,
    pub reopened_at: Option<DateTime<FixedOffset>>,
    pub reopen_reason: Option<String>,
    pub counts: CountsView,
}

/// Its timesheets by state, and what the approved ones add up to.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CountsView {
    pub draft: usize,
    pub submitted: usize,
    pub approved: usize,
    pub excluded: usize,
    pub approved_worked_seconds: i64,
    pub approved_cachets: u64,
}

impl PeriodView {
    fn new(s: PeriodStatus, tz: TimeZone) -> Self {
        let at = |t: Option<DateTime<Utc>>| t.map(|t| local(t, tz));
        let record = s.record.as_ref();
        let Counts {
            draft,
            submitted,
            approved,
            excluded,
            approved_worked_seconds,
            approved_cachets,
        } = s.counts;
        Self {
            period: s.period.label(),
            kind: s.period.kind(),
            start: local(s.window.start(), tz),
            end: local(s.window.end(), tz),
            state: s.state,
            closed_by: record.and_then(|r| r.closed_by),
            closed_at: at(record.and_then(|r| r.closed_at)),
            reopened_by: record.and_then(|r| r.reopened_by),
            reopened_at: at(record.and_then(|r| r.reopened_at)),
            reopen_reason: record.and_then(|r| r.reopen_reason.clone()),
            counts: CountsView {
                draft,
                submitted,
                approved,
                excluded,
                approved_worked_seconds,
                approved_cachets,
            },
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct PeriodsQuery {
    /// First day: `YYYY-MM-DD` (local) or an RFC 3339 instant; its period is listed.
    #[param(value_type = String, example = "2026-01-01")]
    from: DateBound,
    /// Last day, inclusive; at most 106 periods in all.
    #[param(value_type = String, example = "2026-12-31")]
    to: DateBound,
}

/// The pay periods of a range, with their state and counts.
#[utoipa::path(
    get,
    path = "/timesheets/periods",
    tag = "timesheets",
    params(PeriodsQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<PeriodView>), ErrorResponses)
)]
async fn list_periods(
    State(state): State<AppState>,
    allowed: Allowed<ReadPayPeriods>,
    ValidQuery(query): ValidQuery<PeriodsQuery>,
) -> Result<Json<Vec<PeriodView>>, ApiError> {
    let caller = allowed.caller;
    let tz = caller.time_zone;
    let window = filter_window(Some(query.from), Some(query.to), tz)
        .map_err(|e| ApiError::validation("to", e.reason))?
        .expect("both bounds given");
    let list = periods::list(&state.storage, caller.tenant, tz, window).await?;
    Ok(Json(
        list.into_iter().map(|s| PeriodView::new(s, tz)).collect(),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ClosePeriod {
    /// `2026-07` for a tenant paying by month, `2026-W27` by week.
    #[schema(example = "2026-07")]
    period: String,
}

/// Closes a pay period: every timesheet starting in it must be approved or excluded;
/// afterwards none may change (409 `PERIOD_CLOSED`). Recorded in the audit chain with a
/// digest of the approved timesheets.
#[utoipa::path(
    post,
    path = "/timesheets/close",
    tag = "timesheets",
    request_body = ClosePeriod,
    security(("bearer" = [])),
    responses(
        (status = 200, body = PeriodView),
        (status = 409, description = "`PERIOD_NOT_READY` (`meta` counts the drafts and submitted timesheets and names the first), `PERIOD_ALREADY_CLOSED`", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn close_period(
    State(state): State<AppState>,
    allowed: Allowed<ClosePayPeriods>,
    ValidJson(body): ValidJson<ClosePeriod>,
) -> Result<Json<PeriodView>, ApiError> {
    let caller = allowed.caller;
    let period = periods::parse(&state.storage, caller.tenant, &body.period).await?;
    let status = periods::close(
        &state.storage,
        caller.tenant,
        caller.time_zone,
        caller.user,
        period,
    )
    .await?;
    // The workload figures read timesheets (see `http::analytics::cached`).
    state.plan_cache.invalidate(caller.tenant).await;
    tracing::info!(period = %period, by = %caller.user, "pay period closed");
    Ok(Json(PeriodView::new(status, caller.time_zone)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ReopenPeriod {
    #[schema(example = "2026-07")]
    period: String,
    /// Why, for the audit chain: 1 to 1000 characters.
    reason: String,
}

/// Reopens a closed pay period (admins), with the reason, recorded in the audit chain.
#[utoipa::path(
    post,
    path = "/timesheets/reopen",
    tag = "timesheets",
    request_body = ReopenPeriod,
    security(("bearer" = [])),
    responses(
        (status = 200, body = PeriodView),
        (status = 409, description = "`PERIOD_NOT_CLOSED`", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn reopen_period(
    State(state): State<AppState>,
    allowed: Allowed<ReopenPayPeriods>,
    ValidJson(body): ValidJson<ReopenPeriod>,
) -> Result<Json<PeriodView>, ApiError> {
    let caller = allowed.caller;
    let reason = reason(&body.reason)?;
    let period = periods::parse(&state.storage, caller.tenant, &body.period).await?;
    let status = periods::reopen(
        &state.storage,
        caller.tenant,
        caller.time_zone,
        caller.user,
        period,
        reason,
    )
    .await?;
    // The workload figures read timesheets (see `http::analytics::cached`).
    state.plan_cache.invalidate(caller.tenant).await;
    tracing::warn!(period = %period, by = %caller.user, "pay period reopened");
    Ok(Json(PeriodView::new(status, caller.time_zone)))
}

fn instant(field: &'static str, raw: &str, tz: TimeZone) -> Result<DateTime<Utc>, ApiError> {
    parse_instant(raw, tz).map_err(|e| ApiError::validation(field, e.reason))
}

fn breaks(raw: &[BreakInput], tz: TimeZone) -> Result<Vec<Window>, ApiError> {
    raw.iter()
        .map(|b| {
            let start = instant("breaks", &b.start, tz)?;
            let end = instant("breaks", &b.end, tz)?;
            Window::new(start, end)
                .map_err(|e| ApiError::validation("breaks", format!("a break {}", e.reason)))
        })
        .collect()
}

fn note(raw: &str) -> Result<String, ApiError> {
    text::multiline(raw, NOTE_MAX_CHARS).map_err(|e| ApiError::validation("note", e.reason))
}

fn reason(raw: &str) -> Result<String, ApiError> {
    text::multiline(raw, REASON_MAX_CHARS).map_err(|e| ApiError::validation("reason", e.reason))
}

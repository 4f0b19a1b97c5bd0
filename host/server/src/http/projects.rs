//! Projects: tours, festivals, clients.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody, ErrorResponses};
use super::extract::{Allowed, ValidJson, ValidPath, ValidQuery};
use super::technicians::search_text;
use crate::domain::time::{DateBound, local, to_second};
use crate::domain::{Page, PageRequest, Patch, ProjectId, TimeZone, text};
use crate::rbac::{CreateProjects, DeleteProjects, ReadProjects, UpdateProjects};
use crate::state::AppState;
use crate::storage::{NewProject, Project, ProjectFilter, ProjectPatch};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_projects, create_project))
        .routes(routes!(get_project, update_project, delete_project))
}

const NAME_MAX_CHARS: usize = 200;
const CLIENT_MAX_CHARS: usize = 200;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProjectView {
    pub id: ProjectId,
    /// Unique in the tenant.
    pub name: String,
    pub client: Option<String>,
    /// First day, in the tenant's calendar.
    #[schema(example = "2026-07-01")]
    pub starts_on: Option<NaiveDate>,
    /// Last day (inclusive), on or after `starts_on`.
    #[schema(example = "2026-07-14")]
    pub ends_on: Option<NaiveDate>,
    /// In the tenant's time zone.
    pub created_at: DateTime<FixedOffset>,
    /// In the tenant's time zone.
    pub updated_at: DateTime<FixedOffset>,
}

impl ProjectView {
    fn new(p: Project, tz: TimeZone) -> Self {
        Self {
            id: p.id,
            name: p.name,
            client: p.client,
            starts_on: p.starts_on,
            ends_on: p.ends_on,
            created_at: local(p.created_at, tz),
            updated_at: local(p.updated_at, tz),
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
    /// Only projects whose name contains this text (case-insensitive).
    q: Option<String>,
    /// Only projects not ending before this day: `YYYY-MM-DD`, or an RFC 3339 instant
    /// (its day in the tenant's time zone). A project without an end date has not ended.
    #[param(value_type = Option<String>, example = "2026-07-01")]
    from: Option<DateBound>,
    /// Only projects not starting after this day (inclusive). A project without a start
    /// date has started.
    #[param(value_type = Option<String>, example = "2026-07-31")]
    to: Option<DateBound>,
}

/// Lists the tenant's projects, ordered by name then id.
#[utoipa::path(
    get,
    path = "/projects",
    tag = "projects",
    params(ListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Page<ProjectView>), ErrorResponses)
)]
async fn list_projects(
    State(state): State<AppState>,
    allowed: Allowed<ReadProjects>,
    ValidQuery(query): ValidQuery<ListQuery>,
) -> Result<Json<Page<ProjectView>>, ApiError> {
    let tz = allowed.caller.time_zone;
    let page = PageRequest::new(query.page, query.size)?;
    let from = query.from.map(|b| day_of(b, tz));
    let to = query.to.map(|b| day_of(b, tz));
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        return Err(ApiError::validation("to", "must not be before `from`"));
    }
    let filter = ProjectFilter {
        name_contains: search_text(query.q, "q")?,
        from,
        to,
    };
    let (items, total) = state
        .storage
        .list_projects(allowed.caller.tenant, &filter, page)
        .await?;
    Ok(Json(
        Page::new(items, total, page).map(|p| ProjectView::new(p, tz)),
    ))
}

/// The calendar day a bound designates in the tenant's zone.
fn day_of(bound: DateBound, tz: TimeZone) -> NaiveDate {
    match bound {
        DateBound::Date(day) => day,
        DateBound::Instant(t) => t.with_timezone(&tz.0).date_naive(),
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateProject {
    /// 1 to 200 characters, trimmed; unique in the tenant.
    #[schema(example = "Summer tour 2026")]
    name: String,
    /// 1 to 200 characters, trimmed.
    client: Option<String>,
    /// `YYYY-MM-DD`.
    #[schema(example = "2026-07-01")]
    starts_on: Option<String>,
    /// `YYYY-MM-DD`, on or after `starts_on`.
    #[schema(example = "2026-07-14")]
    ends_on: Option<String>,
}

/// Creates a project.
#[utoipa::path(
    post,
    path = "/projects",
    tag = "projects",
    request_body = CreateProject,
    security(("bearer" = [])),
    responses(
        (status = 201, body = ProjectView, headers(("Location" = String, description = "The new project's URL"))),
        (status = 409, description = "The name is taken in this tenant (`CONFLICT_DUPLICATE`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn create_project(
    State(state): State<AppState>,
    allowed: Allowed<CreateProjects>,
    ValidJson(body): ValidJson<CreateProject>,
) -> Result<impl IntoResponse, ApiError> {
    let caller = allowed.caller;
    let name = parse_name(&body.name)?;
    let client = body.client.as_deref().map(parse_client).transpose()?;
    let starts_on = body
        .starts_on
        .as_deref()
        .map(|d| parse_date("starts_on", d))
        .transpose()?;
    let ends_on = body
        .ends_on
        .as_deref()
        .map(|d| parse_date("ends_on", d))
        .transpose()?;
    check_dates(starts_on, ends_on, "ends_on")?;
    let project = state
        .storage
        .create_project(
            caller.tenant,
            NewProject {
                id: ProjectId::new(),
                name,
                client,
                starts_on,
                ends_on,
                created_at: to_second(Utc::now()),
            },
        )
        .await?;
    state.plan_cache.invalidate(caller.tenant).await;
    tracing::info!(project = %project.id, by = %caller.user, "project created");
    let location = format!("/api/v1/projects/{}", project.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(ProjectView::new(project, caller.time_zone)),
    ))
}

/// One project of the caller's tenant.
#[utoipa::path(
    get,
    path = "/projects/{id}",
    tag = "projects",
    params(("id" = ProjectId, Path, description = "The project's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ProjectView),
        (status = 404, description = "No such project in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn get_project(
    State(state): State<AppState>,
    allowed: Allowed<ReadProjects>,
    ValidPath(id): ValidPath<ProjectId>,
) -> Result<Json<ProjectView>, ApiError> {
    let project = state
        .storage
        .project(allowed.caller.tenant, id)
        .await?
        .ok_or(ApiError::NotFound { entity: "project" })?;
    Ok(Json(ProjectView::new(project, allowed.caller.time_zone)))
}

/// Every field may be left out (kept as it is); `client`, `starts_on` and `ends_on` may
/// be `null` (cleared), `name` may not.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateProject {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    client: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "2026-07-01")]
    starts_on: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "2026-07-14")]
    ends_on: Patch<String>,
}

/// Changes some fields of a project.
#[utoipa::path(
    patch,
    path = "/projects/{id}",
    tag = "projects",
    params(("id" = ProjectId, Path, description = "The project's id")),
    request_body = UpdateProject,
    security(("bearer" = [])),
    responses(
        (status = 200, body = ProjectView),
        (status = 404, description = "No such project in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        (status = 409, description = "The name is taken in this tenant (`CONFLICT_DUPLICATE`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn update_project(
    State(state): State<AppState>,
    allowed: Allowed<UpdateProjects>,
    ValidPath(id): ValidPath<ProjectId>,
    ValidJson(body): ValidJson<UpdateProject>,
) -> Result<Json<ProjectView>, ApiError> {
    let caller = allowed.caller;
    let not_found = ApiError::NotFound { entity: "project" };
    let current = state
        .storage
        .project(caller.tenant, id)
        .await?
        .ok_or(not_found)?;
    let name = body
        .name
        .required("name")?
        .as_deref()
        .map(parse_name)
        .transpose()?;
    let client = body.client.try_map(|c| parse_client(&c))?.nullable();
    let starts_on = body
        .starts_on
        .try_map(|d| parse_date("starts_on", &d))?
        .nullable();
    let ends_on = body
        .ends_on
        .try_map(|d| parse_date("ends_on", &d))?
        .nullable();
    // The dates are checked as they will be, the stored one standing in for the other.
    check_dates(
        starts_on.unwrap_or(current.starts_on),
        ends_on.unwrap_or(current.ends_on),
        if ends_on.is_some() {
            "ends_on"
        } else {
            "starts_on"
        },
    )?;
    let patch = ProjectPatch {
        name,
        client,
        starts_on,
        ends_on,
    };
    let project = state
        .storage
        .update_project(caller.tenant, id, patch, to_second(Utc::now()))
        .await?
        .ok_or(ApiError::NotFound { entity: "project" })?;
    state.plan_cache.invalidate(caller.tenant).await;
    tracing::info!(project = %id, by = %caller.user, "project updated");
    Ok(Json(ProjectView::new(project, caller.time_zone)))
}

/// Deletes a project; its missions stay, without a project.
#[utoipa::path(
    delete,
    path = "/projects/{id}",
    tag = "projects",
    params(("id" = ProjectId, Path, description = "The project's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such project in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn delete_project(
    State(state): State<AppState>,
    allowed: Allowed<DeleteProjects>,
    ValidPath(id): ValidPath<ProjectId>,
) -> Result<StatusCode, ApiError> {
    let caller = allowed.caller;
    if !state.storage.delete_project(caller.tenant, id).await? {
        return Err(ApiError::NotFound { entity: "project" });
    }
    state.plan_cache.invalidate(caller.tenant).await;
    tracing::info!(project = %id, by = %caller.user, "project deleted");
    Ok(StatusCode::NO_CONTENT)
}

fn parse_name(raw: &str) -> Result<String, ApiError> {
    text::label(raw, NAME_MAX_CHARS).map_err(|e| ApiError::validation("name", e.reason))
}

fn parse_client(raw: &str) -> Result<String, ApiError> {
    text::label(raw, CLIENT_MAX_CHARS).map_err(|e| ApiError::validation("client", e.reason))
}

fn parse_date(field: &'static str, raw: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| ApiError::validation(field, format!("`{raw}` is not a date (YYYY-MM-DD)")))
}

fn check_dates(
    starts_on: Option<NaiveDate>,
    ends_on: Option<NaiveDate>,
    field: &'static str,
) -> Result<(), ApiError> {
    match (starts_on, ends_on) {
        (Some(start), Some(end)) if end < start => Err(ApiError::validation(
            field,
            format!("the project would end ({end}) before it starts ({start})"),
        )),
        _ => Ok(()),
    }
}

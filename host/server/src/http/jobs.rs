//! Background jobs: state, progress, result, cancel.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody, ErrorResponses};
use super::extract::{Allowed, ValidPath};
use crate::domain::{JobId, JobState, UserId};
use crate::jobs;
use crate::rbac::{ReadJobs, UpdateJobs};
use crate::state::AppState;
use crate::storage::jobs::{Job, JobUpdate};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_job))
        .routes(routes!(cancel_job))
}

/// A job as the API shows it.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobView {
    pub id: JobId,
    /// `auto-assign`.
    pub kind: String,
    pub state: JobState,
    /// 0 to 100.
    pub progress: i32,
    #[schema(value_type = Object)]
    pub request: serde_json::Value,
    /// Once `succeeded`: what the synchronous route would have answered.
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    /// Once `failed`: `{code, detail}`.
    #[schema(value_type = Option<Object>)]
    pub error: Option<serde_json::Value>,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Job> for JobView {
    fn from(job: Job) -> Self {
        Self {
            id: job.id,
            kind: job.kind,
            state: job.state,
            progress: job.progress,
            request: jobs::decoded(Some(&job.request)).unwrap_or_default(),
            result: jobs::decoded(job.result.as_deref()),
            error: jobs::decoded(job.error.as_deref()),
            created_by: job.created_by,
            created_at: job.created_at,
            updated_at: job.updated_at,
        }
    }
}

/// A job's state, progress and, once finished, result or error.
#[utoipa::path(
    get,
    path = "/jobs/{id}",
    tag = "jobs",
    params(("id" = JobId, Path, description = "The job's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = JobView),
        (status = 404, description = "No such job in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn get_job(
    State(state): State<AppState>,
    allowed: Allowed<ReadJobs>,
    ValidPath(id): ValidPath<JobId>,
) -> Result<Json<JobView>, ApiError> {
    let job = state
        .storage
        .job(allowed.caller.tenant, id)
        .await?
        .ok_or(ApiError::NotFound { entity: "job" })?;
    Ok(Json(job.into()))
}

/// Cancels a queued or running job: it commits nothing. A finished job cannot be
/// cancelled (409 `JOB_FINISHED`).
#[utoipa::path(
    post,
    path = "/jobs/{id}/cancel",
    tag = "jobs",
    params(("id" = JobId, Path, description = "The job's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = JobView),
        (status = 404, description = "No such job in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        (status = 409, description = "The job already finished (`JOB_FINISHED`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn cancel_job(
    State(state): State<AppState>,
    allowed: Allowed<UpdateJobs>,
    ValidPath(id): ValidPath<JobId>,
) -> Result<Json<JobView>, ApiError> {
    let caller = allowed.caller;
    let job = state
        .storage
        .job(caller.tenant, id)
        .await?
        .ok_or(ApiError::NotFound { entity: "job" })?;
    let cancelled = state
        .storage
        .update_job(
            job.id,
            JobUpdate {
                state: JobState::Cancelled,
                progress: job.progress,
                result: None,
                error: None,
            },
            crate::domain::time::now(),
        )
        .await?
        .ok_or_else(|| ApiError::Conflict {
            code: "JOB_FINISHED",
            detail: format!("job {id} already finished; there is nothing to cancel"),
        })?;
    tracing::info!(job = %id, by = %caller.user, "job cancelled");
    Ok(Json(cancelled.into()))
}

//! Automatic assignment runs (see `runs` for what a run does).
//!
//! `POST /assignments/auto` plans a window (optionally only some missions) with the
//! tenant's assigner and rules plugins and answers the plan, its score and its
//! explanations; it commits the plan unless `dry_run`. A run with more places than
//! `AUTO_ASSIGN_SYNC_PLACES` (or asked with `background: true`) answers 202 with a job to
//! poll at `GET /jobs/{id}`, whose result is the same body. Honours `Idempotency-Key`.

use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody, ErrorResponses};
use super::extract::{Allowed, Caller, ValidJson};
use super::idempotency::{self, IdempotencyKey, Reply};
use super::jobs::JobView;
use crate::audit::RunRequest;
use crate::domain::MissionId;
use crate::domain::time::{DateBound, Window};
use crate::jobs::{self, JobFailure};
use crate::planning::PlanningError;
use crate::planning::runs::{self, RunView};
use crate::rbac::RunAssignments;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(auto_assign))
}

/// The longest window one run plans: a touring month and a bit.
const MAX_DAYS: i64 = 62;

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AutoAssign {
    /// First day (local midnight) or instant of the window.
    #[schema(value_type = String, example = "2026-07-06")]
    from: String,
    /// Last day (inclusive) or end instant.
    #[schema(value_type = String, example = "2026-07-12")]
    to: String,
    /// Only these missions of the window.
    mission_ids: Option<Vec<MissionId>>,
    /// Plan and explain without writing anything (defaults to `false`).
    dry_run: Option<bool>,
    /// Run as a background job whatever the size (defaults to `false`).
    background: Option<bool>,
}

/// Plans a window with the tenant's plugins; commits unless `dry_run`.
#[utoipa::path(
    post,
    path = "/assignments/auto",
    tag = "assignments",
    request_body = AutoAssign,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for the same key and body")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The run, its score and explanations", body = RunView),
        (status = 202, description = "A large run, started as a job", body = JobView, headers(("Location" = String, description = "The job's URL"))),
        (status = 409, description = "A technician or mission the run assigns changed while it was computed (`SCHEDULE_CHANGED`), or someone booked a technician meanwhile (`CONFLICT_TIME_OVERLAP`); nothing was written", body = ErrorBody),
        (status = 422, description = "A bad window or mission list, or no need to plan in them (`VALIDATION_ERR`)", body = ErrorBody),
        (status = 502, description = "The tenant's plugin failed, with its code (`PLUGIN_FUEL_EXHAUSTED`, `PLUGIN_TRAP`...) or the engine's (`ENGINE_CONTRACT_BROKEN`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn auto_assign(
    State(state): State<AppState>,
    allowed: Allowed<RunAssignments>,
    key: IdempotencyKey,
    ValidJson(body): ValidJson<AutoAssign>,
) -> Response {
    let caller = allowed.caller;
    idempotency::run(
        &state,
        &caller,
        "POST /assignments/auto",
        key,
        body,
        |body| run_once(&state, caller, body),
    )
    .await
}

async fn run_once(state: &AppState, caller: Caller, body: AutoAssign) -> Result<Reply, ApiError> {
    let tz = caller.time_zone;
    let from = DateBound::parse(&body.from).map_err(|e| ApiError::validation("from", e.reason))?;
    let to = DateBound::parse(&body.to).map_err(|e| ApiError::validation("to", e.reason))?;
    let window = Window::new(from.resolve(tz), to.resolve_end(tz))
        .map_err(|e| ApiError::validation("to", e.reason))?;
    if window.seconds() > MAX_DAYS * 86_400 {
        return Err(ApiError::validation(
            "to",
            format!("a run plans at most {MAX_DAYS} days; plan longer periods month by month"),
        ));
    }
    if let Some(missions) = &body.mission_ids
        && (missions.is_empty() || missions.len() > 1000)
    {
        return Err(ApiError::validation(
            "mission_ids",
            "give 1 to 1000 missions, or leave it out for the whole window",
        ));
    }
    let request = RunRequest {
        window: crate::audit::RunWindow {
            start: window.start(),
            end: window.end(),
        },
        missions: body.mission_ids.clone(),
        dry_run: body.dry_run.unwrap_or(false),
    };
    let prepared = runs::prepare(
        state,
        caller.tenant,
        tz,
        window,
        body.mission_ids.as_deref(),
    )
    .await?;
    let background = body.background.unwrap_or(false)
        || prepared.places() > state.config.auto_assign_sync_places;
    if !background {
        let view = runs::execute(
            state,
            caller.tenant,
            caller.user,
            tz,
            request,
            prepared,
            None,
        )
        .await?;
        return Reply::ok(&view);
    }
    let task_state = state.clone();
    let job = jobs::start(
        state,
        caller.tenant,
        caller.user,
        "auto-assign",
        &request.clone(),
        move |handle| async move {
            let run = async {
                handle.progress(10).await?;
                runs::execute(
                    &task_state,
                    handle.tenant,
                    caller.user,
                    tz,
                    request,
                    prepared,
                    Some(&handle),
                )
                .await
            };
            run.await
                .map_err(|e: PlanningError| JobFailure::from(ApiError::from(e)))
        },
    )
    .await?;
    Reply::accepted(format!("/api/v1/jobs/{}", job.id), &JobView::from(job))
}

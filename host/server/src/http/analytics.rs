//! Planning analytics: `/analytics/coverage`, `/analytics/workload`, over a range and
//! optionally one project or venue, and `/analytics/late-changes`; `/analytics/pay` over a range, from payroll runs. Definitions in `docs/api.md` ("Analytics").

use std::future::Future;
use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorResponses};
use super::extract::{Allowed, ValidQuery};
use crate::analytics::Scope;
use crate::analytics::changes::{self, DEFAULT_LATE_HOURS, LateChanges};
use crate::analytics::coverage::{self, Coverage};
use crate::analytics::pay::{self, Pay};
use crate::analytics::workload::{self, Workload};
use crate::domain::time::{DateBound, filter_window};
use crate::domain::{ProjectId, TimeZone, VenueId};
use crate::rbac::ReadAnalytics;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_coverage))
        .routes(routes!(get_workload))
        .routes(routes!(get_pay))
        .routes(routes!(get_late_changes))
}

/// The longest range one figure covers.
const MAX_DAYS: i64 = 366;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct RangeQuery {
    /// First day (local) or an RFC 3339 instant.
    #[param(value_type = String, example = "2026-07-01")]
    from: DateBound,
    /// Last day, inclusive; at most 366 days after `from`.
    #[param(value_type = String, example = "2026-07-31")]
    to: DateBound,
    /// Only this project's missions.
    project_id: Option<ProjectId>,
    /// Only this venue's missions.
    venue_id: Option<VenueId>,
}

impl RangeQuery {
    fn scope(&self, tz: TimeZone) -> Result<Scope, ApiError> {
        let window = filter_window(Some(self.from), Some(self.to), tz)
            .map_err(|e| ApiError::validation("to", e.reason))?
            .expect("both bounds");
        if window.seconds() > MAX_DAYS * 86_400 {
            return Err(ApiError::validation(
                "to",
                format!("a range covers at most {MAX_DAYS} days"),
            ));
        }
        Ok(Scope {
            window,
            project: self.project_id,
            venue: self.venue_id,
        })
    }
}

/// A figure through the plan cache: the same generation rule as the plans
/// (`plan_cache`), so every write to what a figure reads makes it unreachable (planning
/// and crew writes, and the timesheet, pay period and payroll writes, which bump the
/// generation too); computed on a miss.
async fn cached<T, Fut>(
    state: &AppState,
    tenant: crate::domain::TenantId,
    key: String,
    compute: Fut,
) -> Result<Response, ApiError>
where
    T: Serialize,
    Fut: Future<Output = Result<T, ApiError>>,
{
    // Taken before reading the database: see `plan_cache` on why this order is safe.
    let lookup = state.plan_cache.get(tenant, &key).await;
    if let Some(hit) = lookup.hit {
        return Ok(super::planning::json_response(hit, "hit"));
    }
    let figure = compute.await?;
    let body: Arc<str> = Arc::from(serde_json::to_string(&figure).map_err(ApiError::internal)?);
    state
        .plan_cache
        .put(tenant, lookup.generation, &key, body.clone())
        .await;
    Ok(super::planning::json_response(body, "miss"))
}

/// The cache key of a figure over `scope`.
fn key(figure: &str, scope: &Scope, extra: &str) -> String {
    let id = |o: Option<String>| o.unwrap_or_default();
    format!(
        "analytics:{figure}:{}:{}:{}:{}:{extra}",
        scope.window.start().timestamp(),
        scope.window.end().timestamp(),
        id(scope.project.map(|p| p.to_string())),
        id(scope.venue.map(|v| v.to_string())),
    )
}

/// Places needed and filled over the range, overall and by skill.
#[utoipa::path(
    get,
    path = "/analytics/coverage",
    tag = "analytics",
    params(RangeQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Coverage), ErrorResponses)
)]
async fn get_coverage(
    State(state): State<AppState>,
    allowed: Allowed<ReadAnalytics>,
    ValidQuery(query): ValidQuery<RangeQuery>,
) -> Result<Response, ApiError> {
    let caller = allowed.caller;
    let scope = query.scope(caller.time_zone)?;
    let compute = async {
        Ok::<Coverage, ApiError>(coverage::coverage(&state.storage, caller.tenant, &scope).await?)
    };
    cached(&state, caller.tenant, key("coverage", &scope, ""), compute).await
}

/// Planned, worked, night and weekend hours and planned cost per technician, and how
/// evenly planned hours are shared.
#[utoipa::path(
    get,
    path = "/analytics/workload",
    tag = "analytics",
    params(RangeQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Workload), ErrorResponses)
)]
async fn get_workload(
    State(state): State<AppState>,
    allowed: Allowed<ReadAnalytics>,
    ValidQuery(query): ValidQuery<RangeQuery>,
) -> Result<Response, ApiError> {
    let caller = allowed.caller;
    let scope = query.scope(caller.time_zone)?;
    let compute = async {
        Ok::<Workload, ApiError>(
            workload::workload(&state.storage, caller.tenant, caller.time_zone, &scope).await?,
        )
    };
    cached(&state, caller.tenant, key("workload", &scope, ""), compute).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct PayQuery {
    /// First day (local) or an RFC 3339 instant.
    #[param(value_type = String, example = "2026-01-01")]
    from: DateBound,
    /// Last day, inclusive; at most 366 days after `from`.
    #[param(value_type = String, example = "2026-12-31")]
    to: DateBound,
}

/// What the crew cost as paid over the range (the latest payroll run of each pay period
/// inside it), the overtime hours paid, and each paid technician's hours towards the
/// intermittents' 507.
#[utoipa::path(
    get,
    path = "/analytics/pay",
    tag = "analytics",
    params(PayQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Pay), ErrorResponses)
)]
async fn get_pay(
    State(state): State<AppState>,
    allowed: Allowed<ReadAnalytics>,
    ValidQuery(query): ValidQuery<PayQuery>,
) -> Result<Response, ApiError> {
    let caller = allowed.caller;
    let scope = RangeQuery {
        from: query.from,
        to: query.to,
        project_id: None,
        venue_id: None,
    }
    .scope(caller.time_zone)?;
    let compute =
        async { Ok::<Pay, ApiError>(pay::pay(&state.storage, caller.tenant, scope.window).await?) };
    cached(&state, caller.tenant, key("pay", &scope, ""), compute).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct LateQuery {
    /// First day (local) or an RFC 3339 instant.
    #[param(value_type = String, example = "2026-07-01")]
    from: DateBound,
    /// Last day, inclusive; at most 366 days after `from`.
    #[param(value_type = String, example = "2026-07-31")]
    to: DateBound,
    /// Only this project's missions.
    project_id: Option<ProjectId>,
    /// Only this venue's missions.
    venue_id: Option<VenueId>,
    /// A change is late when made less than this many hours before the start: 1 to 720,
    /// default 72.
    late_hours: Option<i64>,
}

/// Assignments added or declined, and missions cancelled, shortly before the work.
#[utoipa::path(
    get,
    path = "/analytics/late-changes",
    tag = "analytics",
    params(LateQuery),
    security(("bearer" = [])),
    responses((status = 200, body = LateChanges), ErrorResponses)
)]
async fn get_late_changes(
    State(state): State<AppState>,
    allowed: Allowed<ReadAnalytics>,
    ValidQuery(query): ValidQuery<LateQuery>,
) -> Result<Response, ApiError> {
    let caller = allowed.caller;
    let scope = RangeQuery {
        from: query.from,
        to: query.to,
        project_id: query.project_id,
        venue_id: query.venue_id,
    }
    .scope(caller.time_zone)?;
    let late_hours = query.late_hours.unwrap_or(DEFAULT_LATE_HOURS);
    if !(1..=720).contains(&late_hours) {
        return Err(ApiError::validation(
            "late_hours",
            "must be between 1 and 720",
        ));
    }
    let compute = async {
        Ok::<LateChanges, ApiError>(
            changes::late_changes(&state.storage, caller.tenant, &scope, late_hours).await?,
        )
    };
    let key = key("late-changes", &scope, &late_hours.to_string());
    cached(&state, caller.tenant, key, compute).await
}

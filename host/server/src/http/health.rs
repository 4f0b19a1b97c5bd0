//! Liveness and readiness probes, for load balancers and orchestrators.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(live))
        .routes(routes!(ready))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Health {
    /// Always `ok` when the process answers.
    status: &'static str,
    version: &'static str,
}

/// The process is up. Touches no dependency, so a database outage does not get the
/// process restarted in a loop.
#[utoipa::path(get, path = "/health", tag = "health", responses((status = 200, body = Health)))]
async fn live() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Readiness {
    status: &'static str,
    /// `sqlite` or `postgres`.
    database: &'static str,
    /// `redis` when configured, else `in-process`.
    cache: &'static str,
}

/// The process can serve: the database answers, and Redis when it is configured.
#[utoipa::path(
    get,
    path = "/health/ready",
    tag = "health",
    responses(
        (status = 200, body = Readiness),
        (status = 503, description = "A dependency is down (`SERVICE_UNAVAILABLE`)", body = super::error::ErrorBody),
    )
)]
async fn ready(State(state): State<AppState>) -> Result<Json<Readiness>, ApiError> {
    state
        .storage
        .ping()
        .await
        .map_err(|e| ApiError::Unavailable(format!("database unavailable: {e}")))?;
    let cache = match &state.redis {
        Some(conn) => {
            redis::cmd("PING")
                .query_async::<String>(&mut conn.clone())
                .await
                .map_err(|e| ApiError::Unavailable(format!("redis unavailable: {e}")))?;
            "redis"
        }
        None => "in-process",
    };
    Ok(Json(Readiness {
        status: "ready",
        database: state.storage.backend(),
        cache,
    }))
}

//! The caller's own tenant: its name and the time zone plans are shown in.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorResponses};
use super::extract::{Allowed, ValidJson};
use crate::domain::{PayPeriodKind, TenantId, TimeZone};
use crate::rbac::{ReadTenant, UpdateTenant};
use crate::state::AppState;
use crate::storage::Tenant;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_tenant, update_tenant))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct TenantView {
    id: TenantId,
    /// What users type at login.
    slug: String,
    name: String,
    /// IANA zone in which plans are shown; times are stored in UTC.
    #[schema(example = "Europe/Paris")]
    time_zone: String,
    /// How timesheets are cut into pay periods, in the tenant's zone: calendar months
    /// (`2026-07`) or ISO weeks (`2026-W27`).
    pay_period: PayPeriodKind,
    created_at: DateTime<Utc>,
}

impl From<Tenant> for TenantView {
    fn from(t: Tenant) -> Self {
        Self {
            id: t.id,
            slug: t.slug,
            name: t.name,
            time_zone: t.time_zone,
            // The column's CHECK allows only the two kinds.
            pay_period: t.pay_period.parse().unwrap_or(PayPeriodKind::DEFAULT),
            created_at: t.created_at,
        }
    }
}

/// The caller's tenant.
#[utoipa::path(
    get,
    path = "/tenant",
    tag = "tenant",
    security(("bearer" = [])),
    responses((status = 200, body = TenantView), ErrorResponses)
)]
async fn get_tenant(
    State(state): State<AppState>,
    allowed: Allowed<ReadTenant>,
) -> Result<Json<TenantView>, ApiError> {
    let tenant = state
        .storage
        .tenant(allowed.caller.tenant)
        .await?
        .ok_or(ApiError::NotFound { entity: "tenant" })?;
    // Plans are rendered in the tenant's zone.
    state.plan_cache.invalidate(allowed.caller.tenant).await;
    Ok(Json(tenant.into()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TenantPatch {
    /// 1 to 200 characters.
    name: Option<String>,
    /// An IANA time zone such as `Europe/Paris`.
    time_zone: Option<String>,
    /// `month` or `week`. Periods already closed stay closed as they were cut.
    pay_period: Option<PayPeriodKind>,
}

/// Renames the tenant, changes its time zone or its pay periods.
#[utoipa::path(
    patch,
    path = "/tenant",
    tag = "tenant",
    request_body = TenantPatch,
    security(("bearer" = [])),
    responses((status = 200, body = TenantView), ErrorResponses)
)]
async fn update_tenant(
    State(state): State<AppState>,
    allowed: Allowed<UpdateTenant>,
    ValidJson(body): ValidJson<TenantPatch>,
) -> Result<Json<TenantView>, ApiError> {
    let name = body.name.map(|n| n.trim().to_owned());
    if name
        .as_deref()
        .is_some_and(|n| n.is_empty() || n.chars().count() > 200)
    {
        return Err(ApiError::validation("name", "must be 1 to 200 characters"));
    }
    let time_zone = body
        .time_zone
        .as_deref()
        .map(TimeZone::parse)
        .transpose()
        .map_err(|e| ApiError::validation("time_zone", e.reason))?;
    let tenant = state
        .storage
        .update_tenant(allowed.caller.tenant, name, time_zone, body.pay_period)
        .await?
        .ok_or(ApiError::NotFound { entity: "tenant" })?;
    // Plans are rendered in the tenant's zone.
    state.plan_cache.invalidate(allowed.caller.tenant).await;
    Ok(Json(tenant.into()))
}

//! The conflicts report of the current plan.
//!
//! The window's missions and their assignments go to the tenant's rules plugin
//! (`callsheet_engine::find_conflicts`): every violation it reports is a conflict, with
//! the kind the brief names (technician overlap, room double booking, legal rule, role
//! incompatibility, unavailability, missing skill), its severity, subjects, message,
//! figures and provenance (rule id, and the plugin's name, version and sha256, or the host
//! for the kinds a minimal plugin does not check). Unfilled places are not conflicts; the
//! plans and the automatic runs show them.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorResponses};
use super::extract::{Allowed, ValidQuery};
use crate::domain::time::{DateBound, Window, local};
use crate::planning::conflicts;
use crate::rbac::ReadConflicts;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_conflicts))
}

/// The longest window one report covers.
const MAX_DAYS: i64 = 62;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ConflictQuery {
    /// First day (local) or instant.
    #[param(value_type = String, example = "2026-07-06")]
    from: DateBound,
    /// Last day (inclusive) or instant.
    #[param(value_type = String, example = "2026-07-12")]
    to: DateBound,
    /// Only `hard` or `soft` conflicts.
    severity: Option<SeverityFilter>,
    /// Only this kind.
    kind: Option<ConflictKindFilter>,
}

/// The conflict kinds, as the query names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub(super) enum ConflictKindFilter {
    TechnicianOverlap,
    RoomDoubleBooking,
    LegalRule,
    RoleIncompatibility,
    Unavailability,
    MissingSkill,
}

impl ConflictKindFilter {
    fn matches(self, kind: callsheet_engine::ConflictKind) -> bool {
        use callsheet_engine::ConflictKind as K;
        matches!(
            (self, kind),
            (Self::TechnicianOverlap, K::TechnicianOverlap)
                | (Self::RoomDoubleBooking, K::RoomDoubleBooking)
                | (Self::LegalRule, K::LegalRule)
                | (Self::RoleIncompatibility, K::RoleIncompatibility)
                | (Self::Unavailability, K::Unavailability)
                | (Self::MissingSkill, K::MissingSkill)
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub(super) enum SeverityFilter {
    Hard,
    Soft,
}

/// The conflicts of a window.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConflictsView {
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    /// Hard ones first, then by kind, rule and message. Each: `kind`, `severity`,
    /// `subjects`, `message`, `figures`, `provenance` (`rule_id`, `source`: the plugin's
    /// name, version and sha256, or the host).
    #[schema(value_type = Vec<Object>)]
    pub conflicts: Vec<callsheet_engine::Conflict>,
    pub hard: usize,
    pub soft: usize,
    /// Fuel the rules plugin used for this report.
    pub rules_fuel: u64,
}

/// Every conflict of the plan over a window.
#[utoipa::path(
    get,
    path = "/conflicts",
    tag = "conflicts",
    params(ConflictQuery),
    security(("bearer" = [])),
    responses((status = 200, body = ConflictsView), ErrorResponses)
)]
async fn list_conflicts(
    State(state): State<AppState>,
    allowed: Allowed<ReadConflicts>,
    ValidQuery(query): ValidQuery<ConflictQuery>,
) -> Result<Json<ConflictsView>, ApiError> {
    let caller = allowed.caller;
    let tz = caller.time_zone;
    let window = Window::new(query.from.resolve(tz), query.to.resolve_end(tz))
        .map_err(|e| ApiError::validation("to", e.reason))?;
    if window.seconds() > MAX_DAYS * 86_400 {
        return Err(ApiError::validation(
            "to",
            format!("a report covers at most {MAX_DAYS} days"),
        ));
    }
    let report = conflicts::report(&state, caller.tenant, tz, window).await?;
    let conflicts: Vec<_> = report
        .conflicts
        .into_iter()
        .filter(|c| match query.severity {
            None => true,
            Some(SeverityFilter::Hard) => c.severity == callsheet_runtime::types::Severity::Hard,
            Some(SeverityFilter::Soft) => c.severity == callsheet_runtime::types::Severity::Soft,
        })
        .filter(|c| query.kind.is_none_or(|k| k.matches(c.kind)))
        .collect();
    let hard = conflicts
        .iter()
        .filter(|c| c.severity == callsheet_runtime::types::Severity::Hard)
        .count();
    Ok(Json(ConflictsView {
        start: local(window.start(), tz),
        end: local(window.end(), tz),
        soft: conflicts.len() - hard,
        hard,
        conflicts,
        rules_fuel: report.rules_fuel,
    }))
}

//! The API's one error type and its wire shape `{detail, code, meta}`.
//!
//! Every failure of every route ends here: handler errors through [`ApiError`]'s
//! `IntoResponse`, and the framework's own bare responses (unknown route, wrong method,
//! body too large, timeout) through `http::middleware::standardise_errors`. `meta` always
//! carries the request id, so a user's bug report leads straight to the log lines.

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use callsheet_engine::EngineError;
use callsheet_runtime::types::PluginError;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::audit::AuditError;
use crate::domain::{AssignmentId, InvalidValue, MissionId};
use crate::exports::ExportError;
use crate::jobs::{JobError, JobFailure};
use crate::payroll::PayrollError;
use crate::planning::{PlanningError, ReplayError};
use crate::plugins::{Cause, TenantPluginError};
use crate::storage::StorageError;
use crate::timesheets::TimesheetError;

/// The body of every error response.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"detail": "email is already taken", "code": "CONFLICT_DUPLICATE", "meta": {"field": "email", "request_id": "0b9c..."}}))]
pub struct ErrorBody {
    /// A sentence for people.
    pub detail: String,
    /// A stable code for programs, e.g. `VALIDATION_ERR`.
    pub code: String,
    /// Details for programs: always `request_id`; `field` for validation errors, etc.
    #[schema(value_type = Object)]
    pub meta: Map<String, Value>,
}

/// Everything a handler can fail with. Each variant's doc gives its status and code.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401 `AUTH_INVALID`: no credentials, bad credentials, or an invalid token.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// 403 `AUTH_FORBIDDEN`: authenticated, but the role does not allow this.
    #[error("your role does not allow this action")]
    Forbidden,
    /// 422 `VALIDATION_ERR`: a field is missing, of the wrong type, unknown or out of range.
    #[error("{field}: {reason}")]
    Validation { field: String, reason: String },
    /// 404 `ENTITY_NOT_FOUND`: no such entity in the caller's tenant (also when it exists in
    /// another tenant: existence is not revealed across tenants).
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    /// 409 `CONFLICT_DUPLICATE`: a unique value is already taken.
    #[error("{field} is already taken")]
    Duplicate { field: &'static str },
    /// 409 with a specific code, for a state that forbids the change.
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    /// 409 with a specific code and `meta` saying what stands in the way.
    #[error("{detail}")]
    ConflictWith {
        code: &'static str,
        detail: String,
        meta: Map<String, Value>,
    },
    /// 409 `CONFLICT_TIME_OVERLAP`: the technician already works then; `meta` names the
    /// other assignment and its mission.
    #[error("{detail}")]
    AlreadyAssigned {
        detail: String,
        assignment: AssignmentId,
        mission: MissionId,
    },
    /// 409 `RULES_VIOLATION`: the tenant's rules refuse a manual assignment; `meta` lists the
    /// hard `violations` and the soft `warnings`, and tells an admin how to override.
    #[error("{detail}")]
    RulesViolation {
        detail: String,
        violations: Vec<Value>,
        warnings: Vec<Value>,
        can_override: bool,
    },
    /// 422 with the plugin's or engine's code (`PLUGIN_TRAP`, `PLUGIN_PARAMS_INVALID`,
    /// `PLUGIN_INPUT_TOO_LARGE`...): a plugin, its configuration or its input refused;
    /// `meta` says at which stage and what the plugin said.
    #[error("{detail}")]
    PluginRefused {
        code: &'static str,
        detail: String,
        meta: Map<String, Value>,
    },
    /// 502 with the plugin's or engine's code: the tenant's plugin, an upstream component,
    /// failed at run time; the request and the server are fine.
    #[error("{detail}")]
    PluginFailed {
        code: &'static str,
        detail: String,
        meta: Map<String, Value>,
    },
    /// 500 `PLUGIN_RUNTIME_ERROR`: the host's plugin runtime itself failed (logged).
    #[error("{detail}")]
    PluginRuntime {
        code: &'static str,
        detail: String,
        meta: Map<String, Value>,
    },
    /// 422 `IDEMPOTENCY_KEY_REUSED`: the key was used with another request body.
    #[error("this Idempotency-Key was used with another request body; use a new key")]
    IdempotencyKeyReused,
    /// 429 `RATE_LIMITED`, with `Retry-After`.
    #[error("too many attempts; retry in {} seconds", .retry_after.as_secs().max(1))]
    RateLimited { retry_after: Duration },
    /// 405 `METHOD_NOT_ALLOWED`; the `Allow` header lists the methods of the route.
    #[error("this route does not accept that method")]
    MethodNotAllowed,
    /// 413 `PAYLOAD_TOO_LARGE`.
    #[error("the request body is larger than the server accepts")]
    PayloadTooLarge { limit_bytes: Option<usize> },
    /// 503 `TIMEOUT`: the request took longer than `REQUEST_TIMEOUT_SECONDS`.
    #[error("the request took too long and was abandoned")]
    Timeout,
    /// Any other framework-level refusal, with its own status (`HTTP_ERROR`).
    #[error("{}", .0.canonical_reason().unwrap_or("request refused"))]
    Status(StatusCode),
    /// 415 `UNSUPPORTED_MEDIA_TYPE`: the body is not declared as the route expects.
    #[error("the request body must be {expected}")]
    UnsupportedMediaType {
        /// What the route takes, e.g. "JSON (Content-Type: application/json)".
        expected: &'static str,
    },
    /// 503 `SERVICE_UNAVAILABLE`: a dependency is down (readiness probe).
    #[error("{0}")]
    Unavailable(String),
    /// 500 `INTERNAL_ERR`: logged in full, answered without internals.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn validation(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Validation {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub fn internal(err: impl std::fmt::Display) -> Self {
        Self::Internal(err.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::Duplicate { .. }
            | Self::Conflict { .. }
            | Self::ConflictWith { .. }
            | Self::AlreadyAssigned { .. }
            | Self::RulesViolation { .. } => StatusCode::CONFLICT,
            Self::PluginRefused { .. } | Self::IdempotencyKeyReused => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::PluginFailed { .. } => StatusCode::BAD_GATEWAY,
            Self::PluginRuntime { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            Self::Status(status) => *status,
            Self::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "AUTH_INVALID",
            Self::Forbidden => "AUTH_FORBIDDEN",
            Self::Validation { .. } => "VALIDATION_ERR",
            Self::NotFound { .. } => "ENTITY_NOT_FOUND",
            Self::Duplicate { .. } => "CONFLICT_DUPLICATE",
            Self::Conflict { code, .. }
            | Self::ConflictWith { code, .. }
            | Self::PluginRefused { code, .. }
            | Self::PluginFailed { code, .. }
            | Self::PluginRuntime { code, .. } => code,
            Self::AlreadyAssigned { .. } => "CONFLICT_TIME_OVERLAP",
            Self::RulesViolation { .. } => "RULES_VIOLATION",
            Self::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::PayloadTooLarge { .. } => "PAYLOAD_TOO_LARGE",
            Self::Timeout => "TIMEOUT",
            Self::Status(_) => "HTTP_ERROR",
            Self::UnsupportedMediaType { .. } => "UNSUPPORTED_MEDIA_TYPE",
            Self::Unavailable(_) => "SERVICE_UNAVAILABLE",
            Self::Internal(_) => "INTERNAL_ERR",
        }
    }

    pub(super) fn meta(&self) -> Map<String, Value> {
        let mut meta = Map::new();
        match self {
            Self::Validation { field, reason } => {
                meta.insert("field".into(), json!(field));
                meta.insert("reason".into(), json!(reason));
            }
            Self::NotFound { entity } => {
                meta.insert("entity".into(), json!(entity));
            }
            Self::Duplicate { field } => {
                meta.insert("field".into(), json!(field));
            }
            Self::AlreadyAssigned {
                assignment,
                mission,
                ..
            } => {
                meta.insert("conflicting_assignment_id".into(), json!(assignment));
                meta.insert("conflicting_mission_id".into(), json!(mission));
            }
            Self::RulesViolation {
                violations,
                warnings,
                can_override,
                ..
            } => {
                meta.insert("violations".into(), json!(violations));
                meta.insert("warnings".into(), json!(warnings));
                if *can_override {
                    meta.insert(
                        "hint".into(),
                        json!("an admin may override with `override_reason`"),
                    );
                }
            }
            Self::ConflictWith { meta: details, .. }
            | Self::PluginRefused { meta: details, .. }
            | Self::PluginFailed { meta: details, .. }
            | Self::PluginRuntime { meta: details, .. } => {
                meta.extend(details.clone());
            }
            Self::RateLimited { retry_after } => {
                meta.insert(
                    "retry_after_seconds".into(),
                    json!(retry_after_seconds(*retry_after)),
                );
            }
            Self::PayloadTooLarge {
                limit_bytes: Some(limit),
            } => {
                meta.insert("limit_bytes".into(), json!(limit));
            }
            _ => {}
        }
        if let Some(id) = super::middleware::current_request_id() {
            meta.insert("request_id".into(), json!(id));
        }
        meta
    }
}

fn retry_after_seconds(d: Duration) -> u64 {
    // Round up: telling a client to come back in 0 s invites an immediate retry.
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            Self::Internal(cause) => tracing::error!(%cause, "internal error"),
            Self::PluginRuntime { detail, .. } => {
                tracing::error!(%detail, "plugin runtime failure")
            }
            Self::Unavailable(cause) => tracing::warn!(%cause, "dependency unavailable"),
            _ => tracing::debug!(code = self.code(), detail = %self, "request refused"),
        }
        let body = ErrorBody {
            detail: self.to_string(),
            code: self.code().to_owned(),
            meta: self.meta(),
        };
        let mut response = (self.status(), Json(body)).into_response();
        if let Self::RateLimited { retry_after } = self {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_seconds(retry_after)),
            );
        }
        response
    }
}

impl From<StorageError> for ApiError {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::Duplicate { field } => Self::Duplicate { field },
            StorageError::TimeOverlap => Self::Conflict {
                code: "CONFLICT_TIME_OVERLAP",
                detail: err.to_string(),
            },
            StorageError::InUse { .. } => Self::Conflict {
                code: "CONFLICT_IN_USE",
                detail: err.to_string(),
            },
            other => Self::internal(other),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Every service's error, mapped to a status and code here and nowhere else.

fn plugin_error_meta(meta: &mut serde_json::Map<String, Value>, e: &callsheet_runtime::Error) {
    if let Some(PluginError { code, message }) = e.plugin_error() {
        meta.insert(
            "plugin_error".into(),
            json!({"code": code, "message": message}),
        );
    }
    if e.is_from_rules() {
        meta.insert("from_rules".into(), json!(true));
    }
}

/// The breach of an assigner's result, for programs: `{breach, need, technician}` (the
/// breach's kebab-case code; `technician` is null for a need-wide breach such as over-crew).
fn contract_meta(meta: &mut serde_json::Map<String, Value>, e: &EngineError) {
    if let EngineError::Contract(breach) = e {
        meta.insert(
            "breach".into(),
            json!({
                "code": breach.kind.code(),
                "need": breach.need_id,
                "technician": breach.technician_id,
            }),
        );
    }
}

impl From<TenantPluginError> for ApiError {
    fn from(err: TenantPluginError) -> Self {
        let mut meta = serde_json::Map::new();
        match err {
            TenantPluginError::Refused { slot, stage, cause } => {
                meta.insert("slot".into(), json!(slot.as_str()));
                meta.insert("stage".into(), json!(stage));
                if let Some(e) = cause.runtime_error() {
                    plugin_error_meta(&mut meta, e);
                }
                if let Cause::Engine(e) = &cause {
                    contract_meta(&mut meta, e);
                }
                ApiError::PluginRefused {
                    code: cause.code(),
                    detail: format!("the {slot} plugin was refused ({stage}): {cause}"),
                    meta,
                }
            }
            TenantPluginError::ParamsInvalid { ref errors } => {
                meta.insert("errors".into(), json!(errors));
                ApiError::PluginRefused {
                    code: "PLUGIN_PARAMS_INVALID",
                    detail: err.to_string(),
                    meta,
                }
            }
            TenantPluginError::Budget { field, reason } => ApiError::validation(field, reason),
            TenantPluginError::Plugin(e) => {
                plugin_error_meta(&mut meta, &e);
                let (code, detail) = (e.code(), format!("the tenant's plugin failed: {e}"));
                match e {
                    // The host's own runtime failed: the server's fault (logged in full).
                    callsheet_runtime::Error::Runtime(_) => {
                        ApiError::PluginRuntime { code, detail, meta }
                    }
                    // The input the tenant's data made is too large for the sandbox.
                    callsheet_runtime::Error::InputTooLarge { .. } => {
                        ApiError::PluginRefused { code, detail, meta }
                    }
                    // An upstream component failed; the request and the server are fine.
                    _ => ApiError::PluginFailed { code, detail, meta },
                }
            }
            TenantPluginError::NotFound => ApiError::NotFound { entity: "plugin" },
            TenantPluginError::NothingToRollBack(_) => ApiError::Conflict {
                code: "NOTHING_TO_ROLL_BACK",
                detail: err.to_string(),
            },
            TenantPluginError::Busy(_) => ApiError::Conflict {
                code: "CONFLICT_CONCURRENT_CHANGE",
                detail: err.to_string(),
            },
            TenantPluginError::Storage(e) => e.into(),
            other @ (TenantPluginError::BlobMissing { .. }
            | TenantPluginError::Corrupt(_)
            | TenantPluginError::Audit(_)) => ApiError::internal(other),
        }
    }
}

impl From<ExportError> for ApiError {
    fn from(err: ExportError) -> Self {
        match err {
            ExportError::Invalid { field, reason } => Self::validation(field, reason),
            ExportError::Payroll(e) => e.into(),
            ExportError::Write(cause) => Self::Internal(cause),
            ExportError::Storage(e) => e.into(),
            ExportError::Audit(e) => e.into(),
        }
    }
}

impl From<crate::notify::NotifyError> for ApiError {
    fn from(err: crate::notify::NotifyError) -> Self {
        use crate::notify::NotifyError;
        match err {
            NotifyError::EndpointNotFound => Self::NotFound {
                entity: "webhook endpoint",
            },
            NotifyError::DeliveryNotFound => Self::NotFound {
                entity: "notification",
            },
            NotifyError::UserNotFound => Self::NotFound { entity: "user" },
            NotifyError::StillPending => Self::Conflict {
                code: "NOTIFICATION_PENDING",
                detail: err.to_string(),
            },
            NotifyError::TooManyEndpoints { max } => Self::ConflictWith {
                code: "WEBHOOK_LIMIT",
                detail: err.to_string(),
                meta: Map::from_iter([("max".to_owned(), json!(max))]),
            },
            NotifyError::Target(e) => Self::validation("url", e.to_string()),
            NotifyError::Invalid { field, reason } => Self::validation(field, reason),
            NotifyError::Storage(e) => e.into(),
        }
    }
}

impl From<crate::analytics::pay::PayFiguresError> for ApiError {
    fn from(err: crate::analytics::pay::PayFiguresError) -> Self {
        match err {
            crate::analytics::pay::PayFiguresError::Storage(e) => e.into(),
            other => Self::internal(other),
        }
    }
}

impl From<PayrollError> for ApiError {
    fn from(err: PayrollError) -> Self {
        match err {
            PayrollError::NotFound => Self::NotFound {
                entity: "payroll run",
            },
            PayrollError::PeriodNotClosed { ref period } => Self::ConflictWith {
                code: "PERIOD_NOT_CLOSED",
                detail: err.to_string(),
                meta: Map::from_iter([("period".to_owned(), json!(period))]),
            },
            PayrollError::Busy => Self::Conflict {
                code: "PAYROLL_BUSY",
                detail: err.to_string(),
            },
            PayrollError::Period(e) => e.into(),
            PayrollError::Plugin(e) => e.into(),
            PayrollError::Unreadable(cause) => Self::Internal(cause),
            PayrollError::Storage(e) => e.into(),
            PayrollError::Audit(e) => e.into(),
        }
    }
}

impl From<TimesheetError> for ApiError {
    fn from(err: TimesheetError) -> Self {
        let conflict = |code: &'static str, err: &TimesheetError| Self::Conflict {
            code,
            detail: err.to_string(),
        };
        match err {
            TimesheetError::NotFound => Self::NotFound {
                entity: "timesheet",
            },
            TimesheetError::Invalid { field, reason } => Self::validation(field, reason),
            TimesheetError::NotYours(why) => {
                tracing::info!(why, "timesheet refused to a technician");
                Self::Forbidden
            }
            TimesheetError::AssignmentDeclined => conflict("ASSIGNMENT_DECLINED", &err),
            TimesheetError::NotStarted { .. } => conflict("TIMESHEET_TOO_EARLY", &err),
            TimesheetError::WrongState { state, .. } => Self::ConflictWith {
                code: "TIMESHEET_STATE",
                detail: err.to_string(),
                meta: Map::from_iter([("state".to_owned(), json!(state))]),
            },
            TimesheetError::AlreadyRecorded => conflict("TIMESHEET_EXISTS", &err),
            TimesheetError::Overlap => conflict("TIMESHEET_OVERLAP", &err),
            TimesheetError::PeriodClosed { ref period } => Self::ConflictWith {
                code: "PERIOD_CLOSED",
                detail: err.to_string(),
                meta: Map::from_iter([("period".to_owned(), json!(period))]),
            },
            TimesheetError::PeriodNotReady {
                ref period,
                drafts,
                submitted,
                ref pending,
            } => Self::ConflictWith {
                code: "PERIOD_NOT_READY",
                detail: err.to_string(),
                meta: Map::from_iter([
                    ("period".to_owned(), json!(period)),
                    ("drafts".to_owned(), json!(drafts)),
                    ("submitted".to_owned(), json!(submitted)),
                    ("pending_timesheet_ids".to_owned(), json!(pending)),
                ]),
            },
            TimesheetError::PeriodAlreadyClosed { .. } => conflict("PERIOD_ALREADY_CLOSED", &err),
            TimesheetError::PeriodNotClosed { .. } => conflict("PERIOD_NOT_CLOSED", &err),
            TimesheetError::Busy => conflict("TIMESHEET_BUSY", &err),
            TimesheetError::Storage(e) => e.into(),
            TimesheetError::Audit(e) => e.into(),
        }
    }
}

impl From<PlanningError> for ApiError {
    fn from(err: PlanningError) -> Self {
        match err {
            PlanningError::UnknownTechnician | PlanningError::InactiveTechnician { .. } => {
                Self::validation("technician_id", err.to_string())
            }
            PlanningError::AlreadyAssigned {
                assignment,
                mission,
                ..
            } => Self::AlreadyAssigned {
                detail: err.to_string(),
                assignment,
                mission,
            },
            PlanningError::UnknownNeed => Self::validation("need_id", err.to_string()),
            PlanningError::UnknownAssignment => Self::NotFound {
                entity: "assignment",
            },
            PlanningError::MissionCancelled { .. } => Self::Conflict {
                code: "MISSION_CANCELLED",
                detail: err.to_string(),
            },
            PlanningError::NeedFull { .. } => Self::Conflict {
                code: "NEED_FULL",
                detail: err.to_string(),
            },
            PlanningError::NothingToPlan { missions } => Self::validation(
                if missions { "mission_ids" } else { "from" },
                err.to_string(),
            ),
            PlanningError::ScheduleBusy => Self::Conflict {
                code: "SCHEDULE_BUSY",
                detail: err.to_string(),
            },
            // Whether the caller may override is theirs to know: see `rules_violation`.
            PlanningError::RulesViolation { .. } => rules_violation(err, false),
            // A move has no override: the planner unassigns first.
            PlanningError::ChangeViolatesRules {
                ref violations,
                ref warnings,
            } => Self::RulesViolation {
                detail: err.to_string(),
                violations: violations.clone(),
                warnings: warnings.clone(),
                can_override: false,
            },
            PlanningError::UnknownMission => Self::NotFound { entity: "mission" },
            PlanningError::UnknownNeedOfMission => Self::NotFound { entity: "need" },
            PlanningError::MissionEdited => Self::Conflict {
                code: "CONFLICT_STALE",
                detail: err.to_string(),
            },
            PlanningError::ChangedMeanwhile => Self::Conflict {
                code: "SCHEDULE_CHANGED",
                detail: err.to_string(),
            },
            PlanningError::BookedMeanwhile => Self::Conflict {
                code: "CONFLICT_TIME_OVERLAP",
                detail: err.to_string(),
            },
            PlanningError::Cancelled => Self::Conflict {
                code: "JOB_CANCELLED",
                detail: err.to_string(),
            },
            // The request was fine, the tenant's assigner was not; nothing was written.
            PlanningError::Assigner(ref e) => {
                let mut meta = Map::new();
                contract_meta(&mut meta, e);
                Self::PluginFailed {
                    code: e.code(),
                    detail: err.to_string(),
                    meta,
                }
            }
            PlanningError::Plugin(e) => e.into(),
            PlanningError::Storage(e) => e.into(),
            PlanningError::Audit(e) => e.into(),
            PlanningError::Internal(cause) => Self::Internal(cause),
        }
    }
}

/// 409 `RULES_VIOLATION` listing the violations, saying whether this caller may override
/// (the service does not know roles); any other error as [`From`] maps it.
pub fn rules_violation(err: PlanningError, can_override: bool) -> ApiError {
    match err {
        PlanningError::RulesViolation {
            ref violations,
            ref warnings,
        } => ApiError::RulesViolation {
            detail: err.to_string(),
            violations: violations.clone(),
            warnings: warnings.clone(),
            can_override,
        },
        other => other.into(),
    }
}

impl From<AuditError> for ApiError {
    fn from(err: AuditError) -> Self {
        Self::internal(err)
    }
}

impl From<ReplayError> for ApiError {
    fn from(err: ReplayError) -> Self {
        match err {
            ReplayError::NotFound => Self::NotFound { entity: "run" },
            ReplayError::Unreadable(_) => Self::Conflict {
                code: "AUDIT_PAYLOAD_UNREADABLE",
                detail: err.to_string(),
            },
            ReplayError::Storage(e) => e.into(),
        }
    }
}

impl From<JobError> for ApiError {
    fn from(err: JobError) -> Self {
        match err {
            JobError::Storage(e) => e.into(),
            JobError::Request(e) => Self::internal(e),
        }
    }
}

/// A background job records the failure the API would have answered.
impl From<ApiError> for JobFailure {
    fn from(err: ApiError) -> Self {
        JobFailure {
            code: err.code(),
            detail: err.to_string(),
        }
    }
}

impl From<(&'static str, InvalidValue)> for ApiError {
    fn from((field, err): (&'static str, InvalidValue)) -> Self {
        Self::validation(field, err.reason)
    }
}

/// The error responses every authenticated route can give, for
/// `#[utoipa::path(responses(..., ErrorResponses))]`; routes add their specific ones.
#[derive(Debug)]
pub struct ErrorResponses;

impl utoipa::IntoResponses for ErrorResponses {
    fn responses() -> std::collections::BTreeMap<
        String,
        utoipa::openapi::RefOr<utoipa::openapi::response::Response>,
    > {
        use utoipa::openapi::response::ResponseBuilder;
        use utoipa::openapi::{ContentBuilder, Ref};
        [
            ("401", "Missing, invalid, expired or revoked credentials (`AUTH_INVALID`)"),
            ("403", "The caller's role does not allow this (`AUTH_FORBIDDEN`)"),
            ("413", "The body exceeds the size limit (`PAYLOAD_TOO_LARGE`)"),
            ("422", "A field is missing, malformed, unknown or out of range (`VALIDATION_ERR`, `meta.field` names it)"),
            ("500", "Unexpected failure (`INTERNAL_ERR`); the log holds the cause under `meta.request_id`"),
        ]
        .into_iter()
        .map(|(status, description)| {
            let response = ResponseBuilder::new()
                .description(description)
                .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
                .build();
            (status.to_owned(), response.into())
        })
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_its_status_and_code() {
        let cases: Vec<(ApiError, u16, &str)> = vec![
            (ApiError::Unauthenticated("x"), 401, "AUTH_INVALID"),
            (ApiError::Forbidden, 403, "AUTH_FORBIDDEN"),
            (ApiError::validation("email", "bad"), 422, "VALIDATION_ERR"),
            (
                ApiError::NotFound { entity: "user" },
                404,
                "ENTITY_NOT_FOUND",
            ),
            (
                ApiError::Duplicate { field: "email" },
                409,
                "CONFLICT_DUPLICATE",
            ),
            (
                ApiError::Conflict {
                    code: "SELF_LOCKOUT",
                    detail: "x".into(),
                },
                409,
                "SELF_LOCKOUT",
            ),
            (
                ApiError::RateLimited {
                    retry_after: Duration::from_millis(1500),
                },
                429,
                "RATE_LIMITED",
            ),
            (ApiError::MethodNotAllowed, 405, "METHOD_NOT_ALLOWED"),
            (
                ApiError::PayloadTooLarge {
                    limit_bytes: Some(10),
                },
                413,
                "PAYLOAD_TOO_LARGE",
            ),
            (ApiError::Timeout, 503, "TIMEOUT"),
            (ApiError::Status(StatusCode::BAD_REQUEST), 400, "HTTP_ERROR"),
            (
                ApiError::UnsupportedMediaType {
                    expected: "application/json",
                },
                415,
                "UNSUPPORTED_MEDIA_TYPE",
            ),
            (
                ApiError::Unavailable("db".into()),
                503,
                "SERVICE_UNAVAILABLE",
            ),
            (ApiError::internal("boom"), 500, "INTERNAL_ERR"),
        ];
        for (err, status, code) in cases {
            assert_eq!(
                (err.status().as_u16(), err.code()),
                (status, code),
                "{err:?}"
            );
        }
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        assert_eq!(
            ApiError::internal("password=hunter2").to_string(),
            "internal error"
        );
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_seconds(Duration::from_secs(3)), 3);
    }

    #[test]
    fn run_time_failures_are_502_with_the_runtime_code_and_refusals_422() {
        let fuel = callsheet_runtime::Error::FuelExhausted { budget: 1 };
        let api: ApiError = TenantPluginError::Plugin(fuel.clone()).into();
        assert_eq!(
            (api.status().as_u16(), api.code()),
            (502, "PLUGIN_FUEL_EXHAUSTED")
        );
        let api: ApiError = TenantPluginError::Refused {
            slot: callsheet_runtime::Slot::Rules,
            stage: "conformance",
            cause: Cause::Runtime(fuel),
        }
        .into();
        assert_eq!(
            (api.status().as_u16(), api.code()),
            (422, "PLUGIN_FUEL_EXHAUSTED")
        );
        let api: ApiError = TenantPluginError::ParamsInvalid { errors: vec![] }.into();
        assert_eq!(
            (api.status().as_u16(), api.code()),
            (422, "PLUGIN_PARAMS_INVALID")
        );
        let api: ApiError =
            TenantPluginError::NothingToRollBack(callsheet_runtime::Slot::Payroll).into();
        assert_eq!(
            (api.status().as_u16(), api.code()),
            (409, "NOTHING_TO_ROLL_BACK")
        );
    }

    #[test]
    fn a_broken_planner_contract_is_502_naming_the_breach_never_500() {
        let breach = callsheet_engine::Breach {
            need_id: "n1".into(),
            technician_id: Some("t1".into()),
            kind: callsheet_engine::BreachKind::EmptyWindow {
                window: callsheet_runtime::types::Window { start: 5, end: 5 },
            },
        };
        let api: ApiError = PlanningError::from(EngineError::Contract(breach.clone())).into();
        assert_eq!(
            (api.status().as_u16(), api.code()),
            (502, "ENGINE_CONTRACT_BROKEN")
        );
        assert_eq!(
            api.meta()["breach"],
            json!({"code": "empty-window", "need": "n1", "technician": "t1"})
        );
        assert!(api.to_string().contains("need n1, technician t1"), "{api}");
        // At activation, the conformance run refuses the plugin with the same breach.
        let api: ApiError = TenantPluginError::Refused {
            slot: callsheet_runtime::Slot::Assigner,
            stage: "conformance",
            cause: Cause::Engine(EngineError::Contract(breach)),
        }
        .into();
        assert_eq!(
            (api.status().as_u16(), api.code()),
            (422, "ENGINE_CONTRACT_BROKEN")
        );
        assert_eq!(api.meta()["breach"]["code"], "empty-window");
    }
}

//! Exports: `/exports/timesheets`, `/exports/payroll/{id}`, `/exports/technicians`. Each
//! answers a CSV file with its sha256 (`ETag`, `Repr-Digest`, `X-Content-SHA256`) and its
//! generation time (`X-Generated-At`), and is recorded in the audit chain.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::IntoResponse;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody, ErrorResponses};
use super::extract::{Allowed, ValidPath, ValidQuery};
use super::timesheets::scope;
use crate::domain::time::{DateBound, filter_window, local};
use crate::domain::{PayPeriod, PayrollRunId, Role, TimeZone, TimesheetState};
use crate::exports::{self, Export, csv_files};
use crate::rbac::{ExportCrew, ReadPayroll, ReadTimesheets};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export_timesheets))
        .routes(routes!(export_payroll))
        .routes(routes!(export_technicians))
}

/// How a file is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Delivery {
    /// A download (`attachment`), never stored by caches: each one is an audited issue.
    Download,
    /// A calendar feed (`inline`), revalidated by its `ETag`.
    Feed,
}

/// The file with its checksum and generation headers.
pub(super) fn file(export: Export, tz: TimeZone, delivery: Delivery) -> impl IntoResponse {
    let mut headers = HeaderMap::new();
    let value = |s: String| HeaderValue::from_str(&s).unwrap_or(HeaderValue::from_static(""));
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(export.content_type),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        value(format!(
            "{}; filename=\"{}\"",
            if delivery == Delivery::Feed {
                "inline"
            } else {
                "attachment"
            },
            export.filename
        )),
    );
    headers.insert(header::ETAG, value(format!("\"{}\"", export.sha256)));
    let digest = hex::decode(&export.sha256).unwrap_or_default();
    headers.insert(
        HeaderName::from_static("repr-digest"),
        value(format!(
            "sha-256=:{}:",
            base64::engine::general_purpose::STANDARD.encode(digest)
        )),
    );
    headers.insert(
        HeaderName::from_static("x-content-sha256"),
        value(export.sha256.clone()),
    );
    headers.insert(
        HeaderName::from_static("x-generated-at"),
        value(local(export.generated_at, tz).to_rfc3339()),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(match delivery {
            Delivery::Download => "private, no-store",
            Delivery::Feed => "private, no-cache",
        }),
    );
    (headers, export.bytes)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct TimesheetsQuery {
    /// A pay period: `2026-07` (or `2026-W27` for a tenant paying by week). Or `from` and
    /// `to`.
    #[param(example = "2026-07")]
    period: Option<String>,
    #[param(value_type = Option<String>, example = "2026-07-01")]
    from: Option<DateBound>,
    /// Inclusive; at most 366 days after `from`.
    #[param(value_type = Option<String>, example = "2026-07-31")]
    to: Option<DateBound>,
    state: Option<TimesheetState>,
}

/// Timesheets as CSV (a technician: their own), by start.
///
/// Columns: `timesheet_id, technician_id, technician_name, mission_id, mission_title,
/// assignment_id, state, period, start, end, break_seconds, worked_seconds, worked_hours,
/// cachets, planned_start, planned_end, note, reason`.
#[utoipa::path(
    get,
    path = "/exports/timesheets",
    tag = "exports",
    params(TimesheetsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, content_type = "text/csv", body = String, description = "The file; `ETag` and `X-Content-SHA256` carry its sha256 (hex), `Repr-Digest` its sha256 (RFC 9530), `X-Generated-At` when it was made"),
        ErrorResponses,
    )
)]
async fn export_timesheets(
    State(state): State<AppState>,
    allowed: Allowed<ReadTimesheets>,
    ValidQuery(query): ValidQuery<TimesheetsQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let caller = allowed.caller;
    let tz = caller.time_zone;
    let (window, label) = match (&query.period, query.from, query.to) {
        (Some(p), None, None) => {
            let (_, kind) = state.storage.timesheet_clock(caller.tenant).await?;
            let period =
                PayPeriod::parse(p, kind).map_err(|e| ApiError::validation("period", e.reason))?;
            (period.window(tz), period.label())
        }
        (None, Some(from), Some(to)) => {
            let window = filter_window(Some(from), Some(to), tz)
                .map_err(|e| ApiError::validation("to", e.reason))?
                .expect("both bounds");
            let label = format!(
                "{}_{}",
                crate::domain::time::local_date(window.start(), tz),
                crate::domain::time::local_date(window.end() - chrono::Duration::seconds(1), tz)
            );
            (window, label)
        }
        _ => {
            return Err(ApiError::validation(
                "period",
                "give either `period` or both `from` and `to`",
            ));
        }
    };
    let export = csv_files::timesheets(
        &state.storage,
        caller.tenant,
        tz,
        scope(&caller),
        window,
        query.state,
        &label,
    )
    .await?;
    let parameters = json!({"period": query.period, "from": window.start(), "to": window.end(), "state": query.state});
    exports::record(
        &state.storage,
        caller.tenant,
        caller.user,
        "timesheets",
        parameters,
        &export,
    )
    .await?;
    Ok(file(export, caller.time_zone, Delivery::Download))
}

/// A payroll run's lines as CSV (a technician: their own), by technician then line.
///
/// Columns: `run_id, period, technician_id, technician_name, code, label, quantity, unit,
/// rate_cents, rate, amount_cents, amount, formula`.
#[utoipa::path(
    get,
    path = "/exports/payroll/{id}",
    tag = "exports",
    params(("id" = PayrollRunId, Path, description = "The payroll run's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, content_type = "text/csv", body = String, description = "The file, with the checksum headers of every export"),
        (status = 404, description = "No such run in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn export_payroll(
    State(state): State<AppState>,
    allowed: Allowed<ReadPayroll>,
    ValidPath(id): ValidPath<PayrollRunId>,
) -> Result<impl IntoResponse, ApiError> {
    let caller = allowed.caller;
    let only = (caller.role == Role::Tech).then_some(caller.technician);
    let export = csv_files::payroll(&state, caller.tenant, id, only).await?;
    exports::record(
        &state.storage,
        caller.tenant,
        caller.user,
        "payroll",
        json!({"run_id": id}),
        &export,
    )
    .await?;
    Ok(file(export, caller.time_zone, Delivery::Download))
}

/// The crew as CSV, by name: contacts, skills, contract and rates.
///
/// Columns: `technician_id, name, email, phone, skills, contract_kind, hourly_rate_cents,
/// hourly_rate, cachet_rate_cents, cachet_rate, active`.
#[utoipa::path(
    get,
    path = "/exports/technicians",
    tag = "exports",
    security(("bearer" = [])),
    responses(
        (status = 200, content_type = "text/csv", body = String, description = "The file, with the checksum headers of every export"),
        ErrorResponses,
    )
)]
async fn export_technicians(
    State(state): State<AppState>,
    allowed: Allowed<ExportCrew>,
) -> Result<impl IntoResponse, ApiError> {
    let caller = allowed.caller;
    let export = csv_files::technicians(&state.storage, caller.tenant).await?;
    exports::record(
        &state.storage,
        caller.tenant,
        caller.user,
        "technicians",
        json!({}),
        &export,
    )
    .await?;
    Ok(file(export, caller.time_zone, Delivery::Download))
}

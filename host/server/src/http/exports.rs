//! Exports: `/exports/timesheets`, `/exports/payroll/{id}`, `/exports/technicians`,
//! `/exports/plan`. Each answers a CSV file with its sha256 (`ETag`, `Repr-Digest`,
//! `X-Content-SHA256`) and its generation time (`X-Generated-At`), and is recorded in the
//! audit chain.
//!
//! Large exports run as jobs (`crate::exports::background`): a planner who sends
//! `Prefer: respond-async` (RFC 7240), or asks for more than [`SYNC_DAYS`] of timesheets
//! or plan, gets 202 and the job to poll; the job's result says where to download the
//! file (`/exports/files/{job}`), with the same headers. Callers who cannot poll jobs
//! (technicians, viewers) always get the file itself: a preference, not an order.

use std::future::Future;

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody, ErrorResponses};
use super::extract::{Allowed, Caller, ValidPath, ValidQuery};
use super::jobs::JobView;
use super::timesheets::scope;
use crate::domain::time::{DateBound, Window, filter_window, local, local_date};
use crate::domain::{JobId, PayPeriod, PayrollRunId, Role, TimeZone, TimesheetState};
use crate::exports::{self, Export, background, csv_files};
use crate::jobs::JobFailure;
use crate::rbac::{self, Action, ExportCrew, ReadJobs, ReadPayroll, ReadTimesheets, Resource};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export_timesheets))
        .routes(routes!(export_payroll))
        .routes(routes!(export_technicians))
        .routes(routes!(export_plan))
        .routes(routes!(export_file))
}

/// Ranges of timesheets or plan longer than this are made by a job.
pub const SYNC_DAYS: i64 = 92;

/// Whether the request carries `Prefer: respond-async`.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct PreferAsync(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for PreferAsync {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let wanted = parts
            .headers
            .get_all(HeaderName::from_static("prefer"))
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|p| {
                p.split(';')
                    .next()
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case("respond-async"))
            });
        Ok(Self(wanted))
    }
}

/// Answers the file `make` produces, recorded in the audit chain; or, when `background`
/// and the caller may poll jobs, 202 with the job that will make it.
pub(super) async fn deliver<F, Fut>(
    state: &AppState,
    caller: &Caller,
    background: bool,
    kind: &'static str,
    parameters: Value,
    make: F,
) -> Result<Response, ApiError>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = Result<Export, ApiError>> + Send + 'static,
{
    if background && rbac::allows(caller.role, Resource::Jobs, Action::Read) {
        let job = background::start(
            state,
            caller.tenant,
            caller.user,
            kind,
            parameters,
            move || async move { make().await.map_err(JobFailure::from) },
        )
        .await?;
        let location = format!("/api/v1/jobs/{}", job.id);
        return Ok((
            StatusCode::ACCEPTED,
            [(header::LOCATION, location)],
            Json(JobView::from(job)),
        )
            .into_response());
    }
    let export = make().await?;
    exports::record(
        &state.storage,
        caller.tenant,
        caller.user,
        kind,
        parameters,
        &export,
    )
    .await?;
    Ok(file(export, caller.time_zone, Delivery::Download).into_response())
}

/// The file a background export made, for the user who asked it, until it expires.
#[utoipa::path(
    get,
    path = "/exports/files/{job}",
    tag = "exports",
    params(("job" = JobId, Path, description = "The export job's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The file, with the checksum headers of every export"),
        (status = 404, description = "No such file: unknown job, not finished, expired (7 days), or asked by someone else (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn export_file(
    State(state): State<AppState>,
    allowed: Allowed<ReadJobs>,
    ValidPath(job): ValidPath<JobId>,
) -> Result<impl IntoResponse, ApiError> {
    let caller = allowed.caller;
    let export = background::file(&state.storage, caller.tenant, caller.user, job)
        .await?
        .ok_or(ApiError::NotFound {
            entity: "export file",
        })?;
    Ok(file(export, caller.time_zone, Delivery::Download))
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
    let kind = if delivery == Delivery::Feed {
        "inline"
    } else {
        "attachment"
    };
    headers.insert(
        header::CONTENT_DISPOSITION,
        value(disposition(kind, &export.filename)),
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

/// `Content-Disposition` for a file name (RFC 6266): the name as is when it is ASCII;
/// otherwise an ASCII stand-in (each other character as `_`) for old clients and the real
/// name, percent-encoded UTF-8, in `filename*`.
fn disposition(kind: &str, filename: &str) -> String {
    const ATTR_CHAR: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'!')
        .remove(b'#')
        .remove(b'$')
        .remove(b'&')
        .remove(b'+')
        .remove(b'-')
        .remove(b'.')
        .remove(b'^')
        .remove(b'_')
        .remove(b'`')
        .remove(b'|')
        .remove(b'~');
    let plain: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if plain == filename {
        return format!("{kind}; filename=\"{filename}\"");
    }
    let encoded = percent_encoding::utf8_percent_encode(filename, ATTR_CHAR);
    format!("{kind}; filename=\"{plain}\"; filename*=UTF-8''{encoded}")
}

/// A file name's range: `2026-07-01_2026-07-31` (first and last local day).
fn range_label(window: Window, tz: TimeZone) -> String {
    format!(
        "{}_{}",
        local_date(window.start(), tz),
        local_date(window.end() - chrono::Duration::seconds(1), tz)
    )
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
        (status = 202, description = "A large export (or `Prefer: respond-async` from a planner), started as a job; its result names the file to download", body = JobView, headers(("Location" = String, description = "The job's URL"))),
        ErrorResponses,
    )
)]
async fn export_timesheets(
    State(state): State<AppState>,
    allowed: Allowed<ReadTimesheets>,
    prefer: PreferAsync,
    ValidQuery(query): ValidQuery<TimesheetsQuery>,
) -> Result<Response, ApiError> {
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
            (window, range_label(window, tz))
        }
        _ => {
            return Err(ApiError::validation(
                "period",
                "give either `period` or both `from` and `to`",
            ));
        }
    };
    let days = bounded(window)?;
    let parameters = json!({"period": query.period, "from": window.start(), "to": window.end(), "state": query.state});
    let storage = state.storage.clone();
    let (tenant, who) = (caller.tenant, scope(&caller));
    deliver(
        &state,
        &caller,
        prefer.0 || days > SYNC_DAYS,
        "timesheets",
        parameters,
        move || async move {
            Ok(
                csv_files::timesheets(&storage, tenant, tz, who, window, query.state, &label)
                    .await?,
            )
        },
    )
    .await
}

/// The range's length in days, refused past [`csv_files::MAX_DAYS`].
fn bounded(window: Window) -> Result<i64, ApiError> {
    let days = (window.seconds() + 86_399) / 86_400;
    if days > csv_files::MAX_DAYS {
        return Err(ApiError::validation(
            "to",
            format!("an export covers at most {} days", csv_files::MAX_DAYS),
        ));
    }
    Ok(days)
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
        (status = 202, description = "A large export (or `Prefer: respond-async` from a planner), started as a job; its result names the file to download", body = JobView, headers(("Location" = String, description = "The job's URL"))),
        (status = 404, description = "No such run in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn export_payroll(
    State(state): State<AppState>,
    allowed: Allowed<ReadPayroll>,
    prefer: PreferAsync,
    ValidPath(id): ValidPath<PayrollRunId>,
) -> Result<Response, ApiError> {
    let caller = allowed.caller;
    let only = (caller.role == Role::Tech).then_some(caller.technician);
    let (task_state, tenant) = (state.clone(), caller.tenant);
    deliver(
        &state,
        &caller,
        prefer.0,
        "payroll",
        json!({"run_id": id}),
        move || async move { Ok(csv_files::payroll(&task_state, tenant, id, only).await?) },
    )
    .await
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
        (status = 202, description = "A large export (or `Prefer: respond-async` from a planner), started as a job; its result names the file to download", body = JobView, headers(("Location" = String, description = "The job's URL"))),
        ErrorResponses,
    )
)]
async fn export_technicians(
    State(state): State<AppState>,
    allowed: Allowed<ExportCrew>,
    prefer: PreferAsync,
) -> Result<Response, ApiError> {
    let caller = allowed.caller;
    let (storage, tenant) = (state.storage.clone(), caller.tenant);
    deliver(
        &state,
        &caller,
        prefer.0,
        "technicians",
        json!({}),
        move || async move { Ok(csv_files::technicians(&storage, tenant).await?) },
    )
    .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct PlanQuery {
    #[param(value_type = String, example = "2026-07-01")]
    from: DateBound,
    /// Inclusive; at most 366 days after `from`.
    #[param(value_type = String, example = "2026-07-31")]
    to: DateBound,
}

/// The plan of a range as CSV: its missions, their needs and their crew.
///
/// One row per assignment (every status) by mission start, need position, assignment
/// start; a need nobody is on yet gives one row with empty assignment columns. Columns:
/// `mission_id, mission_title, mission_status, venue, room, mission_start, mission_end,
/// need_id, need_position, skill, min_crew, max_crew, need_start, need_end, assignment_id,
/// technician_id, technician_name, assignment_status, pinned, source, assignment_start,
/// assignment_end`.
#[utoipa::path(
    get,
    path = "/exports/plan",
    tag = "exports",
    params(PlanQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, content_type = "text/csv", body = String, description = "The file, with the checksum headers of every export"),
        (status = 202, description = "A large export (or `Prefer: respond-async` from a planner), started as a job; its result names the file to download", body = JobView, headers(("Location" = String, description = "The job's URL"))),
        ErrorResponses,
    )
)]
async fn export_plan(
    State(state): State<AppState>,
    allowed: Allowed<ExportCrew>,
    prefer: PreferAsync,
    ValidQuery(query): ValidQuery<PlanQuery>,
) -> Result<Response, ApiError> {
    let caller = allowed.caller;
    let tz = caller.time_zone;
    let window = filter_window(Some(query.from), Some(query.to), tz)
        .map_err(|e| ApiError::validation("to", e.reason))?
        .expect("both bounds");
    let days = bounded(window)?;
    let (storage, tenant) = (state.storage.clone(), caller.tenant);
    deliver(
        &state,
        &caller,
        prefer.0 || days > SYNC_DAYS,
        "plan",
        json!({"from": window.start(), "to": window.end()}),
        move || async move {
            let label = range_label(window, tz);
            Ok(csv_files::plan(&storage, tenant, tz, window, &label).await?)
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::disposition;

    #[test]
    fn a_file_name_beyond_ascii_gets_a_stand_in_and_its_encoded_form() {
        assert_eq!(
            disposition("attachment", "plan-2026-07.csv"),
            "attachment; filename=\"plan-2026-07.csv\""
        );
        assert_eq!(
            disposition("inline", "zénith.ics"),
            "inline; filename=\"z_nith.ics\"; filename*=UTF-8''z%C3%A9nith.ics"
        );
    }
}

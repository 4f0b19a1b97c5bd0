//! Payroll runs: `/payroll/runs`. A planner pays a closed pay period with the tenant's
//! payroll plugin; everyone reads runs, a technician only their own payslip in them; an
//! auditor replays a run.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use callsheet_runtime::types::{Figure, PayLine, Payslip};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody, ErrorResponses};
use super::extract::{Allowed, Caller, ValidJson, ValidPath, ValidQuery};
use crate::domain::time::local;
use crate::domain::{Page, PageRequest, PayrollRunId, Role, TechnicianId, TimeZone, UserId};
use crate::payroll::runs::{self, Eligibility, PayrollReplay, Recorded};
use crate::rbac::{ReadAudit, ReadPayroll, RunPayroll};
use crate::state::AppState;
use crate::storage::payroll::PayrollRun;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_runs, start_run))
        .routes(routes!(get_run))
        .routes(routes!(replay_run))
}

/// The plugin that computed a run.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PluginView {
    pub name: String,
    pub version: String,
    pub sha256: String,
}

/// A figure behind a pay line or a payslip, with its unit.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FigureView {
    pub name: String,
    pub value: i64,
    /// `s`, `cents`, `cents/h`, `bp`, `count`, `cachet`...
    pub unit: String,
}

/// One line of a payslip.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PayLineView {
    /// `base`, `overtime-25`, `overtime-50`, `night`, `sunday`, `holiday`, `labour-day`,
    /// `cachet` (the plugin's codes).
    #[schema(example = "overtime-25")]
    pub code: String,
    #[schema(example = "Heures supplémentaires 25 %")]
    pub label: String,
    /// Thousandths of `unit`: 9 h 30 is 9500.
    pub quantity_milli: i64,
    pub unit: String,
    /// Cents per unit.
    pub rate_cents: i64,
    pub amount_cents: i64,
    /// The formula with its numbers, for the payslip and the auditor.
    pub formula: String,
    pub figures: Vec<FigureView>,
    /// The timesheets it pays.
    pub timesheet_ids: Vec<String>,
}

/// One technician's payslip.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PayslipView {
    pub technician_id: String,
    pub gross_cents: i64,
    pub lines: Vec<PayLineView>,
    /// Totals: `worked` (s), `eligibility-hours`...
    pub figures: Vec<FigureView>,
}

fn figures(f: &[Figure]) -> Vec<FigureView> {
    f.iter()
        .map(|f| FigureView {
            name: f.name.clone(),
            value: f.value,
            unit: f.unit.clone(),
        })
        .collect()
}

impl From<&Payslip> for PayslipView {
    fn from(p: &Payslip) -> Self {
        let line = |l: &PayLine| PayLineView {
            code: l.code.clone(),
            label: l.label.clone(),
            quantity_milli: l.quantity_milli,
            unit: l.unit.clone(),
            rate_cents: l.rate,
            amount_cents: l.amount,
            formula: l.formula.clone(),
            figures: figures(&l.figures),
            timesheet_ids: l.worked_ids.clone(),
        };
        Self {
            technician_id: p.technician_id.clone(),
            gross_cents: p.gross,
            lines: p.lines.iter().map(line).collect(),
            figures: figures(&p.figures),
        }
    }
}

/// A payroll run. For a technician (role `tech`), only their own payslip, eligibility and
/// totals.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PayrollRunView {
    pub id: PayrollRunId,
    #[schema(example = "2026-07")]
    pub period: String,
    /// In the tenant's time zone.
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub plugin_sha256: String,
    pub inputs_sha256: String,
    /// The same inputs, plugin and parameters give the same value.
    pub result_sha256: String,
    pub technicians: i64,
    pub gross_cents: i64,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<FixedOffset>,
    /// Present on a single run (`GET /payroll/runs/{id}`, `POST /payroll/runs`).
    pub details: Option<RunDetails>,
}

/// What a single run shows beyond its summary.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RunDetails {
    pub plugin: PluginView,
    /// The digest of the period's approved timesheets, as its close recorded it.
    pub approved_digest: String,
    pub fuel_used: u64,
    pub payslips: Vec<PayslipView>,
    /// Hours of the 12 months up to the period's end towards the 507 of the
    /// intermittents' unemployment rights.
    pub eligibility: Vec<Eligibility>,
}

/// The technician whose pay a caller may see: `None` for everyone's.
fn own(caller: &Caller) -> Option<Option<TechnicianId>> {
    (caller.role == Role::Tech).then_some(caller.technician)
}

impl PayrollRunView {
    fn summary(run: PayrollRun, tz: TimeZone) -> Self {
        Self {
            id: run.id,
            period: run.period,
            start: local(run.period_start, tz),
            end: local(run.period_end, tz),
            plugin_sha256: run.plugin_sha256,
            inputs_sha256: run.inputs_sha256,
            result_sha256: run.result_sha256,
            technicians: run.technicians,
            gross_cents: run.gross_cents,
            created_by: run.created_by,
            created_at: local(run.created_at, tz),
            details: None,
        }
    }

    fn full(recorded: Recorded, tz: TimeZone, only: Option<Option<TechnicianId>>) -> Self {
        let Recorded { run, record } = recorded;
        let mine = |id: &str| match only {
            None => true,
            Some(own) => own.is_some_and(|t| t.to_string() == id),
        };
        let payslips: Vec<PayslipView> = record
            .payslips
            .iter()
            .filter(|p| mine(&p.technician_id))
            .map(PayslipView::from)
            .collect();
        let mut view = Self::summary(run, tz);
        if only.is_some() {
            view.technicians = i64::try_from(payslips.len()).unwrap_or(0);
            view.gross_cents = payslips.iter().map(|p| p.gross_cents).sum();
        }
        view.details = Some(RunDetails {
            plugin: PluginView {
                name: record.plugin.identity.name,
                version: record.plugin.identity.version,
                sha256: record.plugin.identity.sha256,
            },
            approved_digest: record.approved_digest,
            fuel_used: record.fuel_used,
            payslips,
            eligibility: record
                .eligibility
                .into_iter()
                .filter(|e| mine(&e.technician_id.to_string()))
                .collect(),
        });
        view
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct StartRun {
    /// A closed pay period: `2026-07`, or `2026-W27` for a tenant paying by week.
    #[schema(example = "2026-07")]
    period: String,
}

/// Pays a closed pay period with the tenant's payroll plugin: one payslip per technician
/// with approved time starting in it, recorded with its inputs and in the audit chain.
#[utoipa::path(
    post,
    path = "/payroll/runs",
    tag = "payroll",
    request_body = StartRun,
    security(("bearer" = [])),
    responses(
        (status = 201, body = PayrollRunView, headers(("Location" = String, description = "The run's URL"))),
        (status = 409, description = "`PERIOD_NOT_CLOSED`", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn start_run(
    State(state): State<AppState>,
    allowed: Allowed<RunPayroll>,
    ValidJson(body): ValidJson<StartRun>,
) -> Result<impl IntoResponse, ApiError> {
    let caller = allowed.caller;
    let recorded = runs::run(
        &state,
        caller.tenant,
        caller.time_zone,
        caller.user,
        &body.period,
    )
    .await?;
    // The pay figures read payroll runs (see `http::analytics::cached`).
    state.plan_cache.invalidate(caller.tenant).await;
    tracing::info!(run = %recorded.run.id, period = %recorded.run.period, gross = recorded.run.gross_cents, by = %caller.user, "payroll run");
    let location = format!("/api/v1/payroll/runs/{}", recorded.run.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(PayrollRunView::full(recorded, caller.time_zone, None)),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    #[param(minimum = 1)]
    page: Option<u32>,
    #[param(minimum = 1, maximum = 200)]
    size: Option<u32>,
    /// Only the runs of this period.
    #[param(example = "2026-07")]
    period: Option<String>,
}

/// Lists payroll runs, newest first (summaries: a run's payslips are at its own URL).
/// A technician sees the runs without their totals: their own pay is in each run.
#[utoipa::path(
    get,
    path = "/payroll/runs",
    tag = "payroll",
    params(ListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Page<PayrollRunView>), ErrorResponses)
)]
async fn list_runs(
    State(state): State<AppState>,
    allowed: Allowed<ReadPayroll>,
    ValidQuery(query): ValidQuery<ListQuery>,
) -> Result<Json<Page<PayrollRunView>>, ApiError> {
    let caller = allowed.caller;
    let page = PageRequest::new(query.page, query.size)?;
    let (items, total) = state
        .storage
        .list_payroll_runs(caller.tenant, query.period.as_deref(), page)
        .await?;
    let hide = own(&caller).is_some();
    Ok(Json(Page::new(items, total, page).map(|r| {
        let mut view = PayrollRunView::summary(r, caller.time_zone);
        if hide {
            // Others' pay is not a technician's to see, not even summed.
            view.technicians = 0;
            view.gross_cents = 0;
        }
        view
    })))
}

/// One payroll run with its payslips (a technician: their own only).
#[utoipa::path(
    get,
    path = "/payroll/runs/{id}",
    tag = "payroll",
    params(("id" = PayrollRunId, Path, description = "The run's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = PayrollRunView),
        (status = 404, description = "No such run in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn get_run(
    State(state): State<AppState>,
    allowed: Allowed<ReadPayroll>,
    ValidPath(id): ValidPath<PayrollRunId>,
) -> Result<Json<PayrollRunView>, ApiError> {
    let caller = allowed.caller;
    let recorded = runs::get(&state, caller.tenant, id).await?;
    Ok(Json(PayrollRunView::full(
        recorded,
        caller.time_zone,
        own(&caller),
    )))
}

/// Computes a run again from its record with the recorded plugin and parameters, and
/// compares the payslips byte for byte. Writes nothing.
#[utoipa::path(
    post,
    path = "/payroll/runs/{id}/replay",
    tag = "payroll",
    params(("id" = PayrollRunId, Path, description = "The run's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = PayrollReplay),
        (status = 404, description = "No such run in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn replay_run(
    State(state): State<AppState>,
    allowed: Allowed<ReadAudit>,
    ValidPath(id): ValidPath<PayrollRunId>,
) -> Result<Json<PayrollReplay>, ApiError> {
    Ok(Json(runs::replay(&state, allowed.caller.tenant, id).await?))
}

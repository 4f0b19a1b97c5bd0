//! The tenant's rule plugins: upload, validate, activate, roll back, parameters.
//!
//! Admins only. What each step checks, and the status and code of each refusal, are in
//! `tenant_plugins`; every change of a slot (activation, parameters, budget, rollback) is
//! appended to the slot's history and to the audit chain, and drops the plan cache.

use axum::Json;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use bytes::Bytes;
use callsheet_runtime::types::{Param, Params};
use callsheet_runtime::{RuntimeConfig, Slot};
use chrono::{DateTime, FixedOffset};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::error::{ApiError, ErrorBody, ErrorResponses};
use super::extract::{Allowed, Caller, ValidJson, ValidPath, ValidQuery};
use crate::domain::time::{DateBound, Window, local};
use crate::domain::{Page, PageRequest, PluginId, TimeZone, UserId};
use crate::plugins::{self, BudgetSetting, Conformance, ReportError, ValidationReport};
use crate::rbac::{CreatePlugins, ReadPlugins, UpdatePlugins};
use crate::state::AppState;
use crate::storage::{ActivationRecord, PluginRecord};

pub fn router() -> OpenApiRouter<AppState> {
    // An upload's body is a plugin binary: its limit is the runtime's binary limit, on
    // this route only (the JSON routes keep BODY_LIMIT_BYTES).
    let upload = OpenApiRouter::new()
        .routes(routes!(list_plugins, upload_plugin))
        .layer(DefaultBodyLimit::max(
            RuntimeConfig::default().max_binary_bytes,
        ));
    OpenApiRouter::new()
        .merge(upload)
        .routes(routes!(active_plugins))
        .routes(routes!(get_plugin))
        .routes(routes!(validate_plugin))
        .routes(routes!(activate_plugin))
        .routes(routes!(set_params))
        .routes(routes!(rollback))
        .routes(routes!(history))
}

/// A plugin slot: the WIT world a plugin implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SlotName {
    /// Evaluates schedules and plans against the tenant's rules.
    Rules,
    /// Builds plans, scored on the tenant's rules.
    Assigner,
    /// Computes payslips.
    Payroll,
}

impl From<SlotName> for Slot {
    fn from(s: SlotName) -> Self {
        match s {
            SlotName::Rules => Slot::Rules,
            SlotName::Assigner => Slot::Assigner,
            SlotName::Payroll => Slot::Payroll,
        }
    }
}

impl From<Slot> for SlotName {
    fn from(s: Slot) -> Self {
        match s {
            Slot::Rules => SlotName::Rules,
            Slot::Assigner => SlotName::Assigner,
            Slot::Payroll => SlotName::Payroll,
        }
    }
}

fn parse_slot(raw: &str) -> Result<Slot, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::validation(
            "slot",
            format!("`{raw}` is not a slot (rules, assigner, payroll)"),
        )
    })
}

/// A plugin as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PluginView {
    pub id: PluginId,
    pub slot: SlotName,
    pub name: String,
    pub version: String,
    /// sha256 of the bytes, lowercase hex: the identity every run records.
    pub sha256: String,
    /// Size of the binary, bytes.
    pub size: u64,
    /// What the plugin says of itself (`describe()`): description, rules, parameters with
    /// their units and defaults, look-back.
    #[schema(value_type = Object)]
    pub info: Value,
    /// One of the server's default plugins.
    pub builtin: bool,
    /// The active plugin of its slot.
    pub active: bool,
    /// `null` for a default plugin.
    pub uploaded_by: Option<UserId>,
    pub uploaded_at: DateTime<FixedOffset>,
    /// The last validation; `null` for a default plugin never validated here.
    pub validation: Option<ValidationView>,
}

impl PluginView {
    fn new(record: PluginRecord, tz: TimeZone) -> Result<Self, ApiError> {
        let slot = plugins::slot_of(&record)?;
        let info = serde_json::from_str(&record.info).map_err(ApiError::internal)?;
        let validation = record
            .validation
            .as_deref()
            .map(|v| {
                serde_json::from_str::<ValidationReport>(v).map(|r| ValidationView::new(r, tz))
            })
            .transpose()
            .map_err(ApiError::internal)?;
        Ok(Self {
            builtin: plugins::is_builtin(&record.sha256),
            id: record.id,
            slot: slot.into(),
            name: record.name,
            version: record.version,
            sha256: record.sha256,
            size: u64::try_from(record.size).unwrap_or_default(),
            info,
            active: record.active,
            uploaded_by: record.uploaded_by,
            uploaded_at: local(record.uploaded_at, tz),
            validation,
        })
    }
}

/// A validation report: checks passed, the conformance run on the sample problem with the
/// fuel each call used, and the error when it failed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ValidationView {
    pub ok: bool,
    pub checks: Vec<String>,
    pub conformance: Option<Conformance>,
    pub error: Option<ReportError>,
    /// Fuel of the whole conformance run.
    pub fuel_used: u64,
    /// `{fuel, timeout_ms}` it ran under.
    #[schema(value_type = Object)]
    pub budget: callsheet_engine::BudgetRecord,
    /// Parameters it ran with (`[]`: the plugin's defaults).
    #[schema(value_type = Vec<Object>)]
    pub params: Params,
    pub validated_at: DateTime<FixedOffset>,
}

impl ValidationView {
    fn new(r: ValidationReport, tz: TimeZone) -> Self {
        Self {
            ok: r.ok,
            checks: r.checks,
            conformance: r.conformance,
            error: r.error,
            fuel_used: r.fuel_used,
            budget: r.budget,
            params: r.params,
            validated_at: local(r.validated_at, tz),
        }
    }
}

/// The plugin an activation names.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PluginRef {
    pub id: PluginId,
    pub name: String,
    pub version: String,
    pub sha256: String,
}

/// A budget: as set (`null`: the runtime's default) and in effect.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BudgetView {
    /// Fuel per call as set; `null`: the default.
    pub fuel: Option<u64>,
    /// Wall-clock limit per call as set, milliseconds; `null`: the default.
    pub timeout_ms: Option<u64>,
    /// What calls actually get: `{fuel, timeout_ms}`.
    #[schema(value_type = Object)]
    pub effective: callsheet_engine::BudgetRecord,
}

/// One activation of a slot: which plugin, with which parameters and budget, since when.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ActivationView {
    pub id: Uuid,
    pub slot: SlotName,
    /// Position in the slot's history, from 1.
    pub seq: i64,
    /// `default` (given at tenant creation), `activate`, `params` (new parameters and/or
    /// budget), `rollback`.
    pub action: String,
    pub plugin: PluginRef,
    /// The parameters (`[]`: the plugin's defaults), in the contract's JSON form:
    /// `[{"name": "rest.daily.min", "value": {"Int": 39600}}]`.
    #[schema(value_type = Vec<Object>)]
    pub params: Params,
    pub budget: BudgetView,
    /// For a rollback: the position it re-applied.
    pub restores_seq: Option<i64>,
    /// `null` for the default activation.
    pub activated_by: Option<UserId>,
    pub activated_at: DateTime<FixedOffset>,
}

impl ActivationView {
    fn new(state: &AppState, a: ActivationRecord, tz: TimeZone) -> Result<Self, ApiError> {
        let (params, setting, effective) = plugins::configuration_of(&state.runtime, &a)?;
        let slot: Slot = a
            .slot
            .parse()
            .map_err(|_| ApiError::internal(format!("stored slot {:?}", a.slot)))?;
        Ok(Self {
            id: a.id,
            slot: slot.into(),
            seq: a.seq,
            action: a.action,
            plugin: PluginRef {
                id: a.plugin_id,
                name: a.plugin_name,
                version: a.plugin_version,
                sha256: a.plugin_sha256,
            },
            params,
            budget: BudgetView {
                fuel: setting.fuel,
                timeout_ms: setting.timeout_ms,
                effective,
            },
            restores_seq: a.restores_seq,
            activated_by: a.activated_by,
            activated_at: local(a.activated_at, tz),
        })
    }
}

/// The active configuration of each slot.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ActivePlugins {
    pub rules: ActivationView,
    pub assigner: ActivationView,
    pub payroll: ActivationView,
}

/// The raw bytes of a WebAssembly component.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)] // documents the request body only
struct WasmBody(Vec<u8>);

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct UploadQuery {
    /// The slot the plugin is for.
    slot: SlotName,
}

/// Uploads a plugin for a slot.
///
/// The body is the component's bytes (`Content-Type: application/wasm`, up to the
/// runtime's binary limit, 16 MiB). The server checks the size, compiles it, checks it
/// implements the slot's world and imports nothing else (no WASI), calls `describe()`,
/// then runs it on a sample problem under the slot's budget. Refused: 422 with the
/// runtime's code (`PLUGIN_INVALID`, or `PLUGIN_TRAP`, `PLUGIN_FUEL_EXHAUSTED`... when the
/// conformance run fails) and `meta.stage`, and nothing is stored. The same bytes uploaded
/// again for the same slot answer the existing plugin (200). Uploading does not activate.
#[utoipa::path(
    post,
    path = "/plugins",
    tag = "plugins",
    params(UploadQuery),
    request_body(content = WasmBody, content_type = "application/wasm"),
    security(("bearer" = [])),
    responses(
        (status = 201, body = PluginView, headers(("Location" = String, description = "The plugin's URL"))),
        (status = 200, description = "These bytes were already uploaded for this slot", body = PluginView),
        (status = 415, description = "The body is not declared as `application/wasm` (`UNSUPPORTED_MEDIA_TYPE`)", body = ErrorBody),
        (status = 422, description = "Refused: `PLUGIN_INVALID` (size, not a component, does not compile, wrong world, forbidden import, bad description) or the conformance run's code (`PLUGIN_TRAP`, `PLUGIN_FUEL_EXHAUSTED`, `PLUGIN_TIMEOUT`, `PLUGIN_MEMORY_LIMIT`, `PLUGIN_OUTPUT_INVALID`, `PLUGIN_ERROR`, `ENGINE_*`), `meta.stage` says where", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn upload_plugin(
    State(state): State<AppState>,
    allowed: Allowed<CreatePlugins>,
    ValidQuery(query): ValidQuery<UploadQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let is_wasm = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/wasm"));
    if !is_wasm {
        return Err(ApiError::UnsupportedMediaType {
            expected: "a WebAssembly component (Content-Type: application/wasm)",
        });
    }
    let caller = allowed.caller;
    let uploaded = plugins::upload(
        &state,
        caller.tenant,
        caller.user,
        query.slot.into(),
        body.to_vec(),
    )
    .await?;
    let location = format!("/api/v1/plugins/{}", uploaded.plugin.id);
    let status = if uploaded.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let view = PluginView::new(uploaded.plugin, caller.time_zone)?;
    Ok((status, [(header::LOCATION, location)], Json(view)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Page number, from 1 (default 1).
    #[param(minimum = 1)]
    page: Option<u32>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    size: Option<u32>,
    /// Only the plugins of this slot.
    slot: Option<SlotName>,
}

/// Lists the tenant's plugins, newest first, each saying whether it is active.
#[utoipa::path(
    get,
    path = "/plugins",
    tag = "plugins",
    params(ListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Page<PluginView>), ErrorResponses)
)]
async fn list_plugins(
    State(state): State<AppState>,
    allowed: Allowed<ReadPlugins>,
    ValidQuery(query): ValidQuery<ListQuery>,
) -> Result<Json<Page<PluginView>>, ApiError> {
    let caller = allowed.caller;
    let page = PageRequest::new(query.page, query.size)?;
    // The defaults are part of the list: make sure a tenant created before them has them.
    plugins::active(&state.storage, caller.tenant).await?;
    let slot = query.slot.map(|s| Slot::from(s).as_str());
    let (items, total) = state
        .storage
        .list_plugins(caller.tenant, slot, page)
        .await?;
    let items = items
        .into_iter()
        .map(|p| PluginView::new(p, caller.time_zone))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(Page::new(items, total, page)))
}

/// One plugin of the tenant.
#[utoipa::path(
    get,
    path = "/plugins/{id}",
    tag = "plugins",
    params(("id" = PluginId, Path, description = "The plugin's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = PluginView),
        (status = 404, description = "No such plugin in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn get_plugin(
    State(state): State<AppState>,
    allowed: Allowed<ReadPlugins>,
    ValidPath(id): ValidPath<PluginId>,
) -> Result<Json<PluginView>, ApiError> {
    let caller = allowed.caller;
    let plugin = plugins::get(&state.storage, caller.tenant, id).await?;
    Ok(Json(PluginView::new(plugin, caller.time_zone)?))
}

/// The window of the tenant's data a validation runs on.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ValidateOn {
    /// First day (local) or instant of the window; with `to`.
    #[param(value_type = Option<String>, example = "2026-11-23")]
    from: Option<DateBound>,
    /// Last day (inclusive) or instant of the window; with `from`.
    #[param(value_type = Option<String>, example = "2026-11-29")]
    to: Option<DateBound>,
}

/// The problem of the tenant's missions over `from..to`, for a conformance run.
async fn tenant_window(
    state: &AppState,
    caller: &Caller,
    from: DateBound,
    to: DateBound,
) -> Result<plugins::TenantSample, ApiError> {
    let tz = caller.time_zone;
    let horizon = Window::new(from.resolve(tz), to.resolve_end(tz))
        .map_err(|e| ApiError::validation("to", e.reason))?;
    if horizon.seconds() > 62 * 86_400 {
        return Err(ApiError::validation(
            "to",
            "a window covers at most 62 days",
        ));
    }
    let scope = crate::planning::problem::Scope {
        horizon,
        missions: None,
        technicians: None,
    };
    let (_, problem) =
        crate::planning::runs::rules_and_problem(state, caller.tenant, tz, &scope).await?;
    Ok(plugins::TenantSample {
        problem: std::sync::Arc::new(problem),
        label: format!(
            "the tenant's missions from {} to {}",
            crate::domain::time::local(horizon.start(), tz).format("%Y-%m-%d %H:%M"),
            crate::domain::time::local(horizon.end(), tz).format("%Y-%m-%d %H:%M")
        ),
    })
}

/// Validates a plugin again: the load checks and the conformance run, with its active
/// parameters and budget when it is the active plugin of its slot (else its defaults and
/// the slot's budget). The run is on the generated sample, or on the tenant's own
/// missions of a window with `from` and `to` (rules and assigners; payroll uses its sample
/// pay input). The report is stored on the plugin whatever the outcome; a failure answers
/// 422 with its code.
#[utoipa::path(
    post,
    path = "/plugins/{id}/validate",
    tag = "plugins",
    params(("id" = PluginId, Path, description = "The plugin's id"), ValidateOn),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ValidationView),
        (status = 404, description = "No such plugin in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        (status = 422, description = "The plugin no longer passes, with the runtime's code (`PLUGIN_*`) or `PLUGIN_PARAMS_INVALID`", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn validate_plugin(
    State(state): State<AppState>,
    allowed: Allowed<UpdatePlugins>,
    ValidPath(id): ValidPath<PluginId>,
    ValidQuery(query): ValidQuery<ValidateOn>,
) -> Result<Json<ValidationView>, ApiError> {
    let caller = allowed.caller;
    let on = match (query.from, query.to) {
        (None, None) => None,
        (Some(from), Some(to)) => Some(tenant_window(&state, &caller, from, to).await?),
        _ => {
            return Err(ApiError::validation(
                if query.from.is_none() { "from" } else { "to" },
                "give both `from` and `to` to run on the tenant's data, or neither for the sample",
            ));
        }
    };
    let (_, report) = plugins::revalidate(&state, caller.tenant, id, on).await?;
    Ok(Json(ValidationView::new(report, caller.time_zone)))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Activate {
    /// The plugin's parameters, in the contract's JSON form
    /// (`[{"name": "max-shift.hours", "value": {"Int": 8}}]`); omitted: its defaults.
    #[schema(value_type = Option<Vec<Object>>)]
    params: Option<Vec<Value>>,
    /// Fuel and time per call for the slot; omitted: the slot's current budget.
    budget: Option<BudgetSetting>,
}

/// Activates a plugin for its slot.
///
/// The parameters go through the plugin's own `validate-params` (422
/// `PLUGIN_PARAMS_INVALID`, `meta.errors` lists each refused parameter), then the plugin
/// runs on the sample problem with them and the budget (422 with the runtime's code if it
/// fails). The body is optional. The activation is appended to the slot's history and to
/// the audit chain.
#[utoipa::path(
    post,
    path = "/plugins/{id}/activate",
    tag = "plugins",
    params(("id" = PluginId, Path, description = "The plugin's id")),
    request_body(content = Option<Activate>, description = "Optional: parameters and budget"),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ActivationView),
        (status = 404, description = "No such plugin in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        (status = 409, description = "The slot was being changed concurrently (`CONFLICT_CONCURRENT_CHANGE`)", body = ErrorBody),
        (status = 422, description = "Bad budget (`VALIDATION_ERR`), parameters refused (`PLUGIN_PARAMS_INVALID`) or the run with them failed (`PLUGIN_*`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn activate_plugin(
    State(state): State<AppState>,
    allowed: Allowed<UpdatePlugins>,
    ValidPath(id): ValidPath<PluginId>,
    OptionalJson(body): OptionalJson<Activate>,
) -> Result<Json<ActivationView>, ApiError> {
    let caller = allowed.caller;
    let params = body.params.map(params_from).transpose()?;
    let activation =
        plugins::activate(&state, caller.tenant, caller.user, id, params, body.budget).await?;
    Ok(Json(ActivationView::new(
        &state,
        activation,
        caller.time_zone,
    )?))
}

/// The active plugin of each slot, with its parameters and budget.
#[utoipa::path(
    get,
    path = "/plugins/active",
    tag = "plugins",
    security(("bearer" = [])),
    responses((status = 200, body = ActivePlugins), ErrorResponses)
)]
async fn active_plugins(
    State(state): State<AppState>,
    allowed: Allowed<ReadPlugins>,
) -> Result<Json<ActivePlugins>, ApiError> {
    let caller = allowed.caller;
    let mut views = plugins::active(&state.storage, caller.tenant)
        .await?
        .into_iter()
        .map(|a| ActivationView::new(&state, a, caller.time_zone))
        .collect::<Result<Vec<_>, _>>()?;
    let mut take = |slot: SlotName| {
        views
            .iter()
            .position(|v| v.slot == slot)
            .map(|i| views.swap_remove(i))
            .ok_or_else(|| ApiError::internal(format!("no active {slot:?} plugin")))
    };
    Ok(Json(ActivePlugins {
        rules: take(SlotName::Rules)?,
        assigner: take(SlotName::Assigner)?,
        payroll: take(SlotName::Payroll)?,
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SetParams {
    /// The new parameters (`[]`: the plugin's defaults).
    #[schema(value_type = Vec<Object>)]
    params: Vec<Value>,
    /// A new budget for the slot (`null` fields: the runtime's default); omitted: the
    /// current budget stays.
    budget: Option<BudgetSetting>,
}

/// New parameters for the active plugin of a slot, and optionally a new budget (fuel and
/// wall-clock limit per call), checked like an activation.
#[utoipa::path(
    put,
    path = "/plugins/active/{slot}/params",
    tag = "plugins",
    params(("slot" = SlotName, Path, description = "The slot")),
    request_body = SetParams,
    security(("bearer" = [])),
    responses(
        (status = 200, body = ActivationView),
        (status = 409, description = "Another plugin was activated meanwhile (`CONFLICT_CONCURRENT_CHANGE`)", body = ErrorBody),
        (status = 422, description = "Parameters refused (`PLUGIN_PARAMS_INVALID`), a budget out of bounds (`VALIDATION_ERR`, `meta.field` is `budget.fuel` or `budget.timeout_ms`) or the run with them failed (`PLUGIN_*`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn set_params(
    State(state): State<AppState>,
    allowed: Allowed<UpdatePlugins>,
    ValidPath(slot): ValidPath<String>,
    ValidJson(body): ValidJson<SetParams>,
) -> Result<Json<ActivationView>, ApiError> {
    let caller = allowed.caller;
    let slot = parse_slot(&slot)?;
    let params = params_from(body.params)?;
    let activation = plugins::set_params(
        &state,
        caller.tenant,
        caller.user,
        slot,
        params,
        body.budget,
    )
    .await?;
    Ok(Json(ActivationView::new(
        &state,
        activation,
        caller.time_zone,
    )?))
}

/// Goes back to the slot's previous configuration (plugin, parameters, budget), appended
/// as a new activation; a second rollback goes one step further back.
#[utoipa::path(
    post,
    path = "/plugins/active/{slot}/rollback",
    tag = "plugins",
    params(("slot" = SlotName, Path, description = "The slot")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ActivationView),
        (status = 409, description = "No earlier activation (`NOTHING_TO_ROLL_BACK`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn rollback(
    State(state): State<AppState>,
    allowed: Allowed<UpdatePlugins>,
    ValidPath(slot): ValidPath<String>,
) -> Result<Json<ActivationView>, ApiError> {
    let caller = allowed.caller;
    let slot = parse_slot(&slot)?;
    let activation = plugins::rollback(&state, caller.tenant, caller.user, slot).await?;
    Ok(Json(ActivationView::new(
        &state,
        activation,
        caller.time_zone,
    )?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct HistoryQuery {
    /// Page number, from 1 (default 1).
    #[param(minimum = 1)]
    page: Option<u32>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    size: Option<u32>,
}

/// The activations of a slot, newest first.
#[utoipa::path(
    get,
    path = "/plugins/active/{slot}/history",
    tag = "plugins",
    params(("slot" = SlotName, Path, description = "The slot"), HistoryQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Page<ActivationView>), ErrorResponses)
)]
async fn history(
    State(state): State<AppState>,
    allowed: Allowed<ReadPlugins>,
    ValidPath(slot): ValidPath<String>,
    ValidQuery(query): ValidQuery<HistoryQuery>,
) -> Result<Json<Page<ActivationView>>, ApiError> {
    let caller = allowed.caller;
    let slot = parse_slot(&slot)?;
    let page = PageRequest::new(query.page, query.size)?;
    let (items, total) = plugins::history(&state.storage, caller.tenant, slot, page).await?;
    let items = items
        .into_iter()
        .map(|a| ActivationView::new(&state, a, caller.time_zone))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(Page::new(items, total, page)))
}

/// Parameters in the contract's JSON form, each read on its own so that an error names
/// the parameter (`params[2]`) rather than the whole body.
fn params_from(values: Vec<Value>) -> Result<Params, ApiError> {
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            serde_json::from_value::<Param>(v).map_err(|e| {
                ApiError::validation(
                    format!("params[{i}]"),
                    format!(
                        "{e}; a parameter is {{\"name\": ..., \"value\": {{\"Int\"|\"Float\"|\"Bool\"|\"Text\"|\"List\": ...}}}}"
                    ),
                )
            })
        })
        .collect()
}

/// A JSON body that may be left out entirely (no body, or only whitespace): then
/// `T::default()`. A body that is there is read as [`ValidJson`] reads it.
#[derive(Debug)]
struct OptionalJson<T>(T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge { limit_bytes: None }
                } else {
                    ApiError::validation("body", rejection.body_text())
                }
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(T::default()));
        }
        let req = Request::from_parts(parts, Body::from(bytes));
        ValidJson::<T>::from_request(req, state)
            .await
            .map(|ValidJson(value)| Self(value))
    }
}

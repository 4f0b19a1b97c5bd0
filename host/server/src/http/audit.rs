//! The audit chain: runs, verification and replay.
//!
//! Readers of the chain are admins, managers and viewers (auditors have the viewer role).
//! A replay recomputes a run and writes nothing, so it is a read. How entries are hashed
//! and chained, and what a replay compares, is in the `audit` module.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody, ErrorResponses};
use super::extract::{Allowed, ValidPath, ValidQuery};
use crate::audit::{self, EntryKind, RunSummary, Verification};
use crate::domain::time::{DateBound, local};
use crate::domain::{AuditEntryId, Page, PageRequest, TimeZone, UserId};
use crate::planning::{self, Replay};
use crate::rbac::ReadAudit;
use crate::state::AppState;
use crate::storage::{AuditFilter, AuditRow};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_runs))
        .routes(routes!(get_run))
        .routes(routes!(replay_run))
        .routes(routes!(list_entries))
        .routes(routes!(verify))
}

/// The window of a run, in the tenant's time zone.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WindowView {
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
}

/// A run in brief.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RunSummaryView {
    pub window: WindowView,
    /// Missions the run was limited to; `null`: the whole window.
    pub missions: Option<usize>,
    pub dry_run: bool,
    pub committed: bool,
    /// `{hard, soft}`: hard points first, then soft; lower is better.
    #[schema(value_type = Object)]
    pub score: Value,
    pub assignments: usize,
    pub new_assignments: usize,
    /// Needs left short.
    pub unfilled: usize,
    pub unfilled_places: u64,
    pub violations: usize,
    /// `{assigner, rules}`, each `{name, version, sha256}`.
    #[schema(value_type = Object)]
    pub plugins: Value,
    /// `{assigner, rules, verification}`.
    #[schema(value_type = Object)]
    pub fuel: Value,
    pub seed: u64,
    pub inputs_sha256: String,
    pub outcome_sha256: String,
}

impl RunSummaryView {
    fn new(s: RunSummary, tz: TimeZone) -> Self {
        Self {
            window: WindowView {
                start: local(s.window.start, tz),
                end: local(s.window.end, tz),
            },
            missions: s.missions,
            dry_run: s.dry_run,
            committed: s.committed,
            score: serde_json::to_value(s.score).unwrap_or(Value::Null),
            assignments: s.assignments,
            new_assignments: s.new_assignments,
            unfilled: s.unfilled,
            unfilled_places: s.unfilled_places,
            violations: s.violations,
            plugins: serde_json::to_value(&s.plugins).unwrap_or(Value::Null),
            fuel: serde_json::to_value(s.fuel).unwrap_or(Value::Null),
            seed: s.seed,
            inputs_sha256: s.inputs_sha256,
            outcome_sha256: s.outcome_sha256,
        }
    }

    fn of(row: &AuditRow, tz: TimeZone) -> Option<Self> {
        let summary: RunSummary = serde_json::from_str(row.summary.as_deref()?).ok()?;
        Some(Self::new(summary, tz))
    }
}

/// When an entry was appended, in the tenant's time zone; the stored text as is if it no
/// longer reads as an instant.
fn at_view(at: &str, tz: TimeZone) -> String {
    DateTime::parse_from_rfc3339(at)
        .map(|t| local(t.with_timezone(&Utc), tz).to_rfc3339())
        .unwrap_or_else(|_| at.to_owned())
}

/// An automatic run in a listing.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RunListItem {
    pub id: AuditEntryId,
    pub seq: i64,
    /// RFC 3339 with the tenant's offset.
    #[schema(format = DateTime)]
    pub at: String,
    /// Who started it.
    pub actor: Option<UserId>,
    pub hash: String,
    /// `null` when the stored summary no longer reads (`GET /audit/verify` says why).
    pub run: Option<RunSummaryView>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct RunsQuery {
    /// Page number, from 1 (default 1).
    #[param(minimum = 1)]
    page: Option<u32>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    size: Option<u32>,
    /// Runs appended from this day (local midnight) or instant on.
    #[param(value_type = Option<String>, example = "2026-07-01")]
    from: Option<DateBound>,
    /// Runs appended up to this day (inclusive) or before this instant.
    #[param(value_type = Option<String>, example = "2026-07-31")]
    to: Option<DateBound>,
}

/// Lists the automatic runs, newest first: window, outcome in figures, plugins, fuel and
/// digests.
#[utoipa::path(
    get,
    path = "/audit/runs",
    tag = "audit",
    params(RunsQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Page<RunListItem>), ErrorResponses)
)]
async fn list_runs(
    State(state): State<AppState>,
    allowed: Allowed<ReadAudit>,
    ValidQuery(query): ValidQuery<RunsQuery>,
) -> Result<Json<Page<RunListItem>>, ApiError> {
    let caller = allowed.caller;
    let tz = caller.time_zone;
    let page = PageRequest::new(query.page, query.size)?;
    let filter = AuditFilter {
        kind: Some(EntryKind::AutoRun.as_str().to_owned()),
        from: query.from.map(|b| audit::format_at(b.resolve(tz))),
        to: query.to.map(|b| audit::format_at(b.resolve_end(tz))),
    };
    let (rows, total) = state
        .storage
        .list_audit_entries(caller.tenant, &filter, page)
        .await?;
    let items = rows
        .iter()
        .map(|row| RunListItem {
            id: row.id,
            seq: row.seq,
            at: at_view(&row.at, tz),
            actor: row.actor,
            hash: row.hash.clone(),
            run: RunSummaryView::of(row, tz),
        })
        .collect();
    Ok(Json(Page::new(items, total, page)))
}

/// A run with everything recorded.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RunDetail {
    pub id: AuditEntryId,
    pub seq: i64,
    #[schema(format = DateTime)]
    pub at: String,
    pub actor: Option<UserId>,
    pub prev_hash: String,
    pub hash: String,
    pub run: Option<RunSummaryView>,
    /// The whole record: `request` (window UTC, missions, dry run), `problem` (the exact
    /// input, instants in UTC seconds), `assigner` and `rules` (identity with sha256,
    /// parameters, budget), `outcome` (every assignment with its score terms, every
    /// unfilled need with each rejected candidate's rules and figures, violations, score,
    /// fuel, `inputs_sha256`), `outcome_sha256`, `committed`.
    #[schema(value_type = Object)]
    pub record: Value,
}

/// One run with its whole record: inputs, plugins, parameters, fuel, explanations, result.
#[utoipa::path(
    get,
    path = "/audit/runs/{id}",
    tag = "audit",
    params(("id" = AuditEntryId, Path, description = "The run's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = RunDetail),
        (status = 404, description = "No such run in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        (status = 409, description = "The stored record no longer reads as JSON (`AUDIT_PAYLOAD_UNREADABLE`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn get_run(
    State(state): State<AppState>,
    allowed: Allowed<ReadAudit>,
    ValidPath(id): ValidPath<AuditEntryId>,
) -> Result<Json<RunDetail>, ApiError> {
    let caller = allowed.caller;
    let tz = caller.time_zone;
    let row = state
        .storage
        .audit_entry(caller.tenant, id)
        .await?
        .filter(|row| row.kind == EntryKind::AutoRun.as_str())
        .ok_or(ApiError::NotFound { entity: "run" })?;
    let record = serde_json::from_str(row.payload.as_deref().unwrap_or_default()).map_err(|e| {
        ApiError::Conflict {
            code: "AUDIT_PAYLOAD_UNREADABLE",
            detail: format!("the run's stored record is not JSON: {e}"),
        }
    })?;
    Ok(Json(RunDetail {
        id: row.id,
        seq: row.seq,
        at: at_view(&row.at, tz),
        actor: row.actor,
        run: RunSummaryView::of(&row, tz),
        prev_hash: row.prev_hash,
        hash: row.hash,
        record,
    }))
}

/// Replays a run: the recorded plugin bytes (by sha256) with the recorded parameters and
/// budgets, on the recorded problem. Plugins are deterministic, so an untouched record
/// replays to the identical outcome; otherwise the differences are named (score,
/// assignments added or removed, unfilled needs, fuel...). Writes nothing.
#[utoipa::path(
    post,
    path = "/audit/runs/{id}/replay",
    tag = "audit",
    params(("id" = AuditEntryId, Path, description = "The run's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Replay),
        (status = 404, description = "No such run in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        (status = 409, description = "The stored record no longer reads as a run (`AUDIT_PAYLOAD_UNREADABLE`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn replay_run(
    State(state): State<AppState>,
    allowed: Allowed<ReadAudit>,
    ValidPath(id): ValidPath<AuditEntryId>,
) -> Result<Json<Replay>, ApiError> {
    let caller = allowed.caller;
    let replay = planning::replay(&state, caller.tenant, id).await?;
    tracing::info!(run = %id, identical = replay.identical, "run replayed");
    Ok(Json(replay))
}

/// An entry of the chain.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EntryView {
    pub id: AuditEntryId,
    pub seq: i64,
    /// `auto-run`, `override`, `plugin-activation`, `period-close`, `period-reopen`.
    pub kind: String,
    pub actor: Option<UserId>,
    #[schema(format = DateTime)]
    pub at: String,
    pub prev_hash: String,
    pub hash: String,
    /// What happened; `null` for a run (its record is at `GET /audit/runs/{id}`).
    #[schema(value_type = Option<Object>)]
    pub payload: Option<Value>,
    /// For a run: its summary.
    pub run: Option<RunSummaryView>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct EntriesQuery {
    /// Page number, from 1 (default 1).
    #[param(minimum = 1)]
    page: Option<u32>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    size: Option<u32>,
    /// Only entries of this kind.
    kind: Option<EntryKind>,
}

/// Every entry of the chain, newest first: runs, overrides, plugin activations.
#[utoipa::path(
    get,
    path = "/audit/entries",
    tag = "audit",
    params(EntriesQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Page<EntryView>), ErrorResponses)
)]
async fn list_entries(
    State(state): State<AppState>,
    allowed: Allowed<ReadAudit>,
    ValidQuery(query): ValidQuery<EntriesQuery>,
) -> Result<Json<Page<EntryView>>, ApiError> {
    let caller = allowed.caller;
    let tz = caller.time_zone;
    let page = PageRequest::new(query.page, query.size)?;
    let filter = AuditFilter {
        kind: query.kind.map(|k| k.as_str().to_owned()),
        ..AuditFilter::default()
    };
    let (rows, total) = state
        .storage
        .list_audit_entries(caller.tenant, &filter, page)
        .await?;
    let items =
        rows.into_iter()
            .map(|row| EntryView {
                id: row.id,
                seq: row.seq,
                at: at_view(&row.at, tz),
                actor: row.actor,
                run: RunSummaryView::of(&row, tz),
                // An edited payload that is no longer JSON is shown as the text it is.
                payload: row.payload.as_deref().map(|p| {
                    serde_json::from_str(p).unwrap_or_else(|_| Value::String(p.to_owned()))
                }),
                kind: row.kind,
                prev_hash: row.prev_hash,
                hash: row.hash,
            })
            .collect();
    Ok(Json(Page::new(items, total, page)))
}

/// Recomputes the whole chain: every entry's hash from its content and its link to the
/// previous one. `first_broken` names the first entry whose payload, hash, previous hash,
/// kind, actor or time was edited, or that follows a missing entry.
#[utoipa::path(
    get,
    path = "/audit/verify",
    tag = "audit",
    security(("bearer" = [])),
    responses((status = 200, body = Verification), ErrorResponses)
)]
async fn verify(
    State(state): State<AppState>,
    allowed: Allowed<ReadAudit>,
) -> Result<Json<Verification>, ApiError> {
    let caller = allowed.caller;
    let verification = audit::verify(&state.storage, caller.tenant)
        .await
        .map_err(ApiError::internal)?;
    if let Some(broken) = &verification.first_broken {
        tracing::warn!(seq = broken.seq, reason = %broken.reason, "audit chain broken");
    }
    Ok(Json(verification))
}

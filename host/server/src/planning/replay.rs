//! Replay: a recorded run planned again from its record, compared byte for byte.

use std::collections::{BTreeMap, BTreeSet};
use tracing::Instrument as _;

use callsheet_engine::{Configured, PlanOutcome, PluginIdentity, canonical};
use callsheet_runtime::types::PlannedAssignment;
use callsheet_runtime::{AssignerPlugin, RulesPlugin, SlotPlugin};
use serde::Serialize;
use serde_json::{Value, json};

use crate::audit::{self, EntryKind, RecordedPlugin, RunRecord};
use crate::domain::{AuditEntryId, TenantId};
use crate::plugins::{self, TenantPluginError};
use crate::state::AppState;
use crate::storage::{AuditRow, StorageError};

/// What a replay found.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Replay {
    /// The replay gave the recorded outcome, byte for byte, and the record is intact.
    pub identical: bool,
    /// The outcome's sha256 as recorded.
    pub recorded_sha256: String,
    /// The replayed outcome's sha256; `None` when the replay failed.
    pub replayed_sha256: Option<String>,
    /// What differs, one item per aspect.
    pub differences: Vec<Difference>,
    /// Why the replay could not complete, when it could not.
    pub error: Option<ReplayFailure>,
}

/// One aspect in which the replay differs from the record.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Difference {
    /// `score`, `assignments.added`, `assignments.removed`, `assignments.explanations`,
    /// `unfilled`, `violations`, `fuel`, `plugins`, `inputs_sha256`, `outcome_sha256`,
    /// `stats`, `outcome`.
    pub field: String,
    /// A sentence for people.
    pub detail: String,
    #[schema(value_type = Object)]
    pub recorded: Value,
    #[schema(value_type = Object)]
    pub replayed: Value,
}

/// A replay that could not run to the end.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ReplayFailure {
    pub code: String,
    pub detail: String,
}

/// Why a replay could not start.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("no such run")]
    NotFound,
    #[error("the run's record cannot be read: {0}")]
    Unreadable(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Replays a recorded run (see the module docs). Writes nothing.
pub async fn replay(
    state: &AppState,
    tenant: TenantId,
    id: AuditEntryId,
) -> Result<Replay, ReplayError> {
    let row = state
        .storage
        .audit_entry(tenant, id)
        .await?
        .filter(|row| row.kind == EntryKind::AutoRun.as_str())
        .ok_or(ReplayError::NotFound)?;
    // The record is checked against the chain first: a replay of an edited record can
    // match the edit, and its "identical" would vouch for bytes nobody recorded. It is
    // still replayed, so the auditor sees what the edit changed.
    let broken = audit::check_one(&state.storage, tenant, &row).await?;
    let mut replay = replay_record(state, &row).await?;
    if let Some(reason) = broken {
        replay.identical = false;
        replay.differences.insert(
            0,
            Difference {
                field: "record".into(),
                detail: format!(
                    "the audit entry does not hold in the chain ({reason}): this is not the record as written"
                ),
                recorded: Value::Null,
                replayed: Value::Null,
            },
        );
    }
    Ok(replay)
}

/// Plans a run again from its record and compares.
async fn replay_record(state: &AppState, row: &AuditRow) -> Result<Replay, ReplayError> {
    let record: RunRecord = serde_json::from_str(row.payload.as_deref().unwrap_or_default())
        .map_err(|e| ReplayError::Unreadable(e.to_string()))?;
    let failed = |code: &str, detail: String| Replay {
        identical: false,
        recorded_sha256: record.outcome_sha256.clone(),
        replayed_sha256: None,
        differences: vec![Difference {
            field: "outcome".into(),
            detail: format!("the replay failed: {detail}"),
            recorded: json!(record.outcome_sha256),
            replayed: Value::Null,
        }],
        error: Some(ReplayFailure {
            code: code.to_owned(),
            detail,
        }),
    };
    let configured = async {
        let assigner = configure::<AssignerPlugin>(state, &record.assigner).await?;
        let rules = configure::<RulesPlugin>(state, &record.rules).await?;
        Ok::<_, TenantPluginError>((assigner, rules))
    }
    .await;
    let (assigner, rules) = match configured {
        Ok(pair) => pair,
        Err(TenantPluginError::Storage(e)) => return Err(ReplayError::Storage(e)),
        Err(e) => {
            let code = match &e {
                TenantPluginError::Plugin(e) => e.code(),
                TenantPluginError::BlobMissing { .. } => "PLUGIN_BYTES_MISSING",
                _ => "REPLAY_FAILED",
            };
            return Ok(failed(code, e.to_string()));
        }
    };
    let problem = record.problem.clone();
    let call = crate::plugins::PluginCall::start(callsheet_runtime::Slot::Assigner);
    let run =
        tokio::task::spawn_blocking(move || callsheet_engine::plan(&problem, &assigner, &rules))
            .instrument(call.span())
            .await;
    if let Ok(planned) = &run {
        super::runs::observe_run(state, call, planned);
    }
    let outcome = match run {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(e)) => return Ok(failed(e.code(), e.to_string())),
        Err(e) => return Ok(failed("REPLAY_FAILED", e.to_string())),
    };
    let replayed_sha256 = match outcome.sha256() {
        Ok(sha) => sha,
        Err(e) => return Ok(failed(e.code(), e.to_string())),
    };
    let differences = compare(&record, &outcome, &replayed_sha256);
    Ok(Replay {
        identical: differences.is_empty(),
        recorded_sha256: record.outcome_sha256.clone(),
        replayed_sha256: Some(replayed_sha256),
        differences,
        error: None,
    })
}

/// A recorded plugin loaded by sha256 with its recorded budget and parameters, and its
/// identity as the stored bytes describe themselves.
async fn configure<P: SlotPlugin>(
    state: &AppState,
    recorded: &RecordedPlugin,
) -> Result<Configured<P>, TenantPluginError> {
    let plugin = plugins::by_sha256(state, P::SLOT, &recorded.identity.sha256)
        .await?
        .with_budget(recorded.budget.into());
    let info = plugin.describe_async().await?;
    let plugin = P::try_from(plugin).map_err(|other| {
        TenantPluginError::Corrupt(format!("a {} plugin recorded as {}", other.slot(), P::SLOT))
    })?;
    Ok(Configured {
        plugin,
        params: recorded.params.clone(),
        identity: PluginIdentity {
            name: info.name,
            version: info.version,
            sha256: recorded.identity.sha256.clone(),
        },
    })
}

/// An assignment's identity for comparison: need, technician, window, status, pin.
type AssignmentKey = (String, String, i64, i64, String, bool);

fn key(p: &PlannedAssignment) -> AssignmentKey {
    let a = &p.assignment;
    (
        a.need_id.clone(),
        a.technician_id.clone(),
        a.window.start,
        a.window.end,
        format!("{:?}", a.status).to_lowercase(),
        a.pinned,
    )
}

fn key_json(k: &AssignmentKey) -> Value {
    json!({"need_id": k.0, "technician_id": k.1, "start": k.2, "end": k.3, "status": k.4, "pinned": k.5})
}

/// What differs between the record and the replay.
fn compare(record: &RunRecord, replayed: &PlanOutcome, replayed_sha256: &str) -> Vec<Difference> {
    let recorded = &record.outcome;
    let mut out = Vec::new();
    let mut diff = |field: &str, detail: String, r: Value, p: Value| {
        out.push(Difference {
            field: field.to_owned(),
            detail,
            recorded: r,
            replayed: p,
        });
    };
    match canonical::sha256(recorded) {
        Ok(sha) if sha == record.outcome_sha256 => {}
        Ok(sha) => diff(
            "outcome_sha256",
            "the recorded outcome does not hash to its recorded sha256: the record was edited"
                .into(),
            json!(record.outcome_sha256),
            json!(sha),
        ),
        Err(e) => diff(
            "outcome_sha256",
            format!("the recorded outcome cannot be hashed: {e}"),
            json!(record.outcome_sha256),
            Value::Null,
        ),
    }
    if recorded.inputs_sha256 != replayed.inputs_sha256 {
        diff(
            "inputs_sha256",
            "the inputs (problem, plugins, parameters, budgets) do not hash as recorded".into(),
            json!(recorded.inputs_sha256),
            json!(replayed.inputs_sha256),
        );
    }
    if recorded.plugins != replayed.plugins {
        diff(
            "plugins",
            "the plugins describe themselves differently from the record".into(),
            json!(recorded.plugins),
            json!(replayed.plugins),
        );
    }
    if recorded.score != replayed.score {
        diff(
            "score",
            format!(
                "score ({}, {}) recorded, ({}, {}) replayed",
                recorded.score.hard, recorded.score.soft, replayed.score.hard, replayed.score.soft
            ),
            json!(recorded.score),
            json!(replayed.score),
        );
    }
    let before: BTreeMap<AssignmentKey, &PlannedAssignment> =
        recorded.assignments.iter().map(|p| (key(p), p)).collect();
    let after: BTreeMap<AssignmentKey, &PlannedAssignment> =
        replayed.assignments.iter().map(|p| (key(p), p)).collect();
    let added: Vec<Value> = after
        .keys()
        .filter(|k| !before.contains_key(*k))
        .map(key_json)
        .collect();
    let removed: Vec<Value> = before
        .keys()
        .filter(|k| !after.contains_key(*k))
        .map(key_json)
        .collect();
    if !added.is_empty() {
        diff(
            "assignments.added",
            format!(
                "{} assignment(s) in the replay are not in the record",
                added.len()
            ),
            Value::Null,
            Value::Array(added),
        );
    }
    if !removed.is_empty() {
        diff(
            "assignments.removed",
            format!(
                "{} recorded assignment(s) are not in the replay",
                removed.len()
            ),
            Value::Array(removed),
            Value::Null,
        );
    }
    let explained: Vec<Value> = before
        .iter()
        .filter_map(|(k, p)| {
            after
                .get(k)
                .filter(|q| q.terms != p.terms || q.assignment.id != p.assignment.id)
                .map(|_| key_json(k))
        })
        .collect();
    if !explained.is_empty() {
        diff(
            "assignments.explanations",
            format!(
                "{} assignment(s) have other score terms or ids",
                explained.len()
            ),
            Value::Array(explained.clone()),
            Value::Array(explained),
        );
    }
    let unfilled = |o: &PlanOutcome| -> BTreeMap<String, u32> {
        o.unfilled
            .iter()
            .map(|u| (u.need_id.clone(), u.places))
            .collect()
    };
    let (u_before, u_after) = (unfilled(recorded), unfilled(replayed));
    if u_before != u_after || recorded.unfilled != replayed.unfilled {
        let needs: BTreeSet<&String> = u_before.keys().chain(u_after.keys()).collect();
        let changed: Vec<&String> = needs
            .into_iter()
            .filter(|n| u_before.get(*n) != u_after.get(*n))
            .collect();
        diff(
            "unfilled",
            if changed.is_empty() {
                "the same places are unfilled, with other explanations".into()
            } else {
                format!("{} need(s) are filled differently", changed.len())
            },
            json!(u_before),
            json!(u_after),
        );
    }
    if recorded.violations != replayed.violations {
        diff(
            "violations",
            format!(
                "{} violation(s) recorded, {} replayed",
                recorded.violations.len(),
                replayed.violations.len()
            ),
            json!(recorded.violations.len()),
            json!(replayed.violations.len()),
        );
    }
    if recorded.fuel != replayed.fuel {
        diff(
            "fuel",
            "the plugins used a different amount of fuel".into(),
            json!(recorded.fuel),
            json!(replayed.fuel),
        );
    }
    if recorded.stats != replayed.stats
        || recorded.rules_calls != replayed.rules_calls
        || recorded.seed != replayed.seed
    {
        diff(
            "stats",
            "the search counters differ".into(),
            json!({"stats": recorded.stats, "rules_calls": recorded.rules_calls, "seed": recorded.seed}),
            json!({"stats": replayed.stats, "rules_calls": replayed.rules_calls, "seed": replayed.seed}),
        );
    }
    if out.is_empty() && replayed_sha256 != record.outcome_sha256 {
        out.push(Difference {
            field: "outcome".into(),
            detail: "the replayed outcome's bytes differ from the record".into(),
            recorded: json!(record.outcome_sha256),
            replayed: json!(replayed_sha256),
        });
    }
    out
}

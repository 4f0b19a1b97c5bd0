//! The audit chain: every automatic run, override and plugin activation of a tenant, in an
//! append-only hash chain that an auditor can verify and whose runs can be replayed.
//!
//! ## The chain
//! Each tenant has its own chain, numbered by `seq` from 1 without gaps. An entry's
//! `hash` covers the previous entry's hash and everything the entry says:
//!
//! ```text
//! hash = sha256( "callsheet-audit-v1"
//!                || field(prev_hash) || field(seq) || field(id) || field(kind)
//!                || field(actor) || field(at) || field(payload) )
//! field(x) = len(x) as 8 bytes, big-endian || x      (x as UTF-8 text)
//! ```
//!
//! with `prev_hash` the previous entry's hash in lowercase hex (64 zeros for the first
//! entry), `seq` in decimal, `id` and `actor` as hyphenated lowercase UUIDs (`actor` empty
//! when there is none: no UUID is empty, so the two cannot be confused), `kind` as stored
//! (`auto-run`...), `at` as stored (RFC 3339 UTC to the second with `Z`), and `payload` the
//! stored JSON text byte for byte. Each field carries its length, so no two different
//! entries encode to the same bytes whatever their text contains, and the leading tag
//! keeps these hashes apart from any other sha256 the system computes.
//!
//! Editing any stored field of an entry (payload, hash, prev_hash, kind, actor, time)
//! breaks its own hash or its link to the previous entry; [`verify`] walks the chain and
//! names the first entry that does not hold, with the reason. A run's `summary` (what run
//! listings show, see the migration) is derived from its payload and checked against it.
//!
//! ## Appending
//! [`append`] reads the head, hashes the entry at `seq + 1` and inserts it; an insert that
//! finds `seq + 1` taken (a concurrent append won) rechains on the new head and tries
//! again, as does one that meets a busy SQLite database or a PostgreSQL serialization
//! failure. The same code runs on both backends; under contention each round lets at least
//! one append through.
//!
//! ## Runs and replay
//! [`append_run`] records a [`RunRecord`]: the request, the exact problem, both plugins
//! (identity with sha256, parameters, budget), the canonical outcome (plan, explanations,
//! score, fuel) and its sha256. [`replay`] loads the recorded plugins by sha256, configures
//! them as recorded, plans the recorded problem again on a blocking thread and compares:
//! plugins are deterministic (no clock, no randomness, fuel counted by instruction), so an
//! untouched record replays to the identical bytes. It writes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use callsheet_engine::{
    BudgetRecord, Configured, FuelUsed, PlanOutcome, PluginIdentity, RunPlugins, canonical,
};
use callsheet_runtime::Slot;
use callsheet_runtime::types::{Params, PlannedAssignment, Problem, Score};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::domain::time::to_second;
use crate::domain::{AuditEntryId, MissionId, TenantId, UserId};
use crate::storage::{AuditInsert, AuditRow, DynStorage, StorageError};
use crate::tenant_plugins::{self, TenantPluginError};

/// `prev_hash` of a chain's first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Domain tag hashed before the fields; bump it if the encoding ever changes.
const HASH_TAG: &[u8] = b"callsheet-audit-v1";
/// Attempts of one append under contention before giving up.
const MAX_ATTEMPTS: u32 = 200;
/// Entries read per query while verifying.
const VERIFY_BATCH: i64 = 500;

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    /// An automatic assignment run (payload: a [`RunRecord`]).
    AutoRun,
    /// An assignment made in spite of hard rule violations, with its reason.
    Override,
    /// A plugin activated, its parameters or budget changed, or a rollback.
    PluginActivation,
}

impl EntryKind {
    pub const ALL: [EntryKind; 3] = [
        EntryKind::AutoRun,
        EntryKind::Override,
        EntryKind::PluginActivation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::AutoRun => "auto-run",
            EntryKind::Override => "override",
            EntryKind::PluginActivation => "plugin-activation",
        }
    }
}

impl std::fmt::Display for EntryKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An appended entry (its payload is what the caller gave).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: AuditEntryId,
    pub tenant: TenantId,
    pub seq: u64,
    pub kind: EntryKind,
    pub actor: Option<UserId>,
    /// UTC, to the second.
    pub at: DateTime<Utc>,
    pub prev_hash: String,
    pub hash: String,
}

/// Why the chain could not be appended to or read.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("cannot serialise the entry: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the audit chain kept moving under concurrent appends; gave up after {0} attempts")]
    Contention(u32),
}

/// The window a run planned, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RunWindow {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// What was asked of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RunRequest {
    pub window: RunWindow,
    /// Only these missions of the window; `None`: all of them.
    pub missions: Option<Vec<MissionId>>,
    /// Planned and explained, not written.
    pub dry_run: bool,
}

/// A plugin of a run as recorded: who it is and how it was configured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedPlugin {
    pub identity: PluginIdentity,
    pub params: Params,
    pub budget: BudgetRecord,
}

/// Everything about one automatic run, stored as its entry's payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub request: RunRequest,
    /// The exact input of the plugins.
    pub problem: Problem,
    pub assigner: RecordedPlugin,
    pub rules: RecordedPlugin,
    /// The plan, its explanations, score and fuel, as the engine returned it.
    pub outcome: PlanOutcome,
    /// Canonical sha256 of `outcome`.
    pub outcome_sha256: String,
    /// Whether the plan was written.
    pub committed: bool,
}

/// A run in brief: what run listings show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RunSummary {
    pub window: RunWindow,
    /// Missions the run was limited to; `None`: the whole window.
    pub missions: Option<usize>,
    pub dry_run: bool,
    pub committed: bool,
    #[schema(value_type = Object)]
    pub score: Score,
    /// Assignments in the plan (kept and new).
    pub assignments: usize,
    /// New assignments the run proposed.
    pub new_assignments: usize,
    /// Needs left short.
    pub unfilled: usize,
    /// Places left empty, over those needs.
    pub unfilled_places: u64,
    /// Violations left in the plan.
    pub violations: usize,
    #[schema(value_type = Object)]
    pub plugins: RunPlugins,
    #[schema(value_type = Object)]
    pub fuel: FuelUsed,
    pub seed: u64,
    pub inputs_sha256: String,
    pub outcome_sha256: String,
}

impl RunRecord {
    /// Its summary.
    pub fn summary(&self) -> RunSummary {
        let o = &self.outcome;
        RunSummary {
            window: self.request.window,
            missions: self.request.missions.as_ref().map(Vec::len),
            dry_run: self.request.dry_run,
            committed: self.committed,
            score: o.score,
            assignments: o.assignments.len(),
            new_assignments: o
                .assignments
                .iter()
                .filter(|a| a.assignment.id.is_none())
                .count(),
            unfilled: o.unfilled.len(),
            unfilled_places: o.unfilled.iter().map(|u| u64::from(u.places)).sum(),
            violations: o.violations.len(),
            plugins: o.plugins.clone(),
            fuel: o.fuel,
            seed: o.seed,
            inputs_sha256: o.inputs_sha256.clone(),
            outcome_sha256: self.outcome_sha256.clone(),
        }
    }
}

/// The hash of an entry (see the module docs for the encoding).
pub fn entry_hash(
    prev_hash: &str,
    seq: i64,
    id: AuditEntryId,
    kind: &str,
    actor: Option<UserId>,
    at: &str,
    payload: &str,
) -> String {
    let mut hasher = Sha256::new();
    hasher.update(HASH_TAG);
    let seq = seq.to_string();
    let id = id.0.hyphenated().to_string();
    let actor = actor
        .map(|a| a.0.hyphenated().to_string())
        .unwrap_or_default();
    for field in [prev_hash, &seq, &id, kind, &actor, at, payload] {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    tenant_plugins::to_hex(&hasher.finalize())
}

/// How `at` is stored and hashed: RFC 3339, UTC, to the second, `Z`.
pub fn format_at(t: DateTime<Utc>) -> String {
    to_second(t).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Appends an entry with `payload` (stored as its canonical JSON: compact, object keys
/// sorted).
pub async fn append(
    storage: &DynStorage,
    tenant: TenantId,
    kind: EntryKind,
    actor: Option<UserId>,
    payload: &Value,
) -> Result<AuditEntry, AuditError> {
    let text = serde_json::to_string(payload)?;
    append_text(
        storage,
        tenant,
        AuditEntryId::new(),
        kind,
        actor,
        text,
        None,
    )
    .await
}

/// Appends an automatic run.
pub async fn append_run(
    storage: &DynStorage,
    tenant: TenantId,
    actor: Option<UserId>,
    record: &RunRecord,
) -> Result<AuditEntry, AuditError> {
    append_run_with_id(storage, tenant, AuditEntryId::new(), actor, record).await
}

/// Appends an automatic run under an id chosen beforehand (the run id its assignments
/// already carry).
pub async fn append_run_with_id(
    storage: &DynStorage,
    tenant: TenantId,
    id: AuditEntryId,
    actor: Option<UserId>,
    record: &RunRecord,
) -> Result<AuditEntry, AuditError> {
    let payload = serde_json::to_string(record)?;
    let summary = serde_json::to_string(&record.summary())?;
    append_text(
        storage,
        tenant,
        id,
        EntryKind::AutoRun,
        actor,
        payload,
        Some(summary),
    )
    .await
}

async fn append_text(
    storage: &DynStorage,
    tenant: TenantId,
    id: AuditEntryId,
    kind: EntryKind,
    actor: Option<UserId>,
    payload: String,
    summary: Option<String>,
) -> Result<AuditEntry, AuditError> {
    let mut row = AuditRow {
        tenant_id: tenant,
        seq: 0,
        id,
        kind: kind.as_str().to_owned(),
        actor,
        at: String::new(),
        payload: Some(payload),
        prev_hash: String::new(),
        hash: String::new(),
        summary,
    };
    for attempt in 1..=MAX_ATTEMPTS {
        let (seq, prev_hash) = storage
            .audit_head(tenant)
            .await?
            .unwrap_or_else(|| (0, GENESIS.to_owned()));
        let at = to_second(Utc::now());
        row.seq = seq + 1;
        row.at = format_at(at);
        row.hash = entry_hash(
            &prev_hash,
            row.seq,
            id,
            &row.kind,
            actor,
            &row.at,
            row.payload.as_deref().unwrap_or_default(),
        );
        row.prev_hash = prev_hash;
        match storage.insert_audit_entry(&row).await {
            Ok(AuditInsert::Inserted) => {
                return Ok(AuditEntry {
                    id,
                    tenant,
                    seq: u64::try_from(row.seq).unwrap_or_default(),
                    kind,
                    actor,
                    at,
                    prev_hash: row.prev_hash,
                    hash: row.hash,
                });
            }
            Ok(AuditInsert::SeqTaken) => {}
            Err(StorageError::Database(e)) if is_transient(&e) => {}
            Err(e) => return Err(e.into()),
        }
        // Let the winner's commit land, spreading the losers out a little.
        let jitter = rand::random::<u64>() % u64::from(attempt.min(10) * 2 + 1);
        tokio::time::sleep(Duration::from_millis(1 + jitter)).await;
    }
    Err(AuditError::Contention(MAX_ATTEMPTS))
}

/// A failure worth retrying: SQLite busy or locked, PostgreSQL serialization failure or
/// deadlock.
fn is_transient(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db)
        if matches!(db.code().as_deref(), Some("5" | "6" | "261" | "262" | "517" | "40001" | "40P01")))
}

// ---------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------

/// The result of walking a tenant's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Verification {
    /// Every entry holds and links to the previous one.
    pub ok: bool,
    /// Entries checked (up to the first broken one).
    pub entries_checked: u64,
    /// The first entry that does not hold.
    pub first_broken: Option<Broken>,
}

/// An entry that does not hold, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Broken {
    pub seq: i64,
    pub id: AuditEntryId,
    pub reason: String,
}

/// Recomputes the tenant's whole chain.
pub async fn verify(storage: &DynStorage, tenant: TenantId) -> Result<Verification, AuditError> {
    let mut prev_seq = 0;
    let mut prev_hash = GENESIS.to_owned();
    let mut checked = 0;
    loop {
        let batch = storage.audit_chain(tenant, prev_seq, VERIFY_BATCH).await?;
        if batch.is_empty() {
            return Ok(Verification {
                ok: true,
                entries_checked: checked,
                first_broken: None,
            });
        }
        for row in batch {
            checked += 1;
            if let Some(reason) = check_entry(&row, prev_seq, &prev_hash) {
                return Ok(Verification {
                    ok: false,
                    entries_checked: checked,
                    first_broken: Some(Broken {
                        seq: row.seq,
                        id: row.id,
                        reason,
                    }),
                });
            }
            prev_seq = row.seq;
            prev_hash = row.hash;
        }
    }
}

/// Why `row` does not hold after an entry `prev_seq` with hash `prev_hash`, if it does not.
fn check_entry(row: &AuditRow, prev_seq: i64, prev_hash: &str) -> Option<String> {
    if row.seq != prev_seq + 1 {
        return Some(if row.seq - 1 == prev_seq + 1 {
            format!("entry {} is missing before it", prev_seq + 1)
        } else {
            format!(
                "entries {} to {} are missing before it",
                prev_seq + 1,
                row.seq - 1
            )
        });
    }
    if row.prev_hash != prev_hash {
        return Some(if prev_seq == 0 {
            "prev_hash is not the genesis value (64 zeros)".to_owned()
        } else {
            format!("prev_hash does not match the hash of entry {prev_seq}")
        });
    }
    let payload = row.payload.as_deref().unwrap_or_default();
    let expected = entry_hash(
        &row.prev_hash,
        row.seq,
        row.id,
        &row.kind,
        row.actor,
        &row.at,
        payload,
    );
    if expected != row.hash {
        return Some(
            "hash does not match the entry's content (payload, kind, actor, time or id edited, or the hash itself)"
                .to_owned(),
        );
    }
    if row.kind == EntryKind::AutoRun.as_str() {
        let derived = serde_json::from_str::<RunRecord>(payload)
            .ok()
            .and_then(|record| serde_json::to_string(&record.summary()).ok());
        match derived {
            None => return Some("the payload is not a run record".to_owned()),
            Some(derived) if row.summary.as_deref() != Some(derived.as_str()) => {
                return Some("the run summary does not match the payload".to_owned());
            }
            Some(_) => {}
        }
    }
    None
}

// ---------------------------------------------------------------------------------------
// Replay
// ---------------------------------------------------------------------------------------

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
        let assigner = configure(state, Slot::Assigner, &record.assigner).await?;
        let rules = configure(state, Slot::Rules, &record.rules).await?;
        let assigner = Configured {
            plugin: assigner
                .0
                .into_assigner()
                .ok_or_else(|| TenantPluginError::Corrupt("not an assigner".into()))?,
            params: record.assigner.params.clone(),
            identity: assigner.1,
        };
        let rules = Configured {
            plugin: rules
                .0
                .into_rules()
                .ok_or_else(|| TenantPluginError::Corrupt("not a rules plugin".into()))?,
            params: record.rules.params.clone(),
            identity: rules.1,
        };
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
    let run =
        tokio::task::spawn_blocking(move || callsheet_engine::plan(&problem, &assigner, &rules))
            .await;
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

/// A recorded plugin loaded by sha256 with its recorded budget, and its identity as the
/// stored bytes describe themselves.
async fn configure(
    state: &AppState,
    slot: Slot,
    recorded: &RecordedPlugin,
) -> Result<(callsheet_runtime::Plugin, PluginIdentity), TenantPluginError> {
    let plugin = tenant_plugins::by_sha256(state, slot, &recorded.identity.sha256).await?;
    let budget = recorded.budget.into();
    let (plugin, info) = match plugin {
        callsheet_runtime::Plugin::Rules(p) => {
            let p = p.with_budget(budget);
            let info = p.describe_async().await?;
            (callsheet_runtime::Plugin::Rules(p), info)
        }
        callsheet_runtime::Plugin::Assigner(p) => {
            let p = p.with_budget(budget);
            let info = p.describe_async().await?;
            (callsheet_runtime::Plugin::Assigner(p), info)
        }
        callsheet_runtime::Plugin::Payroll(p) => {
            let p = p.with_budget(budget);
            let info = p.describe_async().await?;
            (callsheet_runtime::Plugin::Payroll(p), info)
        }
    };
    Ok((
        plugin,
        PluginIdentity {
            name: info.name,
            version: info.version,
            sha256: recorded.identity.sha256.clone(),
        },
    ))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seq: i64, prev_hash: &str, payload: &str) -> AuditRow {
        let id = AuditEntryId(uuid::Uuid::from_u128(seq as u128));
        let at = "2026-11-24T15:00:00Z".to_owned();
        let hash = entry_hash(prev_hash, seq, id, "override", None, &at, payload);
        AuditRow {
            tenant_id: TenantId(uuid::Uuid::nil()),
            seq,
            id,
            kind: "override".into(),
            actor: None,
            at,
            payload: Some(payload.to_owned()),
            prev_hash: prev_hash.to_owned(),
            hash,
            summary: None,
        }
    }

    #[test]
    fn the_encoding_is_unambiguous() {
        let id = AuditEntryId(uuid::Uuid::nil());
        // Moving text from one field to the next changes the hash.
        let a = entry_hash(GENESIS, 1, id, "ab", None, "c", "{}");
        let b = entry_hash(GENESIS, 1, id, "a", None, "bc", "{}");
        assert_ne!(a, b);
        let actor = Some(UserId(uuid::Uuid::nil()));
        assert_ne!(
            entry_hash(GENESIS, 1, id, "k", None, "t", "{}"),
            entry_hash(GENESIS, 1, id, "k", actor, "t", "{}")
        );
        assert_eq!(a, entry_hash(GENESIS, 1, id, "ab", None, "c", "{}"));
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn a_chain_holds_and_each_edit_is_named() {
        let first = row(1, GENESIS, "{\"a\":1}");
        let second = row(2, &first.hash, "{\"b\":2}");
        assert_eq!(check_entry(&first, 0, GENESIS), None);
        assert_eq!(check_entry(&second, 1, &first.hash), None);

        let mut edited = second.clone();
        edited.payload = Some("{\"b\":3}".into());
        assert!(
            check_entry(&edited, 1, &first.hash)
                .unwrap()
                .contains("hash")
        );
        let mut edited = second.clone();
        edited.prev_hash = GENESIS.into();
        assert!(
            check_entry(&edited, 1, &first.hash)
                .unwrap()
                .contains("prev_hash")
        );
        let mut edited = second.clone();
        edited.at = "2026-11-24T15:00:01Z".into();
        assert!(check_entry(&edited, 1, &first.hash).is_some());
        let mut edited = second.clone();
        edited.actor = Some(UserId(uuid::Uuid::nil()));
        assert!(check_entry(&edited, 1, &first.hash).is_some());
        assert!(
            check_entry(&second, 0, GENESIS)
                .unwrap()
                .contains("missing")
        );
    }

    #[test]
    fn kinds_have_stable_names() {
        for kind in EntryKind::ALL {
            let json = serde_json::to_value(kind).unwrap();
            assert_eq!(json, kind.as_str());
        }
    }
}

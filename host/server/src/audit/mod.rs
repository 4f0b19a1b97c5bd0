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
//! score, fuel) and its sha256. [`crate::planning::replay`] (a planning service, since it
//! runs plugins, whose activations this chain records) loads the recorded plugins by sha256, configures
//! them as recorded, plans the recorded problem again on a blocking thread and compares:
//! plugins are deterministic (no clock, no randomness, fuel counted by instruction), so an
//! untouched record replays to the identical bytes. It writes nothing.

mod chain;

use callsheet_engine::{BudgetRecord, FuelUsed, PlanOutcome, PluginIdentity, RunPlugins};
use callsheet_runtime::types::{Params, Problem, Score};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{AuditEntryId, MissionId, TenantId, UserId};
use crate::storage::StorageError;

pub use chain::{
    Broken, MAX_ATTEMPTS, Verification, append, append_run, check_one, contention_pause, entry,
    entry_hash, format_at, run_entry, verify,
};

/// `prev_hash` of a chain's first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

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
    /// A pay period closed: what it held, with a digest of its approved timesheets.
    PeriodClose,
    /// A closed pay period reopened by an admin, with the reason.
    PeriodReopen,
    /// A payroll run: its inputs' and payslips' sha256, the plugin and its configuration.
    PayrollRun,
    /// A file exported: what, its parameters, its name, sha256 and size, when.
    Export,
}

impl EntryKind {
    pub const ALL: [EntryKind; 7] = [
        EntryKind::AutoRun,
        EntryKind::Override,
        EntryKind::PluginActivation,
        EntryKind::PeriodClose,
        EntryKind::PeriodReopen,
        EntryKind::PayrollRun,
        EntryKind::Export,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::AutoRun => "auto-run",
            EntryKind::Override => "override",
            EntryKind::PluginActivation => "plugin-activation",
            EntryKind::PeriodClose => "period-close",
            EntryKind::PeriodReopen => "period-reopen",
            EntryKind::PayrollRun => "payroll-run",
            EntryKind::Export => "export",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_have_stable_names() {
        for kind in EntryKind::ALL {
            let json = serde_json::to_value(kind).unwrap();
            assert_eq!(json, kind.as_str());
        }
    }
}

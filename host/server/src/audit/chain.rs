//! The chain itself: how an entry is hashed, appended under contention, and verified.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{AuditEntry, AuditError, EntryKind, GENESIS, RunRecord};
use crate::domain::time::to_second;
use crate::domain::{AuditEntryId, TenantId, UserId};
use crate::storage::{AuditInsert, AuditRow, DynStorage, StorageError};

/// Domain tag hashed before the fields; bump it if the encoding ever changes.
const HASH_TAG: &[u8] = b"callsheet-audit-v1";
/// Entries read per query while verifying.
const VERIFY_BATCH: i64 = 500;

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
    hex::encode(hasher.finalize())
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

/// Appends an automatic run under an id chosen beforehand (the run id its assignments
/// already carry); a committed run's entry is written with its commit instead
/// ([`run_entry`]).
pub async fn append_run(
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

/// A run's entry as the next of the tenant's chain as it stands now, for a caller that
/// writes it in its own transaction; when the sequence number turns out taken, it builds
/// it again after [`contention_pause`].
pub async fn run_entry(
    storage: &DynStorage,
    tenant: TenantId,
    id: AuditEntryId,
    actor: Option<UserId>,
    record: &RunRecord,
) -> Result<AuditRow, AuditError> {
    let row = template(
        tenant,
        id,
        EntryKind::AutoRun,
        actor,
        serde_json::to_string(record)?,
        Some(serde_json::to_string(&record.summary())?),
    );
    Ok(chained(storage, row).await?.0)
}

/// An entry of `kind` with `payload` as the next of the tenant's chain as it stands now,
/// for a caller that writes it in its own transaction (a period close); when the sequence
/// number turns out taken, it builds it again after [`contention_pause`].
pub async fn entry(
    storage: &DynStorage,
    tenant: TenantId,
    kind: EntryKind,
    actor: Option<UserId>,
    payload: &Value,
) -> Result<AuditRow, AuditError> {
    let row = template(
        tenant,
        AuditEntryId::new(),
        kind,
        actor,
        serde_json::to_string(payload)?,
        None,
    );
    Ok(chained(storage, row).await?.0)
}

/// How many times an entry is built again after losing its sequence number.
pub const MAX_ATTEMPTS: u32 = 200;

/// A short random pause after losing a sequence number: the winner's commit lands, and the
/// losers spread out.
pub async fn contention_pause(attempt: u32) {
    let jitter = rand::random::<u64>() % u64::from(attempt.min(10) * 2 + 1);
    tokio::time::sleep(Duration::from_millis(1 + jitter)).await;
}

fn template(
    tenant: TenantId,
    id: AuditEntryId,
    kind: EntryKind,
    actor: Option<UserId>,
    payload: String,
    summary: Option<String>,
) -> AuditRow {
    AuditRow {
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
    }
}

/// `row` completed as the next entry of its tenant's chain as it stands: sequence
/// number, time, link and hash; and that time.
async fn chained(
    storage: &DynStorage,
    mut row: AuditRow,
) -> Result<(AuditRow, DateTime<Utc>), AuditError> {
    let (seq, prev_hash) = storage
        .audit_head(row.tenant_id)
        .await?
        .unwrap_or_else(|| (0, GENESIS.to_owned()));
    let at = to_second(Utc::now());
    row.seq = seq + 1;
    row.at = format_at(at);
    row.hash = entry_hash(
        &prev_hash,
        row.seq,
        row.id,
        &row.kind,
        row.actor,
        &row.at,
        row.payload.as_deref().unwrap_or_default(),
    );
    row.prev_hash = prev_hash;
    Ok((row, at))
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
    let template = template(tenant, id, kind, actor, payload, summary);
    for attempt in 1..=MAX_ATTEMPTS {
        let (row, at) = chained(storage, template.clone()).await?;
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
            Err(e) if e.is_transient() => {}
            Err(e) => return Err(e.into()),
        }
        contention_pause(attempt).await;
    }
    Err(AuditError::Contention(MAX_ATTEMPTS))
}

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

/// Why one entry does not hold, if it does not: its own hash, and its link to the entry
/// before it. What a replay checks before it trusts a record; [`verify`] walks the chain.
pub async fn check_one(
    storage: &DynStorage,
    tenant: TenantId,
    row: &AuditRow,
) -> Result<Option<String>, StorageError> {
    let prev_hash = if row.seq <= 1 {
        GENESIS.to_owned()
    } else {
        let before = storage.audit_chain(tenant, row.seq - 2, 1).await?;
        match before.into_iter().next() {
            Some(prev) if prev.seq == row.seq - 1 => prev.hash,
            _ => return Ok(Some(format!("entry {} is missing before it", row.seq - 1))),
        }
    };
    Ok(check_entry(row, row.seq - 1, &prev_hash))
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
}

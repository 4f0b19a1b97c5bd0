//! Large exports as background jobs.
//!
//! A file that takes long to make (a year of timesheets or of the plan) is made by a job
//! (`crate::jobs`): the request answers at once with the job to poll, the job makes the
//! file, records it in the audit chain like any export, and keeps it for
//! [`KEEP_FOR`] for the user who asked, who downloads it with the same checksum headers as
//! a direct download. A cancelled job keeps nothing and records nothing.

use std::future::Future;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use super::{Export, ExportError, record};
use crate::domain::{JobId, TenantId, UserId};
use crate::jobs::{self, JobError, JobFailure};
use crate::state::AppState;
use crate::storage::export_files::ExportFile;
use crate::storage::jobs::Job;
use crate::storage::{DynStorage, StorageResult};

/// How long a background export's file stays downloadable.
pub const KEEP_FOR: Duration = Duration::days(7);

/// A finished background export: the job's result.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FileReady {
    /// What was exported: `plan`, `timesheets`...
    pub export: String,
    pub filename: String,
    pub content_type: String,
    /// Lowercase hex sha256 of the file, as recorded in the audit chain.
    pub sha256: String,
    pub bytes: usize,
    pub rows: usize,
    pub generated_at: DateTime<Utc>,
    /// Until when the file can be downloaded.
    pub expires_at: DateTime<Utc>,
    /// Where to download it (the user who asked only).
    pub file: String,
}

/// Starts `make` as a job of kind `export`; `make`'s failure carries the code the API
/// would have answered.
pub async fn start<F, Fut>(
    state: &AppState,
    tenant: TenantId,
    by: UserId,
    kind: &'static str,
    parameters: Value,
    make: F,
) -> Result<Job, JobError>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = Result<Export, JobFailure>> + Send + 'static,
{
    let storage = state.storage.clone();
    let request = json!({"export": kind, "parameters": parameters});
    jobs::start(
        state,
        tenant,
        by,
        "export",
        &request,
        move |handle| async move {
            let export = make().await?;
            // A cancellation while the file was made: keep nothing, record nothing.
            if handle.cancelled().await.map_err(failed)? {
                return Err(JobFailure {
                    code: "JOB_CANCELLED",
                    detail: "the job was cancelled".into(),
                });
            }
            keep(&storage, tenant, by, handle.id, kind, parameters, export)
                .await
                .map_err(|e| match e {
                    ExportError::Storage(e) => failed(e),
                    other => JobFailure {
                        code: "INTERNAL_ERR",
                        detail: other.to_string(),
                    },
                })
        },
    )
    .await
}

/// Records the file in the audit chain and keeps it.
async fn keep(
    storage: &DynStorage,
    tenant: TenantId,
    by: UserId,
    job: JobId,
    kind: &str,
    parameters: Value,
    export: Export,
) -> Result<FileReady, ExportError> {
    record(storage, tenant, by, kind, parameters, &export).await?;
    let expires_at = export.generated_at + KEEP_FOR;
    let ready = FileReady {
        export: kind.to_owned(),
        filename: export.filename.clone(),
        content_type: export.content_type.to_owned(),
        sha256: export.sha256.clone(),
        bytes: export.bytes.len(),
        rows: export.rows,
        generated_at: export.generated_at,
        expires_at,
        file: format!("/api/v1/exports/files/{job}"),
    };
    storage
        .save_export_file(ExportFile {
            job_id: job,
            tenant_id: tenant,
            created_by: by,
            filename: export.filename,
            content_type: export.content_type.to_owned(),
            body: export.bytes,
            sha256: export.sha256,
            rows: i64::try_from(export.rows).unwrap_or(i64::MAX),
            generated_at: export.generated_at,
            expires_at,
        })
        .await?;
    Ok(ready)
}

fn failed(e: crate::storage::StorageError) -> JobFailure {
    JobFailure {
        code: "INTERNAL_ERR",
        detail: e.to_string(),
    }
}

/// The file of a background export, for the user who asked; `None` when unknown,
/// expired, or someone else's.
pub async fn file(
    storage: &DynStorage,
    tenant: TenantId,
    user: UserId,
    job: JobId,
) -> StorageResult<Option<Export>> {
    let Some(stored) = storage
        .export_file(tenant, job, crate::domain::time::now())
        .await?
    else {
        return Ok(None);
    };
    if stored.created_by != user {
        return Ok(None);
    }
    Ok(Some(Export {
        filename: stored.filename,
        content_type: content_type(&stored.content_type),
        bytes: stored.body,
        sha256: stored.sha256,
        generated_at: stored.generated_at,
        rows: usize::try_from(stored.rows).unwrap_or(0),
    }))
}

/// The stored type as one of the types exports answer with.
fn content_type(stored: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "text/csv; charset=utf-8",
        "text/calendar; charset=utf-8",
        "application/pdf",
    ];
    KNOWN
        .iter()
        .find(|k| **k == stored)
        .copied()
        .unwrap_or("application/octet-stream")
}

/// Deletes the expired files; how many.
pub async fn purge_expired(storage: &DynStorage) -> StorageResult<u64> {
    let purged = storage
        .delete_expired_export_files(crate::domain::time::now())
        .await?;
    if purged > 0 {
        tracing::info!(files = purged, "expired export files deleted");
    }
    Ok(purged)
}

/// Purges expired files every hour, for as long as the server runs.
pub async fn purge_forever(storage: DynStorage) {
    let mut ticks = tokio::time::interval(std::time::Duration::from_secs(3600));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(error) = purge_expired(&storage).await {
            tracing::warn!(%error, "cannot purge expired export files");
        }
    }
}

//! Background jobs: large automatic runs answer 202 and run here.
//!
//! A job is a row (`jobs`) and a tokio task. The row is the truth a client polls
//! (`GET /jobs/{id}`: state, progress, result or error); the task does the work and moves
//! the row on. Cancelling marks the row `cancelled`; the work checks the mark before it
//! commits anything, so a cancelled run writes nothing (a plugin call in progress finishes,
//! bounded by its fuel and deadline, and its result is dropped). A final state never
//! changes again: `update_job` refuses to move a finished job.
//!
//! The work lives in the process that started it. While it runs, a heartbeat touches the
//! row every [`HEARTBEAT`]; every replica sweeps, at start-up and every [`HEARTBEAT`],
//! the queued or running jobs untouched for [`ABANDONED_AFTER`] and marks them failed
//! (`JOB_INTERRUPTED`): their process died (killed, crashed, restarted), and no client
//! waits forever. A live job of another replica is never swept, its heartbeat keeps it
//! recent. Start it again: the `Idempotency-Key` of the original request is free once its
//! claim is abandoned (see `http::idempotency`).

use std::future::Future;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};

use crate::domain::{JobId, JobState, TenantId, UserId};
use crate::state::AppState;
use crate::storage::jobs::{Job, JobUpdate};
use crate::storage::{DynStorage, StorageError, StorageResult};

/// How often a running job's row is touched.
pub const HEARTBEAT: Duration = Duration::from_secs(10);

/// How long a queued or running job may go untouched before it counts as dead: six
/// missed heartbeats, so a slow database or a paused process does not kill a live job.
pub const ABANDONED_AFTER: Duration = Duration::from_secs(60);

/// Why a job could not be started.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The request the job records does not serialise.
    #[error("cannot record the job's request: {0}")]
    Request(#[from] serde_json::Error),
}

/// How a job's work failed, as its row records it (`{"code", "detail"}`): the caller turns
/// its own error into one, with the same code the API would answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFailure {
    pub code: &'static str,
    pub detail: String,
}

/// What a job's work can see of its job.
#[derive(Debug, Clone)]
pub struct JobHandle {
    storage: DynStorage,
    pub id: JobId,
    pub tenant: TenantId,
}

impl JobHandle {
    /// Records progress (0-100); `false` when the job was cancelled meanwhile.
    pub async fn progress(&self, progress: i32) -> StorageResult<bool> {
        let moved = self
            .storage
            .update_job(
                self.id,
                JobUpdate {
                    state: JobState::Running,
                    progress: progress.clamp(0, 100),
                    result: None,
                    error: None,
                },
                crate::domain::time::now(),
            )
            .await?;
        Ok(moved.is_some())
    }

    /// Whether the job was cancelled (or otherwise finished) meanwhile.
    pub async fn cancelled(&self) -> StorageResult<bool> {
        Ok(self
            .storage
            .job(self.tenant, self.id)
            .await?
            .is_none_or(|job| job.state.is_final()))
    }
}

/// Creates a queued job and starts `work` on it in the background.
pub async fn start<F, Fut, T>(
    state: &AppState,
    tenant: TenantId,
    actor: UserId,
    kind: &str,
    request: &impl Serialize,
    work: F,
) -> Result<Job, JobError>
where
    F: FnOnce(JobHandle) -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, JobFailure>> + Send + 'static,
    T: Serialize + Send + 'static,
{
    let now = crate::domain::time::now();
    let job = state
        .storage
        .create_job(Job {
            id: JobId::new(),
            tenant_id: tenant,
            kind: kind.to_owned(),
            state: JobState::Queued,
            progress: 0,
            request: serde_json::to_string(request)?,
            result: None,
            error: None,
            created_by: Some(actor),
            created_at: now,
            updated_at: now,
        })
        .await?;
    let handle = JobHandle {
        storage: state.storage.clone(),
        id: job.id,
        tenant,
    };
    let storage = state.storage.clone();
    tokio::spawn(async move {
        let id = handle.id;
        let outcome = tokio::select! {
            outcome = work(handle) => outcome,
            never = heartbeat(storage.clone(), id) => match never {},
        };
        let update = match outcome {
            Ok(result) => JobUpdate {
                state: JobState::Succeeded,
                progress: 100,
                result: Some(serde_json::to_string(&result).unwrap_or_else(|e| {
                    json!({"error": format!("unserialisable result: {e}")}).to_string()
                })),
                error: None,
            },
            Err(JobFailure { code, detail }) => {
                tracing::warn!(job = %id, code, %detail, "job failed");
                JobUpdate {
                    state: JobState::Failed,
                    progress: 100,
                    result: None,
                    error: Some(json!({"code": code, "detail": detail}).to_string()),
                }
            }
        };
        match storage
            .update_job(id, update, crate::domain::time::now())
            .await
        {
            Ok(Some(job)) => tracing::info!(job = %id, state = %job.state, "job finished"),
            // Cancelled meanwhile: the cancellation stands, the result is dropped.
            Ok(None) => tracing::info!(job = %id, "job was cancelled; result dropped"),
            Err(error) => tracing::error!(job = %id, %error, "cannot record a job's end"),
        }
    });
    Ok(job)
}

/// Touches the job's row every [`HEARTBEAT`] until dropped (when its work ends).
async fn heartbeat(storage: DynStorage, id: JobId) -> std::convert::Infallible {
    let mut ticks = tokio::time::interval(HEARTBEAT);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(error) = storage.touch_job(id, crate::domain::time::now()).await {
            tracing::warn!(job = %id, %error, "cannot touch a running job");
        }
    }
}

/// Marks failed the jobs whose process died (see the module docs); returns how many.
pub async fn sweep_abandoned(storage: &DynStorage) -> StorageResult<u64> {
    let now = crate::domain::time::now();
    let cutoff = now - chrono::Duration::from_std(ABANDONED_AFTER).expect("a minute fits");
    let swept = storage.fail_interrupted_jobs(now, cutoff).await?;
    if swept > 0 {
        tracing::warn!(jobs = swept, "jobs whose server stopped marked failed");
    }
    Ok(swept)
}

/// Sweeps every [`HEARTBEAT`], for as long as the server runs.
pub async fn sweep_forever(storage: DynStorage) {
    let mut ticks = tokio::time::interval(HEARTBEAT);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(error) = sweep_abandoned(&storage).await {
            tracing::warn!(%error, "cannot sweep abandoned jobs");
        }
    }
}

/// A job's result or error as JSON values, for views.
pub fn decoded(text: Option<&str>) -> Option<Value> {
    text.map(|t| serde_json::from_str(t).unwrap_or(Value::String(t.to_owned())))
}

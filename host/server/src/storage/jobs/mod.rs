//! Background jobs: a row per job, its state and progress, its request and result.
//!
//! The trait is a part of [`super::Storage`]; [`sql`] implements it over a backend's pool
//! with the same SQL on both.

use chrono::{DateTime, Utc};

use super::StorageResult;
use crate::domain::{JobId, JobState, TenantId, UserId};

/// A background job row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Job {
    pub id: JobId,
    pub tenant_id: TenantId,
    pub kind: String,
    #[sqlx(try_from = "String")]
    pub state: JobState,
    pub progress: i32,
    /// The request, JSON.
    pub request: String,
    /// The result once succeeded, JSON.
    pub result: Option<String>,
    /// Why it failed, JSON `{detail, code}`.
    pub error: Option<String>,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A change of a job's state; refused once the job is final (a cancelled job stays so).
#[derive(Debug, Clone)]
pub struct JobUpdate {
    pub state: JobState,
    pub progress: i32,
    pub result: Option<String>,
    pub error: Option<String>,
}

/// The unfinished jobs of one state, over every tenant (an operator's figure for
/// `/metrics`, never shown to a tenant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobQueue {
    pub state: JobState,
    pub count: u64,
    /// When the oldest of them was created.
    pub oldest: DateTime<Utc>,
}

/// Background jobs.
#[async_trait::async_trait]
pub trait JobStore: Send + Sync {
    async fn create_job(&self, job: Job) -> StorageResult<Job>;
    async fn job(&self, tenant: TenantId, id: JobId) -> StorageResult<Option<Job>>;
    /// Moves a job on; `None` when it is unknown or already final (e.g. cancelled).
    async fn update_job(
        &self,
        id: JobId,
        update: JobUpdate,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<Job>>;
    /// Records that a queued or running job's work is alive (its heartbeat).
    async fn touch_job(&self, id: JobId, now: DateTime<Utc>) -> StorageResult<()>;
    /// Marks failed (`JOB_INTERRUPTED`) every queued or running job last updated before
    /// `stale_before`: a job's work dies with the process that ran it, and a live job's
    /// heartbeat keeps it more recent than the cut-off.
    async fn fail_interrupted_jobs(
        &self,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> StorageResult<u64>;
    /// The queued and running jobs of every tenant, counted by state; a state without jobs
    /// is absent.
    async fn job_queue(&self) -> StorageResult<Vec<JobQueue>>;
}

pub(super) mod sql;

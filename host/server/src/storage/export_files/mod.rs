//! Files of background exports: what a large export produced, kept for the user who
//! asked until it expires.
//!
//! The trait is a part of [`super::Storage`]; [`sql`] implements it over a backend's pool
//! with the same SQL on both.

use chrono::{DateTime, Utc};

use super::StorageResult;
use crate::domain::{JobId, TenantId, UserId};

/// A stored export file.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ExportFile {
    pub job_id: JobId,
    pub tenant_id: TenantId,
    /// Who asked: the only one who may download it.
    pub created_by: UserId,
    pub filename: String,
    pub content_type: String,
    pub body: Vec<u8>,
    /// Lowercase hex sha256 of `body`.
    pub sha256: String,
    /// Data rows.
    pub rows: i64,
    pub generated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Export files.
#[async_trait::async_trait]
pub trait ExportFileStore: Send + Sync {
    /// Keeps a job's file (one per job: a second one replaces the first).
    async fn save_export_file(&self, file: ExportFile) -> StorageResult<()>;

    /// A job's file, unless it expired before `now`.
    async fn export_file(
        &self,
        tenant: TenantId,
        job: JobId,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<ExportFile>>;

    /// Deletes the files expired before `now`; how many.
    async fn delete_expired_export_files(&self, now: DateTime<Utc>) -> StorageResult<u64>;
}

pub(super) mod sql;

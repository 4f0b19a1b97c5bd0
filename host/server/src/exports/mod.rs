//! Exports: CSV files of the tenant's data, each answered with its sha256 and generation
//! time and recorded in the audit chain (who, what, when, sha256), so an auditor can prove
//! a file is the one issued.
//!
//! - [`csv_files`]: timesheets of a range, a payroll run's lines, the technicians;
//! - [`ics`]: a technician's assignments as an iCalendar file or subscription feed;
//! - [`call_sheets`]: PDF call sheets (a mission, a venue's day, a technician's week),
//!   typeset by [`pdf`];
//! - [`background`]: large exports made by a job and kept for download.
//!
//! Files are UTF-8 with a header row; times are in the tenant's zone (RFC 3339 with the
//! offset); money is given in cents and formatted (`1234.50`); the columns and their order
//! are documented in `docs/api.md` and only ever extended at the end.

pub mod background;
pub mod call_sheets;
pub mod csv_files;
pub mod ics;
pub mod pdf;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::audit::{self, AuditError, EntryKind};
use crate::domain::{TenantId, UserId};
use crate::payroll::PayrollError;
use crate::storage::{DynStorage, StorageError};

/// A generated file.
#[derive(Debug, Clone)]
pub struct Export {
    /// `timesheets-2026-07.csv`.
    pub filename: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
    /// Lowercase hex sha256 of `bytes`.
    pub sha256: String,
    pub generated_at: DateTime<Utc>,
    /// Data rows (the header not counted).
    pub rows: usize,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error(transparent)]
    Payroll(#[from] PayrollError),
    #[error("cannot write the file: {0}")]
    Write(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Audit(#[from] AuditError),
}

impl Export {
    pub(super) fn csv(filename: String, bytes: Vec<u8>, rows: usize) -> Self {
        Self::new(filename, "text/csv; charset=utf-8", bytes, rows)
    }

    pub(super) fn new(
        filename: String,
        content_type: &'static str,
        bytes: Vec<u8>,
        rows: usize,
    ) -> Self {
        Self {
            filename,
            content_type,
            sha256: hex::encode(Sha256::digest(&bytes)),
            bytes,
            generated_at: crate::domain::time::to_second(Utc::now()),
            rows,
        }
    }
}

/// Appends the export's record to the tenant's audit chain: what (`kind` and its
/// parameters), the file name, its sha256 and size, when, by whom.
pub async fn record(
    storage: &DynStorage,
    tenant: TenantId,
    by: UserId,
    kind: &str,
    parameters: Value,
    export: &Export,
) -> Result<(), ExportError> {
    let payload = json!({
        "export": kind,
        "parameters": parameters,
        "filename": export.filename,
        "sha256": export.sha256,
        "bytes": export.bytes.len(),
        "rows": export.rows,
        "generated_at": export.generated_at,
    });
    audit::append(storage, tenant, EntryKind::Export, Some(by), &payload).await?;
    Ok(())
}

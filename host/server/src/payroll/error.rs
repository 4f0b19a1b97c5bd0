//! Why a payroll operation failed, in the service's own terms: the API maps each variant
//! to a status and code in `http::error`.

use crate::audit::AuditError;
use crate::plugins::TenantPluginError;
use crate::storage::StorageError;
use crate::timesheets::TimesheetError;

#[derive(Debug, thiserror::Error)]
pub enum PayrollError {
    /// No such run in the tenant.
    #[error("payroll run not found")]
    NotFound,
    /// Only a closed period is paid.
    #[error("pay period {period} is not closed; close it before running the payroll")]
    PeriodNotClosed { period: String },
    /// The period could not be read (a bad label).
    #[error(transparent)]
    Period(#[from] TimesheetError),
    /// The tenant's payroll plugin could not be resolved or failed.
    #[error(transparent)]
    Plugin(#[from] TenantPluginError),
    /// The stored record does not read any more.
    #[error("the stored payroll record is unreadable: {0}")]
    Unreadable(String),
    /// Other audit appends kept taking the run's place in the chain.
    #[error("the audit chain kept moving; try again")]
    Busy,
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Audit(#[from] AuditError),
}

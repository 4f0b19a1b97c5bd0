//! Why a timesheet or pay period operation failed, in the service's own terms: the API
//! maps each variant to a status and code in `http::error`.

use chrono::{DateTime, Utc};

use crate::audit::AuditError;
use crate::domain::{TimesheetId, TimesheetState};
use crate::storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum TimesheetError {
    /// No such timesheet in the tenant, or (for a technician) not their own.
    #[error("timesheet not found")]
    NotFound,
    /// A field of the request is refused.
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// A technician acting on someone else's assignment, or adding unplanned work.
    #[error("{0}")]
    NotYours(&'static str),
    /// The assignment was declined: nothing was worked on it.
    #[error("the assignment was declined; nothing was worked on it")]
    AssignmentDeclined,
    /// A timesheet records work that took place.
    #[error("a timesheet records work that took place; this work starts at {start}")]
    NotStarted { start: String },
    /// The operation does not apply to the timesheet's state.
    #[error("only {allowed} timesheets can be {action}; this one is {state}")]
    WrongState {
        state: TimesheetState,
        action: &'static str,
        allowed: &'static str,
    },
    /// The assignment already has its timesheet.
    #[error("this assignment already has a timesheet")]
    AlreadyRecorded,
    /// The technician has another timesheet over part of this time.
    #[error("the technician already has a timesheet over part of this time")]
    Overlap,
    /// The timesheet starts, or would start, in a closed pay period.
    #[error("pay period {period} is closed; an admin may reopen it with a reason")]
    PeriodClosed { period: String },
    /// The period holds timesheets that are neither approved nor excluded.
    #[error(
        "pay period {period} cannot close: {drafts} draft and {submitted} submitted timesheets must be approved or excluded first"
    )]
    PeriodNotReady {
        period: String,
        drafts: usize,
        submitted: usize,
        /// The first of them, by start.
        pending: Vec<TimesheetId>,
    },
    /// Closing a closed period.
    #[error("pay period {period} is already closed")]
    PeriodAlreadyClosed { period: String },
    /// Reopening a period that is not closed.
    #[error("pay period {period} is not closed")]
    PeriodNotClosed { period: String },
    /// Other writes kept landing while this one was prepared.
    #[error("the timesheets kept changing while this was prepared; try again")]
    Busy,
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Audit(#[from] AuditError),
}

impl TimesheetError {
    pub(super) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            reason: reason.into(),
        }
    }

    pub(super) fn not_started(start: DateTime<Utc>, tz: crate::domain::TimeZone) -> Self {
        Self::NotStarted {
            start: crate::domain::time::local(start, tz).to_rfc3339(),
        }
    }
}

//! Timesheets and pay periods: turning the plan into worked time, ready for payroll.
//!
//! - [`sheets`]: a timesheet per assignment that took place (or per piece of unplanned
//!   work a manager adds), with its actual times and breaks, through draft -> submitted ->
//!   approved (or back to draft with a reason), or excluded from pay;
//! - [`periods`]: closing a pay period once everything in it is approved or excluded, and
//!   reopening it (an admin, with a reason); both are entries of the audit chain, and no
//!   write reaches a timesheet of a closed period.
//!
//! A timesheet belongs to the pay period of its start in the tenant's time zone. The
//! storage serialises every timesheet write of a tenant with its closes (see
//! `storage::timesheets`), so a write cannot slip into a period while it closes.

mod error;
pub mod periods;
pub mod sheets;

pub use error::TimesheetError;

use crate::domain::TechnicianId;

/// Whose timesheets a caller acts on: everyone's (planners), or only their own profile's
/// (technicians; `None` when their account has no profile).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Everyone,
    Own(Option<TechnicianId>),
}

impl Scope {
    pub fn may_see(self, technician: TechnicianId) -> bool {
        match self {
            Scope::Everyone => true,
            Scope::Own(own) => own == Some(technician),
        }
    }
}

/// How many times a write computed from a read is tried again when another write landed
/// in between.
const ATTEMPTS: usize = 5;

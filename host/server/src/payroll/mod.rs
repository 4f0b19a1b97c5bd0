//! Payroll runs: a closed pay period's approved time turned into payslips by the tenant's
//! payroll plugin, recorded so that the same inputs give the same bytes again.
//!
//! - [`inputs`]: what the plugin is given, per technician paid in the period: their
//!   contract, the period, the local calendar over its whole ISO weeks (holidays
//!   included), and their approved worked periods of every ISO week overlapping it;
//! - [`runs`]: a run (every technician's payslip, the record stored with its audit entry
//!   in one transaction), a replay (computed again from the record and compared byte for
//!   byte), and the hours counted towards the intermittents' 507 hours.
//!
//! Only a closed period is paid: its timesheets can no longer change, so a run's inputs
//! are the close's inputs (its `approved_digest` is recorded with the run).

mod error;
pub mod inputs;
pub mod runs;

pub use error::PayrollError;

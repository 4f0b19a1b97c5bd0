//! Domain types that cannot hold invalid values.
//!
//! Request bodies are parsed into these at the edge (see `http::`), so storage and
//! business code never see an unchecked email, role or page size.

mod attributes;
mod crew;
mod email;
pub mod event;
mod ids;
pub mod mission;
mod page;
mod password;
mod patch;
mod planning;
mod role;
mod skill;
mod tenant;
pub mod text;
pub mod time;
mod timesheet;

pub use attributes::{AttributeValue, Attributes, Scalar};
pub use crew::{Contract, ContractKind, Preferences, Relation, RelationKind, RelationSeverity};
pub use email::Email;
pub use event::{Channel, DeliveryState, EventType, Language, NotificationChannels};
pub use ids::{
    AssignmentId, AuditEntryId, AvailabilityId, DeliveryId, EventId, JobId, MissionId, NeedId,
    PayPeriodId, PayrollRunId, PluginId, ProjectId, RoomId, SessionId, TechnicianId, TenantId,
    TimesheetId, UserId, VenueId, WebhookId,
};
pub use page::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, PageRequest};
pub use password::Password;
pub use patch::Patch;
pub use planning::{AssignmentSource, AssignmentStatus, JobState, MissionStatus};
pub use role::Role;
pub use skill::Skill;
pub use tenant::{TenantSlug, TimeZone};
pub use text::Phone;
pub use timesheet::{
    MAX_BREAKS, MAX_CACHETS, PayPeriod, PayPeriodKind, PayPeriodState, Shift, ShiftError,
    TimesheetState,
};

/// Why a value was refused; `http::` turns it into a 422 naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct InvalidValue {
    pub reason: String,
}

impl InvalidValue {
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

//! Typed identifiers, so a user id can never be passed where a tenant id is expected.
//!
//! UUID v7: time-ordered, so inserts stay at the end of B-tree indexes, and not
//! guessable in sequence the way integer ids are.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type, utoipa::ToSchema)]
        #[serde(transparent)]
        #[sqlx(transparent)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A tenant: a production company, venue or rental house.
    TenantId
);
id_type!(
    /// A user account inside a tenant.
    UserId
);
id_type!(
    /// One login: the family of refresh tokens issued from one password check.
    SessionId
);
id_type!(
    /// A technician profile: a person who can be hired on missions.
    TechnicianId
);
id_type!(
    /// A project: a tour, a festival, a client's account.
    ProjectId
);
id_type!(
    /// A venue (a site with rooms).
    VenueId
);
id_type!(
    /// A room (stage, hall) of a venue.
    RoomId
);
id_type!(
    /// A mission: a dated piece of work at a venue.
    MissionId
);
id_type!(
    /// A need of a mission: a skill and a crew size over a window.
    NeedId
);
id_type!(
    /// A declared availability window of a technician.
    AvailabilityId
);
id_type!(
    /// A technician put on a need.
    AssignmentId
);
id_type!(
    /// A plugin a tenant uploaded (or was given) for a slot.
    PluginId
);
id_type!(
    /// An entry of the tenant's audit chain (an automatic run, an override).
    AuditEntryId
);
id_type!(
    /// A background job (a large automatic run).
    JobId
);
id_type!(
    /// What a technician actually worked on one shift.
    TimesheetId
);
id_type!(
    /// A pay period a manager closed (or an admin reopened).
    PayPeriodId
);
id_type!(
    /// A payroll run: a closed period's payslips.
    PayrollRunId
);
id_type!(
    /// An event of the outbox: a change someone outside may hear of.
    EventId
);
id_type!(
    /// One message of the outbox: an event for one recipient on one channel.
    DeliveryId
);
id_type!(
    /// A tenant's webhook endpoint.
    WebhookId
);

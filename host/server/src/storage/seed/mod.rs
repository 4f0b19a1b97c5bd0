//! Bulk import of a whole planning data set in one transaction: the demo tenant's festival
//! week and the year of data the load scripts run against.
//!
//! Written separately from the resources' one-row-at-a-time writes because an import is
//! another job: thousands of rows, all or nothing, no per-row checks beyond the schema's
//! (the data comes from the instance generator, already consistent). The JSON columns use
//! the same encodings as the crew store.

use chrono::{DateTime, Utc};

use crate::domain::time::Window;
use crate::domain::{AvailabilityId, ProjectId, RoomId, TechnicianId, TenantId, VenueId};
use crate::storage::planning::{Assignment, NewMission};

use super::StorageResult;

/// Everything an import writes.
#[derive(Debug, Clone, Default)]
pub struct Seed {
    pub venues: Vec<(VenueId, String)>,
    pub rooms: Vec<(RoomId, VenueId, String)>,
    pub projects: Vec<(ProjectId, String)>,
    pub technicians: Vec<SeedTechnician>,
    pub availabilities: Vec<SeedAvailability>,
    pub missions: Vec<NewMission>,
    pub assignments: Vec<Assignment>,
}

/// A technician row, its structured columns already in their JSON form.
#[derive(Debug, Clone)]
pub struct SeedTechnician {
    pub id: TechnicianId,
    pub name: String,
    pub skills: String,
    /// `hourly` or `cachet`.
    pub contract_kind: &'static str,
    pub hourly_rate_cents: i64,
    pub cachet_rate_cents: i64,
    pub preferences: String,
    pub relations: String,
}

#[derive(Debug, Clone)]
pub struct SeedAvailability {
    pub id: AvailabilityId,
    pub technician_id: TechnicianId,
    pub window: Window,
    /// `available`, `unavailable` or `preferred`.
    pub kind: &'static str,
}

/// Bulk import.
#[async_trait::async_trait]
pub trait SeedStore: Send + Sync {
    /// Writes `seed` into `tenant` in one transaction.
    async fn import(&self, tenant: TenantId, seed: Seed, now: DateTime<Utc>) -> StorageResult<()>;
    /// How many missions the tenant has (an import fills an empty tenant only).
    async fn mission_count(&self, tenant: TenantId) -> StorageResult<u64>;
}

pub(super) mod sql;

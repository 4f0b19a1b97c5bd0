//! Bulk import of a whole planning data set in one transaction: the demo tenant's festival
//! week and the year of data the load scripts run against.
//!
//! Written separately from the resources' one-row-at-a-time writes because an import is
//! another job: thousands of rows, all or nothing, no per-row checks beyond the schema's
//! (the data comes from the instance generator, already consistent). The JSON columns use
//! the same encodings as the crew store.

use chrono::{DateTime, Utc};

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
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
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

macro_rules! impl_seed_store {
    ($storage:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::seed::SeedStore for $storage {
            #[tracing::instrument(skip(self, seed), fields(missions = seed.missions.len(), technicians = seed.technicians.len()))]
            async fn import(
                &self,
                tenant: $crate::domain::TenantId,
                seed: $crate::storage::seed::Seed,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<()> {
                let mut tx = self.writer.begin().await?;
                for (id, name) in &seed.venues {
                    sqlx::query("INSERT INTO venues (id, tenant_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)")
                        .bind(id).bind(tenant).bind(name).bind(now)
                        .execute(&mut *tx).await?;
                }
                for (id, venue, name) in &seed.rooms {
                    sqlx::query("INSERT INTO rooms (id, tenant_id, venue_id, name, created_at) VALUES ($1, $2, $3, $4, $5)")
                        .bind(id).bind(tenant).bind(venue).bind(name).bind(now)
                        .execute(&mut *tx).await?;
                }
                for (id, name) in &seed.projects {
                    sqlx::query("INSERT INTO projects (id, tenant_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)")
                        .bind(id).bind(tenant).bind(name).bind(now)
                        .execute(&mut *tx).await?;
                }
                for t in &seed.technicians {
                    sqlx::query(
                        "INSERT INTO technicians (id, tenant_id, name, skills, contract_kind, hourly_rate_cents,
                                                  cachet_rate_cents, preferences, relations, attributes, active, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '{}', $10, $11, $11)",
                    )
                    .bind(t.id).bind(tenant).bind(&t.name).bind(&t.skills).bind(t.contract_kind)
                    .bind(t.hourly_rate_cents).bind(t.cachet_rate_cents).bind(&t.preferences).bind(&t.relations)
                    .bind(true).bind(now)
                    .execute(&mut *tx).await?;
                }
                for a in &seed.availabilities {
                    sqlx::query(
                        "INSERT INTO availabilities (id, tenant_id, technician_id, start_at, end_at, kind, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
                    )
                    .bind(a.id).bind(tenant).bind(a.technician_id).bind(a.start_at).bind(a.end_at).bind(a.kind).bind(now)
                    .execute(&mut *tx).await?;
                }
                for m in &seed.missions {
                    let mission = &m.mission;
                    sqlx::query(
                        "INSERT INTO missions (id, tenant_id, title, project_id, venue_id, room_id, start_at, end_at,
                                               paid, status, notes, attributes, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                    )
                    .bind(mission.id).bind(tenant).bind(&mission.title).bind(mission.project_id)
                    .bind(mission.venue_id).bind(mission.room_id).bind(mission.start_at).bind(mission.end_at)
                    .bind(mission.paid).bind(mission.status.as_str()).bind(mission.notes.as_deref())
                    .bind(&mission.attributes).bind(mission.created_at).bind(mission.updated_at)
                    .execute(&mut *tx).await?;
                    for need in &m.needs {
                        insert_need(&mut tx, tenant, need).await?;
                    }
                }
                for a in &seed.assignments {
                    insert_assignment(&mut tx, tenant, a).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn mission_count(&self, tenant: $crate::domain::TenantId) -> $crate::storage::StorageResult<u64> {
                let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM missions WHERE tenant_id = $1")
                    .bind(tenant)
                    .fetch_one(&self.reader)
                    .await?;
                Ok(u64::try_from(count).unwrap_or_default())
            }
        }
    };
}

pub(crate) use impl_seed_store;

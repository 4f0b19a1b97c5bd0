//! The seed store's SQL: [`super::SeedStore`] over a backend's pool.

macro_rules! impl_seed_store {
    ($storage:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::seed::SeedStore for $storage {
            #[tracing::instrument(name = "storage.import", skip(self, seed), fields(missions = seed.missions.len(), technicians = seed.technicians.len()))]
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
                    .bind(a.id).bind(tenant).bind(a.technician_id).bind(a.window.start()).bind(a.window.end()).bind(a.kind).bind(now)
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
                    .bind(mission.venue_id).bind(mission.room_id).bind(mission.window.start()).bind(mission.window.end())
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

            #[tracing::instrument(name = "storage.mission_count", level = "debug", skip_all)]
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

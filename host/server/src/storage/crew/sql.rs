//! The crew store's SQL: [`super::CrewStore`] over a backend's pool.

pub(in crate::storage) const TECHNICIAN_COLUMNS: &str = "id, tenant_id, user_id, name, email, phone, skills, contract_kind, \
     hourly_rate_cents, cachet_rate_cents, preferences, relations, attributes, active, created_at, updated_at";
pub(in crate::storage) const PROJECT_COLUMNS: &str =
    "id, tenant_id, name, client, starts_on, ends_on, created_at, updated_at";
pub(in crate::storage) const VENUE_COLUMNS: &str =
    "id, tenant_id, name, address, created_at, updated_at";
pub(in crate::storage) const ROOM_COLUMNS: &str = "id, venue_id, name, capacity, created_at";
pub(in crate::storage) const AVAILABILITY_COLUMNS: &str =
    "id, tenant_id, technician_id, start_at, end_at, kind, note, created_at, updated_at";

macro_rules! impl_crew_store {
    ($storage:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::crew::CrewStore for $storage {
            // --- technicians ---------------------------------------------------------

            #[tracing::instrument(name = "storage.create_technician", skip(self, technician), fields(technician = %technician.id))]
            async fn create_technician(
                &self,
                tenant: $crate::domain::TenantId,
                technician: $crate::storage::crew::NewTechnician,
            ) -> $crate::storage::StorageResult<$crate::storage::crew::Technician> {
                use $crate::storage::crew as crew;
                let sql = format!(
                    "INSERT INTO technicians (id, tenant_id, user_id, name, email, phone, skills, contract_kind,
                         hourly_rate_cents, cachet_rate_cents, preferences, relations, attributes, active,
                         created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)
                     RETURNING {}",
                    $crate::storage::crew::sql::TECHNICIAN_COLUMNS
                );
                let row: crew::TechnicianRow = sqlx::query_as(&sql)
                    .bind(technician.id)
                    .bind(tenant)
                    .bind(technician.user_id)
                    .bind(&technician.name)
                    .bind(technician.email.as_ref().map(|e| e.as_str()))
                    .bind(technician.phone.as_ref().map(|p| p.as_str()))
                    .bind($crate::storage::codec::to_json(&technician.skills)?)
                    .bind(technician.contract.kind.as_str())
                    .bind(technician.contract.hourly_rate_cents)
                    .bind(technician.contract.cachet_rate_cents)
                    .bind($crate::storage::codec::to_json(&technician.preferences)?)
                    .bind($crate::storage::codec::to_json(&technician.relations)?)
                    .bind($crate::storage::codec::to_json(&technician.attributes)?)
                    .bind(technician.active)
                    .bind(technician.created_at)
                    .fetch_one(&self.writer)
                    .await
                    .map_err(|e| $crate::storage::sql::duplicate_or::<$storage>(e, "user_id"))?;
                row.try_into()
            }

            #[tracing::instrument(name = "storage.technician", level = "debug", skip_all)]
            async fn technician(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::TechnicianId,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::crew::Technician>> {
                use $crate::storage::crew as crew;
                let sql = format!(
                    "SELECT {} FROM technicians WHERE tenant_id = $1 AND id = $2",
                    $crate::storage::crew::sql::TECHNICIAN_COLUMNS
                );
                let row: Option<crew::TechnicianRow> =
                    sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(&self.reader).await?;
                row.map(TryInto::try_into).transpose()
            }

            #[tracing::instrument(name = "storage.technicians_by_ids", level = "debug", skip_all)]
            async fn technicians_by_ids(
                &self,
                tenant: $crate::domain::TenantId,
                ids: &[$crate::domain::TechnicianId],
            ) -> $crate::storage::StorageResult<Vec<$crate::storage::crew::Technician>> {
                use $crate::storage::crew as crew;
                let mut found = Vec::new();
                for chunk in $crate::storage::sql::unique(ids).chunks($crate::storage::sql::IN_LIST_CHUNK) {
                    let sql = format!(
                        "SELECT {} FROM technicians WHERE tenant_id = $1 AND id IN ({}) ORDER BY id",
                        $crate::storage::crew::sql::TECHNICIAN_COLUMNS,
                        $crate::storage::sql::placeholders(2, chunk.len())
                    );
                    let mut query = sqlx::query_as(&sql).bind(tenant);
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    let rows: Vec<crew::TechnicianRow> = query.fetch_all(&self.reader).await?;
                    found.extend(crew::technicians(rows)?);
                }
                Ok(found)
            }

            #[tracing::instrument(name = "storage.active_technicians", level = "debug", skip_all)]
            async fn active_technicians(
                &self,
                tenant: $crate::domain::TenantId,
            ) -> $crate::storage::StorageResult<Vec<$crate::storage::crew::Technician>> {
                use $crate::storage::crew as crew;
                let sql = format!(
                    "SELECT {} FROM technicians WHERE tenant_id = $1 AND active = $2 ORDER BY id",
                    $crate::storage::crew::sql::TECHNICIAN_COLUMNS
                );
                let rows: Vec<crew::TechnicianRow> =
                    sqlx::query_as(&sql).bind(tenant).bind(true).fetch_all(&self.reader).await?;
                crew::technicians(rows)
            }

            #[tracing::instrument(name = "storage.list_technicians", skip(self))]
            async fn list_technicians(
                &self,
                tenant: $crate::domain::TenantId,
                filter: &$crate::storage::crew::TechnicianFilter,
                page: $crate::domain::PageRequest,
            ) -> $crate::storage::StorageResult<(Vec<$crate::storage::crew::Technician>, u64)> {
                use $crate::storage::crew as crew;
                // NULL parameters switch a filter off. Skill codes hold neither quotes
                // nor LIKE wildcards, so the quoted code matches one element of the JSON
                // array exactly.
                use $crate::storage::backend::Backend;
                let name_matches = <$storage as Backend>::contains_ignoring_case("name", "$4");
                let where_clause = format!(
                    "WHERE tenant_id = $1
                    AND ($2 IS NULL OR skills LIKE $2)
                    AND ($3 IS NULL OR active = $3)
                    AND ($4 IS NULL OR {name_matches})"
                );
                let skill = filter.skill.as_ref().map(|s| format!("%\"{}\"%", s.as_str()));
                let name = filter.name_contains.as_deref().map(<$storage as Backend>::contains_pattern);
                let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM technicians {where_clause}"))
                    .bind(tenant)
                    .bind(skill.as_deref())
                    .bind(filter.active)
                    .bind(name.as_deref())
                    .fetch_one(&self.reader)
                    .await?;
                let sql = format!(
                    "SELECT {} FROM technicians {where_clause} ORDER BY name, id LIMIT $5 OFFSET $6",
                    $crate::storage::crew::sql::TECHNICIAN_COLUMNS
                );
                let rows: Vec<crew::TechnicianRow> = sqlx::query_as(&sql)
                    .bind(tenant)
                    .bind(skill.as_deref())
                    .bind(filter.active)
                    .bind(name.as_deref())
                    .bind(page.limit())
                    .bind(page.offset())
                    .fetch_all(&self.reader)
                    .await?;
                Ok((crew::technicians(rows)?, u64::try_from(total).unwrap_or(0)))
            }

            #[tracing::instrument(name = "storage.update_technician", level = "debug", skip_all)]
            async fn update_technician(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::TechnicianId,
                patch: $crate::storage::crew::TechnicianPatch,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::crew::Technician>> {
                use $crate::storage::crew as crew;
                // COALESCE keeps a column the patch leaves out; `CASE WHEN $flag` does the
                // same for the columns a patch may set to NULL.
                let sql = format!(
                    "UPDATE technicians SET
                        name = COALESCE($3, name),
                        email = CASE WHEN $4 THEN $5 ELSE email END,
                        phone = CASE WHEN $6 THEN $7 ELSE phone END,
                        user_id = CASE WHEN $8 THEN $9 ELSE user_id END,
                        skills = COALESCE($10, skills),
                        contract_kind = COALESCE($11, contract_kind),
                        hourly_rate_cents = COALESCE($12, hourly_rate_cents),
                        cachet_rate_cents = COALESCE($13, cachet_rate_cents),
                        preferences = COALESCE($14, preferences),
                        relations = COALESCE($15, relations),
                        attributes = COALESCE($16, attributes),
                        active = COALESCE($17, active),
                        schedule_version = schedule_version + 1,
                        updated_at = $18
                     WHERE tenant_id = $1 AND id = $2
                     RETURNING {}",
                    $crate::storage::crew::sql::TECHNICIAN_COLUMNS
                );
                let email = patch.email.as_ref().map(|e| e.as_ref().map(|e| e.as_str().to_owned()));
                let phone = patch.phone.as_ref().map(|p| p.as_ref().map(|p| p.as_str().to_owned()));
                let row: Option<crew::TechnicianRow> = sqlx::query_as(&sql)
                    .bind(tenant)
                    .bind(id)
                    .bind(patch.name)
                    .bind(email.is_some())
                    .bind(email.flatten())
                    .bind(phone.is_some())
                    .bind(phone.flatten())
                    .bind(patch.user_id.is_some())
                    .bind(patch.user_id.flatten())
                    .bind(patch.skills.as_ref().map($crate::storage::codec::to_json).transpose()?)
                    .bind(patch.contract.map(|c| c.kind.as_str()))
                    .bind(patch.contract.map(|c| c.hourly_rate_cents))
                    .bind(patch.contract.map(|c| c.cachet_rate_cents))
                    .bind(patch.preferences.as_ref().map($crate::storage::codec::to_json).transpose()?)
                    .bind(patch.relations.as_ref().map($crate::storage::codec::to_json).transpose()?)
                    .bind(patch.attributes.as_ref().map($crate::storage::codec::to_json).transpose()?)
                    .bind(patch.active)
                    .bind(now)
                    .fetch_optional(&self.writer)
                    .await
                    .map_err(|e| $crate::storage::sql::duplicate_or::<$storage>(e, "user_id"))?;
                row.map(TryInto::try_into).transpose()
            }

            #[tracing::instrument(name = "storage.delete_technician", skip(self, now))]
            async fn delete_technician(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::TechnicianId,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<bool> {
                use $crate::storage::{backend::Backend, crew};
                let mut tx = self.writer.begin_with(<$storage as Backend>::BEGIN_WRITE).await?;
                // The technician and every technician whose relations name them (JSON
                // text), locked in id order in one statement: two deletes that would
                // rewrite each other's rows wait for one another instead of deadlocking.
                let locked: Vec<($crate::domain::TechnicianId, String)> = sqlx::query_as(&format!(
                    "SELECT id, relations FROM technicians
                     WHERE tenant_id = $1 AND (id = $2 OR relations LIKE $3)
                     ORDER BY id{}",
                    <$storage as Backend>::LOCK_ROW
                ))
                .bind(tenant)
                .bind(id)
                .bind(format!("%{id}%"))
                .fetch_all(&mut *tx)
                .await?;
                if !locked.iter().any(|(t, _)| *t == id) {
                    return Ok(false);
                }
                let assignments: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM assignments WHERE tenant_id = $1 AND technician_id = $2",
                )
                .bind(tenant)
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
                if assignments > 0 {
                    return Err(crew::technician_in_use(assignments));
                }
                for (other, text) in locked.into_iter().filter(|(t, _)| *t != id) {
                    sqlx::query("UPDATE technicians SET relations = $3, updated_at = $4, schedule_version = schedule_version + 1 WHERE tenant_id = $1 AND id = $2")
                        .bind(tenant)
                        .bind(other)
                        .bind(crew::relations_without(&text, id)?)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query("DELETE FROM technicians WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }

            // --- projects ------------------------------------------------------------

            #[tracing::instrument(name = "storage.create_project", level = "debug", skip_all)]
            async fn create_project(
                &self,
                tenant: $crate::domain::TenantId,
                project: $crate::storage::crew::NewProject,
            ) -> $crate::storage::StorageResult<$crate::storage::crew::Project> {
                let sql = format!(
                    "INSERT INTO projects (id, tenant_id, name, client, starts_on, ends_on, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {}",
                    $crate::storage::crew::sql::PROJECT_COLUMNS
                );
                sqlx::query_as(&sql)
                    .bind(project.id)
                    .bind(tenant)
                    .bind(&project.name)
                    .bind(&project.client)
                    .bind(project.starts_on)
                    .bind(project.ends_on)
                    .bind(project.created_at)
                    .fetch_one(&self.writer)
                    .await
                    .map_err(|e| $crate::storage::sql::duplicate_or::<$storage>(e, "name"))
            }

            #[tracing::instrument(name = "storage.project", level = "debug", skip_all)]
            async fn project(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::ProjectId,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::crew::Project>> {
                let sql = format!(
                    "SELECT {} FROM projects WHERE tenant_id = $1 AND id = $2",
                    $crate::storage::crew::sql::PROJECT_COLUMNS
                );
                Ok(sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(&self.reader).await?)
            }

            #[tracing::instrument(name = "storage.list_projects", skip(self))]
            async fn list_projects(
                &self,
                tenant: $crate::domain::TenantId,
                filter: &$crate::storage::crew::ProjectFilter,
                page: $crate::domain::PageRequest,
            ) -> $crate::storage::StorageResult<(Vec<$crate::storage::crew::Project>, u64)> {
                // A missing date is open-ended: a project without an end overlaps every
                // later range.
                use $crate::storage::backend::Backend;
                let name_matches = <$storage as Backend>::contains_ignoring_case("name", "$2");
                let where_clause = format!(
                    "WHERE tenant_id = $1
                    AND ($2 IS NULL OR {name_matches})
                    AND ($3 IS NULL OR ends_on IS NULL OR ends_on >= $3)
                    AND ($4 IS NULL OR starts_on IS NULL OR starts_on <= $4)"
                );
                let name = filter.name_contains.as_deref().map(<$storage as Backend>::contains_pattern);
                let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM projects {where_clause}"))
                    .bind(tenant)
                    .bind(name.as_deref())
                    .bind(filter.from)
                    .bind(filter.to)
                    .fetch_one(&self.reader)
                    .await?;
                let sql = format!(
                    "SELECT {} FROM projects {where_clause} ORDER BY name, id LIMIT $5 OFFSET $6",
                    $crate::storage::crew::sql::PROJECT_COLUMNS
                );
                let items = sqlx::query_as(&sql)
                    .bind(tenant)
                    .bind(name.as_deref())
                    .bind(filter.from)
                    .bind(filter.to)
                    .bind(page.limit())
                    .bind(page.offset())
                    .fetch_all(&self.reader)
                    .await?;
                Ok((items, u64::try_from(total).unwrap_or(0)))
            }

            #[tracing::instrument(name = "storage.update_project", level = "debug", skip_all)]
            async fn update_project(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::ProjectId,
                patch: $crate::storage::crew::ProjectPatch,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::crew::Project>> {
                let sql = format!(
                    "UPDATE projects SET
                        name = COALESCE($3, name),
                        client = CASE WHEN $4 THEN $5 ELSE client END,
                        starts_on = CASE WHEN $6 THEN $7 ELSE starts_on END,
                        ends_on = CASE WHEN $8 THEN $9 ELSE ends_on END,
                        updated_at = $10
                     WHERE tenant_id = $1 AND id = $2
                     RETURNING {}",
                    $crate::storage::crew::sql::PROJECT_COLUMNS
                );
                sqlx::query_as(&sql)
                    .bind(tenant)
                    .bind(id)
                    .bind(patch.name)
                    .bind(patch.client.is_some())
                    .bind(patch.client.flatten())
                    .bind(patch.starts_on.is_some())
                    .bind(patch.starts_on.flatten())
                    .bind(patch.ends_on.is_some())
                    .bind(patch.ends_on.flatten())
                    .bind(now)
                    .fetch_optional(&self.writer)
                    .await
                    .map_err(|e| $crate::storage::sql::duplicate_or::<$storage>(e, "name"))
            }

            #[tracing::instrument(name = "storage.delete_project", level = "debug", skip_all)]
            async fn delete_project(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::ProjectId,
            ) -> $crate::storage::StorageResult<bool> {
                let deleted = sqlx::query("DELETE FROM projects WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant)
                    .bind(id)
                    .execute(&self.writer)
                    .await?;
                Ok(deleted.rows_affected() > 0)
            }

            // --- venues and rooms ----------------------------------------------------

            #[tracing::instrument(name = "storage.create_venue", level = "debug", skip_all)]
            async fn create_venue(
                &self,
                tenant: $crate::domain::TenantId,
                venue: $crate::storage::crew::NewVenue,
            ) -> $crate::storage::StorageResult<$crate::storage::crew::Venue> {
                use $crate::storage::crew as crew;
                let sql = format!(
                    "INSERT INTO venues (id, tenant_id, name, address, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $5) RETURNING {}",
                    $crate::storage::crew::sql::VENUE_COLUMNS
                );
                let row: crew::VenueRow = sqlx::query_as(&sql)
                    .bind(venue.id)
                    .bind(tenant)
                    .bind(&venue.name)
                    .bind(&venue.address)
                    .bind(venue.created_at)
                    .fetch_one(&self.writer)
                    .await
                    .map_err(|e| $crate::storage::sql::duplicate_or::<$storage>(e, "name"))?;
                Ok(row.with_rooms(Vec::new()))
            }

            #[tracing::instrument(name = "storage.venue", level = "debug", skip_all)]
            async fn venue(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::VenueId,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::crew::Venue>> {
                use $crate::storage::crew as crew;
                let sql = format!(
                    "SELECT {} FROM venues WHERE tenant_id = $1 AND id = $2",
                    $crate::storage::crew::sql::VENUE_COLUMNS
                );
                let row: Option<crew::VenueRow> =
                    sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(&self.reader).await?;
                let Some(row) = row else { return Ok(None) };
                let sql = format!(
                    "SELECT {} FROM rooms WHERE tenant_id = $1 AND venue_id = $2 ORDER BY name, id",
                    $crate::storage::crew::sql::ROOM_COLUMNS
                );
                let rooms = sqlx::query_as(&sql).bind(tenant).bind(id).fetch_all(&self.reader).await?;
                Ok(Some(row.with_rooms(rooms)))
            }

            #[tracing::instrument(name = "storage.list_venues", skip(self))]
            async fn list_venues(
                &self,
                tenant: $crate::domain::TenantId,
                page: $crate::domain::PageRequest,
            ) -> $crate::storage::StorageResult<(Vec<$crate::storage::crew::Venue>, u64)> {
                use $crate::storage::crew as crew;
                let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM venues WHERE tenant_id = $1")
                    .bind(tenant)
                    .fetch_one(&self.reader)
                    .await?;
                let sql = format!(
                    "SELECT {} FROM venues WHERE tenant_id = $1 ORDER BY name, id LIMIT $2 OFFSET $3",
                    $crate::storage::crew::sql::VENUE_COLUMNS
                );
                let rows: Vec<crew::VenueRow> = sqlx::query_as(&sql)
                    .bind(tenant)
                    .bind(page.limit())
                    .bind(page.offset())
                    .fetch_all(&self.reader)
                    .await?;
                // The rooms of the whole page in one query (a page is at most
                // MAX_PAGE_SIZE venues, well under one IN list's chunk).
                let mut rooms: Vec<crew::Room> = Vec::new();
                let ids: Vec<$crate::domain::VenueId> = rows.iter().map(crew::VenueRow::id).collect();
                for chunk in ids.chunks($crate::storage::sql::IN_LIST_CHUNK) {
                    let sql = format!(
                        "SELECT {} FROM rooms WHERE tenant_id = $1 AND venue_id IN ({}) ORDER BY name, id",
                        $crate::storage::crew::sql::ROOM_COLUMNS,
                        $crate::storage::sql::placeholders(2, chunk.len())
                    );
                    let mut query = sqlx::query_as(&sql).bind(tenant);
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    rooms.extend(query.fetch_all(&self.reader).await?);
                }
                Ok((crew::venues_with_rooms(rows, rooms), u64::try_from(total).unwrap_or(0)))
            }

            #[tracing::instrument(name = "storage.update_venue", level = "debug", skip_all)]
            async fn update_venue(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::VenueId,
                patch: $crate::storage::crew::VenuePatch,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::crew::Venue>> {
                use $crate::storage::crew as crew;
                let sql = format!(
                    "UPDATE venues SET
                        name = COALESCE($3, name),
                        address = CASE WHEN $4 THEN $5 ELSE address END,
                        updated_at = $6
                     WHERE tenant_id = $1 AND id = $2
                     RETURNING {}",
                    $crate::storage::crew::sql::VENUE_COLUMNS
                );
                let row: Option<crew::VenueRow> = sqlx::query_as(&sql)
                    .bind(tenant)
                    .bind(id)
                    .bind(patch.name)
                    .bind(patch.address.is_some())
                    .bind(patch.address.flatten())
                    .bind(now)
                    .fetch_optional(&self.writer)
                    .await
                    .map_err(|e| $crate::storage::sql::duplicate_or::<$storage>(e, "name"))?;
                let Some(row) = row else { return Ok(None) };
                let sql = format!(
                    "SELECT {} FROM rooms WHERE tenant_id = $1 AND venue_id = $2 ORDER BY name, id",
                    $crate::storage::crew::sql::ROOM_COLUMNS
                );
                let rooms = sqlx::query_as(&sql).bind(tenant).bind(id).fetch_all(&self.reader).await?;
                Ok(Some(row.with_rooms(rooms)))
            }

            #[tracing::instrument(name = "storage.delete_venue", skip(self, now))]
            async fn delete_venue(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::VenueId,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<bool> {
                use $crate::storage::{backend::Backend, crew};
                let mut tx = self.writer.begin_with(<$storage as Backend>::BEGIN_WRITE).await?;
                let found: Option<$crate::domain::VenueId> = sqlx::query_scalar(&format!(
                    "SELECT id FROM venues WHERE tenant_id = $1 AND id = $2{}",
                    <$storage as Backend>::LOCK_ROW
                ))
                .bind(tenant)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                if found.is_none() {
                    return Ok(false);
                }
                let missions: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM missions WHERE tenant_id = $1 AND venue_id = $2",
                )
                .bind(tenant)
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
                if missions > 0 {
                    return Err(crew::venue_in_use(missions));
                }
                // Preferences are JSON: drop the venue from those naming it. The rows are
                // locked in id order, as a technician delete locks them, so the two wait
                // for one another instead of deadlocking.
                let preferring: Vec<($crate::domain::TechnicianId, String)> = sqlx::query_as(&format!(
                    "SELECT id, preferences FROM technicians WHERE tenant_id = $1 AND preferences LIKE $2 ORDER BY id{}",
                    <$storage as Backend>::LOCK_ROW
                ))
                .bind(tenant)
                .bind(format!("%{id}%"))
                .fetch_all(&mut *tx)
                .await?;
                for (technician, text) in preferring {
                    sqlx::query("UPDATE technicians SET preferences = $3, updated_at = $4, schedule_version = schedule_version + 1 WHERE tenant_id = $1 AND id = $2")
                        .bind(tenant)
                        .bind(technician)
                        .bind(crew::preferences_without(&text, id)?)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                }
                // The rooms go with the venue (ON DELETE CASCADE). The missions' foreign
                // key is RESTRICT: should a mission slip in anyway, the database refuses.
                sqlx::query("DELETE FROM venues WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| match <$storage as Backend>::refusal(&e) {
                        Some($crate::storage::backend::Refusal::ForeignKey) => crew::venue_in_use(1),
                        _ => e.into(),
                    })?;
                tx.commit().await?;
                Ok(true)
            }

            #[tracing::instrument(name = "storage.existing_venue_ids", level = "debug", skip_all)]
            async fn existing_venue_ids(
                &self,
                tenant: $crate::domain::TenantId,
                ids: &[$crate::domain::VenueId],
            ) -> $crate::storage::StorageResult<Vec<$crate::domain::VenueId>> {
                let mut found = Vec::new();
                for chunk in $crate::storage::sql::unique(ids).chunks($crate::storage::sql::IN_LIST_CHUNK) {
                    let sql = format!(
                        "SELECT id FROM venues WHERE tenant_id = $1 AND id IN ({}) ORDER BY id",
                        $crate::storage::sql::placeholders(2, chunk.len())
                    );
                    let mut query = sqlx::query_scalar(&sql).bind(tenant);
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    let ids: Vec<$crate::domain::VenueId> = query.fetch_all(&self.reader).await?;
                    found.extend(ids);
                }
                Ok(found)
            }

            #[tracing::instrument(name = "storage.create_room", level = "debug", skip_all)]
            async fn create_room(
                &self,
                tenant: $crate::domain::TenantId,
                venue: $crate::domain::VenueId,
                room: $crate::storage::crew::NewRoom,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::crew::Room>> {
                // The venue check and the insert are one statement.
                let sql = format!(
                    "INSERT INTO rooms (id, tenant_id, venue_id, name, capacity, created_at)
                     SELECT $1, $2, $3, $4, $5, $6
                     WHERE EXISTS (SELECT 1 FROM venues WHERE tenant_id = $2 AND id = $3)
                     RETURNING {}",
                    $crate::storage::crew::sql::ROOM_COLUMNS
                );
                sqlx::query_as(&sql)
                    .bind(room.id)
                    .bind(tenant)
                    .bind(venue)
                    .bind(&room.name)
                    .bind(room.capacity)
                    .bind(room.created_at)
                    .fetch_optional(&self.writer)
                    .await
                    .map_err(|e| $crate::storage::sql::duplicate_or::<$storage>(e, "name"))
            }

            #[tracing::instrument(name = "storage.room", level = "debug", skip_all)]
            async fn room(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::RoomId,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::crew::Room>> {
                let sql = format!(
                    "SELECT {} FROM rooms WHERE tenant_id = $1 AND id = $2",
                    $crate::storage::crew::sql::ROOM_COLUMNS
                );
                Ok(sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(&self.reader).await?)
            }

            #[tracing::instrument(name = "storage.list_rooms", level = "debug", skip_all)]
            async fn list_rooms(
                &self,
                tenant: $crate::domain::TenantId,
                venue: $crate::domain::VenueId,
                page: $crate::domain::PageRequest,
            ) -> $crate::storage::StorageResult<Option<(Vec<$crate::storage::crew::Room>, u64)>> {
                let exists: Option<$crate::domain::VenueId> =
                    sqlx::query_scalar("SELECT id FROM venues WHERE tenant_id = $1 AND id = $2")
                        .bind(tenant)
                        .bind(venue)
                        .fetch_optional(&self.reader)
                        .await?;
                if exists.is_none() {
                    return Ok(None);
                }
                let total: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM rooms WHERE tenant_id = $1 AND venue_id = $2")
                        .bind(tenant)
                        .bind(venue)
                        .fetch_one(&self.reader)
                        .await?;
                let sql = format!(
                    "SELECT {} FROM rooms WHERE tenant_id = $1 AND venue_id = $2 ORDER BY name, id LIMIT $3 OFFSET $4",
                    $crate::storage::crew::sql::ROOM_COLUMNS
                );
                let rooms = sqlx::query_as(&sql)
                    .bind(tenant)
                    .bind(venue)
                    .bind(page.limit())
                    .bind(page.offset())
                    .fetch_all(&self.reader)
                    .await?;
                Ok(Some((rooms, u64::try_from(total).unwrap_or(0))))
            }

            #[tracing::instrument(name = "storage.update_room", level = "debug", skip_all)]
            async fn update_room(
                &self,
                tenant: $crate::domain::TenantId,
                venue: $crate::domain::VenueId,
                id: $crate::domain::RoomId,
                patch: $crate::storage::crew::RoomPatch,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::crew::Room>> {
                let sql = format!(
                    "UPDATE rooms SET
                        name = COALESCE($4, name),
                        capacity = CASE WHEN $5 THEN $6 ELSE capacity END
                     WHERE tenant_id = $1 AND venue_id = $2 AND id = $3
                     RETURNING {}",
                    $crate::storage::crew::sql::ROOM_COLUMNS
                );
                sqlx::query_as(&sql)
                    .bind(tenant)
                    .bind(venue)
                    .bind(id)
                    .bind(patch.name)
                    .bind(patch.capacity.is_some())
                    .bind(patch.capacity.flatten())
                    .fetch_optional(&self.writer)
                    .await
                    .map_err(|e| $crate::storage::sql::duplicate_or::<$storage>(e, "name"))
            }

            #[tracing::instrument(name = "storage.delete_room", level = "debug", skip_all)]
            async fn delete_room(
                &self,
                tenant: $crate::domain::TenantId,
                venue: $crate::domain::VenueId,
                id: $crate::domain::RoomId,
            ) -> $crate::storage::StorageResult<bool> {
                let deleted = sqlx::query("DELETE FROM rooms WHERE tenant_id = $1 AND venue_id = $2 AND id = $3")
                    .bind(tenant)
                    .bind(venue)
                    .bind(id)
                    .execute(&self.writer)
                    .await?;
                Ok(deleted.rows_affected() > 0)
            }

            // --- availabilities ------------------------------------------------------

            #[tracing::instrument(name = "storage.create_availability", level = "debug", skip_all)]
            async fn create_availability(
                &self,
                tenant: $crate::domain::TenantId,
                availability: $crate::storage::crew::NewAvailability,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::crew::Availability>> {
                use $crate::storage::crew as crew;
                // The technician check and the insert are one statement.
                let sql = format!(
                    "INSERT INTO availabilities (id, tenant_id, technician_id, start_at, end_at, kind, note, created_at, updated_at)
                     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $8
                     WHERE EXISTS (SELECT 1 FROM technicians WHERE tenant_id = $2 AND id = $3)
                     RETURNING {}",
                    $crate::storage::crew::sql::AVAILABILITY_COLUMNS
                );
                let mut tx = self.writer.begin().await?;
                let row: Option<crew::AvailabilityRow> = sqlx::query_as(&sql)
                    .bind(availability.id)
                    .bind(tenant)
                    .bind(availability.technician_id)
                    .bind(availability.window.start())
                    .bind(availability.window.end())
                    .bind(availability.kind.as_str())
                    .bind(&availability.note)
                    .bind(availability.created_at)
                    .fetch_optional(&mut *tx)
                    .await?;
                if row.is_some() {
                    bump_technicians(&mut tx, tenant, [availability.technician_id]).await?;
                }
                tx.commit().await?;
                row.map(TryInto::try_into).transpose()
            }

            #[tracing::instrument(name = "storage.availability", level = "debug", skip_all)]
            async fn availability(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::AvailabilityId,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::crew::Availability>> {
                use $crate::storage::crew as crew;
                let sql = format!(
                    "SELECT {} FROM availabilities WHERE tenant_id = $1 AND id = $2",
                    $crate::storage::crew::sql::AVAILABILITY_COLUMNS
                );
                let row: Option<crew::AvailabilityRow> =
                    sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(&self.reader).await?;
                row.map(TryInto::try_into).transpose()
            }

            #[tracing::instrument(name = "storage.list_availabilities", skip(self))]
            async fn list_availabilities(
                &self,
                tenant: $crate::domain::TenantId,
                filter: &$crate::storage::crew::AvailabilityFilter,
                page: $crate::domain::PageRequest,
            ) -> $crate::storage::StorageResult<(Vec<$crate::storage::crew::Availability>, u64)> {
                use $crate::storage::crew as crew;
                const WHERE: &str = "WHERE tenant_id = $1
                    AND ($2 IS NULL OR technician_id = $2)
                    AND ($3 IS NULL OR kind = $3)
                    AND ($4 IS NULL OR end_at > $4)
                    AND ($5 IS NULL OR start_at < $5)";
                let kind = filter.kind.map(|k| k.as_str());
                let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM availabilities {WHERE}"))
                    .bind(tenant)
                    .bind(filter.technician)
                    .bind(kind)
                    .bind(filter.from)
                    .bind(filter.to)
                    .fetch_one(&self.reader)
                    .await?;
                let sql = format!(
                    "SELECT {} FROM availabilities {WHERE} ORDER BY start_at, id LIMIT $6 OFFSET $7",
                    $crate::storage::crew::sql::AVAILABILITY_COLUMNS
                );
                let rows: Vec<crew::AvailabilityRow> = sqlx::query_as(&sql)
                    .bind(tenant)
                    .bind(filter.technician)
                    .bind(kind)
                    .bind(filter.from)
                    .bind(filter.to)
                    .bind(page.limit())
                    .bind(page.offset())
                    .fetch_all(&self.reader)
                    .await?;
                Ok((crew::availabilities(rows)?, u64::try_from(total).unwrap_or(0)))
            }

            #[tracing::instrument(name = "storage.update_availability", level = "debug", skip_all)]
            async fn update_availability(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::AvailabilityId,
                owner: Option<$crate::domain::TechnicianId>,
                patch: $crate::storage::crew::AvailabilityPatch,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::crew::Availability>> {
                use $crate::storage::crew as crew;
                let sql = format!(
                    "UPDATE availabilities SET
                        technician_id = COALESCE($4, technician_id),
                        start_at = COALESCE($5, start_at),
                        end_at = COALESCE($6, end_at),
                        kind = COALESCE($7, kind),
                        note = CASE WHEN $8 THEN $9 ELSE note END,
                        updated_at = $10
                     WHERE tenant_id = $1 AND id = $2 AND ($3 IS NULL OR technician_id = $3)
                     RETURNING {}",
                    $crate::storage::crew::sql::AVAILABILITY_COLUMNS
                );
                let mut tx = self.writer.begin().await?;
                let before: Option<$crate::domain::TechnicianId> = sqlx::query_scalar(
                    "SELECT technician_id FROM availabilities WHERE tenant_id = $1 AND id = $2",
                )
                .bind(tenant)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                let row: Option<crew::AvailabilityRow> = sqlx::query_as(&sql)
                    .bind(tenant)
                    .bind(id)
                    .bind(owner)
                    .bind(patch.technician_id)
                    .bind(patch.start)
                    .bind(patch.end)
                    .bind(patch.kind.map(|k| k.as_str()))
                    .bind(patch.note.is_some())
                    .bind(patch.note.flatten())
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(row) = &row {
                    bump_technicians(&mut tx, tenant, before.into_iter().chain([row.technician_id])).await?;
                }
                tx.commit().await?;
                row.map(TryInto::try_into).transpose()
            }

            #[tracing::instrument(name = "storage.delete_availability", level = "debug", skip_all)]
            async fn delete_availability(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::AvailabilityId,
                owner: Option<$crate::domain::TechnicianId>,
            ) -> $crate::storage::StorageResult<bool> {
                let mut tx = self.writer.begin().await?;
                let deleted: Option<$crate::domain::TechnicianId> = sqlx::query_scalar(
                    "DELETE FROM availabilities WHERE tenant_id = $1 AND id = $2 AND ($3 IS NULL OR technician_id = $3)
                     RETURNING technician_id",
                )
                .bind(tenant)
                .bind(id)
                .bind(owner)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(technician) = deleted {
                    bump_technicians(&mut tx, tenant, [technician]).await?;
                }
                tx.commit().await?;
                Ok(deleted.is_some())
            }

            #[tracing::instrument(name = "storage.availabilities_overlapping", level = "debug", skip_all)]
            async fn availabilities_overlapping(
                &self,
                tenant: $crate::domain::TenantId,
                window: $crate::domain::time::Window,
                technician: Option<$crate::domain::TechnicianId>,
            ) -> $crate::storage::StorageResult<Vec<$crate::storage::crew::Availability>> {
                use $crate::storage::crew as crew;
                let sql = format!(
                    "SELECT {} FROM availabilities
                     WHERE tenant_id = $1 AND ($2 IS NULL OR technician_id = $2) AND end_at > $3 AND start_at < $4
                     ORDER BY technician_id, start_at, id",
                    $crate::storage::crew::sql::AVAILABILITY_COLUMNS
                );
                let rows: Vec<crew::AvailabilityRow> = sqlx::query_as(&sql)
                    .bind(tenant)
                    .bind(technician)
                    .bind(window.start())
                    .bind(window.end())
                    .fetch_all(&self.reader)
                    .await?;
                crew::availabilities(rows)
            }

            #[tracing::instrument(name = "storage.availabilities_of", level = "debug", skip_all)]
            async fn availabilities_of(
                &self,
                tenant: $crate::domain::TenantId,
                technicians: &[$crate::domain::TechnicianId],
                window: $crate::domain::time::Window,
            ) -> $crate::storage::StorageResult<Vec<$crate::storage::crew::Availability>> {
                use $crate::storage::crew as crew;
                if technicians.is_empty() {
                    return Ok(Vec::new());
                }
                let placeholders: Vec<String> =
                    (0..technicians.len()).map(|i| format!("${}", i + 4)).collect();
                let sql = format!(
                    "SELECT {} FROM availabilities
                     WHERE tenant_id = $1 AND end_at > $2 AND start_at < $3 AND technician_id IN ({})
                     ORDER BY technician_id, start_at, id",
                    $crate::storage::crew::sql::AVAILABILITY_COLUMNS,
                    placeholders.join(", ")
                );
                let mut query = sqlx::query_as::<_, crew::AvailabilityRow>(&sql)
                    .bind(tenant)
                    .bind(window.start())
                    .bind(window.end());
                for id in technicians {
                    query = query.bind(*id);
                }
                crew::availabilities(query.fetch_all(&self.reader).await?)
            }
        }
    };
}

pub(crate) use impl_crew_store;

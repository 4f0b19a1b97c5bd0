//! The planning store's SQL: [`super::PlanningStore`] over a backend's pool.

/// Columns of [`super::Mission`], in one place so every query returns the same shape.
pub(in crate::storage) const MISSION_COLUMNS: &str = "m.id, m.tenant_id, m.title, m.project_id, m.venue_id, m.room_id, m.start_at, m.end_at, m.paid, m.status, m.notes, m.attributes, m.created_at, m.updated_at";
/// Columns of [`super::Need`].
pub(in crate::storage) const NEED_COLUMNS: &str = "n.id, n.mission_id, n.position, n.skill, n.shift_type, n.min_crew, n.max_crew, n.start_at, n.end_at, n.unfilled_penalty, n.extra_penalty, n.attributes";
/// Columns of [`super::Assignment`].
pub(in crate::storage) const ASSIGNMENT_COLUMNS: &str = "a.id, a.tenant_id, a.need_id, a.mission_id, a.technician_id, a.start_at, a.end_at, a.status, a.pinned, a.source, a.run_id, a.override_reason, a.created_by, a.created_at, a.updated_at";

/// A mission with its needs as the JSON of [`Backend::needs_json`](crate::storage::backend::Backend::needs_json).
#[derive(sqlx::FromRow)]
pub(in crate::storage) struct MissionRow {
    #[sqlx(flatten)]
    mission: super::Mission,
    needs: String,
}

/// One need in [`MissionRow::needs`], its fields in the order of `needs_json`.
#[derive(serde::Deserialize)]
struct NeedFields(
    crate::domain::NeedId,
    i32,
    String,
    Option<String>,
    i32,
    Option<i32>,
    i64,
    i64,
    i64,
    i64,
    String,
);

impl MissionRow {
    pub(in crate::storage) fn into_mission(
        self,
    ) -> crate::storage::StorageResult<super::MissionWithNeeds> {
        let decode = |e: Box<dyn std::error::Error + Send + Sync>| sqlx::Error::ColumnDecode {
            index: "needs".to_owned(),
            source: e,
        };
        let fields: Vec<NeedFields> =
            serde_json::from_str(&self.needs).map_err(|e| decode(e.into()))?;
        let mission_id = self.mission.id;
        let needs = fields
            .into_iter()
            .map(|f| {
                let instant = |s: i64| {
                    chrono::DateTime::from_timestamp(s, 0)
                        .ok_or_else(|| decode(format!("{s}: not an instant").into()))
                };
                let window = crate::domain::time::Window::new(instant(f.6)?, instant(f.7)?)
                    .map_err(|e| decode(e.to_string().into()))?;
                Ok(super::Need {
                    id: f.0,
                    mission_id,
                    position: f.1,
                    skill: f.2,
                    shift_type: f.3,
                    min_crew: f.4,
                    max_crew: f.5,
                    window,
                    unfilled_penalty: f.8,
                    extra_penalty: f.9,
                    attributes: f.10,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?;
        Ok(super::MissionWithNeeds {
            mission: self.mission,
            needs,
        })
    }
}

macro_rules! impl_planning_store {
    ($storage:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::planning::PlanningStore for $storage {
            #[tracing::instrument(name = "storage.mission_refs", level = "debug", skip_all)]
            async fn mission_refs(
                &self,
                tenant: $crate::domain::TenantId,
                venue: $crate::domain::VenueId,
                room: Option<$crate::domain::RoomId>,
                project: Option<$crate::domain::ProjectId>,
            ) -> $crate::storage::StorageResult<$crate::storage::planning::MissionRefs> {
                let (venues, rooms, projects): (i64, i64, i64) = sqlx::query_as(
                    "SELECT (SELECT COUNT(*) FROM venues WHERE tenant_id = $1 AND id = $2),
                            (SELECT COUNT(*) FROM rooms WHERE tenant_id = $1 AND id = $3 AND venue_id = $2),
                            (SELECT COUNT(*) FROM projects WHERE tenant_id = $1 AND id = $4)",
                )
                .bind(tenant)
                .bind(venue)
                .bind(room)
                .bind(project)
                .fetch_one(&self.reader)
                .await?;
                Ok($crate::storage::planning::MissionRefs {
                    venue: venues > 0,
                    room: room.is_none() || rooms > 0,
                    project: project.is_none() || projects > 0,
                })
            }

            #[tracing::instrument(name = "storage.create_mission", skip(self, new), fields(mission = %new.mission.id))]
            async fn create_mission(
                &self,
                tenant: $crate::domain::TenantId,
                new: $crate::storage::planning::NewMission,
            ) -> $crate::storage::StorageResult<$crate::storage::planning::MissionWithNeeds> {
                let mut tx = self.writer.begin().await?;
                let m = &new.mission;
                sqlx::query(
                    "INSERT INTO missions (id, tenant_id, title, project_id, venue_id, room_id, start_at, end_at,
                                           paid, status, notes, attributes, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                )
                .bind(m.id)
                .bind(tenant)
                .bind(&m.title)
                .bind(m.project_id)
                .bind(m.venue_id)
                .bind(m.room_id)
                .bind(m.window.start())
                .bind(m.window.end())
                .bind(m.paid)
                .bind(m.status.as_str())
                .bind(m.notes.as_deref())
                .bind(&m.attributes)
                .bind(m.created_at)
                .bind(m.updated_at)
                .execute(&mut *tx)
                .await?;
                for need in &new.needs {
                    insert_need(&mut tx, tenant, need).await?;
                }
                tx.commit().await?;
                Ok($crate::storage::planning::MissionWithNeeds {
                    mission: new.mission,
                    needs: new.needs,
                })
            }

            #[tracing::instrument(name = "storage.mission", level = "debug", skip_all)]
            async fn mission(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::MissionId,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::planning::MissionWithNeeds>> {
                use $crate::storage::planning::sql::{MISSION_COLUMNS, NEED_COLUMNS};
                let mission: Option<$crate::storage::planning::Mission> =
                    sqlx::query_as(&format!("SELECT {MISSION_COLUMNS} FROM missions m WHERE m.tenant_id = $1 AND m.id = $2"))
                        .bind(tenant)
                        .bind(id)
                        .fetch_optional(&self.reader)
                        .await?;
                let Some(mission) = mission else { return Ok(None) };
                let needs = sqlx::query_as(&format!(
                    "SELECT {NEED_COLUMNS} FROM needs n WHERE n.tenant_id = $1 AND n.mission_id = $2 ORDER BY n.position, n.id"
                ))
                .bind(tenant)
                .bind(id)
                .fetch_all(&self.reader)
                .await?;
                Ok(Some($crate::storage::planning::MissionWithNeeds { mission, needs }))
            }

            #[tracing::instrument(name = "storage.list_missions", skip(self))]
            async fn list_missions(
                &self,
                tenant: $crate::domain::TenantId,
                filter: &$crate::storage::planning::MissionFilter,
                page: $crate::domain::PageRequest,
            ) -> $crate::storage::StorageResult<(Vec<$crate::storage::planning::MissionWithNeeds>, u64)> {
                use $crate::storage::planning::sql::MISSION_COLUMNS;
                use $crate::storage::backend::Backend;
                let title_matches = <$storage as Backend>::contains_ignoring_case("m.title", "$7");
                // The window is always a range on (tenant_id, start_at), the index the page is
                // read in: `start_at > $8`, the latest start of a mission that still ends after
                // `from` ([`MAX_MISSION_DAYS`] earlier), bounds it from below. Written as
                // `$2 IS NULL OR ...` it was a scan of the tenant's every mission, twice per
                // page (the count and the page): most of the list's time on a year of data.
                let where_clause = format!(
                    "WHERE m.tenant_id = $1
                    AND m.end_at > $2 AND m.start_at < $3 AND m.start_at > $8
                    AND ($4 IS NULL OR m.venue_id = $4)
                    AND ($5 IS NULL OR m.project_id = $5)
                    AND ($6 IS NULL OR m.status = $6)
                    AND ($7 IS NULL OR {title_matches})"
                );
                let pattern = filter.title_contains.as_deref().map(<$storage as Backend>::contains_pattern);
                let from = filter.window.map_or($crate::domain::time::EARLIEST, |w| w.start());
                let to = filter.window.map_or_else($crate::domain::time::latest, |w| w.end());
                let earliest_start = $crate::storage::sql::earliest_start(from);
                let status = filter.status.map(|s| s.as_str());
                let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM missions m {where_clause}"))
                    .bind(tenant)
                    .bind(from)
                    .bind(to)
                    .bind(filter.venue)
                    .bind(filter.project)
                    .bind(status)
                    .bind(pattern.as_deref())
                    .bind(earliest_start)
                    .fetch_one(&self.reader)
                    .await?;
                // The page first (materialized: its needs are aggregated for its rows only),
                // then each mission's needs as one JSON column: one row per mission, one
                // query, where a query per page and one per needs made three times the rows.
                let needs_json = <$storage as Backend>::needs_json("p");
                let rows: Vec<$crate::storage::planning::sql::MissionRow> = sqlx::query_as(&format!(
                    "WITH p AS MATERIALIZED (
                         SELECT {MISSION_COLUMNS} FROM missions m {where_clause}
                         ORDER BY m.start_at, m.id LIMIT $9 OFFSET $10)
                     SELECT p.*, {needs_json} AS needs FROM p ORDER BY p.start_at, p.id"
                ))
                .bind(tenant)
                .bind(from)
                .bind(to)
                .bind(filter.venue)
                .bind(filter.project)
                .bind(status)
                .bind(pattern.as_deref())
                .bind(earliest_start)
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(&self.reader)
                .await?;
                let missions = rows
                    .into_iter()
                    .map($crate::storage::planning::sql::MissionRow::into_mission)
                    .collect::<Result<_, _>>()?;
                Ok((missions, u64::try_from(total).unwrap_or_default()))
            }

            #[tracing::instrument(name = "storage.update_mission", skip(self, next, needs, expected), fields(mission = %next.id))]
            async fn update_mission(
                &self,
                tenant: $crate::domain::TenantId,
                next: $crate::storage::planning::Mission,
                needs: Vec<$crate::storage::planning::Need>,
                expected_updated_at: chrono::DateTime<chrono::Utc>,
                expected: &$crate::storage::planning::ScheduleSnapshot,
            ) -> $crate::storage::StorageResult<$crate::storage::planning::MissionUpdate> {
                use $crate::storage::planning::{MissionUpdate, MissionWithNeeds};
                let Some(&crew_version) = expected.missions.get(&next.id) else {
                    return Ok(MissionUpdate::ScheduleChanged);
                };
                let mut tx = self.writer.begin_with(<$storage as $crate::storage::backend::Backend>::BEGIN_WRITE).await?;
                // What the mission was, for its event: moved, cancelled, or neither.
                let before: Option<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>, String)> = sqlx::query_as(&format!(
                    "SELECT start_at, end_at, status FROM missions WHERE tenant_id = $1 AND id = $2{}",
                    <$storage as $crate::storage::backend::Backend>::LOCK_ROW
                ))
                .bind(tenant)
                .bind(next.id)
                .fetch_optional(&mut *tx)
                .await?;
                let updated = sqlx::query(
                    "UPDATE missions SET title = $3, project_id = $4, venue_id = $5, room_id = $6, start_at = $7,
                            end_at = $8, paid = $9, status = $10, notes = $11, attributes = $12, updated_at = $13,
                            crew_version = crew_version + 1
                     WHERE tenant_id = $1 AND id = $2 AND updated_at = $14 AND crew_version = $15",
                )
                .bind(tenant)
                .bind(next.id)
                .bind(&next.title)
                .bind(next.project_id)
                .bind(next.venue_id)
                .bind(next.room_id)
                .bind(next.window.start())
                .bind(next.window.end())
                .bind(next.paid)
                .bind(next.status.as_str())
                .bind(next.notes.as_deref())
                .bind(&next.attributes)
                .bind(next.updated_at)
                .bind(expected_updated_at)
                .bind(crew_version)
                .execute(&mut *tx)
                .await?;
                if updated.rows_affected() == 0 {
                    let row: Option<(chrono::DateTime<chrono::Utc>,)> =
                        sqlx::query_as("SELECT updated_at FROM missions WHERE tenant_id = $1 AND id = $2")
                            .bind(tenant)
                            .bind(next.id)
                            .fetch_optional(&mut *tx)
                            .await?;
                    return Ok(match row {
                        None => MissionUpdate::NotFound,
                        Some((at,)) if at != expected_updated_at => MissionUpdate::Stale,
                        Some(_) => MissionUpdate::ScheduleChanged,
                    });
                }
                // The crew's shifts may move with the mission's needs: their counters are
                // compared (their rules were checked against them) and bumped.
                let crew = crew_of(&mut tx, tenant, "mission_id", next.id).await?;
                if !bump_crew_if_at(&mut tx, tenant, crew.clone(), expected).await? {
                    return Ok(MissionUpdate::ScheduleChanged);
                }
                if let Some((start, end, status)) = before {
                    let cancelled = next.status == $crate::domain::MissionStatus::Cancelled
                        && status != next.status.as_str();
                    let moved = (start, end) != (next.window.start(), next.window.end());
                    let event_type = if cancelled {
                        Some($crate::domain::EventType::MissionCancelled)
                    } else if moved && next.status != $crate::domain::MissionStatus::Cancelled {
                        Some($crate::domain::EventType::MissionMoved)
                    } else {
                        None
                    };
                    if let (Some(event_type), Ok(previous)) = (event_type, $crate::domain::time::Window::new(start, end)) {
                        let event = $crate::storage::outbox::mission_event(tenant, event_type, &next, previous, &crew);
                        record_event(&mut tx, &event).await?;
                    }
                }
                if next.status == $crate::domain::MissionStatus::Cancelled {
                    sqlx::query("DELETE FROM assignments WHERE tenant_id = $1 AND mission_id = $2")
                        .bind(tenant)
                        .bind(next.id)
                        .execute(&mut *tx)
                        .await?;
                }
                for need in &needs {
                    write_need_window(&mut tx, tenant, need, next.updated_at).await?;
                }
                tx.commit().await?;
                Ok(MissionUpdate::Updated(Box::new(MissionWithNeeds { mission: next, needs })))
            }

            #[tracing::instrument(name = "storage.delete_mission", level = "debug", skip_all)]
            async fn delete_mission(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::MissionId,
            ) -> $crate::storage::StorageResult<bool> {
                let deleted = sqlx::query("DELETE FROM missions WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant)
                    .bind(id)
                    .execute(&self.writer)
                    .await?;
                Ok(deleted.rows_affected() > 0)
            }

            #[tracing::instrument(name = "storage.add_need", level = "debug", skip_all)]
            async fn add_need(
                &self,
                tenant: $crate::domain::TenantId,
                need: $crate::storage::planning::Need,
            ) -> $crate::storage::StorageResult<$crate::storage::planning::Need> {
                let mut tx = self.writer.begin().await?;
                insert_need(&mut tx, tenant, &need).await?;
                tx.commit().await?;
                Ok(need)
            }

            #[tracing::instrument(name = "storage.update_need", level = "debug", skip_all)]
            async fn update_need(
                &self,
                tenant: $crate::domain::TenantId,
                need: $crate::storage::planning::Need,
                expected: &$crate::storage::planning::ScheduleSnapshot,
            ) -> $crate::storage::StorageResult<$crate::storage::planning::NeedUpdate> {
                use $crate::storage::planning::NeedUpdate;
                let mut tx = self.writer.begin_with(<$storage as $crate::storage::backend::Backend>::BEGIN_WRITE).await?;
                let expected_mission = expected.missions.get(&need.mission_id).copied();
                if !bump_if_at(&mut tx, tenant, "missions", "crew_version", need.mission_id, expected_mission).await? {
                    return Ok(NeedUpdate::ScheduleChanged);
                }
                let updated = sqlx::query(
                    "UPDATE needs SET skill = $3, shift_type = $4, min_crew = $5, max_crew = $6, start_at = $7,
                            end_at = $8, unfilled_penalty = $9, extra_penalty = $10, attributes = $11
                     WHERE tenant_id = $1 AND id = $2 AND mission_id = $12",
                )
                .bind(tenant)
                .bind(need.id)
                .bind(&need.skill)
                .bind(need.shift_type.as_deref())
                .bind(need.min_crew)
                .bind(need.max_crew)
                .bind(need.window.start())
                .bind(need.window.end())
                .bind(need.unfilled_penalty)
                .bind(need.extra_penalty)
                .bind(&need.attributes)
                .bind(need.mission_id)
                .execute(&mut *tx)
                .await?;
                if updated.rows_affected() == 0 {
                    return Ok(NeedUpdate::NotFound);
                }
                let crew = crew_of(&mut tx, tenant, "need_id", need.id).await?;
                if !bump_crew_if_at(&mut tx, tenant, crew, expected).await? {
                    return Ok(NeedUpdate::ScheduleChanged);
                }
                write_need_window(&mut tx, tenant, &need, chrono::Utc::now()).await?;
                tx.commit().await?;
                Ok(NeedUpdate::Updated(need))
            }

            #[tracing::instrument(name = "storage.crew_snapshot", level = "debug", skip_all)]
            async fn crew_snapshot(
                &self,
                tenant: $crate::domain::TenantId,
                mission: $crate::domain::MissionId,
            ) -> $crate::storage::StorageResult<$crate::storage::planning::ScheduleSnapshot> {
                // The mission's counter first: a crew member added after it was read moves
                // it, so the crew read next is the one it stands for.
                let missions: Vec<($crate::domain::MissionId, i64)> =
                    sqlx::query_as("SELECT id, crew_version FROM missions WHERE tenant_id = $1 AND id = $2")
                        .bind(tenant)
                        .bind(mission)
                        .fetch_all(&self.reader)
                        .await?;
                let technicians: Vec<($crate::domain::TechnicianId, i64)> = sqlx::query_as(
                    "SELECT id, schedule_version FROM technicians WHERE tenant_id = $1 AND id IN
                        (SELECT technician_id FROM assignments WHERE tenant_id = $1 AND mission_id = $2 AND status <> 'declined')",
                )
                .bind(tenant)
                .bind(mission)
                .fetch_all(&self.reader)
                .await?;
                Ok($crate::storage::planning::ScheduleSnapshot {
                    technicians: technicians.into_iter().collect(),
                    missions: missions.into_iter().collect(),
                })
            }

            #[tracing::instrument(name = "storage.delete_need", level = "debug", skip_all)]
            async fn delete_need(
                &self,
                tenant: $crate::domain::TenantId,
                mission: $crate::domain::MissionId,
                id: $crate::domain::NeedId,
            ) -> $crate::storage::StorageResult<$crate::storage::planning::NeedDelete> {
                use $crate::storage::planning::NeedDelete;
                let mut tx = self.writer.begin_with(<$storage as $crate::storage::backend::Backend>::BEGIN_WRITE).await?;
                // The mission's row first: it serialises this with a concurrent deletion of
                // its other need and with an assignment to this one (ADR 0004).
                let locked = sqlx::query("UPDATE missions SET crew_version = crew_version + 1 WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant)
                    .bind(mission)
                    .execute(&mut *tx)
                    .await?;
                if locked.rows_affected() == 0 {
                    return Ok(NeedDelete::NotFound);
                }
                let needs: Vec<$crate::domain::NeedId> = sqlx::query_scalar(
                    "SELECT id FROM needs WHERE tenant_id = $1 AND mission_id = $2",
                )
                .bind(tenant)
                .bind(mission)
                .fetch_all(&mut *tx)
                .await?;
                if !needs.contains(&id) {
                    return Ok(NeedDelete::NotFound);
                }
                if needs.len() == 1 {
                    return Ok(NeedDelete::LastOfMission);
                }
                sqlx::query("DELETE FROM needs WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(NeedDelete::Deleted)
            }

            #[tracing::instrument(name = "storage.need", level = "debug", skip_all)]
            async fn need(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::NeedId,
            ) -> $crate::storage::StorageResult<Option<($crate::storage::planning::Need, $crate::storage::planning::Mission)>> {
                use $crate::storage::planning::sql::{MISSION_COLUMNS, NEED_COLUMNS};
                let need: Option<$crate::storage::planning::Need> =
                    sqlx::query_as(&format!("SELECT {NEED_COLUMNS} FROM needs n WHERE n.tenant_id = $1 AND n.id = $2"))
                        .bind(tenant)
                        .bind(id)
                        .fetch_optional(&self.reader)
                        .await?;
                let Some(need) = need else { return Ok(None) };
                // The mission may have been deleted (with its needs) since the need was read.
                let mission = sqlx::query_as(&format!("SELECT {MISSION_COLUMNS} FROM missions m WHERE m.tenant_id = $1 AND m.id = $2"))
                    .bind(tenant)
                    .bind(need.mission_id)
                    .fetch_optional(&self.reader)
                    .await?;
                Ok(mission.map(|mission| (need, mission)))
            }

            #[tracing::instrument(name = "storage.schedule_versions", level = "debug", skip_all)]
            async fn schedule_versions(
                &self,
                tenant: $crate::domain::TenantId,
                technician: $crate::domain::TechnicianId,
                need: $crate::domain::NeedId,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::planning::ScheduleVersions>> {
                let row: Option<(i64, i64)> = sqlx::query_as(
                    "SELECT t.schedule_version, m.crew_version
                     FROM needs n
                     JOIN missions m ON m.tenant_id = n.tenant_id AND m.id = n.mission_id
                     JOIN technicians t ON t.tenant_id = n.tenant_id AND t.id = $3
                     WHERE n.tenant_id = $1 AND n.id = $2",
                )
                .bind(tenant)
                .bind(need)
                .bind(technician)
                .fetch_optional(&self.reader)
                .await?;
                Ok(row.map(|(technician, mission)| $crate::storage::planning::ScheduleVersions { technician, mission }))
            }

            #[tracing::instrument(name = "storage.create_assignment", skip(self, a, admitted), fields(technician = %a.technician_id, need = %a.need_id))]
            async fn create_assignment(
                &self,
                tenant: $crate::domain::TenantId,
                a: $crate::storage::planning::Assignment,
                admitted: $crate::storage::planning::Admitted,
            ) -> $crate::storage::StorageResult<$crate::storage::planning::AssignmentInsert> {
                use $crate::storage::planning::AssignmentInsert;
                let mut tx = self.writer.begin_with(<$storage as $crate::storage::backend::Backend>::BEGIN_WRITE).await?;
                if let Some(refused) = admit(&mut tx, tenant, &a, admitted).await? {
                    return Ok(refused);
                }
                insert_assignment(&mut tx, tenant, &a).await?;
                let event_type = $crate::domain::EventType::of_assignment_status(a.status);
                record_event(&mut tx, &$crate::storage::outbox::assignment_event(tenant, event_type, &a, a.created_at)).await?;
                tx.commit().await?;
                Ok(AssignmentInsert::Created(a))
            }

            #[tracing::instrument(name = "storage.reinstate_assignment", skip(self, a, admitted), fields(assignment = %a.id))]
            async fn reinstate_assignment(
                &self,
                tenant: $crate::domain::TenantId,
                a: $crate::storage::planning::Assignment,
                admitted: $crate::storage::planning::Admitted,
            ) -> $crate::storage::StorageResult<$crate::storage::planning::AssignmentInsert> {
                use $crate::storage::planning::AssignmentInsert;
                use $crate::storage::planning::sql::ASSIGNMENT_COLUMNS;
                let mut tx = self.writer.begin_with(<$storage as $crate::storage::backend::Backend>::BEGIN_WRITE).await?;
                if let Some(refused) = admit(&mut tx, tenant, &a, admitted).await? {
                    return Ok(refused);
                }
                let columns = ASSIGNMENT_COLUMNS.replace("a.", "");
                let back: Option<$crate::storage::planning::Assignment> = sqlx::query_as(&format!(
                    "UPDATE assignments SET status = $3, updated_at = $4
                     WHERE tenant_id = $1 AND id = $2 AND status = 'declined' RETURNING {columns}"
                ))
                .bind(tenant)
                .bind(a.id)
                .bind(a.status.as_str())
                .bind(a.updated_at)
                .fetch_optional(&mut *tx)
                .await
                .map_err($crate::storage::sql::overlap_or::<$storage>)?;
                let Some(back) = back else {
                    return Ok(AssignmentInsert::Stale);
                };
                let event_type = $crate::domain::EventType::of_assignment_status(back.status);
                record_event(&mut tx, &$crate::storage::outbox::assignment_event(tenant, event_type, &back, back.updated_at)).await?;
                tx.commit().await?;
                Ok(AssignmentInsert::Created(back))
            }

            #[tracing::instrument(name = "storage.assignment", level = "debug", skip_all)]
            async fn assignment(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::AssignmentId,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::planning::Assignment>> {
                use $crate::storage::planning::sql::ASSIGNMENT_COLUMNS;
                Ok(sqlx::query_as(&format!("SELECT {ASSIGNMENT_COLUMNS} FROM assignments a WHERE a.tenant_id = $1 AND a.id = $2"))
                    .bind(tenant)
                    .bind(id)
                    .fetch_optional(&self.reader)
                    .await?)
            }

            #[tracing::instrument(name = "storage.list_assignments", skip(self))]
            async fn list_assignments(
                &self,
                tenant: $crate::domain::TenantId,
                filter: &$crate::storage::planning::AssignmentFilter,
                page: $crate::domain::PageRequest,
            ) -> $crate::storage::StorageResult<(Vec<$crate::storage::planning::Assignment>, u64)> {
                use $crate::storage::planning::sql::ASSIGNMENT_COLUMNS;
                const WHERE: &str = "WHERE a.tenant_id = $1
                    AND ($2 IS NULL OR a.end_at > $2)
                    AND ($3 IS NULL OR a.start_at < $3)
                    AND ($4 IS NULL OR a.mission_id = $4)
                    AND ($5 IS NULL OR a.need_id = $5)
                    AND ($6 IS NULL OR a.technician_id = $6)
                    AND ($7 IS NULL OR a.status = $7)";
                let (from, to) = (filter.window.map(|w| w.start()), filter.window.map(|w| w.end()));
                let status = filter.status.map(|s| s.as_str());
                let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM assignments a {WHERE}"))
                    .bind(tenant)
                    .bind(from)
                    .bind(to)
                    .bind(filter.mission)
                    .bind(filter.need)
                    .bind(filter.technician)
                    .bind(status)
                    .fetch_one(&self.reader)
                    .await?;
                let items = sqlx::query_as(&format!(
                    "SELECT {ASSIGNMENT_COLUMNS} FROM assignments a {WHERE} ORDER BY a.start_at, a.id LIMIT $8 OFFSET $9"
                ))
                .bind(tenant)
                .bind(from)
                .bind(to)
                .bind(filter.mission)
                .bind(filter.need)
                .bind(filter.technician)
                .bind(status)
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(&self.reader)
                .await?;
                Ok((items, u64::try_from(total).unwrap_or_default()))
            }

            #[tracing::instrument(name = "storage.update_assignment", level = "debug", skip_all)]
            async fn update_assignment(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::AssignmentId,
                patch: $crate::storage::planning::AssignmentPatch,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::planning::Assignment>> {
                use $crate::storage::planning::sql::ASSIGNMENT_COLUMNS;
                let columns = ASSIGNMENT_COLUMNS.replace("a.", "");
                let mut tx = self.writer.begin().await?;
                let mut before = None;
                if patch.status.is_some() {
                    // A declined assignment confirmed again adds a shift back.
                    let owner: Option<($crate::domain::MissionId, $crate::domain::TechnicianId, String)> = sqlx::query_as(
                        "SELECT mission_id, technician_id, status FROM assignments WHERE tenant_id = $1 AND id = $2",
                    )
                    .bind(tenant)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some((mission, technician, status)) = owner {
                        bump_missions(&mut tx, tenant, [mission]).await?;
                        bump_technicians(&mut tx, tenant, [technician]).await?;
                        before = Some(status);
                    }
                }
                let updated: Option<$crate::storage::planning::Assignment> = sqlx::query_as(&format!(
                    "UPDATE assignments SET status = COALESCE($3, status), pinned = COALESCE($4, pinned), updated_at = $5
                     WHERE tenant_id = $1 AND id = $2 RETURNING {columns}"
                ))
                .bind(tenant)
                .bind(id)
                .bind(patch.status.map(|s| s.as_str()))
                .bind(patch.pinned)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await
                .map_err($crate::storage::sql::overlap_or::<$storage>)?;
                // A new status is news; pinning is the planner's own business.
                if let Some(a) = &updated
                    && before.is_some_and(|b| b != a.status.as_str())
                {
                    let event_type = $crate::domain::EventType::of_assignment_status(a.status);
                    record_event(&mut tx, &$crate::storage::outbox::assignment_event(tenant, event_type, a, now)).await?;
                }
                tx.commit().await?;
                Ok(updated)
            }

            #[tracing::instrument(name = "storage.delete_assignment", level = "debug", skip_all)]
            async fn delete_assignment(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::AssignmentId,
            ) -> $crate::storage::StorageResult<bool> {
                use $crate::storage::planning::sql::ASSIGNMENT_COLUMNS;
                let columns = ASSIGNMENT_COLUMNS.replace("a.", "");
                let mut tx = self.writer.begin().await?;
                let deleted: Option<$crate::storage::planning::Assignment> = sqlx::query_as(&format!(
                    "DELETE FROM assignments WHERE tenant_id = $1 AND id = $2 RETURNING {columns}"
                ))
                .bind(tenant)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(deleted) = deleted else {
                    return Ok(false);
                };
                let event = $crate::storage::outbox::assignment_event(
                    tenant,
                    $crate::domain::EventType::AssignmentCancelled,
                    &deleted,
                    $crate::domain::time::now(),
                );
                record_event(&mut tx, &event).await?;
                tx.commit().await?;
                Ok(true)
            }

            #[tracing::instrument(name = "storage.technician_assignments", level = "debug", skip_all)]
            async fn technician_assignments(
                &self,
                tenant: $crate::domain::TenantId,
                technician: $crate::domain::TechnicianId,
                window: $crate::domain::time::Window,
            ) -> $crate::storage::StorageResult<Vec<$crate::storage::planning::Assignment>> {
                use $crate::storage::planning::sql::ASSIGNMENT_COLUMNS;
                Ok(sqlx::query_as(&format!(
                    "SELECT {ASSIGNMENT_COLUMNS} FROM assignments a
                     WHERE a.tenant_id = $1 AND a.technician_id = $2 AND a.start_at < $4 AND a.end_at > $3
                     ORDER BY a.start_at, a.id"
                ))
                .bind(tenant)
                .bind(technician)
                .bind(window.start())
                .bind(window.end())
                .fetch_all(&self.reader)
                .await?)
            }

            #[tracing::instrument(name = "storage.planning_rows", skip(self))]
            async fn planning_rows(
                &self,
                tenant: $crate::domain::TenantId,
                window: $crate::domain::time::Window,
                venue: Option<$crate::domain::VenueId>,
                technician: Option<$crate::domain::TechnicianId>,
            ) -> $crate::storage::StorageResult<$crate::storage::planning::PlanningRows> {
                use $crate::storage::planning::sql::{ASSIGNMENT_COLUMNS, MISSION_COLUMNS, NEED_COLUMNS};
                let earliest_start = $crate::storage::sql::earliest_start(window.start());
                // One predicate for the three queries, so they agree on the missions.
                // `start_at > $6` bounds the index range from below (see `list_missions`).
                const MISSIONS: &str = "m.tenant_id = $1 AND m.start_at < $3 AND m.end_at > $2 AND m.start_at > $6
                    AND ($4 IS NULL OR m.venue_id = $4)
                    AND ($5 IS NULL OR EXISTS (SELECT 1 FROM assignments x
                         WHERE x.mission_id = m.id AND x.technician_id = $5 AND x.status <> 'declined'))";
                let missions = sqlx::query_as(&format!(
                    "SELECT {MISSION_COLUMNS}, v.name AS venue_name, r.name AS room_name
                     FROM missions m JOIN venues v ON v.id = m.venue_id LEFT JOIN rooms r ON r.id = m.room_id
                     WHERE {MISSIONS} ORDER BY m.start_at, m.id"
                ))
                .bind(tenant)
                .bind(window.start())
                .bind(window.end())
                .bind(venue)
                .bind(technician)
                .bind(earliest_start)
                .fetch_all(&self.reader)
                .await?;
                let needs = sqlx::query_as(&format!(
                    "SELECT {NEED_COLUMNS} FROM needs n JOIN missions m ON m.id = n.mission_id
                     WHERE {MISSIONS} ORDER BY n.mission_id, n.position, n.id"
                ))
                .bind(tenant)
                .bind(window.start())
                .bind(window.end())
                .bind(venue)
                .bind(technician)
                .bind(earliest_start)
                .fetch_all(&self.reader)
                .await?;
                let assignments = sqlx::query_as(&format!(
                    "SELECT {ASSIGNMENT_COLUMNS}, t.name AS technician_name
                     FROM assignments a JOIN missions m ON m.id = a.mission_id JOIN technicians t ON t.id = a.technician_id
                     WHERE {MISSIONS} ORDER BY a.start_at, a.id"
                ))
                .bind(tenant)
                .bind(window.start())
                .bind(window.end())
                .bind(venue)
                .bind(technician)
                .bind(earliest_start)
                .fetch_all(&self.reader)
                .await?;
                Ok($crate::storage::planning::PlanningRows { missions, needs, assignments })
            }

            #[tracing::instrument(name = "storage.assignments_overlapping", level = "debug", skip_all)]
            async fn assignments_overlapping(
                &self,
                tenant: $crate::domain::TenantId,
                window: $crate::domain::time::Window,
            ) -> $crate::storage::StorageResult<Vec<$crate::storage::planning::Assignment>> {
                use $crate::storage::planning::sql::ASSIGNMENT_COLUMNS;
                Ok(sqlx::query_as(&format!(
                    "SELECT {ASSIGNMENT_COLUMNS} FROM assignments a
                     WHERE a.tenant_id = $1 AND a.start_at < $3 AND a.end_at > $2 AND a.status <> 'declined'
                     ORDER BY a.technician_id, a.start_at, a.id"
                ))
                .bind(tenant)
                .bind(window.start())
                .bind(window.end())
                .fetch_all(&self.reader)
                .await?)
            }

            #[tracing::instrument(name = "storage.assignments_of", level = "debug", skip_all)]
            async fn assignments_of(
                &self,
                tenant: $crate::domain::TenantId,
                technicians: &[$crate::domain::TechnicianId],
                window: $crate::domain::time::Window,
            ) -> $crate::storage::StorageResult<Vec<$crate::storage::planning::Assignment>> {
                use $crate::storage::planning::sql::ASSIGNMENT_COLUMNS;
                if technicians.is_empty() {
                    return Ok(Vec::new());
                }
                let placeholders: Vec<String> =
                    (0..technicians.len()).map(|i| format!("${}", i + 4)).collect();
                let sql = format!(
                    "SELECT {ASSIGNMENT_COLUMNS} FROM assignments a
                     WHERE a.tenant_id = $1 AND a.start_at < $3 AND a.end_at > $2 AND a.status <> 'declined'
                       AND a.technician_id IN ({})
                     ORDER BY a.technician_id, a.start_at, a.id",
                    placeholders.join(", ")
                );
                let mut query = sqlx::query_as(&sql).bind(tenant).bind(window.start()).bind(window.end());
                for id in technicians {
                    query = query.bind(*id);
                }
                Ok(query.fetch_all(&self.reader).await?)
            }

            #[tracing::instrument(name = "storage.schedule_snapshot", level = "debug", skip_all)]
            async fn schedule_snapshot(
                &self,
                tenant: $crate::domain::TenantId,
                window: $crate::domain::time::Window,
            ) -> $crate::storage::StorageResult<$crate::storage::planning::ScheduleSnapshot> {
                let technicians: Vec<($crate::domain::TechnicianId, i64)> =
                    sqlx::query_as("SELECT id, schedule_version FROM technicians WHERE tenant_id = $1")
                        .bind(tenant)
                        .fetch_all(&self.reader)
                        .await?;
                let missions: Vec<($crate::domain::MissionId, i64)> = sqlx::query_as(
                    "SELECT id, crew_version FROM missions WHERE tenant_id = $1 AND start_at < $3 AND end_at > $2",
                )
                .bind(tenant)
                .bind(window.start())
                .bind(window.end())
                .fetch_all(&self.reader)
                .await?;
                Ok($crate::storage::planning::ScheduleSnapshot {
                    technicians: technicians.into_iter().collect(),
                    missions: missions.into_iter().collect(),
                })
            }

            #[tracing::instrument(name = "storage.commit_run", skip(self, commit), fields(create = commit.create.len(), delete = commit.delete.len()))]
            async fn commit_run(
                &self,
                tenant: $crate::domain::TenantId,
                commit: $crate::storage::planning::RunCommit,
            ) -> $crate::storage::StorageResult<$crate::storage::planning::RunCommitted> {
                use $crate::storage::planning::RunCommitted;
                let mut tx = self.writer.begin_with(<$storage as $crate::storage::backend::Backend>::BEGIN_WRITE).await?;
                // Missions, then technicians, each in id order (ADR 0004): compared and bumped.
                let missions: std::collections::BTreeSet<_> = commit.create.iter().map(|a| a.mission_id).collect();
                for id in missions {
                    let expected = commit.expected.missions.get(&id).copied();
                    if !bump_if_at(&mut tx, tenant, "missions", "crew_version", id, expected).await? {
                        return Ok(RunCommitted::ScheduleChanged);
                    }
                }
                let technicians: std::collections::BTreeSet<_> = commit.create.iter().map(|a| a.technician_id).collect();
                for id in technicians {
                    let expected = commit.expected.technicians.get(&id).copied();
                    if !bump_if_at(&mut tx, tenant, "technicians", "schedule_version", id, expected).await? {
                        return Ok(RunCommitted::ScheduleChanged);
                    }
                }
                let mut deleted = Vec::new();
                for id in &commit.delete {
                    let done = sqlx::query(
                        "DELETE FROM assignments WHERE tenant_id = $1 AND id = $2 AND status = 'proposed' AND pinned = $3",
                    )
                    .bind(tenant)
                    .bind(id)
                    .bind(false)
                    .execute(&mut *tx)
                    .await?;
                    if done.rows_affected() > 0 {
                        deleted.push(*id);
                    }
                }
                for a in &commit.create {
                    insert_assignment(&mut tx, tenant, a).await?;
                }
                if insert_audit_row(&mut tx, &commit.audit).await? == $crate::storage::audit::AuditInsert::SeqTaken {
                    return Ok(RunCommitted::AuditSeqTaken);
                }
                let event = $crate::storage::outbox::run_event(tenant, &commit, &deleted);
                record_event(&mut tx, &event).await?;
                tx.commit().await?;
                Ok(RunCommitted::Committed(commit.create))
            }
        }

        /// Whether what `a` was admitted against still holds, comparing and bumping the
        /// counters (the mission's row first, then the technician's); the refusal if not.
        /// The caller's transaction writes `a` when this answers `None`.
        #[tracing::instrument(name = "storage.admit", level = "debug", skip_all)]
        async fn admit(
            conn: &mut $crate::storage::backend::Connection<$storage>,
            tenant: $crate::domain::TenantId,
            a: &$crate::storage::planning::Assignment,
            admitted: $crate::storage::planning::Admitted,
        ) -> $crate::storage::StorageResult<Option<$crate::storage::planning::AssignmentInsert>> {
            use $crate::storage::planning::AssignmentInsert;
            // The mission first: compared and bumped, which locks its row (PostgreSQL)
            // against a concurrent move, cancel or assignment to it.
            let status: Option<String> = sqlx::query_scalar(
                "UPDATE missions SET crew_version = crew_version + 1
                 WHERE tenant_id = $1 AND id = $2 AND crew_version = $3 RETURNING status",
            )
            .bind(tenant)
            .bind(a.mission_id)
            .bind(admitted.versions.mission)
            .fetch_optional(&mut *conn)
            .await?;
            let Some(status) = status else {
                let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM missions WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant)
                    .bind(a.mission_id)
                    .fetch_one(&mut *conn)
                    .await?;
                return Ok(Some(if exists > 0 { AssignmentInsert::Stale } else { AssignmentInsert::NeedGone }));
            };
            if status == $crate::domain::MissionStatus::Cancelled.as_str() {
                return Ok(Some(AssignmentInsert::MissionCancelled));
            }
            let need: Option<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>, Option<i32>)> = sqlx::query_as(
                "SELECT start_at, end_at, max_crew FROM needs WHERE tenant_id = $1 AND id = $2 AND mission_id = $3",
            )
            .bind(tenant)
            .bind(a.need_id)
            .bind(a.mission_id)
            .fetch_optional(&mut *conn)
            .await?;
            let Some((start, end, max_crew)) = need else {
                return Ok(Some(AssignmentInsert::NeedGone));
            };
            if (start, end) != (admitted.need_window.start(), admitted.need_window.end()) {
                return Ok(Some(AssignmentInsert::Stale));
            }
            if let Some(max_crew) = max_crew {
                let crew: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM assignments WHERE tenant_id = $1 AND need_id = $2 AND status <> 'declined'",
                )
                .bind(tenant)
                .bind(a.need_id)
                .fetch_one(&mut *conn)
                .await?;
                if crew >= i64::from(max_crew) {
                    return Ok(Some(AssignmentInsert::NeedFull { max_crew }));
                }
            }
            let bumped = sqlx::query(
                "UPDATE technicians SET schedule_version = schedule_version + 1
                 WHERE tenant_id = $1 AND id = $2 AND schedule_version = $3",
            )
            .bind(tenant)
            .bind(a.technician_id)
            .bind(admitted.versions.technician)
            .execute(&mut *conn)
            .await?;
            if bumped.rows_affected() == 0 {
                return Ok(Some(AssignmentInsert::Stale));
            }
            Ok(None)
        }

        #[tracing::instrument(name = "storage.insert_need", level = "debug", skip_all)]
        async fn insert_need(
            conn: &mut $crate::storage::backend::Connection<$storage>,
            tenant: $crate::domain::TenantId,
            need: &$crate::storage::planning::Need,
        ) -> $crate::storage::StorageResult<()> {
            sqlx::query(
                "INSERT INTO needs (id, tenant_id, mission_id, position, skill, shift_type, min_crew, max_crew,
                                    start_at, end_at, unfilled_penalty, extra_penalty, attributes)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(need.id)
            .bind(tenant)
            .bind(need.mission_id)
            .bind(need.position)
            .bind(&need.skill)
            .bind(need.shift_type.as_deref())
            .bind(need.min_crew)
            .bind(need.max_crew)
            .bind(need.window.start())
            .bind(need.window.end())
            .bind(need.unfilled_penalty)
            .bind(need.extra_penalty)
            .bind(&need.attributes)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        /// Moves a need's window and its assignments' with it (the database may refuse the
        /// move as a double booking).
        #[tracing::instrument(name = "storage.write_need_window", level = "debug", skip_all)]
        async fn write_need_window(
            conn: &mut $crate::storage::backend::Connection<$storage>,
            tenant: $crate::domain::TenantId,
            need: &$crate::storage::planning::Need,
            now: chrono::DateTime<chrono::Utc>,
        ) -> $crate::storage::StorageResult<()> {
            sqlx::query("UPDATE needs SET start_at = $3, end_at = $4 WHERE tenant_id = $1 AND id = $2")
                .bind(tenant)
                .bind(need.id)
                .bind(need.window.start())
                .bind(need.window.end())
                .execute(&mut *conn)
                .await?;
            sqlx::query(
                "UPDATE assignments SET start_at = $3, end_at = $4, updated_at = $5
                 WHERE tenant_id = $1 AND need_id = $2 AND (start_at <> $3 OR end_at <> $4)",
            )
            .bind(tenant)
            .bind(need.id)
            .bind(need.window.start())
            .bind(need.window.end())
            .bind(now)
            .execute(&mut *conn)
            .await
            .map_err($crate::storage::sql::overlap_or::<$storage>)?;
            Ok(())
        }

        #[tracing::instrument(name = "storage.insert_assignment", level = "debug", skip_all)]
        async fn insert_assignment(
            conn: &mut $crate::storage::backend::Connection<$storage>,
            tenant: $crate::domain::TenantId,
            a: &$crate::storage::planning::Assignment,
        ) -> $crate::storage::StorageResult<()> {
            sqlx::query(
                "INSERT INTO assignments (id, tenant_id, need_id, mission_id, technician_id, start_at, end_at, status,
                                          pinned, source, run_id, override_reason, created_by, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            )
            .bind(a.id)
            .bind(tenant)
            .bind(a.need_id)
            .bind(a.mission_id)
            .bind(a.technician_id)
            .bind(a.window.start())
            .bind(a.window.end())
            .bind(a.status.as_str())
            .bind(a.pinned)
            .bind(a.source.as_str())
            .bind(a.run_id)
            .bind(a.override_reason.as_deref())
            .bind(a.created_by)
            .bind(a.created_at)
            .bind(a.updated_at)
            .execute(&mut *conn)
            .await
            .map_err(|e| $crate::storage::sql::booking_refused::<$storage>(e, "technician_id"))?;
            Ok(())
        }

        /// Compares and bumps the schedule counters of `crew` in id order (ADR 0004);
        /// false as soon as one is not what `expected` holds (nothing is committed then).
        #[tracing::instrument(name = "storage.bump_crew_if_at", level = "debug", skip_all)]
        async fn bump_crew_if_at(
            conn: &mut $crate::storage::backend::Connection<$storage>,
            tenant: $crate::domain::TenantId,
            crew: Vec<$crate::domain::TechnicianId>,
            expected: &$crate::storage::planning::ScheduleSnapshot,
        ) -> $crate::storage::StorageResult<bool> {
            let sorted: std::collections::BTreeSet<_> = crew.into_iter().collect();
            for id in sorted {
                let at = expected.technicians.get(&id).copied();
                if !bump_if_at(&mut *conn, tenant, "technicians", "schedule_version", id, at).await? {
                    return Ok(false);
                }
            }
            Ok(true)
        }

        /// The technicians working on a mission's assignments (`column` is `mission_id` or
        /// `need_id`), declined ones left out.
        #[tracing::instrument(name = "storage.crew_of", level = "debug", skip_all)]
        async fn crew_of<T>(
            conn: &mut $crate::storage::backend::Connection<$storage>,
            tenant: $crate::domain::TenantId,
            column: &'static str,
            id: T,
        ) -> $crate::storage::StorageResult<Vec<$crate::domain::TechnicianId>>
        where
            T: for<'q> sqlx::Encode<'q, <$storage as $crate::storage::backend::Backend>::Database>
                + sqlx::Type<<$storage as $crate::storage::backend::Backend>::Database>
                + Send,
        {
            Ok(sqlx::query_scalar(&format!(
                "SELECT DISTINCT technician_id FROM assignments WHERE tenant_id = $1 AND {column} = $2 AND status <> 'declined'"
            ))
            .bind(tenant)
            .bind(id)
            .fetch_all(&mut *conn)
            .await?)
        }
    };
}

pub(crate) use impl_planning_store;

//! Missions and needs, assignments, jobs and idempotency keys.
//!
//! The trait is a part of [`super::Storage`]; the macro implements it over a backend's
//! pool with the same SQL on both (see [`super::sql`]).
//!
//! Double bookings are refused by the database itself (a PostgreSQL exclusion constraint,
//! SQLite triggers; see the migration), so every write that can create or move an
//! assignment maps that refusal to [`StorageError::TimeOverlap`] at the statement that
//! caused it, and a transaction that hits it rolls back whole.
//!
//! [`StorageError::TimeOverlap`]: super::StorageError::TimeOverlap

use chrono::{DateTime, Utc};

use crate::domain::time::Window;
use crate::domain::{
    AssignmentId, AssignmentSource, AssignmentStatus, AuditEntryId, JobId, JobState, MissionId,
    MissionStatus, NeedId, PageRequest, ProjectId, RoomId, TechnicianId, TenantId, UserId, VenueId,
};

use super::StorageResult;

/// Columns of [`Mission`], in one place so every query returns the same shape.
pub(super) const MISSION_COLUMNS: &str = "m.id, m.tenant_id, m.title, m.project_id, m.venue_id, m.room_id, m.start_at, m.end_at, m.paid, m.status, m.notes, m.attributes, m.created_at, m.updated_at";
/// Columns of [`Need`].
pub(super) const NEED_COLUMNS: &str = "n.id, n.mission_id, n.position, n.skill, n.shift_type, n.min_crew, n.max_crew, n.start_at, n.end_at, n.unfilled_penalty, n.extra_penalty, n.attributes";
/// Columns of [`Assignment`].
pub(super) const ASSIGNMENT_COLUMNS: &str = "a.id, a.tenant_id, a.need_id, a.mission_id, a.technician_id, a.start_at, a.end_at, a.status, a.pinned, a.source, a.run_id, a.override_reason, a.created_by, a.created_at, a.updated_at";
/// Columns of [`Job`].
pub(super) const JOB_COLUMNS: &str = "id, tenant_id, kind, state, progress, request, result, error, created_by, created_at, updated_at";

/// A mission row (its needs come separately, see [`MissionWithNeeds`]).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Mission {
    pub id: MissionId,
    pub tenant_id: TenantId,
    pub title: String,
    pub project_id: Option<ProjectId>,
    pub venue_id: VenueId,
    pub room_id: Option<RoomId>,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
    pub paid: bool,
    #[sqlx(try_from = "String")]
    pub status: MissionStatus,
    pub notes: Option<String>,
    /// JSON object of free attributes.
    pub attributes: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Mission {
    pub fn window(&self) -> Window {
        Window {
            start: self.start_at,
            end: self.end_at,
        }
    }
}

/// A need of a mission: a skill and a crew size over a window inside the mission's.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Need {
    pub id: NeedId,
    pub mission_id: MissionId,
    pub position: i32,
    pub skill: String,
    pub shift_type: Option<String>,
    pub min_crew: i32,
    pub max_crew: Option<i32>,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
    pub unfilled_penalty: i64,
    pub extra_penalty: i64,
    /// JSON object of free attributes.
    pub attributes: String,
}

impl Need {
    pub fn window(&self) -> Window {
        Window {
            start: self.start_at,
            end: self.end_at,
        }
    }
}

/// A mission and its needs, in their order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissionWithNeeds {
    pub mission: Mission,
    pub needs: Vec<Need>,
}

/// A mission to create, with its needs (ids chosen by the caller).
#[derive(Debug, Clone)]
pub struct NewMission {
    pub mission: Mission,
    pub needs: Vec<Need>,
}

/// Filters of the mission list; `None` switches a filter off.
#[derive(Debug, Clone, Default)]
pub struct MissionFilter {
    /// Missions overlapping this window.
    pub window: Option<Window>,
    pub venue: Option<VenueId>,
    pub project: Option<ProjectId>,
    pub status: Option<MissionStatus>,
    /// Title contains (case-insensitive).
    pub title_contains: Option<String>,
}

/// What became of a mission update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MissionUpdate {
    Updated(Box<MissionWithNeeds>),
    /// No such mission in the tenant.
    NotFound,
    /// The mission changed since it was read (`updated_at` differs): read it again.
    Stale,
}

/// An assignment row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Assignment {
    pub id: AssignmentId,
    pub tenant_id: TenantId,
    pub need_id: NeedId,
    pub mission_id: MissionId,
    pub technician_id: TechnicianId,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
    #[sqlx(try_from = "String")]
    pub status: AssignmentStatus,
    pub pinned: bool,
    #[sqlx(try_from = "String")]
    pub source: AssignmentSource,
    pub run_id: Option<AuditEntryId>,
    pub override_reason: Option<String>,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Assignment {
    pub fn window(&self) -> Window {
        Window {
            start: self.start_at,
            end: self.end_at,
        }
    }
}

/// Filters of the assignment list.
#[derive(Debug, Clone, Default)]
pub struct AssignmentFilter {
    pub window: Option<Window>,
    pub mission: Option<MissionId>,
    pub need: Option<NeedId>,
    pub technician: Option<TechnicianId>,
    pub status: Option<AssignmentStatus>,
}

/// Changes to an assignment; `None` leaves a field as is.
#[derive(Debug, Clone, Copy, Default)]
pub struct AssignmentPatch {
    pub status: Option<AssignmentStatus>,
    pub pinned: Option<bool>,
}

/// A mission with the names a plan shows, read in the same query.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NamedMission {
    #[sqlx(flatten)]
    pub mission: Mission,
    pub venue_name: String,
    pub room_name: Option<String>,
}

/// An assignment with its technician's name, read in the same query.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NamedAssignment {
    #[sqlx(flatten)]
    pub assignment: Assignment,
    pub technician_name: String,
}

/// Everything stored about the missions of a window: what plans, conflicts and runs read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanningRows {
    /// Missions overlapping the window, by start then id.
    pub missions: Vec<NamedMission>,
    /// Their needs, by mission then position.
    pub needs: Vec<Need>,
    /// Assignments on those needs (every status), by start then id.
    pub assignments: Vec<NamedAssignment>,
}

/// What an automatic run writes when it is committed.
#[derive(Debug, Clone)]
pub struct RunCommit {
    /// Existing assignments the run dropped: deleted only if they are still proposed and
    /// unpinned when the commit runs (a confirmation in between wins).
    pub delete: Vec<AssignmentId>,
    /// New assignments (status proposed, source auto, with the run's id).
    pub create: Vec<Assignment>,
}

/// A background job row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Job {
    pub id: JobId,
    pub tenant_id: TenantId,
    pub kind: String,
    #[sqlx(try_from = "String")]
    pub state: JobState,
    pub progress: i32,
    /// The request, JSON.
    pub request: String,
    /// The result once succeeded, JSON.
    pub result: Option<String>,
    /// Why it failed, JSON `{detail, code}`.
    pub error: Option<String>,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A change of a job's state; refused once the job is final (a cancelled job stays so).
#[derive(Debug, Clone)]
pub struct JobUpdate {
    pub state: JobState,
    pub progress: i32,
    pub result: Option<String>,
    pub error: Option<String>,
}

/// The first step of an idempotent request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyBegin {
    /// First time this key is seen: the request runs, then `idempotency_finish`.
    Started,
    /// Done before with the same body: replay this response.
    Replay { status: u16, body: String },
    /// Used before with a different body.
    Mismatch,
    /// The first request with this key is still running.
    InFlight,
}

/// Which references of a mission exist in the tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissionRefs {
    pub venue: bool,
    /// The room exists *in that venue* (true when no room was given).
    pub room: bool,
    /// True when no project was given.
    pub project: bool,
}

/// Missions and needs, assignments, jobs and idempotency keys.
#[async_trait::async_trait]
pub trait PlanningStore: Send + Sync {
    /// Checks a mission's venue, room and project in one round trip.
    async fn mission_refs(
        &self,
        tenant: TenantId,
        venue: VenueId,
        room: Option<RoomId>,
        project: Option<ProjectId>,
    ) -> StorageResult<MissionRefs>;

    async fn create_mission(
        &self,
        tenant: TenantId,
        mission: NewMission,
    ) -> StorageResult<MissionWithNeeds>;
    async fn mission(
        &self,
        tenant: TenantId,
        id: MissionId,
    ) -> StorageResult<Option<MissionWithNeeds>>;
    async fn list_missions(
        &self,
        tenant: TenantId,
        filter: &MissionFilter,
        page: PageRequest,
    ) -> StorageResult<(Vec<MissionWithNeeds>, u64)>;
    /// Writes `next` over the mission (and its needs' and assignments' windows, given
    /// in `needs`) if it was last updated at `expected_updated_at`. Cancelling deletes the
    /// mission's assignments in the same transaction.
    async fn update_mission(
        &self,
        tenant: TenantId,
        next: Mission,
        needs: Vec<Need>,
        expected_updated_at: DateTime<Utc>,
    ) -> StorageResult<MissionUpdate>;
    /// Deletes the mission, its needs and their assignments.
    async fn delete_mission(&self, tenant: TenantId, id: MissionId) -> StorageResult<bool>;
    async fn add_need(&self, tenant: TenantId, need: Need) -> StorageResult<Need>;
    /// Writes `need` (and its assignments' windows); `None` when there is no such need.
    async fn update_need(&self, tenant: TenantId, need: Need) -> StorageResult<Option<Need>>;
    async fn delete_need(&self, tenant: TenantId, id: NeedId) -> StorageResult<bool>;
    /// A need and its mission.
    async fn need(&self, tenant: TenantId, id: NeedId) -> StorageResult<Option<(Need, Mission)>>;

    async fn create_assignment(
        &self,
        tenant: TenantId,
        assignment: Assignment,
    ) -> StorageResult<Assignment>;
    async fn assignment(
        &self,
        tenant: TenantId,
        id: AssignmentId,
    ) -> StorageResult<Option<Assignment>>;
    async fn list_assignments(
        &self,
        tenant: TenantId,
        filter: &AssignmentFilter,
        page: PageRequest,
    ) -> StorageResult<(Vec<Assignment>, u64)>;
    async fn update_assignment(
        &self,
        tenant: TenantId,
        id: AssignmentId,
        patch: AssignmentPatch,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<Assignment>>;
    async fn delete_assignment(&self, tenant: TenantId, id: AssignmentId) -> StorageResult<bool>;
    /// A technician's assignments (every status) overlapping `window`, by start.
    async fn technician_assignments(
        &self,
        tenant: TenantId,
        technician: TechnicianId,
        window: Window,
    ) -> StorageResult<Vec<Assignment>>;

    /// Missions overlapping `window` with their needs and assignments, in three queries.
    /// `venue` keeps one venue's missions; `technician` keeps the missions they work on.
    async fn planning_rows(
        &self,
        tenant: TenantId,
        window: Window,
        venue: Option<VenueId>,
        technician: Option<TechnicianId>,
    ) -> StorageResult<PlanningRows>;
    /// The non-declined assignments of these technicians overlapping `window`, through the
    /// per-technician index, ordered like [`PlanningStore::assignments_overlapping`].
    async fn assignments_of(
        &self,
        tenant: TenantId,
        technicians: &[TechnicianId],
        window: Window,
    ) -> StorageResult<Vec<Assignment>>;
    /// Every assignment (non-declined) overlapping `window`, for history and conflicts.
    async fn assignments_overlapping(
        &self,
        tenant: TenantId,
        window: Window,
    ) -> StorageResult<Vec<Assignment>>;
    /// Applies an automatic run in one transaction: the unpinned proposed assignments of
    /// `needs` that the run did not keep are deleted, the new ones inserted. A double
    /// booking created meanwhile by someone else rolls the whole commit back.
    async fn commit_run(
        &self,
        tenant: TenantId,
        commit: RunCommit,
        now: DateTime<Utc>,
    ) -> StorageResult<Vec<Assignment>>;

    async fn create_job(&self, job: Job) -> StorageResult<Job>;
    async fn job(&self, tenant: TenantId, id: JobId) -> StorageResult<Option<Job>>;
    /// Moves a job on; `None` when it is unknown or already final (e.g. cancelled).
    async fn update_job(
        &self,
        id: JobId,
        update: JobUpdate,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<Job>>;
    /// Marks failed (`JOB_INTERRUPTED`) every queued or running job last updated before
    /// `stale_before`: called at start-up, since a job's work dies with the process that ran
    /// it. The cut-off spares the jobs other replicas are running right now.
    async fn fail_interrupted_jobs(
        &self,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> StorageResult<u64>;

    /// Claims `key` for `route` with the request's sha256.
    async fn idempotency_begin(
        &self,
        tenant: TenantId,
        route: &str,
        key: &str,
        request_sha256: &str,
        now: DateTime<Utc>,
    ) -> StorageResult<IdempotencyBegin>;
    /// Stores the response of a claimed key.
    async fn idempotency_finish(
        &self,
        tenant: TenantId,
        route: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> StorageResult<()>;
    /// Releases a claimed key without a response (the request failed on the server's
    /// side; a retry with the same key runs again).
    async fn idempotency_release(
        &self,
        tenant: TenantId,
        route: &str,
        key: &str,
    ) -> StorageResult<()>;
}

macro_rules! impl_planning_store {
    ($storage:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::planning::PlanningStore for $storage {
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

            #[tracing::instrument(skip(self, new), fields(mission = %new.mission.id))]
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
                .bind(m.start_at)
                .bind(m.end_at)
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

            async fn mission(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::MissionId,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::planning::MissionWithNeeds>> {
                use $crate::storage::planning::{MISSION_COLUMNS, NEED_COLUMNS};
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

            #[tracing::instrument(skip(self))]
            async fn list_missions(
                &self,
                tenant: $crate::domain::TenantId,
                filter: &$crate::storage::planning::MissionFilter,
                page: $crate::domain::PageRequest,
            ) -> $crate::storage::StorageResult<(Vec<$crate::storage::planning::MissionWithNeeds>, u64)> {
                use $crate::storage::planning::{MISSION_COLUMNS, NEED_COLUMNS};
                const WHERE: &str = "WHERE m.tenant_id = $1
                    AND ($2 IS NULL OR m.end_at > $2)
                    AND ($3 IS NULL OR m.start_at < $3)
                    AND ($4 IS NULL OR m.venue_id = $4)
                    AND ($5 IS NULL OR m.project_id = $5)
                    AND ($6 IS NULL OR m.status = $6)
                    AND ($7 IS NULL OR lower(m.title) LIKE $7 ESCAPE '\\')";
                let pattern = filter.title_contains.as_deref().map($crate::storage::sql::like_pattern);
                let (from, to) = (filter.window.map(|w| w.start), filter.window.map(|w| w.end));
                let status = filter.status.map(|s| s.as_str());
                let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM missions m {WHERE}"))
                    .bind(tenant)
                    .bind(from)
                    .bind(to)
                    .bind(filter.venue)
                    .bind(filter.project)
                    .bind(status)
                    .bind(pattern.as_deref())
                    .fetch_one(&self.reader)
                    .await?;
                let missions: Vec<$crate::storage::planning::Mission> = sqlx::query_as(&format!(
                    "SELECT {MISSION_COLUMNS} FROM missions m {WHERE} ORDER BY m.start_at, m.id LIMIT $8 OFFSET $9"
                ))
                .bind(tenant)
                .bind(from)
                .bind(to)
                .bind(filter.venue)
                .bind(filter.project)
                .bind(status)
                .bind(pattern.as_deref())
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(&self.reader)
                .await?;
                let mut needs: Vec<$crate::storage::planning::Need> = Vec::new();
                if !missions.is_empty() {
                    let placeholders: Vec<String> = (0..missions.len()).map(|i| format!("${}", i + 2)).collect();
                    let sql = format!(
                        "SELECT {NEED_COLUMNS} FROM needs n WHERE n.tenant_id = $1 AND n.mission_id IN ({})
                         ORDER BY n.mission_id, n.position, n.id",
                        placeholders.join(", ")
                    );
                    let mut query = sqlx::query_as(&sql).bind(tenant);
                    for m in &missions {
                        query = query.bind(m.id);
                    }
                    needs = query.fetch_all(&self.reader).await?;
                }
                Ok((
                    $crate::storage::planning::group_needs(missions, needs),
                    u64::try_from(total).unwrap_or_default(),
                ))
            }

            #[tracing::instrument(skip(self, next, needs), fields(mission = %next.id))]
            async fn update_mission(
                &self,
                tenant: $crate::domain::TenantId,
                next: $crate::storage::planning::Mission,
                needs: Vec<$crate::storage::planning::Need>,
                expected_updated_at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<$crate::storage::planning::MissionUpdate> {
                use $crate::storage::planning::{MissionUpdate, MissionWithNeeds};
                let mut tx = self.writer.begin().await?;
                let updated = sqlx::query(
                    "UPDATE missions SET title = $3, project_id = $4, venue_id = $5, room_id = $6, start_at = $7,
                            end_at = $8, paid = $9, status = $10, notes = $11, attributes = $12, updated_at = $13
                     WHERE tenant_id = $1 AND id = $2 AND updated_at = $14",
                )
                .bind(tenant)
                .bind(next.id)
                .bind(&next.title)
                .bind(next.project_id)
                .bind(next.venue_id)
                .bind(next.room_id)
                .bind(next.start_at)
                .bind(next.end_at)
                .bind(next.paid)
                .bind(next.status.as_str())
                .bind(next.notes.as_deref())
                .bind(&next.attributes)
                .bind(next.updated_at)
                .bind(expected_updated_at)
                .execute(&mut *tx)
                .await?;
                if updated.rows_affected() == 0 {
                    let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM missions WHERE tenant_id = $1 AND id = $2")
                        .bind(tenant)
                        .bind(next.id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    return Ok(if exists.is_some() { MissionUpdate::Stale } else { MissionUpdate::NotFound });
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

            async fn update_need(
                &self,
                tenant: $crate::domain::TenantId,
                need: $crate::storage::planning::Need,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::planning::Need>> {
                let mut tx = self.writer.begin().await?;
                let updated = sqlx::query(
                    "UPDATE needs SET skill = $3, shift_type = $4, min_crew = $5, max_crew = $6, start_at = $7,
                            end_at = $8, unfilled_penalty = $9, extra_penalty = $10, attributes = $11
                     WHERE tenant_id = $1 AND id = $2",
                )
                .bind(tenant)
                .bind(need.id)
                .bind(&need.skill)
                .bind(need.shift_type.as_deref())
                .bind(need.min_crew)
                .bind(need.max_crew)
                .bind(need.start_at)
                .bind(need.end_at)
                .bind(need.unfilled_penalty)
                .bind(need.extra_penalty)
                .bind(&need.attributes)
                .execute(&mut *tx)
                .await?;
                if updated.rows_affected() == 0 {
                    return Ok(None);
                }
                write_need_window(&mut tx, tenant, &need, chrono::Utc::now()).await?;
                tx.commit().await?;
                Ok(Some(need))
            }

            async fn delete_need(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::NeedId,
            ) -> $crate::storage::StorageResult<bool> {
                let deleted = sqlx::query("DELETE FROM needs WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant)
                    .bind(id)
                    .execute(&self.writer)
                    .await?;
                Ok(deleted.rows_affected() > 0)
            }

            async fn need(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::NeedId,
            ) -> $crate::storage::StorageResult<Option<($crate::storage::planning::Need, $crate::storage::planning::Mission)>> {
                use $crate::storage::planning::{MISSION_COLUMNS, NEED_COLUMNS};
                let need: Option<$crate::storage::planning::Need> =
                    sqlx::query_as(&format!("SELECT {NEED_COLUMNS} FROM needs n WHERE n.tenant_id = $1 AND n.id = $2"))
                        .bind(tenant)
                        .bind(id)
                        .fetch_optional(&self.reader)
                        .await?;
                let Some(need) = need else { return Ok(None) };
                let mission = sqlx::query_as(&format!("SELECT {MISSION_COLUMNS} FROM missions m WHERE m.tenant_id = $1 AND m.id = $2"))
                    .bind(tenant)
                    .bind(need.mission_id)
                    .fetch_one(&self.reader)
                    .await?;
                Ok(Some((need, mission)))
            }

            #[tracing::instrument(skip(self, a), fields(technician = %a.technician_id, need = %a.need_id))]
            async fn create_assignment(
                &self,
                tenant: $crate::domain::TenantId,
                a: $crate::storage::planning::Assignment,
            ) -> $crate::storage::StorageResult<$crate::storage::planning::Assignment> {
                let mut conn = self.writer.acquire().await?;
                insert_assignment(&mut conn, tenant, &a).await?;
                Ok(a)
            }

            async fn assignment(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::AssignmentId,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::planning::Assignment>> {
                use $crate::storage::planning::ASSIGNMENT_COLUMNS;
                Ok(sqlx::query_as(&format!("SELECT {ASSIGNMENT_COLUMNS} FROM assignments a WHERE a.tenant_id = $1 AND a.id = $2"))
                    .bind(tenant)
                    .bind(id)
                    .fetch_optional(&self.reader)
                    .await?)
            }

            #[tracing::instrument(skip(self))]
            async fn list_assignments(
                &self,
                tenant: $crate::domain::TenantId,
                filter: &$crate::storage::planning::AssignmentFilter,
                page: $crate::domain::PageRequest,
            ) -> $crate::storage::StorageResult<(Vec<$crate::storage::planning::Assignment>, u64)> {
                use $crate::storage::planning::ASSIGNMENT_COLUMNS;
                const WHERE: &str = "WHERE a.tenant_id = $1
                    AND ($2 IS NULL OR a.end_at > $2)
                    AND ($3 IS NULL OR a.start_at < $3)
                    AND ($4 IS NULL OR a.mission_id = $4)
                    AND ($5 IS NULL OR a.need_id = $5)
                    AND ($6 IS NULL OR a.technician_id = $6)
                    AND ($7 IS NULL OR a.status = $7)";
                let (from, to) = (filter.window.map(|w| w.start), filter.window.map(|w| w.end));
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

            async fn update_assignment(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::AssignmentId,
                patch: $crate::storage::planning::AssignmentPatch,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::planning::Assignment>> {
                use $crate::storage::planning::ASSIGNMENT_COLUMNS;
                let columns = ASSIGNMENT_COLUMNS.replace("a.", "");
                sqlx::query_as(&format!(
                    "UPDATE assignments SET status = COALESCE($3, status), pinned = COALESCE($4, pinned), updated_at = $5
                     WHERE tenant_id = $1 AND id = $2 RETURNING {columns}"
                ))
                .bind(tenant)
                .bind(id)
                .bind(patch.status.map(|s| s.as_str()))
                .bind(patch.pinned)
                .bind(now)
                .fetch_optional(&self.writer)
                .await
                .map_err(overlap_or)
            }

            async fn delete_assignment(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::AssignmentId,
            ) -> $crate::storage::StorageResult<bool> {
                let deleted = sqlx::query("DELETE FROM assignments WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant)
                    .bind(id)
                    .execute(&self.writer)
                    .await?;
                Ok(deleted.rows_affected() > 0)
            }

            async fn technician_assignments(
                &self,
                tenant: $crate::domain::TenantId,
                technician: $crate::domain::TechnicianId,
                window: $crate::domain::time::Window,
            ) -> $crate::storage::StorageResult<Vec<$crate::storage::planning::Assignment>> {
                use $crate::storage::planning::ASSIGNMENT_COLUMNS;
                Ok(sqlx::query_as(&format!(
                    "SELECT {ASSIGNMENT_COLUMNS} FROM assignments a
                     WHERE a.tenant_id = $1 AND a.technician_id = $2 AND a.start_at < $4 AND a.end_at > $3
                     ORDER BY a.start_at, a.id"
                ))
                .bind(tenant)
                .bind(technician)
                .bind(window.start)
                .bind(window.end)
                .fetch_all(&self.reader)
                .await?)
            }

            #[tracing::instrument(skip(self))]
            async fn planning_rows(
                &self,
                tenant: $crate::domain::TenantId,
                window: $crate::domain::time::Window,
                venue: Option<$crate::domain::VenueId>,
                technician: Option<$crate::domain::TechnicianId>,
            ) -> $crate::storage::StorageResult<$crate::storage::planning::PlanningRows> {
                use $crate::storage::planning::{ASSIGNMENT_COLUMNS, MISSION_COLUMNS, NEED_COLUMNS};
                // One predicate for the three queries, so they agree on the missions.
                const MISSIONS: &str = "m.tenant_id = $1 AND m.start_at < $3 AND m.end_at > $2
                    AND ($4 IS NULL OR m.venue_id = $4)
                    AND ($5 IS NULL OR EXISTS (SELECT 1 FROM assignments x
                         WHERE x.mission_id = m.id AND x.technician_id = $5 AND x.status <> 'declined'))";
                let missions = sqlx::query_as(&format!(
                    "SELECT {MISSION_COLUMNS}, v.name AS venue_name, r.name AS room_name
                     FROM missions m JOIN venues v ON v.id = m.venue_id LEFT JOIN rooms r ON r.id = m.room_id
                     WHERE {MISSIONS} ORDER BY m.start_at, m.id"
                ))
                .bind(tenant)
                .bind(window.start)
                .bind(window.end)
                .bind(venue)
                .bind(technician)
                .fetch_all(&self.reader)
                .await?;
                let needs = sqlx::query_as(&format!(
                    "SELECT {NEED_COLUMNS} FROM needs n JOIN missions m ON m.id = n.mission_id
                     WHERE {MISSIONS} ORDER BY n.mission_id, n.position, n.id"
                ))
                .bind(tenant)
                .bind(window.start)
                .bind(window.end)
                .bind(venue)
                .bind(technician)
                .fetch_all(&self.reader)
                .await?;
                let assignments = sqlx::query_as(&format!(
                    "SELECT {ASSIGNMENT_COLUMNS}, t.name AS technician_name
                     FROM assignments a JOIN missions m ON m.id = a.mission_id JOIN technicians t ON t.id = a.technician_id
                     WHERE {MISSIONS} ORDER BY a.start_at, a.id"
                ))
                .bind(tenant)
                .bind(window.start)
                .bind(window.end)
                .bind(venue)
                .bind(technician)
                .fetch_all(&self.reader)
                .await?;
                Ok($crate::storage::planning::PlanningRows { missions, needs, assignments })
            }

            async fn assignments_overlapping(
                &self,
                tenant: $crate::domain::TenantId,
                window: $crate::domain::time::Window,
            ) -> $crate::storage::StorageResult<Vec<$crate::storage::planning::Assignment>> {
                use $crate::storage::planning::ASSIGNMENT_COLUMNS;
                Ok(sqlx::query_as(&format!(
                    "SELECT {ASSIGNMENT_COLUMNS} FROM assignments a
                     WHERE a.tenant_id = $1 AND a.start_at < $3 AND a.end_at > $2 AND a.status <> 'declined'
                     ORDER BY a.technician_id, a.start_at, a.id"
                ))
                .bind(tenant)
                .bind(window.start)
                .bind(window.end)
                .fetch_all(&self.reader)
                .await?)
            }

            async fn assignments_of(
                &self,
                tenant: $crate::domain::TenantId,
                technicians: &[$crate::domain::TechnicianId],
                window: $crate::domain::time::Window,
            ) -> $crate::storage::StorageResult<Vec<$crate::storage::planning::Assignment>> {
                use $crate::storage::planning::ASSIGNMENT_COLUMNS;
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
                let mut query = sqlx::query_as(&sql).bind(tenant).bind(window.start).bind(window.end);
                for id in technicians {
                    query = query.bind(*id);
                }
                Ok(query.fetch_all(&self.reader).await?)
            }

            #[tracing::instrument(skip(self, commit), fields(delete = commit.delete.len(), create = commit.create.len()))]
            async fn commit_run(
                &self,
                tenant: $crate::domain::TenantId,
                commit: $crate::storage::planning::RunCommit,
                _now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<Vec<$crate::storage::planning::Assignment>> {
                let mut tx = self.writer.begin().await?;
                for id in &commit.delete {
                    sqlx::query(
                        "DELETE FROM assignments WHERE tenant_id = $1 AND id = $2 AND status = 'proposed' AND pinned = $3",
                    )
                    .bind(tenant)
                    .bind(id)
                    .bind(false)
                    .execute(&mut *tx)
                    .await?;
                }
                for a in &commit.create {
                    insert_assignment(&mut tx, tenant, a).await?;
                }
                tx.commit().await?;
                Ok(commit.create)
            }

            async fn create_job(
                &self,
                job: $crate::storage::planning::Job,
            ) -> $crate::storage::StorageResult<$crate::storage::planning::Job> {
                sqlx::query(
                    "INSERT INTO jobs (id, tenant_id, kind, state, progress, request, result, error, created_by, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(job.id)
                .bind(job.tenant_id)
                .bind(&job.kind)
                .bind(job.state.as_str())
                .bind(job.progress)
                .bind(&job.request)
                .bind(job.result.as_deref())
                .bind(job.error.as_deref())
                .bind(job.created_by)
                .bind(job.created_at)
                .bind(job.updated_at)
                .execute(&self.writer)
                .await?;
                Ok(job)
            }

            async fn job(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::JobId,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::planning::Job>> {
                use $crate::storage::planning::JOB_COLUMNS;
                Ok(sqlx::query_as(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE tenant_id = $1 AND id = $2"))
                    .bind(tenant)
                    .bind(id)
                    .fetch_optional(&self.reader)
                    .await?)
            }

            async fn update_job(
                &self,
                id: $crate::domain::JobId,
                update: $crate::storage::planning::JobUpdate,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::planning::Job>> {
                use $crate::storage::planning::JOB_COLUMNS;
                Ok(sqlx::query_as(&format!(
                    "UPDATE jobs SET state = $2, progress = $3, result = COALESCE($4, result), error = COALESCE($5, error), updated_at = $6
                     WHERE id = $1 AND state IN ('queued', 'running') RETURNING {JOB_COLUMNS}"
                ))
                .bind(id)
                .bind(update.state.as_str())
                .bind(update.progress)
                .bind(update.result.as_deref())
                .bind(update.error.as_deref())
                .bind(now)
                .fetch_optional(&self.writer)
                .await?)
            }

            async fn fail_interrupted_jobs(
                &self,
                now: chrono::DateTime<chrono::Utc>,
                stale_before: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<u64> {
                let failed = sqlx::query(
                    "UPDATE jobs SET state = 'failed', updated_at = $1,
                            error = '{\"code\":\"JOB_INTERRUPTED\",\"detail\":\"the server stopped while the job was running; start it again\"}'
                     WHERE state IN ('queued', 'running') AND updated_at < $2",
                )
                .bind(now)
                .bind(stale_before)
                .execute(&self.writer)
                .await?;
                Ok(failed.rows_affected())
            }

            async fn idempotency_begin(
                &self,
                tenant: $crate::domain::TenantId,
                route: &str,
                key: &str,
                request_sha256: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<$crate::storage::planning::IdempotencyBegin> {
                use $crate::storage::planning::IdempotencyBegin;
                let claimed = sqlx::query(
                    "INSERT INTO idempotency_keys (tenant_id, route, key, request_sha256, created_at)
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                )
                .bind(tenant)
                .bind(route)
                .bind(key)
                .bind(request_sha256)
                .bind(now)
                .execute(&self.writer)
                .await?;
                if claimed.rows_affected() == 1 {
                    return Ok(IdempotencyBegin::Started);
                }
                let row: Option<(String, Option<i32>, Option<String>)> = sqlx::query_as(
                    "SELECT request_sha256, status, response FROM idempotency_keys WHERE tenant_id = $1 AND route = $2 AND key = $3",
                )
                .bind(tenant)
                .bind(route)
                .bind(key)
                .fetch_optional(&self.reader)
                .await?;
                Ok(match row {
                    // Released between our insert and this read: let the client retry.
                    None => IdempotencyBegin::InFlight,
                    Some((sha, _, _)) if sha != request_sha256 => IdempotencyBegin::Mismatch,
                    Some((_, Some(status), Some(body))) => IdempotencyBegin::Replay {
                        status: u16::try_from(status).unwrap_or(500),
                        body,
                    },
                    Some(_) => IdempotencyBegin::InFlight,
                })
            }

            async fn idempotency_finish(
                &self,
                tenant: $crate::domain::TenantId,
                route: &str,
                key: &str,
                status: u16,
                body: &str,
            ) -> $crate::storage::StorageResult<()> {
                sqlx::query(
                    "UPDATE idempotency_keys SET status = $4, response = $5 WHERE tenant_id = $1 AND route = $2 AND key = $3",
                )
                .bind(tenant)
                .bind(route)
                .bind(key)
                .bind(i32::from(status))
                .bind(body)
                .execute(&self.writer)
                .await?;
                Ok(())
            }

            async fn idempotency_release(
                &self,
                tenant: $crate::domain::TenantId,
                route: &str,
                key: &str,
            ) -> $crate::storage::StorageResult<()> {
                sqlx::query(
                    "DELETE FROM idempotency_keys WHERE tenant_id = $1 AND route = $2 AND key = $3 AND status IS NULL",
                )
                .bind(tenant)
                .bind(route)
                .bind(key)
                .execute(&self.writer)
                .await?;
                Ok(())
            }
        }

        async fn insert_need(
            conn: &mut <$storage as $crate::storage::planning::Backend>::Connection,
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
            .bind(need.start_at)
            .bind(need.end_at)
            .bind(need.unfilled_penalty)
            .bind(need.extra_penalty)
            .bind(&need.attributes)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        /// Moves a need's window and its assignments' with it (the database may refuse the
        /// move as a double booking).
        async fn write_need_window(
            conn: &mut <$storage as $crate::storage::planning::Backend>::Connection,
            tenant: $crate::domain::TenantId,
            need: &$crate::storage::planning::Need,
            now: chrono::DateTime<chrono::Utc>,
        ) -> $crate::storage::StorageResult<()> {
            sqlx::query("UPDATE needs SET start_at = $3, end_at = $4 WHERE tenant_id = $1 AND id = $2")
                .bind(tenant)
                .bind(need.id)
                .bind(need.start_at)
                .bind(need.end_at)
                .execute(&mut *conn)
                .await?;
            sqlx::query(
                "UPDATE assignments SET start_at = $3, end_at = $4, updated_at = $5
                 WHERE tenant_id = $1 AND need_id = $2 AND (start_at <> $3 OR end_at <> $4)",
            )
            .bind(tenant)
            .bind(need.id)
            .bind(need.start_at)
            .bind(need.end_at)
            .bind(now)
            .execute(&mut *conn)
            .await
            .map_err(overlap_or)?;
            Ok(())
        }

        async fn insert_assignment(
            conn: &mut <$storage as $crate::storage::planning::Backend>::Connection,
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
            .bind(a.start_at)
            .bind(a.end_at)
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
            .map_err(|e| {
                if $crate::storage::sql::is_unique_violation(&e) {
                    $crate::storage::StorageError::Duplicate { field: "technician_id" }
                } else {
                    overlap_or(e)
                }
            })?;
            Ok(())
        }

        fn overlap_or(err: sqlx::Error) -> $crate::storage::StorageError {
            if $crate::storage::sql::is_time_overlap(&err) {
                $crate::storage::StorageError::TimeOverlap
            } else {
                err.into()
            }
        }
    };
}

pub(crate) use impl_planning_store;

/// The connection type of a backend, so the macro's helpers take a transaction or a
/// pooled connection alike (both deref to it).
pub(crate) trait Backend {
    type Connection;
}

impl Backend for super::sqlite::SqliteStorage {
    type Connection = sqlx::SqliteConnection;
}

impl Backend for super::postgres::PostgresStorage {
    type Connection = sqlx::PgConnection;
}

/// Attaches each need to its mission, keeping the missions' order.
pub(super) fn group_needs(missions: Vec<Mission>, needs: Vec<Need>) -> Vec<MissionWithNeeds> {
    let mut by_mission: std::collections::HashMap<MissionId, Vec<Need>> =
        std::collections::HashMap::new();
    for need in needs {
        by_mission.entry(need.mission_id).or_default().push(need);
    }
    missions
        .into_iter()
        .map(|mission| {
            let mut needs = by_mission.remove(&mission.id).unwrap_or_default();
            needs.sort_by_key(|n| (n.position, n.id));
            MissionWithNeeds { mission, needs }
        })
        .collect()
}

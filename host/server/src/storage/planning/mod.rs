//! Missions and needs, assignments.
//!
//! The trait is a part of [`super::Storage`]; [`sql`] implements it over a backend's pool
//! with the same SQL on both.
//!
//! Double bookings are refused by the database itself (a PostgreSQL exclusion constraint,
//! SQLite triggers; see the migration), so every write that can create or move an
//! assignment maps that refusal to [`StorageError::TimeOverlap`] at the statement that
//! caused it, and a transaction that hits it rolls back whole.
//!
//! [`StorageError::TimeOverlap`]: super::StorageError::TimeOverlap

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::domain::time::Window;
use crate::domain::{
    AssignmentId, AssignmentSource, AssignmentStatus, AuditEntryId, MissionId, MissionStatus,
    NeedId, PageRequest, ProjectId, RoomId, TechnicianId, TenantId, UserId, VenueId,
};

use super::StorageResult;
use super::audit::AuditRow;

/// A mission row (its needs come separately, see [`MissionWithNeeds`]).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Mission {
    pub id: MissionId,
    pub tenant_id: TenantId,
    pub title: String,
    pub project_id: Option<ProjectId>,
    pub venue_id: VenueId,
    pub room_id: Option<RoomId>,
    /// `start_at`/`end_at`, never empty (see `storage::codec`).
    #[sqlx(flatten)]
    pub window: Window,
    pub paid: bool,
    #[sqlx(try_from = "String")]
    pub status: MissionStatus,
    pub notes: Option<String>,
    /// JSON object of free attributes.
    pub attributes: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
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
    /// `start_at`/`end_at`, never empty (see `storage::codec`).
    #[sqlx(flatten)]
    pub window: Window,
    pub unfilled_penalty: i64,
    pub extra_penalty: i64,
    /// JSON object of free attributes.
    pub attributes: String,
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
    /// Its crew, or one of their schedules, changed since the crew's rules were checked
    /// (the counters of the [`ScheduleSnapshot`] moved): check again.
    ScheduleChanged,
}

/// What became of a need update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NeedUpdate {
    Updated(Need),
    /// No such need in the tenant.
    NotFound,
    /// As [`MissionUpdate::ScheduleChanged`].
    ScheduleChanged,
}

/// An assignment row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Assignment {
    pub id: AssignmentId,
    pub tenant_id: TenantId,
    pub need_id: NeedId,
    pub mission_id: MissionId,
    pub technician_id: TechnicianId,
    /// `start_at`/`end_at`, never empty (see `storage::codec`).
    #[sqlx(flatten)]
    pub window: Window,
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

/// What became of a need's deletion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeedDelete {
    Deleted,
    /// No such need in that mission.
    NotFound,
    /// It is the mission's only need: a mission needs at least one.
    LastOfMission,
}

/// The counters a manual assignment is checked against. Every write that adds to or moves
/// a technician's shifts, or changes what their rules read, bumps theirs; every write that
/// changes a mission's crew or its needs' windows bumps the mission's (ADR 0004).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleVersions {
    pub technician: i64,
    pub mission: i64,
}

/// What a new assignment was admitted against: [`PlanningStore::create_assignment`]
/// writes it only while all of it still holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admitted {
    /// Read before anything the check read.
    pub versions: ScheduleVersions,
    /// The need's window the check saw (and the assignment copies).
    pub need_window: Window,
}

/// What became of an assignment's insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignmentInsert {
    Created(Assignment),
    /// The technician's schedule, the mission's crew or the need changed since the check:
    /// check again.
    Stale,
    /// The need or its mission was deleted meanwhile.
    NeedGone,
    /// The mission is cancelled.
    MissionCancelled,
    /// The need already has its maximum crew (proposed and confirmed assignments).
    NeedFull {
        max_crew: i32,
    },
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
    /// The counters the run was computed against: the commit happens only while those of
    /// the technicians and missions it assigns hold (see [`ScheduleVersions`]).
    pub expected: ScheduleSnapshot,
    /// The run's audit entry, appended in the same transaction.
    pub audit: AuditRow,
}

/// The counters of a tenant's technicians and of the missions of a window, read before a
/// run reads its problem.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScheduleSnapshot {
    pub technicians: BTreeMap<TechnicianId, i64>,
    pub missions: BTreeMap<MissionId, i64>,
}

/// What became of a run's commit; on anything but `Committed`, nothing was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunCommitted {
    Committed(Vec<Assignment>),
    /// A technician or mission the run assigns changed since it read them (or is new).
    ScheduleChanged,
    /// Another audit entry took the sequence number: build the entry again on the new
    /// head and retry.
    AuditSeqTaken,
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

/// Missions and needs, assignments.
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
    /// in `needs`) if it was last updated at `expected_updated_at` and the counters of the
    /// mission and of its crew are still those of `expected` (read by
    /// [`Self::crew_snapshot`] before the crew's rules were checked). Cancelling deletes the
    /// mission's assignments in the same transaction.
    async fn update_mission(
        &self,
        tenant: TenantId,
        next: Mission,
        needs: Vec<Need>,
        expected_updated_at: DateTime<Utc>,
        expected: &ScheduleSnapshot,
    ) -> StorageResult<MissionUpdate>;
    /// Deletes the mission, its needs and their assignments.
    async fn delete_mission(&self, tenant: TenantId, id: MissionId) -> StorageResult<bool>;
    async fn add_need(&self, tenant: TenantId, need: Need) -> StorageResult<Need>;
    /// Writes `need` (and its assignments' windows) if the counters of its mission and of
    /// the need's crew are still those of `expected` (see [`Self::update_mission`]).
    async fn update_need(
        &self,
        tenant: TenantId,
        need: Need,
        expected: &ScheduleSnapshot,
    ) -> StorageResult<NeedUpdate>;
    /// The crew counter of `mission` and the schedule counters of the technicians on it
    /// (declined ones left out), the mission's read first: what a move of the mission or of
    /// one of its needs is checked against. Empty when there is no such mission.
    async fn crew_snapshot(
        &self,
        tenant: TenantId,
        mission: MissionId,
    ) -> StorageResult<ScheduleSnapshot>;
    /// Deletes the need of `mission` and its assignments, unless it is the mission's last
    /// (checked in the same transaction, under the mission's lock).
    async fn delete_need(
        &self,
        tenant: TenantId,
        mission: MissionId,
        id: NeedId,
    ) -> StorageResult<NeedDelete>;
    /// A need and its mission.
    async fn need(&self, tenant: TenantId, id: NeedId) -> StorageResult<Option<(Need, Mission)>>;

    /// The counters of the technician and of the need's mission; `None` when either does
    /// not exist.
    async fn schedule_versions(
        &self,
        tenant: TenantId,
        technician: TechnicianId,
        need: NeedId,
    ) -> StorageResult<Option<ScheduleVersions>>;
    /// Inserts `assignment` (never declined) if what it was `admitted` against still holds,
    /// bumping both counters, in one transaction: the mission's row first, then the
    /// technician's, the order every writer follows (no deadlock on PostgreSQL).
    async fn create_assignment(
        &self,
        tenant: TenantId,
        assignment: Assignment,
        admitted: Admitted,
    ) -> StorageResult<AssignmentInsert>;
    /// Brings a declined assignment back as `status` (proposed or confirmed) if what it
    /// was `admitted` against still holds, as [`PlanningStore::create_assignment`] does;
    /// `Stale` too when it is no longer declined (or gone).
    async fn reinstate_assignment(
        &self,
        tenant: TenantId,
        assignment: Assignment,
        admitted: Admitted,
    ) -> StorageResult<AssignmentInsert>;
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
    /// The counters of every technician of the tenant and of the missions overlapping
    /// `window`.
    async fn schedule_snapshot(
        &self,
        tenant: TenantId,
        window: Window,
    ) -> StorageResult<ScheduleSnapshot>;
    /// Applies an automatic run in one transaction with its audit entry: the counters it
    /// expects are compared and bumped (missions, then technicians, in id order), the
    /// unpinned proposed assignments the run did not keep are deleted, the new ones
    /// inserted, the entry appended. A double booking created meanwhile by someone else
    /// rolls the whole commit back.
    async fn commit_run(&self, tenant: TenantId, commit: RunCommit) -> StorageResult<RunCommitted>;
}

pub(super) mod sql;

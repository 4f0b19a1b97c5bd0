//! Technicians, projects, venues and rooms, availabilities.
//!
//! The trait is a part of [`super::Storage`]; [`sql`] implements it over a backend's pool
//! with the same SQL on both. Structured columns (skills, preferences, relations,
//! attributes) are JSON text, decoded here, so the records the rest of the server sees
//! are typed.
//!
//! A delete keeps the rows it checks and rewrites from changing before it commits as the
//! backend says ([`super::backend::Backend::BEGIN_WRITE`], `LOCK_ROW`).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::codec::{corrupt, from_json, to_json};
use super::{StorageError, StorageResult};
use crate::domain::time::Window;
use crate::domain::{
    AvailabilityId, Email, PageRequest, Phone, ProjectId, RoomId, TechnicianId, TenantId, UserId,
    VenueId,
};

pub use crate::domain::{
    AttributeValue, Attributes, Contract, ContractKind, Preferences, Relation, RelationKind,
    RelationSeverity, Scalar, Skill,
};

// ---------------------------------------------------------------------------------------
// Technicians

/// A technician profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Technician {
    pub id: TechnicianId,
    pub tenant_id: TenantId,
    /// The account of the technician, who then manages their own availabilities.
    pub user_id: Option<UserId>,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Sorted, without duplicates.
    pub skills: Vec<Skill>,
    pub contract: Contract,
    pub preferences: Preferences,
    /// Sorted by the other technician's id, one relation per other technician.
    pub relations: Vec<Relation>,
    pub attributes: Attributes,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Technician {
    pub fn has_skill(&self, skill: &Skill) -> bool {
        self.skills.binary_search(skill).is_ok()
    }
}

/// A technician to create; the fields are checked values.
#[derive(Debug, Clone)]
pub struct NewTechnician {
    pub id: TechnicianId,
    pub user_id: Option<UserId>,
    pub name: String,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub skills: Vec<Skill>,
    pub contract: Contract,
    pub preferences: Preferences,
    pub relations: Vec<Relation>,
    pub attributes: Attributes,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

/// The fields a `PATCH` may change: `None` leaves a field as it is, `Some(None)` clears
/// an optional one.
#[derive(Debug, Clone, Default)]
pub struct TechnicianPatch {
    pub name: Option<String>,
    pub email: Option<Option<Email>>,
    pub phone: Option<Option<Phone>>,
    pub user_id: Option<Option<UserId>>,
    pub skills: Option<Vec<Skill>>,
    pub contract: Option<Contract>,
    pub preferences: Option<Preferences>,
    pub relations: Option<Vec<Relation>>,
    pub attributes: Option<Attributes>,
    pub active: Option<bool>,
}

/// Filters of the technician list; every set field narrows it.
#[derive(Debug, Clone, Default)]
pub struct TechnicianFilter {
    pub skill: Option<Skill>,
    pub active: Option<bool>,
    /// Substring of the name, case-insensitive (see [`super::backend::Backend::contains_ignoring_case`]).
    pub name_contains: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Projects

/// A project: a tour, a festival, a client's account. Names are unique in the tenant.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Project {
    pub id: ProjectId,
    pub tenant_id: TenantId,
    pub name: String,
    pub client: Option<String>,
    pub starts_on: Option<NaiveDate>,
    /// On or after `starts_on` when both are set.
    pub ends_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewProject {
    pub id: ProjectId,
    pub name: String,
    pub client: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct ProjectPatch {
    pub name: Option<String>,
    pub client: Option<Option<String>>,
    pub starts_on: Option<Option<NaiveDate>>,
    pub ends_on: Option<Option<NaiveDate>>,
}

/// Filters of the project list. A project overlaps `[from, to]` (whole days) unless it
/// ends before `from` or starts after `to`; a missing date is open-ended.
#[derive(Debug, Clone, Default)]
pub struct ProjectFilter {
    pub name_contains: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

// ---------------------------------------------------------------------------------------
// Venues and rooms

/// A room (stage, hall) of a venue. Names are unique in the venue.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Room {
    pub id: RoomId,
    pub venue_id: VenueId,
    pub name: String,
    pub capacity: Option<i32>,
    pub created_at: DateTime<Utc>,
}

/// A venue and its rooms (ordered by name). Names are unique in the tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Venue {
    pub id: VenueId,
    pub tenant_id: TenantId,
    pub name: String,
    pub address: Option<String>,
    pub rooms: Vec<Room>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewVenue {
    pub id: VenueId,
    pub name: String,
    pub address: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct VenuePatch {
    pub name: Option<String>,
    pub address: Option<Option<String>>,
}

#[derive(Debug, Clone)]
pub struct NewRoom {
    pub id: RoomId,
    pub name: String,
    pub capacity: Option<i32>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct RoomPatch {
    pub name: Option<String>,
    pub capacity: Option<Option<i32>>,
}

// ---------------------------------------------------------------------------------------
// Availabilities

/// What a technician declares about a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AvailabilityKind {
    Available,
    Unavailable,
    /// Available, and would like to work then.
    Preferred,
}

impl AvailabilityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AvailabilityKind::Available => "available",
            AvailabilityKind::Unavailable => "unavailable",
            AvailabilityKind::Preferred => "preferred",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        match raw {
            "available" => Some(Self::Available),
            "unavailable" => Some(Self::Unavailable),
            "preferred" => Some(Self::Preferred),
            _ => None,
        }
    }
}

/// A declared availability window of a technician, in UTC to the second.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Availability {
    pub id: AvailabilityId,
    pub tenant_id: TenantId,
    pub technician_id: TechnicianId,
    pub window: Window,
    pub kind: AvailabilityKind,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewAvailability {
    pub id: AvailabilityId,
    pub technician_id: TechnicianId,
    pub window: Window,
    pub kind: AvailabilityKind,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The fields a `PATCH` may change. `start` and `end` are checked together by the caller
/// against the stored values.
#[derive(Debug, Clone, Default)]
pub struct AvailabilityPatch {
    pub technician_id: Option<TechnicianId>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub kind: Option<AvailabilityKind>,
    pub note: Option<Option<String>>,
}

/// Filters of the availability list. `from`/`to` keep the windows overlapping
/// `[from, to)`.
#[derive(Debug, Clone, Default)]
pub struct AvailabilityFilter {
    pub technician: Option<TechnicianId>,
    pub kind: Option<AvailabilityKind>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

// ---------------------------------------------------------------------------------------
// The trait

/// Technicians, projects, venues and rooms, availabilities. Every method is scoped to
/// the tenant; an id of another tenant behaves as an unknown id.
#[async_trait::async_trait]
pub trait CrewStore: Send + Sync {
    /// Creates a technician. `Duplicate { field: "user_id" }` when the account is already
    /// linked to another technician. References (venues, other technicians, the user)
    /// are the caller's to check.
    async fn create_technician(
        &self,
        tenant: TenantId,
        technician: NewTechnician,
    ) -> StorageResult<Technician>;
    async fn technician(
        &self,
        tenant: TenantId,
        id: TechnicianId,
    ) -> StorageResult<Option<Technician>>;
    /// The technicians of the tenant among `ids` (unknown ids are left out), ordered by id.
    async fn technicians_by_ids(
        &self,
        tenant: TenantId,
        ids: &[TechnicianId],
    ) -> StorageResult<Vec<Technician>>;
    /// Every active technician of the tenant, ordered by id.
    async fn active_technicians(&self, tenant: TenantId) -> StorageResult<Vec<Technician>>;
    /// One page of technicians, ordered by name then id, and the total matching.
    async fn list_technicians(
        &self,
        tenant: TenantId,
        filter: &TechnicianFilter,
        page: PageRequest,
    ) -> StorageResult<(Vec<Technician>, u64)>;
    /// Applies the set fields; `None` when there is no such technician in the tenant.
    async fn update_technician(
        &self,
        tenant: TenantId,
        id: TechnicianId,
        patch: TechnicianPatch,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<Technician>>;
    /// Deletes a technician without assignments (`InUse` otherwise), with their
    /// availabilities, and removes the relations other technicians had with them, in one
    /// transaction. `false` when there is no such technician in the tenant.
    async fn delete_technician(
        &self,
        tenant: TenantId,
        id: TechnicianId,
        now: DateTime<Utc>,
    ) -> StorageResult<bool>;

    /// `Duplicate { field: "name" }` when the name is taken in the tenant.
    async fn create_project(&self, tenant: TenantId, project: NewProject)
    -> StorageResult<Project>;
    async fn project(&self, tenant: TenantId, id: ProjectId) -> StorageResult<Option<Project>>;
    /// One page of projects, ordered by name then id, and the total matching.
    async fn list_projects(
        &self,
        tenant: TenantId,
        filter: &ProjectFilter,
        page: PageRequest,
    ) -> StorageResult<(Vec<Project>, u64)>;
    async fn update_project(
        &self,
        tenant: TenantId,
        id: ProjectId,
        patch: ProjectPatch,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<Project>>;
    /// Missions of the project keep going without one.
    async fn delete_project(&self, tenant: TenantId, id: ProjectId) -> StorageResult<bool>;

    /// `Duplicate { field: "name" }` when the name is taken in the tenant.
    async fn create_venue(&self, tenant: TenantId, venue: NewVenue) -> StorageResult<Venue>;
    /// The venue with its rooms.
    async fn venue(&self, tenant: TenantId, id: VenueId) -> StorageResult<Option<Venue>>;
    /// One page of venues with their rooms (two queries), ordered by name then id.
    async fn list_venues(
        &self,
        tenant: TenantId,
        page: PageRequest,
    ) -> StorageResult<(Vec<Venue>, u64)>;
    async fn update_venue(
        &self,
        tenant: TenantId,
        id: VenueId,
        patch: VenuePatch,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<Venue>>;
    /// Deletes a venue no mission uses (`InUse` otherwise) with its rooms, and removes it
    /// from technicians' preferences, in one transaction.
    async fn delete_venue(
        &self,
        tenant: TenantId,
        id: VenueId,
        now: DateTime<Utc>,
    ) -> StorageResult<bool>;
    /// Which of `ids` are venues of the tenant.
    async fn existing_venue_ids(
        &self,
        tenant: TenantId,
        ids: &[VenueId],
    ) -> StorageResult<Vec<VenueId>>;

    /// `None` when the venue is not the tenant's; `Duplicate { field: "name" }` when the
    /// venue already has a room of that name.
    async fn create_room(
        &self,
        tenant: TenantId,
        venue: VenueId,
        room: NewRoom,
    ) -> StorageResult<Option<Room>>;
    async fn room(&self, tenant: TenantId, id: RoomId) -> StorageResult<Option<Room>>;
    /// One page of the venue's rooms, ordered by name then id; `None` when the venue is
    /// not the tenant's.
    async fn list_rooms(
        &self,
        tenant: TenantId,
        venue: VenueId,
        page: PageRequest,
    ) -> StorageResult<Option<(Vec<Room>, u64)>>;
    /// `None` when the room is not a room of that venue of the tenant.
    async fn update_room(
        &self,
        tenant: TenantId,
        venue: VenueId,
        id: RoomId,
        patch: RoomPatch,
    ) -> StorageResult<Option<Room>>;
    /// Missions in the room keep their venue and lose the room.
    async fn delete_room(
        &self,
        tenant: TenantId,
        venue: VenueId,
        id: RoomId,
    ) -> StorageResult<bool>;

    /// `None` when the technician is not the tenant's.
    async fn create_availability(
        &self,
        tenant: TenantId,
        availability: NewAvailability,
    ) -> StorageResult<Option<Availability>>;
    async fn availability(
        &self,
        tenant: TenantId,
        id: AvailabilityId,
    ) -> StorageResult<Option<Availability>>;
    /// One page of availabilities, ordered by start then id, and the total matching.
    async fn list_availabilities(
        &self,
        tenant: TenantId,
        filter: &AvailabilityFilter,
        page: PageRequest,
    ) -> StorageResult<(Vec<Availability>, u64)>;
    /// Applies the set fields; with `owner`, only if the availability is that
    /// technician's (checked in the same statement). `None` when there is no such
    /// availability (of that owner) in the tenant.
    async fn update_availability(
        &self,
        tenant: TenantId,
        id: AvailabilityId,
        owner: Option<TechnicianId>,
        patch: AvailabilityPatch,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<Availability>>;
    /// With `owner`, only if the availability is that technician's.
    async fn delete_availability(
        &self,
        tenant: TenantId,
        id: AvailabilityId,
        owner: Option<TechnicianId>,
    ) -> StorageResult<bool>;
    /// Every availability overlapping `window` (of one technician, or all), ordered by
    /// technician then start.
    async fn availabilities_overlapping(
        &self,
        tenant: TenantId,
        window: Window,
        technician: Option<TechnicianId>,
    ) -> StorageResult<Vec<Availability>>;
    /// The availabilities of these technicians overlapping `window`, through the
    /// per-technician index (what a manual assignment's check reads), ordered like
    /// [`CrewStore::availabilities_overlapping`].
    async fn availabilities_of(
        &self,
        tenant: TenantId,
        technicians: &[TechnicianId],
        window: Window,
    ) -> StorageResult<Vec<Availability>>;
}

// ---------------------------------------------------------------------------------------
// What a delete rewrites and refuses

/// A technician's stored relations without those naming `gone`.
pub(crate) fn relations_without(text: &str, gone: TechnicianId) -> StorageResult<String> {
    let mut relations: Vec<Relation> = from_json("relations", text)?;
    relations.retain(|r| r.technician_id != gone);
    to_json(&relations)
}

/// A technician's stored preferences without the venue `gone`.
pub(crate) fn preferences_without(text: &str, gone: VenueId) -> StorageResult<String> {
    let mut preferences: Preferences = from_json("preferences", text)?;
    preferences.preferred_venues.retain(|v| *v != gone);
    preferences.avoided_venues.retain(|v| *v != gone);
    to_json(&preferences)
}

/// Why a technician with assignments is kept.
pub(crate) fn technician_in_use(assignments: i64) -> StorageError {
    StorageError::InUse {
        entity: "technician",
        detail: format!(
            "{assignments} assignment(s) name this technician; deactivate them instead (PATCH with \"active\": false)"
        ),
    }
}

/// Why a venue with missions is kept.
pub(crate) fn venue_in_use(missions: i64) -> StorageError {
    StorageError::InUse {
        entity: "venue",
        detail: format!(
            "{missions} mission(s) take place there; a venue with missions is kept for their history"
        ),
    }
}

// ---------------------------------------------------------------------------------------
// Row decoding

/// A `technicians` row as stored, before its JSON columns are decoded.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TechnicianRow {
    id: TechnicianId,
    tenant_id: TenantId,
    user_id: Option<UserId>,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    skills: String,
    contract_kind: String,
    hourly_rate_cents: i64,
    cachet_rate_cents: i64,
    preferences: String,
    relations: String,
    attributes: String,
    active: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<TechnicianRow> for Technician {
    type Error = StorageError;

    fn try_from(row: TechnicianRow) -> Result<Self, Self::Error> {
        let kind = ContractKind::parse(&row.contract_kind)
            .ok_or_else(|| corrupt("contract_kind", &row.contract_kind))?;
        Ok(Self {
            id: row.id,
            tenant_id: row.tenant_id,
            user_id: row.user_id,
            name: row.name,
            email: row.email,
            phone: row.phone,
            skills: from_json("skills", &row.skills)?,
            contract: Contract {
                kind,
                hourly_rate_cents: row.hourly_rate_cents,
                cachet_rate_cents: row.cachet_rate_cents,
            },
            preferences: from_json("preferences", &row.preferences)?,
            relations: from_json("relations", &row.relations)?,
            attributes: from_json("attributes", &row.attributes)?,
            active: row.active,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

pub(crate) fn technicians(rows: Vec<TechnicianRow>) -> StorageResult<Vec<Technician>> {
    rows.into_iter().map(Technician::try_from).collect()
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct VenueRow {
    id: VenueId,
    tenant_id: TenantId,
    name: String,
    address: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl VenueRow {
    pub(crate) fn id(&self) -> VenueId {
        self.id
    }

    pub(crate) fn with_rooms(self, rooms: Vec<Room>) -> Venue {
        Venue {
            id: self.id,
            tenant_id: self.tenant_id,
            name: self.name,
            address: self.address,
            rooms,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// Each venue of the page with its rooms, keeping the venues' order and the rooms'.
pub(crate) fn venues_with_rooms(rows: Vec<VenueRow>, rooms: Vec<Room>) -> Vec<Venue> {
    let mut by_venue: std::collections::HashMap<VenueId, Vec<Room>> =
        std::collections::HashMap::new();
    for room in rooms {
        by_venue.entry(room.venue_id).or_default().push(room);
    }
    rows.into_iter()
        .map(|row| {
            let rooms = by_venue.remove(&row.id).unwrap_or_default();
            row.with_rooms(rooms)
        })
        .collect()
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AvailabilityRow {
    id: AvailabilityId,
    tenant_id: TenantId,
    pub(crate) technician_id: TechnicianId,
    start_at: DateTime<Utc>,
    end_at: DateTime<Utc>,
    kind: String,
    note: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<AvailabilityRow> for Availability {
    type Error = StorageError;

    fn try_from(row: AvailabilityRow) -> Result<Self, Self::Error> {
        Ok(Self {
            id: row.id,
            tenant_id: row.tenant_id,
            technician_id: row.technician_id,
            // The table's CHECK keeps end_at > start_at: a refusal means a hand edit.
            window: Window::new(row.start_at, row.end_at).map_err(|e| corrupt("end_at", e))?,
            kind: AvailabilityKind::parse(&row.kind).ok_or_else(|| corrupt("kind", &row.kind))?,
            note: row.note,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

pub(crate) fn availabilities(rows: Vec<AvailabilityRow>) -> StorageResult<Vec<Availability>> {
    rows.into_iter().map(Availability::try_from).collect()
}

/// Every technician of the tenant, active or not, by name then id: the list read page by
/// page, for whole-crew reads (the crew export, the workload).
pub async fn all_technicians(
    storage: &super::DynStorage,
    tenant: TenantId,
) -> StorageResult<Vec<Technician>> {
    let mut all = Vec::new();
    let mut page = 1;
    loop {
        let request =
            PageRequest::new(Some(page), Some(crate::domain::MAX_PAGE_SIZE)).expect("a valid page");
        let (items, total) = storage
            .list_technicians(tenant, &TechnicianFilter::default(), request)
            .await?;
        let done = items.is_empty();
        all.extend(items);
        if done || all.len() as u64 >= total {
            return Ok(all);
        }
        page += 1;
    }
}

pub(super) mod sql;

//! Technicians, projects, venues and rooms, availabilities.
//!
//! The trait is a part of [`super::Storage`]; the macro implements it over a backend's
//! pool with the same SQL on both (see [`super::sql`]). Structured columns (skills,
//! preferences, relations, attributes) are JSON text, encoded and decoded here, so the
//! records the rest of the server sees are typed.
//!
//! The one difference between the backends in this module is how a delete keeps the rows
//! it checks and rewrites from changing before it commits ([`Dialect`]): SQLite takes the
//! database's write lock when the transaction begins (`BEGIN IMMEDIATE`; SQLite has one
//! writer at a time, and a deferred transaction that reads first fails to upgrade once
//! another has written), PostgreSQL locks the rows (`SELECT ... ORDER BY id FOR UPDATE`:
//! in id order, so two deletes rewriting each other's rows wait instead of deadlocking;
//! and a concurrent insert of a row referencing the locked one waits too, its
//! foreign-key check taking a conflicting lock).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{StorageError, StorageResult};
use crate::domain::time::Window;
use crate::domain::{
    AvailabilityId, Email, InvalidValue, PageRequest, Phone, ProjectId, RoomId, TechnicianId,
    TenantId, UserId, VenueId,
};

pub use crate::domain::{AttributeValue, Attributes, Scalar, Skill};

// ---------------------------------------------------------------------------------------
// Technicians

/// How a technician is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ContractKind {
    /// By the hour (technicians, annexe 8): `hourly_rate_cents` per hour.
    Hourly,
    /// By the show (artists, annexe 10): `cachet_rate_cents` per cachet.
    Cachet,
}

impl ContractKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ContractKind::Hourly => "hourly",
            ContractKind::Cachet => "cachet",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        match raw {
            "hourly" => Some(Self::Hourly),
            "cachet" => Some(Self::Cachet),
            _ => None,
        }
    }
}

/// A technician's contract: its kind and both rates, in cents. The rate the kind names is
/// positive; the other may be zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Contract {
    pub kind: ContractKind,
    #[schema(example = 2500)]
    pub hourly_rate_cents: i64,
    #[schema(example = 0)]
    pub cachet_rate_cents: i64,
}

impl Contract {
    /// Checks the rates; the error names the field under `contract`.
    pub fn new(
        kind: ContractKind,
        hourly_rate_cents: i64,
        cachet_rate_cents: i64,
    ) -> Result<Self, (&'static str, InvalidValue)> {
        const HOURLY: &str = "contract.hourly_rate_cents";
        const CACHET: &str = "contract.cachet_rate_cents";
        for (field, rate) in [(HOURLY, hourly_rate_cents), (CACHET, cachet_rate_cents)] {
            if rate < 0 {
                return Err((field, InvalidValue::new("must not be negative")));
            }
        }
        match kind {
            ContractKind::Hourly if hourly_rate_cents == 0 => Err((
                HOURLY,
                InvalidValue::new("an hourly contract needs a positive hourly rate"),
            )),
            ContractKind::Cachet if cachet_rate_cents == 0 => Err((
                CACHET,
                InvalidValue::new("a cachet contract needs a positive cachet rate"),
            )),
            _ => Ok(Self {
                kind,
                hourly_rate_cents,
                cachet_rate_cents,
            }),
        }
    }
}

/// Where a technician likes to work, and how much.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct Preferences {
    /// Venues of the tenant the technician prefers, sorted, without duplicates.
    pub preferred_venues: Vec<VenueId>,
    /// Venues of the tenant the technician would rather avoid; never also preferred.
    pub avoided_venues: Vec<VenueId>,
    /// At most this many hours a week, 1 to 72, if set.
    pub max_weekly_hours: Option<u32>,
}

impl Preferences {
    pub const MAX_WEEKLY_HOURS: u32 = 72;

    /// Sorts and deduplicates the venue lists and checks the rest (not that the venues
    /// exist: that needs the database). The error names the field under `preferences`.
    pub fn new(
        mut preferred_venues: Vec<VenueId>,
        mut avoided_venues: Vec<VenueId>,
        max_weekly_hours: Option<i64>,
    ) -> Result<Self, (&'static str, InvalidValue)> {
        let max_weekly_hours = match max_weekly_hours {
            None => None,
            Some(h) => Some(
                u32::try_from(h)
                    .ok()
                    .filter(|h| (1..=Self::MAX_WEEKLY_HOURS).contains(h))
                    .ok_or((
                        "preferences.max_weekly_hours",
                        InvalidValue::new(format!(
                            "must be between 1 and {}",
                            Self::MAX_WEEKLY_HOURS
                        )),
                    ))?,
            ),
        };
        preferred_venues.sort();
        preferred_venues.dedup();
        avoided_venues.sort();
        avoided_venues.dedup();
        if let Some(both) = avoided_venues
            .iter()
            .find(|v| preferred_venues.binary_search(v).is_ok())
        {
            return Err((
                "preferences.avoided_venues",
                InvalidValue::new(format!(
                    "venue {both} is also preferred; a venue is either preferred or avoided"
                )),
            ));
        }
        Ok(Self {
            preferred_venues,
            avoided_venues,
            max_weekly_hours,
        })
    }

    /// Every venue the preferences name.
    pub fn venues(&self) -> impl Iterator<Item = VenueId> + '_ {
        self.preferred_venues
            .iter()
            .chain(&self.avoided_venues)
            .copied()
    }
}

/// Whether two technicians work well together or must not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RelationKind {
    Affinity,
    Incompatibility,
}

/// A hard relation must hold; a soft one weighs in the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RelationSeverity {
    Hard,
    Soft,
}

/// A technician's relation to another technician of the tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Relation {
    pub technician_id: TechnicianId,
    pub kind: RelationKind,
    /// Always `soft` for an affinity.
    pub severity: RelationSeverity,
    /// The weight of a soft relation in the score, >= 0.
    pub weight: i64,
}

impl Relation {
    /// Checks what can be checked without the database; the error names the field
    /// relative to the relation (`severity`, `weight`).
    pub fn new(
        technician_id: TechnicianId,
        kind: RelationKind,
        severity: RelationSeverity,
        weight: i64,
    ) -> Result<Self, (&'static str, InvalidValue)> {
        if kind == RelationKind::Affinity && severity == RelationSeverity::Hard {
            return Err(("severity", InvalidValue::new("an affinity is always soft")));
        }
        if weight < 0 {
            return Err(("weight", InvalidValue::new("must not be negative")));
        }
        Ok(Self {
            technician_id,
            kind,
            severity,
            weight,
        })
    }
}

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
    /// Substring of the name, case-insensitive (see [`contains_pattern`]).
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
// Helpers of the SQL below

/// How each backend keeps the rows a delete checks and rewrites from changing before it
/// commits (see the module doc).
pub(crate) trait Dialect {
    /// The statement that opens a transaction that will write.
    const BEGIN_WRITE: &'static str;
    /// Appended to a `SELECT ... ORDER BY id` that reads rows the transaction will delete
    /// or rewrite.
    const LOCK_ROW: &'static str;
}

impl Dialect for super::sqlite::SqliteStorage {
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";
    const LOCK_ROW: &'static str = "";
}

impl Dialect for super::postgres::PostgresStorage {
    const BEGIN_WRITE: &'static str = "BEGIN";
    const LOCK_ROW: &'static str = " FOR UPDATE";
}

pub(crate) const TECHNICIAN_COLUMNS: &str = "id, tenant_id, user_id, name, email, phone, skills, contract_kind, \
     hourly_rate_cents, cachet_rate_cents, preferences, relations, attributes, active, created_at, updated_at";
pub(crate) const PROJECT_COLUMNS: &str =
    "id, tenant_id, name, client, starts_on, ends_on, created_at, updated_at";
pub(crate) const VENUE_COLUMNS: &str = "id, tenant_id, name, address, created_at, updated_at";
pub(crate) const ROOM_COLUMNS: &str = "id, venue_id, name, capacity, created_at";
pub(crate) const AVAILABILITY_COLUMNS: &str =
    "id, tenant_id, technician_id, start_at, end_at, kind, note, created_at, updated_at";

/// How many ids one `IN (...)` list holds at most; longer lists are split.
pub(crate) const IN_LIST_CHUNK: usize = 500;

/// `$first, $first+1, ...`: `count` numbered placeholders for an `IN (...)` list.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A `LIKE ... ESCAPE '\'` pattern matching `needle` anywhere, wildcards taken literally.
/// Queries compare `LOWER(column)` with `LOWER(pattern)`: case-insensitive for every
/// letter on PostgreSQL, for ASCII letters on SQLite (whose `LOWER` folds only those);
/// the exact case always matches.
pub fn contains_pattern(needle: &str) -> String {
    let mut escaped = String::with_capacity(needle.len() + 2);
    escaped.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped.push('%');
    escaped
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> StorageResult<String> {
    serde_json::to_string(value).map_err(|e| StorageError::Database(sqlx::Error::Encode(e.into())))
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    column: &'static str,
    text: &str,
) -> StorageResult<T> {
    serde_json::from_str(text).map_err(|e| corrupt(column, e))
}

fn corrupt(column: &'static str, err: impl std::fmt::Display) -> StorageError {
    StorageError::Database(sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: err.to_string().into(),
    })
}

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

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AvailabilityRow {
    id: AvailabilityId,
    tenant_id: TenantId,
    technician_id: TechnicianId,
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
            // The table's CHECK keeps end_at > start_at.
            window: Window {
                start: row.start_at,
                end: row.end_at,
            },
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

/// Sorted and deduplicated, so every id is looked up once.
pub(crate) fn unique<T: Ord + Copy>(ids: &[T]) -> Vec<T> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    ids
}

/// `Duplicate { field }` for a unique-key violation, the error itself otherwise.
pub(crate) fn duplicate_or(err: sqlx::Error, field: &'static str) -> StorageError {
    if super::sql::is_unique_violation(&err) {
        StorageError::Duplicate { field }
    } else {
        err.into()
    }
}

macro_rules! impl_crew_store {
    ($storage:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::crew::CrewStore for $storage {
            // --- technicians ---------------------------------------------------------

            #[tracing::instrument(skip(self, technician), fields(technician = %technician.id))]
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
                    crew::TECHNICIAN_COLUMNS
                );
                let row: crew::TechnicianRow = sqlx::query_as(&sql)
                    .bind(technician.id)
                    .bind(tenant)
                    .bind(technician.user_id)
                    .bind(&technician.name)
                    .bind(technician.email.as_ref().map(|e| e.as_str()))
                    .bind(technician.phone.as_ref().map(|p| p.as_str()))
                    .bind(crew::to_json(&technician.skills)?)
                    .bind(technician.contract.kind.as_str())
                    .bind(technician.contract.hourly_rate_cents)
                    .bind(technician.contract.cachet_rate_cents)
                    .bind(crew::to_json(&technician.preferences)?)
                    .bind(crew::to_json(&technician.relations)?)
                    .bind(crew::to_json(&technician.attributes)?)
                    .bind(technician.active)
                    .bind(technician.created_at)
                    .fetch_one(&self.writer)
                    .await
                    .map_err(|e| crew::duplicate_or(e, "user_id"))?;
                row.try_into()
            }

            async fn technician(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::TechnicianId,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::crew::Technician>> {
                use $crate::storage::crew as crew;
                let sql = format!(
                    "SELECT {} FROM technicians WHERE tenant_id = $1 AND id = $2",
                    crew::TECHNICIAN_COLUMNS
                );
                let row: Option<crew::TechnicianRow> =
                    sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(&self.reader).await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn technicians_by_ids(
                &self,
                tenant: $crate::domain::TenantId,
                ids: &[$crate::domain::TechnicianId],
            ) -> $crate::storage::StorageResult<Vec<$crate::storage::crew::Technician>> {
                use $crate::storage::crew as crew;
                let mut found = Vec::new();
                for chunk in crew::unique(ids).chunks(crew::IN_LIST_CHUNK) {
                    let sql = format!(
                        "SELECT {} FROM technicians WHERE tenant_id = $1 AND id IN ({}) ORDER BY id",
                        crew::TECHNICIAN_COLUMNS,
                        crew::placeholders(2, chunk.len())
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

            async fn active_technicians(
                &self,
                tenant: $crate::domain::TenantId,
            ) -> $crate::storage::StorageResult<Vec<$crate::storage::crew::Technician>> {
                use $crate::storage::crew as crew;
                let sql = format!(
                    "SELECT {} FROM technicians WHERE tenant_id = $1 AND active = $2 ORDER BY id",
                    crew::TECHNICIAN_COLUMNS
                );
                let rows: Vec<crew::TechnicianRow> =
                    sqlx::query_as(&sql).bind(tenant).bind(true).fetch_all(&self.reader).await?;
                crew::technicians(rows)
            }

            #[tracing::instrument(skip(self))]
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
                const WHERE: &str = "WHERE tenant_id = $1
                    AND ($2 IS NULL OR skills LIKE $2)
                    AND ($3 IS NULL OR active = $3)
                    AND ($4 IS NULL OR LOWER(name) LIKE LOWER($4) ESCAPE '\\')";
                let skill = filter.skill.as_ref().map(|s| format!("%\"{}\"%", s.as_str()));
                let name = filter.name_contains.as_deref().map(crew::contains_pattern);
                let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM technicians {WHERE}"))
                    .bind(tenant)
                    .bind(skill.as_deref())
                    .bind(filter.active)
                    .bind(name.as_deref())
                    .fetch_one(&self.reader)
                    .await?;
                let sql = format!(
                    "SELECT {} FROM technicians {WHERE} ORDER BY name, id LIMIT $5 OFFSET $6",
                    crew::TECHNICIAN_COLUMNS
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
                        updated_at = $18
                     WHERE tenant_id = $1 AND id = $2
                     RETURNING {}",
                    crew::TECHNICIAN_COLUMNS
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
                    .bind(patch.skills.as_ref().map(crew::to_json).transpose()?)
                    .bind(patch.contract.map(|c| c.kind.as_str()))
                    .bind(patch.contract.map(|c| c.hourly_rate_cents))
                    .bind(patch.contract.map(|c| c.cachet_rate_cents))
                    .bind(patch.preferences.as_ref().map(crew::to_json).transpose()?)
                    .bind(patch.relations.as_ref().map(crew::to_json).transpose()?)
                    .bind(patch.attributes.as_ref().map(crew::to_json).transpose()?)
                    .bind(patch.active)
                    .bind(now)
                    .fetch_optional(&self.writer)
                    .await
                    .map_err(|e| crew::duplicate_or(e, "user_id"))?;
                row.map(TryInto::try_into).transpose()
            }

            #[tracing::instrument(skip(self, now))]
            async fn delete_technician(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::TechnicianId,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<bool> {
                use $crate::storage::crew::{self as crew, Dialect};
                let mut tx = self.writer.begin_with(<$storage as Dialect>::BEGIN_WRITE).await?;
                // The technician and every technician whose relations name them (JSON
                // text), locked in id order in one statement: two deletes that would
                // rewrite each other's rows wait for one another instead of deadlocking.
                let locked: Vec<($crate::domain::TechnicianId, String)> = sqlx::query_as(&format!(
                    "SELECT id, relations FROM technicians
                     WHERE tenant_id = $1 AND (id = $2 OR relations LIKE $3)
                     ORDER BY id{}",
                    <$storage as Dialect>::LOCK_ROW
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
                    return Err($crate::storage::StorageError::InUse {
                        entity: "technician",
                        detail: format!(
                            "{assignments} assignment(s) name this technician; deactivate them instead (PATCH with \"active\": false)"
                        ),
                    });
                }
                for (other, text) in locked.into_iter().filter(|(t, _)| *t != id) {
                    let mut relations: Vec<crew::Relation> = crew::from_json("relations", &text)?;
                    relations.retain(|r| r.technician_id != id);
                    sqlx::query("UPDATE technicians SET relations = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2")
                        .bind(tenant)
                        .bind(other)
                        .bind(crew::to_json(&relations)?)
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

            async fn create_project(
                &self,
                tenant: $crate::domain::TenantId,
                project: $crate::storage::crew::NewProject,
            ) -> $crate::storage::StorageResult<$crate::storage::crew::Project> {
                use $crate::storage::crew as crew;
                let sql = format!(
                    "INSERT INTO projects (id, tenant_id, name, client, starts_on, ends_on, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {}",
                    crew::PROJECT_COLUMNS
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
                    .map_err(|e| crew::duplicate_or(e, "name"))
            }

            async fn project(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::ProjectId,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::crew::Project>> {
                let sql = format!(
                    "SELECT {} FROM projects WHERE tenant_id = $1 AND id = $2",
                    $crate::storage::crew::PROJECT_COLUMNS
                );
                Ok(sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(&self.reader).await?)
            }

            #[tracing::instrument(skip(self))]
            async fn list_projects(
                &self,
                tenant: $crate::domain::TenantId,
                filter: &$crate::storage::crew::ProjectFilter,
                page: $crate::domain::PageRequest,
            ) -> $crate::storage::StorageResult<(Vec<$crate::storage::crew::Project>, u64)> {
                use $crate::storage::crew as crew;
                // A missing date is open-ended: a project without an end overlaps every
                // later range.
                const WHERE: &str = "WHERE tenant_id = $1
                    AND ($2 IS NULL OR LOWER(name) LIKE LOWER($2) ESCAPE '\\')
                    AND ($3 IS NULL OR ends_on IS NULL OR ends_on >= $3)
                    AND ($4 IS NULL OR starts_on IS NULL OR starts_on <= $4)";
                let name = filter.name_contains.as_deref().map(crew::contains_pattern);
                let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM projects {WHERE}"))
                    .bind(tenant)
                    .bind(name.as_deref())
                    .bind(filter.from)
                    .bind(filter.to)
                    .fetch_one(&self.reader)
                    .await?;
                let sql = format!(
                    "SELECT {} FROM projects {WHERE} ORDER BY name, id LIMIT $5 OFFSET $6",
                    crew::PROJECT_COLUMNS
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

            async fn update_project(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::ProjectId,
                patch: $crate::storage::crew::ProjectPatch,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::crew::Project>> {
                use $crate::storage::crew as crew;
                let sql = format!(
                    "UPDATE projects SET
                        name = COALESCE($3, name),
                        client = CASE WHEN $4 THEN $5 ELSE client END,
                        starts_on = CASE WHEN $6 THEN $7 ELSE starts_on END,
                        ends_on = CASE WHEN $8 THEN $9 ELSE ends_on END,
                        updated_at = $10
                     WHERE tenant_id = $1 AND id = $2
                     RETURNING {}",
                    crew::PROJECT_COLUMNS
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
                    .map_err(|e| crew::duplicate_or(e, "name"))
            }

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

            async fn create_venue(
                &self,
                tenant: $crate::domain::TenantId,
                venue: $crate::storage::crew::NewVenue,
            ) -> $crate::storage::StorageResult<$crate::storage::crew::Venue> {
                use $crate::storage::crew as crew;
                let sql = format!(
                    "INSERT INTO venues (id, tenant_id, name, address, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $5) RETURNING {}",
                    crew::VENUE_COLUMNS
                );
                let row: crew::VenueRow = sqlx::query_as(&sql)
                    .bind(venue.id)
                    .bind(tenant)
                    .bind(&venue.name)
                    .bind(&venue.address)
                    .bind(venue.created_at)
                    .fetch_one(&self.writer)
                    .await
                    .map_err(|e| crew::duplicate_or(e, "name"))?;
                Ok(row.with_rooms(Vec::new()))
            }

            async fn venue(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::VenueId,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::crew::Venue>> {
                use $crate::storage::crew as crew;
                let sql = format!(
                    "SELECT {} FROM venues WHERE tenant_id = $1 AND id = $2",
                    crew::VENUE_COLUMNS
                );
                let row: Option<crew::VenueRow> =
                    sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(&self.reader).await?;
                let Some(row) = row else { return Ok(None) };
                let sql = format!(
                    "SELECT {} FROM rooms WHERE tenant_id = $1 AND venue_id = $2 ORDER BY name, id",
                    crew::ROOM_COLUMNS
                );
                let rooms = sqlx::query_as(&sql).bind(tenant).bind(id).fetch_all(&self.reader).await?;
                Ok(Some(row.with_rooms(rooms)))
            }

            #[tracing::instrument(skip(self))]
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
                    crew::VENUE_COLUMNS
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
                for chunk in ids.chunks(crew::IN_LIST_CHUNK) {
                    let sql = format!(
                        "SELECT {} FROM rooms WHERE tenant_id = $1 AND venue_id IN ({}) ORDER BY name, id",
                        crew::ROOM_COLUMNS,
                        crew::placeholders(2, chunk.len())
                    );
                    let mut query = sqlx::query_as(&sql).bind(tenant);
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    rooms.extend(query.fetch_all(&self.reader).await?);
                }
                let mut by_venue: std::collections::HashMap<$crate::domain::VenueId, Vec<crew::Room>> =
                    std::collections::HashMap::new();
                for room in rooms {
                    by_venue.entry(room.venue_id).or_default().push(room);
                }
                let venues = rows
                    .into_iter()
                    .map(|row| {
                        let rooms = by_venue.remove(&row.id()).unwrap_or_default();
                        row.with_rooms(rooms)
                    })
                    .collect();
                Ok((venues, u64::try_from(total).unwrap_or(0)))
            }

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
                    crew::VENUE_COLUMNS
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
                    .map_err(|e| crew::duplicate_or(e, "name"))?;
                let Some(row) = row else { return Ok(None) };
                let sql = format!(
                    "SELECT {} FROM rooms WHERE tenant_id = $1 AND venue_id = $2 ORDER BY name, id",
                    crew::ROOM_COLUMNS
                );
                let rooms = sqlx::query_as(&sql).bind(tenant).bind(id).fetch_all(&self.reader).await?;
                Ok(Some(row.with_rooms(rooms)))
            }

            #[tracing::instrument(skip(self, now))]
            async fn delete_venue(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::VenueId,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<bool> {
                use $crate::storage::crew::{self as crew, Dialect};
                let mut tx = self.writer.begin_with(<$storage as Dialect>::BEGIN_WRITE).await?;
                let found: Option<$crate::domain::VenueId> = sqlx::query_scalar(&format!(
                    "SELECT id FROM venues WHERE tenant_id = $1 AND id = $2{}",
                    <$storage as Dialect>::LOCK_ROW
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
                let in_use = |missions: i64| $crate::storage::StorageError::InUse {
                    entity: "venue",
                    detail: format!("{missions} mission(s) take place there; a venue with missions is kept for their history"),
                };
                if missions > 0 {
                    return Err(in_use(missions));
                }
                // Preferences are JSON: drop the venue from those naming it. The rows are
                // locked in id order, as a technician delete locks them, so the two wait
                // for one another instead of deadlocking.
                let preferring: Vec<($crate::domain::TechnicianId, String)> = sqlx::query_as(&format!(
                    "SELECT id, preferences FROM technicians WHERE tenant_id = $1 AND preferences LIKE $2 ORDER BY id{}",
                    <$storage as Dialect>::LOCK_ROW
                ))
                .bind(tenant)
                .bind(format!("%{id}%"))
                .fetch_all(&mut *tx)
                .await?;
                for (technician, text) in preferring {
                    let mut preferences: crew::Preferences = crew::from_json("preferences", &text)?;
                    preferences.preferred_venues.retain(|v| *v != id);
                    preferences.avoided_venues.retain(|v| *v != id);
                    sqlx::query("UPDATE technicians SET preferences = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2")
                        .bind(tenant)
                        .bind(technician)
                        .bind(crew::to_json(&preferences)?)
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
                    .map_err(|e| match &e {
                        sqlx::Error::Database(db) if db.kind() == sqlx::error::ErrorKind::ForeignKeyViolation => in_use(1),
                        _ => e.into(),
                    })?;
                tx.commit().await?;
                Ok(true)
            }

            async fn existing_venue_ids(
                &self,
                tenant: $crate::domain::TenantId,
                ids: &[$crate::domain::VenueId],
            ) -> $crate::storage::StorageResult<Vec<$crate::domain::VenueId>> {
                use $crate::storage::crew as crew;
                let mut found = Vec::new();
                for chunk in crew::unique(ids).chunks(crew::IN_LIST_CHUNK) {
                    let sql = format!(
                        "SELECT id FROM venues WHERE tenant_id = $1 AND id IN ({}) ORDER BY id",
                        crew::placeholders(2, chunk.len())
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

            async fn create_room(
                &self,
                tenant: $crate::domain::TenantId,
                venue: $crate::domain::VenueId,
                room: $crate::storage::crew::NewRoom,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::crew::Room>> {
                use $crate::storage::crew as crew;
                // The venue check and the insert are one statement.
                let sql = format!(
                    "INSERT INTO rooms (id, tenant_id, venue_id, name, capacity, created_at)
                     SELECT $1, $2, $3, $4, $5, $6
                     WHERE EXISTS (SELECT 1 FROM venues WHERE tenant_id = $2 AND id = $3)
                     RETURNING {}",
                    crew::ROOM_COLUMNS
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
                    .map_err(|e| crew::duplicate_or(e, "name"))
            }

            async fn room(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::RoomId,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::crew::Room>> {
                let sql = format!(
                    "SELECT {} FROM rooms WHERE tenant_id = $1 AND id = $2",
                    $crate::storage::crew::ROOM_COLUMNS
                );
                Ok(sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(&self.reader).await?)
            }

            async fn list_rooms(
                &self,
                tenant: $crate::domain::TenantId,
                venue: $crate::domain::VenueId,
                page: $crate::domain::PageRequest,
            ) -> $crate::storage::StorageResult<Option<(Vec<$crate::storage::crew::Room>, u64)>> {
                use $crate::storage::crew as crew;
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
                    crew::ROOM_COLUMNS
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

            async fn update_room(
                &self,
                tenant: $crate::domain::TenantId,
                venue: $crate::domain::VenueId,
                id: $crate::domain::RoomId,
                patch: $crate::storage::crew::RoomPatch,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::crew::Room>> {
                use $crate::storage::crew as crew;
                let sql = format!(
                    "UPDATE rooms SET
                        name = COALESCE($4, name),
                        capacity = CASE WHEN $5 THEN $6 ELSE capacity END
                     WHERE tenant_id = $1 AND venue_id = $2 AND id = $3
                     RETURNING {}",
                    crew::ROOM_COLUMNS
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
                    .map_err(|e| crew::duplicate_or(e, "name"))
            }

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
                    crew::AVAILABILITY_COLUMNS
                );
                let row: Option<crew::AvailabilityRow> = sqlx::query_as(&sql)
                    .bind(availability.id)
                    .bind(tenant)
                    .bind(availability.technician_id)
                    .bind(availability.window.start)
                    .bind(availability.window.end)
                    .bind(availability.kind.as_str())
                    .bind(&availability.note)
                    .bind(availability.created_at)
                    .fetch_optional(&self.writer)
                    .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn availability(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::AvailabilityId,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::crew::Availability>> {
                use $crate::storage::crew as crew;
                let sql = format!(
                    "SELECT {} FROM availabilities WHERE tenant_id = $1 AND id = $2",
                    crew::AVAILABILITY_COLUMNS
                );
                let row: Option<crew::AvailabilityRow> =
                    sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(&self.reader).await?;
                row.map(TryInto::try_into).transpose()
            }

            #[tracing::instrument(skip(self))]
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
                    crew::AVAILABILITY_COLUMNS
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
                    crew::AVAILABILITY_COLUMNS
                );
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
                    .fetch_optional(&self.writer)
                    .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn delete_availability(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::AvailabilityId,
                owner: Option<$crate::domain::TechnicianId>,
            ) -> $crate::storage::StorageResult<bool> {
                let deleted = sqlx::query(
                    "DELETE FROM availabilities WHERE tenant_id = $1 AND id = $2 AND ($3 IS NULL OR technician_id = $3)",
                )
                .bind(tenant)
                .bind(id)
                .bind(owner)
                .execute(&self.writer)
                .await?;
                Ok(deleted.rows_affected() > 0)
            }

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
                    crew::AVAILABILITY_COLUMNS
                );
                let rows: Vec<crew::AvailabilityRow> = sqlx::query_as(&sql)
                    .bind(tenant)
                    .bind(technician)
                    .bind(window.start)
                    .bind(window.end)
                    .fetch_all(&self.reader)
                    .await?;
                crew::availabilities(rows)
            }

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
                    crew::AVAILABILITY_COLUMNS,
                    placeholders.join(", ")
                );
                let mut query = sqlx::query_as::<_, crew::AvailabilityRow>(&sql)
                    .bind(tenant)
                    .bind(window.start)
                    .bind(window.end);
                for id in technicians {
                    query = query.bind(*id);
                }
                crew::availabilities(query.fetch_all(&self.reader).await?)
            }
        }
    };
}

pub(crate) use impl_crew_store;

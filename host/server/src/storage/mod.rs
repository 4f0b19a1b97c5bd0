//! The storage seam: one [`Storage`] trait, two implementations.
//!
//! - [`sqlite`] - the embedded default (a WAL file under `./data/`), so `cargo run` needs
//!   no setup;
//! - [`postgres`] - production and scale-out, several stateless replicas on one database.
//!
//! Both run the very same SQL text (see [`sql`]), written in the common subset of the
//! two dialects with `$n` placeholders, so behaviour cannot drift between backends; only
//! the schema (`migrations/sqlite/`, `migrations/postgres/`) and the connection set-up
//! differ. The conformance suite (`tests/`) runs every test against both.
//!
//! Every method that reads tenant data takes the [`TenantId`] first: there is no query
//! that can return another tenant's rows.

pub mod audit;
pub mod crew;
pub mod planning;
pub mod plugins;
pub mod postgres;
mod records;
pub mod seed;
mod sql;
pub mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::{Email, PageRequest, Role, SessionId, TenantId, TenantSlug, TimeZone, UserId};

pub use audit::{AuditFilter, AuditInsert, AuditRow};
pub use crew::{
    AttributeValue, Attributes, Availability, AvailabilityFilter, AvailabilityKind,
    AvailabilityPatch, Contract, ContractKind, CrewStore, NewAvailability, NewProject, NewRoom,
    NewTechnician, NewVenue, Preferences, Project, ProjectFilter, ProjectPatch, Relation,
    RelationKind, RelationSeverity, Room, RoomPatch, Scalar, Technician, TechnicianFilter,
    TechnicianPatch, Venue, VenuePatch,
};
pub use plugins::{ActivationRecord, NewActivation, NewPlugin, PluginRecord};
pub use records::{
    NewSession, NewTenant, NewUser, Principal, RefreshOutcome, Tenant, User, UserCredentials,
    UserFilter, UserPatch,
};

/// What went wrong below the API; `http::error` maps each variant to a status once.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A unique key already holds this value (e.g. an email in the tenant).
    #[error("{field} is already taken")]
    Duplicate { field: &'static str },
    /// The technician is already booked over this window (the database refused it).
    #[error("the technician is already assigned at that time")]
    TimeOverlap,
    /// The row is still referenced (a venue with missions, a technician with assignments).
    #[error("{entity} is still in use: {detail}")]
    InUse {
        entity: &'static str,
        detail: String,
    },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot open the database: {0}")]
    Open(String),
}

pub type StorageResult<T> = Result<T, StorageError>;

/// Everything the server persists. Implementations are cheap to clone (a pool inside).
///
/// Accounts and sessions are here; each other area has its own part, a supertrait in its
/// own module: [`crew::CrewStore`], [`planning::PlanningStore`], [`plugins::PluginStore`],
/// [`audit::AuditStore`].
#[async_trait]
pub trait Storage:
    crew::CrewStore
    + planning::PlanningStore
    + plugins::PluginStore
    + audit::AuditStore
    + seed::SeedStore
    + Send
    + Sync
    + std::fmt::Debug
    + 'static
{
    /// `sqlite` or `postgres`, for logs and the readiness probe.
    fn backend(&self) -> &'static str;

    /// One round trip, for the readiness probe.
    async fn ping(&self) -> StorageResult<()>;

    async fn create_tenant(&self, tenant: NewTenant) -> StorageResult<Tenant>;
    async fn tenant_by_slug(&self, slug: &TenantSlug) -> StorageResult<Option<Tenant>>;
    async fn tenant(&self, id: TenantId) -> StorageResult<Option<Tenant>>;
    /// Renames the tenant or moves it to another time zone; `None` leaves a field as is.
    async fn update_tenant(
        &self,
        id: TenantId,
        name: Option<String>,
        time_zone: Option<TimeZone>,
    ) -> StorageResult<Option<Tenant>>;

    async fn create_user(&self, tenant: TenantId, user: NewUser) -> StorageResult<User>;
    async fn user(&self, tenant: TenantId, id: UserId) -> StorageResult<Option<User>>;
    /// The account and its password hash, for the login check only.
    async fn credentials(
        &self,
        tenant: TenantId,
        email: &Email,
    ) -> StorageResult<Option<UserCredentials>>;
    async fn list_users(
        &self,
        tenant: TenantId,
        filter: &UserFilter,
        page: PageRequest,
    ) -> StorageResult<(Vec<User>, u64)>;
    /// Applies the set fields; `None` when there is no such user in the tenant.
    /// Deactivating a user revokes all their sessions in the same transaction.
    async fn update_user(
        &self,
        tenant: TenantId,
        id: UserId,
        patch: UserPatch,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<User>>;

    /// Records a login and its first refresh token.
    async fn create_session(&self, session: NewSession) -> StorageResult<()>;
    /// Spends the presented refresh token and stores its successor, atomically.
    /// A token that was already spent revokes its whole session (reuse detection).
    async fn rotate_refresh_token(
        &self,
        presented_hash: &[u8],
        successor_hash: &[u8],
        successor_expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StorageResult<RefreshOutcome>;
    /// Revokes the session the refresh token belongs to; `false` if the token is unknown.
    async fn revoke_session_by_refresh_token(
        &self,
        hash: &[u8],
        now: DateTime<Utc>,
    ) -> StorageResult<bool>;
    async fn revoke_session(
        &self,
        session: SessionId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> StorageResult<()>;
    /// The live state behind an access token: the user's current role and whether the
    /// user is active and the session unrevoked. Checked on every authenticated request,
    /// so a deactivation, a role change or a logout takes effect at once.
    async fn principal(&self, session: SessionId) -> StorageResult<Option<Principal>>;
}

/// The handle the server holds: one storage, whichever backend.
pub type DynStorage = Arc<dyn Storage>;

/// Opens the backend named by the URL (`None` -> the embedded SQLite file) and applies
/// the pending migrations.
pub async fn connect(database_url: Option<&str>) -> StorageResult<DynStorage> {
    match database_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Arc::new(postgres::PostgresStorage::connect(url).await?))
        }
        Some(url) if url.starts_with("sqlite:") => {
            Ok(Arc::new(sqlite::SqliteStorage::connect(url).await?))
        }
        Some(url) => Err(StorageError::Open(format!(
            "DATABASE_URL must start with sqlite:// or postgres:// (got `{}`)",
            url.split(':').next().unwrap_or_default()
        ))),
        None => Ok(Arc::new(
            sqlite::SqliteStorage::connect(sqlite::DEFAULT_URL).await?,
        )),
    }
}

/// Builds a tenant record for [`Storage::create_tenant`].
pub fn new_tenant(slug: TenantSlug, name: String, time_zone: TimeZone) -> NewTenant {
    NewTenant {
        id: TenantId::new(),
        slug,
        name,
        time_zone,
        created_at: Utc::now(),
    }
}

/// Builds a user record for [`Storage::create_user`].
pub fn new_user(email: Email, password_hash: String, role: Role, active: bool) -> NewUser {
    NewUser {
        id: UserId::new(),
        email,
        password_hash,
        role,
        active,
        created_at: Utc::now(),
    }
}

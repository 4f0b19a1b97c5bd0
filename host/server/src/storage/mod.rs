//! The storage seam: one [`Storage`] trait, two implementations.
//!
//! - [`sqlite`] - the embedded default (a WAL file under `./data/`), so `cargo run` needs
//!   no setup;
//! - [`postgres`] - production and scale-out, several stateless replicas on one database.
//!
//! Both run the very same SQL text, written in the common subset of the two dialects with
//! `$n` placeholders, so behaviour cannot drift between backends. Each store is a folder:
//! its `mod.rs` is the contract (the trait, its records, how rows decode), its `sql.rs`
//! the SQL that implements it. What the two databases cannot share (how a writing
//! transaction begins, row locks, case-insensitive search, what an error code means) is
//! the [`backend::Backend`] trait, implemented in `sqlite.rs` and `postgres.rs` only;
//! besides it, only the schema (`migrations/sqlite/`, `migrations/postgres/`) and the
//! connection set-up differ. The conformance suite (`tests/`) runs every test against both.
//!
//! Every method that reads tenant data takes the [`TenantId`] first: there is no query
//! that can return another tenant's rows.

pub mod accounts;
pub mod audit;
pub mod backend;
mod codec;
pub mod crew;
pub mod export_files;
pub mod feeds;
pub mod idempotency;
pub mod jobs;
pub mod outbox;
pub mod payroll;
pub mod planning;
pub mod plugins;
pub mod postgres;
pub mod seed;
mod sql;
pub mod sqlite;
pub mod timesheets;

use std::sync::Arc;

use async_trait::async_trait;
use backend::{Backend, Refusal};
use chrono::Utc;

use crate::domain::{Email, Role, TenantId, TenantSlug, TimeZone, UserId};

pub use accounts::{
    NewSession, NewTenant, NewUser, Principal, RefreshOutcome, Tenant, User, UserCredentials,
    UserFilter, UserPatch,
};
pub use audit::{AuditFilter, AuditInsert, AuditRow};
pub use crew::{
    AttributeValue, Attributes, Availability, AvailabilityFilter, AvailabilityKind,
    AvailabilityPatch, Contract, ContractKind, CrewStore, NewAvailability, NewProject, NewRoom,
    NewTechnician, NewVenue, Preferences, Project, ProjectFilter, ProjectPatch, Relation,
    RelationKind, RelationSeverity, Room, RoomPatch, Scalar, Technician, TechnicianFilter,
    TechnicianPatch, Venue, VenuePatch,
};
pub use plugins::{ActivationRecord, NewActivation, NewPlugin, PluginRecord};
pub use timesheets::{
    PayPeriodRecord, PeriodChange, PeriodWrite, Timesheet, TimesheetFilter, TimesheetWrite,
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

impl StorageError {
    /// Whether the database refused for now only (busy, a serialization failure, a
    /// deadlock), so the same statement may succeed if tried again.
    pub fn is_transient(&self) -> bool {
        let StorageError::Database(err) = self else {
            return false;
        };
        // The error does not say which backend raised it; each recognises only its own.
        let refusal = <sqlite::SqliteStorage as Backend>::refusal(err)
            .or_else(|| <postgres::PostgresStorage as Backend>::refusal(err));
        refusal == Some(Refusal::Busy)
    }
}

pub type StorageResult<T> = Result<T, StorageError>;

/// Everything the server persists. Implementations are cheap to clone (a pool inside).
///
/// Each area has its own part, a supertrait in its own module ([`accounts::AccountStore`],
/// [`crew::CrewStore`], [`planning::PlanningStore`], [`jobs::JobStore`],
/// [`idempotency::IdempotencyStore`], [`plugins::PluginStore`],
/// [`audit::AuditStore`], [`seed::SeedStore`], [`timesheets::TimesheetStore`],
/// [`payroll::PayrollStore`], [`feeds::FeedStore`], [`export_files::ExportFileStore`], [`outbox::OutboxStore`]), so
/// callers reach every method through the one handle.
#[async_trait]
pub trait Storage:
    accounts::AccountStore
    + crew::CrewStore
    + planning::PlanningStore
    + jobs::JobStore
    + idempotency::IdempotencyStore
    + plugins::PluginStore
    + audit::AuditStore
    + seed::SeedStore
    + timesheets::TimesheetStore
    + payroll::PayrollStore
    + feeds::FeedStore
    + export_files::ExportFileStore
    + outbox::OutboxStore
    + Send
    + Sync
    + std::fmt::Debug
    + 'static
{
    /// `sqlite` or `postgres`, for logs and the readiness probe.
    fn backend(&self) -> &'static str;

    /// One round trip, for the readiness probe.
    async fn ping(&self) -> StorageResult<()>;

    /// The occupancy of each connection pool, for `/metrics`: no query, read from the pools.
    fn pools(&self) -> Vec<PoolStats>;

    /// How long taking a connection from each pool takes now, for `/metrics`: sqlx does
    /// not time the waits of the requests themselves, so a probe takes one (queueing
    /// behind them, fairly) and gives it back at once.
    async fn pool_waits(&self) -> Vec<(&'static str, std::time::Duration)>;
}

/// The longest a pool probe waits: past it, the pool is as good as exhausted.
pub const POOL_PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// How long taking (and at once returning) a connection of `pool` took, at most
/// [`POOL_PROBE_TIMEOUT`].
pub async fn acquire_wait<DB: sqlx::Database>(pool: &sqlx::Pool<DB>) -> std::time::Duration {
    let started = std::time::Instant::now();
    let _ = tokio::time::timeout(POOL_PROBE_TIMEOUT, pool.acquire()).await;
    started.elapsed()
}

/// A connection pool's occupancy at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// `read` and `write` on SQLite (one writer connection), `main` on PostgreSQL.
    pub name: &'static str,
    /// Connections open now, busy or idle.
    pub size: u32,
    /// Open connections waiting for work.
    pub idle: usize,
    /// The most the pool opens; beyond it, requests wait for a connection.
    pub max: u32,
}

impl PoolStats {
    /// The figures of `pool`, under `name`.
    pub fn of<DB: sqlx::Database>(name: &'static str, pool: &sqlx::Pool<DB>) -> Self {
        Self {
            name,
            size: pool.size(),
            idle: pool.num_idle(),
            max: pool.options().get_max_connections(),
        }
    }
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

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("storage/ is readable") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                sources(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }

    /// Storage sits below every service and the HTTP layer, and the stores' SQL never
    /// names a backend: what differs is asked of `backend::Backend`. A breach of either
    /// would bring back the import cycles this layout removed.
    #[test]
    fn storage_imports_only_the_domain_and_stores_never_name_a_backend() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/storage");
        let mut files = Vec::new();
        sources(&root, &mut files);
        assert!(files.len() > 10, "found the sources: {files:?}");
        let above = [
            "http", "state", "planning", "plugins", "audit", "jobs", "startup",
        ];
        let backends = ["sqlite::", "postgres::", "SqliteStorage", "PostgresStorage"];
        for file in files {
            let relative = file.strip_prefix(&root).expect("under storage/");
            let text = std::fs::read_to_string(&file).expect("readable");
            for layer in above {
                assert!(
                    !text.contains(&format!("crate::{layer}")),
                    "storage/{} imports crate::{layer}",
                    relative.display()
                );
            }
            let is_backend_or_seam = ["mod.rs", "sqlite.rs", "postgres.rs"]
                .iter()
                .any(|f| relative == Path::new(f));
            if !is_backend_or_seam {
                for name in backends {
                    assert!(
                        !text.contains(name),
                        "storage/{} names the backend `{name}`; ask backend::Backend instead",
                        relative.display()
                    );
                }
            }
        }
    }
}

//! The production backend: PostgreSQL, shared by any number of stateless replicas.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::StorageResult;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

#[derive(Debug, Clone)]
pub struct PostgresStorage {
    /// PostgreSQL runs concurrent writers itself (row locks, the exclusion constraint), so
    /// reads and writes share one pool; the two names are the seam the SQL is written
    /// against (see `sqlite.rs` for the backend where they differ).
    reader: PgPool,
    writer: PgPool,
}

impl PostgresStorage {
    /// Connects and applies pending migrations. Migrations take an advisory lock, so
    /// replicas starting together apply each one once.
    pub async fn connect(url: &str) -> StorageResult<Self> {
        let options: PgConnectOptions = url.parse()?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options.application_name("callsheet"))
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self {
            reader: pool.clone(),
            writer: pool,
        })
    }

    pub async fn close(&self) {
        self.writer.close().await;
    }
}

super::sql::impl_storage!(PostgresStorage, "postgres");
super::crew::impl_crew_store!(PostgresStorage);
super::planning::impl_planning_store!(PostgresStorage);
super::plugins::impl_plugins_store!(PostgresStorage);
super::audit::impl_audit_store!(PostgresStorage);
super::seed::impl_seed_store!(PostgresStorage);

//! The embedded backend: one SQLite file in WAL mode.
//!
//! WAL lets readers proceed while one writer commits; `busy_timeout` makes a second writer
//! wait for the lock instead of failing at once. Foreign keys are off by default in SQLite
//! and are switched on for every connection.

use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::{StorageError, StorageResult};

/// Where `cargo run` keeps its data when `DATABASE_URL` is unset.
pub const DEFAULT_URL: &str = "sqlite://data/callsheet.db";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

#[derive(Debug, Clone)]
pub struct SqliteStorage {
    pool: SqlitePool,
}

impl SqliteStorage {
    /// Opens (creating it and its folder if needed) and migrates the database.
    pub async fn connect(url: &str) -> StorageResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL is durable across application crashes in WAL mode; only a power loss
            // can drop the last transactions, which FULL would cost an fsync per commit.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        if let Some(parent) = options
            .get_filename()
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(|e| {
                StorageError::Open(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }

    /// Closes every connection, checkpointing the WAL into the main file.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

super::sql::impl_storage!(SqliteStorage, "sqlite");
super::crew::impl_crew_store!(SqliteStorage);
super::planning::impl_planning_store!(SqliteStorage);
super::plugins::impl_plugins_store!(SqliteStorage);
super::audit::impl_audit_store!(SqliteStorage);
super::seed::impl_seed_store!(SqliteStorage);

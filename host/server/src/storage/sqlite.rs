//! The embedded backend: one SQLite file in WAL mode, behind two pools.
//!
//! SQLite has one writer at a time; WAL lets readers proceed while it commits. So writes
//! go through a pool of exactly one connection and wait their turn in the pool's fair
//! queue, instead of several connections contending for the file lock, where SQLite's
//! busy handler makes the losers sleep in growing steps (up to 100 ms each) and throughput
//! collapses under concurrent writes. Reads go through their own pool of read-only
//! connections, so a read never waits behind a write (nor queues for a connection a write
//! holds). The read-only flag also makes any write sent to the wrong pool fail loudly.
//! `busy_timeout` still covers other processes (a `callsheet seed` beside the server).
//! Foreign keys are off by default in SQLite and are switched on for every connection.

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
    /// Read-only connections, for statements that only read.
    reader: SqlitePool,
    /// The one connection that writes.
    writer: SqlitePool,
}

/// Readers: enough to keep both kinds of work busy on a small machine while writes commit;
/// each SQLite connection is a thread, and reads of a plan take milliseconds.
const READ_CONNECTIONS: u32 = 8;

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
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            // A write waits behind the others in the pool's queue; a long one (a season's
            // plan, a bulk import) can hold it for seconds.
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await?;
        MIGRATOR.run(&writer).await?;
        // After the migrations, so the file and its WAL exist when read-only connections
        // open it.
        let reader = SqlitePoolOptions::new()
            .max_connections(READ_CONNECTIONS)
            .connect_with(options.create_if_missing(false).read_only(true))
            .await?;
        Ok(Self { reader, writer })
    }

    /// Closes every connection; closing the writer last checkpoints the WAL into the main
    /// file.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

super::sql::impl_storage!(SqliteStorage, "sqlite");
super::crew::impl_crew_store!(SqliteStorage);
super::planning::impl_planning_store!(SqliteStorage);
super::plugins::impl_plugins_store!(SqliteStorage);
super::audit::impl_audit_store!(SqliteStorage);
super::seed::impl_seed_store!(SqliteStorage);

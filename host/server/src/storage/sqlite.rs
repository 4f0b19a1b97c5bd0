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
//!
//! The query planner reads table statistics (`sqlite_stat1`) that SQLite never gathers on
//! its own; without them it once walked a tenant's whole index instead of a technician's
//! rows. The writer keeps them current as SQLite recommends: `PRAGMA optimize=0x10002` at
//! start (every table whose statistics are missing or stale), and `PRAGMA optimize` when
//! the writer connection closes, which the pool does every [`WRITER_LIFETIME`] and
//! [`SqliteStorage::close`] does at shutdown. `analysis_limit` bounds each analysis to a
//! sample of every index, so it takes milliseconds even on a large file.

use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use sqlx::error::{DatabaseError, ErrorKind};

use super::backend::{Backend, Refusal};
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

/// How long the writer connection lives before the pool replaces it, running `PRAGMA
/// optimize` as it closes: the statistics follow the data within the hour.
const WRITER_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// Rows sampled per index by an analysis (the value SQLite's manual recommends).
const ANALYSIS_LIMIT: u32 = 400;

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
            .busy_timeout(Duration::from_secs(10))
            .analysis_limit(ANALYSIS_LIMIT)
            // The case-insensitive search (`Backend::contains_ignoring_case`) needs it.
            .with_regexp();
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
            .max_lifetime(WRITER_LIFETIME)
            // Analysis writes `sqlite_stat1`: the writer's job, not the read-only readers'.
            .connect_with(options.clone().optimize_on_close(true, ANALYSIS_LIMIT))
            .await?;
        MIGRATOR.run(&writer).await?;
        sqlx::query("PRAGMA optimize=0x10002")
            .execute(&writer)
            .await?;
        // After the migrations, so the file and its WAL exist when read-only connections
        // open it.
        let reader = SqlitePoolOptions::new()
            .max_connections(READ_CONNECTIONS)
            .connect_with(options.create_if_missing(false).read_only(true))
            .await?;
        Ok(Self { reader, writer })
    }

    /// Closes every connection; closing the writer last runs `PRAGMA optimize` and
    /// checkpoints the WAL into the main file.
    pub async fn close(&self) {
        self.reader.close().await;
        // The writer's connection is closed here rather than left to the pool: the pool's
        // `close()` can return while the connection used last is still on its way back,
        // and close it later, when the process may be gone. Acquiring it waits for that
        // return.
        if let Ok(writer) = self.writer.acquire().await
            && let Err(e) = writer.close().await
        {
            tracing::warn!(error = %e, "closing the SQLite writer");
        }
        self.writer.close().await;
    }
}

impl Backend for SqliteStorage {
    type Database = sqlx::Sqlite;

    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";
    // The write lock taken at `BEGIN IMMEDIATE` already covers every row.
    const LOCK_ROW: &'static str = "";
    const SKIP_LOCKED: &'static str = "";

    // SQLite's `LOWER` and `LIKE` fold ASCII letters only; the `regexp` function sqlx
    // registers (Rust's `regex`) folds every letter under `(?i)`.
    fn contains_ignoring_case(column: &str, param: &str) -> String {
        format!("{column} REGEXP {param}")
    }

    fn contains_pattern(needle: &str) -> String {
        format!("(?i){}", regex::escape(needle))
    }

    fn refusal(err: &sqlx::Error) -> Option<Refusal> {
        let sqlx::Error::Database(db) = err else {
            return None;
        };
        let db = db.try_downcast_ref::<sqlx::sqlite::SqliteError>()?;
        // The triggers that refuse a double booking raise this message (see the migration).
        if db.message().contains("CONFLICT_TIME_OVERLAP") {
            return Some(Refusal::TimeOverlap);
        }
        match db.kind() {
            ErrorKind::UniqueViolation => return Some(Refusal::Unique),
            ErrorKind::ForeignKeyViolation => return Some(Refusal::ForeignKey),
            _ => {}
        }
        // The primary result code is the low byte of the extended one: SQLITE_BUSY (5)
        // and SQLITE_LOCKED (6) with all their variants (busy recovery, snapshot...).
        let code: i32 = db.code()?.parse().ok()?;
        matches!(code & 0xff, 5 | 6).then_some(Refusal::Busy)
    }

    // Ids are 16-byte blobs (hex in JSON, which `Uuid` parses); instants are RFC 3339 text.
    fn needs_json(alias: &str) -> String {
        format!(
            "(SELECT json_group_array(json_array(lower(hex(n.id)), n.position, n.skill, n.shift_type,
                    n.min_crew, n.max_crew, unixepoch(n.start_at), unixepoch(n.end_at),
                    n.unfilled_penalty, n.extra_penalty, n.attributes) ORDER BY n.position, n.id)
              FROM needs n WHERE n.tenant_id = {alias}.tenant_id AND n.mission_id = {alias}.id)"
        )
    }
}

#[async_trait::async_trait]
impl super::Storage for SqliteStorage {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> StorageResult<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    fn pools(&self) -> Vec<super::PoolStats> {
        vec![
            super::PoolStats::of("read", &self.reader),
            super::PoolStats::of("write", &self.writer),
        ]
    }

    async fn pool_waits(&self) -> Vec<(&'static str, std::time::Duration)> {
        // At once: a scrape waits for the slower probe, not the sum of both.
        let (read, write) = tokio::join!(
            super::acquire_wait(&self.reader),
            super::acquire_wait(&self.writer)
        );
        vec![("read", read), ("write", write)]
    }
}

super::accounts::sql::impl_account_store!(SqliteStorage);
super::crew::sql::impl_crew_store!(SqliteStorage);
super::planning::sql::impl_planning_store!(SqliteStorage);
super::sql::impl_schedule_counters!(SqliteStorage);
super::jobs::sql::impl_job_store!(SqliteStorage);
super::idempotency::sql::impl_idempotency_store!(SqliteStorage);
super::plugins::sql::impl_plugins_store!(SqliteStorage);
super::audit::sql::impl_audit_store!(SqliteStorage);
super::seed::sql::impl_seed_store!(SqliteStorage);
super::timesheets::sql::impl_timesheet_store!(SqliteStorage);
super::payroll::sql::impl_payroll_store!(SqliteStorage);
super::feeds::sql::impl_feed_store!(SqliteStorage);
super::export_files::sql::impl_export_file_store!(SqliteStorage);
super::outbox::sql::impl_outbox_store!(SqliteStorage);

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh temporary database file's URL, removed with its WAL when the guard drops.
    struct TempDb(std::path::PathBuf);

    impl TempDb {
        fn new(name: &str) -> Self {
            let path =
                std::env::temp_dir().join(format!("callsheet-{name}-{}.db", uuid::Uuid::new_v4()));
            TempDb(path)
        }

        fn url(&self) -> String {
            format!("sqlite://{}", self.0.display())
        }
    }

    impl Drop for TempDb {
        fn drop(&mut self) {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
            }
        }
    }

    async fn analysed_tables(url: &str) -> Vec<String> {
        let pool = SqlitePool::connect(url).await.expect("opens");
        let tables: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT tbl FROM sqlite_stat1 ORDER BY tbl")
                .fetch_all(&pool)
                .await
                .expect("sqlite_stat1 exists once something was analysed");
        pool.close().await;
        tables
    }

    /// Creates `table` with an index on `owner` and 2,000 rows, 40 per owner.
    async fn fill_indexed_table(conn: &mut sqlx::SqliteConnection, table: &str) {
        for statement in [
            format!("CREATE TABLE {table} (id INTEGER PRIMARY KEY, owner INTEGER NOT NULL)"),
            format!("CREATE INDEX {table}_owner ON {table} (owner)"),
            format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
                 INSERT INTO {table} (owner) SELECT i % 50 FROM n"
            ),
        ] {
            sqlx::query(&statement)
                .execute(&mut *conn)
                .await
                .unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
    }

    #[tokio::test]
    async fn closing_the_writer_gathers_statistics_for_the_tables_queried() {
        let db = TempDb::new("stats");
        let storage = SqliteStorage::connect(&db.url()).await.expect("connects");
        fill_indexed_table(
            &mut storage.writer.acquire().await.expect("writer"),
            "scratch",
        )
        .await;
        // A query that the index serves is what marks the table for `PRAGMA optimize`.
        let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM scratch WHERE owner = 7")
            .fetch_one(&storage.writer)
            .await
            .expect("queries");
        assert_eq!(rows, 40);
        // Right after the query, while its connection may still be on its way back to the
        // pool (the case that made an earlier version of this test fail one time in three).
        storage.close().await;

        let tables = analysed_tables(&db.url()).await;
        assert!(
            tables.contains(&"scratch".to_string()),
            "closing the writer ran PRAGMA optimize: {tables:?}"
        );
    }

    #[tokio::test]
    async fn opening_analyses_tables_never_analysed() {
        let db = TempDb::new("stats-open");
        // A database filled by something that never analysed it (an older server).
        let plain = SqlitePool::connect(&format!("{}?mode=rwc", db.url()))
            .await
            .expect("creates");
        let mut conn = plain.acquire().await.expect("a connection");
        fill_indexed_table(&mut conn, "legacy").await;
        drop(conn);
        plain.close().await;

        let storage = SqliteStorage::connect(&db.url()).await.expect("connects");
        let tables: Vec<String> = sqlx::query_scalar("SELECT DISTINCT tbl FROM sqlite_stat1")
            .fetch_all(&storage.reader)
            .await
            .expect("statistics gathered at start");
        assert!(tables.contains(&"legacy".to_string()), "{tables:?}");
        storage.close().await;
    }

    /// The row decoding of `storage::codec`, here because a unit test needs a backend.
    #[tokio::test]
    async fn a_row_becomes_a_window_only_when_it_ends_after_it_starts() {
        use crate::domain::time::Window;
        let pool = SqlitePool::connect("sqlite::memory:").await.unwrap();
        let read = |start: &'static str, end: &'static str| {
            sqlx::query_as::<_, Window>("SELECT $1 AS start_at, $2 AS end_at")
                .bind(start)
                .bind(end)
                .fetch_one(&pool)
        };
        let w = read("2026-07-01T08:00:00+00:00", "2026-07-01T12:00:00+00:00")
            .await
            .unwrap();
        assert_eq!(w.seconds(), 4 * 3600);
        let err = read("2026-07-01T12:00:00+00:00", "2026-07-01T12:00:00+00:00")
            .await
            .unwrap_err();
        assert!(matches!(err, sqlx::Error::ColumnDecode { index, .. } if index == "end_at"));
    }
}

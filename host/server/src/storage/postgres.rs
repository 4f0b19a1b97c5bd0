//! The production backend: PostgreSQL, shared by any number of stateless replicas.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgDatabaseError, PgPoolOptions};

use super::StorageResult;
use super::backend::{Backend, Refusal};

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
            // Under a burst (a thousand concurrent assignments), requests queue for a
            // connection rather than fail; the request timeout still bounds the wait.
            .acquire_timeout(Duration::from_secs(30))
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

impl Backend for PostgresStorage {
    type Database = sqlx::Postgres;

    // Rows are locked one by one (`LOCK_ROW`) rather than the whole database.
    const BEGIN_WRITE: &'static str = "BEGIN";
    const LOCK_ROW: &'static str = " FOR UPDATE";
    const SKIP_LOCKED: &'static str = " FOR UPDATE SKIP LOCKED";

    // `ILIKE` folds every letter the database's character type knows (all of Unicode
    // under the C.UTF-8 and language locales `initdb` picks).
    fn contains_ignoring_case(column: &str, param: &str) -> String {
        format!("{column} ILIKE {param} ESCAPE '\\'")
    }

    fn contains_pattern(needle: &str) -> String {
        super::sql::like_contains(needle)
    }

    fn refusal(err: &sqlx::Error) -> Option<Refusal> {
        let sqlx::Error::Database(db) = err else {
            return None;
        };
        // SQLSTATE codes: https://www.postgresql.org/docs/current/errcodes-appendix.html
        match db.try_downcast_ref::<PgDatabaseError>()?.code() {
            "40001" | "40P01" => Some(Refusal::Busy),
            "23P01" => Some(Refusal::TimeOverlap),
            "23505" => Some(Refusal::Unique),
            "23503" => Some(Refusal::ForeignKey),
            _ => None,
        }
    }

    // Text, for one decoder on both backends (sqlx decodes `json` into `Value` only).
    fn needs_json(alias: &str) -> String {
        format!(
            "(SELECT COALESCE(json_agg(json_build_array(n.id, n.position, n.skill, n.shift_type,
                    n.min_crew, n.max_crew, extract(epoch FROM n.start_at)::bigint,
                    extract(epoch FROM n.end_at)::bigint, n.unfilled_penalty, n.extra_penalty,
                    n.attributes) ORDER BY n.position, n.id), '[]')::text
              FROM needs n WHERE n.tenant_id = {alias}.tenant_id AND n.mission_id = {alias}.id)"
        )
    }
}

#[async_trait::async_trait]
impl super::Storage for PostgresStorage {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> StorageResult<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    fn pools(&self) -> Vec<super::PoolStats> {
        // `reader` and `writer` are the same pool.
        vec![super::PoolStats::of("main", &self.writer)]
    }

    async fn pool_waits(&self) -> Vec<(&'static str, std::time::Duration)> {
        vec![("main", super::acquire_wait(&self.writer).await)]
    }
}

super::accounts::sql::impl_account_store!(PostgresStorage);
super::crew::sql::impl_crew_store!(PostgresStorage);
super::planning::sql::impl_planning_store!(PostgresStorage);
super::sql::impl_schedule_counters!(PostgresStorage);
super::jobs::sql::impl_job_store!(PostgresStorage);
super::idempotency::sql::impl_idempotency_store!(PostgresStorage);
super::plugins::sql::impl_plugins_store!(PostgresStorage);
super::audit::sql::impl_audit_store!(PostgresStorage);
super::seed::sql::impl_seed_store!(PostgresStorage);
super::timesheets::sql::impl_timesheet_store!(PostgresStorage);
super::payroll::sql::impl_payroll_store!(PostgresStorage);
super::feeds::sql::impl_feed_store!(PostgresStorage);
super::export_files::sql::impl_export_file_store!(PostgresStorage);
super::outbox::sql::impl_outbox_store!(PostgresStorage);

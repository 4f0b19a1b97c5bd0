//! What the stores' SQL shares, written once for both backends.
//!
//! SQLite and PostgreSQL share the subset the stores use: `$n` placeholders (sqlx binds
//! them by number on SQLite too), `RETURNING`, `ON CONFLICT`, `COALESCE`. Each store's
//! `sql.rs` holds a macro that expands the same method bodies over each backend's pool
//! type, because sqlx's executors are typed by database and a generic version would
//! drown every query in trait bounds.

use super::StorageError;
use super::backend::{Backend, Refusal};

/// How many ids one `IN (...)` list holds at most; longer lists are split.
pub(crate) const IN_LIST_CHUNK: usize = 500;

/// `$first, $first+1, ...`: `count` numbered placeholders for an `IN (...)` list.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Sorted and deduplicated, so every id is looked up once.
pub(crate) fn unique<T: Ord + Copy>(ids: &[T]) -> Vec<T> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    ids
}

/// The earliest start of a mission that may still be running at `t`: missions last at
/// most [`MAX_MISSION_DAYS`](crate::domain::mission::MAX_MISSION_DAYS). A lower bound on
/// `start_at` makes an overlap query a range of the `(tenant_id, start_at)` index instead
/// of a walk from the tenant's first mission.
pub(crate) fn earliest_start(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    t.checked_sub_signed(chrono::Duration::days(
        crate::domain::mission::MAX_MISSION_DAYS,
    ))
    .unwrap_or(t)
}

/// `Duplicate { field }` for a unique-key violation, the error itself otherwise.
pub(crate) fn duplicate_or<B: Backend>(err: sqlx::Error, field: &'static str) -> StorageError {
    match B::refusal(&err) {
        Some(Refusal::Unique) => StorageError::Duplicate { field },
        _ => err.into(),
    }
}

/// `TimeOverlap` when the database refused a double booking, the error itself otherwise.
pub(crate) fn overlap_or<B: Backend>(err: sqlx::Error) -> StorageError {
    match B::refusal(&err) {
        Some(Refusal::TimeOverlap) => StorageError::TimeOverlap,
        _ => err.into(),
    }
}

/// What a write that books a technician answers: a double booking or a unique key
/// (`Duplicate { field }`) refused, or the error itself.
pub(crate) fn booking_refused<B: Backend>(err: sqlx::Error, field: &'static str) -> StorageError {
    match B::refusal(&err) {
        Some(Refusal::TimeOverlap) => StorageError::TimeOverlap,
        Some(Refusal::Unique) => StorageError::Duplicate { field },
        _ => err.into(),
    }
}

/// A `LIKE ... ESCAPE '\'` pattern matching `needle` anywhere, its `%`, `_` and `\`
/// taken literally. The one escaper of user input in a pattern.
pub(crate) fn like_contains(needle: &str) -> String {
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

/// The counters behind a manual assignment's check (see `planning::ScheduleVersions` and
/// ADR 0004), bumped by the planning and crew stores alike; expanded once per backend.
macro_rules! impl_schedule_counters {
    ($storage:ty) => {
        /// Bumps the crew counters of `missions`, one row at a time in id order: missions
        /// are locked before technicians, each kind in id order, by every writer (ADR 0004),
        /// so two PostgreSQL transactions wait for each other instead of deadlocking.
        #[tracing::instrument(name = "storage.bump_missions", level = "debug", skip_all)]
        async fn bump_missions(
            conn: &mut $crate::storage::backend::Connection<$storage>,
            tenant: $crate::domain::TenantId,
            missions: impl IntoIterator<Item = $crate::domain::MissionId>,
        ) -> $crate::storage::StorageResult<()> {
            let sorted: std::collections::BTreeSet<_> = missions.into_iter().collect();
            for id in sorted {
                sqlx::query("UPDATE missions SET crew_version = crew_version + 1 WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant)
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
            }
            Ok(())
        }

        /// Bumps `table.counter` of row `id` if it still is `expected` (`None`: the row
        /// was not read, as good as changed); whether it did.
        #[tracing::instrument(name = "storage.bump_if_at", level = "debug", skip_all)]
        async fn bump_if_at<T>(
            conn: &mut $crate::storage::backend::Connection<$storage>,
            tenant: $crate::domain::TenantId,
            table: &'static str,
            counter: &'static str,
            id: T,
            expected: Option<i64>,
        ) -> $crate::storage::StorageResult<bool>
        where
            T: for<'q> sqlx::Encode<'q, <$storage as $crate::storage::backend::Backend>::Database>
                + sqlx::Type<<$storage as $crate::storage::backend::Backend>::Database>
                + Send,
        {
            let Some(expected) = expected else {
                return Ok(false);
            };
            let bumped = sqlx::query(&format!(
                "UPDATE {table} SET {counter} = {counter} + 1 WHERE tenant_id = $1 AND id = $2 AND {counter} = $3"
            ))
            .bind(tenant)
            .bind(id)
            .bind(expected)
            .execute(&mut *conn)
            .await?;
            Ok(bumped.rows_affected() == 1)
        }

        /// Bumps the schedule counters of `technicians`, in id order (see [`bump_missions`]).
        #[tracing::instrument(name = "storage.bump_technicians", level = "debug", skip_all)]
        async fn bump_technicians(
            conn: &mut $crate::storage::backend::Connection<$storage>,
            tenant: $crate::domain::TenantId,
            technicians: impl IntoIterator<Item = $crate::domain::TechnicianId>,
        ) -> $crate::storage::StorageResult<()> {
            let sorted: std::collections::BTreeSet<_> = technicians.into_iter().collect();
            for id in sorted {
                sqlx::query("UPDATE technicians SET schedule_version = schedule_version + 1 WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant)
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
            }
            Ok(())
        }
    };
}

pub(crate) use impl_schedule_counters;

#[cfg(test)]
mod tests {
    use super::like_contains;

    #[test]
    fn like_patterns_match_wildcards_literally() {
        assert_eq!(like_contains("Ana"), "%Ana%");
        assert_eq!(like_contains("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}

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

#[cfg(test)]
mod tests {
    use super::like_contains;

    #[test]
    fn like_patterns_match_wildcards_literally() {
        assert_eq!(like_contains("Ana"), "%Ana%");
        assert_eq!(like_contains("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}

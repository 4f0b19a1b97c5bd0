//! How structured values (skills, preferences, relations, attributes) are kept: JSON text
//! in a column, the same on both backends, so the records the server sees are typed; and
//! how a row's two instants become a [`Window`].

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::time::Window;

use super::{StorageError, StorageResult};

pub(crate) fn to_json<T: Serialize>(value: &T) -> StorageResult<String> {
    serde_json::to_string(value).map_err(|e| StorageError::Database(sqlx::Error::Encode(e.into())))
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    column: &'static str,
    text: &str,
) -> StorageResult<T> {
    serde_json::from_str(text).map_err(|e| corrupt(column, e))
}

pub(crate) fn corrupt(column: &'static str, err: impl std::fmt::Display) -> StorageError {
    StorageError::Database(sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: err.to_string().into(),
    })
}

/// A row's `start_at`/`end_at` pair read as a [`Window`], so a record never holds an empty
/// or reversed one. The tables' CHECK (`end_at > start_at`) makes a refusal here mean a
/// database edited by hand, reported as a decoding error of `end_at`.
impl<'r, R> sqlx::FromRow<'r, R> for Window
where
    R: sqlx::Row,
    &'r str: sqlx::ColumnIndex<R>,
    DateTime<Utc>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        let start: DateTime<Utc> = row.try_get("start_at")?;
        let end: DateTime<Utc> = row.try_get("end_at")?;
        Window::new(start, end).map_err(|e| sqlx::Error::ColumnDecode {
            index: "end_at".to_owned(),
            source: e.into(),
        })
    }
}

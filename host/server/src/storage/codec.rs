//! How structured values (skills, preferences, relations, attributes) are kept: JSON text
//! in a column, the same on both backends, so the records the server sees are typed.

use serde::Serialize;

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

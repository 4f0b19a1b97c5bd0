//! One field of a `PATCH` body: left out, set to `null`, or given a value.

use serde::{Deserialize, Deserializer};

use super::InvalidValue;

/// Tells "not sent" (leave the field as it is) from "sent as `null`" (clear it), which
/// `Option<T>` cannot. Use it with `#[serde(default)]` so a missing field is `Absent`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Patch<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(deserializer).map(|v| v.map_or(Patch::Null, Patch::Value))
    }
}

impl<T> Patch<T> {
    /// For a field that can be changed but not cleared: `null` is refused.
    pub fn required(self, field: &'static str) -> Result<Option<T>, (&'static str, InvalidValue)> {
        match self {
            Patch::Absent => Ok(None),
            Patch::Null => Err((
                field,
                InvalidValue::new("cannot be null; leave the field out to keep its value"),
            )),
            Patch::Value(v) => Ok(Some(v)),
        }
    }

    /// For a field that may be cleared: `None` leaves it, `Some(None)` clears it.
    pub fn nullable(self) -> Option<Option<T>> {
        match self {
            Patch::Absent => None,
            Patch::Null => Some(None),
            Patch::Value(v) => Some(Some(v)),
        }
    }

    /// Checks or converts the value, keeping `Absent` and `Null` as they are.
    pub fn try_map<U, E>(self, f: impl FnOnce(T) -> Result<U, E>) -> Result<Patch<U>, E> {
        Ok(match self {
            Patch::Absent => Patch::Absent,
            Patch::Null => Patch::Null,
            Patch::Value(v) => Patch::Value(f(v)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Body {
        #[serde(default)]
        note: Patch<String>,
    }

    #[test]
    fn absent_null_and_value_are_told_apart() {
        let absent: Body = serde_json::from_str("{}").unwrap();
        assert_eq!(absent.note, Patch::Absent);
        let null: Body = serde_json::from_str(r#"{"note": null}"#).unwrap();
        assert_eq!(null.note.clone().nullable(), Some(None));
        assert!(null.note.required("note").is_err());
        let value: Body = serde_json::from_str(r#"{"note": "x"}"#).unwrap();
        assert_eq!(value.note.nullable(), Some(Some("x".to_owned())));
    }
}

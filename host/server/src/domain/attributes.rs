//! Free attributes the tenant's plugins may read (`union.grade: 3`, `languages: ["fr"]`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::InvalidValue;

/// One value of a list attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
}

/// An attribute's value: a scalar or a flat list of scalars, never an object or a list
/// of lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AttributeValue {
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
    List(Vec<Scalar>),
}

/// Named attribute values, ordered by name. Names are dotted lower-case words
/// (`[a-z0-9._-]`, starting with a letter or digit, no empty dotted part), at most 64
/// characters; at most 100 attributes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Attributes(BTreeMap<String, AttributeValue>);

impl Attributes {
    pub const MAX_ENTRIES: usize = 100;
    pub const MAX_NAME_LEN: usize = 64;

    /// Checks a JSON document. The error's first part is the offending field's path
    /// relative to the attributes (`""` for the document itself, else the name).
    pub fn parse(value: &Value) -> Result<Self, (String, InvalidValue)> {
        let Value::Object(entries) = value else {
            return Err((String::new(), InvalidValue::new("must be a JSON object")));
        };
        if entries.len() > Self::MAX_ENTRIES {
            return Err((
                String::new(),
                InvalidValue::new(format!(
                    "must hold at most {} attributes",
                    Self::MAX_ENTRIES
                )),
            ));
        }
        let mut map = BTreeMap::new();
        for (name, value) in entries {
            check_name(name).map_err(|e| (name.clone(), e))?;
            let value = attribute_value(value).map_err(|e| (name.clone(), e))?;
            map.insert(name.clone(), value);
        }
        Ok(Self(map))
    }

    pub fn get(&self, name: &str) -> Option<&AttributeValue> {
        self.0.get(name)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &AttributeValue)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn check_name(name: &str) -> Result<(), InvalidValue> {
    let chars_ok = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    let parts_ok = name.split('.').all(|part| {
        part.chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    });
    if name.is_empty() || name.len() > Attributes::MAX_NAME_LEN || !chars_ok || !parts_ok {
        return Err(InvalidValue::new(format!(
            "`{name}` is not an attribute name: dotted lower-case words of letters, digits, `_` or `-`, at most {} characters",
            Attributes::MAX_NAME_LEN
        )));
    }
    Ok(())
}

fn scalar(value: &Value) -> Option<Result<Scalar, InvalidValue>> {
    Some(match value {
        Value::Bool(b) => Ok(Scalar::Bool(*b)),
        Value::String(s) => Ok(Scalar::Text(s.clone())),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(Scalar::Int(i))
            } else if n.is_u64() {
                Err(InvalidValue::new(
                    "integers must fit in a signed 64-bit integer",
                ))
            } else {
                n.as_f64()
                    .map(Scalar::Float)
                    .ok_or_else(|| InvalidValue::new("is not a finite number"))
            }
        }
        Value::Null | Value::Array(_) | Value::Object(_) => return None,
    })
}

fn attribute_value(value: &Value) -> Result<AttributeValue, InvalidValue> {
    if let Some(s) = scalar(value) {
        return s.map(|s| match s {
            Scalar::Int(i) => AttributeValue::Int(i),
            Scalar::Float(f) => AttributeValue::Float(f),
            Scalar::Bool(b) => AttributeValue::Bool(b),
            Scalar::Text(t) => AttributeValue::Text(t),
        });
    }
    match value {
        Value::Array(items) => items
            .iter()
            .map(|item| {
                scalar(item).unwrap_or_else(|| {
                    Err(InvalidValue::new(
                        "a list holds only integers, numbers, booleans or strings",
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(AttributeValue::List),
        _ => Err(InvalidValue::new(
            "must be an integer, a number, a boolean, a string or a list of those",
        )),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn scalars_and_flat_lists_are_accepted_and_round_trip() {
        let doc = json!({
            "union.grade": 3, "rate.factor": 1.5, "licence.c": true,
            "home": "Lyon", "languages": ["fr", "en"], "mixed": [1, 2.5, false, "x"],
            "under_score-dash": 0
        });
        let attributes = Attributes::parse(&doc).unwrap();
        assert_eq!(attributes.len(), 7);
        assert_eq!(attributes.get("union.grade"), Some(&AttributeValue::Int(3)));
        assert_eq!(
            attributes.get("rate.factor"),
            Some(&AttributeValue::Float(1.5))
        );
        let text = serde_json::to_string(&attributes).unwrap();
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), doc);
        let back: Attributes = serde_json::from_str(&text).unwrap();
        assert_eq!(back, attributes);
    }

    #[test]
    fn bad_names_and_nested_values_name_the_attribute() {
        assert_eq!(
            Attributes::parse(&json!([1])).unwrap_err().0,
            "",
            "not an object"
        );
        for bad in ["Grade", "a..b", ".a", "a.", "a b", "é", "_x", ""] {
            let doc = json!({ bad: 1 });
            assert_eq!(Attributes::parse(&doc).unwrap_err().0, bad, "{bad:?}");
        }
        for value in [
            json!({"a": 1}),
            json!([[1]]),
            json!([{"a": 1}]),
            json!(null),
            json!([null]),
            json!(u64::MAX),
        ] {
            let doc = json!({ "x": value });
            assert_eq!(Attributes::parse(&doc).unwrap_err().0, "x", "{value}");
        }
        let long = "a".repeat(65);
        assert!(Attributes::parse(&json!({ long: 1 })).is_err());
        let many: serde_json::Map<String, Value> =
            (0..101).map(|i| (format!("a{i}"), json!(i))).collect();
        assert_eq!(Attributes::parse(&Value::Object(many)).unwrap_err().0, "");
    }
}

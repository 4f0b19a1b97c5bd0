//! Plugin parameters: one static table of [`Spec`]s per plugin gives `describe()` its
//! `param-spec`s, `validate-params` its checks, and the evaluation its typed values with
//! defaults and per-technician overrides.
//!
//! Keeping the three uses on one table means a parameter cannot be documented with one
//! default and read with another.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::types::{Param, ParamError, ParamSpec, Scalar, Value};

/// The type, range and default of a parameter.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// An integer in `min..=max`.
    Int { default: i64, min: i64, max: i64 },
    /// A boolean switch.
    Bool { default: bool },
    /// A list of texts, each checked by `item` (which explains a refusal).
    TextList {
        default: &'static [&'static str],
        item: fn(&str) -> Result<(), String>,
    },
}

/// One parameter a plugin accepts.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// Dotted lowercase name: "rest.daily.min".
    pub name: &'static str,
    /// Unit, in the `figure.unit` vocabulary ("s", "bp", "points", "count", "day"...).
    pub unit: &'static str,
    /// What it means, with its legal source, for the admin screen.
    pub description: &'static str,
    /// Type, range and default.
    pub kind: Kind,
    /// Whether a technician's `overrides` may set it (a personal contract's limits).
    pub overridable: bool,
}

impl Spec {
    /// The WIT `param-spec` for `describe()`.
    pub fn to_wit(&self) -> ParamSpec {
        let default = match self.kind {
            Kind::Int { default, .. } => Value::Int(default),
            Kind::Bool { default } => Value::Bool(default),
            Kind::TextList { default, .. } => Value::List(
                default
                    .iter()
                    .map(|s| Scalar::Text((*s).to_owned()))
                    .collect(),
            ),
        };
        let range = match self.kind {
            Kind::Int { min, max, .. } => format!(" Range {min}..={max}."),
            _ => String::new(),
        };
        ParamSpec {
            name: self.name.to_owned(),
            description: format!("{}{range}", self.description),
            unit: self.unit.to_owned(),
            default,
        }
    }

    /// Checks one value against this spec.
    fn check(&self, value: &Value) -> Result<(), ParamError> {
        let error = |code: &str, message: String| ParamError {
            name: self.name.to_owned(),
            code: code.to_owned(),
            message,
        };
        match (&self.kind, value) {
            (Kind::Int { min, max, .. }, Value::Int(v)) => {
                if v < min || v > max {
                    let unit = if self.unit.is_empty() {
                        String::new()
                    } else {
                        format!(" {}", self.unit)
                    };
                    return Err(error(
                        "out-of-range",
                        format!(
                            "{} must be between {min} and {max}{unit}, got {v}",
                            self.name
                        ),
                    ));
                }
                Ok(())
            }
            (Kind::Bool { .. }, Value::Bool(_)) => Ok(()),
            (Kind::TextList { item, .. }, Value::List(items)) => {
                for (i, scalar) in items.iter().enumerate() {
                    let Scalar::Text(text) = scalar else {
                        return Err(error(
                            "wrong-type",
                            format!("{} item {i} must be text", self.name),
                        ));
                    };
                    item(text).map_err(|why| {
                        error(
                            "out-of-range",
                            format!("{} item {i} ({text:?}): {why}", self.name),
                        )
                    })?;
                }
                Ok(())
            }
            _ => Err(error(
                "wrong-type",
                format!(
                    "{} must be {}, got {}",
                    self.name,
                    self.type_name(),
                    value_type_name(value)
                ),
            )),
        }
    }

    fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::Int { .. } => "an int",
            Kind::Bool { .. } => "a bool",
            Kind::TextList { .. } => "a list of texts",
        }
    }
}

fn value_type_name(value: &Value) -> &'static str {
    match value {
        Value::Int(_) => "an int",
        Value::Float(_) => "a float",
        Value::Bool(_) => "a bool",
        Value::Text(_) => "a text",
        Value::List(_) => "a list",
    }
}

/// Checks a parameter list against a table: unknown names, duplicates, wrong types and
/// out-of-range values, every error rather than the first. With `overrides_only`, a
/// parameter that is not `overridable` is refused too (for `technician.overrides`).
/// Combinations are the plugin's to check afterwards, on the resolved values.
pub fn validate(specs: &[Spec], params: &[Param], overrides_only: bool) -> Vec<ParamError> {
    let mut errors = Vec::new();
    for (i, param) in params.iter().enumerate() {
        if params[..i].iter().any(|p| p.name == param.name) {
            errors.push(ParamError {
                name: param.name.clone(),
                code: "inconsistent".to_owned(),
                message: format!("{} is set more than once", param.name),
            });
            continue;
        }
        let Some(spec) = specs.iter().find(|s| s.name == param.name) else {
            errors.push(ParamError {
                name: param.name.clone(),
                code: "unknown".to_owned(),
                message: format!("{} is not a parameter of this plugin", param.name),
            });
            continue;
        };
        if overrides_only && !spec.overridable {
            errors.push(ParamError {
                name: param.name.clone(),
                code: "unknown".to_owned(),
                message: format!("{} cannot be overridden per technician", param.name),
            });
            continue;
        }
        if let Err(e) = spec.check(&param.value) {
            errors.push(e);
        }
    }
    errors
}

/// Typed reading of parameters: a technician's overrides first, then the tenant's
/// parameters, then the default of the spec. Reads only names of its table; a value of
/// the wrong type (which `validate` refuses) falls back to the default rather than trap.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    specs: &'a [Spec],
    layers: [&'a [Param]; 2],
}

impl<'a> Reader<'a> {
    /// Tenant parameters only.
    pub fn new(specs: &'a [Spec], tenant: &'a [Param]) -> Self {
        Reader {
            specs,
            layers: [&[], tenant],
        }
    }

    /// Tenant parameters under a technician's overrides.
    pub fn with_overrides(specs: &'a [Spec], tenant: &'a [Param], overrides: &'a [Param]) -> Self {
        Reader {
            specs,
            layers: [overrides, tenant],
        }
    }

    fn value(&self, name: &str) -> Option<&'a Value> {
        self.layers
            .iter()
            .find_map(|layer| layer.iter().find(|p| p.name == name).map(|p| &p.value))
    }

    fn spec(&self, name: &str) -> Option<&'a Spec> {
        let spec = self.specs.iter().find(|s| s.name == name);
        debug_assert!(spec.is_some(), "parameter {name} is not in the table");
        spec
    }

    /// An integer parameter.
    pub fn int(&self, name: &str) -> i64 {
        if let Some(Value::Int(v)) = self.value(name) {
            return *v;
        }
        match self.spec(name).map(|s| s.kind) {
            Some(Kind::Int { default, .. }) => default,
            _ => 0,
        }
    }

    /// A boolean parameter.
    pub fn bool(&self, name: &str) -> bool {
        if let Some(Value::Bool(v)) = self.value(name) {
            return *v;
        }
        matches!(
            self.spec(name).map(|s| s.kind),
            Some(Kind::Bool { default: true })
        )
    }

    /// A list-of-texts parameter.
    pub fn texts(&self, name: &str) -> Vec<String> {
        if let Some(Value::List(items)) = self.value(name) {
            return items
                .iter()
                .filter_map(|s| match s {
                    Scalar::Text(t) => Some(t.clone()),
                    _ => None,
                })
                .collect();
        }
        match self.spec(name).map(|s| s.kind) {
            Some(Kind::TextList { default, .. }) => {
                default.iter().map(|s| (*s).to_owned()).collect()
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn no_empty(s: &str) -> Result<(), String> {
        if s.is_empty() {
            Err("must not be empty".to_owned())
        } else {
            Ok(())
        }
    }

    const SPECS: &[Spec] = &[
        Spec {
            name: "a.int",
            unit: "s",
            description: "An int.",
            kind: Kind::Int {
                default: 5,
                min: 0,
                max: 10,
            },
            overridable: true,
        },
        Spec {
            name: "a.bool",
            unit: "",
            description: "A bool.",
            kind: Kind::Bool { default: true },
            overridable: false,
        },
        Spec {
            name: "a.list",
            unit: "",
            description: "A list.",
            kind: Kind::TextList {
                default: &["x"],
                item: no_empty,
            },
            overridable: true,
        },
    ];

    fn p(name: &str, value: Value) -> Param {
        Param {
            name: name.to_owned(),
            value,
        }
    }

    #[test]
    fn every_error_is_reported_with_its_code() {
        let cases: Vec<(&str, Vec<Param>, bool, Vec<&str>)> = vec![
            ("defaults only", vec![], false, vec![]),
            (
                "at the minimum",
                vec![p("a.int", Value::Int(0))],
                false,
                vec![],
            ),
            (
                "at the maximum",
                vec![p("a.int", Value::Int(10))],
                false,
                vec![],
            ),
            (
                "just under the minimum",
                vec![p("a.int", Value::Int(-1))],
                false,
                vec!["out-of-range"],
            ),
            (
                "just over the maximum",
                vec![p("a.int", Value::Int(11))],
                false,
                vec!["out-of-range"],
            ),
            (
                "wrong type",
                vec![p("a.int", Value::Bool(true))],
                false,
                vec!["wrong-type"],
            ),
            (
                "unknown",
                vec![p("nope", Value::Int(1))],
                false,
                vec!["unknown"],
            ),
            (
                "duplicate",
                vec![p("a.int", Value::Int(1)), p("a.int", Value::Int(2))],
                false,
                vec!["inconsistent"],
            ),
            (
                "bad list item",
                vec![p("a.list", Value::List(vec![Scalar::Text(String::new())]))],
                false,
                vec!["out-of-range"],
            ),
            (
                "list item not text",
                vec![p("a.list", Value::List(vec![Scalar::Int(1)]))],
                false,
                vec!["wrong-type"],
            ),
            (
                "not overridable",
                vec![p("a.bool", Value::Bool(false))],
                true,
                vec!["unknown"],
            ),
            (
                "all errors at once",
                vec![
                    p("a.int", Value::Int(99)),
                    p("nope", Value::Int(1)),
                    p("a.bool", Value::Int(1)),
                ],
                false,
                vec!["out-of-range", "unknown", "wrong-type"],
            ),
        ];
        for (case, params, overrides, expected) in cases {
            let codes: Vec<String> = validate(SPECS, &params, overrides)
                .into_iter()
                .map(|e| e.code)
                .collect();
            assert_eq!(codes, expected, "case {case}");
        }
    }

    #[test]
    fn overrides_win_over_tenant_values_which_win_over_defaults() {
        let tenant = vec![p("a.int", Value::Int(7)), p("a.bool", Value::Bool(false))];
        let overrides = vec![p("a.int", Value::Int(9))];
        let r = Reader::new(SPECS, &[]);
        assert_eq!(
            (r.int("a.int"), r.bool("a.bool"), r.texts("a.list")),
            (5, true, vec!["x".to_owned()])
        );
        let r = Reader::new(SPECS, &tenant);
        assert_eq!((r.int("a.int"), r.bool("a.bool")), (7, false));
        let r = Reader::with_overrides(SPECS, &tenant, &overrides);
        assert_eq!((r.int("a.int"), r.bool("a.bool")), (9, false));
    }
}

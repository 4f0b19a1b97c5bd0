//! A technician's terms: how they are paid, where they like to work, how they get on with
//! others.
//!
//! Each is built by a constructor that checks its rules, so the HTTP layer converts a
//! request into these before anything deeper runs, and storage only stores them. What
//! needs the database (that a venue or a technician exists in the tenant) is checked by
//! the caller.

use serde::{Deserialize, Serialize};

use super::{InvalidValue, TechnicianId, VenueId};

/// How a technician is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ContractKind {
    /// By the hour (technicians, annexe 8): `hourly_rate_cents` per hour.
    Hourly,
    /// By the show (artists, annexe 10): `cachet_rate_cents` per cachet.
    Cachet,
}

impl ContractKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ContractKind::Hourly => "hourly",
            ContractKind::Cachet => "cachet",
        }
    }

    /// The kind named by its stored or sent code.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "hourly" => Some(Self::Hourly),
            "cachet" => Some(Self::Cachet),
            _ => None,
        }
    }
}

/// A technician's contract: its kind and both rates, in cents. The rate the kind names is
/// positive; the other may be zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Contract {
    pub kind: ContractKind,
    #[schema(example = 2500)]
    pub hourly_rate_cents: i64,
    #[schema(example = 0)]
    pub cachet_rate_cents: i64,
}

impl Contract {
    /// Checks the rates; the error names the field under `contract`.
    pub fn new(
        kind: ContractKind,
        hourly_rate_cents: i64,
        cachet_rate_cents: i64,
    ) -> Result<Self, (&'static str, InvalidValue)> {
        const HOURLY: &str = "contract.hourly_rate_cents";
        const CACHET: &str = "contract.cachet_rate_cents";
        for (field, rate) in [(HOURLY, hourly_rate_cents), (CACHET, cachet_rate_cents)] {
            if rate < 0 {
                return Err((field, InvalidValue::new("must not be negative")));
            }
        }
        match kind {
            ContractKind::Hourly if hourly_rate_cents == 0 => Err((
                HOURLY,
                InvalidValue::new("an hourly contract needs a positive hourly rate"),
            )),
            ContractKind::Cachet if cachet_rate_cents == 0 => Err((
                CACHET,
                InvalidValue::new("a cachet contract needs a positive cachet rate"),
            )),
            _ => Ok(Self {
                kind,
                hourly_rate_cents,
                cachet_rate_cents,
            }),
        }
    }
}

/// Where a technician likes to work, and how much.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct Preferences {
    /// Venues of the tenant the technician prefers, sorted, without duplicates.
    pub preferred_venues: Vec<VenueId>,
    /// Venues of the tenant the technician would rather avoid; never also preferred.
    pub avoided_venues: Vec<VenueId>,
    /// At most this many hours a week, 1 to 72, if set.
    pub max_weekly_hours: Option<u32>,
}

impl Preferences {
    pub const MAX_WEEKLY_HOURS: u32 = 72;

    /// Sorts and deduplicates the venue lists and checks the rest (not that the venues
    /// exist: that needs the database). The error names the field under `preferences`.
    pub fn new(
        mut preferred_venues: Vec<VenueId>,
        mut avoided_venues: Vec<VenueId>,
        max_weekly_hours: Option<i64>,
    ) -> Result<Self, (&'static str, InvalidValue)> {
        let max_weekly_hours = match max_weekly_hours {
            None => None,
            Some(h) => Some(
                u32::try_from(h)
                    .ok()
                    .filter(|h| (1..=Self::MAX_WEEKLY_HOURS).contains(h))
                    .ok_or((
                        "preferences.max_weekly_hours",
                        InvalidValue::new(format!(
                            "must be between 1 and {}",
                            Self::MAX_WEEKLY_HOURS
                        )),
                    ))?,
            ),
        };
        preferred_venues.sort();
        preferred_venues.dedup();
        avoided_venues.sort();
        avoided_venues.dedup();
        if let Some(both) = avoided_venues
            .iter()
            .find(|v| preferred_venues.binary_search(v).is_ok())
        {
            return Err((
                "preferences.avoided_venues",
                InvalidValue::new(format!(
                    "venue {both} is also preferred; a venue is either preferred or avoided"
                )),
            ));
        }
        Ok(Self {
            preferred_venues,
            avoided_venues,
            max_weekly_hours,
        })
    }

    /// Every venue the preferences name.
    pub fn venues(&self) -> impl Iterator<Item = VenueId> + '_ {
        self.preferred_venues
            .iter()
            .chain(&self.avoided_venues)
            .copied()
    }
}

/// Whether two technicians work well together or must not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RelationKind {
    Affinity,
    Incompatibility,
}

/// A hard relation must hold; a soft one weighs in the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RelationSeverity {
    Hard,
    Soft,
}

/// A technician's relation to another technician of the tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Relation {
    pub technician_id: TechnicianId,
    pub kind: RelationKind,
    /// Always `soft` for an affinity.
    pub severity: RelationSeverity,
    /// The weight of a soft relation in the score, >= 0.
    pub weight: i64,
}

impl Relation {
    /// Checks what can be checked without the database; the error names the field
    /// relative to the relation (`severity`, `weight`).
    pub fn new(
        technician_id: TechnicianId,
        kind: RelationKind,
        severity: RelationSeverity,
        weight: i64,
    ) -> Result<Self, (&'static str, InvalidValue)> {
        if kind == RelationKind::Affinity && severity == RelationSeverity::Hard {
            return Err(("severity", InvalidValue::new("an affinity is always soft")));
        }
        if weight < 0 {
            return Err(("weight", InvalidValue::new("must not be negative")));
        }
        Ok(Self {
            technician_id,
            kind,
            severity,
            weight,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contracts_need_the_rate_their_kind_names_and_no_negative_rate() {
        for (case, kind, hourly, cachet, refused) in [
            ("hourly", ContractKind::Hourly, 2500, 0, None),
            ("cachet", ContractKind::Cachet, 0, 15000, None),
            ("both rates", ContractKind::Hourly, 2500, 15000, None),
            (
                "hourly without its rate",
                ContractKind::Hourly,
                0,
                15000,
                Some("contract.hourly_rate_cents"),
            ),
            (
                "cachet without its rate",
                ContractKind::Cachet,
                2500,
                0,
                Some("contract.cachet_rate_cents"),
            ),
            (
                "negative other rate",
                ContractKind::Hourly,
                2500,
                -1,
                Some("contract.cachet_rate_cents"),
            ),
        ] {
            let field = Contract::new(kind, hourly, cachet)
                .err()
                .map(|(field, _)| field);
            assert_eq!(field, refused, "{case}");
        }
    }

    #[test]
    fn preferences_sort_their_venues_and_refuse_a_venue_both_preferred_and_avoided() {
        let (a, b) = (VenueId::new(), VenueId::new());
        let p = Preferences::new(vec![b, a, b], vec![], Some(40)).expect("valid");
        let mut sorted = vec![a, b];
        sorted.sort();
        assert_eq!(p.preferred_venues, sorted, "sorted, deduplicated");
        for (case, preferred, avoided, hours, refused) in [
            (
                "both",
                vec![a],
                vec![a],
                None,
                Some("preferences.avoided_venues"),
            ),
            (
                "no hours",
                vec![],
                vec![],
                Some(0),
                Some("preferences.max_weekly_hours"),
            ),
            (
                "too many hours",
                vec![],
                vec![],
                Some(73),
                Some("preferences.max_weekly_hours"),
            ),
            ("the most hours", vec![], vec![], Some(72), None),
        ] {
            let field = Preferences::new(preferred, avoided, hours)
                .err()
                .map(|(field, _)| field);
            assert_eq!(field, refused, "{case}");
        }
    }
}

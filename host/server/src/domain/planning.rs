//! The vocabularies of missions, assignments and jobs: closed sets stored as text.

use serde::{Deserialize, Serialize};

use super::InvalidValue;

/// A closed vocabulary stored as lowercase text, with `as_str`, `FromStr`, `Display` and
/// `TryFrom<String>` (for sqlx rows), so every enum reads and writes the same way.
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = InvalidValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| {
                    let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    InvalidValue::new(format!("`{s}` is not one of {}", names.join(", ")))
                })
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidValue;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                value.parse()
            }
        }
    };
}

pub(super) use text_enum;

text_enum!(
    /// Where a mission stands.
    MissionStatus {
        /// Being prepared: planned and assigned like the others, not yet promised.
        Draft => "draft",
        /// Sold and dated.
        Confirmed => "confirmed",
        /// Called off: its assignments are released and it is left out of plans and runs.
        Cancelled => "cancelled",
    }
);

text_enum!(
    /// Where an assignment stands.
    AssignmentStatus {
        /// Proposed to the technician (every new assignment).
        Proposed => "proposed",
        /// Accepted by the technician (or by a planner for them).
        Confirmed => "confirmed",
        /// Refused: kept for history, frees the time slot, never proposed again by a run.
        Declined => "declined",
    }
);

text_enum!(
    /// Who made an assignment.
    AssignmentSource {
        /// A planner, through `POST /assignments`.
        Manual => "manual",
        /// An automatic run (its audit entry is `run_id`).
        Auto => "auto",
    }
);

text_enum!(
    /// Where a background job stands.
    JobState {
        Queued => "queued",
        Running => "running",
        Succeeded => "succeeded",
        Failed => "failed",
        Cancelled => "cancelled",
    }
);

impl JobState {
    /// Whether the job will not change any more.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabularies_round_trip_through_text() {
        for s in MissionStatus::ALL {
            assert_eq!(s.as_str().parse::<MissionStatus>().unwrap(), *s);
        }
        for s in AssignmentStatus::ALL {
            assert_eq!(
                AssignmentStatus::try_from(s.as_str().to_owned()).unwrap(),
                *s
            );
        }
        let err = "maybe".parse::<AssignmentStatus>().unwrap_err();
        assert_eq!(
            err.reason,
            "`maybe` is not one of proposed, confirmed, declined"
        );
        assert!(JobState::Cancelled.is_final() && !JobState::Running.is_final());
    }
}

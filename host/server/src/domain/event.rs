//! What happened that someone outside may want to hear of: the outbox's vocabulary.
//!
//! A write that changes one of these records its event in its own transaction (see
//! `storage::outbox`); webhooks subscribe to them by name, and notifications are sent
//! for them. The names are a public contract (webhook `type`, subscriptions): new ones
//! may be added, existing ones never renamed.

use serde::{Deserialize, Serialize};

use super::InvalidValue;
use super::planning::text_enum;

/// The kinds of events, named `<entity>.<what happened>`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
pub enum EventType {
    /// A technician was put on a need, waiting for their answer (manual, or reinstated).
    #[serde(rename = "assignment.proposed")]
    AssignmentProposed,
    /// An assignment was accepted (or created already confirmed).
    #[serde(rename = "assignment.confirmed")]
    AssignmentConfirmed,
    /// An assignment was refused.
    #[serde(rename = "assignment.declined")]
    AssignmentDeclined,
    /// An assignment was removed (by a planner, or with its cancelled mission).
    #[serde(rename = "assignment.cancelled")]
    AssignmentCancelled,
    /// A mission's dates changed: its crew's shifts moved with it.
    #[serde(rename = "mission.moved")]
    MissionMoved,
    /// A mission was called off: its assignments are released.
    #[serde(rename = "mission.cancelled")]
    MissionCancelled,
    /// An automatic run was committed: its proposed assignments are in the plan.
    #[serde(rename = "run.committed")]
    RunCommitted,
    /// A technician submitted a timesheet.
    #[serde(rename = "timesheet.submitted")]
    TimesheetSubmitted,
    /// A manager closed a pay period.
    #[serde(rename = "period.closed")]
    PeriodClosed,
}

impl EventType {
    pub const ALL: &'static [EventType] = &[
        Self::AssignmentProposed,
        Self::AssignmentConfirmed,
        Self::AssignmentDeclined,
        Self::AssignmentCancelled,
        Self::MissionMoved,
        Self::MissionCancelled,
        Self::RunCommitted,
        Self::TimesheetSubmitted,
        Self::PeriodClosed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AssignmentProposed => "assignment.proposed",
            Self::AssignmentConfirmed => "assignment.confirmed",
            Self::AssignmentDeclined => "assignment.declined",
            Self::AssignmentCancelled => "assignment.cancelled",
            Self::MissionMoved => "mission.moved",
            Self::MissionCancelled => "mission.cancelled",
            Self::RunCommitted => "run.committed",
            Self::TimesheetSubmitted => "timesheet.submitted",
            Self::PeriodClosed => "period.closed",
        }
    }

    /// The event an assignment's new status announces.
    pub fn of_assignment_status(status: super::AssignmentStatus) -> Self {
        match status {
            super::AssignmentStatus::Proposed => Self::AssignmentProposed,
            super::AssignmentStatus::Confirmed => Self::AssignmentConfirmed,
            super::AssignmentStatus::Declined => Self::AssignmentDeclined,
        }
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for EventType {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                InvalidValue::new(format!("`{s}` is not one of {}", names.join(", ")))
            })
    }
}

impl TryFrom<String> for EventType {
    type Error = InvalidValue;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

text_enum!(
    /// How a message travels.
    Channel {
        /// An HTTP POST to a tenant's endpoint, signed (Standard Webhooks).
        Webhook => "webhook",
        /// An email to a user.
        Mail => "mail",
        /// A Telegram message to a user's linked chat.
        Telegram => "telegram",
    }
);

text_enum!(
    /// Where a message stands.
    DeliveryState {
        /// Waiting for its next attempt (the first, or a retry after a failure).
        Pending => "pending",
        /// The receiver accepted it.
        Delivered => "delivered",
        /// It failed its every attempt: kept, and retried only when an admin asks.
        Dead => "dead",
    }
);

text_enum!(
    /// The language a user reads their notifications in.
    Language {
        Fr => "fr",
        En => "en",
    }
);

/// Which channels a user hears of each event type on. Event types left out are heard on
/// no channel; [`NotificationChannels::defaults`] is what a user has until they choose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(value_type = Object, example = json!({"assignment.proposed": ["mail", "telegram"], "mission.cancelled": ["mail"]}))]
pub struct NotificationChannels(
    pub std::collections::BTreeMap<EventType, std::collections::BTreeSet<Channel>>,
);

impl NotificationChannels {
    /// Events that concern a technician's own work: what a person can be told of.
    pub const PERSONAL: &'static [EventType] = &[
        EventType::AssignmentProposed,
        EventType::AssignmentConfirmed,
        EventType::AssignmentDeclined,
        EventType::AssignmentCancelled,
        EventType::MissionMoved,
        EventType::MissionCancelled,
        EventType::RunCommitted,
    ];

    /// What a user hears until they choose: by mail and Telegram (when linked), what
    /// someone else did to their work (a proposal, a removal, a move, a cancellation, a
    /// run's proposals); not their own answers (confirmed, declined), which they gave.
    pub fn defaults() -> Self {
        let both: std::collections::BTreeSet<Channel> =
            [Channel::Mail, Channel::Telegram].into_iter().collect();
        Self(
            [
                EventType::AssignmentProposed,
                EventType::AssignmentCancelled,
                EventType::MissionMoved,
                EventType::MissionCancelled,
                EventType::RunCommitted,
            ]
            .into_iter()
            .map(|t| (t, both.clone()))
            .collect(),
        )
    }

    /// Checked choices: personal events only, webhooks are not a person's channel.
    pub fn checked(self) -> Result<Self, InvalidValue> {
        for (event, channels) in &self.0 {
            if !Self::PERSONAL.contains(event) {
                return Err(InvalidValue::new(format!(
                    "`{event}` is not sent to people; choose among {}",
                    Self::PERSONAL
                        .iter()
                        .map(|e| e.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            if channels.contains(&Channel::Webhook) {
                return Err(InvalidValue::new(
                    "`webhook` is a tenant's channel, not a person's: choose mail or telegram",
                ));
            }
        }
        Ok(self)
    }

    /// The channels `event` is heard on.
    pub fn for_event(&self, event: EventType) -> impl Iterator<Item = Channel> + '_ {
        self.0.get(&event).into_iter().flatten().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_text_and_json() {
        for t in EventType::ALL {
            assert_eq!(t.as_str().parse::<EventType>().unwrap(), *t);
            let json = serde_json::to_string(t).unwrap();
            assert_eq!(json, format!("\"{}\"", t.as_str()));
        }
        let defaults = NotificationChannels::defaults();
        assert_eq!(
            defaults
                .for_event(EventType::AssignmentProposed)
                .collect::<Vec<_>>(),
            [Channel::Mail, Channel::Telegram]
        );
        assert_eq!(
            defaults.for_event(EventType::AssignmentConfirmed).count(),
            0
        );
        assert!(defaults.clone().checked().is_ok());
        let mut webhook = defaults.clone();
        webhook.0.insert(
            EventType::MissionMoved,
            [Channel::Webhook].into_iter().collect(),
        );
        assert!(webhook.checked().is_err());
        let mut closed = defaults;
        closed.0.insert(
            EventType::PeriodClosed,
            [Channel::Mail].into_iter().collect(),
        );
        assert!(
            closed
                .checked()
                .unwrap_err()
                .reason
                .contains("not sent to people")
        );
        let err = "assignment.moved".parse::<EventType>().unwrap_err();
        assert!(err.reason.contains("assignment.proposed"), "{}", err.reason);
    }
}

//! The outbox: events, the messages fanned out of them, their attempts, and the tenants'
//! webhook endpoints (ADR 0010).
//!
//! An event is written by the store method that makes the change, inside its transaction
//! (`record_event`, expanded with the store by [`sql::impl_outbox_store`]): a committed change always has its event,
//! a rolled-back one never. A worker then claims undispatched events, decides who hears
//! of each (`notify::fanout`) and writes one delivery per channel and target, unique by
//! `(event, channel, target)`, so dispatching an event twice (a crash between the two
//! steps) adds nothing. Deliveries are claimed for a lease, sent, and their outcome
//! recorded only while the lease is still the claimer's.
//!
//! Claims take rows no other claimer holds: PostgreSQL skips the rows another replica's
//! claim is locking (`FOR UPDATE SKIP LOCKED`, [`super::backend::Backend::SKIP_LOCKED`]);
//! SQLite has one writer, so a claim is one atomic statement.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::StorageResult;
use crate::domain::{
    Channel, DeliveryId, DeliveryState, EventId, EventType, Language, NotificationChannels,
    PageRequest, TechnicianId, TenantId, UserId, WebhookId,
};

/// An event to record with the change that causes it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub id: EventId,
    pub tenant: TenantId,
    pub event_type: EventType,
    /// The record it is about.
    pub subject: Uuid,
    pub payload: serde_json::Value,
    pub occurred_at: DateTime<Utc>,
}

impl NewEvent {
    pub fn new(
        tenant: TenantId,
        event_type: EventType,
        subject: Uuid,
        payload: serde_json::Value,
        occurred_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id: EventId::new(),
            tenant,
            event_type,
            subject,
            payload,
            occurred_at,
        }
    }
}

/// The event of an assignment's change: the assignment as it now is (as it was, when
/// removed).
pub fn assignment_event(
    tenant: TenantId,
    event_type: EventType,
    a: &super::planning::Assignment,
    at: DateTime<Utc>,
) -> NewEvent {
    NewEvent::new(
        tenant,
        event_type,
        a.id.0,
        serde_json::json!({
            "assignment_id": a.id,
            "mission_id": a.mission_id,
            "need_id": a.need_id,
            "technician_id": a.technician_id,
            "start_at": a.window.start(),
            "end_at": a.window.end(),
            "status": a.status,
            "source": a.source,
            "pinned": a.pinned,
        }),
        at,
    )
}

/// The event of a mission moved or cancelled: the mission, where it was, and its crew
/// (the technicians it moves or releases).
pub fn mission_event(
    tenant: TenantId,
    event_type: EventType,
    mission: &super::planning::Mission,
    previous: crate::domain::time::Window,
    crew: &[crate::domain::TechnicianId],
) -> NewEvent {
    NewEvent::new(
        tenant,
        event_type,
        mission.id.0,
        serde_json::json!({
            "mission_id": mission.id,
            "title": mission.title,
            "venue_id": mission.venue_id,
            "start_at": mission.window.start(),
            "end_at": mission.window.end(),
            "previous_start_at": previous.start(),
            "previous_end_at": previous.end(),
            "status": mission.status,
            "crew": crew,
        }),
        mission.updated_at,
    )
}

/// The event of a committed automatic run: its new assignments and those it removed.
pub fn run_event(
    tenant: TenantId,
    commit: &super::planning::RunCommit,
    deleted: &[crate::domain::AssignmentId],
) -> NewEvent {
    let created: Vec<_> = commit
        .create
        .iter()
        .map(|a| {
            serde_json::json!({
                "assignment_id": a.id,
                "mission_id": a.mission_id,
                "need_id": a.need_id,
                "technician_id": a.technician_id,
                "start_at": a.window.start(),
                "end_at": a.window.end(),
            })
        })
        .collect();
    NewEvent::new(
        tenant,
        EventType::RunCommitted,
        commit.audit.id.0,
        serde_json::json!({ "run_id": commit.audit.id, "created": created, "deleted": deleted }),
        crate::domain::time::now(),
    )
}

/// The event of a timesheet submitted: what the technician declares they worked.
pub fn timesheet_event(tenant: TenantId, t: &super::timesheets::Timesheet) -> NewEvent {
    NewEvent::new(
        tenant,
        EventType::TimesheetSubmitted,
        t.id.0,
        serde_json::json!({
            "timesheet_id": t.id,
            "technician_id": t.technician_id,
            "mission_id": t.mission_id,
            "assignment_id": t.assignment_id,
            "start_at": t.window.start(),
            "end_at": t.window.end(),
            "worked_seconds": t.worked_seconds,
            "version": t.version,
        }),
        t.submitted_at.unwrap_or(t.updated_at),
    )
}

/// The event of a pay period closed.
pub fn period_event(tenant: TenantId, p: &super::timesheets::PayPeriodRecord) -> NewEvent {
    NewEvent::new(
        tenant,
        EventType::PeriodClosed,
        p.id.0,
        serde_json::json!({
            "period_id": p.id,
            "label": p.label,
            "starts_at": p.window.start(),
            "ends_at": p.window.end(),
            "closed_by": p.closed_by,
        }),
        p.closed_at.unwrap_or_else(crate::domain::time::now),
    )
}

/// A recorded event.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxEvent {
    pub id: EventId,
    pub tenant_id: TenantId,
    #[sqlx(try_from = "String")]
    pub event_type: EventType,
    pub subject_id: Uuid,
    /// JSON.
    pub payload: String,
    pub occurred_at: DateTime<Utc>,
}

/// A message of the outbox.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Delivery {
    pub id: DeliveryId,
    pub tenant_id: TenantId,
    pub event_id: EventId,
    #[sqlx(try_from = "String")]
    pub event_type: EventType,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    pub endpoint_id: Option<WebhookId>,
    pub user_id: Option<UserId>,
    pub target: String,
    #[sqlx(try_from = "String")]
    pub state: DeliveryState,
    /// Every attempt made, numbering the attempt log.
    pub attempts: i32,
    /// Failed attempts since the last success or manual retry.
    pub failures: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A message to create for an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub channel: Channel,
    pub endpoint_id: Option<WebhookId>,
    pub user_id: Option<UserId>,
    /// With the event and the channel, what makes the message unique.
    pub target: String,
}

/// A message claimed for sending, with its event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub delivery: Delivery,
    pub event: OutboxEvent,
}

/// One try at sending a message.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Attempt {
    pub attempt: i32,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i64,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub succeeded: bool,
}

/// What an attempt leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Failed; try again at `at`.
    Retry {
        at: DateTime<Utc>,
    },
    /// Failed its last allowed attempt.
    Dead,
}

/// Filters of the message list.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    pub channel: Option<Channel>,
    pub state: Option<DeliveryState>,
    pub endpoint: Option<WebhookId>,
    pub user: Option<UserId>,
    pub event_type: Option<EventType>,
}

/// A tenant's webhook endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    pub id: WebhookId,
    pub tenant_id: TenantId,
    pub url: String,
    pub description: Option<String>,
    /// Sorted, without duplicates.
    pub event_types: Vec<EventType>,
    /// `whsec_` and the key in base64.
    pub secret: String,
    /// The secret before the last rotation, signing too until it expires.
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl WebhookEndpoint {
    /// The secrets a delivery at `now` is signed with: the current one, and the previous
    /// one until it expires.
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let (Some(previous), Some(until)) =
            (&self.previous_secret, self.previous_secret_expires_at)
            && until > now
        {
            secrets.push(previous);
        }
        secrets
    }

    pub fn wants(&self, event: EventType) -> bool {
        self.active && self.event_types.binary_search(&event).is_ok()
    }
}

/// The row behind [`WebhookEndpoint`]: event types as JSON text.
#[derive(sqlx::FromRow)]
pub(crate) struct WebhookRow {
    id: WebhookId,
    tenant_id: TenantId,
    url: String,
    description: Option<String>,
    event_types: String,
    secret: String,
    previous_secret: Option<String>,
    previous_secret_expires_at: Option<DateTime<Utc>>,
    active: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl WebhookRow {
    pub(crate) fn into_endpoint(self) -> StorageResult<WebhookEndpoint> {
        let event_types = serde_json::from_str(&self.event_types)
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        Ok(WebhookEndpoint {
            id: self.id,
            tenant_id: self.tenant_id,
            url: self.url,
            description: self.description,
            event_types,
            secret: self.secret,
            previous_secret: self.previous_secret,
            previous_secret_expires_at: self.previous_secret_expires_at,
            active: self.active,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// How a user hears of events, as stored on their account.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NotificationSettings {
    pub user_id: UserId,
    pub email: String,
    pub active: bool,
    #[sqlx(try_from = "String")]
    pub language: Language,
    pub telegram_chat_id: Option<String>,
    /// JSON; `None` until the user chooses.
    pub notification_channels: Option<String>,
}

impl NotificationSettings {
    /// The user's channels per event type: their choice, or the defaults.
    pub fn channels(&self) -> NotificationChannels {
        self.notification_channels
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_else(NotificationChannels::defaults)
    }
}

/// The outbox's figures, over every tenant (an operator's, for `/metrics`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxQueue {
    /// Events not yet fanned out.
    pub undispatched: u64,
    /// Messages waiting per channel.
    pub pending: Vec<(Channel, u64)>,
    /// Dead messages per channel.
    pub dead: Vec<(Channel, u64)>,
    /// When the oldest waiting message was created.
    pub oldest_pending: Option<DateTime<Utc>>,
}

/// The outbox.
#[async_trait::async_trait]
pub trait OutboxStore: Send + Sync {
    /// Up to `limit` undispatched events no one holds, oldest first, held until
    /// `lease_until`.
    async fn claim_events(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StorageResult<Vec<OutboxEvent>>;

    /// Writes an event's messages (those already there are left as they are) and marks
    /// it dispatched, in one transaction.
    async fn dispatch_event(
        &self,
        event: &OutboxEvent,
        deliveries: &[NewDelivery],
        now: DateTime<Utc>,
    ) -> StorageResult<()>;

    /// Up to `limit` messages due at `now` that no one holds, held until `lease_until`,
    /// each with its attempt counted.
    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StorageResult<Vec<Claimed>>;

    /// Logs an attempt of a claimed message and moves it on; false (and nothing written)
    /// when the claim was lost meanwhile (its lease expired and another took it).
    async fn record_attempt(
        &self,
        claimed: &Delivery,
        attempt: &Attempt,
        outcome: &Outcome,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> StorageResult<bool>;

    async fn list_deliveries(
        &self,
        tenant: TenantId,
        filter: &DeliveryFilter,
        page: PageRequest,
    ) -> StorageResult<(Vec<Delivery>, u64)>;

    /// A message with its attempts, oldest first.
    async fn delivery(
        &self,
        tenant: TenantId,
        id: DeliveryId,
    ) -> StorageResult<Option<(Delivery, Vec<Attempt>)>>;

    /// Sends a dead or delivered message again, now, with a fresh allowance of attempts;
    /// `None` when there is no such message or it is still pending.
    async fn retry_delivery(
        &self,
        tenant: TenantId,
        id: DeliveryId,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<Delivery>>;

    async fn create_webhook(&self, endpoint: &WebhookEndpoint) -> StorageResult<()>;
    async fn webhook(
        &self,
        tenant: TenantId,
        id: WebhookId,
    ) -> StorageResult<Option<WebhookEndpoint>>;
    /// The tenant's endpoints, oldest first.
    async fn webhooks(&self, tenant: TenantId) -> StorageResult<Vec<WebhookEndpoint>>;
    /// Writes every field but the ids and `created_at`; false when it is gone.
    async fn update_webhook(&self, endpoint: &WebhookEndpoint) -> StorageResult<bool>;
    /// Deletes the endpoint and its messages.
    async fn delete_webhook(&self, tenant: TenantId, id: WebhookId) -> StorageResult<bool>;

    async fn outbox_queue(&self) -> StorageResult<OutboxQueue>;

    /// Deletes the events dispatched before `before` whose messages are all final
    /// (delivered or dead) and unchanged since, with their messages and attempts; how many
    /// events. A pending message keeps its event, however old.
    async fn purge_outbox(&self, before: DateTime<Utc>) -> StorageResult<u64>;

    /// The notification settings of these users of the tenant (unknown ids left out).
    async fn notification_settings(
        &self,
        tenant: TenantId,
        users: &[UserId],
    ) -> StorageResult<Vec<NotificationSettings>>;

    /// Replaces a user's notification settings; false when the user is not the tenant's.
    async fn set_notification_settings(
        &self,
        tenant: TenantId,
        user: UserId,
        language: Language,
        telegram_chat_id: Option<&str>,
        channels: &NotificationChannels,
        now: DateTime<Utc>,
    ) -> StorageResult<bool>;

    /// The accounts linked to these technicians: `(technician, user)`.
    async fn technician_users(
        &self,
        tenant: TenantId,
        technicians: &[TechnicianId],
    ) -> StorageResult<Vec<(TechnicianId, UserId)>>;
}

pub(super) mod sql;

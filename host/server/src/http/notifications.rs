//! The outbox's messages: what was sent to whom, where each one stands, its attempts, and
//! sending a dead (or delivered) one again.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody, ErrorResponses};
use super::extract::{Allowed, ValidPath, ValidQuery};
use crate::domain::time::local;
use crate::domain::{
    Channel, DeliveryId, DeliveryState, EventId, EventType, Page, PageRequest, TimeZone, UserId,
    WebhookId,
};
use crate::notify::{NotifyError, messages};
use crate::rbac::{ReadNotifications, RetryNotifications};
use crate::state::AppState;
use crate::storage::outbox::{Attempt, Delivery, DeliveryFilter};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(get_notification))
        .routes(routes!(retry_notification))
}

/// A message of the outbox.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationView {
    pub id: DeliveryId,
    pub event_id: EventId,
    pub event_type: EventType,
    pub channel: Channel,
    /// The webhook endpoint it goes to.
    pub webhook_id: Option<WebhookId>,
    /// The user it goes to (mail, Telegram).
    pub user_id: Option<UserId>,
    pub state: DeliveryState,
    /// Attempts made so far.
    pub attempts: i32,
    /// Failed attempts since the last success or manual retry.
    pub failures: i32,
    /// When it is tried next, while pending.
    pub next_attempt_at: Option<DateTime<FixedOffset>>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<FixedOffset>>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
    /// Each attempt, oldest first: only on `GET /notifications/{id}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt_log: Option<Vec<AttemptView>>,
}

/// One try at sending a message.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttemptView {
    pub attempt: i32,
    pub started_at: DateTime<FixedOffset>,
    pub duration_ms: i64,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub succeeded: bool,
}

impl NotificationView {
    fn new(d: Delivery, tz: TimeZone, attempts: Option<Vec<Attempt>>) -> Self {
        Self {
            id: d.id,
            event_id: d.event_id,
            event_type: d.event_type,
            channel: d.channel,
            webhook_id: d.endpoint_id,
            user_id: d.user_id,
            state: d.state,
            attempts: d.attempts,
            failures: d.failures,
            next_attempt_at: (d.state == DeliveryState::Pending)
                .then(|| local(d.next_attempt_at, tz)),
            last_error: d.last_error,
            delivered_at: d.delivered_at.map(|t| local(t, tz)),
            created_at: local(d.created_at, tz),
            updated_at: local(d.updated_at, tz),
            attempt_log: attempts.map(|list| {
                list.into_iter()
                    .map(|a| AttemptView {
                        attempt: a.attempt,
                        started_at: local(a.started_at, tz),
                        duration_ms: a.duration_ms,
                        status_code: a.status_code,
                        error: a.error,
                        succeeded: a.succeeded,
                    })
                    .collect()
            }),
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct NotificationQuery {
    channel: Option<Channel>,
    state: Option<DeliveryState>,
    /// The messages of one webhook endpoint: its delivery log.
    webhook_id: Option<WebhookId>,
    user_id: Option<UserId>,
    event_type: Option<EventType>,
    /// Page number, from 1 (default 1).
    #[param(minimum = 1)]
    page: Option<u32>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    size: Option<u32>,
}

/// The tenant's messages, newest first.
#[utoipa::path(
    get,
    path = "/notifications",
    tag = "notifications",
    params(NotificationQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Page<NotificationView>), ErrorResponses)
)]
async fn list_notifications(
    State(state): State<AppState>,
    allowed: Allowed<ReadNotifications>,
    ValidQuery(query): ValidQuery<NotificationQuery>,
) -> Result<Json<Page<NotificationView>>, ApiError> {
    let page = PageRequest::new(query.page, query.size)?;
    let tz = allowed.caller.time_zone;
    let filter = DeliveryFilter {
        channel: query.channel,
        state: query.state,
        endpoint: query.webhook_id,
        user: query.user_id,
        event_type: query.event_type,
    };
    let (items, total) = state
        .storage
        .list_deliveries(allowed.caller.tenant, &filter, page)
        .await?;
    Ok(Json(
        Page::new(items, total, page).map(|d| NotificationView::new(d, tz, None)),
    ))
}

/// One message with its attempts.
#[utoipa::path(
    get,
    path = "/notifications/{id}",
    tag = "notifications",
    params(("id" = DeliveryId, Path, description = "The message's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = NotificationView),
        (status = 404, description = "No such message in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn get_notification(
    State(state): State<AppState>,
    allowed: Allowed<ReadNotifications>,
    ValidPath(id): ValidPath<DeliveryId>,
) -> Result<Json<NotificationView>, ApiError> {
    let (delivery, attempts) = state
        .storage
        .delivery(allowed.caller.tenant, id)
        .await?
        .ok_or(NotifyError::DeliveryNotFound)?;
    Ok(Json(NotificationView::new(
        delivery,
        allowed.caller.time_zone,
        Some(attempts),
    )))
}

/// Sends a dead or delivered message again, now, with a fresh allowance of attempts
/// (webhooks keep their `webhook-id`). A pending one is already on its way (409
/// `NOTIFICATION_PENDING`).
#[utoipa::path(
    post,
    path = "/notifications/{id}/retry",
    tag = "notifications",
    params(("id" = DeliveryId, Path, description = "The message's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = NotificationView),
        (status = 404, description = "No such message in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        (status = 409, description = "It is still pending (`NOTIFICATION_PENDING`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn retry_notification(
    State(state): State<AppState>,
    allowed: Allowed<RetryNotifications>,
    ValidPath(id): ValidPath<DeliveryId>,
) -> Result<Json<NotificationView>, ApiError> {
    let caller = allowed.caller;
    let delivery = messages::retry(&state.storage, caller.tenant, id).await?;
    tracing::info!(notification = %id, by = %caller.user, "notification sent again");
    Ok(Json(NotificationView::new(
        delivery,
        caller.time_zone,
        None,
    )))
}

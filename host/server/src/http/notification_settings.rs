//! A user's own notification settings: the language of their messages, the Telegram chat
//! they linked, and which channels they hear each event on.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorResponses};
use super::extract::{Caller, ValidJson};
use crate::domain::{Language, NotificationChannels};
use crate::notify::NotifyError;
use crate::state::AppState;
use crate::storage::outbox::NotificationSettings;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_my_notifications, set_my_notifications))
}

/// The longest Telegram chat id (the Bot API's are integers or `@channel` names).
const CHAT_ID_MAX: usize = 64;

/// How the caller hears of events.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationSettingsView {
    /// `fr` or `en`: the language of mail and Telegram messages.
    pub language: Language,
    /// The chat Telegram messages go to, once linked (the user starts a conversation with
    /// the tenant's bot and copies the chat id it gives).
    pub telegram_chat_id: Option<String>,
    /// Channels per event type; a type left out is heard on no channel.
    pub channels: NotificationChannels,
    /// Whether this server sends mail at all (`SMTP_HOST`, `SMTP_FROM`).
    pub mail_available: bool,
    /// Whether this server sends Telegram messages at all (`TELEGRAM_BOT_TOKEN`).
    pub telegram_available: bool,
}

impl NotificationSettingsView {
    fn new(settings: &NotificationSettings, state: &AppState) -> Self {
        Self {
            language: settings.language,
            telegram_chat_id: settings.telegram_chat_id.clone(),
            channels: settings.channels(),
            mail_available: state.config.smtp.enabled(),
            telegram_available: state.config.telegram.enabled(),
        }
    }
}

/// The caller's notification settings (the defaults until they choose).
#[utoipa::path(
    get,
    path = "/users/me/notifications",
    tag = "notifications",
    security(("bearer" = [])),
    responses((status = 200, body = NotificationSettingsView), ErrorResponses)
)]
async fn get_my_notifications(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<NotificationSettingsView>, ApiError> {
    let settings = own(&state, &caller).await?;
    Ok(Json(NotificationSettingsView::new(&settings, &state)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SetNotifications {
    language: Language,
    /// `null` unlinks the chat.
    telegram_chat_id: Option<String>,
    /// Every choice at once (what is left out is heard on no channel): the events about
    /// the caller's own work, on `mail` and `telegram`.
    channels: NotificationChannels,
}

/// Replaces the caller's notification settings.
#[utoipa::path(
    put,
    path = "/users/me/notifications",
    tag = "notifications",
    request_body = SetNotifications,
    security(("bearer" = [])),
    responses((status = 200, body = NotificationSettingsView), ErrorResponses)
)]
async fn set_my_notifications(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<SetNotifications>,
) -> Result<Json<NotificationSettingsView>, ApiError> {
    let channels = body
        .channels
        .checked()
        .map_err(|e| ApiError::validation("channels", e.reason))?;
    let chat = body
        .telegram_chat_id
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    if let Some(chat) = &chat
        && (chat.chars().count() > CHAT_ID_MAX || chat.chars().any(char::is_whitespace))
    {
        return Err(ApiError::validation(
            "telegram_chat_id",
            format!("a chat id is a number or an @name of at most {CHAT_ID_MAX} characters"),
        ));
    }
    let saved = state
        .storage
        .set_notification_settings(
            caller.tenant,
            caller.user,
            body.language,
            chat.as_deref(),
            &channels,
            crate::domain::time::now(),
        )
        .await?;
    if !saved {
        return Err(NotifyError::UserNotFound.into());
    }
    tracing::info!(user = %caller.user, "notification settings changed");
    let settings = own(&state, &caller).await?;
    Ok(Json(NotificationSettingsView::new(&settings, &state)))
}

async fn own(state: &AppState, caller: &Caller) -> Result<NotificationSettings, ApiError> {
    Ok(state
        .storage
        .notification_settings(caller.tenant, &[caller.user])
        .await?
        .into_iter()
        .next()
        .ok_or(NotifyError::UserNotFound)?)
}

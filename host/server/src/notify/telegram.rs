//! Telegram notifications through the Bot API's `sendMessage`, to the chat a user linked.

use secrecy::{ExposeSecret, SecretString};

use super::webhook::Sent;
use crate::config::TelegramConfig;

/// The Bot API client; `None` from [`Telegram::from_config`] when no token is set.
#[derive(Clone)]
pub struct Telegram {
    client: reqwest::Client,
    api_url: String,
    token: SecretString,
}

impl std::fmt::Debug for Telegram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telegram")
            .field("api_url", &self.api_url)
            .finish_non_exhaustive()
    }
}

impl Telegram {
    pub fn from_config(config: &TelegramConfig, client: reqwest::Client) -> Option<Self> {
        Some(Self {
            client,
            api_url: config.api_url.clone(),
            token: config.bot_token.clone()?,
        })
    }

    /// Sends `text` to `chat`. The Bot API answers 400 (no such chat) or 403 (the user
    /// blocked the bot) for good: those are not retried.
    pub async fn send(&self, chat: &str, text: &str) -> Sent {
        let url = format!(
            "{}/bot{}/sendMessage",
            self.api_url,
            self.token.expose_secret()
        );
        let answer = self
            .client
            .post(url)
            .json(&serde_json::json!({
                "chat_id": chat,
                "text": text,
                "disable_web_page_preview": true,
            }))
            .send()
            .await;
        match answer {
            Ok(response) if response.status().is_success() => {
                Sent::accepted(response.status().as_u16())
            }
            Ok(response) => {
                let status = response.status();
                // The Bot API says why in `description`; never echo the URL (it holds the token).
                let why = response
                    .json::<serde_json::Value>()
                    .await
                    .ok()
                    .and_then(|b| b["description"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                Sent {
                    status: Some(status.as_u16()),
                    error: Some(format!("the Bot API answered {status}: {why}")),
                    permanent: matches!(status.as_u16(), 400 | 403 | 404),
                }
            }
            Err(e) => Sent {
                status: None,
                error: Some(if e.is_timeout() {
                    "the Bot API timed out".to_owned()
                } else if e.is_connect() {
                    "cannot reach the Bot API".to_owned()
                } else {
                    "the request to the Bot API failed".to_owned()
                }),
                permanent: false,
            },
        }
    }
}

//! One webhook delivery: the body, its signature headers, the POST, what came of it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::guard::GuardedResolver;
use super::signature;
use crate::storage::outbox::{OutboxEvent, WebhookEndpoint};

/// The client every webhook goes through: the guarded resolver, no redirects, a timeout.
pub fn client(timeout: Duration, allow_private: bool) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(std::sync::Arc::new(GuardedResolver { allow_private }))
        .user_agent(concat!("callsheet-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("a client without custom TLS roots always builds")
}

/// The JSON a receiver gets: the Standard Webhooks envelope (`type`, `timestamp`,
/// `data`), with the event's id for correlation.
pub fn body(event: &OutboxEvent) -> Vec<u8> {
    let data: Value = serde_json::from_str(&event.payload).unwrap_or(Value::Null);
    let envelope = serde_json::json!({
        "type": event.event_type,
        "timestamp": event.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "event_id": event.id,
        "tenant_id": event.tenant_id,
        "data": data,
    });
    serde_json::to_vec(&envelope).expect("JSON values serialise")
}

/// What a receiver did with a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// Its HTTP status, when it answered.
    pub status: Option<u16>,
    /// Why it failed; `None` when it was accepted (any 2xx).
    pub error: Option<String>,
    /// Whether trying again cannot help (the URL is refused, the secret corrupt): the
    /// message is dead at once.
    pub permanent: bool,
}

/// Posts `event` to `endpoint` as message `message_id`, signed at `now`.
pub async fn send(
    client: &reqwest::Client,
    endpoint: &WebhookEndpoint,
    event: &OutboxEvent,
    message_id: &str,
    now: DateTime<Utc>,
    allow_private: bool,
) -> Sent {
    // Checked again at each send: the rules may have tightened since it was registered.
    if let Err(e) = super::guard::check_url(&endpoint.url, allow_private) {
        return Sent::refused(e.to_string());
    }
    let body = body(event);
    let timestamp = now.timestamp();
    let signature =
        match signature::sign(&endpoint.signing_secrets(now), message_id, timestamp, &body) {
            Ok(s) => s,
            Err(e) => return Sent::refused(e.to_string()),
        };
    let answer = client
        .post(&endpoint.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("webhook-id", message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await;
    match answer {
        Ok(response) if response.status().is_success() => {
            Sent::accepted(response.status().as_u16())
        }
        Ok(response) => {
            let status = response.status();
            failed(
                Some(status.as_u16()),
                format!("the receiver answered {status}"),
            )
        }
        Err(e) => failed(None, describe(&e)),
    }
}

fn failed(status: Option<u16>, error: String) -> Sent {
    Sent {
        status,
        error: Some(error),
        permanent: false,
    }
}

impl Sent {
    /// The receiver accepted it, answering `status`.
    pub fn accepted(status: u16) -> Self {
        Self {
            status: Some(status),
            error: None,
            permanent: false,
        }
    }

    /// Not sent, and never will be as things stand.
    pub fn refused(error: String) -> Self {
        Self {
            status: None,
            error: Some(error),
            permanent: true,
        }
    }
}

/// A transport error with its causes (reqwest's own message hides the resolver's).
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_owned()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

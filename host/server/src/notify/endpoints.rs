//! A tenant's webhook endpoints: registered with a checked URL and the events wanted,
//! given a secret shown once, rotated with a grace period.

use chrono::{DateTime, Duration, Utc};

use super::NotifyError;
use super::guard::check_url;
use super::signature::new_secret;
use crate::domain::{EventType, TenantId, WebhookId};
use crate::storage::DynStorage;
use crate::storage::outbox::WebhookEndpoint;

/// Endpoints a tenant may register: every event is posted to each, so a tenant cannot
/// make the server fan one change out a thousand times.
pub const MAX_ENDPOINTS: usize = 20;

/// How long the secret before a rotation still signs, so receivers can switch over.
pub const ROTATION_GRACE: Duration = Duration::hours(24);

/// The longest description.
pub const MAX_DESCRIPTION: usize = 500;

/// What an endpoint is registered or changed with; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct EndpointChange {
    pub url: Option<String>,
    pub description: Option<Option<String>>,
    pub event_types: Option<Vec<EventType>>,
    pub active: Option<bool>,
}

/// Registers an endpoint, with a fresh secret.
pub async fn create(
    storage: &DynStorage,
    allow_private: bool,
    tenant: TenantId,
    url: String,
    description: Option<String>,
    event_types: Vec<EventType>,
    now: DateTime<Utc>,
) -> Result<WebhookEndpoint, NotifyError> {
    if storage.webhooks(tenant).await?.len() >= MAX_ENDPOINTS {
        return Err(NotifyError::TooManyEndpoints { max: MAX_ENDPOINTS });
    }
    let endpoint = WebhookEndpoint {
        id: WebhookId::new(),
        tenant_id: tenant,
        url: checked_url(&url, allow_private)?,
        description: checked_description(description)?,
        event_types: checked_types(event_types)?,
        secret: new_secret(),
        previous_secret: None,
        previous_secret_expires_at: None,
        active: true,
        created_at: now,
        updated_at: now,
    };
    storage.create_webhook(&endpoint).await?;
    Ok(endpoint)
}

/// Applies `change` to an endpoint.
pub async fn update(
    storage: &DynStorage,
    allow_private: bool,
    tenant: TenantId,
    id: WebhookId,
    change: EndpointChange,
    now: DateTime<Utc>,
) -> Result<WebhookEndpoint, NotifyError> {
    let mut endpoint = find(storage, tenant, id).await?;
    if let Some(url) = change.url {
        endpoint.url = checked_url(&url, allow_private)?;
    }
    if let Some(description) = change.description {
        endpoint.description = checked_description(description)?;
    }
    if let Some(types) = change.event_types {
        endpoint.event_types = checked_types(types)?;
    }
    if let Some(active) = change.active {
        endpoint.active = active;
    }
    endpoint.updated_at = now;
    save(storage, &endpoint).await?;
    Ok(endpoint)
}

/// Gives the endpoint a new secret; the old one keeps signing for [`ROTATION_GRACE`].
pub async fn rotate_secret(
    storage: &DynStorage,
    tenant: TenantId,
    id: WebhookId,
    now: DateTime<Utc>,
) -> Result<WebhookEndpoint, NotifyError> {
    let mut endpoint = find(storage, tenant, id).await?;
    let previous = std::mem::replace(&mut endpoint.secret, new_secret());
    endpoint.previous_secret = Some(previous);
    endpoint.previous_secret_expires_at = Some(now + ROTATION_GRACE);
    endpoint.updated_at = now;
    save(storage, &endpoint).await?;
    Ok(endpoint)
}

pub async fn find(
    storage: &DynStorage,
    tenant: TenantId,
    id: WebhookId,
) -> Result<WebhookEndpoint, NotifyError> {
    storage
        .webhook(tenant, id)
        .await?
        .ok_or(NotifyError::EndpointNotFound)
}

async fn save(storage: &DynStorage, endpoint: &WebhookEndpoint) -> Result<(), NotifyError> {
    if storage.update_webhook(endpoint).await? {
        Ok(())
    } else {
        Err(NotifyError::EndpointNotFound)
    }
}

fn checked_url(url: &str, allow_private: bool) -> Result<String, NotifyError> {
    Ok(check_url(url.trim(), allow_private)?.to_string())
}

fn checked_description(description: Option<String>) -> Result<Option<String>, NotifyError> {
    let description = description
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    if description
        .as_ref()
        .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION)
    {
        return Err(NotifyError::Invalid {
            field: "description",
            reason: format!("at most {MAX_DESCRIPTION} characters"),
        });
    }
    Ok(description)
}

fn checked_types(mut types: Vec<EventType>) -> Result<Vec<EventType>, NotifyError> {
    types.sort();
    types.dedup();
    if types.is_empty() {
        return Err(NotifyError::Invalid {
            field: "event_types",
            reason: "name at least one event type".into(),
        });
    }
    Ok(types)
}

//! A tenant's webhook endpoints: register, list, change, rotate the secret, delete.
//!
//! The secret is shown when an endpoint is created and when it is rotated, never again:
//! a receiver verifies deliveries with it (Standard Webhooks, see `notify::signature`).

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody, ErrorResponses};
use super::extract::{Allowed, ValidJson, ValidPath};
use crate::domain::time::local;
use crate::domain::{EventType, Patch, TimeZone, WebhookId};
use crate::notify::endpoints::{self, EndpointChange};
use crate::rbac::{CreateWebhooks, DeleteWebhooks, ReadWebhooks, UpdateWebhooks};
use crate::state::AppState;
use crate::storage::outbox::WebhookEndpoint;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(rotate_webhook_secret))
}

/// An endpoint as the API shows it; the secret only right after it was made.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookView {
    pub id: WebhookId,
    pub url: String,
    pub description: Option<String>,
    /// The events posted to it, sorted.
    pub event_types: Vec<EventType>,
    pub active: bool,
    /// `whsec_...`: only in the answers that create or rotate it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Until when the secret before the last rotation still signs, if it does.
    pub previous_secret_expires_at: Option<DateTime<FixedOffset>>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

impl WebhookView {
    fn new(e: WebhookEndpoint, tz: TimeZone, show_secret: bool) -> Self {
        Self {
            id: e.id,
            url: e.url,
            description: e.description,
            event_types: e.event_types,
            active: e.active,
            secret: show_secret.then_some(e.secret),
            previous_secret_expires_at: e.previous_secret_expires_at.map(|t| local(t, tz)),
            created_at: local(e.created_at, tz),
            updated_at: local(e.updated_at, tz),
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateWebhook {
    /// `https://` (or `http://`); loopback, private and link-local addresses are refused
    /// unless the server allows them (`WEBHOOK_ALLOW_PRIVATE_NETWORKS`).
    #[schema(example = "https://hooks.example.com/callsheet")]
    url: String,
    /// Up to 500 characters.
    description: Option<String>,
    /// At least one.
    #[schema(example = json!(["assignment.confirmed", "assignment.declined"]))]
    event_types: Vec<EventType>,
}

/// Registers an endpoint; the answer carries its signing secret, shown this once.
#[utoipa::path(
    post,
    path = "/webhooks",
    tag = "webhooks",
    request_body = CreateWebhook,
    security(("bearer" = [])),
    responses(
        (status = 201, body = WebhookView, headers(("Location" = String, description = "The endpoint's URL"))),
        (status = 409, description = "The tenant has its maximum of endpoints (`WEBHOOK_LIMIT`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn create_webhook(
    State(state): State<AppState>,
    allowed: Allowed<CreateWebhooks>,
    ValidJson(body): ValidJson<CreateWebhook>,
) -> Result<impl IntoResponse, ApiError> {
    let caller = allowed.caller;
    let endpoint = endpoints::create(
        &state.storage,
        state.config.outbox.allow_private_targets,
        caller.tenant,
        body.url,
        body.description,
        body.event_types,
        crate::domain::time::now(),
    )
    .await?;
    tracing::info!(webhook = %endpoint.id, by = %caller.user, "webhook endpoint created");
    let location = format!("/api/v1/webhooks/{}", endpoint.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(WebhookView::new(endpoint, caller.time_zone, true)),
    ))
}

/// The tenant's endpoints, oldest first (at most 20).
#[utoipa::path(
    get,
    path = "/webhooks",
    tag = "webhooks",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<WebhookView>), ErrorResponses)
)]
async fn list_webhooks(
    State(state): State<AppState>,
    allowed: Allowed<ReadWebhooks>,
) -> Result<Json<Vec<WebhookView>>, ApiError> {
    let tz = allowed.caller.time_zone;
    let endpoints = state.storage.webhooks(allowed.caller.tenant).await?;
    Ok(Json(
        endpoints
            .into_iter()
            .map(|e| WebhookView::new(e, tz, false))
            .collect(),
    ))
}

/// One endpoint.
#[utoipa::path(
    get,
    path = "/webhooks/{id}",
    tag = "webhooks",
    params(("id" = WebhookId, Path, description = "The endpoint's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = WebhookView),
        (status = 404, description = "No such endpoint in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn get_webhook(
    State(state): State<AppState>,
    allowed: Allowed<ReadWebhooks>,
    ValidPath(id): ValidPath<WebhookId>,
) -> Result<Json<WebhookView>, ApiError> {
    let endpoint = endpoints::find(&state.storage, allowed.caller.tenant, id).await?;
    Ok(Json(WebhookView::new(
        endpoint,
        allowed.caller.time_zone,
        false,
    )))
}

/// Every field may be left out (kept as it is); `description` may be `null` (cleared).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateWebhook {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    url: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    description: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<EventType>>)]
    event_types: Patch<Vec<EventType>>,
    /// `false` stops deliveries to it (those due die with `the endpoint is disabled`).
    #[serde(default)]
    #[schema(value_type = Option<bool>)]
    active: Patch<bool>,
}

/// Changes an endpoint's URL, description, events or whether it is active.
#[utoipa::path(
    patch,
    path = "/webhooks/{id}",
    tag = "webhooks",
    params(("id" = WebhookId, Path, description = "The endpoint's id")),
    request_body = UpdateWebhook,
    security(("bearer" = [])),
    responses(
        (status = 200, body = WebhookView),
        (status = 404, description = "No such endpoint in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn update_webhook(
    State(state): State<AppState>,
    allowed: Allowed<UpdateWebhooks>,
    ValidPath(id): ValidPath<WebhookId>,
    ValidJson(body): ValidJson<UpdateWebhook>,
) -> Result<Json<WebhookView>, ApiError> {
    let caller = allowed.caller;
    let change = EndpointChange {
        url: body.url.required("url")?,
        description: body.description.nullable(),
        event_types: body.event_types.required("event_types")?,
        active: body.active.required("active")?,
    };
    let endpoint = endpoints::update(
        &state.storage,
        state.config.outbox.allow_private_targets,
        caller.tenant,
        id,
        change,
        crate::domain::time::now(),
    )
    .await?;
    tracing::info!(webhook = %id, by = %caller.user, "webhook endpoint updated");
    Ok(Json(WebhookView::new(endpoint, caller.time_zone, false)))
}

/// Gives the endpoint a new secret, shown in the answer; the previous one keeps signing
/// (a second signature in `webhook-signature`) for 24 hours, so the receiver can switch.
#[utoipa::path(
    post,
    path = "/webhooks/{id}/rotate-secret",
    tag = "webhooks",
    params(("id" = WebhookId, Path, description = "The endpoint's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = WebhookView),
        (status = 404, description = "No such endpoint in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn rotate_webhook_secret(
    State(state): State<AppState>,
    allowed: Allowed<UpdateWebhooks>,
    ValidPath(id): ValidPath<WebhookId>,
) -> Result<Json<WebhookView>, ApiError> {
    let caller = allowed.caller;
    let endpoint = endpoints::rotate_secret(
        &state.storage,
        caller.tenant,
        id,
        crate::domain::time::now(),
    )
    .await?;
    tracing::info!(webhook = %id, by = %caller.user, "webhook secret rotated");
    Ok(Json(WebhookView::new(endpoint, caller.time_zone, true)))
}

/// Deletes an endpoint and its delivery log.
#[utoipa::path(
    delete,
    path = "/webhooks/{id}",
    tag = "webhooks",
    params(("id" = WebhookId, Path, description = "The endpoint's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such endpoint in this tenant (`ENTITY_NOT_FOUND`)", body = ErrorBody),
        ErrorResponses,
    )
)]
async fn delete_webhook(
    State(state): State<AppState>,
    allowed: Allowed<DeleteWebhooks>,
    ValidPath(id): ValidPath<WebhookId>,
) -> Result<StatusCode, ApiError> {
    let caller = allowed.caller;
    if !state.storage.delete_webhook(caller.tenant, id).await? {
        return Err(ApiError::NotFound {
            entity: "webhook endpoint",
        });
    }
    tracing::info!(webhook = %id, by = %caller.user, "webhook endpoint deleted");
    Ok(StatusCode::NO_CONTENT)
}

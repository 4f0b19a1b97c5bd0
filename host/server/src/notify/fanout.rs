//! Who hears of an event: the messages an event becomes.
//!
//! Today: one webhook delivery per active endpoint of the tenant subscribed to the event's
//! type. The target of a message is what makes it unique with the event and the channel
//! (the storage refuses a second one), so fanning an event out twice adds nothing.

use crate::domain::Channel;
use crate::storage::outbox::{NewDelivery, OutboxEvent};
use crate::storage::{DynStorage, StorageResult};

/// The messages of `event`.
pub async fn deliveries_for(
    storage: &DynStorage,
    event: &OutboxEvent,
) -> StorageResult<Vec<NewDelivery>> {
    let endpoints = storage.webhooks(event.tenant_id).await?;
    Ok(endpoints
        .iter()
        .filter(|e| e.wants(event.event_type))
        .map(|e| NewDelivery {
            channel: Channel::Webhook,
            endpoint_id: Some(e.id),
            user_id: None,
            target: e.id.to_string(),
        })
        .collect())
}

//! Who hears of an event: the messages an event becomes.
//!
//! - One webhook delivery per active endpoint of the tenant subscribed to the type.
//! - For the events about a technician's work (`people::technicians_of`), one message
//!   per channel the technician's account chose for the type (its defaults until it
//!   chooses): mail when mail is on and the account has an address, Telegram when the bot
//!   is on and the account linked a chat. Inactive accounts hear nothing.
//!
//! The target of a message is what makes it unique with the event and the channel (the
//! storage refuses a second one), so fanning an event out twice adds nothing.

use crate::domain::Channel;
use crate::storage::outbox::{NewDelivery, OutboxEvent};
use crate::storage::{DynStorage, StorageResult};

/// The channels this server can deliver to people on (webhooks always are).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reach {
    pub mail: bool,
    pub telegram: bool,
}

/// The messages of `event`.
pub async fn deliveries_for(
    storage: &DynStorage,
    event: &OutboxEvent,
    reach: Reach,
) -> StorageResult<Vec<NewDelivery>> {
    let endpoints = storage.webhooks(event.tenant_id).await?;
    let mut deliveries: Vec<NewDelivery> = endpoints
        .iter()
        .filter(|e| e.wants(event.event_type))
        .map(|e| NewDelivery {
            channel: Channel::Webhook,
            endpoint_id: Some(e.id),
            user_id: None,
            target: e.id.to_string(),
        })
        .collect();
    if !(reach.mail || reach.telegram) {
        return Ok(deliveries);
    }
    let technicians = super::people::technicians_of(event);
    if technicians.is_empty() {
        return Ok(deliveries);
    }
    let users: Vec<_> = storage
        .technician_users(event.tenant_id, &technicians)
        .await?
        .into_iter()
        .map(|(_, user)| user)
        .collect();
    for settings in storage
        .notification_settings(event.tenant_id, &users)
        .await?
    {
        if !settings.active {
            continue;
        }
        for channel in settings.channels().for_event(event.event_type) {
            let reachable = match channel {
                Channel::Mail => reach.mail && !settings.email.is_empty(),
                Channel::Telegram => reach.telegram && settings.telegram_chat_id.is_some(),
                Channel::Webhook => false,
            };
            if reachable {
                deliveries.push(NewDelivery {
                    channel,
                    endpoint_id: None,
                    user_id: Some(settings.user_id),
                    target: settings.user_id.to_string(),
                });
            }
        }
    }
    Ok(deliveries)
}

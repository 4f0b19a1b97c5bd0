//! The outbox worker: fans events out into messages, sends the messages that are due,
//! records each attempt, retries failures with backoff, and declares dead what failed
//! its every attempt.
//!
//! Every replica may run one; claims keep them apart (see `storage::outbox`). A message is
//! claimed for [`OutboxConfig::lease`]: if the replica dies mid-send, another takes it
//! once the lease has run out. The receiver may then see it twice (the first send may
//! have arrived before the crash), with the same `webhook-id`: at least once, made
//! exactly once by the receiver's idempotency on that id, as the convention asks.

use std::time::Instant;

use chrono::{DateTime, Utc};
use futures::StreamExt;

use super::retry::RetryPolicy;
use super::webhook::{self, Sent};
use crate::config::OutboxConfig;
use crate::domain::Channel;
use crate::storage::outbox::{Attempt, Claimed, Outcome};
use crate::storage::{DynStorage, StorageResult};

/// Events fanned out per pass.
const EVENT_BATCH: i64 = 100;
/// Messages claimed per pass.
const DELIVERY_BATCH: i64 = 64;
/// Messages sent at once: a slow receiver does not hold up the others.
const CONCURRENCY: usize = 16;

/// A replica's outbox worker.
#[derive(Debug, Clone)]
pub struct Worker {
    storage: DynStorage,
    client: reqwest::Client,
    config: OutboxConfig,
    policy: RetryPolicy,
}

impl Worker {
    pub fn new(storage: DynStorage, config: OutboxConfig) -> Self {
        Self {
            client: webhook::client(config.webhook_timeout, config.allow_private_targets),
            policy: RetryPolicy {
                base: config.retry_base,
                max: config.retry_max,
                max_attempts: config.max_attempts,
            },
            storage,
            config,
        }
    }

    /// Works until the task is aborted: a pass, then a pause when it found nothing.
    pub async fn run_forever(self) {
        loop {
            match self.pass().await {
                Ok(0) => tokio::time::sleep(self.config.poll).await,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "outbox pass failed; retrying");
                    tokio::time::sleep(self.config.poll).await;
                }
            }
        }
    }

    /// One pass: fans out the waiting events, then sends the due messages; how many of
    /// both it handled.
    pub async fn pass(&self) -> StorageResult<usize> {
        let events = self
            .storage
            .claim_events(now(), self.lease_end(), EVENT_BATCH)
            .await?;
        for event in &events {
            let deliveries = super::fanout::deliveries_for(&self.storage, event).await?;
            self.storage
                .dispatch_event(event, &deliveries, now())
                .await?;
        }
        let claimed = self
            .storage
            .claim_deliveries(now(), self.lease_end(), DELIVERY_BATCH)
            .await?;
        let sent = claimed.len();
        let results: Vec<StorageResult<()>> = futures::stream::iter(claimed)
            .map(|c| self.deliver(c))
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        results.into_iter().collect::<StorageResult<()>>()?;
        Ok(events.len() + sent)
    }

    fn lease_end(&self) -> DateTime<Utc> {
        now() + self.config.lease
    }

    /// Sends one claimed message and records what came of it.
    #[tracing::instrument(name = "outbox.deliver", skip_all, fields(delivery = %claimed.delivery.id, channel = %claimed.delivery.channel))]
    async fn deliver(&self, claimed: Claimed) -> StorageResult<()> {
        let started_at = now();
        let clock = Instant::now();
        let sent = match claimed.delivery.channel {
            Channel::Webhook => self.webhook(&claimed).await?,
            other => Sent::refused(format!("the {other} channel is not delivered yet")),
        };
        let delivery = &claimed.delivery;
        let outcome = match (&sent.error, sent.permanent) {
            (None, _) => Outcome::Delivered,
            (Some(_), true) => Outcome::Dead,
            (Some(_), false) => {
                let failures = u32::try_from(delivery.failures + 1).unwrap_or(u32::MAX);
                let delay = self.policy.after_failure(failures, &mut rand::thread_rng());
                match delay {
                    Some(delay) => Outcome::Retry { at: now() + delay },
                    None => Outcome::Dead,
                }
            }
        };
        let attempt = Attempt {
            attempt: delivery.attempts,
            started_at,
            duration_ms: i64::try_from(clock.elapsed().as_millis()).unwrap_or(i64::MAX),
            status_code: sent.status.map(i32::from),
            error: sent.error.clone(),
            succeeded: sent.error.is_none(),
        };
        let kept = self
            .storage
            .record_attempt(delivery, &attempt, &outcome, sent.error.as_deref(), now())
            .await?;
        if !kept {
            tracing::warn!(delivery = %delivery.id, "the message's claim ran out while it was sent; another worker has it");
        } else if let Some(error) = &sent.error {
            tracing::info!(delivery = %delivery.id, attempt = delivery.attempts, ?outcome, error, "delivery failed");
        }
        Ok(())
    }

    async fn webhook(&self, claimed: &Claimed) -> StorageResult<Sent> {
        let delivery = &claimed.delivery;
        let Some(id) = delivery.endpoint_id else {
            return Ok(Sent::refused("the message names no endpoint".into()));
        };
        let Some(endpoint) = self.storage.webhook(delivery.tenant_id, id).await? else {
            return Ok(Sent::refused("the endpoint was deleted".into()));
        };
        if !endpoint.active {
            return Ok(Sent::refused("the endpoint is disabled".into()));
        }
        Ok(webhook::send(
            &self.client,
            &endpoint,
            &claimed.event,
            &message_id(delivery.id),
            now(),
            self.config.allow_private_targets,
        )
        .await)
    }
}

/// The `webhook-id` of a message: the same on every attempt and redelivery.
pub fn message_id(delivery: crate::domain::DeliveryId) -> String {
    format!("msg_{}", delivery.0.simple())
}

fn now() -> DateTime<Utc> {
    crate::domain::time::now()
}

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

use super::fanout::Reach;
use super::mail::{IcsFile, MailSetupError, Mailer};
use super::retry::RetryPolicy;
use super::telegram::Telegram;
use super::webhook::{self, Sent};
use crate::config::{Config, OutboxConfig};
use crate::domain::{Channel, EventType};
use crate::storage::outbox::{Attempt, Claimed, Outcome};
use crate::storage::{DynStorage, StorageResult};

/// How long events and their final messages are kept for the delivery log: a month.
pub const RETENTION: chrono::Duration = chrono::Duration::days(30);
/// How often the worker purges.
const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

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
    mailer: Option<Mailer>,
    telegram: Option<Telegram>,
    config: OutboxConfig,
    policy: RetryPolicy,
}

impl Worker {
    /// The worker of `config`: mail when `SMTP_HOST` and `SMTP_FROM` are set, Telegram
    /// when `TELEGRAM_BOT_TOKEN` is; refused when the sender is not an address.
    pub fn new(storage: DynStorage, config: &Config) -> Result<Self, MailSetupError> {
        let outbox = config.outbox;
        // The Bot API is the operator's choice, not a tenant's: no address guard.
        let bot_client = reqwest::Client::builder()
            .timeout(outbox.webhook_timeout)
            .build()
            .expect("a client without custom TLS roots always builds");
        Ok(Self {
            client: webhook::client(outbox.webhook_timeout, outbox.allow_private_targets),
            mailer: Mailer::from_config(&config.smtp)?,
            telegram: Telegram::from_config(&config.telegram, bot_client),
            policy: RetryPolicy {
                base: outbox.retry_base,
                max: outbox.retry_max,
                max_attempts: outbox.max_attempts,
            },
            storage,
            config: outbox,
        })
    }

    /// The channels this worker can reach people on.
    pub fn reach(&self) -> Reach {
        Reach {
            mail: self.mailer.is_some(),
            telegram: self.telegram.is_some(),
        }
    }

    /// Works until the task is aborted: a pass, then a pause when it found nothing; and
    /// every [`PURGE_EVERY`], the purge of what is older than [`RETENTION`].
    pub async fn run_forever(self) {
        // `None`: never yet, so the first pass purges (an `Instant` an hour back could
        // underflow on a machine up for less).
        let mut purged: Option<std::time::Instant> = None;
        loop {
            if purged.is_none_or(|at| at.elapsed() >= PURGE_EVERY) {
                purged = Some(std::time::Instant::now());
                match self.storage.purge_outbox(now() - RETENTION).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(events = n, "outbox purged"),
                    Err(e) => tracing::warn!(error = %e, "outbox purge failed"),
                }
            }
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
            let deliveries =
                super::fanout::deliveries_for(&self.storage, event, self.reach()).await?;
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
            Channel::Mail | Channel::Telegram => self.person(&claimed).await?,
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

impl Worker {
    /// A mail or Telegram message to a user: what the event tells them, read now, in
    /// their language.
    async fn person(&self, claimed: &Claimed) -> StorageResult<Sent> {
        let delivery = &claimed.delivery;
        let Some(user) = delivery.user_id else {
            return Ok(Sent::refused("the message names no user".into()));
        };
        let Some(settings) = self
            .storage
            .notification_settings(delivery.tenant_id, &[user])
            .await?
            .into_iter()
            .next()
        else {
            return Ok(Sent::refused("the user was deleted".into()));
        };
        if !settings.active {
            return Ok(Sent::refused("the account is deactivated".into()));
        }
        let (notice, technician) =
            super::people::notice_for(&self.storage, &claimed.event, user).await?;
        let rendered = super::texts::render(&notice, settings.language);
        let id = message_id(delivery.id);
        match delivery.channel {
            Channel::Mail => {
                let Some(mailer) = &self.mailer else {
                    return Ok(Sent::refused("mail is off on this server".into()));
                };
                let ics = match technician {
                    Some(technician) => self.calendar(claimed, &notice, technician).await?,
                    None => None,
                };
                Ok(mailer.send(&settings.email, &id, &rendered, ics).await)
            }
            _ => {
                let (Some(bot), Some(chat)) = (&self.telegram, &settings.telegram_chat_id) else {
                    return Ok(Sent::refused(
                        "Telegram is off on this server, or the user unlinked their chat".into(),
                    ));
                };
                let text = format!("{}\n\n{}", rendered.subject, rendered.text);
                Ok(bot.send(chat, &text).await)
            }
        }
    }

    /// The technician's calendar over the shifts a notice is about, for the events that
    /// leave them on the mission (a removal or a cancellation leaves nothing to add).
    async fn calendar(
        &self,
        claimed: &Claimed,
        notice: &super::texts::Notice,
        technician: crate::domain::TechnicianId,
    ) -> StorageResult<Option<IcsFile>> {
        let keeps_a_shift = matches!(
            claimed.event.event_type,
            EventType::AssignmentProposed
                | EventType::AssignmentConfirmed
                | EventType::MissionMoved
                | EventType::RunCommitted
        );
        let start = notice.shifts.iter().map(|s| s.start).min();
        let end = notice.shifts.iter().map(|s| s.end).max();
        let (true, Some(start), Some(end)) = (keeps_a_shift, start, end) else {
            return Ok(None);
        };
        let Ok(window) = crate::domain::time::Window::new(start, end) else {
            return Ok(None);
        };
        let file = crate::exports::ics::technician(
            &self.storage,
            claimed.event.tenant_id,
            notice.time_zone,
            technician,
            window,
        )
        .await?;
        Ok(Some(IcsFile {
            filename: "callsheet.ics".into(),
            body: file.bytes,
        }))
    }
}

/// The `webhook-id` of a message: the same on every attempt and redelivery.
pub fn message_id(delivery: crate::domain::DeliveryId) -> String {
    format!("msg_{}", delivery.0.simple())
}

fn now() -> DateTime<Utc> {
    crate::domain::time::now()
}

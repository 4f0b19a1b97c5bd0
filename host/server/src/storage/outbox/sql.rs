//! The outbox's SQL: [`super::OutboxStore`] over a backend's pool, and `record_event`,
//! which the other stores call inside the transaction of the change an event announces.

/// The columns of a [`super::Delivery`], in its field order.
pub(crate) const DELIVERY_COLUMNS: &str =
    "id, tenant_id, event_id, event_type, channel, endpoint_id, user_id, target, state,
     attempts, failures, next_attempt_at, last_error, delivered_at, created_at, updated_at";

/// The columns of a [`super::OutboxEvent`].
pub(crate) const EVENT_COLUMNS: &str =
    "id, tenant_id, event_type, subject_id, payload, occurred_at";

/// The columns of a [`super::WebhookRow`].
pub(crate) const WEBHOOK_COLUMNS: &str =
    "id, tenant_id, url, description, event_types, secret, previous_secret,
     previous_secret_expires_at, active, created_at, updated_at";

/// A stored text that does not decode is a corrupt row, reported like sqlx's own.
pub(crate) fn decode_error(
    e: impl std::error::Error + Send + Sync + 'static,
) -> crate::storage::StorageError {
    crate::storage::StorageError::Database(sqlx::Error::Decode(Box::new(e)))
}

macro_rules! impl_outbox_store {
    ($storage:ty) => {
        /// Records `event` in the caller's transaction: it commits, or rolls back, with the
        /// change it announces.
        #[tracing::instrument(name = "storage.record_event", level = "debug", skip_all, fields(event = %event.event_type))]
        async fn record_event(
            conn: &mut $crate::storage::backend::Connection<$storage>,
            event: &$crate::storage::outbox::NewEvent,
        ) -> $crate::storage::StorageResult<()> {
            sqlx::query(
                "INSERT INTO outbox_events (id, tenant_id, event_type, subject_id, payload, occurred_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(event.id)
            .bind(event.tenant)
            .bind(event.event_type.as_str())
            .bind(event.subject)
            .bind(event.payload.to_string())
            .bind(event.occurred_at)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        #[async_trait::async_trait]
        impl $crate::storage::outbox::OutboxStore for $storage {
            #[tracing::instrument(name = "storage.claim_events", level = "debug", skip_all)]
            async fn claim_events(
                &self,
                now: chrono::DateTime<chrono::Utc>,
                lease_until: chrono::DateTime<chrono::Utc>,
                limit: i64,
            ) -> $crate::storage::StorageResult<Vec<$crate::storage::outbox::OutboxEvent>> {
                use $crate::storage::outbox::sql::EVENT_COLUMNS;
                // Looked for on a reader first: an idle worker's poll takes no write lock
                // (SQLite has one writer, and the API's writes wait behind it).
                let waiting: Option<$crate::domain::EventId> = sqlx::query_scalar(
                    "SELECT id FROM outbox_events
                     WHERE dispatched_at IS NULL AND (claimed_until IS NULL OR claimed_until < $1) LIMIT 1",
                )
                .bind(now)
                .fetch_optional(&self.reader)
                .await?;
                if waiting.is_none() {
                    return Ok(Vec::new());
                }
                let skip = <$storage as $crate::storage::backend::Backend>::SKIP_LOCKED;
                let mut events: Vec<$crate::storage::outbox::OutboxEvent> = sqlx::query_as(&format!(
                    "UPDATE outbox_events SET claimed_until = $2
                     WHERE id IN (SELECT id FROM outbox_events
                                  WHERE dispatched_at IS NULL AND (claimed_until IS NULL OR claimed_until < $1)
                                  ORDER BY occurred_at, id LIMIT $3{skip})
                     RETURNING {EVENT_COLUMNS}"
                ))
                .bind(now)
                .bind(lease_until)
                .bind(limit)
                .fetch_all(&self.writer)
                .await?;
                events.sort_by_key(|e| (e.occurred_at, e.id));
                Ok(events)
            }

            #[tracing::instrument(name = "storage.dispatch_event", level = "debug", skip_all, fields(deliveries = deliveries.len()))]
            async fn dispatch_event(
                &self,
                event: &$crate::storage::outbox::OutboxEvent,
                deliveries: &[$crate::storage::outbox::NewDelivery],
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<()> {
                let mut tx = self.writer.begin().await?;
                for d in deliveries {
                    sqlx::query(
                        "INSERT INTO deliveries (id, tenant_id, event_id, event_type, channel, endpoint_id, user_id,
                                                 target, state, attempts, failures, next_attempt_at, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, 0, $9, $9, $9)
                         ON CONFLICT (event_id, channel, target) DO NOTHING",
                    )
                    .bind($crate::domain::DeliveryId::new())
                    .bind(event.tenant_id)
                    .bind(event.id)
                    .bind(event.event_type.as_str())
                    .bind(d.channel.as_str())
                    .bind(d.endpoint_id)
                    .bind(d.user_id)
                    .bind(&d.target)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                sqlx::query("UPDATE outbox_events SET dispatched_at = $2, claimed_until = NULL WHERE id = $1")
                    .bind(event.id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "storage.claim_deliveries", level = "debug", skip_all)]
            async fn claim_deliveries(
                &self,
                now: chrono::DateTime<chrono::Utc>,
                lease_until: chrono::DateTime<chrono::Utc>,
                limit: i64,
            ) -> $crate::storage::StorageResult<Vec<$crate::storage::outbox::Claimed>> {
                use $crate::storage::outbox::sql::{DELIVERY_COLUMNS, EVENT_COLUMNS};
                use $crate::storage::outbox::{Claimed, Delivery, OutboxEvent};
                // As in `claim_events`: a reader first, the writer only when work is due.
                let due: Option<$crate::domain::DeliveryId> = sqlx::query_scalar(
                    "SELECT id FROM deliveries
                     WHERE state = 'pending' AND next_attempt_at <= $1
                       AND (claimed_until IS NULL OR claimed_until < $1) LIMIT 1",
                )
                .bind(now)
                .fetch_optional(&self.reader)
                .await?;
                if due.is_none() {
                    return Ok(Vec::new());
                }
                let skip = <$storage as $crate::storage::backend::Backend>::SKIP_LOCKED;
                let mut tx = self.writer.begin().await?;
                let mut claimed: Vec<Delivery> = sqlx::query_as(&format!(
                    "UPDATE deliveries SET claimed_until = $2, attempts = attempts + 1, updated_at = $1
                     WHERE id IN (SELECT id FROM deliveries
                                  WHERE state = 'pending' AND next_attempt_at <= $1
                                    AND (claimed_until IS NULL OR claimed_until < $1)
                                  ORDER BY next_attempt_at, id LIMIT $3{skip})
                     RETURNING {DELIVERY_COLUMNS}"
                ))
                .bind(now)
                .bind(lease_until)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
                claimed.sort_by_key(|d| (d.next_attempt_at, d.id));
                let ids = $crate::storage::sql::unique(&claimed.iter().map(|d| d.event_id).collect::<Vec<_>>());
                let mut events = std::collections::HashMap::new();
                for chunk in ids.chunks($crate::storage::sql::IN_LIST_CHUNK) {
                    let sql = format!(
                        "SELECT {EVENT_COLUMNS} FROM outbox_events WHERE id IN ({})",
                        $crate::storage::sql::placeholders(1, chunk.len())
                    );
                    let mut query = sqlx::query_as::<_, OutboxEvent>(&sql);
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    for event in query.fetch_all(&mut *tx).await? {
                        events.insert(event.id, event);
                    }
                }
                tx.commit().await?;
                // An event outlives its messages (they cascade from it), so each finds its own.
                Ok(claimed
                    .into_iter()
                    .filter_map(|delivery| {
                        let event = events.get(&delivery.event_id)?.clone();
                        Some(Claimed { delivery, event })
                    })
                    .collect())
            }

            #[tracing::instrument(name = "storage.record_attempt", level = "debug", skip_all, fields(delivery = %claimed.id))]
            async fn record_attempt(
                &self,
                claimed: &$crate::storage::outbox::Delivery,
                attempt: &$crate::storage::outbox::Attempt,
                outcome: &$crate::storage::outbox::Outcome,
                error: Option<&str>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<bool> {
                use $crate::storage::outbox::Outcome;
                let (state, failures, next, delivered) = match outcome {
                    Outcome::Delivered => ("delivered", 0, claimed.next_attempt_at, Some(now)),
                    Outcome::Retry { at } => ("pending", claimed.failures + 1, *at, None),
                    Outcome::Dead => ("dead", claimed.failures + 1, claimed.next_attempt_at, None),
                };
                let mut tx = self.writer.begin().await?;
                let moved = sqlx::query(
                    "UPDATE deliveries SET state = $3, failures = $4, next_attempt_at = $5, delivered_at = $6,
                            last_error = $7, claimed_until = NULL, updated_at = $8
                     WHERE id = $1 AND attempts = $2 AND state = 'pending'",
                )
                .bind(claimed.id)
                .bind(claimed.attempts)
                .bind(state)
                .bind(failures)
                .bind(next)
                .bind(delivered)
                .bind(error)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if moved.rows_affected() == 0 {
                    return Ok(false);
                }
                sqlx::query(
                    "INSERT INTO delivery_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, succeeded)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(claimed.id)
                .bind(attempt.attempt)
                .bind(attempt.started_at)
                .bind(attempt.duration_ms)
                .bind(attempt.status_code)
                .bind(attempt.error.as_deref())
                .bind(attempt.succeeded)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(true)
            }

            #[tracing::instrument(name = "storage.list_deliveries", level = "debug", skip_all)]
            async fn list_deliveries(
                &self,
                tenant: $crate::domain::TenantId,
                filter: &$crate::storage::outbox::DeliveryFilter,
                page: $crate::domain::PageRequest,
            ) -> $crate::storage::StorageResult<(Vec<$crate::storage::outbox::Delivery>, u64)> {
                use $crate::storage::outbox::sql::DELIVERY_COLUMNS;
                const WHERE: &str = "WHERE tenant_id = $1
                    AND ($2 IS NULL OR channel = $2)
                    AND ($3 IS NULL OR state = $3)
                    AND ($4 IS NULL OR endpoint_id = $4)
                    AND ($5 IS NULL OR user_id = $5)
                    AND ($6 IS NULL OR event_type = $6)";
                let channel = filter.channel.map(|c| c.as_str());
                let state = filter.state.map(|s| s.as_str());
                let event_type = filter.event_type.map(|t| t.as_str());
                let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM deliveries {WHERE}"))
                    .bind(tenant)
                    .bind(channel)
                    .bind(state)
                    .bind(filter.endpoint)
                    .bind(filter.user)
                    .bind(event_type)
                    .fetch_one(&self.reader)
                    .await?;
                let items = sqlx::query_as(&format!(
                    "SELECT {DELIVERY_COLUMNS} FROM deliveries {WHERE}
                     ORDER BY created_at DESC, id DESC LIMIT $7 OFFSET $8"
                ))
                .bind(tenant)
                .bind(channel)
                .bind(state)
                .bind(filter.endpoint)
                .bind(filter.user)
                .bind(event_type)
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(&self.reader)
                .await?;
                Ok((items, u64::try_from(total).unwrap_or_default()))
            }

            #[tracing::instrument(name = "storage.delivery", level = "debug", skip_all)]
            async fn delivery(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::DeliveryId,
            ) -> $crate::storage::StorageResult<
                Option<($crate::storage::outbox::Delivery, Vec<$crate::storage::outbox::Attempt>)>,
            > {
                use $crate::storage::outbox::sql::DELIVERY_COLUMNS;
                let delivery: Option<$crate::storage::outbox::Delivery> = sqlx::query_as(&format!(
                    "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE tenant_id = $1 AND id = $2"
                ))
                .bind(tenant)
                .bind(id)
                .fetch_optional(&self.reader)
                .await?;
                let Some(delivery) = delivery else {
                    return Ok(None);
                };
                let attempts = sqlx::query_as(
                    "SELECT attempt, started_at, duration_ms, status_code, error, succeeded
                     FROM delivery_attempts WHERE delivery_id = $1 ORDER BY attempt",
                )
                .bind(id)
                .fetch_all(&self.reader)
                .await?;
                Ok(Some((delivery, attempts)))
            }

            #[tracing::instrument(name = "storage.retry_delivery", level = "debug", skip_all)]
            async fn retry_delivery(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::DeliveryId,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::outbox::Delivery>> {
                use $crate::storage::outbox::sql::DELIVERY_COLUMNS;
                Ok(sqlx::query_as(&format!(
                    "UPDATE deliveries SET state = 'pending', failures = 0, next_attempt_at = $3, claimed_until = NULL,
                            updated_at = $3
                     WHERE tenant_id = $1 AND id = $2 AND state <> 'pending'
                     RETURNING {DELIVERY_COLUMNS}"
                ))
                .bind(tenant)
                .bind(id)
                .bind(now)
                .fetch_optional(&self.writer)
                .await?)
            }

            #[tracing::instrument(name = "storage.create_webhook", level = "debug", skip_all)]
            async fn create_webhook(
                &self,
                e: &$crate::storage::outbox::WebhookEndpoint,
            ) -> $crate::storage::StorageResult<()> {
                let types = serde_json::to_string(&e.event_types).map_err($crate::storage::outbox::sql::decode_error)?;
                sqlx::query(
                    "INSERT INTO webhook_endpoints (id, tenant_id, url, description, event_types, secret, previous_secret,
                         previous_secret_expires_at, active, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(e.id)
                .bind(e.tenant_id)
                .bind(&e.url)
                .bind(e.description.as_deref())
                .bind(types)
                .bind(&e.secret)
                .bind(e.previous_secret.as_deref())
                .bind(e.previous_secret_expires_at)
                .bind(e.active)
                .bind(e.created_at)
                .bind(e.updated_at)
                .execute(&self.writer)
                .await?;
                Ok(())
            }

            #[tracing::instrument(name = "storage.webhook", level = "debug", skip_all)]
            async fn webhook(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::WebhookId,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::outbox::WebhookEndpoint>> {
                use $crate::storage::outbox::sql::WEBHOOK_COLUMNS;
                let row: Option<$crate::storage::outbox::WebhookRow> = sqlx::query_as(&format!(
                    "SELECT {WEBHOOK_COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2"
                ))
                .bind(tenant)
                .bind(id)
                .fetch_optional(&self.reader)
                .await?;
                row.map($crate::storage::outbox::WebhookRow::into_endpoint).transpose()
            }

            #[tracing::instrument(name = "storage.webhooks", level = "debug", skip_all)]
            async fn webhooks(
                &self,
                tenant: $crate::domain::TenantId,
            ) -> $crate::storage::StorageResult<Vec<$crate::storage::outbox::WebhookEndpoint>> {
                use $crate::storage::outbox::sql::WEBHOOK_COLUMNS;
                let rows: Vec<$crate::storage::outbox::WebhookRow> = sqlx::query_as(&format!(
                    "SELECT {WEBHOOK_COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 ORDER BY created_at, id"
                ))
                .bind(tenant)
                .fetch_all(&self.reader)
                .await?;
                rows.into_iter().map($crate::storage::outbox::WebhookRow::into_endpoint).collect()
            }

            #[tracing::instrument(name = "storage.update_webhook", level = "debug", skip_all)]
            async fn update_webhook(
                &self,
                e: &$crate::storage::outbox::WebhookEndpoint,
            ) -> $crate::storage::StorageResult<bool> {
                let types = serde_json::to_string(&e.event_types).map_err($crate::storage::outbox::sql::decode_error)?;
                let done = sqlx::query(
                    "UPDATE webhook_endpoints SET url = $3, description = $4, event_types = $5, secret = $6,
                            previous_secret = $7, previous_secret_expires_at = $8, active = $9, updated_at = $10
                     WHERE tenant_id = $1 AND id = $2",
                )
                .bind(e.tenant_id)
                .bind(e.id)
                .bind(&e.url)
                .bind(e.description.as_deref())
                .bind(types)
                .bind(&e.secret)
                .bind(e.previous_secret.as_deref())
                .bind(e.previous_secret_expires_at)
                .bind(e.active)
                .bind(e.updated_at)
                .execute(&self.writer)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            #[tracing::instrument(name = "storage.delete_webhook", level = "debug", skip_all)]
            async fn delete_webhook(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::WebhookId,
            ) -> $crate::storage::StorageResult<bool> {
                let done = sqlx::query("DELETE FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant)
                    .bind(id)
                    .execute(&self.writer)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            #[tracing::instrument(name = "storage.outbox_queue", level = "debug", skip_all)]
            async fn outbox_queue(
                &self,
            ) -> $crate::storage::StorageResult<$crate::storage::outbox::OutboxQueue> {
                use $crate::storage::outbox::sql::decode_error;
                let undispatched: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM outbox_events WHERE dispatched_at IS NULL")
                        .fetch_one(&self.reader)
                        .await?;
                let rows: Vec<(String, String, i64, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
                    "SELECT channel, state, COUNT(*), MIN(created_at) FROM deliveries
                     WHERE state IN ('pending', 'dead') GROUP BY channel, state",
                )
                .fetch_all(&self.reader)
                .await?;
                let mut queue = $crate::storage::outbox::OutboxQueue {
                    undispatched: u64::try_from(undispatched).unwrap_or_default(),
                    ..Default::default()
                };
                for (channel, state, count, oldest) in rows {
                    let channel: $crate::domain::Channel = channel.parse().map_err(decode_error)?;
                    let count = u64::try_from(count).unwrap_or_default();
                    if state == "pending" {
                        queue.pending.push((channel, count));
                        queue.oldest_pending = Some(queue.oldest_pending.map_or(oldest, |o| o.min(oldest)));
                    } else {
                        queue.dead.push((channel, count));
                    }
                }
                Ok(queue)
            }

            #[tracing::instrument(name = "storage.purge_outbox", level = "debug", skip_all)]
            async fn purge_outbox(
                &self,
                before: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<u64> {
                // Messages and their attempts go with their event (ON DELETE CASCADE).
                let done = sqlx::query(
                    "DELETE FROM outbox_events
                     WHERE dispatched_at IS NOT NULL AND dispatched_at < $1
                       AND NOT EXISTS (SELECT 1 FROM deliveries d
                                       WHERE d.event_id = outbox_events.id
                                         AND (d.state = 'pending' OR d.updated_at >= $1))",
                )
                .bind(before)
                .execute(&self.writer)
                .await?;
                Ok(done.rows_affected())
            }

            #[tracing::instrument(name = "storage.notification_settings", level = "debug", skip_all)]
            async fn notification_settings(
                &self,
                tenant: $crate::domain::TenantId,
                users: &[$crate::domain::UserId],
            ) -> $crate::storage::StorageResult<Vec<$crate::storage::outbox::NotificationSettings>> {
                let ids = $crate::storage::sql::unique(users);
                let mut found = Vec::with_capacity(ids.len());
                for chunk in ids.chunks($crate::storage::sql::IN_LIST_CHUNK) {
                    let sql = format!(
                        "SELECT id AS user_id, email, active, language, telegram_chat_id, notification_channels
                         FROM users WHERE tenant_id = $1 AND id IN ({}) ORDER BY id",
                        $crate::storage::sql::placeholders(2, chunk.len())
                    );
                    let mut query = sqlx::query_as::<_, $crate::storage::outbox::NotificationSettings>(&sql).bind(tenant);
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    found.extend(query.fetch_all(&self.reader).await?);
                }
                Ok(found)
            }

            #[tracing::instrument(name = "storage.set_notification_settings", level = "debug", skip_all)]
            async fn set_notification_settings(
                &self,
                tenant: $crate::domain::TenantId,
                user: $crate::domain::UserId,
                language: $crate::domain::Language,
                telegram_chat_id: Option<&str>,
                channels: &$crate::domain::NotificationChannels,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<bool> {
                let channels = serde_json::to_string(channels).map_err($crate::storage::outbox::sql::decode_error)?;
                let done = sqlx::query(
                    "UPDATE users SET language = $3, telegram_chat_id = $4, notification_channels = $5, updated_at = $6
                     WHERE tenant_id = $1 AND id = $2",
                )
                .bind(tenant)
                .bind(user)
                .bind(language.as_str())
                .bind(telegram_chat_id)
                .bind(channels)
                .bind(now)
                .execute(&self.writer)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            #[tracing::instrument(name = "storage.technician_users", level = "debug", skip_all)]
            async fn technician_users(
                &self,
                tenant: $crate::domain::TenantId,
                technicians: &[$crate::domain::TechnicianId],
            ) -> $crate::storage::StorageResult<Vec<($crate::domain::TechnicianId, $crate::domain::UserId)>> {
                let ids = $crate::storage::sql::unique(technicians);
                let mut found = Vec::with_capacity(ids.len());
                for chunk in ids.chunks($crate::storage::sql::IN_LIST_CHUNK) {
                    let sql = format!(
                        "SELECT id, user_id FROM technicians
                         WHERE tenant_id = $1 AND user_id IS NOT NULL AND id IN ({}) ORDER BY id",
                        $crate::storage::sql::placeholders(2, chunk.len())
                    );
                    let mut query = sqlx::query_as::<_, ($crate::domain::TechnicianId, $crate::domain::UserId)>(&sql).bind(tenant);
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    found.extend(query.fetch_all(&self.reader).await?);
                }
                Ok(found)
            }
        }
    };
}

pub(crate) use impl_outbox_store;

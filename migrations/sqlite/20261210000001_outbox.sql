-- The outbox (SQLite): events written in the transaction of the change that caused
-- them, the messages (deliveries) fanned out of each event, one per channel and target,
-- their attempts, and the tenants' webhook endpoints. See docs/adr/0010-outbox.md.

CREATE TABLE outbox_events (
    id             BLOB PRIMARY KEY NOT NULL,
    tenant_id      BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_type     TEXT NOT NULL,
    -- The record the event is about (an assignment, a mission, a run...).
    subject_id     BLOB NOT NULL,
    payload        TEXT NOT NULL,
    occurred_at    TEXT NOT NULL,
    -- Set once its deliveries exist; until then a worker may claim it until this time.
    dispatched_at  TEXT,
    claimed_until  TEXT
) STRICT;
CREATE INDEX outbox_events_undispatched_idx ON outbox_events (occurred_at) WHERE dispatched_at IS NULL;
CREATE INDEX outbox_events_tenant_idx ON outbox_events (tenant_id, occurred_at);

CREATE TABLE webhook_endpoints (
    id                         BLOB PRIMARY KEY NOT NULL,
    tenant_id                  BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    url                        TEXT NOT NULL,
    description                TEXT,
    -- JSON array of event type names.
    event_types                TEXT NOT NULL,
    secret                     TEXT NOT NULL,
    -- The secret before the last rotation, still signing until it expires.
    previous_secret            TEXT,
    previous_secret_expires_at TEXT,
    active                     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at                 TEXT NOT NULL,
    updated_at                 TEXT NOT NULL
) STRICT;
CREATE INDEX webhook_endpoints_tenant_idx ON webhook_endpoints (tenant_id, created_at);

CREATE TABLE deliveries (
    id               BLOB PRIMARY KEY NOT NULL,
    tenant_id        BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_id         BLOB NOT NULL REFERENCES outbox_events (id) ON DELETE CASCADE,
    event_type       TEXT NOT NULL,
    channel          TEXT NOT NULL CHECK (channel IN ('webhook', 'mail', 'telegram')),
    endpoint_id      BLOB REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    user_id          BLOB REFERENCES users (id) ON DELETE CASCADE,
    -- Who receives it on the channel (the endpoint's id, a user's id): with the event
    -- and the channel, the idempotency key.
    target           TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    -- Failed attempts since the last success or manual retry: the backoff and the limit
    -- count these.
    failures         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    claimed_until    TEXT,
    last_error       TEXT,
    delivered_at     TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (event_id, channel, target)
) STRICT;
CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX deliveries_tenant_idx ON deliveries (tenant_id, created_at);
CREATE INDEX deliveries_endpoint_idx ON deliveries (endpoint_id, created_at);

CREATE TABLE delivery_attempts (
    delivery_id  BLOB NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    attempt      INTEGER NOT NULL,
    started_at   TEXT NOT NULL,
    duration_ms  INTEGER NOT NULL,
    -- The receiver's HTTP status, when it answered.
    status_code  INTEGER,
    error        TEXT,
    succeeded    INTEGER NOT NULL CHECK (succeeded IN (0, 1)),
    PRIMARY KEY (delivery_id, attempt)
) STRICT;

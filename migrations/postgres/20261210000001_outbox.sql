-- The outbox (PostgreSQL): events written in the transaction of the change that caused
-- them, the messages (deliveries) fanned out of each event, one per channel and target,
-- their attempts, and the tenants' webhook endpoints. See docs/adr/0010-outbox.md.

CREATE TABLE outbox_events (
    id             uuid PRIMARY KEY,
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_type     text NOT NULL,
    -- The record the event is about (an assignment, a mission, a run...).
    subject_id     uuid NOT NULL,
    payload        text NOT NULL,
    occurred_at    timestamptz NOT NULL,
    -- Set once its deliveries exist; until then a worker may claim it until this time.
    dispatched_at  timestamptz,
    claimed_until  timestamptz
);
CREATE INDEX outbox_events_undispatched_idx ON outbox_events (occurred_at) WHERE dispatched_at IS NULL;
CREATE INDEX outbox_events_tenant_idx ON outbox_events (tenant_id, occurred_at);

CREATE TABLE webhook_endpoints (
    id                         uuid PRIMARY KEY,
    tenant_id                  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    url                        text NOT NULL,
    description                text,
    -- JSON array of event type names.
    event_types                text NOT NULL,
    secret                     text NOT NULL,
    -- The secret before the last rotation, still signing until it expires.
    previous_secret            text,
    previous_secret_expires_at timestamptz,
    active                     boolean NOT NULL DEFAULT true,
    created_at                 timestamptz NOT NULL,
    updated_at                 timestamptz NOT NULL
);
CREATE INDEX webhook_endpoints_tenant_idx ON webhook_endpoints (tenant_id, created_at);

CREATE TABLE deliveries (
    id               uuid PRIMARY KEY,
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_id         uuid NOT NULL REFERENCES outbox_events (id) ON DELETE CASCADE,
    event_type       text NOT NULL,
    channel          text NOT NULL CHECK (channel IN ('webhook', 'mail', 'telegram')),
    endpoint_id      uuid REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    user_id          uuid REFERENCES users (id) ON DELETE CASCADE,
    -- Who receives it on the channel (the endpoint's id, a user's id): with the event
    -- and the channel, the idempotency key.
    target           text NOT NULL,
    state            text NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts         integer NOT NULL DEFAULT 0,
    -- Failed attempts since the last success or manual retry: the backoff and the limit
    -- count these.
    failures         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    claimed_until    timestamptz,
    last_error       text,
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    UNIQUE (event_id, channel, target)
);
CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX deliveries_tenant_idx ON deliveries (tenant_id, created_at);
CREATE INDEX deliveries_endpoint_idx ON deliveries (endpoint_id, created_at);

CREATE TABLE delivery_attempts (
    delivery_id  uuid NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    attempt      integer NOT NULL,
    started_at   timestamptz NOT NULL,
    duration_ms  bigint NOT NULL,
    -- The receiver's HTTP status, when it answered.
    status_code  integer,
    error        text,
    succeeded    boolean NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);

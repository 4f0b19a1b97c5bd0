-- Calendar subscription feeds (PostgreSQL): one secret URL per technician, for calendar
-- apps that poll without a login. Only the token's sha256 is kept; rotating replaces the
-- row, revoking deletes it.

CREATE TABLE calendar_feeds (
    token_sha256   bytea PRIMARY KEY,
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    technician_id  uuid NOT NULL REFERENCES technicians (id) ON DELETE CASCADE,
    created_by     uuid,
    created_at     timestamptz NOT NULL,
    CONSTRAINT calendar_feeds_technician_key UNIQUE (technician_id)
);

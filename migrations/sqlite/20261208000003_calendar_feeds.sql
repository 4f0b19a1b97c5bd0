-- Calendar subscription feeds (SQLite): one secret URL per technician, for calendar apps
-- that poll without a login. Only the token's sha256 is kept; rotating replaces the row,
-- revoking deletes it.

CREATE TABLE calendar_feeds (
    token_sha256   BLOB PRIMARY KEY NOT NULL,
    tenant_id      BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    technician_id  BLOB NOT NULL REFERENCES technicians (id) ON DELETE CASCADE,
    created_by     BLOB,
    created_at     TEXT NOT NULL,
    CONSTRAINT calendar_feeds_technician_key UNIQUE (technician_id)
) STRICT;

-- Tenants, users and login sessions (SQLite).
-- Ids are UUID v7 stored as 16-byte BLOBs; times are UTC, RFC 3339 text (what sqlx
-- writes for chrono's DateTime<Utc>). STRICT tables refuse values of the wrong type.

CREATE TABLE tenants (
    id          BLOB PRIMARY KEY NOT NULL,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    time_zone   TEXT NOT NULL DEFAULT 'Europe/Paris',
    created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE users (
    id             BLOB PRIMARY KEY NOT NULL,
    tenant_id      BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- Lower-cased by the application, so the unique key is case-insensitive.
    email          TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'tech', 'viewer')),
    active         INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    CONSTRAINT users_tenant_email_key UNIQUE (tenant_id, email)
) STRICT;

-- One row per successful password check; every refresh token of that login belongs to it,
-- so reuse of a spent token can revoke the whole family at once.
CREATE TABLE sessions (
    id             BLOB PRIMARY KEY NOT NULL,
    tenant_id      BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id        BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at     TEXT NOT NULL,
    revoked_at     TEXT,
    revoke_reason  TEXT
) STRICT;
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- Only the SHA-256 of a refresh token is stored: a database leak yields no usable token.
CREATE TABLE refresh_tokens (
    token_hash  BLOB PRIMARY KEY NOT NULL,
    session_id  BLOB NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    issued_at   TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    spent_at    TEXT
) STRICT;
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

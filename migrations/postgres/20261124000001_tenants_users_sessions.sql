-- Tenants, users and login sessions (PostgreSQL).
-- Ids are UUID v7 (time-ordered, so B-tree inserts stay at the right edge); times are
-- timestamptz, always written in UTC.

CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    slug        text NOT NULL UNIQUE,
    name        text NOT NULL,
    time_zone   text NOT NULL DEFAULT 'Europe/Paris',
    created_at  timestamptz NOT NULL
);

CREATE TABLE users (
    id             uuid PRIMARY KEY,
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- Lower-cased by the application, so the unique key is case-insensitive.
    email          text NOT NULL,
    password_hash  text NOT NULL,
    role           text NOT NULL CHECK (role IN ('admin', 'manager', 'tech', 'viewer')),
    active         boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    CONSTRAINT users_tenant_email_key UNIQUE (tenant_id, email)
);

-- One row per successful password check; every refresh token of that login belongs to it,
-- so reuse of a spent token can revoke the whole family at once.
CREATE TABLE sessions (
    id             uuid PRIMARY KEY,
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at     timestamptz NOT NULL,
    revoked_at     timestamptz,
    revoke_reason  text
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- Only the SHA-256 of a refresh token is stored: a database leak yields no usable token.
CREATE TABLE refresh_tokens (
    token_hash  bytea PRIMARY KEY,
    session_id  uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    issued_at   timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    spent_at    timestamptz
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

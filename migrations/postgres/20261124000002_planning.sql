-- The planning domain (PostgreSQL): crew, venues, missions and needs, availabilities,
-- assignments, tenant plugins, the audit chain, jobs and idempotency keys.
--
-- Conventions (as in the first migration): ids are UUID v7; instants are timestamptz in
-- UTC, truncated to the second by the application; money is integer cents (bigint);
-- free-form structured values (skills, preferences, attributes, plugin parameters) are
-- JSON text, read and written only by the application, so that both backends run the same
-- SQL. Every row carries its tenant_id and every query filters on it.

CREATE TABLE technicians (
    id                 uuid PRIMARY KEY,
    tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- The login of a technician who manages their own availabilities (role tech).
    user_id            uuid REFERENCES users (id) ON DELETE SET NULL,
    name               text NOT NULL,
    email              text,
    phone              text,
    -- JSON array of skill codes, sorted: ["light","rigging"].
    skills             text NOT NULL DEFAULT '[]',
    contract_kind      text NOT NULL CHECK (contract_kind IN ('hourly', 'cachet')),
    hourly_rate_cents  bigint NOT NULL DEFAULT 0 CHECK (hourly_rate_cents >= 0),
    cachet_rate_cents  bigint NOT NULL DEFAULT 0 CHECK (cachet_rate_cents >= 0),
    -- JSON object: preferred venues, maximum weekly hours.
    preferences        text NOT NULL DEFAULT '{}',
    -- JSON array of {kind, technician_id}: affinities and incompatibilities.
    relations          text NOT NULL DEFAULT '[]',
    -- JSON object of free attributes the tenant's plugins may read.
    attributes         text NOT NULL DEFAULT '{}',
    active             boolean NOT NULL DEFAULT true,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
);
CREATE INDEX technicians_tenant_name_idx ON technicians (tenant_id, name);
CREATE UNIQUE INDEX technicians_user_key ON technicians (user_id) WHERE user_id IS NOT NULL;

CREATE TABLE projects (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name        text NOT NULL,
    client      text,
    starts_on   date,
    ends_on     date,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    CONSTRAINT projects_tenant_name_key UNIQUE (tenant_id, name)
);

CREATE TABLE venues (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name        text NOT NULL,
    address     text,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    CONSTRAINT venues_tenant_name_key UNIQUE (tenant_id, name)
);

CREATE TABLE rooms (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    venue_id    uuid NOT NULL REFERENCES venues (id) ON DELETE CASCADE,
    name        text NOT NULL,
    capacity    integer CHECK (capacity IS NULL OR capacity >= 0),
    created_at  timestamptz NOT NULL,
    CONSTRAINT rooms_venue_name_key UNIQUE (venue_id, name)
);

CREATE TABLE missions (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    title       text NOT NULL,
    project_id  uuid REFERENCES projects (id) ON DELETE SET NULL,
    -- A venue with missions cannot be deleted: history must keep its place.
    venue_id    uuid NOT NULL REFERENCES venues (id) ON DELETE RESTRICT,
    room_id     uuid REFERENCES rooms (id) ON DELETE SET NULL,
    start_at    timestamptz NOT NULL,
    end_at      timestamptz NOT NULL,
    paid        boolean NOT NULL DEFAULT true,
    status      text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'confirmed', 'cancelled')),
    notes       text,
    attributes  text NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    CHECK (end_at > start_at)
);
CREATE INDEX missions_tenant_start_idx ON missions (tenant_id, start_at);
CREATE INDEX missions_venue_idx ON missions (venue_id, start_at);

CREATE TABLE needs (
    id                uuid PRIMARY KEY,
    tenant_id         uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    mission_id        uuid NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
    -- Order of the needs inside their mission, as the planner entered them.
    position          integer NOT NULL,
    skill             text NOT NULL,
    shift_type        text,
    min_crew          integer NOT NULL CHECK (min_crew >= 0),
    max_crew          integer CHECK (max_crew IS NULL OR max_crew >= min_crew),
    -- Inside the mission's window (checked by the application, which owns both rows).
    start_at          timestamptz NOT NULL,
    end_at            timestamptz NOT NULL,
    unfilled_penalty  bigint NOT NULL CHECK (unfilled_penalty >= 0),
    extra_penalty     bigint NOT NULL CHECK (extra_penalty >= 0),
    attributes        text NOT NULL DEFAULT '{}',
    CHECK (end_at > start_at)
);
CREATE INDEX needs_mission_idx ON needs (mission_id, position);

CREATE TABLE availabilities (
    id             uuid PRIMARY KEY,
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    technician_id  uuid NOT NULL REFERENCES technicians (id) ON DELETE CASCADE,
    start_at       timestamptz NOT NULL,
    end_at         timestamptz NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('available', 'unavailable', 'preferred')),
    note           text,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    CHECK (end_at > start_at)
);
CREATE INDEX availabilities_technician_idx ON availabilities (technician_id, start_at);
CREATE INDEX availabilities_tenant_start_idx ON availabilities (tenant_id, start_at);

CREATE TABLE assignments (
    id               uuid PRIMARY KEY,
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    need_id          uuid NOT NULL REFERENCES needs (id) ON DELETE CASCADE,
    mission_id       uuid NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
    technician_id    uuid NOT NULL REFERENCES technicians (id) ON DELETE CASCADE,
    -- The need's window, copied so the database can refuse overlaps by itself.
    start_at         timestamptz NOT NULL,
    end_at           timestamptz NOT NULL,
    status           text NOT NULL CHECK (status IN ('proposed', 'confirmed', 'declined')),
    pinned           boolean NOT NULL DEFAULT false,
    -- 'manual', or 'auto' with the run (audit entry id) that made it.
    source           text NOT NULL CHECK (source IN ('manual', 'auto')),
    run_id           uuid,
    override_reason  text,
    created_by       uuid,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    CHECK (end_at > start_at),
    CONSTRAINT assignments_need_technician_key UNIQUE (need_id, technician_id)
);
CREATE INDEX assignments_technician_idx ON assignments (technician_id, start_at);
CREATE INDEX assignments_tenant_start_idx ON assignments (tenant_id, start_at);
CREATE INDEX assignments_mission_idx ON assignments (mission_id);

-- No technician on two things at once, enforced by the database: two concurrent inserts
-- of overlapping windows cannot both commit (the second waits for the first, then fails
-- with exclusion_violation, which the storage layer maps to CONFLICT_TIME_OVERLAP).
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE assignments ADD CONSTRAINT assignments_no_overlap
    EXCLUDE USING gist (technician_id WITH =, tstzrange(start_at, end_at) WITH &&)
    WHERE (status <> 'declined');

-- Plugin bytes, content-addressed and shared by tenants (the default plugins are stored
-- once). Never deleted while an audit entry names them: a replay needs the exact bytes.
CREATE TABLE plugin_blobs (
    sha256      text PRIMARY KEY NOT NULL,
    bytes       bytea NOT NULL,
    size        bigint NOT NULL,
    created_at  timestamptz NOT NULL
);

-- The plugins a tenant has uploaded (or was given), one row per (slot, bytes).
CREATE TABLE plugins (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    slot         text NOT NULL CHECK (slot IN ('rules', 'assigner', 'payroll')),
    name         text NOT NULL,
    version      text NOT NULL,
    sha256       text NOT NULL REFERENCES plugin_blobs (sha256),
    -- The plugin's describe() answer, JSON.
    info         text NOT NULL,
    -- The last validation: JSON report (checks passed, conformance run, fuel).
    validation   text,
    uploaded_by  uuid,
    uploaded_at  timestamptz NOT NULL,
    CONSTRAINT plugins_tenant_slot_sha_key UNIQUE (tenant_id, slot, sha256)
);

-- Activation history: the latest row of a (tenant, slot) is the active plugin with its
-- parameters; a rollback appends the previous activation again, so history is kept.
CREATE TABLE plugin_activations (
    id            uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    slot          text NOT NULL CHECK (slot IN ('rules', 'assigner', 'payroll')),
    plugin_id     uuid NOT NULL REFERENCES plugins (id),
    -- JSON array of the runtime's `param` values.
    params        text NOT NULL DEFAULT '[]',
    -- 'activate', 'rollback', 'params', 'default'.
    action        text NOT NULL,
    activated_by  uuid,
    activated_at  timestamptz NOT NULL
);
CREATE INDEX plugin_activations_slot_idx ON plugin_activations (tenant_id, slot, activated_at);

-- The audit log: an append-only hash chain per tenant. hash = sha256 over the previous
-- hash and this entry's canonical content; `GET /audit/verify` recomputes it.
CREATE TABLE audit_entries (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    seq         bigint NOT NULL CHECK (seq >= 1),
    id          uuid NOT NULL UNIQUE,
    kind        text NOT NULL,
    actor       uuid,
    at          text NOT NULL,
    -- Canonical JSON of what happened (for a run: inputs, plugins, result).
    payload     text NOT NULL,
    prev_hash   text NOT NULL,
    hash        text NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX audit_entries_kind_idx ON audit_entries (tenant_id, kind, seq);

-- Long automatic runs, executed in the background; durable so a restart can report them.
CREATE TABLE jobs (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind         text NOT NULL,
    state        text NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    progress     integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    request      text NOT NULL,
    result       text,
    error        text,
    created_by   uuid,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
CREATE INDEX jobs_tenant_idx ON jobs (tenant_id, created_at);

-- Idempotency-Key records: the same key and body replay the stored response.
CREATE TABLE idempotency_keys (
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    route           text NOT NULL,
    key             text NOT NULL,
    request_sha256  text NOT NULL,
    -- NULL while the first request is still running.
    status          integer,
    response        text,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, route, key)
);

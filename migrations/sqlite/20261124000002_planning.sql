-- The planning domain (SQLite): crew, venues, missions and needs, availabilities,
-- assignments, tenant plugins, the audit chain, jobs and idempotency keys.
--
-- Conventions (as in the first migration): ids are UUID v7 BLOBs; instants are UTC RFC 3339
-- text written by sqlx, always truncated to the second by the application so that text
-- order is time order; money is integer cents; free-form structured values (skills,
-- preferences, attributes, plugin parameters) are JSON text, read and written only by the
-- application. Every row carries its tenant_id and every query filters on it.

CREATE TABLE technicians (
    id                 BLOB PRIMARY KEY NOT NULL,
    tenant_id          BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- The login of a technician who manages their own availabilities (role tech).
    user_id            BLOB REFERENCES users (id) ON DELETE SET NULL,
    name               TEXT NOT NULL,
    email              TEXT,
    phone              TEXT,
    -- JSON array of skill codes, sorted: ["light","rigging"].
    skills             TEXT NOT NULL DEFAULT '[]',
    contract_kind      TEXT NOT NULL CHECK (contract_kind IN ('hourly', 'cachet')),
    hourly_rate_cents  INTEGER NOT NULL DEFAULT 0 CHECK (hourly_rate_cents >= 0),
    cachet_rate_cents  INTEGER NOT NULL DEFAULT 0 CHECK (cachet_rate_cents >= 0),
    -- JSON object: preferred venues, maximum weekly hours.
    preferences        TEXT NOT NULL DEFAULT '{}',
    -- JSON array of {kind, technician_id}: affinities and incompatibilities.
    relations          TEXT NOT NULL DEFAULT '[]',
    -- JSON object of free attributes the tenant's plugins may read.
    attributes         TEXT NOT NULL DEFAULT '{}',
    active             INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
) STRICT;
CREATE INDEX technicians_tenant_name_idx ON technicians (tenant_id, name);
CREATE UNIQUE INDEX technicians_user_key ON technicians (user_id) WHERE user_id IS NOT NULL;

CREATE TABLE projects (
    id          BLOB PRIMARY KEY NOT NULL,
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    client      TEXT,
    starts_on   TEXT,
    ends_on     TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    CONSTRAINT projects_tenant_name_key UNIQUE (tenant_id, name)
) STRICT;

CREATE TABLE venues (
    id          BLOB PRIMARY KEY NOT NULL,
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    address     TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    CONSTRAINT venues_tenant_name_key UNIQUE (tenant_id, name)
) STRICT;

CREATE TABLE rooms (
    id          BLOB PRIMARY KEY NOT NULL,
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    venue_id    BLOB NOT NULL REFERENCES venues (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    capacity    INTEGER CHECK (capacity IS NULL OR capacity >= 0),
    created_at  TEXT NOT NULL,
    CONSTRAINT rooms_venue_name_key UNIQUE (venue_id, name)
) STRICT;

CREATE TABLE missions (
    id          BLOB PRIMARY KEY NOT NULL,
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    project_id  BLOB REFERENCES projects (id) ON DELETE SET NULL,
    -- A venue with missions cannot be deleted: history must keep its place.
    venue_id    BLOB NOT NULL REFERENCES venues (id) ON DELETE RESTRICT,
    room_id     BLOB REFERENCES rooms (id) ON DELETE SET NULL,
    start_at    TEXT NOT NULL,
    end_at      TEXT NOT NULL,
    paid        INTEGER NOT NULL DEFAULT 1 CHECK (paid IN (0, 1)),
    status      TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'confirmed', 'cancelled')),
    notes       TEXT,
    attributes  TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    CHECK (end_at > start_at)
) STRICT;
CREATE INDEX missions_tenant_start_idx ON missions (tenant_id, start_at);
CREATE INDEX missions_venue_idx ON missions (venue_id, start_at);

CREATE TABLE needs (
    id                BLOB PRIMARY KEY NOT NULL,
    tenant_id         BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    mission_id        BLOB NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
    -- Order of the needs inside their mission, as the planner entered them.
    position          INTEGER NOT NULL,
    skill             TEXT NOT NULL,
    shift_type        TEXT,
    min_crew          INTEGER NOT NULL CHECK (min_crew >= 0),
    max_crew          INTEGER CHECK (max_crew IS NULL OR max_crew >= min_crew),
    -- Inside the mission's window (checked by the application, which owns both rows).
    start_at          TEXT NOT NULL,
    end_at            TEXT NOT NULL,
    unfilled_penalty  INTEGER NOT NULL CHECK (unfilled_penalty >= 0),
    extra_penalty     INTEGER NOT NULL CHECK (extra_penalty >= 0),
    attributes        TEXT NOT NULL DEFAULT '{}',
    CHECK (end_at > start_at)
) STRICT;
CREATE INDEX needs_mission_idx ON needs (mission_id, position);

CREATE TABLE availabilities (
    id             BLOB PRIMARY KEY NOT NULL,
    tenant_id      BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    technician_id  BLOB NOT NULL REFERENCES technicians (id) ON DELETE CASCADE,
    start_at       TEXT NOT NULL,
    end_at         TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('available', 'unavailable', 'preferred')),
    note           TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    CHECK (end_at > start_at)
) STRICT;
CREATE INDEX availabilities_technician_idx ON availabilities (technician_id, start_at);
CREATE INDEX availabilities_tenant_start_idx ON availabilities (tenant_id, start_at);

CREATE TABLE assignments (
    id               BLOB PRIMARY KEY NOT NULL,
    tenant_id        BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    need_id          BLOB NOT NULL REFERENCES needs (id) ON DELETE CASCADE,
    mission_id       BLOB NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
    technician_id    BLOB NOT NULL REFERENCES technicians (id) ON DELETE CASCADE,
    -- The need's window, copied so the database can refuse overlaps by itself.
    start_at         TEXT NOT NULL,
    end_at           TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('proposed', 'confirmed', 'declined')),
    pinned           INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
    -- 'manual', or 'auto' with the run (audit entry id) that made it.
    source           TEXT NOT NULL CHECK (source IN ('manual', 'auto')),
    run_id           BLOB,
    override_reason  TEXT,
    created_by       BLOB,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    CHECK (end_at > start_at),
    CONSTRAINT assignments_need_technician_key UNIQUE (need_id, technician_id)
) STRICT;
CREATE INDEX assignments_technician_idx ON assignments (technician_id, start_at);
CREATE INDEX assignments_tenant_start_idx ON assignments (tenant_id, start_at);
CREATE INDEX assignments_mission_idx ON assignments (mission_id);

-- No technician on two things at once, enforced by the database: SQLite serialises
-- writers, so a check inside the writing statement cannot race another writer. The
-- message is the API's error code; the storage layer maps it.
CREATE TRIGGER assignments_no_overlap_insert BEFORE INSERT ON assignments
WHEN NEW.status <> 'declined' AND EXISTS (
    SELECT 1 FROM assignments a
    WHERE a.technician_id = NEW.technician_id AND a.status <> 'declined'
      AND a.start_at < NEW.end_at AND NEW.start_at < a.end_at)
BEGIN
    SELECT RAISE(ABORT, 'CONFLICT_TIME_OVERLAP');
END;

CREATE TRIGGER assignments_no_overlap_update
BEFORE UPDATE OF technician_id, start_at, end_at, status ON assignments
WHEN NEW.status <> 'declined' AND EXISTS (
    SELECT 1 FROM assignments a
    WHERE a.id <> NEW.id AND a.technician_id = NEW.technician_id AND a.status <> 'declined'
      AND a.start_at < NEW.end_at AND NEW.start_at < a.end_at)
BEGIN
    SELECT RAISE(ABORT, 'CONFLICT_TIME_OVERLAP');
END;

-- Plugin bytes, content-addressed and shared by tenants (the default plugins are stored
-- once). Never deleted while an audit entry names them: a replay needs the exact bytes.
CREATE TABLE plugin_blobs (
    sha256      TEXT PRIMARY KEY NOT NULL,
    bytes       BLOB NOT NULL,
    size        INTEGER NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;

-- The plugins a tenant has uploaded (or was given), one row per (slot, bytes).
CREATE TABLE plugins (
    id           BLOB PRIMARY KEY NOT NULL,
    tenant_id    BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    slot         TEXT NOT NULL CHECK (slot IN ('rules', 'assigner', 'payroll')),
    name         TEXT NOT NULL,
    version      TEXT NOT NULL,
    sha256       TEXT NOT NULL REFERENCES plugin_blobs (sha256),
    -- The plugin's describe() answer, JSON.
    info         TEXT NOT NULL,
    -- The last validation: JSON report (checks passed, conformance run, fuel).
    validation   TEXT,
    uploaded_by  BLOB,
    uploaded_at  TEXT NOT NULL,
    CONSTRAINT plugins_tenant_slot_sha_key UNIQUE (tenant_id, slot, sha256)
) STRICT;

-- Activation history: the latest row of a (tenant, slot) is the active plugin with its
-- parameters; a rollback appends the previous activation again, so history is kept.
CREATE TABLE plugin_activations (
    id            BLOB PRIMARY KEY NOT NULL,
    tenant_id     BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    slot          TEXT NOT NULL CHECK (slot IN ('rules', 'assigner', 'payroll')),
    plugin_id     BLOB NOT NULL REFERENCES plugins (id),
    -- JSON array of the runtime's `param` values.
    params        TEXT NOT NULL DEFAULT '[]',
    -- 'activate', 'rollback', 'params', 'default'.
    action        TEXT NOT NULL,
    activated_by  BLOB,
    activated_at  TEXT NOT NULL
) STRICT;
CREATE INDEX plugin_activations_slot_idx ON plugin_activations (tenant_id, slot, activated_at);

-- The audit log: an append-only hash chain per tenant. hash = sha256 over the previous
-- hash and this entry's canonical content; `GET /audit/verify` recomputes it.
CREATE TABLE audit_entries (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL CHECK (seq >= 1),
    id          BLOB NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    actor       BLOB,
    at          TEXT NOT NULL,
    -- Canonical JSON of what happened (for a run: inputs, plugins, result).
    payload     TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq)
) STRICT;
CREATE INDEX audit_entries_kind_idx ON audit_entries (tenant_id, kind, seq);

-- Long automatic runs, executed in the background; durable so a restart can report them.
CREATE TABLE jobs (
    id           BLOB PRIMARY KEY NOT NULL,
    tenant_id    BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    progress     INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    request      TEXT NOT NULL,
    result       TEXT,
    error        TEXT,
    created_by   BLOB,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;
CREATE INDEX jobs_tenant_idx ON jobs (tenant_id, created_at);

-- Idempotency-Key records: the same key and body replay the stored response.
CREATE TABLE idempotency_keys (
    tenant_id       BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    route           TEXT NOT NULL,
    key             TEXT NOT NULL,
    request_sha256  TEXT NOT NULL,
    -- NULL while the first request is still running.
    status          INTEGER,
    response        TEXT,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, route, key)
) STRICT;

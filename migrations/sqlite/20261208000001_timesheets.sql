-- Timesheets and pay periods (SQLite): what was actually worked, and the periods a manager
-- closed for payroll (docs/timesheets.md).
--
-- A timesheet belongs to the pay period of its start, in the tenant's time zone. Every
-- write to a timesheet and every close or reopen first bumps the tenant's
-- `timesheet_version` in its transaction: under SQLite's single writer that changes
-- nothing, under PostgreSQL it serialises them per tenant (an UPDATE locks the row), so a
-- write cannot slip into a period while it closes.

ALTER TABLE tenants ADD COLUMN pay_period TEXT NOT NULL DEFAULT 'month'
    CHECK (pay_period IN ('month', 'week'));
ALTER TABLE tenants ADD COLUMN timesheet_version INTEGER NOT NULL DEFAULT 0;

CREATE TABLE timesheets (
    id                BLOB PRIMARY KEY NOT NULL,
    tenant_id         BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- History outlives the plan: a technician or a mission with timesheets is kept (the
    -- default NO ACTION, checked at the end of the statement, so deleting a tenant cascades).
    technician_id     BLOB NOT NULL REFERENCES technicians (id),
    mission_id        BLOB NOT NULL REFERENCES missions (id),
    -- The assignment it realises; none for unplanned work a manager adds.
    assignment_id     BLOB REFERENCES assignments (id) ON DELETE SET NULL,
    start_at          TEXT NOT NULL,
    end_at            TEXT NOT NULL,
    -- JSON array of [start, end] pairs (RFC 3339 UTC), sorted, inside the shift.
    breaks            TEXT NOT NULL DEFAULT '[]',
    -- Seconds worked: the shift minus its breaks, kept for listings and totals.
    worked_seconds    INTEGER NOT NULL CHECK (worked_seconds >= 0),
    cachets           INTEGER NOT NULL DEFAULT 0 CHECK (cachets >= 0),
    -- The planned window when it was created (the assignment's), for plan vs actual.
    planned_start_at  TEXT,
    planned_end_at    TEXT,
    -- Bumped by every write: a change computed from a stale read is refused.
    version           INTEGER NOT NULL DEFAULT 0,
    state             TEXT NOT NULL CHECK (state IN ('draft', 'submitted', 'approved', 'excluded')),
    note              TEXT,
    -- Why a manager sent it back to draft, or excluded it.
    reason            TEXT,
    submitted_at      TEXT,
    decided_by        BLOB,
    decided_at        TEXT,
    created_by        BLOB,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    CHECK (end_at > start_at)
) STRICT;
CREATE UNIQUE INDEX timesheets_assignment_key ON timesheets (assignment_id) WHERE assignment_id IS NOT NULL;
CREATE INDEX timesheets_tenant_start_idx ON timesheets (tenant_id, start_at);
CREATE INDEX timesheets_technician_idx ON timesheets (technician_id, start_at);
CREATE INDEX timesheets_mission_idx ON timesheets (mission_id);

-- No technician on two timesheets at once (excluded ones do not count), as for assignments.
CREATE TRIGGER timesheets_no_overlap_insert BEFORE INSERT ON timesheets
WHEN NEW.state <> 'excluded' AND EXISTS (
    SELECT 1 FROM timesheets t
    WHERE t.technician_id = NEW.technician_id AND t.state <> 'excluded'
      AND t.start_at < NEW.end_at AND NEW.start_at < t.end_at)
BEGIN
    SELECT RAISE(ABORT, 'CONFLICT_TIME_OVERLAP');
END;

CREATE TRIGGER timesheets_no_overlap_update
BEFORE UPDATE OF technician_id, start_at, end_at, state ON timesheets
WHEN NEW.state <> 'excluded' AND EXISTS (
    SELECT 1 FROM timesheets t
    WHERE t.id <> NEW.id AND t.technician_id = NEW.technician_id AND t.state <> 'excluded'
      AND t.start_at < NEW.end_at AND NEW.start_at < t.end_at)
BEGIN
    SELECT RAISE(ABORT, 'CONFLICT_TIME_OVERLAP');
END;

-- Pay periods a manager closed (and perhaps an admin reopened). A period without a row is
-- open. `label` is "2026-07" (a month) or "2026-W27" (an ISO week), in the tenant's zone.
CREATE TABLE pay_periods (
    id             BLOB PRIMARY KEY NOT NULL,
    tenant_id      BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    label          TEXT NOT NULL,
    starts_at      TEXT NOT NULL,
    ends_at        TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    closed_by      BLOB,
    closed_at      TEXT,
    reopened_by    BLOB,
    reopened_at    TEXT,
    reopen_reason  TEXT,
    CHECK (ends_at > starts_at),
    CONSTRAINT pay_periods_tenant_label_key UNIQUE (tenant_id, label)
) STRICT;
CREATE INDEX pay_periods_tenant_start_idx ON pay_periods (tenant_id, starts_at);

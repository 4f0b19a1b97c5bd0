-- Timesheets and pay periods (PostgreSQL): what was actually worked, and the periods a
-- manager closed for payroll (docs/timesheets.md).
--
-- A timesheet belongs to the pay period of its start, in the tenant's time zone. Every
-- write to a timesheet and every close or reopen first bumps the tenant's
-- `timesheet_version` in its transaction: the UPDATE locks the tenant's row (a lock that
-- foreign-key checks do not wait for), so such writes are serialised per tenant and a
-- write cannot slip into a period while it closes.

ALTER TABLE tenants ADD COLUMN pay_period text NOT NULL DEFAULT 'month'
    CHECK (pay_period IN ('month', 'week'));
ALTER TABLE tenants ADD COLUMN timesheet_version bigint NOT NULL DEFAULT 0;

CREATE TABLE timesheets (
    id                uuid PRIMARY KEY,
    tenant_id         uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- History outlives the plan: a technician or a mission with timesheets is kept (the
    -- default NO ACTION, checked at the end of the statement, so deleting a tenant cascades).
    technician_id     uuid NOT NULL REFERENCES technicians (id),
    mission_id        uuid NOT NULL REFERENCES missions (id),
    -- The assignment it realises; none for unplanned work a manager adds.
    assignment_id     uuid REFERENCES assignments (id) ON DELETE SET NULL,
    start_at          timestamptz NOT NULL,
    end_at            timestamptz NOT NULL,
    -- JSON array of [start, end] pairs (RFC 3339 UTC), sorted, inside the shift.
    breaks            text NOT NULL DEFAULT '[]',
    -- Seconds worked: the shift minus its breaks, kept for listings and totals.
    worked_seconds    bigint NOT NULL CHECK (worked_seconds >= 0),
    cachets           bigint NOT NULL DEFAULT 0 CHECK (cachets >= 0),
    -- The planned window when it was created (the assignment's), for plan vs actual.
    planned_start_at  timestamptz,
    planned_end_at    timestamptz,
    -- Bumped by every write: a change computed from a stale read is refused.
    version           bigint NOT NULL DEFAULT 0,
    state             text NOT NULL CHECK (state IN ('draft', 'submitted', 'approved', 'excluded')),
    note              text,
    -- Why a manager sent it back to draft, or excluded it.
    reason            text,
    submitted_at      timestamptz,
    decided_by        uuid,
    decided_at        timestamptz,
    created_by        uuid,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    CHECK (end_at > start_at)
);
CREATE UNIQUE INDEX timesheets_assignment_key ON timesheets (assignment_id) WHERE assignment_id IS NOT NULL;
CREATE INDEX timesheets_tenant_start_idx ON timesheets (tenant_id, start_at);
CREATE INDEX timesheets_technician_idx ON timesheets (technician_id, start_at);
CREATE INDEX timesheets_mission_idx ON timesheets (mission_id);

-- No technician on two timesheets at once (excluded ones do not count), as for assignments.
ALTER TABLE timesheets ADD CONSTRAINT timesheets_no_overlap
    EXCLUDE USING gist (technician_id WITH =, tstzrange(start_at, end_at) WITH &&)
    WHERE (state <> 'excluded');

-- Pay periods a manager closed (and perhaps an admin reopened). A period without a row is
-- open. `label` is "2026-07" (a month) or "2026-W27" (an ISO week), in the tenant's zone.
CREATE TABLE pay_periods (
    id             uuid PRIMARY KEY,
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    label          text NOT NULL,
    starts_at      timestamptz NOT NULL,
    ends_at        timestamptz NOT NULL,
    state          text NOT NULL CHECK (state IN ('open', 'closed')),
    closed_by      uuid,
    closed_at      timestamptz,
    reopened_by    uuid,
    reopened_at    timestamptz,
    reopen_reason  text,
    CHECK (ends_at > starts_at),
    CONSTRAINT pay_periods_tenant_label_key UNIQUE (tenant_id, label)
);
CREATE INDEX pay_periods_tenant_start_idx ON pay_periods (tenant_id, starts_at);

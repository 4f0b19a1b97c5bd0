-- Payroll runs (SQLite): a closed pay period's payslips as the tenant's payroll plugin
-- computed them, with the record to compute them again (docs/api.md, "Payroll").

CREATE TABLE payroll_runs (
    id             BLOB PRIMARY KEY NOT NULL,
    tenant_id      BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- The pay period's label ("2026-07", "2026-W27") and its bounds, UTC.
    period         TEXT NOT NULL,
    period_start   TEXT NOT NULL,
    period_end     TEXT NOT NULL,
    plugin_sha256  TEXT NOT NULL,
    -- Canonical JSON: plugin and configuration, every pay input, every payslip, fuel,
    -- the close's digest and the 507-hour counts.
    record         TEXT NOT NULL,
    inputs_sha256  TEXT NOT NULL,
    result_sha256  TEXT NOT NULL,
    technicians    INTEGER NOT NULL CHECK (technicians >= 0),
    gross_cents    INTEGER NOT NULL,
    created_by     BLOB,
    created_at     TEXT NOT NULL
) STRICT;
CREATE INDEX payroll_runs_tenant_created_idx ON payroll_runs (tenant_id, created_at);
CREATE INDEX payroll_runs_tenant_period_idx ON payroll_runs (tenant_id, period);

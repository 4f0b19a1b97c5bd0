-- Payroll runs (PostgreSQL): a closed pay period's payslips as the tenant's payroll plugin
-- computed them, with the record to compute them again (docs/api.md, "Payroll").

CREATE TABLE payroll_runs (
    id             uuid PRIMARY KEY,
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- The pay period's label ("2026-07", "2026-W27") and its bounds, UTC.
    period         text NOT NULL,
    period_start   timestamptz NOT NULL,
    period_end     timestamptz NOT NULL,
    plugin_sha256  text NOT NULL,
    -- Canonical JSON: plugin and configuration, every pay input, every payslip, fuel,
    -- the close's digest and the 507-hour counts.
    record         text NOT NULL,
    inputs_sha256  text NOT NULL,
    result_sha256  text NOT NULL,
    technicians    bigint NOT NULL CHECK (technicians >= 0),
    gross_cents    bigint NOT NULL,
    created_by     uuid,
    created_at     timestamptz NOT NULL
);
CREATE INDEX payroll_runs_tenant_created_idx ON payroll_runs (tenant_id, created_at);
CREATE INDEX payroll_runs_tenant_period_idx ON payroll_runs (tenant_id, period);

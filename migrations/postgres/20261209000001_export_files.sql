-- Files of background exports (PostgreSQL): a large export runs as a job and keeps its
-- file here for the user who asked, with its sha256 (the audit chain holds the same),
-- until it expires. Deleting the job deletes its file.

CREATE TABLE export_files (
    job_id        uuid PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_by    uuid NOT NULL,
    filename      text NOT NULL,
    content_type  text NOT NULL,
    body          bytea NOT NULL,
    sha256        text NOT NULL,
    rows          bigint NOT NULL,
    generated_at  timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL
);
CREATE INDEX export_files_expiry_idx ON export_files (expires_at);

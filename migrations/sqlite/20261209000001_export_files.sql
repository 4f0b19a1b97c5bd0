-- Files of background exports (SQLite): a large export runs as a job and keeps its file
-- here for the user who asked, with its sha256 (the audit chain holds the same), until
-- it expires. Deleting the job deletes its file.

CREATE TABLE export_files (
    job_id        BLOB PRIMARY KEY NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    tenant_id     BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_by    BLOB NOT NULL,
    filename      TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    body          BLOB NOT NULL,
    sha256        TEXT NOT NULL,
    rows          INTEGER NOT NULL,
    generated_at  TEXT NOT NULL,
    expires_at    TEXT NOT NULL
) STRICT;
CREATE INDEX export_files_expiry_idx ON export_files (expires_at);

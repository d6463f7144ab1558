-- +goose Up
CREATE TABLE recover_jobs (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    endpoint_id TEXT NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
    since       INTEGER NOT NULL,
    until       INTEGER NOT NULL,
    status      TEXT NOT NULL,
    total       INTEGER NOT NULL,
    done        INTEGER NOT NULL DEFAULT 0,
    cursor      TEXT NOT NULL DEFAULT '', -- the last delivery id replayed
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX recover_jobs_running ON recover_jobs (status) WHERE status = 'running';

-- +goose Down
DROP TABLE recover_jobs;

-- Times are unix milliseconds (UTC). Sealed columns hold AES-GCM ciphertext.

-- +goose Up
CREATE TABLE tenants (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE event_types (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT '',
    schema      TEXT,
    example     TEXT,
    created_at  INTEGER NOT NULL
);

CREATE TABLE endpoints (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    url             TEXT NOT NULL,
    event_types     TEXT NOT NULL,            -- JSON array; ["*"] means every type
    headers         BLOB,                     -- sealed JSON object
    enabled         INTEGER NOT NULL,
    disabled_reason TEXT,
    retry_schedule  TEXT,                     -- JSON array of milliseconds; NULL: deployment default
    timeout_ms      INTEGER NOT NULL DEFAULT 0, -- 0: deployment default
    max_in_flight   INTEGER NOT NULL,
    failure_count   INTEGER NOT NULL DEFAULT 0,
    failures_since  INTEGER NOT NULL,         -- start of the current failure streak window
    last_success_at INTEGER,
    last_failure_at INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX endpoints_by_tenant ON endpoints (tenant_id, id);

CREATE TABLE endpoint_secrets (
    id          INTEGER PRIMARY KEY,
    endpoint_id TEXT NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
    secret      BLOB NOT NULL,               -- sealed
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER                      -- NULL: valid until rotated out
);
CREATE INDEX endpoint_secrets_by_endpoint ON endpoint_secrets (endpoint_id);

CREATE TABLE events (
    tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id              TEXT NOT NULL,
    type            TEXT NOT NULL,
    payload         BLOB NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    test            INTEGER NOT NULL DEFAULT 0,
    deliveries      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX events_by_idempotency_key ON events (tenant_id, idempotency_key);

-- A delivery is claimable when its status is pending or retrying and
-- next_attempt_at has passed. A claim sets lease_token and moves
-- next_attempt_at to the lease's end, so a dead worker's delivery becomes
-- due again by itself, and the due index never returns leased rows early.
CREATE TABLE deliveries (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL,
    event_id         TEXT NOT NULL,
    endpoint_id      TEXT NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
    event_type       TEXT NOT NULL,
    status           TEXT NOT NULL,
    test             INTEGER NOT NULL DEFAULT 0,
    attempts         INTEGER NOT NULL DEFAULT 0,
    run_attempts     INTEGER NOT NULL DEFAULT 0, -- since creation or the last replay
    next_attempt_at  INTEGER,
    lease_token      TEXT,
    last_attempt_at  INTEGER,
    last_status_code INTEGER,
    last_error       TEXT,
    last_duration_ms INTEGER,
    finished_at      INTEGER,                    -- when it became delivered or failed
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX deliveries_due ON deliveries (endpoint_id, next_attempt_at) WHERE status IN ('pending', 'retrying');
CREATE INDEX deliveries_next ON deliveries (next_attempt_at) WHERE status IN ('pending', 'retrying');
CREATE INDEX deliveries_leased ON deliveries (endpoint_id) WHERE lease_token IS NOT NULL;
CREATE INDEX deliveries_by_tenant ON deliveries (tenant_id, id);
CREATE INDEX deliveries_by_endpoint ON deliveries (endpoint_id, id);
CREATE INDEX deliveries_by_event ON deliveries (tenant_id, event_id);
CREATE INDEX deliveries_failed ON deliveries (endpoint_id, finished_at) WHERE status = 'failed';

CREATE TABLE attempts (
    id              TEXT PRIMARY KEY,
    delivery_id     TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    number          INTEGER NOT NULL,
    at              INTEGER NOT NULL,
    url             TEXT NOT NULL,
    request_headers TEXT NOT NULL,             -- JSON object, custom header values masked
    status_code     INTEGER NOT NULL DEFAULT 0,
    duration_ms     INTEGER NOT NULL,
    error           TEXT NOT NULL DEFAULT '',
    response_body   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX attempts_by_delivery ON attempts (delivery_id, number);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    tenant_id    TEXT REFERENCES tenants (id) ON DELETE CASCADE,
    prefix       TEXT NOT NULL,
    hash         BLOB NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);

-- +goose Down
DROP TABLE api_keys;
DROP TABLE attempts;
DROP TABLE deliveries;
DROP TABLE events;
DROP TABLE endpoint_secrets;
DROP TABLE endpoints;
DROP TABLE event_types;
DROP TABLE tenants;

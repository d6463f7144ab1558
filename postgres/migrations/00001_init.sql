-- The same tables as the SQLite store, in PostgreSQL's own types. Sealed
-- columns hold AES-GCM ciphertext. Payloads stay bytea (not jsonb), since
-- deliveries must send the published bytes exactly.

-- +goose Up
CREATE TABLE tenants (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE event_types (
    name        text PRIMARY KEY,
    description text NOT NULL DEFAULT '',
    schema      text,
    example     text,
    created_at  timestamptz NOT NULL
);

CREATE TABLE endpoints (
    id               text PRIMARY KEY,
    tenant_id        text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name             text NOT NULL,
    description      text NOT NULL DEFAULT '',
    url              text NOT NULL,
    event_types      text[] NOT NULL,          -- {*} means every type
    headers          bytea,                    -- sealed JSON object
    enabled          boolean NOT NULL,
    disabled_reason  text,
    retry_schedule   bigint[],                 -- milliseconds; NULL: deployment default
    timeout_ms       bigint NOT NULL DEFAULT 0, -- 0: deployment default
    signature_scheme text NOT NULL DEFAULT '', -- '': the deployment's scheme
    max_in_flight    integer NOT NULL,
    -- Rate limit as a token bucket kept in the row, so the claim enforces
    -- it for every worker and node alike.
    rate_limit       integer NOT NULL DEFAULT 0, -- requests per second; 0: none
    rate_tokens      double precision NOT NULL DEFAULT 0,
    rate_updated_at  timestamptz NOT NULL DEFAULT 'epoch',
    failure_count    integer NOT NULL DEFAULT 0,
    failures_since   timestamptz NOT NULL,     -- start of the current failure streak window
    last_success_at  timestamptz,
    last_failure_at  timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX endpoints_by_tenant ON endpoints (tenant_id, id);

CREATE TABLE endpoint_secrets (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id text NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
    secret      bytea NOT NULL,                -- sealed
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz                    -- NULL: valid until rotated out
);
CREATE INDEX endpoint_secrets_by_endpoint ON endpoint_secrets (endpoint_id);

CREATE TABLE events (
    tenant_id       text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id              text NOT NULL,
    type            text NOT NULL,
    payload         bytea NOT NULL,
    idempotency_key text NOT NULL,
    request_hash    text NOT NULL,
    test            boolean NOT NULL DEFAULT false,
    deliveries      integer NOT NULL,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX events_by_idempotency_key ON events (tenant_id, idempotency_key);

-- As on SQLite: a delivery is claimable when it is pending or retrying and
-- next_attempt_at has passed; a claim sets lease_token and moves
-- next_attempt_at to the lease's end, so a dead node's work comes back by itself.
CREATE TABLE deliveries (
    id               text PRIMARY KEY,
    tenant_id        text NOT NULL,
    event_id         text NOT NULL,
    endpoint_id      text NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
    event_type       text NOT NULL,
    status           text NOT NULL,
    test             boolean NOT NULL DEFAULT false,
    attempts         integer NOT NULL DEFAULT 0,
    run_attempts     integer NOT NULL DEFAULT 0, -- since creation or the last replay
    next_attempt_at  timestamptz,
    lease_token      text,
    last_attempt_at  timestamptz,
    last_status_code integer,
    last_error       text,
    last_duration_ms bigint,
    finished_at      timestamptz,                -- when it became delivered or failed
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX deliveries_due ON deliveries (endpoint_id, next_attempt_at) WHERE status IN ('pending', 'retrying');
CREATE INDEX deliveries_next ON deliveries (next_attempt_at) WHERE status IN ('pending', 'retrying');
CREATE INDEX deliveries_leased ON deliveries (endpoint_id, next_attempt_at) WHERE lease_token IS NOT NULL;
CREATE INDEX deliveries_by_tenant ON deliveries (tenant_id, id);
CREATE INDEX deliveries_by_endpoint ON deliveries (endpoint_id, id);
CREATE INDEX deliveries_by_event ON deliveries (tenant_id, event_id);
CREATE INDEX deliveries_failed ON deliveries (endpoint_id, finished_at) WHERE status = 'failed';

CREATE TABLE attempts (
    id              text PRIMARY KEY,
    delivery_id     text NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    endpoint_id     text NOT NULL,             -- for per-endpoint stats by hour
    number          integer NOT NULL,
    at              timestamptz NOT NULL,
    url             text NOT NULL,
    request_headers jsonb NOT NULL,            -- custom header values masked
    status_code     integer NOT NULL DEFAULT 0,
    duration_ms     bigint NOT NULL,
    error           text NOT NULL DEFAULT '',
    response_body   text NOT NULL DEFAULT ''
);
CREATE INDEX attempts_by_delivery ON attempts (delivery_id, number);
CREATE INDEX attempts_by_endpoint ON attempts (endpoint_id, at);

-- Retention finds old finished deliveries and old events by time.
CREATE INDEX deliveries_finished ON deliveries (finished_at) WHERE status IN ('delivered', 'failed');
CREATE INDEX events_by_created ON events (created_at);

CREATE TABLE recover_jobs (
    id          text PRIMARY KEY,
    tenant_id   text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    endpoint_id text NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
    since       timestamptz NOT NULL,
    until       timestamptz NOT NULL,
    status      text NOT NULL,
    total       integer NOT NULL,
    done        integer NOT NULL DEFAULT 0,
    cursor      text NOT NULL DEFAULT '',      -- the last delivery id replayed
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX recover_jobs_running ON recover_jobs (status) WHERE status = 'running';

CREATE TABLE api_keys (
    id           text PRIMARY KEY,
    name         text NOT NULL,
    role         text NOT NULL,
    tenant_id    text REFERENCES tenants (id) ON DELETE CASCADE,
    prefix       text NOT NULL,
    hash         bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz
);

-- +goose Down
DROP TABLE recover_jobs;
DROP TABLE api_keys;
DROP TABLE attempts;
DROP TABLE deliveries;
DROP TABLE events;
DROP TABLE endpoint_secrets;
DROP TABLE endpoints;
DROP TABLE event_types;
DROP TABLE tenants;

-- An event's lookup by id (tenant_id = $1 AND id = $2) must never read
-- events_by_idempotency_key: on a table without statistics (a new database,
-- autovacuum off or not yet run) the generic plan of the prepared lookup
-- tied it with events_pkey on cost, and where it chose this index (with the
-- tenant as its only condition and id as a filter) every publish read the
-- tenant's whole history, for the connection's lifetime. A partial index
-- can serve only queries that imply its predicate: the key lookup does
-- (idempotency_key = $2), the id lookup does not. Every row satisfies it
-- (the column is NOT NULL), so uniqueness is unchanged.

-- +goose Up
CREATE UNIQUE INDEX events_by_idempotency_key_new ON events (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
DROP INDEX events_by_idempotency_key;
ALTER INDEX events_by_idempotency_key_new RENAME TO events_by_idempotency_key;

-- +goose Down
CREATE UNIQUE INDEX events_by_idempotency_key_old ON events (tenant_id, idempotency_key);
DROP INDEX events_by_idempotency_key;
ALTER INDEX events_by_idempotency_key_old RENAME TO events_by_idempotency_key;

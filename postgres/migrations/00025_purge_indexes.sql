-- Paused deliveries by endpoint (enabling or deleting an endpoint, the
-- purge's check for deliveries queued to a deleted one) and by age (the
-- purge: a paused delivery has no finished_at, its id carries its age).
-- Without them each of those read every delivery the endpoint or the table
-- ever kept. Paused rows are few, so the indexes are small and a write of
-- any other delivery only tests their predicate. Built concurrently: on a
-- table of months of history a plain build would hold publishes for minutes.

-- +goose NO TRANSACTION
-- +goose Up
DROP INDEX CONCURRENTLY IF EXISTS deliveries_paused; -- left invalid by an interrupted build
CREATE INDEX CONCURRENTLY deliveries_paused ON deliveries (endpoint_id, id) WHERE status = 'paused';
DROP INDEX CONCURRENTLY IF EXISTS deliveries_paused_by_id;
CREATE INDEX CONCURRENTLY deliveries_paused_by_id ON deliveries (id) WHERE status = 'paused';

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS deliveries_paused;
DROP INDEX CONCURRENTLY IF EXISTS deliveries_paused_by_id;

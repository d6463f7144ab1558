-- Paused deliveries by endpoint (enabling or deleting an endpoint) and by
-- age (the purge: a paused delivery has no finished_at, its id carries its
-- age). Without them each of those read every delivery the endpoint or the
-- table ever kept. Paused rows are few, so the indexes are small.

-- +goose Up
CREATE INDEX deliveries_paused ON deliveries (endpoint_id, id) WHERE status = 'paused';
CREATE INDEX deliveries_paused_by_id ON deliveries (id) WHERE status = 'paused';

-- +goose Down
DROP INDEX deliveries_paused;
DROP INDEX deliveries_paused_by_id;

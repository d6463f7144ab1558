-- Finished work must stop costing the hot path: each index a delivery's
-- insert, lease and record write must earn its place (docs/architecture.md).

-- +goose Up
-- The next due time and the metrics' queue count read deliveries_due, one
-- endpoint at a time: this index only cost three writes per delivery.
DROP INDEX deliveries_next;

-- +goose Down
CREATE INDEX deliveries_next ON deliveries (next_attempt_at) WHERE status IN ('pending', 'retrying');

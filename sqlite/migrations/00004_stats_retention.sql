-- +goose Up
-- Attempts carry their endpoint, so per-endpoint stats read one index range.
ALTER TABLE attempts ADD COLUMN endpoint_id TEXT NOT NULL DEFAULT '';
UPDATE attempts SET endpoint_id = (SELECT endpoint_id FROM deliveries WHERE deliveries.id = attempts.delivery_id);
CREATE INDEX attempts_by_endpoint ON attempts (endpoint_id, at);

-- Retention finds old finished deliveries and old events by time.
CREATE INDEX deliveries_finished ON deliveries (finished_at) WHERE status IN ('delivered', 'failed');
CREATE INDEX events_by_created ON events (created_at);

-- +goose Down
DROP INDEX events_by_created;
DROP INDEX deliveries_finished;
DROP INDEX attempts_by_endpoint;
ALTER TABLE attempts DROP COLUMN endpoint_id;

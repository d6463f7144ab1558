-- Finished work must stop costing the claim (docs/scaling.md, "Vacuum").

-- +goose Up
-- The next due time and the metrics' queue count read deliveries_due, one
-- endpoint at a time: this index only cost two entries per delivery.
DROP INDEX deliveries_next;

-- Claims (rate-limit buckets) and records (health) update endpoint rows
-- without touching an indexed column: free room on each page keeps those
-- updates HOT (no new index entries, pruned on the page).
ALTER TABLE endpoints SET (fillfactor = 50);

-- +goose Down
ALTER TABLE endpoints RESET (fillfactor);
CREATE INDEX deliveries_next ON deliveries (next_attempt_at) WHERE status IN ('pending', 'retrying');

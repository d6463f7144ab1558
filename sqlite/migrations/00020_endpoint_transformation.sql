-- An endpoint's transformation: JavaScript (package transform) run on each
-- delivery before it is signed and sent; '' when it has none. A delivery
-- it cancels ends 'cancelled', which retention finds by its own index
-- (deliveries_finished, rebuilt, would scan and lock longer).

-- +goose Up
ALTER TABLE endpoints ADD COLUMN transformation TEXT NOT NULL DEFAULT '';
CREATE INDEX deliveries_cancelled ON deliveries (finished_at) WHERE status = 'cancelled';

-- +goose Down
DROP INDEX deliveries_cancelled;
ALTER TABLE endpoints DROP COLUMN transformation;

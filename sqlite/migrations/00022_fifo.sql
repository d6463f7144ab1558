-- Ordered delivery (docs/ordering.md): an endpoint's ordering ('fifo' or
-- ''), and the sequence number of each delivery to a FIFO endpoint, taken
-- at insert from the largest so far (one writer: no two take the same).
-- Only FIFO deliveries have one, so only they enter these indexes.

-- +goose Up
ALTER TABLE endpoints ADD COLUMN ordering TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN seq INTEGER;
-- The next number.
CREATE INDEX deliveries_seq ON deliveries (seq) WHERE seq IS NOT NULL;
-- An endpoint's head: its unfinished delivery with the lowest number.
CREATE INDEX deliveries_fifo ON deliveries (endpoint_id, seq) WHERE seq IS NOT NULL AND status IN ('pending', 'retrying');

-- +goose Down
DROP INDEX deliveries_fifo;
DROP INDEX deliveries_seq;
ALTER TABLE deliveries DROP COLUMN seq;
ALTER TABLE endpoints DROP COLUMN ordering;

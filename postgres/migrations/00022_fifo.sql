-- Ordered delivery (docs/ordering.md): an endpoint's ordering ('fifo' or
-- ''), and the sequence number of each delivery to a FIFO endpoint, from
-- one sequence shared by every node (node clocks differ, so time-sortable
-- ids cannot order publishes made on different nodes). Only FIFO
-- deliveries have one, so only they enter the index.

-- +goose Up
ALTER TABLE endpoints ADD COLUMN ordering text NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN seq bigint;
CREATE SEQUENCE deliveries_seq;
-- An endpoint's head: its unfinished delivery with the lowest number.
CREATE INDEX deliveries_fifo ON deliveries (endpoint_id, seq) WHERE seq IS NOT NULL AND status IN ('pending', 'retrying');

-- +goose Down
DROP INDEX deliveries_fifo;
DROP SEQUENCE deliveries_seq;
ALTER TABLE deliveries DROP COLUMN seq;
ALTER TABLE endpoints DROP COLUMN ordering;

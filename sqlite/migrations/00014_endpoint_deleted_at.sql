-- A deleted endpoint is kept, marked, so its deliveries and attempts stay
-- readable until retention removes them and then it (soft delete).

-- +goose Up
ALTER TABLE endpoints ADD COLUMN deleted_at INTEGER;

-- +goose Down
DELETE FROM endpoints WHERE deleted_at IS NOT NULL;
ALTER TABLE endpoints DROP COLUMN deleted_at;

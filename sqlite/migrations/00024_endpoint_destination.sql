-- A broker endpoint's destination (hookd.Destination: type, config,
-- credentials), sealed JSON like headers and egress, since its credentials
-- and the config's URL may hold passwords; NULL for a webhook.

-- +goose Up
ALTER TABLE endpoints ADD COLUMN destination BLOB;

-- +goose Down
ALTER TABLE endpoints DROP COLUMN destination;

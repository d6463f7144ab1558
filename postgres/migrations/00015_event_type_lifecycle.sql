-- Event types can be deprecated (flagged in pickers) and archived (no new
-- subscriptions); both keep being published.

-- +goose Up
ALTER TABLE event_types ADD COLUMN deprecated boolean NOT NULL DEFAULT false,
                        ADD COLUMN archived boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE event_types DROP COLUMN archived, DROP COLUMN deprecated;

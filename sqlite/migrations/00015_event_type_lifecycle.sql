-- Event types can be deprecated (flagged in pickers) and archived (no new
-- subscriptions); both keep being published.

-- +goose Up
ALTER TABLE event_types ADD COLUMN deprecated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE event_types ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE event_types DROP COLUMN archived;
ALTER TABLE event_types DROP COLUMN deprecated;

-- Channels narrow an endpoint's subscription to events that carry one of
-- them (hookd.Matching). JSON lists, like event_types; '[]': none.

-- +goose Up
ALTER TABLE endpoints ADD COLUMN channels TEXT NOT NULL DEFAULT '[]';
ALTER TABLE events ADD COLUMN channels TEXT NOT NULL DEFAULT '[]';

-- +goose Down
ALTER TABLE events DROP COLUMN channels;
ALTER TABLE endpoints DROP COLUMN channels;

-- Channels narrow an endpoint's subscription to events that carry one of
-- them (hookd.Matching). '{}': none.

-- +goose Up
ALTER TABLE endpoints ADD COLUMN channels text[] NOT NULL DEFAULT '{}';
ALTER TABLE events ADD COLUMN channels text[] NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE events DROP COLUMN channels;
ALTER TABLE endpoints DROP COLUMN channels;

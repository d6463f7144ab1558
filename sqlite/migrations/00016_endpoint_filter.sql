-- An endpoint's content filter: a CEL expression (package filter) an event
-- must pass to be delivered there; '' when it has none.

-- +goose Up
ALTER TABLE endpoints ADD COLUMN filter TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE endpoints DROP COLUMN filter;

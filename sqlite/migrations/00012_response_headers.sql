-- Attempts keep the receiver's response headers (hookd.StorableHeaders
-- bounds them); attempts made before have none.

-- +goose Up
ALTER TABLE attempts ADD COLUMN response_headers TEXT NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE attempts DROP COLUMN response_headers;

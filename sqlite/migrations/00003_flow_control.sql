-- Per-endpoint rate limit as a token bucket kept in the row, so the claim
-- enforces it for every worker and node alike.

-- +goose Up
ALTER TABLE endpoints ADD COLUMN rate_limit INTEGER NOT NULL DEFAULT 0; -- requests per second; 0: none
ALTER TABLE endpoints ADD COLUMN rate_tokens REAL NOT NULL DEFAULT 0;
ALTER TABLE endpoints ADD COLUMN rate_updated_at INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE endpoints DROP COLUMN rate_updated_at;
ALTER TABLE endpoints DROP COLUMN rate_tokens;
ALTER TABLE endpoints DROP COLUMN rate_limit;

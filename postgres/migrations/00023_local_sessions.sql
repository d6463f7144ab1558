-- hookd listen sessions are endpoints of their own kind ('local'): listed
-- apart, not counted toward the tenant's limit, and given only test events
-- unless live. CLI tokens are API keys (role developer) that expire.

-- +goose Up
ALTER TABLE endpoints ADD COLUMN kind text NOT NULL DEFAULT 'webhook';
ALTER TABLE endpoints ADD COLUMN live boolean NOT NULL DEFAULT false;
ALTER TABLE api_keys ADD COLUMN expires_at timestamptz;

-- +goose Down
ALTER TABLE api_keys DROP COLUMN expires_at;
ALTER TABLE endpoints DROP COLUMN live;
ALTER TABLE endpoints DROP COLUMN kind;

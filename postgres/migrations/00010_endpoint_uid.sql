-- An endpoint's uid: the caller's own name for it (Svix's uid, set through
-- /api/v1/), unique within its tenant; NULL when it has none.

-- +goose Up
ALTER TABLE endpoints ADD COLUMN uid text;
CREATE UNIQUE INDEX endpoints_by_uid ON endpoints (tenant_id, uid) WHERE uid IS NOT NULL;

-- +goose Down
DROP INDEX endpoints_by_uid;
ALTER TABLE endpoints DROP COLUMN uid;

-- An endpoint's egress settings (hookd.Egress: auth, TLS client certificate,
-- proxy), sealed JSON like headers, since they hold secrets; NULL when none.

-- +goose Up
ALTER TABLE endpoints ADD COLUMN egress bytea;

-- +goose Down
ALTER TABLE endpoints DROP COLUMN egress;

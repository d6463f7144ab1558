-- +goose Up
ALTER TABLE endpoints ADD COLUMN signature_scheme TEXT NOT NULL DEFAULT ''; -- '': the deployment's scheme

-- +goose Down
ALTER TABLE endpoints DROP COLUMN signature_scheme;

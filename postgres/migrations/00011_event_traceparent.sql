-- The publish's W3C trace context, so that each delivery attempt's span
-- links to the publish's trace (docs/operations.md, "Tracing"). NULL when
-- tracing was off at publish.

-- +goose Up
ALTER TABLE events ADD COLUMN traceparent text;

-- +goose Down
ALTER TABLE events DROP COLUMN traceparent;

-- An endpoint's recover jobs, newest first (the dashboard's history), and
-- the cascade when an endpoint is deleted, without scanning every job.

-- +goose Up
CREATE INDEX recover_jobs_endpoint ON recover_jobs (endpoint_id, id);

-- +goose Down
DROP INDEX recover_jobs_endpoint;

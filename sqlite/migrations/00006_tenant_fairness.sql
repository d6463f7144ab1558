-- Fairness between tenants: a per-tenant in-flight cap the claim enforces,
-- and what the claim and the test-event limit count.

-- +goose Up
ALTER TABLE tenants ADD COLUMN max_in_flight INTEGER; -- NULL: the deployment's --tenant-max-in-flight

-- The claim counts each due tenant's and endpoint's live leases from these
-- indexes alone: next_attempt_at is the lease's end, and lease_token is in
-- them only so that SQLite need not read the row to check the condition
-- (they hold the deliveries in flight only, so they stay small).
CREATE INDEX deliveries_leased_by_tenant ON deliveries (tenant_id, next_attempt_at, lease_token) WHERE lease_token IS NOT NULL;
DROP INDEX deliveries_leased;
CREATE INDEX deliveries_leased ON deliveries (endpoint_id, next_attempt_at, lease_token) WHERE lease_token IS NOT NULL;

-- Leases of deliveries whose endpoint was deleted while their requests ran:
-- those requests still hold workers until their lease ends, so the claim
-- counts them against the tenant's cap.
CREATE TABLE orphaned_leases (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    lease_end INTEGER NOT NULL
);
CREATE INDEX orphaned_leases_by_tenant ON orphaned_leases (tenant_id, lease_end);

-- Test events are limited per endpoint (its recent test deliveries) and per
-- tenant (its recent test events, which outlive a deleted endpoint).
CREATE INDEX deliveries_tests ON deliveries (endpoint_id, created_at) WHERE test = 1;
CREATE INDEX events_tests ON events (tenant_id, created_at) WHERE test = 1;

-- +goose Down
DROP INDEX events_tests;
DROP INDEX deliveries_tests;
DROP TABLE orphaned_leases;
DROP INDEX deliveries_leased;
CREATE INDEX deliveries_leased ON deliveries (endpoint_id) WHERE lease_token IS NOT NULL;
DROP INDEX deliveries_leased_by_tenant;
ALTER TABLE tenants DROP COLUMN max_in_flight;

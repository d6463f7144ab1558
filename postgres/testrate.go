package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookd/hookd"
)

// qRecentTests counts the endpoint's test deliveries and the tenant's test
// events of the last window, with the oldest of each (partial indexes
// deliveries_tests and events_tests). The tenant's are its events, which
// outlive a deleted endpoint's deliveries.
const qRecentTests = `SELECT
	(SELECT count(*) FROM deliveries WHERE endpoint_id = $1 AND test AND created_at > $3),
	(SELECT min(created_at) FROM deliveries WHERE endpoint_id = $1 AND test AND created_at > $3),
	(SELECT count(*) FROM events WHERE tenant_id = $2 AND test AND created_at > $3),
	(SELECT min(created_at) FROM events WHERE tenant_id = $2 AND test AND created_at > $3)`

// checkTestRate applies hookd.CheckTestEventRate inside the publishing
// transaction. It locks the tenant's row first (as a claim does, so in the
// claim's lock order), so that concurrent test publishes of one tenant, on
// any node, count one after the other.
func (db *DB) checkTestRate(ctx context.Context, tx pgx.Tx, tenantID, endpointID string) error {
	if _, err := tx.Exec(ctx, `SELECT 1 FROM tenants WHERE id = $1 FOR NO KEY UPDATE`, tenantID); err != nil {
		return fmt.Errorf("lock tenant: %w", err)
	}
	now := ts(db.now())
	var endpoint, tenant hookd.RecentTests
	var endpointOldest, tenantOldest *time.Time
	if err := tx.QueryRow(ctx, qRecentTests, endpointID, tenantID, now.Add(-hookd.TestEventWindow)).
		Scan(&endpoint.Count, &endpointOldest, &tenant.Count, &tenantOldest); err != nil {
		return fmt.Errorf("count recent test events: %w", err)
	}
	if endpointOldest != nil {
		endpoint.Oldest = *endpointOldest
	}
	if tenantOldest != nil {
		tenant.Oldest = *tenantOldest
	}
	return hookd.CheckTestEventRate(now, endpoint, tenant)
}

package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/hookd/hookd"
)

// qRecentTests counts the endpoint's test deliveries and the tenant's test
// events of the last window, with the oldest of each (partial indexes
// deliveries_tests and events_tests). The tenant's are its events, which
// outlive a deleted endpoint's deliveries.
const qRecentTests = `SELECT
	(SELECT COUNT(*) FROM deliveries WHERE endpoint_id = ?1 AND test = 1 AND created_at > ?3),
	(SELECT MIN(created_at) FROM deliveries WHERE endpoint_id = ?1 AND test = 1 AND created_at > ?3),
	(SELECT COUNT(*) FROM events WHERE tenant_id = ?2 AND test = 1 AND created_at > ?3),
	(SELECT MIN(created_at) FROM events WHERE tenant_id = ?2 AND test = 1 AND created_at > ?3)`

// checkTestRate applies hookd.CheckTestEventRate inside the publishing
// transaction; the single writer makes the count exact.
func (db *DB) checkTestRate(ctx context.Context, tx *sql.Tx, tenantID, endpointID string) error {
	now := db.now()
	var endpoint, tenant hookd.RecentTests
	var endpointOldest, tenantOldest sql.NullInt64
	if err := tx.QueryRowContext(ctx, qRecentTests, endpointID, tenantID, ms(now.Add(-hookd.TestEventWindow))).
		Scan(&endpoint.Count, &endpointOldest, &tenant.Count, &tenantOldest); err != nil {
		return fmt.Errorf("count recent test events: %w", err)
	}
	endpoint.Oldest, tenant.Oldest = fromMs(endpointOldest.Int64), fromMs(tenantOldest.Int64)
	return hookd.CheckTestEventRate(now, endpoint, tenant)
}

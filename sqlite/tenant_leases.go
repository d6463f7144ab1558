package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// keepLeases records the live leases of the endpoints that where selects
// (a condition on endpoints e, with args) in orphaned_leases, before those
// endpoints are deleted: their requests hold workers until the lease ends,
// and the claim goes on counting them against the tenant's cap. Expired
// rows are dropped on the way.
func (db *DB) keepLeases(ctx context.Context, tx *sql.Tx, where string, args ...any) error {
	now := ms(db.now())
	if _, err := tx.ExecContext(ctx, `DELETE FROM orphaned_leases WHERE lease_end <= ?`, now); err != nil {
		return fmt.Errorf("drop expired orphaned leases: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO orphaned_leases (tenant_id, lease_end)
		SELECT d.tenant_id, d.next_attempt_at FROM endpoints e JOIN deliveries d ON d.endpoint_id = e.id
		WHERE `+where+` AND d.lease_token IS NOT NULL AND d.next_attempt_at > ?`, append(args, now)...); err != nil {
		return fmt.Errorf("keep leases of deleted endpoints: %w", err)
	}
	return nil
}

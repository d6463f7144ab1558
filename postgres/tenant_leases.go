package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// deleteEndpoints deletes the endpoints that where selects (a condition on
// endpoints e with args $1..$n), in one round trip. Their live leases go
// to orphaned_leases first: those requests hold workers until the lease
// ends, and the claim goes on counting them against the tenant's cap. The
// endpoints are locked first, in id order, so that no claim leases more of
// their deliveries meanwhile; expired orphans are dropped on the way.
func (db *DB) deleteEndpoints(ctx context.Context, what, where string, args ...any) (int64, error) {
	var deleted int64
	now := ts(db.now())
	nowArg := fmt.Sprintf("$%d", len(args)+1)
	err := db.inTx(ctx, what, func(tx pgx.Tx) error {
		var b pgx.Batch
		b.Queue(`SELECT id FROM endpoints e WHERE `+where+` ORDER BY id FOR UPDATE`, args...)
		b.Queue(`DELETE FROM orphaned_leases WHERE lease_end <= $1`, now)
		b.Queue(`INSERT INTO orphaned_leases (tenant_id, lease_end)
			SELECT d.tenant_id, d.next_attempt_at FROM endpoints e JOIN deliveries d ON d.endpoint_id = e.id
			WHERE `+where+` AND d.lease_token IS NOT NULL AND d.next_attempt_at > `+nowArg, append(args, now)...)
		b.Queue(`DELETE FROM endpoints e WHERE `+where, args...).Exec(func(tag pgconn.CommandTag) error {
			deleted = tag.RowsAffected()
			return nil
		})
		return tx.SendBatch(ctx, &b).Close()
	})
	return deleted, err
}

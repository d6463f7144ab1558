package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/hookd/hookd"
)

var _ hookd.QueueCounter = (*DB)(nil)

// CountQueue counts deliveries due and not leased, and deliveries leased.
func (db *DB) CountQueue(ctx context.Context, now time.Time) (due, inFlight int, err error) {
	err = db.read.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM deliveries WHERE status IN ('pending', 'retrying') AND next_attempt_at <= ?1),
		(SELECT COUNT(*) FROM deliveries WHERE lease_token IS NOT NULL AND next_attempt_at > ?1)`, ms(now)).Scan(&due, &inFlight)
	if err != nil {
		return 0, 0, fmt.Errorf("count queue: %w", err)
	}
	return due, inFlight, nil
}

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
	err = db.read.QueryRowContext(ctx, qWaiting+` SELECT
		(SELECT COALESCE(SUM((SELECT COUNT(*) FROM deliveries d WHERE d.endpoint_id = w.endpoint_id
			AND d.status IN ('pending', 'retrying') AND d.next_attempt_at <= ?1)), 0) FROM waiting w WHERE w.endpoint_id IS NOT NULL),
		(SELECT COUNT(*) FROM deliveries WHERE lease_token IS NOT NULL AND next_attempt_at > ?1)`, ms(now)).Scan(&due, &inFlight)
	if err != nil {
		return 0, 0, fmt.Errorf("count queue: %w", err)
	}
	return due, inFlight, nil
}

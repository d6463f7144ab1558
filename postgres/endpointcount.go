package postgres

import (
	"context"

	"github.com/hookd/hookd"
)

var _ hookd.EndpointCounter = (*DB)(nil)

// CountEndpointStates counts endpoints by state. It reads the whole
// endpoints table, which is small beside the deliveries.
func (db *DB) CountEndpointStates(ctx context.Context) (map[string]int, error) {
	rows, err := db.pool.Query(ctx, `SELECT enabled, coalesce(disabled_reason, ''), count(*) FROM endpoints
		WHERE deleted_at IS NULL GROUP BY enabled, disabled_reason`)
	if err != nil {
		return nil, db.fail("count endpoint states", err)
	}
	defer rows.Close()
	states, err := hookd.SumEndpointStates(rows)
	return states, db.fail("count endpoint states", err)
}

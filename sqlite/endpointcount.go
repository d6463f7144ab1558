package sqlite

import (
	"context"
	"fmt"

	"github.com/hookd/hookd"
)

var _ hookd.EndpointCounter = (*DB)(nil)

// CountEndpointStates counts endpoints by state. It reads the whole
// endpoints table, which is small beside the deliveries.
func (db *DB) CountEndpointStates(ctx context.Context) (map[string]int, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT enabled, COALESCE(disabled_reason, ''), COUNT(*) FROM endpoints
		WHERE deleted_at IS NULL GROUP BY enabled, disabled_reason`)
	if err != nil {
		return nil, fmt.Errorf("count endpoint states: %w", err)
	}
	defer rows.Close()
	states, err := hookd.SumEndpointStates(rows)
	if err != nil {
		return nil, fmt.Errorf("count endpoint states: %w", err)
	}
	return states, nil
}

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
		GROUP BY enabled, disabled_reason`)
	if err != nil {
		return nil, fmt.Errorf("count endpoint states: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var enabled bool
		var reason string
		var n int
		if err := rows.Scan(&enabled, &reason, &n); err != nil {
			return nil, fmt.Errorf("count endpoint states: %w", err)
		}
		out[hookd.EndpointState(enabled, reason)] += n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count endpoint states: %w", err)
	}
	return out, nil
}

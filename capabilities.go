package hookd

import (
	"context"
	"time"
)

// Optional Store capabilities. A store that spans processes (PostgreSQL)
// implements them; callers check with a type assertion and fall back.

// Waker tells a dispatcher that work became due in another process (a
// publish, enable or replay on another node), so it need not wait for its
// poll interval. The channel carries coalesced signals and is closed when
// ctx ends.
type Waker interface {
	Wakeups(ctx context.Context) <-chan struct{}
}

// Readier reports whether the store can serve: the database answers and
// its schema is the one this binary expects.
type Readier interface {
	Ready(ctx context.Context) error
}

// QueueCounter counts the queue for monitoring: deliveries due now and not
// leased, and deliveries leased to a worker (in flight somewhere).
type QueueCounter interface {
	CountQueue(ctx context.Context, now time.Time) (due, inFlight int, err error)
}

// EndpointCounter counts endpoints, of every tenant, by state for
// monitoring: "active", or "disabled_" and the reason (DisabledManual,
// DisabledAuto, DisabledGone).
type EndpointCounter interface {
	CountEndpointStates(ctx context.Context) (map[string]int, error)
}

// EndpointState is an endpoint's state as EndpointCounter names it.
func EndpointState(enabled bool, reason string) string {
	if enabled {
		return "active"
	}
	if reason == "" {
		reason = DisabledManual
	}
	return "disabled_" + reason
}

// Rows is what both stores' query results offer (database/sql's and pgx's).
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// SumEndpointStates reads rows of (enabled, disabled reason, count), as
// both stores' CountEndpointStates query them, into counts by EndpointState.
func SumEndpointStates(rows Rows) (map[string]int, error) {
	out := map[string]int{}
	for rows.Next() {
		var enabled bool
		var reason string
		var n int
		if err := rows.Scan(&enabled, &reason, &n); err != nil {
			return nil, err
		}
		out[EndpointState(enabled, reason)] += n
	}
	return out, rows.Err()
}

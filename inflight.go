package hookd

import (
	"fmt"
	"math"
	"time"
)

// How many requests a tenant and an endpoint may have in flight. Both are
// counted from live leases in the database, so they hold across every
// worker and node.
const (
	// MaxTenantMaxInFlight bounds a tenant's own max_in_flight.
	MaxTenantMaxInFlight = 100000
	// DefaultWorkers is a node's delivery requests in flight at once
	// unless configured (--workers).
	DefaultWorkers = 256
)

// DefaultTenantMaxInFlight is the in-flight cap of a tenant without its
// own, given a node's worker count: half the workers (at least 1). One
// tenant whose receivers never answer then holds at most half of a node's
// workers, and leaves every other tenant at least as many as that tenant
// could use itself; the claim's levelling (ShareClaims) gives freed workers
// to the tenants holding fewest. Several hostile tenants together hold up
// to their caps' sum: deployments with many untrusted tenants lower it.
func DefaultTenantMaxInFlight(workers int) int { return max(1, workers/2) }

// NewTenantLoad is a tenant's standing in a claim: held requests in
// flight, under its own cap, or the deployment's default when it has none
// (own 0); with neither, it is not bounded.
func NewTenantLoad(held, own, deploymentDefault int) TenantLoad {
	limit := own
	if limit <= 0 {
		limit = deploymentDefault
	}
	if limit <= 0 {
		return TenantLoad{Held: held, Room: math.MaxInt}
	}
	return TenantLoad{Held: held, Room: max(0, limit-held)}
}

// DefaultMaxEndpointInFlight is the largest max_in_flight an endpoint may
// set, given a node's worker count: a quarter of the workers (at least 1),
// so one endpoint holds at most half of its tenant's default cap.
func DefaultMaxEndpointInFlight(workers int) int { return max(1, workers/4) }

// NewEndpointMaxInFlight is the max_in_flight of a new endpoint that sets
// none: DefaultMaxInFlight, or the deployment's maximum when lower.
func NewEndpointMaxInFlight(maximum int) int { return max(1, min(DefaultMaxInFlight, maximum)) }

// CheckMaxInFlight validates a per-endpoint concurrency bound against the
// deployment's maximum (--max-endpoint-in-flight).
func CheckMaxInFlight(v *Validation, field string, n, maximum int) {
	if n < 1 || n > maximum {
		v.Add(field, "must be between 1 and %d", maximum)
	}
}

// CheckTenantMaxInFlight validates a tenant's own in-flight cap.
func CheckTenantMaxInFlight(v *Validation, field string, n int) {
	if n < 1 || n > MaxTenantMaxInFlight {
		v.Add(field, "must be between 1 and %d, or null for the deployment default", MaxTenantMaxInFlight)
	}
}

// Test events ("send a test event" in the API and the dashboard) are
// limited per endpoint and per tenant over a sliding window, counted from
// the stored test events, so the limit holds across nodes.
const (
	TestEventWindow       = time.Minute
	TestEventsPerEndpoint = 10
	TestEventsPerTenant   = 60
)

// RecentTests is what a store counted of the test events created in the
// TestEventWindow before now: how many, and when the oldest was.
type RecentTests struct {
	Count  int
	Oldest time.Time
}

// CheckTestEventRate says whether one more test event may go now, given
// the endpoint's and the tenant's recent test events. Otherwise it returns
// an ERATELIMITED error whose RetryAfter is when the window has room again.
func CheckTestEventRate(now time.Time, endpoint, tenant RecentTests) error {
	var worst *Error
	for _, c := range []struct {
		r     RecentTests
		limit int
		whose string
	}{{endpoint, TestEventsPerEndpoint, "endpoint"}, {tenant, TestEventsPerTenant, "tenant"}} {
		if c.r.Count < c.limit {
			continue
		}
		after := max(c.r.Oldest.Add(TestEventWindow).Sub(now), time.Second)
		if worst == nil || after > worst.RetryAfter {
			worst = &Error{Code: ERATELIMITED, RetryAfter: after}
			worst.Message = fmt.Sprintf("at most %d test events per %s per minute; try again in %d s",
				c.limit, c.whose, worst.RetryAfterSeconds())
		}
	}
	if worst == nil {
		return nil
	}
	return worst
}

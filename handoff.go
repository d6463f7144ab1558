package hookd

import (
	"slices"
	"time"
)

// Lease asks a publish to hand its new deliveries to the caller (the
// publishing node's dispatcher): up to Max of them are created already
// leased, exactly as a claim would lease them (lease end = now + endpoint
// timeout + Grace), and returned as jobs, so a fresh event costs no claim
// and no second read of its payload. Max 0 hands nothing off.
type Lease struct {
	Max               int           // free worker slots the caller reserved
	Grace             time.Duration // beyond the endpoint's timeout, as ClaimDeliveries' leaseGrace
	TenantMaxInFlight int           // as ClaimDeliveries' tenantMaxInFlight
}

// LeaseEnd is when a lease taken at now runs out: the endpoint's timeout
// (DefaultTimeout when it has none: the dispatcher pads its grace for a
// longer deployment timeout) plus the grace.
func LeaseEnd(now time.Time, timeout, grace time.Duration) time.Time {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return now.Add(timeout + grace)
}

// HandOffEndpoint is what a store read, in the publish's transaction, of an
// endpoint with new pending deliveries.
type HandOffEndpoint struct {
	ID string
	// Room is its max_in_flight minus its live leases (every node's).
	Room int
	// Backlog is set when older due deliveries of it wait for a claim:
	// the fresh ones then wait their turn behind them.
	Backlog bool
	// RateLimit is requests per second (0: none) and Tokens what its bucket
	// holds now (refilled, RefillTokens).
	RateLimit int
	Tokens    float64
	// Locked is set when another transaction holds the endpoint (or its
	// tenant) row: a publish never waits for a claim, it hands nothing off.
	Locked bool
}

// PlanHandOff marks which new pending deliveries (of plans, in order) the
// publish leases to its caller, given each endpoint's standing (by id), the
// tenant's load and lease.Max, and returns the tokens each rate-limited
// endpoint spent. Shares are those of ShareClaims, so per-endpoint
// max_in_flight, rate limits and the tenant cap hold as under a claim.
func PlanHandOff(plans []PlannedEvent, endpoints map[string]HandOffEndpoint, tenant TenantLoad, lease Lease) (spent map[string]int) {
	if lease.Max <= 0 {
		return nil
	}
	var order []string
	fresh := map[string]int{}
	for _, p := range plans {
		for _, d := range p.Deliveries {
			if d.Status != StatusPending {
				continue
			}
			if fresh[d.EndpointID] == 0 {
				order = append(order, d.EndpointID)
			}
			fresh[d.EndpointID]++
		}
	}
	cands := make([]ClaimCandidate, len(order))
	for i, id := range order {
		e, ok := endpoints[id]
		room := 0
		if ok && !e.Locked && !e.Backlog {
			room = min(e.Room, fresh[id])
			if e.RateLimit > 0 {
				room = min(room, int(e.Tokens))
			}
		}
		cands[i] = ClaimCandidate{TenantID: "t", Room: max(0, room)}
	}
	takes := ShareClaims(cands, map[string]TenantLoad{"t": tenant}, lease.Max)
	left := map[string]int{}
	for i, id := range order {
		left[id] = takes[i]
	}
	spent = map[string]int{}
	for i := range plans {
		for j := range plans[i].Deliveries {
			d := &plans[i].Deliveries[j]
			if d.Status == StatusPending && left[d.EndpointID] > 0 {
				d.Leased = true
				left[d.EndpointID]--
				if endpoints[d.EndpointID].RateLimit > 0 {
					spent[d.EndpointID]++
				}
			}
		}
	}
	return spent
}

// HandOffEndpoints lists the endpoints of plans' pending deliveries, in
// ascending id order (the lock order of every writer).
func HandOffEndpoints(plans []PlannedEvent) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range plans {
		for _, d := range p.Deliveries {
			if d.Status == StatusPending && !seen[d.EndpointID] {
				seen[d.EndpointID] = true
				out = append(out, d.EndpointID)
			}
		}
	}
	slices.Sort(out)
	return out
}

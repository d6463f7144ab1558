package hookd

import (
	"maps"
	"sync"
	"time"
)

// HandOff is a publishing node's offer to send the new deliveries of its
// publish itself (Store.PublishEvents): the store leases up to what the
// node reserves, in the publish's transaction and exactly as a claim would
// (PlanHandOff), and returns them as Jobs, so a fresh event costs no claim
// and no second read of its payload. What the store does not lease stays
// pending for the claim. A nil offer leases nothing.
type HandOff struct {
	Now               time.Time
	LeaseGrace        time.Duration
	TenantMaxInFlight int // as ClaimDeliveries' tenantMaxInFlight

	mu       sync.Mutex
	take     func(n int) int // takes up to n free workers, returns how many it took
	reserved int
	due      int // the most deliveries a Reserve asked workers for
	closed   bool
	// Jobs are the deliveries leased to this node, set when the publish
	// committed.
	Jobs []*Job
}

// NewHandOff returns an offer whose workers come from take, which must not
// block.
func NewHandOff(now time.Time, leaseGrace time.Duration, tenantMaxInFlight int, take func(n int) int) *HandOff {
	return &HandOff{Now: now, LeaseGrace: leaseGrace, TenantMaxInFlight: tenantMaxInFlight, take: take}
}

// Reserve holds up to n workers for the publish, once the store knows how
// many deliveries are due, and says how many it holds. A publish retried
// in a new transaction asks again: the reservation only grows. After Close
// it holds none.
func (h *HandOff) Reserve(n int) int {
	if h == nil {
		return 0
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.due = max(h.due, n)
	if !h.closed && n > h.reserved {
		h.reserved += h.take(n - h.reserved)
	}
	if h.closed {
		return 0
	}
	return h.reserved
}

// Close ends the offer: it returns the jobs to send and how many reserved
// workers they leave unused (to give back). A store that reserves after
// Close (a publish whose caller gave up) leases nothing.
func (h *HandOff) Close() (jobs []*Job, unused int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	unused, h.reserved = max(0, h.reserved-len(h.Jobs)), 0
	return h.Jobs, unused
}

// Short reports whether the store leased fewer than the due deliveries it
// reserved workers for: the rest wait for the claim (no free workers, an
// endpoint or tenant at its limit, or, on PostgreSQL, a claim holding the
// tenant).
func (h *HandOff) Short() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.Jobs) < h.due
}

// EndpointLoad is an endpoint's standing at a claim or hand-off, read
// under its lock: its free in-flight slots (max_in_flight minus live
// leases) and its rate-limit bucket.
type EndpointLoad struct {
	TenantID   string
	Free       int
	RateLimit  int // requests per second; 0: none
	Tokens     float64
	SinceSpent time.Duration // since the bucket was last spent
	// Queued is set, at a hand-off, for a FIFO endpoint with deliveries
	// already waiting: new ones go behind them, to the claim.
	Queued bool
}

// Room is how many requests the endpoint may start now: its free slots,
// bounded by its bucket refilled for the time since it was spent (Tokens
// is what the bucket holds now, to spend from).
func (l EndpointLoad) Room() (room int, tokens float64) {
	if l.RateLimit <= 0 {
		return l.Free, l.Tokens
	}
	tokens = RefillTokens(l.Tokens, l.RateLimit, l.SinceSpent)
	return min(l.Free, int(tokens)), tokens
}

// PlanHandOff picks which of a publish's new deliveries its node leases at
// once: pending ones only, to endpoints in endpoints (those the store could
// lock; another node claiming one right now keeps it), at most as many as
// each endpoint's Room and its tenant's load allow, limit in all, shared
// between endpoints as ShareClaims shares a claim. It returns the picked
// deliveries' ids and how many each endpoint got. A FIFO endpoint's room
// is at most one (the stores cap it) and none while it has deliveries
// queued (OrderingFIFO), so only its first new delivery can go.
func PlanHandOff(ds []NewDelivery, endpoints map[string]EndpointLoad, tenants map[string]TenantLoad,
	limit int) (picked map[string]bool, perEndpoint map[string]int) {
	var order []string
	waiting := map[string]int{}
	for _, d := range ds {
		if l, ok := endpoints[d.EndpointID]; !ok || l.Queued || d.Status != StatusPending {
			continue
		}
		if waiting[d.EndpointID] == 0 {
			order = append(order, d.EndpointID)
		}
		waiting[d.EndpointID]++
	}
	cands := make([]ClaimCandidate, len(order))
	for i, id := range order {
		room, _ := endpoints[id].Room()
		cands[i] = ClaimCandidate{TenantID: endpoints[id].TenantID, Room: min(room, waiting[id])}
	}
	perEndpoint = map[string]int{}
	for i, n := range ShareClaims(cands, tenants, limit) {
		if n > 0 {
			perEndpoint[order[i]] = n
		}
	}
	picked = map[string]bool{}
	left := maps.Clone(perEndpoint)
	for _, d := range ds {
		if d.Status == StatusPending && left[d.EndpointID] > 0 {
			picked[d.ID] = true
			left[d.EndpointID]--
		}
	}
	return picked, perEndpoint
}

// LeftForClaim reports whether a publish with these results left
// deliveries for the claim, which must then be woken: some that offer (nil:
// no offer) did not take. Paused ones count too: waking for them costs a
// claim that finds nothing, where missing a due one would cost a poll.
func LeftForClaim(results []PublishResult, offer *HandOff) bool {
	made := 0
	for _, r := range results {
		if !r.Duplicate {
			made += r.Deliveries
		}
	}
	if offer == nil {
		return made > 0
	}
	offer.mu.Lock()
	defer offer.mu.Unlock()
	return made > len(offer.Jobs)
}

package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookd/hookd"
)

// handOff is one publish's hand-off in progress: its new due deliveries
// and the workers it reserved, then what hookd.PlanHandOff leased.
type handOff struct {
	offer  *hookd.HandOff
	fresh  []hookd.NewDelivery
	limit  int
	tenant *tenantHandOff
	token  string
	jobs   []*hookd.Job
	lease  map[string]*hookd.Job // by delivery id
}

// tenantHandOff is what the hand-offs of a group's publishes to one tenant
// share: the tenant's lock and one read of its and its endpoints' room,
// which each publish's plan spends from in turn, as if the earlier ones'
// leases were committed (a second read would not see them yet).
type tenantHandOff struct {
	reads *candidateReads
	now   time.Time      // of the reads: the buckets are refilled to it
	spent map[string]int // leases by endpoint, for the rate-limit buckets
}

// newHandOff reserves workers for a publish's new due deliveries; nil when
// there are none, or no worker is free.
func newHandOff(offer *hookd.HandOff, plans []hookd.PlannedEvent) *handOff {
	h := &handOff{offer: offer}
	for _, pl := range plans {
		for _, d := range pl.Deliveries {
			if pl.New && d.Status == hookd.StatusPending {
				h.fresh = append(h.fresh, d)
			}
		}
	}
	if len(h.fresh) == 0 {
		return nil
	}
	if h.limit = offer.Reserve(len(h.fresh)); h.limit == 0 {
		return nil
	}
	return h
}

// queueHandOffs queues, on b, for each tenant of hs, the lock of the
// tenant, FOR NO KEY UPDATE SKIP LOCKED, and the exact room of the tenant
// and of the endpoints of its new due deliveries under it, as a claim
// reads them (queueCandidates). While another node claims for the tenant
// the lock is skipped, so a publish never waits on a claim: its
// deliveries stay pending for the claim (this node's own claims and
// groups wait for each other instead: DB.leasing). tenants[i] is hs[i]'s.
func (db *DB) queueHandOffs(b *pgx.Batch, tenants []string, hs []*handOff) {
	endpoints := map[string][]string{}
	shared := map[string]*tenantHandOff{}
	var order []string
	for i, h := range hs {
		if h == nil {
			continue
		}
		t := tenants[i]
		if shared[t] == nil {
			shared[t] = &tenantHandOff{spent: map[string]int{}}
			order = append(order, t)
		}
		h.tenant = shared[t]
		for _, d := range h.fresh {
			if !slices.Contains(endpoints[t], d.EndpointID) {
				endpoints[t] = append(endpoints[t], d.EndpointID)
			}
		}
	}
	for i, h := range hs {
		if h != nil && h.tenant.reads == nil {
			h.tenant.now = ts(h.offer.Now)
			h.tenant.reads = db.queueCandidates(b, []string{tenants[i]}, endpoints[tenants[i]], h.tenant.now,
				h.offer.TenantMaxInFlight, true)
		}
	}
}

// plan decides what the tenant's reads allow this publish, less what the
// group's earlier publishes to it leased (hookd.PlanHandOff), spends it
// from them, and makes the jobs, once the batch has run.
func (h *handOff) plan(plans []hookd.PlannedEvent) error {
	if h == nil {
		return nil
	}
	r := h.tenant.reads
	if r.err != nil {
		return r.err
	}
	loads := map[string]hookd.EndpointLoad{}
	for id, c := range r.cands {
		if r.locked[c.tenantID] {
			loads[id] = c.load
		}
	}
	picked, spent := hookd.PlanHandOff(h.fresh, loads, r.loads, h.limit)
	h.tenant.spend(spent, h.fresh, picked)
	if len(picked) == 0 {
		return nil
	}
	h.token = newLeaseToken()
	h.lease = map[string]*hookd.Job{}
	for _, pl := range plans {
		for _, d := range pl.Deliveries {
			if !picked[d.ID] {
				continue
			}
			s := &r.cands[d.EndpointID].settings
			j := &hookd.Job{DeliveryID: d.ID, TenantID: r.cands[d.EndpointID].tenantID, EventID: pl.Result.ID,
				EventType: pl.Event.Type, EndpointID: d.EndpointID, Attempt: 1, RunAttempt: 1, Payload: pl.Event.Payload,
				CreatedAt: ts(pl.Event.CreatedAt), LeaseToken: h.token,
				URL: s.URL, Headers: s.Headers, Secrets: s.Secrets, RetrySchedule: s.RetrySchedule, Timeout: s.Timeout,
				SignatureScheme: s.SignatureScheme, TraceParent: pl.Event.TraceParent, Transformation: s.Transformation, Egress: s.Egress,
				Destination: s.Destination}
			h.jobs = append(h.jobs, j)
			h.lease[d.ID] = j
		}
	}
	return nil
}

// spend takes what one publish leased from the tenant's reads: the
// endpoints' free slots and bucket tokens and the tenant's room. A FIFO
// endpoint that kept a new delivery pending is queued from then on: the
// group's later ones go behind it.
func (t *tenantHandOff) spend(perEndpoint map[string]int, fresh []hookd.NewDelivery, picked map[string]bool) {
	r := t.reads
	for id, n := range perEndpoint {
		c := r.cands[id]
		c.load.Free -= n
		if c.load.RateLimit > 0 {
			c.tokens -= float64(n)
			c.load.Tokens, c.load.SinceSpent = c.tokens, 0
		}
		c.room, _ = c.load.Room()
		t.spent[id] += n
		if l, ok := r.loads[c.tenantID]; ok {
			l.Held += n
			l.Room -= n
			r.loads[c.tenantID] = l
		}
	}
	for _, d := range fresh {
		if c := r.cands[d.EndpointID]; c != nil && c.fifo && !picked[d.ID] {
			c.load.Queued = true
		}
	}
}

// leaseOf is the lease token and end (its due time) of a delivery the
// hand-off leased; ok is false for the others.
func (h *handOff) leaseOf(deliveryID string) (token string, end time.Time, ok bool) {
	if h == nil || h.lease[deliveryID] == nil {
		return "", time.Time{}, false
	}
	j := h.lease[deliveryID]
	return h.token, hookd.LeaseEnd(ts(h.offer.Now), j.Timeout, h.offer.LeaseGrace), true
}

// spendTokens takes what the group leased from the endpoints' rate-limit
// buckets, once per tenant.
func spendTokens(ctx context.Context, tx pgx.Tx, hs []*handOff) error {
	var b pgx.Batch
	done := map[*tenantHandOff]bool{}
	for _, h := range hs {
		if h == nil || h.tenant == nil || done[h.tenant] {
			continue
		}
		done[h.tenant] = true
		for id, n := range h.tenant.spent {
			if c := h.tenant.reads.cands[id]; n > 0 && c.load.RateLimit > 0 {
				b.Queue(qSpendTokens, c.tokens, h.tenant.now, id)
			}
		}
	}
	if b.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return fmt.Errorf("spend rate tokens: %w", err)
	}
	return nil
}

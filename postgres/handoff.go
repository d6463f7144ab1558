package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookd/hookd"
)

// handOff is a hand-off at publish in progress: the locks and reads it
// queued on the publish's insert batch, then what hookd.PlanHandOff leased.
type handOff struct {
	offer *hookd.HandOff
	fresh []hookd.NewDelivery
	reads *candidateReads
	limit int
	token string
	jobs  []*hookd.Job
	lease map[string]*hookd.Job // by delivery id
	spent map[string]int        // leases by endpoint
}

// queueHandOff queues, on b, the lock of the publish's tenant, FOR NO KEY
// UPDATE SKIP LOCKED, and the exact room of the tenant and of the
// endpoints of its new due deliveries under it, as a claim reads them
// (queueCandidates). While another node claims for the tenant the lock is
// skipped, so a publish never waits on a claim: its deliveries stay pending
// for the claim. nil when there is nothing to hand off.
func (db *DB) queueHandOff(b *pgx.Batch, tenantID string, offer *hookd.HandOff, plans []hookd.PlannedEvent) *handOff {
	h := &handOff{offer: offer}
	var endpoints []string
	for _, pl := range plans {
		for _, d := range pl.Deliveries {
			if pl.New && d.Status == hookd.StatusPending {
				h.fresh = append(h.fresh, d)
				endpoints = append(endpoints, d.EndpointID)
			}
		}
	}
	if len(h.fresh) == 0 {
		return nil
	}
	if h.limit = offer.Reserve(len(h.fresh)); h.limit == 0 {
		return nil
	}
	h.reads = db.queueCandidates(b, []string{tenantID}, endpoints, ts(offer.Now), offer.TenantMaxInFlight, true)
	return h
}

// plan decides what the batch's reads allow (hookd.PlanHandOff) and makes
// the jobs, once the batch has run.
func (h *handOff) plan(plans []hookd.PlannedEvent) error {
	if h == nil {
		return nil
	}
	if h.reads.err != nil {
		return h.reads.err
	}
	loads := map[string]hookd.EndpointLoad{}
	for id, c := range h.reads.cands {
		if h.reads.locked[c.tenantID] {
			loads[id] = c.load
		}
	}
	picked, spent := hookd.PlanHandOff(h.fresh, loads, h.reads.loads, h.limit)
	h.spent = spent
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
			s := &h.reads.cands[d.EndpointID].settings
			j := &hookd.Job{DeliveryID: d.ID, TenantID: h.reads.cands[d.EndpointID].tenantID, EventID: pl.Result.ID,
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

// leaseOf is the lease token and end (its due time) of a delivery the
// hand-off leased; ok is false for the others.
func (h *handOff) leaseOf(deliveryID string) (token string, end time.Time, ok bool) {
	if h == nil || h.lease[deliveryID] == nil {
		return "", time.Time{}, false
	}
	j := h.lease[deliveryID]
	return h.token, hookd.LeaseEnd(ts(h.offer.Now), j.Timeout, h.offer.LeaseGrace), true
}

// spendTokens takes what was leased from the endpoints' rate-limit buckets.
func (h *handOff) spendTokens(ctx context.Context, tx pgx.Tx) error {
	if h == nil {
		return nil
	}
	var b pgx.Batch
	for id, n := range h.spent {
		if c := h.reads.cands[id]; c.load.RateLimit > 0 {
			b.Queue(qSpendTokens, c.tokens-float64(n), ts(h.offer.Now), id)
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

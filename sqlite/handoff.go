package sqlite

import (
	"fmt"
	"time"

	"github.com/hookd/hookd"
)

// lease is a new delivery leased at publish to the publishing node.
type lease struct {
	token string
	end   int64
}

// handOff leases to the publishing node what it reserves of the plans' new
// deliveries (hookd.PlanHandOff), reading each endpoint's room and its
// tenant's load in the publish's transaction: SQLite has one writer, so
// nothing changes them before the commit, and the publishes earlier in the
// same group commit count. The deliveries are then inserted leased, one
// write instead of an insert and a lease.
func (p *publishTx) handOff(offer *hookd.HandOff, plans []hookd.PlannedEvent) (map[string]lease, []*hookd.Job, error) {
	var fresh []hookd.NewDelivery
	for _, pl := range plans {
		for _, d := range pl.Deliveries {
			if pl.New && d.Status == hookd.StatusPending {
				fresh = append(fresh, d)
			}
		}
	}
	if len(fresh) == 0 {
		return nil, nil, nil
	}
	limit := offer.Reserve(len(fresh))
	if limit == 0 {
		return nil, nil, nil
	}
	now := ms(offer.Now)
	loads := map[string]hookd.EndpointLoad{}
	timeouts := map[string]time.Duration{}
	for _, d := range fresh {
		if _, ok := loads[d.EndpointID]; ok {
			continue
		}
		var l hookd.EndpointLoad
		var timeoutMs, updated int64
		if err := p.db.queryRow(p.ctx, p.tx, qEndpointLoad, d.EndpointID, now).
			Scan(&l.TenantID, &l.Free, &timeoutMs, &l.RateLimit, &l.Tokens, &updated, &l.Queued); err != nil {
			return nil, nil, fmt.Errorf("read endpoint load: %w", err)
		}
		l.SinceSpent = time.Duration(now-updated) * time.Millisecond
		loads[d.EndpointID], timeouts[d.EndpointID] = l, time.Duration(timeoutMs)*time.Millisecond
	}
	var own, held int
	if err := p.db.queryRow(p.ctx, p.tx, qTenantLoad, p.tenantID, now).Scan(&own, &held); err != nil {
		return nil, nil, fmt.Errorf("read tenant load: %w", err)
	}
	tenants := map[string]hookd.TenantLoad{p.tenantID: hookd.NewTenantLoad(held, own, offer.TenantMaxInFlight)}
	picked, spent := hookd.PlanHandOff(fresh, loads, tenants, limit)
	if len(picked) == 0 {
		return nil, nil, nil
	}
	token := newLeaseToken()
	leases := map[string]lease{}
	var jobs []*hookd.Job
	settings := map[string]*hookd.Job{}
	for _, pl := range plans {
		for _, d := range pl.Deliveries {
			if !picked[d.ID] {
				continue
			}
			leases[d.ID] = lease{token: token, end: ms(hookd.LeaseEnd(offer.Now, timeouts[d.EndpointID], offer.LeaseGrace))}
			j := &hookd.Job{DeliveryID: d.ID, TenantID: p.tenantID, EventID: pl.Result.ID, EventType: pl.Event.Type,
				EndpointID: d.EndpointID, Attempt: 1, RunAttempt: 1, Payload: pl.Event.Payload,
				CreatedAt: fromMs(ms(pl.Event.CreatedAt)), LeaseToken: token, TraceParent: pl.Event.TraceParent}
			if err := p.db.fillJob(p.ctx, p.tx, j, settings); err != nil {
				return nil, nil, err
			}
			jobs = append(jobs, j)
		}
	}
	for id, n := range spent {
		if l := loads[id]; l.RateLimit > 0 {
			_, tokens := l.Room()
			if err := p.exec(qSpendTokens, tokens-float64(n), now, id); err != nil {
				return nil, nil, fmt.Errorf("spend rate tokens: %w", err)
			}
		}
	}
	return leases, jobs, nil
}

package dispatch

import (
	"context"
	"go.opentelemetry.io/otel/trace"
	"time"

	"github.com/hookd/hookd"
)

// Offer returns a hand-off offer for a publish on this node: the store
// reserves free workers through it once it knows how many deliveries the
// publish makes due, leases them to this node in the publish's
// transaction, and Hand sends them. A claim that runs meanwhile sees fewer
// free workers, never more than Workers in all. nil while the dispatcher
// is not running, and while due work waits that the claim could not take
// (a saturated node): then new deliveries queue behind it (oldest first,
// as the claim takes them), and the node's publishes take no lock its
// claims would wait for. A paced node keeps handing off only because its
// publishes rarely miss: a miss leaves work for a claim, which the claim
// after it finds due, shutting the gate for the next publishes, which miss
// in turn. So a claim holds no workers while it waits for the database
// (waitFree), and on PostgreSQL this node's claims and hand-offs do not
// skip each other's tenant locks (DB.leasing); without both, 30-70% of a
// paced PostgreSQL node's deliveries went through the claim.
func (d *Dispatcher) Offer() *hookd.HandOff {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.running || d.backlog.Load() {
		return nil
	}
	return hookd.NewHandOff(time.Now(), d.cfg.LeaseGrace, d.cfg.TenantInFlight, d.reserve)
}

// reserve takes up to n free workers without waiting.
func (d *Dispatcher) reserve(n int) int {
	for got := range n {
		select {
		case <-d.slots:
		default:
			return got
		}
	}
	return n
}

// Hand sends the jobs the store leased for offer exactly as claimed ones
// (send, judge, record under their lease token) and frees the workers it
// reserved and did not use. It returns how many jobs it took. Call it after
// every publish given an offer, failed or not; nil is no offer. Once the
// dispatcher stops, leased jobs are released to go again at once.
func (d *Dispatcher) Hand(offer *hookd.HandOff) int {
	if offer == nil {
		return 0
	}
	jobs, unused := offer.Close()
	d.returnSlots(unused)
	if offer.Short() {
		// Its deliveries wait behind a limit: the next publishes leave
		// theirs to the claim too, instead of each reading the same full
		// endpoint in its transaction, until a claim finds no due work
		// waiting (untilNextDue). A saturated SQLite node spent a fifth of
		// its publishes' store time on such reads.
		d.backlog.Store(true)
	}
	if len(jobs) == 0 {
		return 0
	}
	d.mu.Lock()
	if !d.running {
		d.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := d.store.ReleaseDeliveries(ctx, jobs); err != nil {
			d.cfg.Logger.Warn("release handed-off deliveries; they will be retried after their lease", "deliveries", len(jobs), "err", err)
		}
		d.returnSlots(len(jobs))
		return 0
	}
	d.inFlight.Add(len(jobs))
	d.mu.Unlock()
	for _, job := range jobs {
		go func() {
			defer d.inFlight.Done()
			d.attempt(d.attemptCtx, job, trace.SpanContext{}) // no claim to link: the publish's trace is the job's
		}()
	}
	return len(jobs)
}

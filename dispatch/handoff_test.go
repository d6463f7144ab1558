package dispatch

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/receivertest"
)

// claimCounter is the store, counting the deliveries claims leased.
type claimCounter struct {
	hookd.Store
	claimed atomic.Int64
}

func (c *claimCounter) ClaimDeliveries(ctx context.Context, now time.Time, limit int, grace time.Duration, tenantMax int) ([]*hookd.Job, error) {
	jobs, err := c.Store.ClaimDeliveries(ctx, now, limit, grace, tenantMax)
	c.claimed.Add(int64(len(jobs)))
	return jobs, err
}

// TestHandOffDeliversWithoutClaim: events published with the dispatcher's
// offer reach a real receiver once each, and no claim leased any of them.
func TestHandOffDeliversWithoutClaim(t *testing.T) {
	url, receivedOnce := receivertest.Counting(t)
	e := newEngineStore(t)
	ep := e.endpoint(t, url, 4)
	store := &claimCounter{Store: e.store}
	// A poll that never comes in the test: only a wake-up would claim.
	d := startEngineWith(t, store, Config{PollInterval: time.Hour})
	waitRunning(t, d)

	const events = 30
	for i := range events {
		offer := d.Offer()
		if offer == nil {
			t.Fatal("a running dispatcher made no offer")
		}
		_, err := store.PublishEvents(t.Context(), e.tenant, []hookd.NewEvent{{Type: "x", Payload: []byte(`{}`), RequestHash: "h",
			CreatedAt: time.Now()}}, offer)
		handed := d.Hand(offer)
		if err != nil {
			t.Fatal(err)
		}
		if handed != 1 {
			t.Fatalf("a publish with 16 free workers handed off %d deliveries, want 1", handed)
		}
		e.waitStatus(t, ep, hookd.StatusDelivered, i+1) // this one recorded: the endpoint's 4 slots never fill
	}
	e.waitStatus(t, ep, hookd.StatusDelivered, events)
	receivedOnce(events)
	if n := store.claimed.Load(); n != 0 {
		t.Errorf("claims leased %d deliveries; every one was handed off", n)
	}
}

// TestHandOffUnusedWorkersReturn: an offer the store leases nothing for
// gives every reserved worker back, and a dispatcher that is not running
// makes no offer. The 16 due deliveries it reserved for were left to the
// claim, so no offer is made until a claim finds no due work waiting.
func TestHandOffUnusedWorkersReturn(t *testing.T) {
	e := newEngineStore(t)
	d := New(e.store, Config{Workers: 3})
	if d.Offer() != nil {
		t.Fatal("a dispatcher that is not running made an offer")
	}
	d = startEngine(t, e.store)
	waitRunning(t, d)
	offer := d.Offer()
	if got := offer.Reserve(16); got != 16 {
		t.Fatalf("reserved %d of 16 free workers", got)
	}
	if got := d.Offer().Reserve(1); got != 0 {
		t.Errorf("with every worker reserved, another offer got %d", got)
	}
	d.Hand(offer)
	if d.Offer() != nil {
		t.Error("an offer was made while the deliveries the last one left wait for a claim")
	}
	d.Notify() // what the API does for deliveries left to the claim
	deadline := time.Now().Add(10 * time.Second)
	for d.Offer() == nil {
		if time.Now().After(deadline) {
			t.Fatal("no offer after a claim found no due work")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := d.Offer().Reserve(16); got != 16 {
		t.Errorf("after Hand gave them back, an offer got %d of 16", got)
	}
}

// waitRunning waits until Run has started and its loop is asleep with every
// worker free.
func waitRunning(t *testing.T, d *Dispatcher) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d.mu.Lock()
		running := d.running
		d.mu.Unlock()
		if running && len(d.slots) == cap(d.slots) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("dispatcher not running")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// heldClaim is the store, with each claim waiting at its start until the
// test lets it go on.
type heldClaim struct {
	hookd.Store
	entered, proceed chan struct{}
}

func (h *heldClaim) ClaimDeliveries(ctx context.Context, now time.Time, limit int, grace time.Duration, tenantMax int) ([]*hookd.Job, error) {
	select {
	case h.entered <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case <-h.proceed:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return h.Store.ClaimDeliveries(ctx, now, limit, grace, tenantMax)
}

// TestClaimHoldsNoWorkers: while a claim waits for the database, a publish
// still gets workers for its hand-off; when the claim then leases more
// than the workers left free, what it cannot start goes back and is
// delivered once workers free up, each delivery once.
func TestClaimHoldsNoWorkers(t *testing.T) {
	url, receivedOnce := receivertest.Counting(t)
	e := newEngineStore(t)
	ep := e.endpoint(t, url, 16)
	store := &heldClaim{Store: e.store, entered: make(chan struct{}), proceed: make(chan struct{})}
	// Three deliveries for the claim (no offer): the first, on start, which
	// then waits.
	for range 3 {
		if _, err := e.store.PublishEvents(t.Context(), e.tenant, []hookd.NewEvent{{Type: "x", Payload: []byte(`{}`), RequestHash: "h",
			CreatedAt: time.Now()}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	d := startEngineWith(t, store, Config{PollInterval: time.Hour})
	<-store.entered // Run is running: its loop claims
	offer := d.Offer()
	if offer == nil {
		t.Fatal("no offer while a claim waits for the database")
	}
	if n := offer.Reserve(16); n != 16 {
		t.Fatalf("a publish during a claim reserved %d of 16 free workers", n)
	}
	store.proceed <- struct{}{} // the claim leases the three, with no worker left to start them
	go func() {
		for range store.entered { // the claims after it go straight on
			store.proceed <- struct{}{}
		}
	}()
	time.Sleep(50 * time.Millisecond)
	d.Hand(offer) // leased nothing: its 16 workers go back
	e.waitStatus(t, ep, hookd.StatusDelivered, 3)
	receivedOnce(3)
}

package e2e

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookd/hookd/client"
)

// answerCounter is an http.RoundTripper over the default transport that
// counts answers by status (0: no answer, e.g. connection refused).
type answerCounter struct {
	mu sync.Mutex
	n  map[int]int
}

func (a *answerCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	status := 0
	if err == nil {
		status = resp.StatusCode
	}
	a.mu.Lock()
	if a.n == nil {
		a.n = map[int]int{}
	}
	a.n[status]++
	a.mu.Unlock()
	return resp, err
}

func (a *answerCounter) count(status int) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n[status]
}

// patient retries for long enough to outlast the tests' outages.
var patient = client.WithRetry(client.RetryPolicy{MaxAttempts: 60, MinBackoff: 100 * time.Millisecond, MaxBackoff: 500 * time.Millisecond})

// TestGoClientRetriesStoreOutage publishes with the client, without an
// idempotency key of its own, while hookd's link to PostgreSQL is a black
// hole (the store's deadline passes: 503), and heals it: the client's
// retries carry the key it made for the call, the publish succeeds, and
// exactly one event exists and is delivered once.
func TestGoClientRetriesStoreOutage(t *testing.T) {
	t.Parallel()
	proxy, h, ten, rcv := proxiedNode(t, "--db-timeout", "1s")
	answers := &answerCounter{}
	c := newGoClient(t, h.url, h.key, &http.Client{Transport: answers}, patient)

	proxy.setBlackHole(true)
	healed := make(chan struct{})
	go func() {
		defer close(healed)
		for answers.count(http.StatusServiceUnavailable) < 2 {
			time.Sleep(50 * time.Millisecond)
		}
		proxy.setBlackHole(false)
	}()
	res, err := c.Publish(context.Background(), ten, client.EventInput{Type: typeCreated, Data: map[string]int{"n": 1}})
	<-healed
	if err != nil {
		t.Fatalf("publish through the outage: %v (answers %v)", err, answers.n)
	}
	if n := answers.count(http.StatusServiceUnavailable); n < 2 {
		t.Fatalf("the publish met %d 503s; the outage did not happen", n)
	}
	rcv.waitAllArrived(t, []string{res.ID}, 30*time.Second)
	quiet(2 * time.Second) // room for a duplicate to arrive, if there were one

	p, err := c.ListDeliveries(context.Background(), ten, client.DeliveryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	rcv.mu.Lock()
	arrived := len(rcv.arrived)
	rcv.mu.Unlock()
	if len(p.Data) != 1 || p.Data[0].EventID != res.ID || arrived != 1 {
		t.Errorf("after the outage: %d deliveries stored (want 1, of %s), %d events arrived (want 1)", len(p.Data), res.ID, arrived)
	}
	if _, dups := rcv.missing([]string{res.ID}); dups != 0 {
		t.Errorf("%d duplicate deliveries", dups)
	}
	t.Logf("answers during the publish: %v; result %+v", answers.n, res)
}

// TestGoClientConnectionRefused publishes while hookd is down and starts
// it on the same address: the client retries the refused connections and
// the event is published once.
func TestGoClientConnectionRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})
	ten := f.tenant()
	rcv := newReceiver(t, 200)
	f.endpoint(ten, rcv.URL, nil)
	addr := strings.TrimPrefix(f.h.url, "http://")
	if err := f.h.stop(); err != nil {
		t.Fatalf("stop hookd: %v", err)
	}

	answers := &answerCounter{}
	c := newGoClient(t, f.h.url, f.h.key, &http.Client{Transport: answers}, patient)
	started := make(chan *hookdProc, 1)
	go func() {
		for answers.count(0) < 2 {
			time.Sleep(20 * time.Millisecond)
		}
		started <- startHookd(t, config{db: f.h.db, extraArgs: []string{"--addr", addr}})
	}()
	res, err := c.Publish(context.Background(), ten, client.EventInput{Type: typeCreated, Data: map[string]int{"n": 1}})
	h := <-started
	if err != nil {
		t.Fatalf("publish while hookd starts: %v (answers %v)", err, answers.n)
	}
	if answers.count(0) < 2 || answers.count(http.StatusAccepted) != 1 {
		t.Fatalf("answers %v: want refused connections, then one 202", answers.n)
	}
	rcv.waitRequests(t, 1)
	quiet(time.Second)
	if got := len(rcv.requests()); got != 1 {
		t.Errorf("%d deliveries arrived, want 1", got)
	}
	p, err := newGoClient(t, h.url, h.key, http.DefaultClient).ListDeliveries(context.Background(), ten, client.DeliveryQuery{})
	if err != nil || len(p.Data) != 1 || p.Data[0].EventID != res.ID {
		t.Errorf("deliveries stored: %+v, %v; want one, of %s", p, err, res.ID)
	}
}

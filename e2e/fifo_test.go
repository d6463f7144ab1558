package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/hookd/internal/pgtest"
)

// orderReceiver answers 503 to the head event (headID) until it has failed
// it minFails times and the test lets it pass, and 503 once to each event
// of failOnce; 204 otherwise. It records the webhook-id of every request in
// arrival order and the most requests it had in progress at once.
type orderReceiver struct {
	*httptest.Server
	headID   string
	minFails int
	failOnce map[string]bool
	pass     atomic.Bool // the head may succeed (after minFails)
	mu       sync.Mutex
	arrivals []string
	failed   map[string]int
	now      int
	peak     int
}

func newOrderReceiver(t *testing.T, headID string, minFails int, failOnce map[string]bool) *orderReceiver {
	r := &orderReceiver{headID: headID, minFails: minFails, failOnce: failOnce, failed: map[string]int{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		id := req.Header.Get("webhook-id")
		r.mu.Lock()
		r.arrivals = append(r.arrivals, id)
		r.now++
		r.peak = max(r.peak, r.now)
		fail := id == r.headID && (r.failed[id] < r.minFails || !r.pass.Load()) || r.failOnce[id] && r.failed[id] == 0
		if fail {
			r.failed[id]++
		}
		r.mu.Unlock()
		time.Sleep(5 * time.Millisecond) // a request overlapping another would show in peak
		r.mu.Lock()
		r.now--
		r.mu.Unlock()
		if fail {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *orderReceiver) headFailures() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed[r.headID]
}

// waitDelivered waits until every id of want was answered with success
// (the failures it was to get, then one more request).
func (r *orderReceiver) waitDelivered(t *testing.T, want []string, timeout time.Duration) {
	t.Helper()
	eventually(t, timeout, func() (bool, string) {
		r.mu.Lock()
		defer r.mu.Unlock()
		got := map[string]int{}
		for _, id := range r.arrivals {
			got[id]++
		}
		for _, id := range want {
			if got[id] <= r.failed[id] {
				return false, fmt.Sprintf("event %s: %d requests, %d failed: not delivered yet (%d requests in all)",
					id, got[id], r.failed[id], len(r.arrivals))
			}
		}
		return true, ""
	})
}

// checkOrder holds the arrivals to FIFO: each event's requests (its failed
// attempts, then its success) come together, in publish order, one request
// at a time.
func (r *orderReceiver) checkOrder(t *testing.T, want []string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	runs := slices.Compact(slices.Clone(r.arrivals))
	if !slices.Equal(runs, want) {
		t.Errorf("arrivals by event, in order: %v\nwant the publish order: %v", runs, want)
	}
	if r.peak != 1 {
		t.Errorf("the receiver had %d requests in progress at once; a FIFO endpoint sends one at a time", r.peak)
	}
	if r.failed[r.headID] < r.minFails {
		t.Errorf("the head failed %d times, want at least %d", r.failed[r.headID], r.minFails)
	}
}

// fifoEndpoint is the create request of a FIFO endpoint to url whose
// max_in_flight would allow more, with short retries.
func fifoEndpoint() map[string]any {
	return map[string]any{"ordering": "fifo", "max_in_flight": 5,
		"retry_schedule": []string{"1s", "1s", "1s", "1s", "1s", "1s", "1s", "1s"}}
}

// TestFIFOOrder publishes events one after the other to a FIFO endpoint
// whose receiver fails the first one several times: the rest wait for it
// ("waiting for" it on the API), then arrive in publish order, one at a
// time; an unordered endpoint of the same tenant, failing the same event,
// gets the rest meanwhile.
func TestFIFOOrder(t *testing.T) {
	onStores(t, func(t *testing.T, c config) {
		f := newFixture(t, c)
		ten := f.tenant()
		const events = 12
		ids := make([]string, events)
		for i := range ids {
			ids[i] = fmt.Sprintf("fifo-%02d", i)
		}
		ordered := newOrderReceiver(t, ids[0], 3, map[string]bool{ids[4]: true, ids[9]: true})
		plain := newOrderReceiver(t, ids[0], 3, nil)
		ep, _ := f.endpoint(ten, ordered.URL, fifoEndpoint())
		if ep.Ordering != "fifo" {
			t.Fatalf("created endpoint has ordering %q, want fifo", ep.Ordering)
		}
		f.endpoint(ten, plain.URL, map[string]any{"max_in_flight": 5, "retry_schedule": []string{"1s", "1s", "1s", "1s", "1s"}})
		client := &http.Client{Timeout: 10 * time.Second}
		for _, id := range ids {
			if code := publishOne(client, f.h.url, f.h.key, ten, id); code != http.StatusAccepted {
				t.Fatalf("publish %s: status %d", id, code)
			}
		}
		// The unordered endpoint does not wait for its failing head.
		plain.waitDelivered(t, ids[1:], 20*time.Second)
		eventually(t, 20*time.Second, func() (bool, string) {
			n := ordered.headFailures()
			return n >= 3, fmt.Sprintf("the head failed %d times, want 3", n)
		})
		head := f.deliveries(ten, "?event="+ids[0]+"&endpoint="+ep.ID)[0]
		for _, id := range ids[1:] {
			if d := f.deliveries(ten, "?event="+id+"&endpoint="+ep.ID)[0]; d.WaitingFor != head.ID || d.AttemptCount != 0 {
				t.Errorf("delivery of %s: waiting_for %q after %d attempts, want %s (the head) and none", id, d.WaitingFor, d.AttemptCount, head.ID)
			}
		}
		ordered.pass.Store(true)
		ordered.waitDelivered(t, ids, 60*time.Second)
		ordered.checkOrder(t, ids)
		if d := f.deliveries(ten, "?event="+ids[events-1]+"&endpoint="+ep.ID)[0]; d.WaitingFor != "" {
			t.Errorf("a delivered delivery waits for %q", d.WaitingFor)
		}
	})
}

// TestPostgresFIFOThreeNodes runs three nodes on one database and publishes
// one event after the other through each in turn to a FIFO endpoint whose
// receiver fails the head several times and some later events once: the
// nodes share one head per endpoint (the claim's endpoint lock, the
// hand-off's tenant lock), so the events still arrive in publish order,
// one at a time, whichever node sends each attempt.
func TestPostgresFIFOThreeNodes(t *testing.T) {
	dbURL := pgtest.Database(t, os.Getenv(pgtest.EnvVar))
	key := newKey(t)
	nodes := []*hookdProc{pgNode(t, "serve", dbURL, key), pgNode(t, "serve", dbURL, key), pgNode(t, "serve", dbURL, key)}
	f := &fixture{t: t, h: nodes[0], admin: nodes[0].admin(), seq: new(atomic.Int64)}
	f.admin.must(t, 201, "POST", "/v1/event-types", map[string]any{"name": typeCreated}, nil)
	ten := f.tenant()
	const events = 30
	ids := make([]string, events)
	failOnce := map[string]bool{}
	for i := range ids {
		ids[i] = fmt.Sprintf("pgfifo-%02d", i)
		if i%4 == 3 {
			failOnce[ids[i]] = true
		}
	}
	rcv := newOrderReceiver(t, ids[0], 4, failOnce)
	rcv.pass.Store(true)
	f.endpoint(ten, rcv.URL, fifoEndpoint())
	client := &http.Client{Timeout: 10 * time.Second}
	for i, id := range ids {
		n := nodes[i%len(nodes)]
		if code := publishOne(client, n.url, n.key, ten, id); code != http.StatusAccepted {
			t.Fatalf("publish %s through node %d: status %d", id, i%len(nodes)+1, code)
		}
	}
	rcv.waitDelivered(t, ids, 120*time.Second)
	rcv.checkOrder(t, ids)
}

// TestRefusedOrdering: an ordering other than "fifo" or none, and a PATCH
// that would change an endpoint's ordering, are 422s naming the field, and
// nothing is saved.
func TestRefusedOrdering(t *testing.T) {
	onStores(t, func(t *testing.T, c config) {
		f, ten, rcv, plain := refusalSetup(t, c)
		ordered, _ := f.endpoint(ten, rcv.URL, fifoEndpoint())
		endpoints := "/v1/tenants/" + ten + "/endpoints"
		refuseAll(t, f, ten, []refusal{
			{name: "unknown ordering", method: "POST", path: endpoints, body: map[string]any{"name": "x", "url": rcv.URL, "ordering": "lifo"}, field: "ordering"},
			{name: "ordering not a string", method: "POST", path: endpoints, body: map[string]any{"name": "x", "url": rcv.URL, "ordering": true}, field: "ordering"},
			{name: "ordering in another case", method: "POST", path: endpoints, body: map[string]any{"name": "x", "url": rcv.URL, "ordering": "FIFO"}, field: "ordering"},
			{name: "PATCH to fifo", method: "PATCH", path: endpoints + "/" + plain.ID, body: map[string]any{"ordering": "fifo"}, field: "ordering"},
			{name: "PATCH fifo away", method: "PATCH", path: endpoints + "/" + ordered.ID, body: map[string]any{"ordering": "", "name": "renamed"}, field: "ordering"},
		})
		// Repeating the ordering in a PATCH is no change.
		f.admin.must(t, 200, "PATCH", endpoints+"/"+ordered.ID, map[string]any{"ordering": "fifo", "name": "still ordered"}, nil)
	})
}

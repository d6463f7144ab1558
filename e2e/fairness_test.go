package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// holdingReceiver accepts requests and never answers them: each stays open
// until hookd gives up on it (the endpoint's timeout). It counts how many
// are open at once, over every URL it serves.
type holdingReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	open map[int]time.Time // request number → arrival, while it is open
	done map[int]time.Time // request number → when hookd gave up on it
	seq  int
	peak int
}

func newHoldingReceiver(t testing.TB) *holdingReceiver {
	h := &holdingReceiver{open: map[int]time.Time{}, done: map[int]time.Time{}}
	quit := make(chan struct{})
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Reading the body to its end lets the server notice (and cancel
		// r.Context()) when hookd gives up and closes the connection.
		_, _ = io.Copy(io.Discard, r.Body)
		h.mu.Lock()
		h.seq++
		n := h.seq
		h.open[n] = time.Now()
		h.peak = max(h.peak, len(h.open))
		h.mu.Unlock()
		select {
		case <-r.Context().Done():
		case <-quit:
		}
		h.mu.Lock()
		delete(h.open, n)
		h.done[n] = time.Now()
		h.mu.Unlock()
	}))
	t.Cleanup(h.Close)
	t.Cleanup(func() { close(quit) }) // runs first: lets the held requests end
	return h
}

// state returns the requests open now and the most ever open at once.
func (h *holdingReceiver) state() (open []int, peak int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for n := range h.open {
		open = append(open, n)
	}
	return open, h.peak
}

// endedBefore reports which of the given requests ended before t.
func (h *holdingReceiver) endedBefore(reqs []int, t time.Time) []int {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []int
	for _, n := range reqs {
		if at, ok := h.done[n]; ok && at.Before(t) {
			out = append(out, n)
		}
	}
	return out
}

// TestTenantFairness: a hostile tenant whose endpoints all point at
// receivers that never answer, with more endpoints at the deployment's
// maximum than there are workers, and a burst of test events, holds at most
// its cap (half of --workers) of requests at the receivers. A healthy
// tenant's deliveries meanwhile all go out while every request the hostile
// tenant held when they were published is still open (it ends only at the
// endpoint's timeout), and while the hostile tenant still has hundreds of
// deliveries due.
func TestTenantFairness(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, c config) {
		t.Parallel()
		const workers, tenantCap, endpointMax = 16, 8, 4 // the defaults for 16 workers
		c.extraArgs = append(c.extraArgs, "--workers", strconv.Itoa(workers))
		f := newFixture(t, c)

		hostile := f.tenant()
		var tenantView struct {
			MaxInFlight int `json:"max_in_flight"`
		}
		f.admin.must(t, 200, "GET", "/v1/tenants/"+hostile, nil, &tenantView)
		if tenantView.MaxInFlight != tenantCap {
			t.Fatalf("tenant max_in_flight = %d, want the default for %d workers, %d", tenantView.MaxInFlight, workers, tenantCap)
		}
		holes := newHoldingReceiver(t)
		tooMany := f.admin.do(t, "POST", "/v1/tenants/"+hostile+"/endpoints",
			map[string]any{"name": "greedy", "url": holes.URL + "/greedy", "max_in_flight": endpointMax + 1})
		if p := wantProblem(t, tooMany, 422); !p.names("max_in_flight") {
			t.Errorf("max_in_flight over the deployment's maximum: problem names %v", p.fields())
		}
		// Five endpoints at the maximum could hold 20 requests: more than
		// every worker.
		var hostileEndpoints []endpoint
		for i := range 5 {
			ep, _ := f.endpoint(hostile, holes.URL+"/hole/"+strconv.Itoa(i), map[string]any{
				"max_in_flight": endpointMax, "timeout_seconds": 15, "retry_schedule": []string{"1s", "1s", "1s"},
				"event_types": []string{typeCreated}})
			hostileEndpoints = append(hostileEndpoints, ep)
		}
		events := make([]map[string]any, 60)
		for i := range events {
			events[i] = map[string]any{"type": typeCreated, "data": map[string]any{"i": i}}
		}
		f.admin.must(t, 202, "POST", "/v1/tenants/"+hostile+"/events/batch", map[string]any{"events": events}, nil)

		// The burst of test events: 10 go, the rest are refused.
		testPath := "/v1/tenants/" + hostile + "/endpoints/" + hostileEndpoints[0].ID + "/test"
		accepted, refused := 0, 0
		for range 15 {
			r := f.admin.do(t, "POST", testPath, map[string]any{"event_type": typeCreated})
			switch r.status {
			case 202:
				accepted++
			case 429:
				refused++
				wantProblem(t, r, 429)
				var p struct {
					Code string `json:"code"`
				}
				r.decode(t, &p)
				if after, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || after < 1 || after > 60 || p.Code != "rate_limited" {
					t.Errorf("429 with Retry-After %q and code %q, want 1-60 s and rate_limited", r.header.Get("Retry-After"), p.Code)
				}
			default:
				t.Fatalf("test event: status %d: %s", r.status, r.body)
			}
		}
		if accepted != 10 || refused != 5 {
			t.Errorf("a burst of 15 test events: %d accepted, %d refused; want 10 and 5", accepted, refused)
		}

		eventually(t, 20*time.Second, func() (bool, string) {
			open, _ := holes.state()
			return len(open) == tenantCap, fmt.Sprintf("%d requests of the hostile tenant open, want its cap %d", len(open), tenantCap)
		})
		wave, _ := holes.state()

		healthy := f.tenant()
		rcv := newReceiver(t, 200)
		f.endpoint(healthy, rcv.URL, nil)
		const healthyEvents = 40
		for range healthyEvents / 10 {
			batch := make([]map[string]any, 10)
			for i := range batch {
				batch[i] = map[string]any{"type": typeCreated, "data": map[string]any{"i": i}}
			}
			f.admin.must(t, 202, "POST", "/v1/tenants/"+healthy+"/events/batch", map[string]any{"events": batch}, nil)
		}
		got := rcv.waitRequests(t, healthyEvents)
		last := got[len(got)-1].at
		if ended := holes.endedBefore(wave, last); len(ended) > 0 {
			t.Errorf("%d of the hostile tenant's %d held requests ended before the healthy tenant's last delivery: "+
				"the healthy deliveries waited for the black holes' timeout", len(ended), len(wave))
		}
		eventually(t, 20*time.Second, func() (bool, string) {
			n := len(f.deliveries(healthy, "?limit=1000&status=delivered"))
			return n == healthyEvents, fmt.Sprintf("%d of %d healthy deliveries recorded as delivered", n, healthyEvents)
		})
		if due := len(f.deliveries(hostile, "?limit=1000&status=pending")); due < 200 {
			t.Errorf("only %d hostile deliveries still waiting; the test did not keep the hostile tenant busy", due)
		}
		if _, peak := holes.state(); peak > tenantCap {
			t.Errorf("the hostile tenant had %d requests open at once, over its cap %d", peak, tenantCap)
		}
	})
}

// TestTenantMaxInFlightAPI: a tenant's cap is set on create and PATCH,
// shown by GET, restored to the deployment default by null, and bad values
// are refused with 422 changing nothing.
func TestTenantMaxInFlightAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{extraArgs: []string{"--workers", "40", "--tenant-max-in-flight", "12"}})
	type view struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		MaxInFlight int    `json:"max_in_flight"`
	}
	var v view
	f.admin.must(t, 201, "POST", "/v1/tenants", map[string]any{"id": "big", "name": "Big", "max_in_flight": 30}, &v)
	if v.MaxInFlight != 30 {
		t.Errorf("created with max_in_flight 30: %+v", v)
	}
	f.admin.must(t, 201, "POST", "/v1/tenants", map[string]any{"id": "plain", "name": "Plain"}, &v)
	if v.MaxInFlight != 12 {
		t.Errorf("created without max_in_flight: %+v, want the deployment's 12", v)
	}
	for _, bad := range []any{0, -1, 100001, 2.5, "10", true} {
		p := wantProblem(t, f.admin.do(t, "PATCH", "/v1/tenants/big", map[string]any{"max_in_flight": bad}), 422)
		if !p.names("max_in_flight") {
			t.Errorf("PATCH max_in_flight %v: problem names %v", bad, p.fields())
		}
		wantProblem(t, f.admin.do(t, "POST", "/v1/tenants", map[string]any{"id": "bad", "name": "Bad", "max_in_flight": bad}), 422)
	}
	wantProblem(t, f.admin.do(t, "GET", "/v1/tenants/bad", nil), 404)
	f.admin.must(t, 200, "GET", "/v1/tenants/big", nil, &v)
	if v.MaxInFlight != 30 || v.Name != "Big" {
		t.Errorf("after refused PATCHes: %+v, want unchanged", v)
	}
	f.admin.must(t, 200, "PATCH", "/v1/tenants/big", map[string]any{"max_in_flight": 5}, &v)
	if v.MaxInFlight != 5 || v.Name != "Big" {
		t.Errorf("PATCH max_in_flight 5: %+v (name kept)", v)
	}
	f.admin.must(t, 200, "PATCH", "/v1/tenants/big", map[string]any{"name": "Bigger"}, &v)
	if v.MaxInFlight != 5 || v.Name != "Bigger" {
		t.Errorf("PATCH name: %+v (cap kept)", v)
	}
	f.admin.must(t, 200, "PATCH", "/v1/tenants/big", map[string]any{"max_in_flight": nil}, &v)
	if v.MaxInFlight != 12 {
		t.Errorf("PATCH max_in_flight null: %+v, want the deployment's 12", v)
	}
	var l list[view]
	f.admin.must(t, 200, "GET", "/v1/tenants", nil, &l)
	for _, ten := range l.Data {
		if ten.MaxInFlight != 12 {
			t.Errorf("listed %+v, want max_in_flight 12", ten)
		}
	}
	wantProblem(t, f.admin.do(t, "PATCH", "/v1/tenants/big", map[string]any{}), 422)
}

package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// blackHole accepts connections and never answers.
func blackHole(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String() + "/hook"
}

func (f *fixture) countStatus(tenantID, endpointID, status string) int {
	f.t.Helper()
	return len(f.deliveries(tenantID, "?limit=1000&endpoint="+endpointID+"&status="+status))
}

// TestIsolationFromBlackHole: a healthy endpoint's deliveries all go out
// while a black-holed endpoint of the same tenant still has hundreds due.
func TestIsolationFromBlackHole(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})
	ten := f.tenant()
	dead, _ := f.endpoint(ten, blackHole(t), map[string]any{"event_types": []string{typeFailed}, "timeout_seconds": 30})
	healthy := newReceiver(t, 200)
	good, _ := f.endpoint(ten, healthy.URL, map[string]any{"event_types": []string{typeCreated}})
	batch := func(eventType string, n int) {
		events := make([]map[string]any, n)
		for i := range events {
			events[i] = map[string]any{"type": eventType, "data": map[string]any{"i": i}}
		}
		f.admin.must(t, 202, "POST", "/v1/tenants/"+ten+"/events/batch", map[string]any{"events": events}, nil)
	}
	batch(typeFailed, 300) // queued first: the oldest due work belongs to the black hole
	batch(typeCreated, 100)
	healthy.waitRequests(t, 100)
	eventually(t, 20*time.Second, func() (bool, string) {
		n := f.countStatus(ten, good.ID, "delivered")
		return n == 100, fmt.Sprintf("%d of 100 healthy deliveries recorded", n)
	})
	if waiting := f.countStatus(ten, dead.ID, "pending"); waiting < 250 {
		t.Errorf("only %d black-holed deliveries still waiting; the test did not hold the black hole busy", waiting)
	}
}

// TestRetryAfterAndGone: 429 with Retry-After pushes the next attempt later
// than the schedule; 410 disables the endpoint at once.
func TestRetryAfterAndGone(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})
	ten := f.tenant()
	var mu sync.Mutex
	var arrivals []time.Time
	slowDown := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		first := len(arrivals) == 1
		mu.Unlock()
		if first {
			w.Header().Set("Retry-After", "3") // the schedule says 1 s
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	t.Cleanup(slowDown.Close)
	_, _ = f.endpoint(ten, slowDown.URL, map[string]any{"event_types": []string{typeCreated}, "retry_schedule": []string{"1s"}})
	f.admin.must(t, 202, "POST", "/v1/tenants/"+ten+"/events", map[string]any{"type": typeCreated, "data": map[string]any{}}, nil)
	eventually(t, 20*time.Second, func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		return len(arrivals) >= 2, fmt.Sprintf("%d attempts", len(arrivals))
	})
	mu.Lock()
	if gap := arrivals[1].Sub(arrivals[0]); gap < 2900*time.Millisecond {
		t.Errorf("second attempt %s after a 429 with Retry-After: 3, want >= 3s", gap)
	}
	mu.Unlock()

	gone := newReceiver(t, 410)
	ep, _ := f.endpoint(ten, gone.URL, map[string]any{"event_types": []string{typeFailed}})
	ev := f.publish(ten, typeFailed, `{}`)
	eventually(t, 20*time.Second, func() (bool, string) {
		e := f.getEndpoint(ten, ep.ID)
		return e.Status == "disabled" && e.DisabledReason == "gone", fmt.Sprintf("endpoint %s/%s", e.Status, e.DisabledReason)
	})
	if d := f.deliveryOf(ten, ev.ID); d.Status != "paused" {
		t.Errorf("the 410'd delivery is %s, want paused (it goes again if the endpoint is enabled)", d.Status)
	}
}

// TestRateLimit: 20 deliveries to an endpoint limited to 5/s take at least
// the 3 s the bucket allows after its first second's burst.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})
	ten := f.tenant()
	recv := newReceiver(t, 200)
	ep, _ := f.endpoint(ten, recv.URL, map[string]any{"rate_limit_per_second": 5})
	if ep.ID == "" {
		t.Fatal("no endpoint")
	}
	events := make([]map[string]any, 20)
	for i := range events {
		events[i] = map[string]any{"type": typeCreated, "data": map[string]any{"i": i}}
	}
	f.admin.must(t, 202, "POST", "/v1/tenants/"+ten+"/events/batch", map[string]any{"events": events}, nil)
	reqs := recv.waitRequests(t, 20)
	span := reqs[len(reqs)-1].at.Sub(reqs[0].at)
	if span < 2900*time.Millisecond {
		t.Errorf("20 requests at 5/s arrived within %s, want >= 3s", span)
	}
	// No one-second window holds more than the burst plus one second's rate.
	for i := range reqs {
		n := 0
		for _, r := range reqs[i:] {
			if r.at.Sub(reqs[i].at) < time.Second {
				n++
			}
		}
		if n > 10 {
			t.Errorf("%d requests within one second from request %d", n, i)
		}
	}
	resp := f.admin.do(t, "PATCH", "/v1/tenants/"+ten+"/endpoints/"+ep.ID, map[string]any{"rate_limit_per_second": -1})
	if p := wantProblem(t, resp, 422); !p.names("rate_limit_per_second") {
		t.Errorf("negative rate limit: %+v", p)
	}
}

// TestOperationalEvents: the operator's URL receives endpoint.disabled,
// delivery.failed and endpoint.enabled, signed with its secret.
func TestOperationalEvents(t *testing.T) {
	t.Parallel()
	const opsSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	ops := newReceiver(t, 200)
	f := newFixture(t, config{extraArgs: []string{"--operational-webhook-url", ops.URL + "/ops", "--operational-webhook-secret", opsSecret}})
	ten := f.tenant()
	failing := newReceiver(t, 500)
	ep, _ := f.endpoint(ten, failing.URL, map[string]any{"retry_schedule": []string{}})
	for i := range 5 {
		f.publish(ten, typeCreated, fmt.Sprintf(`{"i":%d}`, i))
	}
	eventually(t, 20*time.Second, func() (bool, string) {
		e := f.getEndpoint(ten, ep.ID)
		return e.Status == "disabled", "endpoint " + e.Status
	})
	f.admin.must(t, 200, "POST", "/v1/tenants/"+ten+"/endpoints/"+ep.ID+"/enable", nil, nil)

	types := map[string]int{}
	eventually(t, 20*time.Second, func() (bool, string) {
		types = map[string]int{}
		for _, r := range ops.requests() {
			types[r.header.Get("X-Hookd-Event")]++
		}
		return types["endpoint.disabled"] == 1 && types["delivery.failed"] == 5 && types["endpoint.enabled"] == 1,
			fmt.Sprintf("operational events so far: %v", types)
	})
	for _, r := range ops.requests() {
		if err := officialVerify(t, opsSecret, r); err != nil {
			t.Fatalf("operational event not signed with the configured secret: %v", err)
		}
		var body struct {
			Type string `json:"type"`
			Data struct {
				TenantID   string `json:"tenant_id"`
				EndpointID string `json:"endpoint_id"`
				Reason     string `json:"reason"`
			} `json:"data"`
		}
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatal(err)
		}
		if body.Data.TenantID != ten || body.Data.EndpointID != ep.ID {
			t.Errorf("%s names tenant %q endpoint %q", body.Type, body.Data.TenantID, body.Data.EndpointID)
		}
		if body.Type == "endpoint.disabled" && body.Data.Reason != "auto" {
			t.Errorf("endpoint.disabled reason %q, want auto", body.Data.Reason)
		}
	}
	// A bad operational configuration refuses to start.
	out := startFails(t, "--allow-private-targets", "--operational-webhook-url", "http://127.0.0.1:1/x", "--operational-webhook-secret", "not-a-secret")
	if !strings.Contains(out, "operational-webhook-secret") {
		t.Errorf("bad secret: %s", out)
	}
}

// TestBulkRecover: failed deliveries in a window are replayed in the
// background, with progress readable.
func TestBulkRecover(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})
	ten := f.tenant()
	recv := newReceiver(t, 500)
	ep, _ := f.endpoint(ten, recv.URL, map[string]any{"retry_schedule": []string{}})
	for i := range 3 {
		f.publish(ten, typeCreated, fmt.Sprintf(`{"i":%d}`, i))
	}
	eventually(t, 20*time.Second, func() (bool, string) {
		n := f.countStatus(ten, ep.ID, "failed")
		return n == 3, fmt.Sprintf("%d failed", n)
	})
	recv.status.Store(200)
	var job struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Total  int    `json:"total"`
		Done   int    `json:"done"`
	}
	since := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	f.admin.must(t, 202, "POST", "/v1/tenants/"+ten+"/endpoints/"+ep.ID+"/recover", map[string]any{"since": since}, &job)
	if job.ID == "" || job.Total != 3 {
		t.Fatalf("recover job %+v; want 3 to replay", job)
	}
	eventually(t, 20*time.Second, func() (bool, string) {
		f.admin.must(t, 200, "GET", "/v1/tenants/"+ten+"/recover-jobs/"+job.ID, nil, &job)
		return job.Status == "done" && job.Done == 3, fmt.Sprintf("job %+v", job)
	})
	eventually(t, 20*time.Second, func() (bool, string) {
		n := f.countStatus(ten, ep.ID, "delivered")
		return n == 3, fmt.Sprintf("%d of 3 delivered after recovery", n)
	})
	for _, bad := range []map[string]any{{}, {"since": "yesterday"}, {"since": since, "until": "2000-01-01T00:00:00Z"}} {
		resp := f.admin.do(t, "POST", "/v1/tenants/"+ten+"/endpoints/"+ep.ID+"/recover", bad)
		if resp.status != 400 && resp.status != 422 {
			t.Errorf("recover %v: status %d, want 4xx: %s", bad, resp.status, resp.body)
		}
	}
	wantProblem(t, f.admin.do(t, "GET", "/v1/tenants/"+ten+"/recover-jobs/rcv_missing", nil), 404)
}

// TestRetentionPurge: finished deliveries and their events go once older
// than --retention; stats count what is left.
func TestRetentionPurge(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{extraArgs: []string{"--retention", "2s"}})
	ten := f.tenant()
	recv := newReceiver(t, 200)
	ep, _ := f.endpoint(ten, recv.URL, nil)
	ev := f.publish(ten, typeCreated, `{"keep":"briefly"}`)
	d := f.waitStatus(ten, f.deliveryOf(ten, ev.ID).ID, "delivered")
	var stats struct {
		Attempts  int `json:"attempts"`
		Succeeded int `json:"succeeded"`
		Hours     []struct {
			Attempts int `json:"attempts"`
		} `json:"hours"`
	}
	f.admin.must(t, 200, "GET", "/v1/tenants/"+ten+"/endpoints/"+ep.ID+"/stats", nil, &stats)
	if stats.Attempts != 1 || stats.Succeeded != 1 || len(stats.Hours) < 24 {
		t.Errorf("stats before the purge: %+v", stats)
	}
	eventually(t, 20*time.Second, func() (bool, string) {
		r := f.admin.do(t, "GET", "/v1/tenants/"+ten+"/deliveries/"+d.ID, nil)
		e := f.admin.do(t, "GET", "/v1/tenants/"+ten+"/events/"+ev.ID, nil)
		return r.status == 404 && e.status == 404, fmt.Sprintf("delivery %d, event %d", r.status, e.status)
	})
}

// TestDataSchema: an event type's JSON Schema is enforced on publish.
func TestDataSchema(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})
	schema := `{"type":"object","required":["email"],"properties":{"email":{"type":"string","format":"email"},"age":{"type":"integer","minimum":0}}}`
	f.admin.must(t, 201, "POST", "/v1/event-types", map[string]any{"name": "signup.done", "schema": rawJSON(schema), "example": rawJSON(`{"email":"a@b.c"}`)}, nil)
	ten := f.tenant()
	resp := f.admin.do(t, "POST", "/v1/tenants/"+ten+"/events", map[string]any{"type": "signup.done", "data": map[string]any{"email": "a@b.c", "age": -3}})
	if p := wantProblem(t, resp, 422); !p.names("data/age") {
		t.Errorf("schema violation does not name data/age: %+v", p)
	}
	f.admin.must(t, 202, "POST", "/v1/tenants/"+ten+"/events", map[string]any{"type": "signup.done", "data": map[string]any{"email": "a@b.c", "age": 3}}, nil)
	for _, bad := range []map[string]any{
		{"name": "bad.schema", "schema": rawJSON(`{"type":"nope"}`)},
		{"name": "bad.example", "schema": rawJSON(schema), "example": rawJSON(`{"age":1}`)},
	} {
		if p := wantProblem(t, f.admin.do(t, "POST", "/v1/event-types", bad), 422); len(p.Errors) == 0 {
			t.Errorf("%v: no field named", bad["name"])
		}
	}
}

// TestLargestPageHasACursor: a list read with the largest limit still says
// where the next page starts.
func TestLargestPageHasACursor(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})
	ten := f.tenant()
	f.endpoint(ten, "http://127.0.0.1:9/never", map[string]any{"enabled": false}) // deliveries wait, paused
	for _, n := range []int{1000, 1} {
		events := make([]map[string]any, n)
		for i := range events {
			events[i] = map[string]any{"type": typeCreated, "data": map[string]any{}}
		}
		f.admin.must(t, 202, "POST", "/v1/tenants/"+ten+"/events/batch", map[string]any{"events": events}, nil)
	}
	var first, second list[delivery]
	f.admin.must(t, 200, "GET", "/v1/tenants/"+ten+"/deliveries?limit=1000", nil, &first)
	if len(first.Data) != 1000 || first.NextCursor == nil {
		t.Fatalf("first page: %d items, cursor %v; want 1000 and a cursor", len(first.Data), first.NextCursor)
	}
	f.admin.must(t, 200, "GET", "/v1/tenants/"+ten+"/deliveries?limit=1000&cursor="+*first.NextCursor, nil, &second)
	if len(second.Data) != 1 || second.NextCursor != nil {
		t.Fatalf("second page: %d items, cursor %v; want the last one and no cursor", len(second.Data), second.NextCursor)
	}
	wantProblem(t, f.admin.do(t, "GET", "/v1/tenants/"+ten+"/deliveries?limit=1001", nil), 422)
}

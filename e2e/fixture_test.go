package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Event types every fixture's catalogue holds.
const (
	typeCreated = "contact.created"
	typeFailed  = "message.failed"
)

// exampleCreated is contact.created's example data, which test events send.
const exampleCreated = `{"name":"Ada Lovelace","tags":["<vip>","a&b"]}`

// fixture is one running hookd with the catalogue set up.
type fixture struct {
	t     testing.TB
	h     *hookdProc
	admin *apiClient
	seq   *atomic.Int64 // shared by every copy, for unique tenant ids
}

// in returns the fixture for use by subtest t: its helpers must fail t,
// never the parent test from the subtest's goroutine.
func (f *fixture) in(t testing.TB) *fixture {
	c := *f
	c.t = t
	return &c
}

// newFixture starts hookd (see config) and creates the event types.
func newFixture(t testing.TB, c config) *fixture {
	t.Helper()
	h := startHookd(t, c)
	f := &fixture{t: t, h: h, admin: h.admin(), seq: new(atomic.Int64)}
	f.admin.must(f.t, 201, "POST", "/v1/event-types", map[string]any{
		"name": typeCreated, "description": "A contact was created.", "example": rawJSON(exampleCreated),
	}, nil)
	f.admin.must(f.t, 201, "POST", "/v1/event-types", map[string]any{
		"name": typeFailed, "description": "A message could not be sent.",
	}, nil)
	return f
}

// rawJSON is JSON text to embed as is in a request body.
type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

// tenant creates a tenant with a fresh id and returns the id.
func (f *fixture) tenant() string {
	f.t.Helper()
	id := fmt.Sprintf("tenant-%d", f.seq.Add(1))
	f.admin.must(f.t, 201, "POST", "/v1/tenants", map[string]any{"id": id, "name": "Tenant " + id}, nil)
	return id
}

// endpoint creates an endpoint of tenant that posts to url. extra holds
// more fields of the create request (headers, retry_schedule...). It returns
// the endpoint and its signing secret.
func (f *fixture) endpoint(tenantID, url string, extra map[string]any) (endpoint, string) {
	f.t.Helper()
	body := map[string]any{"name": "receiver", "url": url, "retry_schedule": []string{"1s", "1s"}}
	for k, v := range extra {
		body[k] = v
	}
	var out struct {
		Endpoint      endpoint `json:"endpoint"`
		SigningSecret string   `json:"signing_secret"`
	}
	f.admin.must(f.t, 201, "POST", "/v1/tenants/"+tenantID+"/endpoints", body, &out)
	if out.Endpoint.ID == "" || out.SigningSecret == "" {
		f.t.Fatalf("endpoint create answer lacks id or signing_secret: %+v", out)
	}
	return out.Endpoint, out.SigningSecret
}

// publish publishes {type, data} and returns the answer.
func (f *fixture) publish(tenantID, eventType, data string) publishResult {
	f.t.Helper()
	var r publishResult
	f.admin.must(f.t, 202, "POST", "/v1/tenants/"+tenantID+"/events",
		map[string]any{"type": eventType, "data": rawJSON(data)}, &r)
	if r.ID == "" {
		f.t.Fatalf("publish answer has no id")
	}
	return r
}

// getEndpoint reads one endpoint.
func (f *fixture) getEndpoint(tenantID, id string) endpoint {
	f.t.Helper()
	var e endpoint
	f.admin.must(f.t, 200, "GET", "/v1/tenants/"+tenantID+"/endpoints/"+id, nil, &e)
	return e
}

// getDelivery reads one delivery with its attempts.
func (f *fixture) getDelivery(tenantID, id string) delivery {
	f.t.Helper()
	var d delivery
	f.admin.must(f.t, 200, "GET", "/v1/tenants/"+tenantID+"/deliveries/"+id, nil, &d)
	return d
}

// deliveries lists a tenant's deliveries; query is "" or "?event=..." etc.
func (f *fixture) deliveries(tenantID, query string) []delivery {
	f.t.Helper()
	var l list[delivery]
	f.admin.must(f.t, 200, "GET", "/v1/tenants/"+tenantID+"/deliveries"+query, nil, &l)
	return l.Data
}

// deliveryOf returns the one delivery of an event.
func (f *fixture) deliveryOf(tenantID, eventID string) delivery {
	f.t.Helper()
	ds := f.deliveries(tenantID, "?event="+eventID)
	if len(ds) != 1 {
		f.t.Fatalf("event %s has %d deliveries, want 1: %+v", eventID, len(ds), ds)
	}
	return ds[0]
}

// waitStatus polls a delivery until it has status want.
func (f *fixture) waitStatus(tenantID, deliveryID, want string) delivery {
	f.t.Helper()
	var d delivery
	eventually(f.t, 20*time.Second, func() (bool, string) {
		d = f.getDelivery(tenantID, deliveryID)
		return d.Status == want, fmt.Sprintf("delivery %s is %q with %d attempts, want %q", deliveryID, d.Status, d.AttemptCount, want)
	})
	return d
}

// eventually calls check until it reports true, failing the test with its
// last message when timeout passes first.
func eventually(t testing.TB, timeout time.Duration, check func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, msg := check()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// received is one request a receiver got.
type received struct {
	at     time.Time
	header http.Header
	body   []byte
	uri    string // the request's path and query
}

// receiver is a webhook receiver on 127.0.0.1 that records every request
// and answers with a settable status.
type receiver struct {
	*httptest.Server
	status   atomic.Int32
	location atomic.Value // string: Location of a 3xx answer
	answer   atomic.Value // string: the response body
	delay    atomic.Int64 // time.Duration before answering
	mu       sync.Mutex
	reqs     []received
	arrived  chan struct{} // gets a value (non-blocking) on each request
}

// receiverBody is what receivers answer with, to find in response excerpts.
const receiverBody = "thanks from the receiver"

func newReceiver(t testing.TB, status int) *receiver {
	r := &receiver{arrived: make(chan struct{}, 1)}
	r.status.Store(int32(status))
	r.location.Store("")
	r.answer.Store(receiverBody)
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.reqs = append(r.reqs, received{at: time.Now(), header: req.Header.Clone(), body: body, uri: req.URL.RequestURI()})
	r.mu.Unlock()
	select {
	case r.arrived <- struct{}{}:
	default:
	}
	if d := time.Duration(r.delay.Load()); d > 0 {
		time.Sleep(d)
	}
	if loc := r.location.Load().(string); loc != "" {
		w.Header().Set("Location", loc)
	}
	w.WriteHeader(int(r.status.Load()))
	_, _ = io.WriteString(w, r.answer.Load().(string))
}

// requests returns a copy of what arrived so far.
func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.reqs...)
}

// waitRequests waits until at least n requests arrived and returns them all.
func (r *receiver) waitRequests(t testing.TB, n int) []received {
	t.Helper()
	var got []received
	eventually(t, 20*time.Second, func() (bool, string) {
		got = r.requests()
		return len(got) >= n, fmt.Sprintf("receiver got %d requests, want %d", len(got), n)
	})
	return got
}

// byID returns the requests whose webhook-id is id.
func (r *receiver) byID(id string) []received {
	var out []received
	for _, q := range r.requests() {
		if q.header.Get("webhook-id") == id {
			out = append(out, q)
		}
	}
	return out
}

// quiet waits d, for requests that must not come to have had their chance.
func quiet(d time.Duration) { time.Sleep(d) }

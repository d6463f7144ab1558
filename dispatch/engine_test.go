package dispatch

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/secretbox"
	"github.com/hookd/hookd/signature"
	"github.com/hookd/hookd/sqlite"
)

// engine is a real SQLite store with one tenant, for dispatcher tests.
type engine struct {
	store  hookd.Store
	tenant string
}

// startEngine runs a dispatcher over store until the test ends.
func startEngine(t *testing.T, store hookd.QueueStore) *Dispatcher {
	t.Helper()
	return startEngineWith(t, store, Config{PollInterval: 50 * time.Millisecond})
}

// startEngineWith is startEngine with cfg's poll interval.
func startEngineWith(t *testing.T, store hookd.QueueStore, cfg Config) *Dispatcher {
	t.Helper()
	// The tenant may use every worker: these tests are about endpoints.
	return run(t, New(store, Config{AllowPrivate: true, Workers: 16, TenantInFlight: 16, PollInterval: cfg.PollInterval,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
}

// run runs d until the test ends.
func run(t *testing.T, d *Dispatcher) *Dispatcher {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return d
}

func newEngineStore(t testing.TB) *engine {
	t.Helper()
	return newEngine(t, openSQLite(t))
}

// openSQLite opens a store on a new SQLite file.
func openSQLite(t testing.TB) hookd.Store {
	t.Helper()
	box, _ := secretbox.New(make([]byte, secretbox.KeySize))
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "hookd.db"), box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newEngine sets up tenant "t" and event type "x" in store.
func newEngine(t testing.TB, store hookd.Store) *engine {
	t.Helper()
	if err := store.CreateEventType(t.Context(), &hookd.EventType{Name: "x"}); err != nil {
		t.Fatal(err)
	}
	e := &engine{store: store}
	return e.neighbour(t, "t")
}

// neighbour creates another tenant in the same store.
func (e *engine) neighbour(t testing.TB, id string) *engine {
	t.Helper()
	if err := e.store.CreateTenant(t.Context(), &hookd.Tenant{ID: id, Name: id}); err != nil {
		t.Fatal(err)
	}
	return &engine{store: e.store, tenant: id}
}

func (e *engine) endpoint(t testing.TB, url string, maxInFlight int) string {
	t.Helper()
	secret, _ := signature.NewSecret()
	ep := &hookd.Endpoint{TenantID: e.tenant, Name: "e", URL: url, EventTypes: []string{"*"}, Enabled: true, MaxInFlight: maxInFlight}
	if err := e.store.CreateEndpoint(t.Context(), ep, secret); err != nil {
		t.Fatal(err)
	}
	return ep.ID
}

func (e *engine) publish(t testing.TB, n int) []string {
	t.Helper()
	events := make([]hookd.NewEvent, n)
	for i := range events {
		events[i] = hookd.NewEvent{Type: "x", Payload: []byte(`{}`), RequestHash: "h", CreatedAt: time.Now()}
	}
	res, err := e.store.PublishEvents(t.Context(), e.tenant, events, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, n)
	for i, r := range res {
		ids[i] = r.ID
	}
	return ids
}

func (e *engine) waitStatus(t *testing.T, endpointID, status string, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ds, err := e.store.Deliveries(t.Context(), hookd.DeliveryFilter{TenantID: e.tenant, EndpointID: endpointID, Status: status}, hookd.Page{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d deliveries of %s are %s", len(ds), n, endpointID, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// peakServer is a receiver that takes 20 ms per request and tells the most
// requests it had at once.
func peakServer(t *testing.T) (url string, peak func() int32) {
	var now, most atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := now.Add(1)
		for p := most.Load(); n > p && !most.CompareAndSwap(p, n); p = most.Load() {
		}
		time.Sleep(20 * time.Millisecond)
		now.Add(-1)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, most.Load
}

// TestInFlightLimitHolds: a receiver counting concurrent requests never sees
// more than the endpoint's max_in_flight, though many workers are free.
func TestInFlightLimitHolds(t *testing.T) {
	e := newEngineStore(t)
	url, peak := peakServer(t)
	ep := e.endpoint(t, url, 3)
	e.publish(t, 40)
	startEngine(t, e.store)
	e.waitStatus(t, ep, hookd.StatusDelivered, 40)
	if p := peak(); p > 3 || p < 2 {
		t.Fatalf("peak concurrency %d, want at most the limit of 3 (and the limit used)", p)
	}
}

// poisonStore refuses to record any batch holding a result it finds
// poisoned, as a store fault the real database can no longer be made to
// produce on demand (hookd.StorableText keeps what receivers send storable).
type poisonStore struct {
	hookd.Store
	poisoned func(hookd.AttemptResult) bool
	refused  atomic.Int32
}

func (p *poisonStore) RecordAttempts(ctx context.Context, results []hookd.AttemptResult) ([]string, error) {
	for _, r := range results {
		if p.poisoned(r) {
			p.refused.Add(1)
			return nil, errors.New("injected: the store refuses this result")
		}
	}
	return p.Store.RecordAttempts(ctx, results)
}

// heldReceiver answers every request with body(n), n counting from 1, once
// release is closed, so that the requests finish, and are recorded, together.
func heldReceiver(t *testing.T, release <-chan struct{}, body func(n int32) string) (*httptest.Server, *atomic.Int32) {
	var got atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := got.Add(1)
		<-release
		_, _ = io.WriteString(w, body(n))
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

// TestRefusedResultIsRecordedDegraded: a result the store refuses (while
// the database answers) is recorded without the receiver's answer, so its
// delivery is delivered, once, instead of re-sent after every lease; the
// other results of its batch are recorded as they came.
func TestRefusedResultIsRecordedDegraded(t *testing.T) {
	e := newEngineStore(t)
	release := make(chan struct{})
	srv, got := heldReceiver(t, release, func(n int32) string {
		if n == 1 {
			return "poison"
		}
		return "ok"
	})
	ep := e.endpoint(t, srv.URL, 10)
	e.publish(t, 10)
	store := &poisonStore{Store: e.store, poisoned: func(r hookd.AttemptResult) bool {
		return strings.Contains(r.Attempt.ResponseBody, "poison")
	}}
	startEngine(t, store)
	time.Sleep(200 * time.Millisecond)
	close(release)
	e.waitStatus(t, ep, hookd.StatusDelivered, 10)
	if got.Load() != 10 {
		t.Fatalf("the receiver got %d requests for 10 deliveries", got.Load())
	}
	// Whether the poisoned result shared a batch depends on when results
	// reach the recorder; the split itself is TestPoisonResultDoesNotStallRecording's.
	if store.refused.Load() < 3 {
		t.Fatalf("the poisoned result was refused %d times; the test did not exercise the retries before degrading", store.refused.Load())
	}
	ds, err := e.store.Deliveries(t.Context(), hookd.DeliveryFilter{TenantID: e.tenant}, hookd.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var degraded int
	for _, d := range ds {
		full, err := e.store.Delivery(t.Context(), e.tenant, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(full.AttemptLog) != 1 {
			t.Fatalf("delivery %s has %d attempts, want 1", d.ID, len(full.AttemptLog))
		}
		a := full.AttemptLog[0]
		switch a.ResponseBody {
		case "ok":
			if a.Error != "" {
				t.Errorf("a healthy attempt has error %q", a.Error)
			}
		case "":
			degraded++
			if a.StatusCode != 200 || !strings.HasPrefix(a.Error, "result not stored as received") || !strings.Contains(a.Error, "injected") {
				t.Errorf("degraded attempt: status %d, error %q", a.StatusCode, a.Error)
			}
		default:
			t.Errorf("attempt stored with body %q", a.ResponseBody)
		}
	}
	if degraded != 1 {
		t.Fatalf("%d degraded attempts, want 1", degraded)
	}
}

// TestPoisonResultDoesNotStallRecording: one result the store refuses even
// degraded is dropped (to its lease), and every other result is still
// recorded.
func TestPoisonResultDoesNotStallRecording(t *testing.T) {
	e := newEngineStore(t)
	release := make(chan struct{})
	srv, _ := heldReceiver(t, release, func(int32) string { return "" })
	ep := e.endpoint(t, srv.URL, 10)
	e.publish(t, 10)
	ds, err := e.store.Deliveries(t.Context(), hookd.DeliveryFilter{TenantID: e.tenant}, hookd.Page{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	store := &poisonStore{Store: e.store, poisoned: func(r hookd.AttemptResult) bool { return r.Job.DeliveryID == ds[0].ID }}
	startEngine(t, store)
	time.Sleep(200 * time.Millisecond)
	close(release)
	e.waitStatus(t, ep, hookd.StatusDelivered, 9)
	if store.refused.Load() < 4 {
		t.Fatalf("the poisoned result was refused %d times; the test did not exercise the split and the degraded record", store.refused.Load())
	}
}

// delivered is what deliverAll measured: the healthy endpoint's deliveries
// per second, and the process's CPU time per delivery (steadier than the
// rate on a shared machine).
type delivered struct{ perSecond, cpuPerDelivery float64 }

// processCPU is the process's user and system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// deliverAll measures the delivery rate of a healthy endpoint of tenant t
// receiving n events. Before, arrange (when not nil) gives the store
// neighbours with work due, whose endpoints may post to hole (which accepts
// and never answers), and says how many requests the hole must hold before
// the healthy events are published: the rate is measured beside
// neighbours at their limits, from the first publish to the last delivery.
func deliverAll(b *testing.B, e *engine, n int, arrange func(e *engine, hole string) (held int)) delivered {
	var got atomic.Int64
	done := make(chan struct{})
	healthy := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		if got.Add(1) == int64(n) {
			close(done)
		}
	}))
	defer healthy.Close()
	quit := make(chan struct{})
	var holding atomic.Int64
	hole := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // so that a closed connection cancels r.Context()
		holding.Add(1)
		defer holding.Add(-1)
		select {
		case <-r.Context().Done():
		case <-quit:
		}
	}))
	defer hole.Close()
	defer close(quit) // runs first: lets the held requests end
	held := 0
	if arrange != nil {
		held = arrange(e, hole.URL)
	}
	e.endpoint(b, healthy.URL, hookd.DefaultMaxInFlight)
	d := New(e.store, Config{AllowPrivate: true, PollInterval: 50 * time.Millisecond, ShutdownTimeout: time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { _ = d.Run(ctx); close(stopped) }()
	defer func() { cancel(); <-stopped }()
	for deadline := time.Now().Add(time.Minute); holding.Load() < int64(held); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("the black hole holds %d requests, want %d", holding.Load(), held)
		}
	}
	start, cpu := time.Now(), processCPU()
	for left := n; left > 0; left -= 500 {
		e.publish(b, min(left, 500))
	}
	<-done
	m := delivered{perSecond: float64(n) / time.Since(start).Seconds(), cpuPerDelivery: float64(processCPU()-cpu) / float64(n)}
	if h := holding.Load(); h > int64(held) {
		b.Fatalf("the black hole held %d requests, more than the %d its senders may", h, held)
	}
	return m
}

// report reports the rates alone and beside (sums over the loop's runs),
// their ratio, and the ratio of CPU per delivery.
func report(b *testing.B, alone, beside delivered, besideName string) {
	b.ReportMetric(alone.perSecond/float64(b.N), "healthy_per_s")
	b.ReportMetric(beside.perSecond/float64(b.N), besideName+"_per_s")
	b.ReportMetric(beside.perSecond/alone.perSecond, "ratio")
	b.ReportMetric(alone.cpuPerDelivery/beside.cpuPerDelivery, "cpu_ratio")
}

func (d *delivered) add(m delivered) {
	d.perSecond += m.perSecond
	d.cpuPerDelivery += m.cpuPerDelivery
}

// BenchmarkIsolation measures a healthy endpoint's delivery rate alone and
// beside a black-holed endpoint (accepts, never answers) with 1,000
// deliveries due, and reports the ratio: the black hole may hold at most its
// in-flight limit of workers, so the ratio should stay near 1.
func BenchmarkIsolation(b *testing.B) {
	const n = 2000
	var alone, beside delivered
	for b.Loop() {
		alone.add(deliverAll(b, newEngineStore(b), n, nil))
		// The black hole gets the healthy endpoint's events too.
		beside.add(deliverAll(b, newEngineStore(b), n, func(e *engine, hole string) int {
			e.endpoint(b, hole, hookd.DefaultMaxInFlight)
			e.publish(b, 1000)
			return hookd.DefaultMaxInFlight
		}))
	}
	report(b, alone, beside, "beside_black_hole")
}

// flakyClaims fails its first claims after they leased work, as a store
// whose commit fails might, to check that no worker slot is lost.
type flakyClaims struct {
	hookd.Store
	failures atomic.Int32
}

func (f *flakyClaims) ClaimDeliveries(ctx context.Context, now time.Time, limit int, grace time.Duration, tenantMax int) ([]*hookd.Job, error) {
	jobs, err := f.Store.ClaimDeliveries(ctx, now, limit, grace, tenantMax)
	if err == nil && len(jobs) > 0 && f.failures.Add(-1) >= 0 {
		return jobs, errors.New("injected: the claim failed after leasing")
	}
	return jobs, err
}

// TestFailedClaimsKeepWorkerSlots: every failed claim gives all its slots
// back, so the engine keeps delivering (the work those claims leased comes
// back when the leases run out).
func TestFailedClaimsKeepWorkerSlots(t *testing.T) {
	e := newEngineStore(t)
	var got atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { got.Add(1) }))
	defer srv.Close()
	secret, _ := signature.NewSecret()
	ep := &hookd.Endpoint{TenantID: e.tenant, Name: "e", URL: srv.URL, EventTypes: []string{"*"}, Enabled: true, MaxInFlight: 10, Timeout: time.Second}
	if err := e.store.CreateEndpoint(t.Context(), ep, secret); err != nil {
		t.Fatal(err)
	}
	e.publish(t, 20)
	store := &flakyClaims{Store: e.store}
	store.failures.Store(5)
	d := New(store, Config{AllowPrivate: true, Workers: 4, LeaseGrace: time.Millisecond, PollInterval: 50 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = d.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	e.waitStatus(t, ep.ID, hookd.StatusDelivered, 20)
	if store.failures.Load() >= 0 {
		t.Fatal("the injected failures did not all happen")
	}
}

package bench

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/api"
	"github.com/hookd/hookd/dispatch"
	"github.com/hookd/hookd/internal/secretbox"
	"github.com/hookd/hookd/maintenance"
	"github.com/hookd/hookd/metrics"
	"github.com/hookd/hookd/service"
	"github.com/hookd/hookd/signature"
	"github.com/hookd/hookd/sqlite"
)

const testKey = "hk_bench_test_admin_key_0123456789"

// startHookd runs hookd in this process (SQLite store, dispatcher and API,
// wired as `hookd serve` wires them) until the test ends.
func startHookd(t *testing.T) *Server {
	t.Helper()
	srv, _ := startHookdRetaining(t, 0)
	return srv
}

// startHookdRetaining is startHookd with a retention purge running (none
// for 0); it also returns the store.
func startHookdRetaining(t *testing.T, retention time.Duration) (*Server, *sqlite.DB) {
	t.Helper()
	key, err := secretbox.ParseKey(secretbox.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	box, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "hookd.db")
	store, err := sqlite.Open(context.Background(), path, box)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CreateAPIKey(context.Background(), &hookd.APIKey{Name: "bench", Role: hookd.RoleAdmin,
		Prefix: service.DisplayPrefix(testKey), Hash: service.HashKey(testKey)}); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := metrics.New(store) // the lease counters the bench reads
	served := m.Wrap(store)
	d := dispatch.New(served, dispatch.Config{AllowPrivate: true, Workers: 64, ShutdownTimeout: time.Second, Logger: logger})
	hs := httptest.NewServer(api.New(served, d, api.Config{AllowPrivateTargets: true, Metrics: m.Handler()}, logger))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = d.Run(ctx); close(done) }()
	maintained := make(chan struct{})
	go func() {
		if retention > 0 {
			maintenance.New(store, d, maintenance.Config{Retention: retention, Logger: logger}).Run(ctx)
		}
		close(maintained)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		<-maintained
		hs.Close()
		store.Close()
	})
	return &Server{URL: hs.URL, Key: testKey, PID: os.Getpid(), Workers: 64, Database: path}, store
}

func same(s *Server) Starter {
	return func(context.Context, string) (*Server, error) { return s, nil }
}

func small(scenarios ...string) Config {
	return Config{
		Scenarios: scenarios, Events: 300, Fanout: 2, Batch: 10, Publishers: 4, MaxInFlight: 16,
		Rate: 400, LatencyEvents: 100, FanoutEndpoints: 5, FanoutEvents: 3,
		Healthy: 1, Blackholed: 2, IdleEvents: 3, IdleGap: 5 * time.Millisecond,
		CeilingRequests: 300, Drain: 10 * time.Second, Database: "sqlite (in-process)",
	}
}

// checkClean fails unless every expected delivery arrived once, verified.
func checkClean(t *testing.T, r *Result, wantDeliveries int) {
	t.Helper()
	if r.Lost != 0 || r.Duplicates != 0 || r.BadSignatures != 0 || r.PublishErrors != 0 {
		t.Errorf("%s: lost %d, duplicates %d, bad signatures %d, publish errors %d; notes %q",
			r.Scenario, r.Lost, r.Duplicates, r.BadSignatures, r.PublishErrors, r.Notes)
	}
	if r.Deliveries != wantDeliveries || r.Expected != wantDeliveries {
		t.Errorf("%s: %d of %d deliveries expected and received, want %d", r.Scenario, r.Deliveries, r.Expected, wantDeliveries)
	}
	if r.Failed() {
		t.Errorf("%s: Failed() is true", r.Scenario)
	}
}

func TestThroughputEndToEnd(t *testing.T) {
	srv := startHookd(t)
	results, err := Run(t.Context(), small(Throughput), same(srv))
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 {
		t.Fatalf("%d results, want 1", len(results))
	}
	r := results[0]
	checkClean(t, r, 600)
	if r.Events != 300 || r.Fanout != 2 || r.Batch != 10 {
		t.Errorf("events %d, fanout %d, batch %d; want 300, 2, 10", r.Events, r.Fanout, r.Batch)
	}
	if r.DeliveriesPerSecond <= 0 || r.CeilingPerSecond <= 0 || r.CeilingRatio <= 0 {
		t.Errorf("rates: %v deliveries/s, ceiling %v/s, ratio %v; want all positive", r.DeliveriesPerSecond, r.CeilingPerSecond, r.CeilingRatio)
	}
	if r.P50 <= 0 || r.P99 < r.P50 || r.Max < r.P99 {
		t.Errorf("latencies p50 %v, p99 %v, max %v are not ordered and positive", r.P50, r.P99, r.Max)
	}
	if r.PayloadBytes < 400 || r.PayloadBytes > 500 {
		t.Errorf("delivered bodies are %d bytes, want about 450", r.PayloadBytes)
	}
	if r.PeakRSSMiB <= 0 || r.CPUPer1000 <= 0 {
		t.Errorf("peak RSS %v MiB, CPU %v s/1k; want both read from /proc", r.PeakRSSMiB, r.CPUPer1000)
	}
	// Each delivery was leased once at least: by its publish or a claim
	// (more when a claim gave back what it had no worker for).
	if r.HandedOff+r.Claimed < 600 || r.HandedOff <= 0 {
		t.Errorf("leases: %d handed off, %d claimed; want 600 at least, some handed off", r.HandedOff, r.Claimed)
	}

	var table bytes.Buffer
	if err := WriteTable(&table, results); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"throughput", "deliveries/s", "ceiling/s"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, results); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"deliveries_per_second"`, `"ceiling_per_second"`, `"ceiling_ratio"`, `"p50_ms"`, `"p99_ms"`, `"lost":0`, `"duplicates":0`, `"handed_off"`} {
		if !strings.Contains(js.String(), key) {
			t.Errorf("JSON lacks %s: %s", key, js.String())
		}
	}
}

func TestOtherScenarios(t *testing.T) {
	srv := startHookd(t)
	results, err := Run(t.Context(), small(Latency, Fanout, Isolation, Idle), same(srv))
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 4 {
		t.Fatalf("%d results, want 4", len(results))
	}
	lat, fan, iso, idle := results[0], results[1], results[2], results[3]
	checkClean(t, lat, 200)
	if lat.TargetRate != 400 || lat.AchievedRate <= 0 {
		t.Errorf("latency: target %v, achieved %v", lat.TargetRate, lat.AchievedRate)
	}
	checkClean(t, fan, 15)
	if fan.CompleteP50 <= 0 || fan.CompleteMax < fan.CompleteP50 {
		t.Errorf("fanout: completion p50 %v, max %v", fan.CompleteP50, fan.CompleteMax)
	}
	checkClean(t, iso, 300)
	if iso.HealthyAlonePerSecond <= 0 || iso.IsolationRatio <= 0 {
		t.Errorf("isolation: alone %v/s, ratio %v", iso.HealthyAlonePerSecond, iso.IsolationRatio)
	}
	if iso.BlackholeConnections == 0 {
		t.Error("isolation: the black hole held no connection; the black-holed endpoints were not called")
	}
	checkClean(t, idle, 3)
	if idle.P50 <= 0 {
		t.Errorf("idle: p50 %v", idle.P50)
	}
}

// TestSinkVerifiesAndDeduplicates: the sink counts a repeat of a delivery
// as a duplicate and refuses a request signed with another secret.
func TestSinkVerifiesAndDeduplicates(t *testing.T) {
	sink, err := NewSink("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	g := sink.NewGroup()
	url, setSecret := sink.Add(g)
	secret, _ := signature.NewSecret()
	setSecret(secret)
	other, _ := signature.NewSecret()

	body := []byte(`{"id":"evt_1","type":"bench.event","timestamp":"2026-01-01T00:00:00.000Z","data":{"sent":` +
		"1" + `,"seq":0,"pad":""}}`)
	post := func(id, key string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
		req.Header.Set("Webhook-Id", id)
		if err := (signature.Signer{Scheme: signature.Standard}).Sign(req.Header, id, time.Now(), body, []string{key}); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post("evt_1", secret); got != http.StatusNoContent {
		t.Errorf("first delivery: %d, want 204", got)
	}
	if got := post("evt_1", secret); got != http.StatusNoContent {
		t.Errorf("repeat: %d, want 204", got)
	}
	if got := post("evt_2", other); got != http.StatusBadRequest {
		t.Errorf("wrong secret: %d, want 400", got)
	}
	c := g.Counts()
	if c.Unique != 1 || c.Duplicates != 1 || c.Bad != 1 {
		t.Errorf("unique %d, duplicates %d, bad %d; want 1, 1, 1", c.Unique, c.Duplicates, c.Bad)
	}
	if !strings.Contains(c.FirstError, "no matching signature") {
		t.Errorf("first error %q does not say the signature did not match", c.FirstError)
	}
	if err := g.Wait(t.Context(), 2, 50*time.Millisecond); err != errStalled {
		t.Errorf("waiting for a receipt that never comes: %v, want errStalled", err)
	}
}

func TestPercentiles(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	p := percentiles(d)
	if p.P50 != 50 || p.P90 != 90 || p.P99 != 99 || p.Max != 100 || p.Mean != 50.5 {
		t.Errorf("percentiles of 1..100 ms: %+v", p)
	}
	if p := percentiles([]time.Duration{7 * time.Millisecond}); p.P50 != 7 || p.P99 != 7 {
		t.Errorf("one value: %+v", p)
	}
	if p := percentiles(nil); p != (Percentiles{}) {
		t.Errorf("no values: %+v", p)
	}
}

func TestSentStamp(t *testing.T) {
	p := newPayloads(450)
	body := appendEnvelope(nil, "evt_01JD6Z3K8Q9V7R2M4N5P6S7T8W", time.Now(), p.appendData(nil, 1234567890123, 7))
	if n, ok := sentStamp(body); !ok || n != 1234567890123 {
		t.Errorf("sentStamp = %d, %v", n, ok)
	}
	if len(body) < 430 || len(body) > 470 {
		t.Errorf("a 450-byte payload came out at %d bytes", len(body))
	}
	if _, ok := sentStamp([]byte(`{"data":{}}`)); ok {
		t.Error("found a stamp where there is none")
	}
}

func TestReadProc(t *testing.T) {
	s, err := readProc(os.Getpid())
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	if s.peakRSS <= 0 {
		t.Errorf("peak RSS %d", s.peakRSS)
	}
	if s.cpu < 0 {
		t.Errorf("cpu %v", s.cpu)
	}
}

func TestValidateBounds(t *testing.T) {
	c := Config{Scenarios: []string{"throughput", "nope"}, Events: MaxEvents + 1}
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "nope") || !strings.Contains(err.Error(), "events") {
		t.Errorf("Validate = %v, want the unknown scenario and the events limit named", err)
	}
	c = Config{}
	if err := c.Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
	if c.Events != Defaults.Events || c.Fanout != 1 || c.Batch != 1 {
		t.Errorf("defaults not applied: %+v", c)
	}
}

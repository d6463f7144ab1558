package dispatch

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/pgtest"
	"github.com/hookd/hookd/internal/secretbox"
	"github.com/hookd/hookd/postgres"
)

// TestTenantCapHolds: three endpoints of one tenant, 10 in flight each, see
// at most the tenant's default cap at once (half of the 16 workers), though
// workers are free.
func TestTenantCapHolds(t *testing.T) {
	e := newEngineStore(t)
	url, peak := peakServer(t)
	var eps []string
	for range 3 {
		eps = append(eps, e.endpoint(t, url, 10))
	}
	e.publish(t, 30)
	d := New(e.store, Config{AllowPrivate: true, Workers: 16, PollInterval: 50 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = d.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	for _, ep := range eps {
		e.waitStatus(t, ep, hookd.StatusDelivered, 30)
	}
	if p := peak(); p > 8 || p < 6 {
		t.Fatalf("peak concurrency %d, want at most the tenant's cap of 8 (and the cap used)", p)
	}
}

// hostileTenant gives the store a tenant at its limits: four endpoints at
// the deployment's largest max_in_flight, together able to hold every
// worker (4 × 64 = 256), all posting to a black hole, with 2,000
// deliveries due before the healthy tenant's. Only its in-flight cap (half
// of the workers by default) keeps workers for the others.
func hostileTenant(b *testing.B) func(e *engine, hole string) int {
	return func(e *engine, hole string) int {
		h := e.neighbour(b, "hostile")
		for range 4 {
			h.endpoint(b, hole, hookd.DefaultMaxEndpointInFlight(hookd.DefaultWorkers))
		}
		h.publish(b, 500)
		return hookd.DefaultTenantMaxInFlight(hookd.DefaultWorkers)
	}
}

// benchTenantIsolation measures the healthy tenant's delivery rate alone
// and beside the hostile tenant, on stores made by open, and reports the
// ratio (target >= 0.9) and that of CPU per delivery. open returns a fresh
// store and what closes it.
func benchTenantIsolation(b *testing.B, open func(b *testing.B) (hookd.Store, func())) {
	const n = 2000
	run := func(arrange func(e *engine, hole string) int) delivered {
		store, closeStore := open(b)
		defer closeStore() // each run's, at once: PostgreSQL has few connections to spare
		return deliverAll(b, newEngine(b, store), n, arrange)
	}
	var alone, beside delivered
	for b.Loop() {
		alone.add(run(nil))
		beside.add(run(hostileTenant(b)))
	}
	report(b, alone, beside, "beside_hostile_tenant")
}

// BenchmarkTenantIsolation is benchTenantIsolation on SQLite files.
func BenchmarkTenantIsolation(b *testing.B) {
	benchTenantIsolation(b, func(b *testing.B) (hookd.Store, func()) { return openSQLite(b), func() {} })
}

// BenchmarkTenantIsolationPostgres is benchTenantIsolation on fresh
// PostgreSQL databases (HOOKD_TEST_POSTGRES; skipped without it).
func BenchmarkTenantIsolationPostgres(b *testing.B) {
	benchTenantIsolation(b, func(b *testing.B) (hookd.Store, func()) {
		box, _ := secretbox.New(make([]byte, secretbox.KeySize))
		db, err := postgres.Open(b.Context(), pgtest.Database(b, os.Getenv(pgtest.EnvVar)), box)
		if err != nil {
			b.Fatal(err)
		}
		return db, func() { db.Close() }
	})
}

package dispatch

import (
	"os"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/pgtest"
	"github.com/hookd/hookd/internal/secretbox"
	"github.com/hookd/hookd/postgres"
)

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

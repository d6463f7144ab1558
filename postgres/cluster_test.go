package postgres_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/pgtest"
	"github.com/hookd/hookd/postgres"
)

// nodes opens n stores on one fresh database, as n hookd processes would,
// with a tenant "t", an event type "x" and one endpoint allowing maxInFlight.
func nodes(t testing.TB, n, maxInFlight int) ([]*postgres.DB, string) {
	t.Helper()
	return nodesOn(t, pgtest.Database(t, os.Getenv(pgtest.EnvVar)), n, maxInFlight)
}

// nodesOn is nodes on the database at dbURL.
func nodesOn(t testing.TB, dbURL string, n, maxInFlight int) ([]*postgres.DB, string) {
	t.Helper()
	var out []*postgres.DB
	for range n {
		out = append(out, openTestDB(t, dbURL))
	}
	ctx := t.Context()
	s := out[0]
	if err := s.CreateTenant(ctx, &hookd.Tenant{ID: "t", Name: "T"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateEventType(ctx, &hookd.EventType{Name: "x"}); err != nil {
		t.Fatal(err)
	}
	ep := &hookd.Endpoint{TenantID: "t", Name: "e", URL: "https://example.com/hook", EventTypes: []string{"*"},
		Enabled: true, MaxInFlight: maxInFlight, Timeout: 5 * time.Second}
	if err := s.CreateEndpoint(ctx, ep, "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"); err != nil {
		t.Fatal(err)
	}
	return out, ep.ID
}

func publishN(t testing.TB, s hookd.Store, n int) {
	t.Helper()
	events := make([]hookd.NewEvent, n)
	for i := range events {
		events[i] = hookd.NewEvent{Type: "x", Payload: []byte(`{}`), RequestHash: "h", CreatedAt: time.Now()}
	}
	if _, err := s.PublishEvents(t.Context(), "t", events, nil); err != nil {
		t.Fatal(err)
	}
}

// TestInFlightLimitAcrossNodes has four stores (four nodes' pools) claim one
// endpoint's backlog at once: the committed leases never exceed its
// max_in_flight, and no delivery is leased twice.
func TestInFlightLimitAcrossNodes(t *testing.T) {
	const limit, events = 3, 120
	dbs, _ := nodes(t, 4, limit)
	publishN(t, dbs[0], events)
	claimAcrossNodes(t, dbs, events, limit, 0)
}

// TestTenantLimitAcrossNodes: the same with three endpoints of one tenant,
// each allowing 10, and the tenants' cap at 4 (the deployment default; the
// tenant has none of its own): the tenant never has more than 4 leased.
func TestTenantLimitAcrossNodes(t *testing.T) {
	const limit, events = 4, 120
	dbs, _ := nodes(t, 4, 10)
	for range 2 {
		ep := &hookd.Endpoint{TenantID: "t", Name: "e", URL: "https://example.com/hook", EventTypes: []string{"*"},
			Enabled: true, MaxInFlight: 10, Timeout: 5 * time.Second}
		if err := dbs[0].CreateEndpoint(t.Context(), ep, "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"); err != nil {
			t.Fatal(err)
		}
	}
	publishN(t, dbs[0], events/3)
	claimAcrossNodes(t, dbs, events, limit, limit)
}

// claimAcrossNodes has every node claim (10 at a time) and record until all
// events deliveries were claimed, checking that no more than limit are ever
// leased at once and none twice.
func claimAcrossNodes(t *testing.T, dbs []*postgres.DB, events, limit, tenantMax int) {
	var mu sync.Mutex
	claimed := map[string]int{}
	var wg sync.WaitGroup
	for _, db := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for {
				now := time.Now()
				jobs, err := db.ClaimDeliveries(ctx, now, 10, time.Minute, tenantMax)
				if err != nil {
					t.Error(err)
					return
				}
				_, inFlight, err := db.CountQueue(ctx, now)
				if err != nil {
					t.Error(err)
					return
				}
				if inFlight > limit {
					t.Errorf("%d deliveries leased at once, limit %d", inFlight, limit)
				}
				mu.Lock()
				for _, j := range jobs {
					claimed[j.DeliveryID]++
				}
				done := len(claimed) == events
				mu.Unlock()
				if done {
					return
				}
				if _, err := db.RecordAttempts(ctx, succeeded(jobs)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for id, n := range claimed {
		if n != 1 {
			t.Errorf("delivery %s leased %d times", id, n)
		}
	}
	if len(claimed) != events {
		t.Errorf("%d of %d deliveries claimed", len(claimed), events)
	}
}

// succeeded is a 200 for each job, now.
func succeeded(jobs []*hookd.Job) []hookd.AttemptResult {
	var results []hookd.AttemptResult
	for _, j := range jobs {
		results = append(results, hookd.AttemptResult{Job: j, Outcome: hookd.Outcome{Success: true},
			Attempt: hookd.Attempt{Number: j.Attempt, At: time.Now(), URL: j.URL, StatusCode: 200}})
	}
	return results
}

// TestWakeupsAcrossNodes: a publish on one node wakes another's listener.
func TestWakeupsAcrossNodes(t *testing.T) {
	dbs, _ := nodes(t, 2, 10)
	wake := dbs[1].Wakeups(t.Context())
	select { // the listener signals once when it is connected
	case <-wake:
	case <-time.After(10 * time.Second):
		t.Fatal("listener never connected")
	}
	publishN(t, dbs[0], 1)
	select {
	case <-wake:
	case <-time.After(10 * time.Second):
		t.Fatal("a publish on another node did not wake this one")
	}
}

// TestConcurrentMigrations starts four nodes on an empty database at once:
// each migration runs once and every node comes up ready.
func TestConcurrentMigrations(t *testing.T) {
	dbURL := pgtest.Database(t, os.Getenv(pgtest.EnvVar))
	dbs := make([]*postgres.DB, 4)
	errs := make([]error, len(dbs))
	var wg sync.WaitGroup
	for i := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dbs[i], errs[i] = postgres.Open(t.Context(), dbURL, testBox(t))
		}()
	}
	wg.Wait()
	for i, db := range dbs {
		if errs[i] != nil {
			t.Fatalf("node %d: %v", i, errs[i])
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Ready(t.Context()); err != nil {
			t.Errorf("node %d not ready: %v", i, err)
		}
	}
}

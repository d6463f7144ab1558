package postgres_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/pgtest"
)

// offerOf is a hand-off offer of free workers now.
func offerOf(free int) *hookd.HandOff {
	var mu sync.Mutex
	return hookd.NewHandOff(time.Now(), time.Minute, 0, func(n int) int {
		mu.Lock()
		defer mu.Unlock()
		got := min(n, free)
		free -= got
		return got
	})
}

// TestHandOffSkipsLockedTenant: while another node claims for the tenant
// (it holds the tenant's row), a publish with an offer does not wait for
// it: it commits its deliveries pending, for the claim. A record in
// progress (it holds the endpoint's row) does not stop a hand-off.
func TestHandOffSkipsLockedTenant(t *testing.T) {
	dbURL := pgtest.Database(t, os.Getenv(pgtest.EnvVar))
	dbs, epID := nodesOn(t, dbURL, 1, 10)
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	publish := func(what string, wantJobs int) {
		t.Helper()
		// Waiting for the lock would outlast this deadline: the holder ends only after.
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		offer := offerOf(10)
		if _, err := dbs[0].PublishEvents(ctx, "t", []hookd.NewEvent{{Type: "x", Payload: []byte(`{}`), RequestHash: "h",
			CreatedAt: time.Now()}}, offer); err != nil {
			t.Fatalf("publish %s: %v", what, err)
		}
		if jobs, unused := offer.Close(); len(jobs) != wantJobs || unused != 1-wantJobs {
			t.Errorf("%s: %d handed off, %d workers unused; want %d, %d", what, len(jobs), unused, wantJobs, 1-wantJobs)
		}
	}
	hold := func(query, id string) pgx.Tx {
		t.Helper()
		tx, err := conn.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(t.Context(), query, id); err != nil {
			t.Fatal(err)
		}
		return tx
	}
	tx := hold(`SELECT id FROM tenants WHERE id = $1 FOR NO KEY UPDATE`, "t")
	publish("beside a claim holding the tenant", 0)
	if err := tx.Rollback(t.Context()); err != nil {
		t.Fatal(err)
	}
	tx = hold(`SELECT id FROM endpoints WHERE id = $1 FOR NO KEY UPDATE`, epID)
	publish("beside a record holding the endpoint", 1)
	if err := tx.Rollback(t.Context()); err != nil {
		t.Fatal(err)
	}
	jobs, err := dbs[0].ClaimDeliveries(t.Context(), time.Now(), 10, time.Minute, 0)
	if err != nil || len(jobs) != 1 {
		t.Errorf("claim after the locks ended: %d jobs, %v; want the one left pending", len(jobs), err)
	}
}

// TestHandOffAcrossNodes: two nodes publish with offers while two others
// claim, every node recording what it got, on an endpoint allowing 3: the
// committed leases never exceed 3, no delivery is leased twice, every one
// is leased once.
func TestHandOffAcrossNodes(t *testing.T) {
	const limit, perPublisher = 3, 60
	dbs, _ := nodes(t, 4, limit)
	ctx := context.Background()
	var mu sync.Mutex
	leased := map[string]int{}
	handed := 0
	checkAndRecord := func(db hookd.Store, jobs []*hookd.Job) bool {
		_, inFlight, err := dbs[0].CountQueue(ctx, time.Now())
		if err != nil {
			t.Error(err)
			return false
		}
		if inFlight > limit {
			t.Errorf("%d deliveries leased at once, limit %d", inFlight, limit)
		}
		mu.Lock()
		for _, j := range jobs {
			leased[j.DeliveryID]++
		}
		mu.Unlock()
		if _, err := db.RecordAttempts(ctx, succeeded(jobs)); err != nil {
			t.Error(err)
			return false
		}
		return true
	}
	var publishers, claimers sync.WaitGroup
	done := make(chan struct{})
	for _, db := range dbs[:2] {
		publishers.Add(1)
		go func() {
			defer publishers.Done()
			for range perPublisher {
				offer := offerOf(10)
				if _, err := db.PublishEvents(ctx, "t", []hookd.NewEvent{{Type: "x", Payload: []byte(`{}`), RequestHash: "h",
					CreatedAt: time.Now()}}, offer); err != nil {
					t.Error(err)
					return
				}
				jobs, _ := offer.Close()
				mu.Lock()
				handed += len(jobs)
				mu.Unlock()
				if !checkAndRecord(db, jobs) {
					return
				}
			}
		}()
	}
	for _, db := range dbs[2:] {
		claimers.Add(1)
		go func() {
			defer claimers.Done()
			for {
				jobs, err := db.ClaimDeliveries(ctx, time.Now(), 10, time.Minute, 0)
				if err != nil {
					t.Error(err)
					return
				}
				if !checkAndRecord(db, jobs) {
					return
				}
				select {
				case <-done:
					if len(jobs) == 0 {
						return
					}
				default:
				}
			}
		}()
	}
	publishers.Wait()
	close(done)
	claimers.Wait()
	for id, n := range leased {
		if n != 1 {
			t.Errorf("delivery %s leased %d times", id, n)
		}
	}
	if len(leased) != 2*perPublisher {
		t.Errorf("%d of %d deliveries leased", len(leased), 2*perPublisher)
	}
	if handed == 0 {
		t.Errorf("no delivery was handed off at publish")
	}
	t.Logf("%d of %d handed off at publish", handed, 2*perPublisher)
}

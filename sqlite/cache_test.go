package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/secretbox"
)

// TestPublishCacheEmptiedByOtherJobs: publishes in one group commit share
// what they read of the catalogue, but not across another job, which may
// change it. Here a job between two publishes disables the endpoint: the
// second publish must see it disabled and pause its delivery.
func TestPublishCacheEmptiedByOtherJobs(t *testing.T) {
	db, ctx := cacheTestDB(t)
	if err := db.CreateEventType(ctx, &hookd.EventType{Name: "x"}); err != nil {
		t.Fatal(err)
	}
	ep := &hookd.Endpoint{TenantID: "t", Name: "e", URL: "https://example.com", EventTypes: []string{"*"}, Enabled: true, MaxInFlight: 10}
	if err := db.CreateEndpoint(ctx, ep, "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"); err != nil {
		t.Fatal(err)
	}

	publish := func(id string) *txJob {
		return &txJob{ctx: ctx, done: make(chan error, 1), kind: jobPublish, fn: func(_ context.Context, tx *sql.Tx) error {
			p, err := db.beginPublish(ctx, tx, "t")
			if err != nil {
				return err
			}
			_, _, err = p.publishAll([]hookd.NewEvent{{ID: id, Type: "x", Payload: []byte(`{}`), RequestHash: "h", CreatedAt: time.Now()}}, nil)
			return err
		}}
	}
	disable := &txJob{ctx: ctx, done: make(chan error, 1), fn: func(_ context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE endpoints SET enabled = 0, disabled_reason = 'manual' WHERE id = ?`, ep.ID)
		return err
	}}
	// The committer is idle (nothing is queued), so this goroutine may run
	// a group itself.
	group := []*txJob{publish("evt_before"), publish("evt_before2"), disable, publish("evt_after")}
	db.runGroup(group)
	for i, j := range group {
		if err := <-j.done; err != nil {
			t.Fatalf("job %d: %v", i, err)
		}
	}
	for event, want := range map[string]string{"evt_before": hookd.StatusPending, "evt_before2": hookd.StatusPending, "evt_after": hookd.StatusPaused} {
		var status string
		if err := db.read.QueryRowContext(ctx, `SELECT status FROM deliveries WHERE event_id = ?`, event).Scan(&status); err != nil {
			t.Fatalf("%s: %v", event, err)
		}
		if status != want {
			t.Errorf("%s: delivery is %s, want %s", event, status, want)
		}
	}
}

// TestKeyCacheRevocation: a key found once (and so cached) stops
// authenticating as soon as it is deleted, or its tenant is.
func TestKeyCacheRevocation(t *testing.T) {
	db, ctx := cacheTestDB(t)
	key := func(name, tenant string) *hookd.APIKey {
		t.Helper()
		k := &hookd.APIKey{Name: name, Role: hookd.RolePublisher, TenantID: tenant, Prefix: "hk_" + name,
			Hash: []byte(name + " hash, 32 bytes long ..........")[:32]}
		if err := db.CreateAPIKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		for range 2 { // the second is answered from the cache
			got, err := db.APIKeyByHash(ctx, k.Hash)
			if err != nil || got.ID != k.ID || got.TenantID != tenant || got.LastUsedAt == nil {
				t.Fatalf("APIKeyByHash(%s) = %+v, %v", name, got, err)
			}
			got.Role = hookd.RoleAdmin // a caller's change must not reach the cache
		}
		if got, _ := db.APIKeyByHash(ctx, k.Hash); got.Role != hookd.RolePublisher {
			t.Fatalf("cached key changed by a caller: role %s", got.Role)
		}
		return k
	}
	deleted, scoped, kept := key("deleted", ""), key("scoped", "t"), key("kept", "")

	if err := db.DeleteAPIKey(ctx, deleted.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.APIKeyByHash(ctx, deleted.Hash); hookd.ErrorCode(err) != hookd.ENOTFOUND {
		t.Errorf("deleted key: %v, want ENOTFOUND", err)
	}
	if _, err := db.APIKeyByHash(ctx, scoped.Hash); err != nil { // cached anew
		t.Fatal(err)
	}
	if err := db.DeleteTenant(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.APIKeyByHash(ctx, scoped.Hash); hookd.ErrorCode(err) != hookd.ENOTFOUND {
		t.Errorf("key of a deleted tenant: %v, want ENOTFOUND", err)
	}
	if _, err := db.APIKeyByHash(ctx, kept.Hash); err != nil {
		t.Errorf("untouched key: %v", err)
	}
}

// cacheTestDB is a store with tenant "t".
func cacheTestDB(t *testing.T) (*DB, context.Context) {
	t.Helper()
	box, _ := secretbox.New(make([]byte, secretbox.KeySize))
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "hookd.db"), box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	if err := db.CreateTenant(ctx, &hookd.Tenant{ID: "t", Name: "T"}); err != nil {
		t.Fatal(err)
	}
	return db, ctx
}

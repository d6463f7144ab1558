package postgres_test

import (
	"crypto/sha256"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/pgtest"
	"github.com/hookd/hookd/postgres"
)

// TestKeyRevokedOnAnotherNode: node B caches the keys it authenticated; a
// key revoked on node A, and the keys of a tenant deleted on A, stop
// working on B (B hears A's NOTIFY), within a few seconds.
func TestKeyRevokedOnAnotherNode(t *testing.T) {
	dbs, _ := nodes(t, 2, 10)
	a, b := dbs[0], dbs[1]
	wakeups(t, b)
	if err := a.CreateTenant(t.Context(), &hookd.Tenant{ID: "u", Name: "U"}); err != nil {
		t.Fatal(err)
	}
	revoked, ofTenant, kept := testKey(t, a, "revoked", ""), testKey(t, a, "of-tenant", "u"), testKey(t, a, "kept", "t")
	for _, k := range []*hookd.APIKey{revoked, ofTenant, kept} {
		authenticate(t, b, k)
	}

	if err := a.DeleteAPIKey(t.Context(), revoked.ID); err != nil {
		t.Fatal(err)
	}
	refusedEventually(t, b, revoked, "a key revoked on another node")
	if err := a.DeleteTenant(t.Context(), "u"); err != nil {
		t.Fatal(err)
	}
	refusedEventually(t, b, ofTenant, "a key of a tenant deleted on another node")
	authenticate(t, b, kept)
}

// TestKeyCacheListenerLost: a node whose LISTEN connection is killed may
// have missed a key's removal, so it stops answering from its cache (a key
// removed behind the store's back, with no NOTIFY, is refused within a few
// seconds rather than after the cache's minute), and caches again once it
// listens again.
func TestKeyCacheListenerLost(t *testing.T) {
	dbURL := pgtest.Database(t, os.Getenv(pgtest.EnvVar))
	dbs, _ := nodesOn(t, dbURL, 1, 10)
	b := dbs[0]
	wake := wakeups(t, b)
	raw, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close(t.Context()) })
	removeUnheard := func(k *hookd.APIKey) {
		t.Helper()
		if _, err := raw.Exec(t.Context(), `DELETE FROM api_keys WHERE id = $1`, k.ID); err != nil {
			t.Fatal(err)
		}
	}

	// While listening, the cache answers: a removal no node was told of is
	// not seen (so the next step's refusal is the listener's doing).
	cached := testKey(t, b, "cached", "t")
	authenticate(t, b, cached)
	removeUnheard(cached)
	authenticate(t, b, cached)

	lost := testKey(t, b, "lost", "t")
	authenticate(t, b, lost)
	var pid int
	if err := raw.QueryRow(t.Context(), `SELECT pid FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN %'`).Scan(&pid); err != nil {
		t.Fatalf("find the LISTEN connection: %v", err)
	}
	var ok bool
	if err := raw.QueryRow(t.Context(), `SELECT pg_terminate_backend($1, 5000)`, pid).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_terminate_backend: %v, %v", ok, err)
	}
	removeUnheard(lost)
	refusedEventually(t, b, lost, "a key removed while the node's listener was down")

	// Listening again (it signals on reconnect), it caches again.
	select {
	case <-wake:
	case <-time.After(15 * time.Second):
		t.Fatal("the listener did not reconnect")
	}
	again := testKey(t, b, "again", "t")
	authenticate(t, b, again)
	removeUnheard(again)
	authenticate(t, b, again)
}

// wakeups runs s's listener for the test, as a node's dispatcher does, and
// returns it once it is connected.
func wakeups(t *testing.T, s *postgres.DB) <-chan struct{} {
	t.Helper()
	wake := s.Wakeups(t.Context())
	select { // the listener signals once when it is connected
	case <-wake:
	case <-time.After(10 * time.Second):
		t.Fatal("listener never connected")
	}
	return wake
}

func testKey(t *testing.T, s hookd.Store, name, tenantID string) *hookd.APIKey {
	t.Helper()
	hash := sha256.Sum256([]byte(name))
	k := &hookd.APIKey{Name: name, Role: hookd.RolePublisher, TenantID: tenantID, Prefix: "hk_" + name, Hash: hash[:]}
	if err := s.CreateAPIKey(t.Context(), k); err != nil {
		t.Fatal(err)
	}
	return k
}

// authenticate finds k by its hash twice, the second time from the cache
// where there is one.
func authenticate(t *testing.T, s hookd.Store, k *hookd.APIKey) {
	t.Helper()
	for range 2 {
		got, err := s.APIKeyByHash(t.Context(), k.Hash)
		if err != nil || got.ID != k.ID {
			t.Fatalf("APIKeyByHash(%s) = %v, %v; want %s", k.Name, got, err, k.ID)
		}
	}
}

// refusedEventually waits up to 10 s for k to stop authenticating on s.
func refusedEventually(t *testing.T, s hookd.Store, k *hookd.APIKey, what string) {
	t.Helper()
	start := time.Now()
	for {
		_, err := s.APIKeyByHash(t.Context(), k.Hash)
		if hookd.ErrorCode(err) == hookd.ENOTFOUND {
			t.Logf("%s: refused after %v", what, time.Since(start).Round(time.Millisecond))
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("%s: still authenticates after 10s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

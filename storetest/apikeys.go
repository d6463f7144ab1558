package storetest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"time"

	"github.com/hookd/hookd"
)

// apiKey creates a key with the given role and tenant scope ("" for all).
func (f *fixture) apiKey(role, tenantID string) *hookd.APIKey {
	f.Helper()
	n := f.next()
	hash := sha256.Sum256(fmt.Appendf(nil, "hk_secret_%d", n))
	k := &hookd.APIKey{
		Name:     fmt.Sprintf("key %d", n),
		Role:     role,
		TenantID: tenantID,
		Prefix:   fmt.Sprintf("hk_%04d", n),
		Hash:     hash[:],
	}
	f.must(f.s.CreateAPIKey(f.ctx, k), "CreateAPIKey")
	return k
}

var apiKeyTests = []testCase{
	{"LastDeploymentAdminCannotBeDeleted", func(f *fixture) {
		ten := f.tenant()
		first := f.apiKey(hookd.RoleAdmin, "")
		scoped := f.apiKey(hookd.RoleAdmin, ten.ID)
		viewer := f.apiKey(hookd.RoleViewer, "")
		f.wantCode(f.s.DeleteAPIKey(f.ctx, first.ID), hookd.ECONFLICT, "DeleteAPIKey of the only deployment-wide admin")
		f.must(f.s.DeleteAPIKey(f.ctx, scoped.ID), "DeleteAPIKey of a tenant admin")
		f.must(f.s.DeleteAPIKey(f.ctx, viewer.ID), "DeleteAPIKey of a viewer")
		second := f.apiKey(hookd.RoleAdmin, "")
		f.must(f.s.DeleteAPIKey(f.ctx, first.ID), "DeleteAPIKey of an admin with another beside it")
		f.wantCode(f.s.DeleteAPIKey(f.ctx, second.ID), hookd.ECONFLICT, "DeleteAPIKey of the last one again")
	}},
	{"CreateAndFindByHash", func(f *fixture) {
		ten := f.tenant()
		k := f.apiKey(hookd.RolePublisher, ten.ID)
		if !strings.HasPrefix(k.ID, "key_") || k.CreatedAt.IsZero() {
			f.Errorf("CreateAPIKey set ID %q, CreatedAt %v; want key_..., a time", k.ID, k.CreatedAt)
		}
		got, err := f.s.APIKeyByHash(f.ctx, k.Hash)
		f.must(err, "APIKeyByHash")
		f.diff("APIKeyByHash", k, got, ignoreFields("LastUsedAt"))
		byID, err := f.s.APIKey(f.ctx, k.ID)
		f.must(err, "APIKey")
		f.diff("APIKey", k, byID, ignoreFields("LastUsedAt"))
		if byID.LastUsedAt == nil {
			f.Errorf("APIKeyByHash did not record the key's use")
		}
		_, err = f.s.APIKeyByHash(f.ctx, []byte("no such hash, 32 bytes long ...."))
		f.wantCode(err, hookd.ENOTFOUND, "APIKeyByHash of an unknown hash")
		_, err = f.s.APIKey(f.ctx, "key_missing")
		f.wantCode(err, hookd.ENOTFOUND, "APIKey of an unknown id")
	}},
	{"ListScopedNewestFirstAndCounted", func(f *fixture) {
		a, b := f.tenant(), f.tenant()
		var all, ofA []string
		for _, scope := range []string{"", a.ID, b.ID, a.ID} {
			k := f.apiKey(hookd.RoleViewer, scope)
			all = append(all, k.ID)
			if scope == a.ID {
				ofA = append(ofA, k.ID)
			}
			tick()
		}
		list := func(tenantID string) []string {
			return pages(f, 2, func(p hookd.Page) ([]*hookd.APIKey, error) { return f.s.APIKeys(f.ctx, tenantID, p) },
				func(k *hookd.APIKey) string { return k.ID })
		}
		f.diff("APIKeys of every tenant", reversed(all), list(""))
		f.diff("APIKeys of one tenant", reversed(ofA), list(a.ID))
		n, err := f.s.CountAPIKeys(f.ctx)
		f.must(err, "CountAPIKeys")
		if n != 4 {
			f.Errorf("CountAPIKeys = %d, want 4", n)
		}
	}},
	{"DeleteRevokes", func(f *fixture) {
		k := f.apiKey(hookd.RolePublisher, "")
		f.must(f.s.DeleteAPIKey(f.ctx, k.ID), "DeleteAPIKey")
		_, err := f.s.APIKeyByHash(f.ctx, k.Hash)
		f.wantCode(err, hookd.ENOTFOUND, "APIKeyByHash of a deleted key")
		_, err = f.s.APIKey(f.ctx, k.ID)
		f.wantCode(err, hookd.ENOTFOUND, "APIKey of a deleted key")
		f.wantCode(f.s.DeleteAPIKey(f.ctx, k.ID), hookd.ENOTFOUND, "DeleteAPIKey twice")
		if n, err := f.s.CountAPIKeys(f.ctx); err != nil || n != 0 {
			f.Errorf("CountAPIKeys after delete = %d, %v; want 0", n, err)
		}
	}},
	{"RevokedWhileCachedRefusedAtOnce", func(f *fixture) {
		// Authenticated twice first, so a store that caches keys answers
		// from its cache, listening as a serving node does.
		f.listening()
		k, kept := f.apiKey(hookd.RolePublisher, ""), f.apiKey(hookd.RoleAdmin, "")
		f.authenticate(k, kept)
		f.must(f.s.DeleteAPIKey(f.ctx, k.ID), "DeleteAPIKey")
		_, err := f.s.APIKeyByHash(f.ctx, k.Hash)
		f.wantCode(err, hookd.ENOTFOUND, "APIKeyByHash of a key revoked after use")
		f.authenticate(kept)
	}},
	{"DeletedTenantsKeysRefusedAtOnce", func(f *fixture) {
		f.listening()
		gone, stays := f.tenant(), f.tenant()
		k, other, global := f.apiKey(hookd.RoleAdmin, gone.ID), f.apiKey(hookd.RolePublisher, stays.ID), f.apiKey(hookd.RoleAdmin, "")
		f.authenticate(k, other, global)
		f.must(f.s.DeleteTenant(f.ctx, gone.ID), "DeleteTenant")
		_, err := f.s.APIKeyByHash(f.ctx, k.Hash)
		f.wantCode(err, hookd.ENOTFOUND, "APIKeyByHash of a deleted tenant's key used before")
		f.authenticate(other, global)
	}},
	{"UnknownTenantNotFound", func(f *fixture) {
		err := f.s.CreateAPIKey(f.ctx, &hookd.APIKey{
			Name: "orphan", Role: hookd.RoleViewer, TenantID: "ten_missing", Prefix: "hk_x", Hash: []byte("orphan-hash"),
		})
		f.wantCode(err, hookd.ENOTFOUND, "CreateAPIKey for an unknown tenant")
		if n, err := f.s.CountAPIKeys(f.ctx); err != nil || n != 0 {
			f.Errorf("CountAPIKeys after a rejected create = %d, %v; want 0", n, err)
		}
	}},
}

// authenticate finds each key by its hash twice (the second may come from
// a cache), as requests do.
func (f *fixture) authenticate(keys ...*hookd.APIKey) {
	f.Helper()
	for _, k := range keys {
		for range 2 {
			got, err := f.s.APIKeyByHash(f.ctx, k.Hash)
			f.must(err, "APIKeyByHash of "+k.Name)
			if got.ID != k.ID {
				f.Fatalf("APIKeyByHash of %s = %s", k.ID, got.ID)
			}
		}
	}
}

// listening runs the store's wake-up listener for the test, as a serving
// node's dispatcher does (a store may cache keys only while it hears of
// other nodes' changes), and waits until it listens.
func (f *fixture) listening() {
	f.Helper()
	w, ok := f.s.(hookd.Waker)
	if !ok {
		return
	}
	ctx, cancel := context.WithCancel(f.ctx)
	f.Cleanup(cancel)
	select {
	case <-w.Wakeups(ctx):
	case <-time.After(10 * time.Second):
		f.Fatal("Wakeups: not listening after 10s")
	}
}

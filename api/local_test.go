package api

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/pgtest"
	"github.com/hookd/hookd/postgres"
	"github.com/hookd/hookd/service"
)

// TestCLITokenExpiry holds a CLI token to its 24 hours on both stores: a
// token minted 25 hours ago is refused with 401 on every route it could use
// and listed until the next mint removes it; one minted now works, and
// revoking it refuses it too.
func TestCLITokenExpiry(t *testing.T) {
	stores := map[string]func(t *testing.T) hookd.Store{
		"sqlite": func(t *testing.T) hookd.Store { db, _ := testDB(t); return db },
		"postgres": func(t *testing.T) hookd.Store {
			_, box := testDB(t)
			db, err := postgres.Open(t.Context(), pgtest.Database(t, os.Getenv(pgtest.EnvVar)), box)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			store := open(t)
			ctx := t.Context()
			if err := store.CreateTenant(ctx, &hookd.Tenant{ID: "acme", Name: "Acme"}); err != nil {
				t.Fatal(err)
			}
			s := New(store, nil, Config{}, nil)
			call := func(token, method, path string) int {
				r := httptest.NewRequest(method, path, strings.NewReader(`{"type":"contact.created"}`))
				r.Header.Set("Authorization", "Bearer "+token)
				w := httptest.NewRecorder()
				s.ServeHTTP(w, r)
				return w.Code
			}
			old, oldKey, err := service.MintCLIToken(ctx, store, "acme", "yesterday", time.Now().Add(-25*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if old.ExpiresAt == nil || old.ExpiresAt.After(time.Now()) {
				t.Fatalf("a token minted 25 h ago expires at %v", old.ExpiresAt)
			}
			routes := [][2]string{
				{"GET", "/v1/tenants/acme/local-sessions"},
				{"POST", "/v1/tenants/acme/local-sessions/ep_none/trigger"},
				{"POST", "/v1/tenants/acme/local-sessions/ep_none/deliveries/dlv_none/replay"},
			}
			for _, rt := range routes {
				if got := call(oldKey, rt[0], rt[1]); got != http.StatusUnauthorized {
					t.Errorf("%s %s with an expired token: %d, want 401", rt[0], rt[1], got)
				}
			}
			if tokens, err := service.CLITokens(ctx, store, "acme"); err != nil || len(tokens) != 1 || !tokens[0].Expired(time.Now()) {
				t.Errorf("CLITokens: %v, %v; want the expired one, still listed", tokens, err)
			}

			fresh, freshKey, err := service.MintCLIToken(ctx, store, "acme", "", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if fresh.Name != "CLI token" || fresh.Role != hookd.RoleDeveloper || fresh.TenantID != "acme" {
				t.Errorf("minted %+v, want a developer key of acme named CLI token", fresh)
			}
			if got := call(freshKey, "GET", "/v1/tenants/acme/local-sessions"); got != http.StatusOK {
				t.Errorf("a fresh token listing sessions: %d, want 200", got)
			}
			if tokens, err := service.CLITokens(ctx, store, "acme"); err != nil || len(tokens) != 1 || tokens[0].ID != fresh.ID {
				t.Errorf("CLITokens after a mint: %v, %v; want the fresh one alone (the mint removes expired ones)", tokens, err)
			}
			if err := service.RevokeCLIToken(ctx, store, "acme", fresh.ID); err != nil {
				t.Fatal(err)
			}
			if got := call(freshKey, "GET", "/v1/tenants/acme/local-sessions"); got != http.StatusUnauthorized {
				t.Errorf("a revoked token: %d, want 401", got)
			}
			if err := service.RevokeCLIToken(ctx, store, "acme", fresh.ID); hookd.ErrorCode(err) != hookd.ENOTFOUND {
				t.Errorf("revoking it again: %v, want not found", err)
			}
		})
	}
}

package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/secretbox"
	"github.com/hookd/hookd/internal/token"
	"github.com/hookd/hookd/service"
	"github.com/hookd/hookd/sqlite"
)

// testDB opens a SQLite store in a temporary directory, with a zero key.
func testDB(t testing.TB) (*sqlite.DB, *secretbox.Box) {
	t.Helper()
	box, err := secretbox.New(make([]byte, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "hookd.db"), box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, box
}

func TestPortalLinks(t *testing.T) {
	db, box := testDB(t)
	if err := db.CreateTenant(t.Context(), &hookd.Tenant{ID: "acme", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	key, hash := service.NewKey()
	if err := db.CreateAPIKey(t.Context(), &hookd.APIKey{Name: "admin", Role: hookd.RoleAdmin, Prefix: service.DisplayPrefix(key), Hash: hash}); err != nil {
		t.Fatal(err)
	}
	portalKey := box.DeriveKey(token.PortalKeyLabel)

	post := func(s *Server, tenant, body string, header ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/v1/tenants/"+tenant+"/portal-links", strings.NewReader(body))
		r.Host = "hooks.internal:8080"
		r.Header.Set("Authorization", "Bearer "+key)
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}
	link := func(t *testing.T, w *httptest.ResponseRecorder) (string, token.Portal, time.Time) {
		t.Helper()
		if w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		var out portalLink
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(out.URL)
		if err != nil {
			t.Fatal(err)
		}
		var p token.Portal
		if err := token.Open(portalKey, u.Query().Get("token"), time.Now(), &p); err != nil {
			t.Fatalf("the link's token does not open with the portal key: %v", err)
		}
		return strings.TrimSuffix(out.URL, "?"+u.RawQuery), p, out.ExpiresAt
	}

	s := New(db, nil, Config{PortalKey: portalKey}, nil)
	base, p, exp := link(t, post(s, "acme", ""))
	if base != "http://hooks.internal:8080/dashboard/portal" || !reflect.DeepEqual(p, token.Portal{Tenant: "acme", Role: hookd.RoleAdmin}) {
		t.Errorf("default link: %s for %+v", base, p)
	}
	if d := time.Until(exp); d < 14*time.Minute || d > 15*time.Minute {
		t.Errorf("default link expires in %s, want 15 minutes", d)
	}
	base, _, _ = link(t, post(s, "acme", "", "X-Forwarded-Proto", "https"))
	if base != "https://hooks.internal:8080/dashboard/portal" {
		t.Errorf("behind a TLS proxy: %s", base)
	}
	_, p, exp = link(t, post(s, "acme", `{"role":"viewer","expires_in":60}`))
	if p.Role != hookd.RoleViewer || time.Until(exp) > time.Minute {
		t.Errorf("viewer link for 60 s: %+v, expires in %s", p, time.Until(exp))
	}
	public := New(db, nil, Config{PortalKey: portalKey, PublicURL: "https://hooks.example.com/"}, nil)
	if base, _, _ = link(t, post(public, "acme", "")); base != "https://hooks.example.com/dashboard/portal" {
		t.Errorf("with a public URL: %s", base)
	}

	_, p, _ = link(t, post(s, "acme", `{"return_url":"https://app.example.com/settings?tab=hooks","display_name":" Acme Shop ","read_only":["secret_reveal","endpoint_delete"]}`))
	want := token.Portal{Tenant: "acme", Role: hookd.RoleAdmin, ReturnURL: "https://app.example.com/settings?tab=hooks",
		DisplayName: "Acme Shop", ReadOnly: []string{token.SecretReveal, token.EndpointDelete}}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("link with options carries %+v, want %+v", p, want)
	}

	for body, field := range map[string]string{
		`{"role":"publisher"}`: "role", `{"expires_in":30}`: "expires_in", `{"expires_in":86401}`: "expires_in",
		`{"return_url":"/relative"}`:                                                  "return_url",
		`{"return_url":"javascript:alert(1)"}`:                                        "return_url",
		`{"return_url":"https://user:pw@app.example.com/"}`:                           "return_url",
		`{"return_url":"https://app.example.com/` + strings.Repeat("a", 1100) + `"}`:  "return_url",
		`{"display_name":"` + strings.Repeat("n", 101) + `"}`:                         "display_name",
		`{"read_only":["secret_reveal","secret_reveal"]}`:                             "read_only",
		`{"read_only":["everything"]}`:                                                "read_only",
		`{"return_url":"https://app.example.com/?` + strings.Repeat("&", 1000) + `"}`: "return_url", // fits 1024 bytes, not a token
	} {
		if w := post(s, "acme", body); w.Code != 422 || !strings.Contains(w.Body.String(), `"field":"`+field+`"`) {
			t.Errorf("%s: %d %s, want 422 naming %s", body, w.Code, w.Body, field)
		}
	}
	if w := post(s, "nobody", ""); w.Code != 404 {
		t.Errorf("unknown tenant: %d, want 404", w.Code)
	}
	if w := post(New(db, nil, Config{}, nil), "acme", ""); w.Code != 503 {
		t.Errorf("without a portal key: %d, want 503", w.Code)
	}
}

package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/service"
	"github.com/hookd/hookd/signature"
)

// TestDevelopLocally checks the Develop locally page's rules over HTTP:
// the minted token is shown once with its command; a tenant-A session
// gets 404 for tenant B's page, tokens and sessions and for A's webhook
// endpoints as sessions; a viewer sees but cannot mint; a CLI token cannot
// sign in to the dashboard.
func TestDevelopLocally(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	session := func(tenant string) *hookd.Endpoint {
		ep := &hookd.Endpoint{TenantID: tenant, Name: "hookd listen (laptop)", URL: "hookd-listen://" + tenant, EventTypes: []string{"*"},
			Headers: map[string]string{}, Enabled: true, MaxInFlight: 10, Kind: hookd.KindLocal}
		secret, _ := signature.NewSecret()
		must(t, e.store.CreateEndpoint(ctx, ep, secret))
		return ep
	}
	sessA, sessB := session("a"), session("b")
	tokB, tokBKey, err := service.MintCLIToken(ctx, e.store, "b", "B laptop", time.Now())
	must(t, err)

	u := e.user().signedIn("a", hookd.RoleAdmin)
	csrf := u.csrf("/dashboard/t/a/local")
	if p := u.post("/dashboard/t/a/local/tokens", url.Values{"csrf": {csrf}, "name": {"Ada's laptop"}}); p.status != http.StatusSeeOther {
		t.Fatalf("mint: %d\n%s", p.status, p.body)
	}
	p := u.get("/dashboard/t/a/local")
	if !strings.Contains(p.body, `id="listen-command">hookd listen --server `) || !strings.Contains(p.body, "--tenant a --key hk_") {
		t.Errorf("the page after minting shows no listen command:\n%s", p.body)
	}
	if !strings.Contains(p.body, `id="session-`+sessA.ID+`"`) || strings.Contains(p.body, sessB.ID) {
		t.Errorf("the page does not list A's session alone")
	}
	if again := u.get("/dashboard/t/a/local"); strings.Contains(again.body, "listen-command") {
		t.Errorf("the token is shown again on reload")
	}
	if tenant := u.get("/dashboard/t/a"); strings.Contains(tenant.body, sessA.ID) {
		t.Errorf("the tenant page lists the local session among endpoints")
	}

	if p := u.get("/dashboard/t/b/local"); p.status != 404 || strings.Contains(p.body, "B laptop") {
		t.Errorf("B's Develop locally page: %d, want 404 without B's data", p.status)
	}
	for _, path := range []string{
		"/dashboard/t/b/local/tokens",
		"/dashboard/t/b/local/tokens/" + tokB.ID + "/revoke",
		"/dashboard/t/a/local/tokens/" + tokB.ID + "/revoke",
		"/dashboard/t/a/local/sessions/" + sessB.ID + "/test",
		"/dashboard/t/b/local/sessions/" + sessB.ID + "/test",
		"/dashboard/t/a/local/sessions/" + e.epA.ID + "/test",
	} {
		if p := u.post(path, url.Values{"csrf": {csrf}, "event_type": {"contact.created"}}); p.status != 404 {
			t.Errorf("POST %s: %d, want 404", path, p.status)
		}
	}
	if _, err := e.store.APIKey(ctx, tokB.ID); err != nil {
		t.Errorf("tenant B's token is gone: %v", err)
	}
	if p := u.post("/dashboard/t/a/local/sessions/"+sessA.ID+"/test", url.Values{"csrf": {csrf}, "event_type": {"contact.created"}}); p.status != http.StatusSeeOther {
		t.Errorf("Send test event to A's session: %d", p.status)
	}

	v := e.user().signedIn("a", hookd.RoleViewer)
	page := v.get("/dashboard/t/a/local")
	if page.status != 200 || strings.Contains(page.body, `action="/dashboard/t/a/local/tokens"`) {
		t.Errorf("viewer's page: %d, with the mint form: %v", page.status, strings.Contains(page.body, "Create CLI token"))
	}
	if p := v.post("/dashboard/t/a/local/tokens", url.Values{"csrf": {v.csrf("/dashboard/t/a/local")}}); p.status != 403 {
		t.Errorf("viewer minting: %d, want 403", p.status)
	}

	login := e.user()
	m := csrfField.FindStringSubmatch(login.get("/dashboard/login").body)
	if p := login.post("/dashboard/login", url.Values{"csrf": {m[1]}, "api_key": {tokBKey}}); p.status != 403 {
		t.Errorf("signing in with a CLI token: %d, want 403", p.status)
	}
}

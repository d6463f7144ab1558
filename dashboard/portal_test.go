package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/api"
	"github.com/hookd/hookd/internal/token"
)

const returnURL = "https://app.example.com/settings?tab=webhooks"

func TestPortalLinkOptions(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.AllowSecretReveal = true })
	u := e.user()
	opts := token.Portal{Tenant: "a", Role: hookd.RoleAdmin, ReturnURL: returnURL, DisplayName: "Acme Shop",
		ReadOnly: []string{token.SecretReveal, token.EndpointDelete, token.EndpointCreate, token.TestEvent}}
	if p := u.portalWith(opts, time.Now().Add(time.Minute)); p.status != http.StatusSeeOther {
		t.Fatalf("portal sign-in: %d", p.status)
	}
	tenant := u.get("/dashboard/t/a")
	if !strings.Contains(tenant.body, "Acme Shop") || strings.Contains(tenant.body, "Tenant A") {
		t.Errorf("tenant page does not show the display name instead of the tenant's:\n%s", tenant.body)
	}
	if !strings.Contains(tenant.body, `href="`+returnURL+`"`) {
		t.Errorf("no back link to the return URL on the tenant page")
	}
	if strings.Contains(tenant.body, "/endpoints/new") {
		t.Errorf("endpoint_create is read-only but the tenant page offers to add one")
	}
	ep := endpointURL("a", e.epA.ID)
	view := u.get(ep)
	for _, hidden := range []string{ep + "/reveal", ep + "/delete", ep + "/test"} {
		if strings.Contains(view.body, hidden) {
			t.Errorf("endpoint page offers %s, which the link turned off", hidden)
		}
	}
	if !strings.Contains(view.body, ep+"/rotate") {
		t.Errorf("endpoint page lost the actions the link left on")
	}

	csrf := u.csrf(ep)
	for path, form := range map[string]url.Values{
		ep + "/reveal":                 {},
		ep + "/delete":                 {},
		ep + "/test":                   {"event_type": {"contact.created"}},
		"/dashboard/t/a/endpoints":     {"name": {"New"}, "url": {"https://example.com/new"}, "event_types": {"*"}},
		"/dashboard/t/a/endpoints/new": nil,
	} {
		var p page
		if form == nil {
			p = u.get(path)
		} else {
			form.Set("csrf", csrf)
			p = u.post(path, form)
		}
		if p.status != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", path, p.status)
		}
	}
	eps, err := e.store.Endpoints(t.Context(), "a", hookd.Page{Limit: 10})
	if err != nil || len(eps) != 1 || eps[0].ID != e.epA.ID {
		t.Errorf("refused actions changed the endpoints: %d endpoints, %v", len(eps), err)
	}
	if ds, err := e.store.Deliveries(t.Context(), hookd.DeliveryFilter{TenantID: "a"}, hookd.Page{Limit: 10}); err != nil || len(ds) != 0 {
		t.Errorf("a refused test event made %d deliveries (%v)", len(ds), err)
	}

	// Sign-out lands on the session-ended page, which leads back to the app.
	out := u.post("/dashboard/logout", url.Values{"csrf": {csrf}})
	if out.status != http.StatusSeeOther || out.header.Get("Location") != "/dashboard/ended" {
		t.Fatalf("portal sign-out: %d to %q, want the session-ended page", out.status, out.header.Get("Location"))
	}
	ended := u.get("/dashboard/ended")
	if ended.status != 200 || !strings.Contains(ended.body, `href="`+returnURL+`"`) || !strings.Contains(ended.body, "Return to Acme Shop") ||
		strings.Contains(ended.body, "API key") {
		t.Errorf("session-ended page: %d\n%s", ended.status, ended.body)
	}
	// Any page after it, and a poll of an open page, lead there too, never to the API-key sign-in.
	if p := u.get("/dashboard/t/a"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/dashboard/ended" {
		t.Errorf("page after sign-out: %d to %q", p.status, p.header.Get("Location"))
	}
	if p := u.get(ep+"/log", "HX-Request", "true"); p.header.Get("HX-Redirect") != "/dashboard/ended" {
		t.Errorf("htmx poll after sign-out redirects to %q", p.header.Get("HX-Redirect"))
	}
	if p := u.post(ep+"/disable", url.Values{"csrf": {csrf}}); p.status != http.StatusUnauthorized || !strings.Contains(p.body, returnURL) {
		t.Errorf("form posted after sign-out: %d", p.status)
	}
}

func TestPortalLinkEnded(t *testing.T) {
	e := newEnv(t, nil)
	// An expired link still knows where to go back to: its claims are signed.
	opts := token.Portal{Tenant: "a", Role: hookd.RoleViewer, ReturnURL: returnURL, DisplayName: "Acme Shop"}
	p := e.user().portalWith(opts, time.Now().Add(-time.Second))
	if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "expired") || !strings.Contains(p.body, `href="`+returnURL+`"`) {
		t.Errorf("expired link: %d\n%s", p.status, p.body)
	}
	// A bad link in a browser that came through a good one goes back there.
	u := e.user()
	u.portalWith(opts, time.Now().Add(time.Minute))
	if p := u.get(token.PortalPath + "?token=garbage"); p.status != http.StatusUnauthorized || !strings.Contains(p.body, `href="`+returnURL+`"`) {
		t.Errorf("bad link after a good one: %d\n%s", p.status, p.body)
	}
	// Without a return URL the page names the brand and offers no sign-in.
	v := e.user()
	v.portalWith(token.Portal{Tenant: "a", Role: hookd.RoleViewer}, time.Now().Add(time.Minute))
	v.c.Jar.SetCookies(mustURL(t, e.srv.URL+"/dashboard"), []*http.Cookie{{Name: sessionCookie, Value: "", Path: "/dashboard", MaxAge: -1}})
	if p := v.get("/dashboard/t/a"); p.header.Get("Location") != "/dashboard/ended" {
		t.Errorf("expired portal session: to %q, want the session-ended page", p.header.Get("Location"))
	}
	if p := v.get("/dashboard/ended"); p.status != 200 || !strings.Contains(p.body, "Return to hookd") || strings.Contains(p.body, "/dashboard/login") {
		t.Errorf("session-ended page without a return URL: %d\n%s", p.status, p.body)
	}
	// Signing in with an API key makes the browser an operator's again.
	w := e.user()
	w.portalWith(opts, time.Now().Add(time.Minute))
	w.signedInWithKey(e.adminKey)
	w.post("/dashboard/logout", url.Values{"csrf": {w.csrf("/dashboard/tenants")}})
	if p := w.get("/dashboard/tenants"); !strings.HasPrefix(p.header.Get("Location"), "/dashboard/login") {
		t.Errorf("operator after sign-out: to %q, want the sign-in page", p.header.Get("Location"))
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	must(t, err)
	return u
}

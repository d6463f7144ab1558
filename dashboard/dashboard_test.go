package dashboard

import (
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/api"
	"github.com/hookd/hookd/internal/secretbox"
	"github.com/hookd/hookd/internal/token"
	"github.com/hookd/hookd/service"
	"github.com/hookd/hookd/signature"
	"github.com/hookd/hookd/sqlite"
)

// These tests drive the dashboard over HTTP in process, without a browser:
// the rules (sessions, CSRF, tenant scope, roles, validation). The browser
// tests in e2e drive the same pages in chromium.

type env struct {
	t         *testing.T
	store     hookd.Store
	srv       *httptest.Server
	portalKey []byte
	adminKey  string
	epA, epB  *hookd.Endpoint
}

func newEnv(t *testing.T, mod func(*api.Config)) *env {
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
	cfg := api.Config{PortalKey: box.DeriveKey(token.PortalKeyLabel), ReservedHeaderPrefixes: []string{"webhook-", "x-hookd-"}}
	if mod != nil {
		mod(&cfg)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	apiServer := api.New(db, nil, cfg, logger)
	dash, err := New(db, nil, Config{API: apiServer.Config(), SessionKey: box.DeriveKey(token.SessionKeyLabel)}, logger)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: db, srv: httptest.NewServer(dash.Mount(apiServer)), portalKey: cfg.PortalKey}
	t.Cleanup(e.srv.Close)

	ctx := t.Context()
	must(t, db.CreateEventType(ctx, &hookd.EventType{Name: "contact.created", Description: "A contact was added."}))
	for _, id := range []string{"a", "b"} {
		must(t, db.CreateTenant(ctx, &hookd.Tenant{ID: id, Name: "Tenant " + strings.ToUpper(id)}))
	}
	e.epA = e.endpoint("a", "A hook", map[string]string{"Authorization": "Bearer very-secret-a"})
	e.epB = e.endpoint("b", "B hook", nil)
	key, hash := service.NewKey()
	must(t, db.CreateAPIKey(ctx, &hookd.APIKey{Name: "ops", Role: hookd.RoleAdmin, Prefix: service.DisplayPrefix(key), Hash: hash}))
	e.adminKey = key
	return e
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (e *env) endpoint(tenant, name string, headers map[string]string) *hookd.Endpoint {
	if headers == nil {
		headers = map[string]string{}
	}
	ep := &hookd.Endpoint{TenantID: tenant, Name: name, URL: "https://example.com/" + tenant, EventTypes: []string{"*"},
		Headers: headers, Enabled: true, MaxInFlight: 10}
	secret, _ := signature.NewSecret()
	must(e.t, e.store.CreateEndpoint(e.t.Context(), ep, secret))
	return ep
}

// user is one browser: a cookie jar, redirects not followed.
type user struct {
	e *env
	c *http.Client
}

func (e *env) user() *user {
	jar, _ := cookiejar.New(nil)
	return &user{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (u *user) do(req *http.Request) page {
	u.e.t.Helper()
	resp, err := u.c.Do(req)
	if err != nil {
		u.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	// Bodies are compared as text: html/template writes + as &#43;, and
	// signing secrets are base64.
	return page{resp.StatusCode, resp.Header, html.UnescapeString(string(b))}
}

func (u *user) get(path string, header ...string) page {
	u.e.t.Helper()
	req, _ := http.NewRequest("GET", u.e.srv.URL+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return u.do(req)
}

func (u *user) post(path string, form url.Values) page {
	u.e.t.Helper()
	req, _ := http.NewRequest("POST", u.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return u.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the CSRF token from a page's forms.
func (u *user) csrf(path string) string {
	u.e.t.Helper()
	p := u.get(path)
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		u.e.t.Fatalf("GET %s: %d, no CSRF field in:\n%s", path, p.status, p.body)
	}
	return m[1]
}

// portal signs in through a portal link for tenant in role.
func (u *user) portal(tenant, role string, expires time.Time) page {
	u.e.t.Helper()
	return u.portalWith(token.Portal{Tenant: tenant, Role: role}, expires)
}

// portalWith signs in through a link carrying the options of p.
func (u *user) portalWith(p token.Portal, expires time.Time) page {
	u.e.t.Helper()
	tok, err := token.Sign(u.e.portalKey, p, expires)
	must(u.e.t, err)
	return u.get(token.PortalPath + "?token=" + url.QueryEscape(tok))
}

func (u *user) signedIn(tenant, role string) *user {
	u.e.t.Helper()
	if p := u.portal(tenant, role, time.Now().Add(time.Minute)); p.status != http.StatusSeeOther || p.header.Get("Location") != "/dashboard/t/"+tenant {
		u.e.t.Fatalf("portal sign-in: %d to %q", p.status, p.header.Get("Location"))
	}
	return u
}

func TestPortalLinks(t *testing.T) {
	e := newEnv(t, nil)
	u := e.user()
	p := u.portal("a", hookd.RoleAdmin, time.Now().Add(time.Minute))
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/dashboard/t/a" {
		t.Fatalf("valid link: %d to %q", p.status, p.header.Get("Location"))
	}
	var session *http.Cookie
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == sessionCookie {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/dashboard" || session.Secure {
		t.Errorf("session cookie = %+v; want HttpOnly, SameSite=Lax, Path=/dashboard, not Secure over plain HTTP", session)
	}
	if p.header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("the portal answer leaks its token-bearing URL as referrer: %q", p.header.Get("Referrer-Policy"))
	}
	if got := u.get("/dashboard/t/a"); got.status != 200 || !strings.Contains(got.body, "A hook") {
		t.Errorf("tenant page after sign-in: %d", got.status)
	}

	for name, tc := range map[string]struct {
		tenant, role string
		expires      time.Time
		status       int
		says         string
	}{
		"expired":        {"a", hookd.RoleAdmin, time.Now().Add(-time.Second), 401, "expired"},
		"unknown role":   {"a", hookd.RolePublisher, time.Now().Add(time.Minute), 401, "not valid"},
		"deleted tenant": {"nobody", hookd.RoleAdmin, time.Now().Add(time.Minute), 404, "no longer exists"},
	} {
		u := e.user()
		p := u.portal(tc.tenant, tc.role, tc.expires)
		if p.status != tc.status || !strings.Contains(p.body, tc.says) {
			t.Errorf("%s link: %d, want %d saying %q", name, p.status, tc.status, tc.says)
		}
		if got := u.get("/dashboard/t/a"); got.status != http.StatusSeeOther {
			t.Errorf("%s link signed in: tenant page %d", name, got.status)
		}
	}
	if p := e.user().get(token.PortalPath + "?token=garbage"); p.status != 401 {
		t.Errorf("garbage token: %d, want 401", p.status)
	}
}

func TestTenantScope(t *testing.T) {
	e := newEnv(t, nil)
	u := e.user().signedIn("a", hookd.RoleAdmin)
	csrf := u.csrf("/dashboard/t/a")
	for _, path := range []string{
		"/dashboard/t/b",
		"/dashboard/t/b/endpoints/" + e.epB.ID,
		"/dashboard/t/a/endpoints/" + e.epB.ID,
		"/dashboard/t/a/endpoints/" + e.epB.ID + "/edit",
		"/dashboard/t/a/endpoints/" + e.epB.ID + "/log",
		"/dashboard/t/nobody",
		"/dashboard/tenants",
		"/dashboard/event-types",
	} {
		if p := u.get(path); p.status != 404 || strings.Contains(p.body, "B hook") {
			t.Errorf("GET %s: %d, want 404 without B's data", path, p.status)
		}
	}
	for _, path := range []string{
		"/dashboard/t/b/endpoints/" + e.epB.ID + "/disable",
		"/dashboard/t/a/endpoints/" + e.epB.ID + "/disable",
		"/dashboard/t/a/endpoints/" + e.epB.ID + "/delete",
	} {
		if p := u.post(path, url.Values{"csrf": {csrf}}); p.status != 404 {
			t.Errorf("POST %s: %d, want 404", path, p.status)
		}
	}
	if ep, err := e.store.Endpoint(t.Context(), "b", e.epB.ID); err != nil || !ep.Enabled {
		t.Errorf("tenant B's endpoint changed: %+v, %v", ep, err)
	}
}

func TestCSRFAndRoles(t *testing.T) {
	e := newEnv(t, nil)
	admin := e.user().signedIn("a", hookd.RoleAdmin)
	csrf := admin.csrf("/dashboard/t/a")
	head, _ := http.NewRequest("HEAD", e.srv.URL+"/dashboard/t/a", nil)
	if p := admin.do(head); p.status != 200 {
		t.Errorf("HEAD of a page: %d, want 200 (it changes nothing, so needs no token)", p.status)
	}
	disable := "/dashboard/t/a/endpoints/" + e.epA.ID + "/disable"
	for name, form := range map[string]url.Values{"no token": {}, "wrong token": {"csrf": {"x" + csrf}}} {
		if p := admin.post(disable, form); p.status != 403 {
			t.Errorf("%s: %d, want 403", name, p.status)
		}
	}
	// Another session's token does not fit this one.
	other := e.user().signedIn("a", hookd.RoleAdmin).csrf("/dashboard/t/a")
	if p := admin.post(disable, url.Values{"csrf": {other}}); p.status != 403 {
		t.Errorf("another session's token: %d, want 403", p.status)
	}
	if ep, _ := e.store.Endpoint(t.Context(), "a", e.epA.ID); !ep.Enabled {
		t.Fatal("a refused form disabled the endpoint")
	}
	if p := admin.post(disable, url.Values{"csrf": {csrf}}); p.status != http.StatusSeeOther {
		t.Fatalf("with the token: %d, want 303", p.status)
	}
	if ep, _ := e.store.Endpoint(t.Context(), "a", e.epA.ID); ep.Enabled || ep.DisabledReason != hookd.DisabledManual {
		t.Errorf("after Disable: enabled %v, reason %q", ep.Enabled, ep.DisabledReason)
	}

	viewer := e.user().signedIn("a", hookd.RoleViewer)
	page := viewer.get("/dashboard/t/a/endpoints/" + e.epA.ID)
	if page.status != 200 || strings.Contains(page.body, "/enable\"") || strings.Contains(page.body, "Send test event") {
		t.Errorf("a viewer's endpoint page: %d, with controls that change things", page.status)
	}
	vcsrf := csrfField.FindStringSubmatch(page.body)[1] // the sign-out form's
	for _, path := range []string{"/enable", "/test", "/delete", "/rotate", "/edit"} {
		if p := viewer.post("/dashboard/t/a/endpoints/"+e.epA.ID+path, url.Values{"csrf": {vcsrf}, "event_type": {"contact.created"}}); p.status != 403 {
			t.Errorf("viewer POST %s: %d, want 403", path, p.status)
		}
	}
	if p := viewer.get("/dashboard/t/a/endpoints/new"); p.status != 403 {
		t.Errorf("viewer add form: %d, want 403", p.status)
	}
}

func TestSignInWithKey(t *testing.T) {
	e := newEnv(t, nil)
	u := e.user()
	if p := u.get("/dashboard/t/a/endpoints/" + e.epA.ID); p.status != http.StatusSeeOther ||
		p.header.Get("Location") != "/dashboard/login?next="+url.QueryEscape("/dashboard/t/a/endpoints/"+e.epA.ID) {
		t.Fatalf("signed out: %d to %q, want the sign-in page with next", p.status, p.header.Get("Location"))
	}
	if p := u.get("/dashboard/t/a/endpoints/"+e.epA.ID+"/log", "HX-Request", "true"); p.status != 401 || p.header.Get("HX-Redirect") != "/dashboard/login" {
		t.Errorf("signed-out htmx poll: %d, HX-Redirect %q", p.status, p.header.Get("HX-Redirect"))
	}
	login := func(key, next string) page {
		m := csrfField.FindStringSubmatch(u.get("/dashboard/login").body)
		return u.post("/dashboard/login", url.Values{"csrf": {m[1]}, "api_key": {key}, "next": {next}})
	}
	if p := login("hk_wrong", ""); p.status != 401 {
		t.Errorf("wrong key: %d, want 401", p.status)
	}
	pubKey, hash := service.NewKey()
	must(t, e.store.CreateAPIKey(t.Context(), &hookd.APIKey{Name: "pub", Role: hookd.RolePublisher, Prefix: service.DisplayPrefix(pubKey), Hash: hash}))
	if p := login(pubKey, ""); p.status != 403 {
		t.Errorf("publisher key: %d, want 403", p.status)
	}
	if p := u.post("/dashboard/login", url.Values{"api_key": {e.adminKey}}); p.status != 403 {
		t.Errorf("sign-in without the form's token: %d, want 403", p.status)
	}
	if p := login(e.adminKey, "https://evil.example/"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/dashboard" {
		t.Fatalf("admin key: %d to %q, want /dashboard (the foreign next ignored)", p.status, p.header.Get("Location"))
	}
	if p := u.get("/dashboard"); p.header.Get("Location") != "/dashboard/tenants" {
		t.Errorf("operator home goes to %q", p.header.Get("Location"))
	}
	for _, path := range []string{"/dashboard/tenants", "/dashboard/t/b", "/dashboard/event-types"} {
		if p := u.get(path); p.status != 200 {
			t.Errorf("operator GET %s: %d", path, p.status)
		}
	}
	// Revoking the key ends its sessions.
	spare, spareHash := service.NewKey()
	must(t, e.store.CreateAPIKey(t.Context(), &hookd.APIKey{Name: "spare", Role: hookd.RoleAdmin, Prefix: service.DisplayPrefix(spare), Hash: spareHash}))
	keys, _ := e.store.APIKeys(t.Context(), "", hookd.Page{Limit: 10})
	for _, k := range keys {
		if k.Name == "ops" {
			must(t, e.store.DeleteAPIKey(t.Context(), k.ID))
		}
	}
	if p := u.get("/dashboard/tenants"); p.status != http.StatusSeeOther {
		t.Errorf("after the key was revoked: %d, want a redirect to sign in", p.status)
	}
}

func TestEndpointForm(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MaxEndpointInFlight = 8 })
	u := e.user().signedIn("a", hookd.RoleAdmin)
	csrf := u.csrf("/dashboard/t/a/endpoints/new")
	if form := u.get("/dashboard/t/a/endpoints/new"); !strings.Contains(form.body, `max="8" value="8"`) {
		t.Error("the new endpoint form does not offer the deployment's max_in_flight bound (8) as its maximum and default")
	}
	bad := u.post("/dashboard/t/a/endpoints", url.Values{"csrf": {csrf}, "name": {""}, "url": {"http://127.0.0.1/x"},
		"header_name": {"Content-Type"}, "header_value": {"text/plain"}, "retry_schedule": {"1m, soon"}, "timeout_seconds": {"99"}, "max_in_flight": {"9"}, "rate_limit_per_second": {"x"}})
	for _, want := range []string{"is required", "must use https", "cannot be overridden", "soon", "between 1 and 60", "choose all event types, or only the ones you tick",
		"between 1 and 8", "must be a whole number"} {
		if !strings.Contains(bad.body, want) {
			t.Errorf("the form does not say %q", want)
		}
	}
	if bad.status != 422 {
		t.Errorf("bad form: %d, want 422", bad.status)
	}
	if n, _ := e.store.CountEndpoints(t.Context(), "a"); n != 1 {
		t.Errorf("a refused form created an endpoint: %d endpoints", n)
	}

	ok := u.post("/dashboard/t/a/endpoints", url.Values{"csrf": {csrf}, "name": {"New hook"}, "url": {"https://hooks.example.com/in"},
		"subscribe": {"chosen"}, "event_types": {"contact.created"}, "header_name": {"X-Api-Key", ""}, "header_value": {"k-1", ""}, "retry_schedule": {"10s 1m"}, "timeout_seconds": {"5"}, "signature_scheme": {"timestamped"}, "max_in_flight": {"3"}, "rate_limit_per_second": {"20"}})
	if ok.status != http.StatusSeeOther {
		t.Fatalf("good form: %d\n%s", ok.status, ok.body)
	}
	loc := ok.header.Get("Location")
	id := loc[strings.LastIndex(loc, "/")+1:]
	ep, err := e.store.Endpoint(t.Context(), "a", id)
	must(t, err)
	if ep.Headers["X-Api-Key"] != "k-1" || ep.Timeout != 5*time.Second || len(ep.RetrySchedule) != 2 || ep.SignatureScheme != "timestamped" || ep.EventTypes[0] != "contact.created" || ep.MaxInFlight != 3 || ep.RateLimit != 20 {
		t.Errorf("created endpoint = %+v", ep)
	}
	secrets, _ := e.store.Secrets(t.Context(), "a", id)
	first := u.get(loc)
	if !strings.Contains(first.body, secrets[0]) || !strings.Contains(first.body, "shown only this once") {
		t.Error("the endpoint page after create does not show the signing secret")
	}
	if !strings.Contains(first.body, `aria-label="Copy signing secret"`) || strings.Contains(first.body, `aria-label="Copy whsec_`) {
		t.Error("the secret's copy button is not named \"Copy signing secret\", or its name holds the secret")
	}
	if again := u.get(loc); strings.Contains(again.body, secrets[0]) {
		t.Error("the signing secret is shown a second time")
	}

	// Editing: saved header values never reach the page; empty keeps them.
	edit := u.get(loc + "/edit")
	if strings.Contains(edit.body, "k-1") || strings.Contains(u.get("/dashboard/t/a/endpoints/"+e.epA.ID+"/edit").body, "very-secret-a") {
		t.Fatal("the edit form shows a saved header value")
	}
	saved := u.post(loc+"/edit", url.Values{"csrf": {csrf}, "name": {"Renamed"}, "url": {"https://hooks.example.com/in"}, "subscribe": {"all"},
		"header_name": {"X-Api-Key", "X-Other"}, "header_value": {"", "v2"}, "retry_schedule": {""}, "timeout_seconds": {""}, "signature_scheme": {""}})
	if saved.status != http.StatusSeeOther {
		t.Fatalf("edit: %d\n%s", saved.status, saved.body)
	}
	ep, _ = e.store.Endpoint(t.Context(), "a", id)
	if ep.Name != "Renamed" || ep.Headers["X-Api-Key"] != "k-1" || ep.Headers["X-Other"] != "v2" || ep.RetrySchedule != nil || ep.Timeout != 0 || ep.SignatureScheme != "" || ep.EventTypes[0] != "*" {
		t.Errorf("edited endpoint = %+v", ep)
	}
	u.post(loc+"/edit", url.Values{"csrf": {csrf}, "name": {"Renamed"}, "url": {"https://hooks.example.com/in"}, "subscribe": {"all"},
		"header_name": {"", "X-Other"}, "header_value": {"", ""}})
	if ep, _ = e.store.Endpoint(t.Context(), "a", id); len(ep.Headers) != 1 || ep.Headers["X-Other"] != "v2" {
		t.Errorf("after clearing a header's name: headers %v, want only X-Other kept", ep.Headers)
	}

	// Rotation shows the new secret once; reveal is off by default.
	if p := u.post(loc+"/rotate", url.Values{"csrf": {csrf}, "overlap_seconds": {"3600"}}); p.status != http.StatusSeeOther {
		t.Fatalf("rotate: %d", p.status)
	}
	secrets, _ = e.store.Secrets(t.Context(), "a", id)
	if len(secrets) != 2 || !strings.Contains(u.get(loc).body, secrets[0]) {
		t.Errorf("after rotation: %d valid secrets, the new one shown: want 2, yes", len(secrets))
	}
	if p := u.post(loc+"/rotate", url.Values{"csrf": {csrf}, "overlap_seconds": {"999999"}}); p.status != 422 {
		t.Errorf("rotate with an unoffered overlap: %d, want 422", p.status)
	}
	if p := u.post(loc+"/reveal", url.Values{"csrf": {csrf}}); p.status != 403 {
		t.Errorf("reveal without --allow-secret-reveal: %d, want 403", p.status)
	}
	if p := u.post(loc+"/delete", url.Values{"csrf": {csrf}}); p.status != http.StatusSeeOther {
		t.Errorf("delete: %d", p.status)
	}
	if _, err := e.store.Endpoint(t.Context(), "a", id); hookd.ErrorCode(err) != hookd.ENOTFOUND {
		t.Errorf("after delete: %v", err)
	}
}

func TestRevealAndLimits(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.AllowSecretReveal, c.MaxEndpointsPerTenant = true, 1 })
	u := e.user().signedIn("a", hookd.RoleAdmin)
	loc := "/dashboard/t/a/endpoints/" + e.epA.ID
	csrf := u.csrf(loc)
	if p := u.post(loc+"/reveal", url.Values{"csrf": {csrf}}); p.status != http.StatusSeeOther {
		t.Fatalf("reveal: %d", p.status)
	}
	secrets, _ := e.store.Secrets(t.Context(), "a", e.epA.ID)
	if !strings.Contains(u.get(loc).body, secrets[0]) {
		t.Error("the revealed secret is not shown")
	}
	p := u.post("/dashboard/t/a/endpoints", url.Values{"csrf": {csrf}, "name": {"Two"}, "url": {"https://example.com/2"}, "subscribe": {"all"}})
	if p.status != 422 || !strings.Contains(p.body, "the most allowed") {
		t.Errorf("over the endpoint limit: %d", p.status)
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, nil)
	p := e.user().get("/dashboard/login")
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'self'") {
		t.Errorf("CSP = %q", csp)
	}
	if p.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no nosniff")
	}
	// The login form's own token cookie is Secure behind a TLS proxy.
	var secure bool
	req, _ := http.NewRequest("GET", e.srv.URL+"/dashboard/login", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		secure = secure || (c.Name == loginCookie && c.Secure)
	}
	if !secure {
		t.Error("cookies are not Secure behind an https proxy")
	}
	if p := e.user().get("/"); p.status != http.StatusFound || p.header.Get("Location") != "/dashboard" {
		t.Errorf("GET /: %d to %q", p.status, p.header.Get("Location"))
	}
	if p := e.user().get("/healthz"); p.status != 200 {
		t.Errorf("the API behind the dashboard: /healthz %d", p.status)
	}
	if p := e.user().get("/dashboard/static/htmx.min.js"); p.status != 200 || !strings.Contains(p.body, "htmx") {
		t.Errorf("htmx asset: %d", p.status)
	}
}

func TestLocalNext(t *testing.T) {
	for next, want := range map[string]string{
		"/dashboard/t/a":               "/dashboard/t/a",
		"/dashboard/t/a?status=failed": "/dashboard/t/a?status=failed",
		"https://evil.example/":        "",
		"//evil.example/dashboard":     "",
		"/dashboardx":                  "",
		"/dashboard/login":             "",
		"/dashboard\\@evil":            "",
		"/other":                       "",
	} {
		if got := localNext(next); got != want {
			t.Errorf("localNext(%q) = %q, want %q", next, got, want)
		}
	}
}

func TestSparkline(t *testing.T) {
	now := time.Date(2026, 1, 2, 15, 30, 0, 0, time.UTC)
	hours := make([]hookd.HourlyStat, 24)
	for i := range hours {
		hours[i].Hour = now.Truncate(time.Hour).Add(time.Duration(i-23) * time.Hour)
	}
	if svg := string(sparkline(hours)); !strings.Contains(svg, `aria-label="No delivery attempts in the last 24 hours"`) {
		t.Errorf("empty day: %s", svg)
	}
	hours[22] = hookd.HourlyStat{Hour: hours[22].Hour, Attempts: 4, Succeeded: 1}
	hours[23] = hookd.HourlyStat{Hour: hours[23].Hour, Attempts: 10, Succeeded: 10}
	svg := string(sparkline(hours))
	for _, want := range []string{`79% of attempts succeeded in the last 24 hours (11 of 14)`, `class="poor"`, `class="good"`, `14:00 UTC: 25% (1 of 4)`} {
		if !strings.Contains(svg, want) {
			t.Errorf("sparkline lacks %q: %s", want, svg)
		}
	}
	if n := strings.Count(svg, "<rect"); n != 24 {
		t.Errorf("%d bars, want 24", n)
	}
}

// TestTestEventLimit: the dashboard's test button and the API's test route
// share one limit per endpoint (the store's count): past it, the button
// answers 429 with Retry-After and sends nothing.
func TestTestEventLimit(t *testing.T) {
	e := newEnv(t, nil)
	admin := e.user().signedIn("a", hookd.RoleAdmin)
	csrf := admin.csrf("/dashboard/t/a/endpoints/" + e.epA.ID)
	button := func() page {
		return admin.post("/dashboard/t/a/endpoints/"+e.epA.ID+"/test", url.Values{"csrf": {csrf}, "event_type": {"contact.created"}})
	}
	for range hookd.TestEventsPerEndpoint / 2 {
		if p := button(); p.status != http.StatusSeeOther {
			t.Fatalf("test button: %d, want 303", p.status)
		}
	}
	for range hookd.TestEventsPerEndpoint - hookd.TestEventsPerEndpoint/2 {
		req, _ := http.NewRequest("POST", e.srv.URL+"/v1/tenants/a/endpoints/"+e.epA.ID+"/test", strings.NewReader(`{"event_type":"contact.created"}`))
		req.Header.Set("Authorization", "Bearer "+e.adminKey)
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("API test route: %d, want 202", resp.StatusCode)
		}
	}
	before, _ := e.store.Deliveries(t.Context(), hookd.DeliveryFilter{TenantID: "a"}, hookd.Page{Limit: 100})
	p := button()
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" || !strings.Contains(p.body, "test events per endpoint") {
		t.Errorf("test button past the limit: %d, Retry-After %q; want 429 saying why", p.status, p.header.Get("Retry-After"))
	}
	after, _ := e.store.Deliveries(t.Context(), hookd.DeliveryFilter{TenantID: "a"}, hookd.Page{Limit: 100})
	if len(after) != len(before) {
		t.Errorf("the refused test event created %d deliveries", len(after)-len(before))
	}
}

// TestEndpointFormSubscription: "All event types" is an explicit choice,
// never a default, and a form that both chooses it and ticks types is
// refused rather than saved as "everything".
func TestEndpointFormSubscription(t *testing.T) {
	e := newEnv(t, nil)
	u := e.user().signedIn("a", hookd.RoleAdmin)
	csrf := u.csrf("/dashboard/t/a/endpoints/new")
	form := u.get("/dashboard/t/a/endpoints/new")
	if strings.Contains(form.body, `value="all" checked`) || strings.Contains(form.body, `value="chosen" checked`) {
		t.Error("the new endpoint form preselects a subscription")
	}
	if !strings.Contains(form.body, "No event types chosen yet.") {
		t.Error("the new endpoint form does not say that nothing is chosen yet")
	}
	before, _ := e.store.CountEndpoints(t.Context(), "a")
	for _, c := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no choice", url.Values{"event_types": {"contact.created"}}, "choose all event types, or only the ones you tick"},
		{"all and ticked", url.Values{"subscribe": {"all"}, "event_types": {"contact.created"}}, "also ticked some"},
		{"chosen, none ticked", url.Values{"subscribe": {"chosen"}}, "tick at least one event type"},
		{"chosen with a wildcard", url.Values{"subscribe": {"chosen"}, "event_types": {"*"}}, "tick event types by name"},
		{"unknown choice", url.Values{"subscribe": {"some"}, "event_types": {"contact.created"}}, "choose all event types, or only the ones you tick"},
	} {
		c.form.Set("csrf", csrf)
		c.form.Set("name", "Picker")
		c.form.Set("url", "https://hooks.example.com/in")
		p := u.post("/dashboard/t/a/endpoints", c.form)
		if p.status != 422 || !strings.Contains(p.body, c.want) {
			t.Errorf("%s: %d, want 422 saying %q", c.name, p.status, c.want)
		}
	}
	if n, _ := e.store.CountEndpoints(t.Context(), "a"); n != before {
		t.Fatalf("refused forms created %d endpoints", n-before)
	}

	ok := u.post("/dashboard/t/a/endpoints", url.Values{"csrf": {csrf}, "name": {"One type"}, "url": {"https://hooks.example.com/in"},
		"subscribe": {"chosen"}, "event_types": {"contact.created"}})
	if ok.status != http.StatusSeeOther {
		t.Fatalf("one type: %d\n%s", ok.status, ok.body)
	}
	loc := ok.header.Get("Location")
	ep, err := e.store.Endpoint(t.Context(), "a", loc[strings.LastIndex(loc, "/")+1:])
	must(t, err)
	if len(ep.EventTypes) != 1 || ep.EventTypes[0] != "contact.created" {
		t.Errorf("saved subscription %v, want exactly [contact.created]", ep.EventTypes)
	}
	edit := u.get(loc + "/edit")
	if !strings.Contains(edit.body, `value="chosen" checked`) || !strings.Contains(edit.body, "Receives only: contact.created.") {
		t.Error("the edit form does not show the saved subscription back")
	}
}

// TestNoticeShownOnce: a form's outcome reaches the next page in a cookie,
// not the URL, so a reload does not announce it again; a test event's type
// stays chosen in the test form for the next one.
func TestNoticeShownOnce(t *testing.T) {
	e := newEnv(t, nil)
	u := e.user().signedIn("a", hookd.RoleAdmin)
	page := "/dashboard/t/a/endpoints/" + e.epA.ID
	csrf := u.csrf(page)
	p := u.post(page+"/test", url.Values{"csrf": {csrf}, "event_type": {"contact.created"}})
	if p.status != http.StatusSeeOther || strings.Contains(p.header.Get("Location"), "?") {
		t.Fatalf("test event: %d to %q, want a redirect to a plain URL", p.status, p.header.Get("Location"))
	}
	first := u.get(page)
	if !strings.Contains(first.body, "Test event sent.") || !strings.Contains(first.body, `<option value="contact.created" selected>`) {
		t.Error("the page after a test event neither announces it nor keeps its type chosen")
	}
	if !strings.Contains(first.body, "Attempts (the bars): none · Deliveries: ") {
		t.Error("the 24-hour chart is not labelled as attempts, apart from the deliveries' counts")
	}
	lastTest := regexp.MustCompile(`<dt>Last test</dt><dd><a href="/dashboard/t/a/deliveries/dlv_[^"]+"><span class="badge [^"]*" data-status="pending">`)
	if !lastTest.MatchString(first.body) || !lastTest.MatchString(u.get("/dashboard/t/a").body) {
		t.Error("the endpoint page or its card on the tenant page does not show the last test delivery")
	}
	if again := u.get(page); strings.Contains(again.body, "Test event sent.") {
		t.Error("a reload announces the test event again")
	}
}

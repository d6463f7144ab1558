package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookd/hookd"
)

// created is the endpoint a good form made: its page and as stored.
func (e *env) created(t *testing.T, tenant string, r page) (string, *hookd.Endpoint) {
	t.Helper()
	if r.status != http.StatusSeeOther {
		t.Fatalf("good form: %d\n%s", r.status, r.body)
	}
	loc := r.header.Get("Location")
	ep, err := e.store.Endpoint(t.Context(), tenant, loc[strings.LastIndex(loc, "/")+1:])
	must(t, err)
	return loc, ep
}

const rename = "function handler(webhook) {\n  webhook.payload.customer = webhook.payload.user;\n  delete webhook.payload.user;\n  webhook.headers[\"X-Renamed\"] = \"yes\";\n  return webhook;\n}"

// TestEndpointFormTransformation: the form saves a transformation the API
// would accept, refuses one that does not compile (422, the position,
// nothing saved), and its Test button shows the request it would send, a
// cancel or the error, without saving.
func TestEndpointFormTransformation(t *testing.T) {
	e := newEnv(t, nil)
	u := e.user().signedIn("a", "admin")
	csrf := u.csrf("/dashboard/t/a/endpoints/new")
	form := func(src string) url.Values {
		return url.Values{"csrf": {csrf}, "name": {"Transformed"}, "url": {"https://hooks.example.com/in"}, "subscribe": {"all"}, "transformation": {src}}
	}
	bad := u.post("/dashboard/t/a/endpoints", form("function handler(w) {\n  return w +;\n}"))
	if bad.status != 422 || !strings.Contains(bad.body, "2:") {
		t.Errorf("a transformation that does not compile: %d, position shown %v", bad.status, strings.Contains(bad.body, "2:"))
	}
	if n, _ := e.store.CountEndpoints(t.Context(), "a"); n != 1 {
		t.Errorf("a refused form created an endpoint: %d endpoints", n)
	}
	loc, ep := e.created(t, "a", u.post("/dashboard/t/a/endpoints", form(rename)))
	id := ep.ID
	if ep.Transformation != rename {
		t.Errorf("saved transformation %q", ep.Transformation)
	}
	if !strings.Contains(u.get(loc+"/edit").body, `webhook.payload.customer = webhook.payload.user;`) {
		t.Error("the edit form does not show the saved transformation")
	}

	for _, c := range []struct{ path, src, sample, want string }{
		{loc + "/transformation-test", rename, `{"user":"ada"}`, `>{"customer":"ada"}</pre>`},
		{loc + "/transformation-test", rename, `{"user":"ada"}`, "X-Renamed: yes"},
		{loc + "/transformation-test", `function handler(w) { w.cancel = true; return w }`, `{}`, "Cancelled</strong>"},
		{loc + "/transformation-test", `function handler(w) { for (;;) {} }`, `{}`, "ran for longer than 50ms"},
		{loc + "/transformation-test", `function handler(w) {`, `{}`, "1:"},
		{loc + "/transformation-test", rename, `{not json`, "the sample is not JSON"},
		{"/dashboard/t/a/endpoints/transformation-test", `function handler(w) { w.url += "/x"; return w }`, "", "https://hooks.example.com/in/x"},
	} {
		f := form(c.src)
		f.Set("transformation_sample", c.sample)
		f.Set("transformation_event_type", "contact.created")
		p := u.post(c.path, f)
		if p.status != 200 || !strings.Contains(p.body, c.want) {
			t.Errorf("Test %s on %s: %d, want %q in the outcome", c.src, c.sample, p.status, c.want)
		}
	}
	// A new broker endpoint's test shows the broker's URL, not the
	// (hidden) webhook field's.
	broker := form(`function handler(w) { return w }`)
	broker.Set("type", hookd.DestinationRedis)
	broker.Set("config_url", "redis://redis.example.com:6379/0")
	broker.Set("config_stream", "orders")
	broker.Set("transformation_sample", `{}`)
	if p := u.post("/dashboard/t/a/endpoints/transformation-test", broker); p.status != 200 ||
		!strings.Contains(p.body, "to <code>redis://redis.example.com:6379/0#orders</code>") {
		t.Errorf("Test on a new redis endpoint: %d, want the broker's URL in the outcome:\n%s", p.status, p.body)
	}
	if ep, _ := e.store.Endpoint(t.Context(), "a", id); ep.Transformation != rename {
		t.Errorf("testing a transformation changed the saved one to %q", ep.Transformation)
	}
	if n, _ := e.store.CountEndpoints(t.Context(), "a"); n != 2 {
		t.Errorf("testing a new endpoint's transformation created one: %d endpoints", n)
	}
}

package dashboard

import (
	"net/url"
	"strings"
	"testing"
)

// TestEndpointFormFilter: the form saves a filter the API would accept,
// refuses one that does not compile (422, the position, nothing saved), and
// its Test button shows match, no match or the error without saving.
func TestEndpointFormFilter(t *testing.T) {
	e := newEnv(t, nil)
	u := e.user().signedIn("a", "admin")
	csrf := u.csrf("/dashboard/t/a/endpoints/new")
	form := func(filter string) url.Values {
		return url.Values{"csrf": {csrf}, "name": {"Filtered"}, "url": {"https://hooks.example.com/in"}, "subscribe": {"all"}, "filter": {filter}}
	}
	bad := u.post("/dashboard/t/a/endpoints", form(`event.data.amount >`))
	if bad.status != 422 || !strings.Contains(bad.body, "1:20:") {
		t.Errorf("a filter that does not compile: %d, position shown %v", bad.status, strings.Contains(bad.body, "1:20:"))
	}
	if n, _ := e.store.CountEndpoints(t.Context(), "a"); n != 1 {
		t.Errorf("a refused form created an endpoint: %d endpoints", n)
	}
	loc, ep := e.created(t, "a", u.post("/dashboard/t/a/endpoints", form(`event.data.amount > 1000`)))
	id := ep.ID
	if ep.Filter != `event.data.amount > 1000` {
		t.Errorf("saved filter %q", ep.Filter)
	}
	if !strings.Contains(u.get(loc+"/edit").body, `>event.data.amount > 1000</textarea>`) {
		t.Error("the edit form does not show the saved filter")
	}

	for _, c := range []struct{ path, filter, sample, want string }{
		{loc + "/filter-test", `event.data.amount > 1000 && event.data.currency == "GBP"`, `{"amount":1500,"currency":"GBP"}`, "Match</strong>"},
		{loc + "/filter-test", `event.data.amount > 1000`, `{"amount":10}`, "No match</strong>"},
		{loc + "/filter-test", `event.data.amount > 1000`, `{"total":10}`, "no such key: amount"},
		{loc + "/filter-test", `event.data.amount >`, `{}`, "1:20:"},
		{loc + "/filter-test", `true`, `{not json`, "the sample is not JSON"},
		{"/dashboard/t/a/endpoints/filter-test", `event.type == "contact.created"`, "", "Match</strong>"},
	} {
		f := form(c.filter)
		f.Set("filter_sample", c.sample)
		f.Set("filter_event_type", "contact.created")
		p := u.post(c.path, f)
		if p.status != 200 || !strings.Contains(p.body, c.want) {
			t.Errorf("Test %s on %s: %d, want %q in the verdict", c.filter, c.sample, p.status, c.want)
		}
	}
	if ep, _ := e.store.Endpoint(t.Context(), "a", id); ep.Filter != `event.data.amount > 1000` {
		t.Errorf("testing a filter changed the saved one to %q", ep.Filter)
	}
	if n, _ := e.store.CountEndpoints(t.Context(), "a"); n != 2 {
		t.Errorf("testing a new endpoint's filter created one: %d endpoints", n)
	}
}

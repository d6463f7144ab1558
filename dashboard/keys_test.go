package dashboard

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/hookd/hookd"
)

// signedInWithKey signs in through the sign-in form with an API key.
func (u *user) signedInWithKey(key string) *user {
	u.e.t.Helper()
	m := csrfField.FindStringSubmatch(u.get("/dashboard/login").body)
	if p := u.post("/dashboard/login", url.Values{"csrf": {m[1]}, "api_key": {key}}); p.status != http.StatusSeeOther {
		u.e.t.Fatalf("sign-in with a key: %d", p.status)
	}
	return u
}

// apiStatus is the API's answer to GET path with key.
func (e *env) apiStatus(key, path string) int {
	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	must(e.t, err)
	resp.Body.Close()
	return resp.StatusCode
}

var shownKey = regexp.MustCompile(`<code id="secret-value">(hk_[^<]+)</code>`)

func TestAPIKeysPage(t *testing.T) {
	e := newEnv(t, nil)
	u := e.user().signedInWithKey(e.adminKey)
	csrf := u.csrf("/dashboard/keys")
	count := func() int {
		keys, err := e.store.APIKeys(t.Context(), "", hookd.Page{Limit: 100})
		must(t, err)
		return len(keys)
	}
	before := count()
	for _, c := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"name": {""}, "role": {"publisher"}}, "is required"},
		{url.Values{"name": {"x"}, "role": {"root"}}, "must be admin, publisher or viewer"},
		{url.Values{"name": {"x"}, "role": {"viewer"}, "tenant": {"nope"}}, `tenant "nope" does not exist`},
	} {
		c.form.Set("csrf", csrf)
		if p := u.post("/dashboard/keys", c.form); p.status != 422 || !strings.Contains(p.body, c.want) {
			t.Errorf("%v: %d, want 422 saying %q", c.form, p.status, c.want)
		}
	}
	if n := count(); n != before {
		t.Fatalf("refused forms created %d keys", n-before)
	}

	p := u.post("/dashboard/keys", url.Values{"csrf": {csrf}, "name": {"billing"}, "role": {"viewer"}, "tenant": {"a"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", p.status, p.body)
	}
	first := u.get("/dashboard/keys")
	m := shownKey.FindStringSubmatch(first.body)
	if m == nil || !strings.Contains(first.body, "shown only this once") {
		t.Fatal("the new key is not shown after create")
	}
	key := m[1]
	if strings.Contains(u.get("/dashboard/keys").body, key) {
		t.Error("the key is shown a second time")
	}
	if got := e.apiStatus(key, "/v1/tenants/a"); got != 200 {
		t.Errorf("the new viewer key reads its tenant: %d, want 200", got)
	}
	if got := e.apiStatus(key, "/v1/tenants/b"); got != 403 {
		t.Errorf("the new key, scoped to a, reads tenant b: %d, want the API's 403", got)
	}

	keys, _ := e.store.APIKeys(t.Context(), "a", hookd.Page{Limit: 10})
	var id string
	for _, k := range keys {
		if k.Name == "billing" {
			id = k.ID
		}
	}
	if page := u.get("/dashboard/keys/" + id + "/revoke"); page.status != 200 || !strings.Contains(page.body, "Revoke “billing”?") {
		t.Errorf("revoke page: %d", page.status)
	}
	if p := u.post("/dashboard/keys/"+id+"/revoke", url.Values{"csrf": {csrf}}); p.status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", p.status)
	}
	if got := e.apiStatus(key, "/v1/tenants/a"); got != 401 {
		t.Errorf("the revoked key: %d, want 401", got)
	}
	if p := u.post("/dashboard/keys/key_nope/revoke", url.Values{"csrf": {csrf}}); p.status != 404 {
		t.Errorf("revoking an unknown key: %d, want 404", p.status)
	}

	// Customers in the portal have no keys page.
	portal := e.user().signedIn("a", hookd.RoleAdmin)
	if p := portal.get("/dashboard/keys"); p.status != 404 {
		t.Errorf("a tenant's portal session on the keys page: %d, want 404", p.status)
	}
}

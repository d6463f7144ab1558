package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookd/hookd"
)

func TestTenantRenameAndDelete(t *testing.T) {
	e := newEnv(t, nil)
	u := e.user().signedInWithKey(e.adminKey)
	csrf := u.csrf("/dashboard/t/b")
	if p := u.post("/dashboard/t/b/rename", url.Values{"csrf": {csrf}, "name": {"  "}}); p.status != 422 {
		t.Errorf("rename to blank: %d, want 422", p.status)
	}
	if p := u.post("/dashboard/t/b/rename", url.Values{"csrf": {csrf}, "name": {"Beta Ltd"}}); p.status != http.StatusSeeOther {
		t.Fatalf("rename: %d", p.status)
	}
	if ten, err := e.store.Tenant(t.Context(), "b"); err != nil || ten.Name != "Beta Ltd" {
		t.Errorf("after rename: %+v, %v", ten, err)
	}

	if p := u.get("/dashboard/t/b/delete"); p.status != 200 || !strings.Contains(p.body, `name="confirm"`) {
		t.Fatalf("delete page: %d", p.status)
	}
	for _, typed := range []string{"", "B", "a"} {
		if p := u.post("/dashboard/t/b/delete", url.Values{"csrf": {csrf}, "confirm": {typed}}); p.status != 422 || !strings.Contains(p.body, "Nothing was deleted") {
			t.Errorf("delete confirmed with %q: %d, want 422", typed, p.status)
		}
	}
	if _, err := e.store.Tenant(t.Context(), "b"); err != nil {
		t.Fatalf("a refused delete removed the tenant: %v", err)
	}
	if p := u.post("/dashboard/t/b/delete", url.Values{"csrf": {csrf}, "confirm": {"b"}}); p.status != http.StatusSeeOther || p.header.Get("Location") != "/dashboard/tenants" {
		t.Fatalf("delete: %d to %q", p.status, p.header.Get("Location"))
	}
	if _, err := e.store.Tenant(t.Context(), "b"); hookd.ErrorCode(err) != hookd.ENOTFOUND {
		t.Errorf("after delete: %v, want not found", err)
	}

	// A customer's portal session, even as admin, cannot rename or delete its tenant.
	portal := e.user().signedIn("a", hookd.RoleAdmin)
	pcsrf := portal.csrf("/dashboard/t/a")
	for _, path := range []string{"/dashboard/t/a/rename", "/dashboard/t/a/delete"} {
		if p := portal.post(path, url.Values{"csrf": {pcsrf}, "name": {"x"}, "confirm": {"a"}}); p.status != 404 {
			t.Errorf("portal POST %s: %d, want 404", path, p.status)
		}
	}
	if strings.Contains(portal.get("/dashboard/t/a").body, "Delete tenant") {
		t.Error("the portal's tenant page offers to delete the tenant")
	}
}

package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookd/hookd"
)

func TestRecoverPanel(t *testing.T) {
	e := newEnv(t, nil)
	u := e.user().signedIn("a", hookd.RoleAdmin)
	page := "/dashboard/t/a/endpoints/" + e.epA.ID
	csrf := u.csrf(page)
	if !strings.Contains(u.get(page).body, "No recoveries yet.") {
		t.Error("the endpoint page has no recover panel")
	}
	if p := u.post(page+"/recover", url.Values{"csrf": {csrf}, "window": {"5y"}}); p.status != 422 {
		t.Errorf("an unoffered window: %d, want 422", p.status)
	}
	if jobs, _ := e.store.RecoverJobs(t.Context(), "a", e.epA.ID, hookd.Page{Limit: 10}); len(jobs) != 0 {
		t.Fatalf("a refused form started %d jobs", len(jobs))
	}
	if p := u.post(page+"/recover", url.Values{"csrf": {csrf}, "window": {"24h"}}); p.status != http.StatusSeeOther {
		t.Fatalf("start: %d", p.status)
	}
	jobs, err := e.store.RecoverJobs(t.Context(), "a", e.epA.ID, hookd.Page{Limit: 10})
	must(t, err)
	if len(jobs) != 1 || jobs[0].Until.Sub(jobs[0].Since).Hours() < 23.9 {
		t.Fatalf("jobs after start: %+v, want one over 24 hours", jobs)
	}
	after := u.get(page)
	if !strings.Contains(after.body, "Recovery started") || !strings.Contains(after.body, `id="job-`+jobs[0].ID+`"`) {
		t.Error("the page after starting does not announce it or list the job")
	}
	if frag := u.get(page + "/recover"); frag.status != 200 || !strings.Contains(frag.body, `id="job-`+jobs[0].ID+`"`) || strings.Contains(frag.body, "<html") {
		t.Errorf("the panel fragment: %d", frag.status)
	}
	viewer := e.user().signedIn("a", hookd.RoleViewer)
	vcsrf := viewer.csrf(page)
	if p := viewer.post(page+"/recover", url.Values{"csrf": {vcsrf}, "window": {"1h"}}); p.status != 403 {
		t.Errorf("a viewer starting a recovery: %d, want 403", p.status)
	}
	if strings.Contains(viewer.get(page).body, "Start recovery") {
		t.Error("a viewer is offered the recover form")
	}
}

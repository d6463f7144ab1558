package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookd/hookd"
)

// TestEndpointOrdering: the add form offers FIFO order and refuses another
// value with the API's rule; editing keeps the ordering (the choice is shown
// disabled); a waiting delivery shows what it waits for, in the endpoint's
// log and on its page.
func TestEndpointOrdering(t *testing.T) {
	e := newEnv(t, nil)
	u := e.user().signedIn("a", hookd.RoleAdmin)
	csrf := u.csrf("/dashboard/t/a/endpoints/new")
	form := func(ordering string) url.Values {
		return url.Values{"csrf": {csrf}, "name": {"Ordered"}, "url": {"https://hooks.example.com/ordered"}, "subscribe": {"all"}, "ordering": {ordering}}
	}
	if bad := u.post("/dashboard/t/a/endpoints", form("lifo")); bad.status != 422 || !strings.Contains(bad.body, `must be "fifo"`) {
		t.Errorf("an unknown ordering: %d, want 422 saying what it must be", bad.status)
	}
	if n, _ := e.store.CountEndpoints(t.Context(), "a"); n != 1 {
		t.Errorf("a refused form created an endpoint: %d endpoints", n)
	}
	ok := u.post("/dashboard/t/a/endpoints", form("fifo"))
	if ok.status != http.StatusSeeOther {
		t.Fatalf("add a FIFO endpoint: %d\n%s", ok.status, ok.body)
	}
	loc := ok.header.Get("Location")
	id := loc[strings.LastIndex(loc, "/")+1:]
	if edit := u.get(loc + "/edit"); !strings.Contains(edit.body, `name="ordering" aria-describedby="f-ordering-hint" disabled`) ||
		!strings.Contains(edit.body, `value="fifo" selected`) {
		t.Error("the edit form does not show the ordering chosen, disabled")
	}
	if p := u.post(loc+"/edit", form("")); p.status != http.StatusSeeOther {
		t.Fatalf("edit: %d\n%s", p.status, p.body)
	}
	if ep, _ := e.store.Endpoint(t.Context(), "a", id); ep.Ordering != hookd.OrderingFIFO {
		t.Errorf("after an edit the ordering is %q, want fifo kept", ep.Ordering)
	}

	e.publish("a")
	e.publish("a")
	ds, err := e.store.Deliveries(t.Context(), hookd.DeliveryFilter{TenantID: "a", EndpointID: id}, hookd.Page{})
	must(t, err)
	if len(ds) != 2 {
		t.Fatalf("the FIFO endpoint has %d deliveries, want 2", len(ds))
	}
	second := ds[0]
	if second.WaitingFor == "" {
		second = ds[1] // published in the same millisecond: ids need not sort by publish
	}
	head := second.WaitingFor
	if head == "" || head == second.ID {
		t.Fatalf("neither delivery of a FIFO endpoint waits for the other: %+v %+v", ds[0], ds[1])
	}
	if log := u.get(loc); !strings.Contains(log.body, "waiting for "+head) {
		t.Error("the endpoint's delivery log does not say the second delivery is waiting for the head")
	}
	if p := u.get(deliveryURL("a", second.ID)); !strings.Contains(p.body, `Waiting for <a href="`+deliveryURL("a", head)+`">`+head+`</a>`) {
		t.Error("the delivery page does not link the head it waits for")
	}
}

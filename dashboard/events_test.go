package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

// publish stores an event of contact.created in tenant and returns its id
// and its deliveries.
func (e *env) publish(tenant string) (string, []*hookd.Delivery) {
	e.t.Helper()
	res, err := e.store.PublishEvents(e.t.Context(), tenant, []hookd.NewEvent{{Type: "contact.created",
		Payload: []byte(`{"data":{"n":1}}`), RequestHash: time.Now().String(), CreatedAt: time.Now()}}, nil)
	must(e.t, err)
	ds, err := e.store.Deliveries(e.t.Context(), hookd.DeliveryFilter{TenantID: tenant, EventID: res[0].ID}, hookd.Page{Limit: 10})
	must(e.t, err)
	return res[0].ID, ds
}

func TestEventsSearch(t *testing.T) {
	e := newEnv(t, nil)
	second := e.endpoint("a", "A second hook", nil)
	evA, dsA := e.publish("a")
	evB, dsB := e.publish("b")
	u := e.user().signedIn("a", hookd.RoleViewer)
	search := func(q string) page { return u.get("/dashboard/t/a/events?q=" + url.QueryEscape(q)) }

	if p := search(evA); p.status != http.StatusSeeOther || p.header.Get("Location") != "/dashboard/t/a/events/"+evA {
		t.Errorf("search by event id: %d to %q", p.status, p.header.Get("Location"))
	}
	if p := search(" " + dsA[0].ID + " "); p.status != http.StatusSeeOther || p.header.Get("Location") != "/dashboard/t/a/deliveries/"+dsA[0].ID {
		t.Errorf("search by delivery id: %d to %q", p.status, p.header.Get("Location"))
	}
	for _, q := range []string{evB, dsB[0].ID, "evt_nothere", "no such <thing>"} {
		if p := search(q); p.status != 200 || !strings.Contains(p.body, "No event or delivery") || strings.Contains(p.body, evB) && q != evB {
			t.Errorf("search %q: %d, want 200 saying none is found, without tenant B's data", q, p.status)
		}
	}
	if p := search("contact.created"); p.status != 200 || !strings.Contains(p.body, `data-event="`+evA+`"`) || strings.Contains(p.body, "No event or delivery") {
		t.Errorf("search by type: %d, want the list with %s", p.status, evA)
	}
	if p := u.get("/dashboard/t/a/events?type=other.type"); p.status != 200 || strings.Contains(p.body, evA) || !strings.Contains(p.body, "No events match") {
		t.Errorf("another type: %d, want none listed", p.status)
	}
	hour := time.Now().UTC().Add(time.Hour).Format("2006-01-02T15:04")
	if p := u.get("/dashboard/t/a/events?since=" + hour); p.status != 200 || strings.Contains(p.body, `data-event="`) {
		t.Errorf("since an hour ahead: %d, want none listed", p.status)
	}
	if p := u.get("/dashboard/t/a/events?until=" + hour); p.status != 200 || !strings.Contains(p.body, `data-event="`+evA+`"`) {
		t.Errorf("until an hour ahead: %d, want %s listed", p.status, evA)
	}
	if p := u.get("/dashboard/t/a/events?since=yesterday&until=" + hour); p.status != 422 || !strings.Contains(p.body, "RFC 3339") {
		t.Errorf("a bad time: %d, want 422 saying why", p.status)
	}

	p := u.get("/dashboard/t/a/events/" + evA)
	for _, d := range dsA {
		if !strings.Contains(p.body, `data-delivery="`+d.ID+`"`) {
			t.Errorf("event page: %d, no row for delivery %s", p.status, d.ID)
		}
	}
	if len(dsA) != 2 || !strings.Contains(p.body, "A hook") || !strings.Contains(p.body, second.Name) || !strings.Contains(p.body, `{"data":{"n":1}}`) && !strings.Contains(p.body, `"n": 1`) {
		t.Errorf("event page of %d deliveries, want both endpoints and the payload:\n%s", len(dsA), p.body)
	}
	if strings.Contains(p.body, "Replay</button>") {
		t.Error("a read-only session is offered Replay")
	}
	for _, path := range []string{"/dashboard/t/b/events", "/dashboard/t/b/events/" + evB, "/dashboard/t/a/events/" + evB} {
		if p := u.get(path); p.status != 404 || strings.Contains(p.body, evB) {
			t.Errorf("GET %s: %d, want 404 without B's data", path, p.status)
		}
	}
	log := u.get("/dashboard/t/a/endpoints/" + e.epA.ID)
	if !strings.Contains(log.body, `href="/dashboard/t/a/events/`+evA+`"`) {
		t.Error("the delivery log does not link the event id")
	}
	if d := u.get("/dashboard/t/a/deliveries/" + dsA[0].ID); !strings.Contains(d.body, `href="/dashboard/t/a/events/`+evA+`"`) {
		t.Error("the delivery page does not link the event id")
	}
}

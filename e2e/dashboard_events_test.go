package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestDashboardEvents finds an event and a delivery from the Events page's
// search box in the real browser, and reads an event page across two
// endpoints, one of them deleted since (its history kept).
func TestDashboardEvents(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})
	ten := f.tenant()
	ok, failing := newReceiver(t, 200), newReceiver(t, 500)
	crm, _ := f.endpoint(ten, ok.URL, map[string]any{"name": "CRM"})
	billing, _ := f.endpoint(ten, failing.URL, map[string]any{"name": "Billing", "retry_schedule": []string{"1h"}})
	ev := f.publish(ten, typeCreated, `{"contact":"c_1"}`)
	ds := f.deliveries(ten, "?event="+ev.ID)
	if len(ds) != 2 {
		t.Fatalf("event %s has %d deliveries, want 2", ev.ID, len(ds))
	}
	var toCRM, toBilling delivery
	for _, d := range ds {
		if d.EndpointID == crm.ID {
			toCRM = d
		} else {
			toBilling = d
		}
	}
	f.waitStatus(ten, toCRM.ID, "delivered")
	f.waitStatus(ten, toBilling.ID, "retrying")
	f.admin.must(t, 204, "DELETE", "/v1/tenants/"+ten+"/endpoints/"+billing.ID, nil, nil)

	b := newBrowser(t)
	b.open(f.portalLink(ten, "admin"))
	b.clickAndWait(`nav.nav a[href$="/events"]`, `#event-search`)
	if !b.has(`[data-event="` + ev.ID + `"]`) {
		t.Errorf("the Events page does not list %s:\n%s", ev.ID, b.bodyText())
	}

	// An event id opens the event page: both endpoints, one deleted.
	b.fill(`#event-search`, ev.ID)
	b.clickAndWait(`form[role="search"] button`, `[data-delivery]`)
	if got := b.pathID(); got != ev.ID {
		t.Fatalf("search by event id landed on %s, want the event page of %s", b.location(), ev.ID)
	}
	crmRow, billingRow := b.text(`[data-delivery="`+toCRM.ID+`"]`), b.text(`[data-delivery="`+toBilling.ID+`"]`)
	if !strings.Contains(crmRow, "CRM") || !strings.Contains(crmRow, "Delivered") {
		t.Errorf("CRM's row %q, want its name and Delivered", crmRow)
	}
	if !strings.Contains(billingRow, "endpoint deleted") || !strings.Contains(billingRow, "Failed") || b.has(`[data-delivery="`+toBilling.ID+`"] button`) {
		t.Errorf("Billing's row %q, want endpoint deleted and Failed, without Replay", billingRow)
	}
	if !b.has(`[data-delivery="` + toCRM.ID + `"] button`) {
		t.Error("CRM's row has no Replay")
	}
	if !strings.Contains(b.text(`pre.json`), `"contact": "c_1"`) {
		t.Errorf("payload %q", b.text(`pre.json`))
	}

	// The deleted endpoint's delivery stays readable from its link.
	b.clickAndWait(`[data-delivery="`+toBilling.ID+`"] a.delivery-link`, `#attempts-title`)
	if b.pathID() != toBilling.ID || !b.has(`[data-banner="endpoint-deleted"]`) || !strings.Contains(b.bodyText(), "500") {
		t.Errorf("the deleted endpoint's delivery page at %s:\n%s", b.location(), b.bodyText())
	}
	// Its event id links back to the event page.
	b.clickAndWait(`a.event-link`, `[data-delivery]`)
	if b.pathID() != ev.ID {
		t.Errorf("the delivery page's event link went to %s", b.location())
	}

	// A delivery id opens the delivery page; an unknown id says so.
	b.open(f.h.url + "/dashboard/t/" + ten + "/events")
	b.fill(`#event-search`, toCRM.ID)
	b.clickAndWait(`form[role="search"] button`, `#attempts-title`)
	if b.pathID() != toCRM.ID {
		t.Errorf("search by delivery id landed on %s, want the delivery page of %s", b.location(), toCRM.ID)
	}
	b.open(f.h.url + "/dashboard/t/" + ten + "/events")
	b.fill(`#event-search`, "dlv_nothere")
	b.clickAndWait(`form[role="search"] button`, `#search-missing`)
	if got := b.text(`#search-missing`); !strings.Contains(got, "No event or delivery") {
		t.Errorf("an unknown id says %q", got)
	}

	// Replay from the event page, as from the delivery page.
	b.open(f.h.url + "/dashboard/t/" + ten + "/events/" + ev.ID)
	b.clickAndWait(`[data-delivery="`+toCRM.ID+`"] button`, `.flash`)
	if b.pathID() != toCRM.ID {
		t.Errorf("Replay landed on %s, want the delivery page of %s", b.location(), toCRM.ID)
	}
	eventually(t, 20*time.Second, func() (bool, string) {
		d := f.getDelivery(ten, toCRM.ID)
		return d.AttemptCount == 2 && d.Status == "delivered", fmt.Sprintf("replayed delivery is %q with %d attempts, want delivered with 2", d.Status, d.AttemptCount)
	})
}

package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestDashboardRecover: an endpoint's failed deliveries, recovered from its
// page once the receiver works again; the job's progress shows there.
func TestDashboardRecover(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})
	ten := f.tenant()
	rcv := newReceiver(t, 500)
	ep, _ := f.endpoint(ten, rcv.URL, map[string]any{"retry_schedule": []string{}})
	var failed []string
	for range 3 {
		ev := f.publish(ten, typeCreated, `{"id":"c_1"}`)
		failed = append(failed, f.waitStatus(ten, f.deliveryOf(ten, ev.ID).ID, "failed").ID)
	}
	rcv.status.Store(200)

	b := newBrowser(t)
	b.open(f.portalLink(ten, "admin"))
	b.waitFor(`[data-endpoint]`, 5*time.Second)
	b.open(f.h.url + "/dashboard/t/" + ten + "/endpoints/" + ep.ID)
	b.waitFor("#recover-window", 5*time.Second)
	b.fill("#recover-window", "1h")
	b.clickAndWait(`#recover form button`, ".flash")
	// The panel refreshes itself until the job is done.
	b.waitFor(`#recover tr[data-status="done"]`, 20*time.Second)
	if got := b.text(`#recover tr[data-status="done"]`); !strings.Contains(got, "3 of 3") || !strings.Contains(got, "Done") {
		t.Errorf("the finished job reads %q, want 3 of 3 done", got)
	}
	for _, id := range failed {
		f.waitStatus(ten, id, "delivered")
	}
}

package e2e

import (
	"fmt"
	"testing"
	"time"
)

func TestAutoDisable(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})

	// failEvents publishes n events to a tenant whose only endpoint fails
	// them in one attempt, and waits until each has failed.
	failEvents := func(t *testing.T, ten string, n int) []publishResult {
		t.Helper()
		f := f.in(t)
		var evs []publishResult
		for i := range n {
			evs = append(evs, f.publish(ten, typeCreated, fmt.Sprintf(`{"i":%d}`, i)))
		}
		for _, ev := range evs {
			f.waitStatus(ten, f.deliveryOf(ten, ev.ID).ID, "failed")
		}
		return evs
	}

	t.Run("five distinct failed events disable; paused work resumes on enable", func(t *testing.T) {
		f := f.in(t)
		t.Parallel()
		ten := f.tenant()
		rcv := newReceiver(t, 500)
		ep, _ := f.endpoint(ten, rcv.URL, map[string]any{"retry_schedule": []string{}})
		failEvents(t, ten, 5)

		var e endpoint
		eventually(t, 10*time.Second, func() (bool, string) {
			e = f.getEndpoint(ten, ep.ID)
			return e.Status == "disabled", fmt.Sprintf("endpoint is %q with failure_count %d after 5 failed events, want disabled", e.Status, e.FailureCount)
		})
		if e.DisabledReason != "auto" {
			t.Errorf("disabled_reason %q, want auto", e.DisabledReason)
		}

		sixth := f.publish(ten, typeCreated, `{"i":6}`)
		if sixth.Deliveries != 1 {
			t.Errorf("publishing to a disabled endpoint created %d deliveries, want 1 (paused)", sixth.Deliveries)
		}
		d := f.deliveryOf(ten, sixth.ID)
		if d.Status != "paused" {
			t.Errorf("delivery to the disabled endpoint is %q, want paused", d.Status)
		}
		quiet(1500 * time.Millisecond)
		if got := rcv.byID(sixth.ID); len(got) != 0 {
			t.Fatalf("the disabled endpoint was called for the sixth event")
		}
		if n := len(rcv.requests()); n != 5 {
			t.Errorf("receiver got %d requests, want 5", n)
		}

		rcv.status.Store(200)
		e = endpoint{} // a fresh value: absent fields must not keep old values
		f.admin.must(t, 200, "POST", "/v1/tenants/"+ten+"/endpoints/"+ep.ID+"/enable", nil, &e)
		if e.Status != "active" || e.FailureCount != 0 || e.DisabledReason != "" {
			t.Errorf("after enable: status %q, failure_count %d, disabled_reason %q; want active, 0, none", e.Status, e.FailureCount, e.DisabledReason)
		}
		f.waitStatus(ten, d.ID, "delivered")
		if got := rcv.byID(sixth.ID); len(got) != 1 {
			t.Errorf("the paused event arrived %d times after enable, want 1", len(got))
		}
		if e = f.getEndpoint(ten, ep.ID); e.FailureCount != 0 || e.LastSuccessAt == nil {
			t.Errorf("after the resumed delivery: failure_count %d, last_success_at %v", e.FailureCount, e.LastSuccessAt)
		}
		if n := len(f.deliveries(ten, "?status=failed")); n != 5 {
			t.Errorf("%d failed deliveries after enable, want the 5 earlier ones still failed", n)
		}
	})

	t.Run("a success in between resets the streak", func(t *testing.T) {
		f := f.in(t)
		t.Parallel()
		ten := f.tenant()
		rcv := newReceiver(t, 500)
		ep, _ := f.endpoint(ten, rcv.URL, map[string]any{"retry_schedule": []string{}})
		failEvents(t, ten, 4)
		if e := f.getEndpoint(ten, ep.ID); e.FailureCount != 4 || e.Status != "active" {
			t.Fatalf("after 4 failures: failure_count %d, status %q; want 4, active", e.FailureCount, e.Status)
		}
		rcv.status.Store(200)
		ok := f.publish(ten, typeCreated, `{"ok":true}`)
		f.waitStatus(ten, f.deliveryOf(ten, ok.ID).ID, "delivered")
		if e := f.getEndpoint(ten, ep.ID); e.FailureCount != 0 || e.LastSuccessAt == nil {
			t.Errorf("after a success: failure_count %d, last_success_at %v; want 0, set", e.FailureCount, e.LastSuccessAt)
		}
		rcv.status.Store(500)
		failEvents(t, ten, 4)
		quiet(300 * time.Millisecond)
		if e := f.getEndpoint(ten, ep.ID); e.Status != "active" || e.FailureCount != 4 {
			t.Errorf("after 4+1 success+4 failures: status %q, failure_count %d; want active, 4", e.Status, e.FailureCount)
		}
	})
}

package storetest

import (
	"time"

	"github.com/hookd/hookd"
)

var deliveryTests = []testCase{
	{"FieldsAndFilters", func(f *fixture) {
		ten := f.tenant()
		a := f.endpoint(ten.ID)
		b := f.endpoint(ten.ID, subscribe(typeFailed))
		e1 := f.publishType(ten.ID, typeCreated) // to a
		e2 := f.publishType(ten.ID, typeFailed)  // to a and b
		f.endpoint(f.tenant().ID)                // another tenant's, never listed

		d := f.deliveryOf(ten.ID, e1, a.ID)
		f.diff("Delivery", &hookd.Delivery{
			ID: d.ID, TenantID: ten.ID, EventID: e1, EventType: typeCreated, EndpointID: a.ID,
			Status: hookd.StatusPending, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, NextAttemptAt: d.NextAttemptAt,
		}, f.delivery(ten.ID, d.ID))
		if d.CreatedAt.IsZero() {
			f.Errorf("delivery has no CreatedAt")
		}

		// Deliver e2 to b; give the other two back, still pending.
		T := f.at(time.Minute)
		jobs := f.claim(T, 10)
		var release []*hookd.Job
		for _, j := range jobs {
			if j.EndpointID == b.ID {
				f.succeed(j, T)
			} else {
				release = append(release, j)
			}
		}
		f.must(f.s.ReleaseDeliveries(f.ctx, release), "ReleaseDeliveries")

		type pair struct{ Event, Endpoint string }
		for _, c := range []struct {
			filter hookd.DeliveryFilter
			want   []pair
		}{
			{hookd.DeliveryFilter{}, []pair{{e1, a.ID}, {e2, a.ID}, {e2, b.ID}}},
			{hookd.DeliveryFilter{EndpointID: a.ID}, []pair{{e1, a.ID}, {e2, a.ID}}},
			{hookd.DeliveryFilter{EndpointID: b.ID}, []pair{{e2, b.ID}}},
			{hookd.DeliveryFilter{EventID: e2}, []pair{{e2, a.ID}, {e2, b.ID}}},
			{hookd.DeliveryFilter{Status: hookd.StatusDelivered}, []pair{{e2, b.ID}}},
			{hookd.DeliveryFilter{Status: hookd.StatusPending, EndpointID: a.ID, EventID: e1}, []pair{{e1, a.ID}}},
			{hookd.DeliveryFilter{Status: hookd.StatusFailed}, nil},
		} {
			c.filter.TenantID = ten.ID
			got := map[pair]bool{}
			for _, d := range f.deliveries(c.filter) {
				got[pair{d.EventID, d.EndpointID}] = true
			}
			want := map[pair]bool{}
			for _, p := range c.want {
				want[p] = true
			}
			f.diff("Deliveries with filter "+filterString(c.filter), want, got)
		}
	}},
	{"ListNewestFirstPaged", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint()
		var created []string
		for i := range 5 {
			ne := f.newEvent(typeCreated)
			ne.CreatedAt = f.at(time.Duration(i) * time.Second)
			evID := f.publish(ten.ID, ne)[0].ID
			created = append(created, f.deliveryOf(ten.ID, evID, ep.ID).ID)
			tick()
		}
		got := pages(f, 2, func(p hookd.Page) ([]*hookd.Delivery, error) {
			return f.s.Deliveries(f.ctx, hookd.DeliveryFilter{TenantID: ten.ID}, p)
		}, func(d *hookd.Delivery) string { return d.ID })
		f.diff("Deliveries, pages of 2", reversed(created), got)
	}},
	{"AttemptWithoutAnAnswer", func(f *fixture) {
		ten, _ := f.tenantWithEndpoint()
		f.publishType(ten.ID, typeCreated)
		j := f.claimOne(f.at(time.Minute))
		r := result(j, f.at(time.Minute), false, f.at(time.Hour))
		r.Attempt.StatusCode, r.Attempt.ResponseBody, r.Attempt.ResponseHeaders, r.Attempt.Error = 0, "", nil, "connection refused"
		f.record(r)
		log := f.delivery(ten.ID, j.DeliveryID).AttemptLog
		if len(log) != 1 || log[0].ResponseHeaders == nil || len(log[0].ResponseHeaders) != 0 {
			f.Errorf("an attempt without an answer reads back %+v; want response headers empty, not null (the API shows {})", log)
		}
	}},
	{"AttemptLogOldestFirst", func(f *fixture) {
		ten, _ := f.tenantWithEndpoint()
		f.publishType(ten.ID, typeCreated)
		T1, T2 := f.at(time.Minute), f.at(2*time.Minute)
		j1 := f.claimOne(T1)
		r1 := result(j1, T1, false, T2)
		f.record(r1)
		j2 := f.claimOne(T2)
		r2 := result(j2, T2, true, time.Time{})
		f.record(r2)

		d := f.delivery(ten.ID, j1.DeliveryID)
		f.diff("AttemptLog", []hookd.Attempt{r1.Attempt, r2.Attempt}, d.AttemptLog, ignoreFields("ID", "DeliveryID"))
		for _, a := range d.AttemptLog {
			if a.ID == "" || a.DeliveryID != d.ID {
				f.Errorf("attempt has ID %q, DeliveryID %q; want an id and %q", a.ID, a.DeliveryID, d.ID)
			}
		}
		if d.Status != hookd.StatusDelivered || d.Attempts != 2 || d.LastStatusCode != 200 ||
			d.LastAttemptAt == nil || !d.LastAttemptAt.Equal(T2) {
			f.Errorf("Delivery = status %q, %d attempts, last status %d, last attempt %v; want delivered, 2, 200, %v",
				d.Status, d.Attempts, d.LastStatusCode, d.LastAttemptAt, T2)
		}
	}},
	{"UnknownNotFound", func(f *fixture) {
		ten := f.tenant()
		_, err := f.s.Delivery(f.ctx, ten.ID, "dlv_missing")
		f.wantCode(err, hookd.ENOTFOUND, "Delivery")
	}},
}

func filterString(fl hookd.DeliveryFilter) string {
	s := "{"
	for _, kv := range [][2]string{{"endpoint", fl.EndpointID}, {"event", fl.EventID}, {"status", fl.Status}} {
		if kv[1] != "" {
			s += " " + kv[0] + "=" + kv[1]
		}
	}
	return s + " }"
}

var replayTests = []testCase{
	{"FailedDeliveryStartsOver", func(f *fixture) {
		ten, _ := f.tenantWithEndpoint()
		f.publishType(ten.ID, typeCreated)
		T1, T2 := f.at(time.Minute), f.at(2*time.Minute)
		f.fail(f.claimOne(T1), T1, T2)
		j := f.claimOne(T2)
		f.fail(j, T2, time.Time{})
		f.wantStatus(ten.ID, j.DeliveryID, hookd.StatusFailed)

		d, err := f.s.ReplayDelivery(f.ctx, ten.ID, j.DeliveryID)
		f.must(err, "ReplayDelivery")
		if d.ID != j.DeliveryID || d.Status != hookd.StatusPending {
			f.Errorf("ReplayDelivery = %s status %q, want %s pending", d.ID, d.Status, j.DeliveryID)
		}
		f.wantStatus(ten.ID, j.DeliveryID, hookd.StatusPending)
		// Due at once: claimable before any retry time the schedule would give.
		again := f.claimOne(f.at(3 * time.Minute))
		if again.DeliveryID != j.DeliveryID || again.Attempt != 3 || again.RunAttempt != 1 {
			f.Errorf("claim after replay: delivery %s attempt %d run attempt %d; want %s, 3, 1",
				again.DeliveryID, again.Attempt, again.RunAttempt, j.DeliveryID)
		}
	}},
	{"DeliveredCanBeReplayed", func(f *fixture) {
		ten, _ := f.tenantWithEndpoint()
		f.publishType(ten.ID, typeCreated)
		T := f.at(time.Minute)
		j := f.claimOne(T)
		f.succeed(j, T)
		d, err := f.s.ReplayDelivery(f.ctx, ten.ID, j.DeliveryID)
		f.must(err, "ReplayDelivery")
		if d.Status != hookd.StatusPending {
			f.Errorf("replayed delivered delivery has status %q, want pending", d.Status)
		}
		if again := f.claimOne(f.at(2 * time.Minute)); again.Attempt != 2 || again.RunAttempt != 1 {
			f.Errorf("claim after replay: attempt %d run attempt %d, want 2, 1", again.Attempt, again.RunAttempt)
		}
	}},
	{"ConflictWhileClaimed", func(f *fixture) {
		ten, _ := f.tenantWithEndpoint()
		f.publishType(ten.ID, typeCreated)
		j := f.claimOne(f.at(time.Minute))
		_, err := f.s.ReplayDelivery(f.ctx, ten.ID, j.DeliveryID)
		f.wantCode(err, hookd.ECONFLICT, "ReplayDelivery of a claimed delivery")
	}},
	{"PausedWhenEndpointDisabled", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint()
		f.publishType(ten.ID, typeCreated)
		T := f.at(time.Minute)
		j := f.claimOne(T)
		f.fail(j, T, time.Time{})
		_, err := f.s.DisableEndpoint(f.ctx, ten.ID, ep.ID, hookd.DisabledManual)
		f.must(err, "DisableEndpoint")
		d, err := f.s.ReplayDelivery(f.ctx, ten.ID, j.DeliveryID)
		f.must(err, "ReplayDelivery")
		if d.Status != hookd.StatusPaused {
			f.Errorf("ReplayDelivery with the endpoint disabled: status %q, want paused", d.Status)
		}
		f.claimNone(f.at(time.Hour), "replayed to a disabled endpoint")
	}},
	{"UnknownNotFound", func(f *fixture) {
		ten := f.tenant()
		_, err := f.s.ReplayDelivery(f.ctx, ten.ID, "dlv_missing")
		f.wantCode(err, hookd.ENOTFOUND, "ReplayDelivery")
	}},
}

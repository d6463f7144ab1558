package storetest

import (
	"time"

	"github.com/hookd/hookd"
)

var isolationTests = []testCase{
	{"AnotherTenantsObjectsAreNotFound", func(f *fixture) {
		a, epA := f.tenantWithEndpoint()
		b, epB := f.tenantWithEndpoint()
		evA := f.publishType(a.ID, typeCreated)
		dA := f.deliveryOf(a.ID, evA, epA.ID)
		T := f.at(time.Minute)
		f.fail(f.claimOne(T), T, time.Time{}) // failed, so only tenancy stops a replay
		before := f.getEndpoint(a.ID, epA.ID)

		for what, call := range map[string]func() error{
			"Endpoint": func() error { _, err := f.s.Endpoint(f.ctx, b.ID, epA.ID); return err },
			"UpdateEndpoint": func() error {
				_, err := f.s.UpdateEndpoint(f.ctx, b.ID, epA.ID, hookd.EndpointUpdate{Name: ptr("hijacked")})
				return err
			},
			"DisableEndpoint": func() error {
				_, err := f.s.DisableEndpoint(f.ctx, b.ID, epA.ID, hookd.DisabledManual)
				return err
			},
			"EnableEndpoint":   func() error { _, err := f.s.EnableEndpoint(f.ctx, b.ID, epA.ID); return err },
			"Secrets":          func() error { _, err := f.s.Secrets(f.ctx, b.ID, epA.ID); return err },
			"DeleteEndpoint":   func() error { return f.s.DeleteEndpoint(f.ctx, b.ID, epA.ID) },
			"RotateSecret":     func() error { return f.s.RotateSecret(f.ctx, b.ID, epA.ID, "whsec_x", 0) },
			"Event":            func() error { _, err := f.s.Event(f.ctx, b.ID, evA); return err },
			"Delivery":         func() error { _, err := f.s.Delivery(f.ctx, b.ID, dA.ID); return err },
			"ReplayDelivery":   func() error { _, err := f.s.ReplayDelivery(f.ctx, b.ID, dA.ID); return err },
			"PublishTestEvent": func() error { _, err := f.s.PublishTestEvent(f.ctx, b.ID, epA.ID, f.newEvent(typeCreated)); return err },
		} {
			f.wantCode(call(), hookd.ENOTFOUND, what+" with another tenant's id")
		}

		// Nothing the calls above attempted took effect.
		if got, err := f.s.Secrets(f.ctx, a.ID, epA.ID); err != nil || len(got) != 1 || got[0] != f.secrets[epA.ID] {
			f.Errorf("a's secrets after b's rotation attempt: %d secrets, %v; want the original only", len(got), err)
		}
		f.diff("endpoint after another tenant's calls", before, f.getEndpoint(a.ID, epA.ID))
		f.wantStatus(a.ID, dA.ID, hookd.StatusFailed)
		if n := f.countDeliveries(a.ID); n != 1 {
			f.Errorf("tenant a has %d deliveries, want 1", n)
		}

		// Lists and counts see only the tenant's own.
		list, err := f.s.Endpoints(f.ctx, b.ID, hookd.Page{Limit: 10})
		f.must(err, "Endpoints")
		if len(list) != 1 || list[0].ID != epB.ID {
			f.Errorf("Endpoints of b: got %d, want only %s", len(list), epB.ID)
		}
		if n, err := f.s.CountEndpoints(f.ctx, b.ID); err != nil || n != 1 {
			f.Errorf("CountEndpoints of b = %d, %v; want 1", n, err)
		}
		if n := f.countDeliveries(b.ID); n != 0 {
			f.Errorf("tenant b sees %d deliveries, want 0", n)
		}
		ds, err := f.s.Deliveries(f.ctx, hookd.DeliveryFilter{TenantID: b.ID, EndpointID: epA.ID}, hookd.Page{Limit: 10})
		if len(ds) != 0 || (err != nil && hookd.ErrorCode(err) != hookd.ENOTFOUND) {
			f.Errorf("Deliveries of b filtered by a's endpoint = %d, %v; want none", len(ds), err)
		}

		// b's events reach only b's endpoints.
		if res := f.publish(b.ID, f.newEvent(typeCreated))[0]; res.Deliveries != 1 {
			f.Errorf("b's event made %d deliveries, want 1", res.Deliveries)
		}
		if n := f.countDeliveries(a.ID); n != 1 {
			f.Errorf("b's event reached a: a has %d deliveries, want 1", n)
		}
	}},
}

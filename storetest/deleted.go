package storetest

import (
	"time"

	"github.com/hookd/hookd"
)

// A deleted endpoint leaves every list, count, fan-out and action but its
// delivery history stays readable until retention removes it, and then it.
var deletedEndpointTests = []testCase{
	{"HistoryStaysReadable", func(f *fixture) {
		ten := f.tenant()
		kept := f.endpoint(ten.ID)
		gone := f.endpoint(ten.ID, withUID("crm"))
		sent := f.publishType(ten.ID, typeCreated)
		for _, j := range f.claimN(f.at(time.Minute), 2) {
			f.succeed(j, f.at(time.Minute))
		}
		waiting := f.publishType(ten.ID, typeCreated)
		sentDelivery, waitingDelivery := f.deliveryOf(ten.ID, sent, gone.ID), f.deliveryOf(ten.ID, waiting, gone.ID)
		f.must(f.s.DeleteEndpoint(f.ctx, ten.ID, gone.ID), "DeleteEndpoint")

		// Gone from every list, count and action.
		_, err := f.s.Endpoint(f.ctx, ten.ID, gone.ID)
		f.wantCode(err, hookd.ENOTFOUND, "Endpoint of a deleted endpoint")
		_, err = f.s.EndpointByUID(f.ctx, ten.ID, "crm")
		f.wantCode(err, hookd.ENOTFOUND, "EndpointByUID of a deleted endpoint")
		eps, err := f.s.Endpoints(f.ctx, ten.ID, hookd.Page{Limit: 10})
		f.must(err, "Endpoints")
		if n, err := f.s.CountEndpoints(f.ctx, ten.ID); err != nil || n != 1 || len(eps) != 1 || eps[0].ID != kept.ID {
			f.Errorf("after delete: %d endpoints listed, count %d (%v); want only %s", len(eps), n, err, kept.ID)
		}
		name := "renamed"
		_, err = f.s.UpdateEndpoint(f.ctx, ten.ID, gone.ID, hookd.EndpointUpdate{Name: &name})
		f.wantCode(err, hookd.ENOTFOUND, "UpdateEndpoint of a deleted endpoint")
		_, err = f.s.EnableEndpoint(f.ctx, ten.ID, gone.ID)
		f.wantCode(err, hookd.ENOTFOUND, "EnableEndpoint of a deleted endpoint")
		_, err = f.s.DisableEndpoint(f.ctx, ten.ID, gone.ID, hookd.DisabledManual)
		f.wantCode(err, hookd.ENOTFOUND, "DisableEndpoint of a deleted endpoint")
		_, err = f.s.Secrets(f.ctx, ten.ID, gone.ID)
		f.wantCode(err, hookd.ENOTFOUND, "Secrets of a deleted endpoint")
		f.wantCode(f.s.DeleteEndpoint(f.ctx, ten.ID, gone.ID), hookd.ENOTFOUND, "DeleteEndpoint twice")
		_, err = f.s.PublishTestEvent(f.ctx, ten.ID, gone.ID, f.newEvent(typeCreated))
		f.wantCode(err, hookd.ENOTFOUND, "PublishTestEvent to a deleted endpoint")
		f.endpoint(ten.ID, withUID("crm")) // its uid is free again

		// Its history reads as before; what waited failed, unsent, and
		// nothing of it can be replayed.
		d := f.delivery(ten.ID, sentDelivery.ID)
		if d.Status != hookd.StatusDelivered || len(d.AttemptLog) != 1 || d.EndpointID != gone.ID {
			f.Errorf("delivered before the delete: %+v with %d attempts, want delivered with 1", d, len(d.AttemptLog))
		}
		d = f.delivery(ten.ID, waitingDelivery.ID)
		if d.Status != hookd.StatusFailed || d.LastError != hookd.DeletedEndpointError || d.Attempts != 0 {
			f.Errorf("waiting at the delete: %+v, want failed, unattempted, with %q", d, hookd.DeletedEndpointError)
		}
		if got := f.deliveries(hookd.DeliveryFilter{TenantID: ten.ID, EndpointID: gone.ID}); len(got) != 2 {
			f.Errorf("deliveries of the deleted endpoint: %d listed, want 2", len(got))
		}
		_, err = f.s.ReplayDelivery(f.ctx, ten.ID, sentDelivery.ID)
		f.wantCode(err, hookd.ECONFLICT, "ReplayDelivery of a deleted endpoint's delivery")
		f.wantStatus(ten.ID, sentDelivery.ID, hookd.StatusDelivered)

		// New events no longer go to it, and nothing of it is claimed.
		later := f.publishType(ten.ID, typeCreated)
		for _, d := range f.deliveries(hookd.DeliveryFilter{TenantID: ten.ID, EventID: later}) {
			if d.EndpointID == gone.ID {
				f.Errorf("event published after the delete has a delivery to the deleted endpoint: %+v", d)
			}
		}
		for _, j := range f.claim(f.at(time.Hour), 10) {
			if j.EndpointID == gone.ID {
				f.Errorf("claimed %s of the deleted endpoint", j.DeliveryID)
			}
		}

		// Retention removes its deliveries, then it.
		for range 3 {
			_, err := f.s.Purge(f.ctx, time.Now().Add(time.Hour), 1000)
			f.must(err, "Purge")
		}
		_, err = f.s.Delivery(f.ctx, ten.ID, sentDelivery.ID)
		f.wantCode(err, hookd.ENOTFOUND, "Delivery after retention")
		p, err := f.s.Purge(f.ctx, time.Now().Add(time.Hour), 1000)
		f.must(err, "Purge once nothing is left")
		if p != (hookd.Purged{}) {
			f.Errorf("a purge with nothing left removed %+v", p)
		}
	}},
	{"PurgeRemovesItWithItsLastDelivery", func(f *fixture) {
		ten := f.tenant()
		gone := f.endpoint(ten.ID)
		f.publishType(ten.ID, typeCreated)
		f.must(f.s.DeleteEndpoint(f.ctx, ten.ID, gone.ID), "DeleteEndpoint")
		p, err := f.s.Purge(f.ctx, time.Now().Add(-time.Hour), 1000)
		f.must(err, "Purge before the delete")
		if p != (hookd.Purged{}) {
			f.Errorf("a purge of what is older than the delete removed %+v", p)
		}
		p, err = f.s.Purge(f.ctx, time.Now().Add(time.Hour), 1000)
		f.must(err, "Purge after the delete")
		if p.Deliveries != 1 || p.Endpoints != 1 {
			f.Errorf("purge %+v, want its delivery and then the deleted endpoint", p)
		}
	}},
}

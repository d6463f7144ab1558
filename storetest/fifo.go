package storetest

import (
	"errors"
	"fmt"
	"time"

	"github.com/hookd/hookd"
)

func fifo() epOpt { return func(e *hookd.Endpoint) { e.Ordering = hookd.OrderingFIFO } }

// fifoDeliveries publishes n events one by one to the tenant and returns
// their deliveries to ep, in publish order.
func (f *fixture) fifoDeliveries(tenantID, endpointID string, n int) []string {
	f.Helper()
	out := make([]string, n)
	for i := range out {
		out[i] = f.deliveryOf(tenantID, f.publishType(tenantID, typeCreated), endpointID).ID
	}
	return out
}

// claimWant claims at `at` and expects exactly the delivery want, the what.
func (f *fixture) claimWant(at time.Time, want, what string) *hookd.Job {
	f.Helper()
	j := f.claimOne(at)
	if j.DeliveryID != want {
		f.Fatalf("claimed %s at now%+v, want %s, %s", j.DeliveryID, at.Sub(f.now), want, what)
	}
	return j
}

// wantWaitingFor checks what each delivery waits for ("": nothing).
func (f *fixture) wantWaitingFor(tenantID string, want map[string]string) {
	f.Helper()
	for id, head := range want {
		if got := f.delivery(tenantID, id).WaitingFor; got != head {
			f.Errorf("delivery %s: WaitingFor %q, want %q", id, got, head)
		}
	}
}

var fifoTests = []testCase{
	{"OneAtATimeInPublishOrder", func(f *fixture) {
		ten := f.tenant()
		ep := f.endpoint(ten.ID, fifo(), withMaxInFlight(5))
		ds := f.fifoDeliveries(ten.ID, ep.ID, 4)
		T := f.at(time.Minute)
		head := f.claimWant(T, ds[0], "the first published")
		f.claimNone(T, "the head is in flight: the in-flight cap of a FIFO endpoint is one")
		// The rest are due, waiting for room as behind any in-flight cap, so
		// the head's record wakes the claim for them.
		if next, ok, err := f.s.NextDueAt(f.ctx); err != nil || !ok || next.After(T) {
			f.Errorf("NextDueAt with the head in flight = now%+v, %v, %v; want the rest, due", next.Sub(f.now), ok, err)
		}
		f.wantWaitingFor(ten.ID, map[string]string{ds[0]: "", ds[1]: ds[0], ds[3]: ds[0]})

		// While the head waits for its retry, nothing of the endpoint is due.
		f.fail(head, T, f.at(3*time.Minute))
		f.claimNone(f.at(2*time.Minute), "the head retries at 3m; the rest wait behind it")
		if next, ok, err := f.s.NextDueAt(f.ctx); err != nil || !ok || !next.Equal(f.at(3*time.Minute)) {
			f.Errorf("NextDueAt = %v, %v, %v; want the head's retry at now+3m", next.Sub(f.now), ok, err)
		}
		again := f.claimWant(f.at(3*time.Minute), ds[0], "the head again")
		if again.Attempt != 2 {
			f.Errorf("the head's second claim is attempt %d, want 2", again.Attempt)
		}
		// Failing for good lets the next go; so does a success.
		f.fail(again, f.at(3*time.Minute), time.Time{})
		f.wantWaitingFor(ten.ID, map[string]string{ds[1]: "", ds[2]: ds[1]})
		for i, id := range ds[1:] {
			f.succeed(f.claimWant(f.at(3*time.Minute), id, fmt.Sprintf("the published %d.", i+2)), f.at(3*time.Minute))
		}
	}},
	{"ExpiredLeaseOfTheHeadIsClaimedAgain", func(f *fixture) {
		ten := f.tenant()
		ep := f.endpoint(ten.ID, fifo())
		ds := f.fifoDeliveries(ten.ID, ep.ID, 2)
		T := f.at(time.Minute)
		f.claimOne(T)
		f.claimWant(T.Add(defaultLease+time.Millisecond), ds[0], "the head, whose lease ran out")
	}},
	{"OtherEndpointsUnaffected", func(f *fixture) {
		ten := f.tenant()
		ordered := f.endpoint(ten.ID, fifo(), withMaxInFlight(5))
		plain := f.endpoint(ten.ID, withMaxInFlight(5))
		for range 3 {
			f.publishType(ten.ID, typeCreated)
		}
		got := jobsByEndpoint(f.claim(f.at(time.Minute), 100))
		f.diff("jobs by endpoint", map[string]int{ordered.ID: 1, plain.ID: 3}, got)
		for _, d := range f.deliveries(hookd.DeliveryFilter{TenantID: ten.ID, EndpointID: plain.ID}) {
			if d.WaitingFor != "" {
				f.Errorf("delivery %s of an unordered endpoint waits for %s", d.ID, d.WaitingFor)
			}
		}
	}},
	{"HandOffOnlyWhenNothingWaits", func(f *fixture) {
		ten := f.tenant()
		ep := f.endpoint(ten.ID, fifo(), withMaxInFlight(5))
		evs := f.events(3, typeCreated)
		for i := range evs {
			evs[i].ID = fmt.Sprintf("fifo-%d", 3-i) // not in id order: the publish's order counts
		}
		jobs := f.publishOffered(ten.ID, f.offer(10, 0), evs...)
		if len(jobs) != 1 {
			f.Fatalf("a publish of 3 to an idle FIFO endpoint handed off %d, want its first", len(jobs))
		}
		first, second := f.deliveryOf(ten.ID, "fifo-3", ep.ID), f.deliveryOf(ten.ID, "fifo-2", ep.ID)
		if jobs[0].DeliveryID != first.ID {
			f.Errorf("handed off %s, want the first of the publish %s", jobs[0].DeliveryID, first.ID)
		}
		f.wantWaitingFor(ten.ID, map[string]string{second.ID: first.ID})
		f.succeed(jobs[0], f.at(time.Minute))
		if jobs := f.publishOffered(ten.ID, f.offer(10, 0), f.newEvent(typeCreated)); len(jobs) != 0 {
			f.Errorf("a publish behind 2 waiting deliveries handed off %v, want none", jobIDs(jobs))
		}
		f.claimWant(f.at(time.Minute), second.ID, "the publish's second, after the handed-off head")
	}},
	{"TestDeliveriesWaitTheirTurn", func(f *fixture) {
		ten := f.tenant()
		ep := f.endpoint(ten.ID, fifo())
		ds := f.fifoDeliveries(ten.ID, ep.ID, 1)
		test := f.testEvent(ten.ID, ep.ID)
		f.wantWaitingFor(ten.ID, map[string]string{test.ID: ds[0]})
		f.succeed(f.claimOne(f.at(time.Minute)), f.at(time.Minute))
		f.claimWant(f.at(time.Minute), test.ID, "the test delivery, after the head")
	}},
	{"ReplayGoesAtItsPlace", func(f *fixture) {
		ten := f.tenant()
		ep := f.endpoint(ten.ID, fifo())
		ds := f.fifoDeliveries(ten.ID, ep.ID, 1)
		f.fail(f.claimOne(f.at(time.Minute)), f.at(time.Minute), time.Time{})
		later := f.fifoDeliveries(ten.ID, ep.ID, 1)
		_, err := f.s.ReplayDelivery(f.ctx, ten.ID, ds[0])
		f.must(err, "ReplayDelivery")
		// The replay keeps its number: the oldest waiting, it goes first.
		f.wantWaitingFor(ten.ID, map[string]string{later[0]: ds[0]})
		f.claimWant(f.at(time.Minute), ds[0], "the replayed one")
	}},
	{"OrderingIsChosenAtCreate", func(f *fixture) {
		ten := f.tenant()
		ep := f.endpoint(ten.ID, fifo())
		if got := f.getEndpoint(ten.ID, ep.ID).Ordering; got != hookd.OrderingFIFO {
			f.Errorf("Ordering read back %q, want fifo", got)
		}
		none, same := "", hookd.OrderingFIFO
		_, err := f.s.UpdateEndpoint(f.ctx, ten.ID, ep.ID, hookd.EndpointUpdate{Ordering: &none})
		f.wantCode(err, hookd.EINVALID, "UpdateEndpoint changing the ordering")
		if e, ok := errors.AsType[*hookd.Error](err); !ok || len(e.Fields) != 1 || e.Fields[0].Field != "ordering" {
			f.Errorf("UpdateEndpoint changing the ordering: %v, want a problem with field ordering", err)
		}
		_, err = f.s.UpdateEndpoint(f.ctx, ten.ID, ep.ID, hookd.EndpointUpdate{Ordering: &same})
		f.must(err, "UpdateEndpoint repeating the ordering")
		if plain := f.endpoint(ten.ID); f.getEndpoint(ten.ID, plain.ID).Ordering != "" {
			f.Errorf("an endpoint created without ordering has one")
		}
	}},
}

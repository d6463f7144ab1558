package storetest

import (
	"time"

	"github.com/hookd/hookd"
)

// keyed returns a new event with an idempotency key.
func (f *fixture) keyed(typ, key string) hookd.NewEvent {
	ne := f.newEvent(typ)
	ne.IdempotencyKey = key
	return ne
}

var idempotencyTests = []testCase{
	{"SameKeySameHashIsDuplicate", func(f *fixture) {
		ten, _ := f.tenantWithEndpoint()
		ne := f.keyed(typeCreated, "key-1")
		first := f.publish(ten.ID, ne)[0]
		// A subscriber added since must not change what the duplicate reports.
		f.endpoint(ten.ID)
		again := ne
		again.CreatedAt = f.at(time.Second)
		dup := f.publish(ten.ID, again)[0]
		want := first
		want.Duplicate = true
		f.diff("duplicate PublishResult", want, dup)
		if n := f.countDeliveries(ten.ID); n != 1 {
			f.Errorf("deliveries after a duplicate publish = %d, want 1", n)
		}
	}},
	{"SameKeyOtherHashConflictsAndStoresNothing", func(f *fixture) {
		ten, _ := f.tenantWithEndpoint()
		ne := f.keyed(typeCreated, "key-1")
		f.publish(ten.ID, ne)
		fresh := f.newEvent(typeCreated)
		fresh.ID = "fresh-1"
		reused := ne
		reused.RequestHash = "another request"
		_, err := f.s.PublishEvents(f.ctx, ten.ID, []hookd.NewEvent{fresh, reused}, nil)
		f.wantCode(err, hookd.ECONFLICT, "PublishEvents reusing a key for another request")
		_, err = f.s.Event(f.ctx, ten.ID, fresh.ID)
		f.wantCode(err, hookd.ENOTFOUND, "Event of the conflicting batch")
		if n := f.countDeliveries(ten.ID); n != 1 {
			f.Errorf("deliveries after a conflicting publish = %d, want 1", n)
		}
	}},
	{"IDIsTheDefaultKey", func(f *fixture) {
		ten, _ := f.tenantWithEndpoint()
		ne := f.newEvent(typeCreated)
		ne.ID = "msg-7"
		first := f.publish(ten.ID, ne)[0]
		dup := f.publish(ten.ID, ne)[0]
		if !dup.Duplicate || dup.ID != "msg-7" || dup.Deliveries != first.Deliveries {
			f.Errorf("republishing id msg-7 = %+v, want a duplicate of %+v", dup, first)
		}
		other := ne
		other.RequestHash = "another request"
		_, err := f.s.PublishEvents(f.ctx, ten.ID, []hookd.NewEvent{other}, nil)
		f.wantCode(err, hookd.ECONFLICT, "PublishEvents reusing an id for another request")
		if n := f.countDeliveries(ten.ID); n != 1 {
			f.Errorf("deliveries = %d, want 1", n)
		}
	}},
	{"DuplicateBesideNewEvents", func(f *fixture) {
		ten, _ := f.tenantWithEndpoint()
		ne := f.keyed(typeCreated, "key-1")
		first := f.publish(ten.ID, ne)[0]
		res := f.publish(ten.ID, ne, f.newEvent(typeFailed))
		if !res[0].Duplicate || res[0].ID != first.ID {
			f.Errorf("first result %+v, want a duplicate of %s", res[0], first.ID)
		}
		if res[1].Duplicate || res[1].ID == first.ID || res[1].Deliveries != 1 {
			f.Errorf("second result %+v, want a new event with 1 delivery", res[1])
		}
		if n := f.countDeliveries(ten.ID); n != 2 {
			f.Errorf("deliveries = %d, want 2", n)
		}
	}},
	{"KeysAreScopedToTenants", func(f *fixture) {
		a, _ := f.tenantWithEndpoint()
		b, _ := f.tenantWithEndpoint()
		ne := f.keyed(typeCreated, "shared-key")
		ra := f.publish(a.ID, ne)[0]
		rb := f.publish(b.ID, ne)[0]
		if ra.Duplicate || rb.Duplicate || ra.ID == rb.ID {
			f.Errorf("the same key in two tenants: %+v and %+v, want two new events", ra, rb)
		}
		for _, ten := range []string{a.ID, b.ID} {
			if n := f.countDeliveries(ten); n != 1 {
				f.Errorf("tenant %s has %d deliveries, want 1", ten, n)
			}
		}
	}},
}

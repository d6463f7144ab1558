package storetest

import (
	"bytes"
	"slices"
	"strings"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/ids"
)

var publishTests = []testCase{
	{"FansOutToSubscribedEndpoints", func(f *fixture) {
		ten := f.tenant()
		all := f.endpoint(ten.ID)
		created := f.endpoint(ten.ID, subscribe(typeCreated))
		f.endpoint(ten.ID, subscribe(typeFailed))
		off := f.endpoint(ten.ID, disabled())
		other := f.tenant()
		f.endpoint(other.ID)

		res := f.publish(ten.ID, f.newEvent(typeCreated))[0]
		if res.Deliveries != 3 || res.Duplicate {
			f.Errorf("PublishEvents result %+v, want 3 deliveries, not duplicate", res)
		}
		got := map[string]string{}
		for _, d := range f.deliveries(hookd.DeliveryFilter{TenantID: ten.ID, EventID: res.ID}) {
			got[d.EndpointID] = d.Status
		}
		f.diff("delivery status by endpoint", map[string]string{
			all.ID:     hookd.StatusPending,
			created.ID: hookd.StatusPending,
			off.ID:     hookd.StatusPaused,
		}, got)
		if n := f.countDeliveries(other.ID); n != 0 {
			f.Errorf("another tenant's endpoint got %d deliveries", n)
		}
		ev, err := f.s.Event(f.ctx, ten.ID, res.ID)
		f.must(err, "Event")
		if ev.Type != typeCreated || ev.Deliveries != 3 || ev.TenantID != ten.ID || ev.Test {
			f.Errorf("Event = type %q, %d deliveries, tenant %q, test %v; want %q, 3, %q, false",
				ev.Type, ev.Deliveries, ev.TenantID, ev.Test, typeCreated, ten.ID)
		}
	}},
	{"KeepsIDsAndPayloadBytes", func(f *fixture) {
		ten, _ := f.tenantWithEndpoint()
		given := f.newEvent(typeCreated)
		given.ID = "order-42.created"
		given.CreatedAt = f.at(-time.Hour)
		generated := f.newEvent(typeFailed)
		res := f.publish(ten.ID, given, generated)
		if res[0].ID != given.ID {
			f.Errorf("event published with id %q got id %q", given.ID, res[0].ID)
		}
		if !strings.HasPrefix(res[1].ID, "evt_") {
			f.Errorf("generated event id %q does not start with evt_", res[1].ID)
		}
		for i, ne := range []hookd.NewEvent{given, generated} {
			ev, err := f.s.Event(f.ctx, ten.ID, res[i].ID)
			f.must(err, "Event")
			if !bytes.Equal(ev.Payload, ne.Payload) {
				f.Errorf("Event payload changed:\n got %s\nwant %s", ev.Payload, ne.Payload)
			}
			f.diff("Event", &hookd.Event{
				ID: res[i].ID, TenantID: ten.ID, Type: ne.Type, Payload: ne.Payload,
				CreatedAt: ne.CreatedAt, Deliveries: 1,
			}, ev)
		}
		for _, j := range f.claim(f.at(time.Minute), 10) {
			want := given
			if j.EventID != res[0].ID {
				want = generated
			}
			if !bytes.Equal(j.Payload, want.Payload) {
				f.Errorf("Job payload changed:\n got %s\nwant %s", j.Payload, want.Payload)
			}
		}
	}},
	{"ListsEventsNewestFirstByPage", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint()
		other := f.tenant()
		f.publishType(other.ID, typeCreated)
		var published []string
		for i := range 3 {
			ev := f.newEvent(typeCreated)
			ev.ID = ids.NewAt(ids.Event, f.at(time.Duration(i)*time.Millisecond)) // ids in time order
			published = append(published, f.publish(ten.ID, ev)[0].ID)
		}
		f.testEvent(ten.ID, ep.ID) // test events are not listed
		first, err := f.s.Events(f.ctx, ten.ID, hookd.EventFilter{}, hookd.Page{Limit: 2})
		f.must(err, "Events")
		rest, err := f.s.Events(f.ctx, ten.ID, hookd.EventFilter{}, hookd.Page{Limit: 2, Cursor: first[len(first)-1].ID})
		f.must(err, "Events after a cursor")
		var got []string
		for _, ev := range append(first, rest...) {
			if ev.TenantID != ten.ID || ev.Test || ev.Type != typeCreated || ev.Deliveries != 1 || len(ev.Payload) == 0 {
				f.Errorf("listed event %+v, want tenant %s's non-test %s with 1 delivery and its payload", ev, ten.ID, typeCreated)
			}
			got = append(got, ev.ID)
		}
		f.diff("events by id, descending", []string{published[2], published[1], published[0]}, got)
	}},
	{"FiltersEventsByTypeAndTime", func(f *fixture) {
		ten := f.tenant()
		f.ensureCatalog()
		other := f.tenant()
		pub := func(typ string, at time.Duration) string {
			ev := f.newEvent(typ)
			ev.CreatedAt = f.at(at)
			ev.ID = ids.NewAt(ids.Event, ev.CreatedAt)
			return f.publish(ten.ID, ev)[0].ID
		}
		early := pub(typeCreated, -time.Hour)
		failed := pub(typeFailed, 0)
		now := pub(typeCreated, time.Millisecond) // ids of one millisecond sort at random
		late := pub(typeCreated, time.Hour)
		f.publishType(other.ID, typeCreated)
		list := func(flt hookd.EventFilter, p hookd.Page) []string {
			f.Helper()
			evs, err := f.s.Events(f.ctx, ten.ID, flt, p)
			f.must(err, "Events filtered")
			got := []string{}
			for _, ev := range evs {
				got = append(got, ev.ID)
			}
			return got
		}
		f.diff("by type", []string{late, now, early}, list(hookd.EventFilter{Type: typeCreated}, hookd.Page{Limit: 10}))
		f.diff("by type, a page after a cursor", []string{now, early}, list(hookd.EventFilter{Type: typeCreated}, hookd.Page{Limit: 10, Cursor: late}))
		f.diff("since, inclusive", []string{late, now, failed}, list(hookd.EventFilter{Since: f.at(0)}, hookd.Page{Limit: 10}))
		f.diff("until, exclusive", []string{early}, list(hookd.EventFilter{Until: f.at(0)}, hookd.Page{Limit: 10}))
		f.diff("type within a range", []string{now}, list(hookd.EventFilter{Type: typeCreated, Since: f.at(-time.Minute), Until: f.at(time.Minute)}, hookd.Page{Limit: 10}))
		f.diff("a type nobody published", []string{}, list(hookd.EventFilter{Type: "no.such.type"}, hookd.Page{Limit: 10}))
	}},
	{"ChannelsNarrowFanOut", func(f *fixture) {
		ten := f.tenant()
		any := f.endpoint(ten.ID)
		onA := f.endpoint(ten.ID, withChannels("a"))
		onB := f.endpoint(ten.ID, withChannels("b", "x"))
		onAFailedOnly := f.endpoint(ten.ID, withChannels("a"), subscribe(typeFailed))
		gotEP := f.getEndpoint(ten.ID, onB.ID)
		f.diff("endpoint channels read back", []string{"b", "x"}, gotEP.Channels)

		delivered := func(channels ...string) []string {
			ev := f.newEvent(typeCreated)
			ev.Channels = channels
			res := f.publish(ten.ID, ev)[0]
			stored, err := f.s.Event(f.ctx, ten.ID, res.ID)
			f.must(err, "Event")
			f.diff("event channels read back", channels, stored.Channels)
			var to []string
			for _, d := range f.deliveries(hookd.DeliveryFilter{TenantID: ten.ID, EventID: res.ID}) {
				to = append(to, d.EndpointID)
			}
			slices.Sort(to)
			return to
		}
		sorted := func(ids ...string) []string { slices.Sort(ids); return ids }
		f.diff("no channels: endpoints without channels only", sorted(any.ID), delivered())
		f.diff("channel a", sorted(any.ID, onA.ID), delivered("a"))
		f.diff("channels x and c", sorted(any.ID, onB.ID), delivered("c", "x"))
		_ = onAFailedOnly // on channel a, but not of this type: never delivered

		// Changing an endpoint's channels changes what it gets next.
		_, err := f.s.UpdateEndpoint(f.ctx, ten.ID, onA.ID, hookd.EndpointUpdate{Channels: &[]string{}})
		f.must(err, "UpdateEndpoint channels")
		f.diff("after clearing onA's channels", sorted(any.ID, onA.ID), delivered())
	}},
	{"NoEndpointsStillStoresEvent", func(f *fixture) {
		ten := f.tenant()
		f.ensureCatalog()
		res := f.publish(ten.ID, f.newEvent(typeCreated))[0]
		if res.Deliveries != 0 {
			f.Errorf("Deliveries = %d, want 0", res.Deliveries)
		}
		ev, err := f.s.Event(f.ctx, ten.ID, res.ID)
		f.must(err, "Event")
		if ev.Deliveries != 0 {
			f.Errorf("Event.Deliveries = %d, want 0", ev.Deliveries)
		}
	}},
	{"UnknownTypeStoresNothing", func(f *fixture) {
		ten, _ := f.tenantWithEndpoint()
		evs := []hookd.NewEvent{f.newEvent(typeCreated), f.newEvent(typeUnknown), f.newEvent(typeFailed)}
		for i := range evs {
			evs[i].ID = []string{"first", "bad", "third"}[i]
		}
		_, err := f.s.PublishEvents(f.ctx, ten.ID, evs, nil)
		f.wantCode(err, hookd.EINVALID, "PublishEvents with an unknown type")
		for _, ne := range evs {
			_, err := f.s.Event(f.ctx, ten.ID, ne.ID)
			f.wantCode(err, hookd.ENOTFOUND, "Event "+ne.ID+" of a rejected batch")
		}
		if n := f.countDeliveries(ten.ID); n != 0 {
			f.Errorf("a rejected batch left %d deliveries", n)
		}
	}},
	{"UnknownTenantNotFound", func(f *fixture) {
		f.ensureCatalog()
		_, err := f.s.PublishEvents(f.ctx, "ten_missing", []hookd.NewEvent{f.newEvent(typeCreated)}, nil)
		f.wantCode(err, hookd.ENOTFOUND, "PublishEvents to an unknown tenant")
	}},
	{"UnknownEventNotFound", func(f *fixture) {
		ten := f.tenant()
		_, err := f.s.Event(f.ctx, ten.ID, "evt_missing")
		f.wantCode(err, hookd.ENOTFOUND, "Event")
	}},
	{"TestEventGoesToDisabledEndpoint", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint(disabled(), subscribe(typeFailed))
		d := f.testEvent(ten.ID, ep.ID)
		if !d.Test || d.Status != hookd.StatusPending || d.EndpointID != ep.ID || d.TenantID != ten.ID || d.EventType != typeCreated {
			f.Errorf("PublishTestEvent = %+v; want a pending test delivery of %s to %s", d, typeCreated, ep.ID)
		}
		ev, err := f.s.Event(f.ctx, ten.ID, d.EventID)
		f.must(err, "Event of a test delivery")
		if !ev.Test {
			f.Errorf("test event reads back with Test=false")
		}
		j := f.claimOne(f.at(time.Minute))
		if j.DeliveryID != d.ID || !j.Test {
			f.Errorf("claimed %s (test %v), want test delivery %s", j.DeliveryID, j.Test, d.ID)
		}
		_, err = f.s.PublishTestEvent(f.ctx, ten.ID, "ep_missing", f.newEvent(typeCreated))
		f.wantCode(err, hookd.ENOTFOUND, "PublishTestEvent to an unknown endpoint")
	}},
}

package storetest

import (
	"fmt"

	"github.com/hookd/hookd"
)

func withFilter(src string) epOpt { return func(e *hookd.Endpoint) { e.Filter = src } }

var filterTests = []testCase{
	{"StoresTheFilter", func(f *fixture) {
		ten := f.tenant()
		ep := f.endpoint(ten.ID, withFilter(`event.data.amount > 1000`))
		if got := f.getEndpoint(ten.ID, ep.ID).Filter; got != `event.data.amount > 1000` {
			f.Errorf("stored filter = %q", got)
		}
		_, err := f.s.UpdateEndpoint(f.ctx, ten.ID, ep.ID, hookd.EndpointUpdate{Name: new("renamed")})
		f.must(err, "UpdateEndpoint without filter")
		if got := f.getEndpoint(ten.ID, ep.ID).Filter; got != `event.data.amount > 1000` {
			f.Errorf("filter after an update not naming it = %q, want it kept", got)
		}
		_, err = f.s.UpdateEndpoint(f.ctx, ten.ID, ep.ID, hookd.EndpointUpdate{Filter: new("")})
		f.must(err, "UpdateEndpoint clearing the filter")
		if got := f.getEndpoint(ten.ID, ep.ID).Filter; got != "" {
			f.Errorf("cleared filter = %q", got)
		}
	}},
	{"FanOutDeliversOnlyWhatTheFilterPasses", func(f *fixture) {
		ten := f.tenant()
		even := f.endpoint(ten.ID, withFilter(`int(event.data.n) % 2 == 0 && event.type == "`+typeCreated+`"`))
		raw := f.endpoint(ten.ID, withFilter(`event.data.kind == "whole"`)) // a payload sent as is
		all := f.endpoint(ten.ID)
		events := make([]hookd.NewEvent, 100)
		want := map[string]int{all.ID: 100, even.ID: 50, raw.ID: 50}
		for i := range events {
			events[i] = f.newEvent(typeCreated)
			events[i].Data = fmt.Appendf(nil, `{"n":%d}`, i)
			if i%2 == 1 {
				events[i].Data = nil
				events[i].Payload = []byte(`{"kind":"whole"}`)
			}
		}
		res := f.publish(ten.ID, events...)
		for i, r := range res {
			if r.Deliveries != 2 {
				f.Errorf("event %d: %d deliveries, want 2", i, r.Deliveries)
			}
		}
		got := map[string]int{}
		for _, d := range f.deliveries(hookd.DeliveryFilter{TenantID: ten.ID}) {
			got[d.EndpointID]++
		}
		f.diff("deliveries by endpoint", want, got)

		// A changed filter applies to the next publish.
		_, err := f.s.UpdateEndpoint(f.ctx, ten.ID, even.ID, hookd.EndpointUpdate{Filter: new(`false`)})
		f.must(err, "UpdateEndpoint")
		ev := f.newEvent(typeCreated)
		ev.Data = []byte(`{"n":2}`)
		if r := f.publish(ten.ID, ev)[0]; r.Deliveries != 1 {
			f.Errorf("after the filter became false: %d deliveries, want 1 (the unfiltered endpoint)", r.Deliveries)
		}
	}},
}

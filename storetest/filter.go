package storetest

import (
	"fmt"

	"github.com/hookd/hookd"
)

func withFilter(src string) epOpt { return func(e *hookd.Endpoint) { e.Filter = src } }

// storesText checks an endpoint's text field: stored, kept by an update
// that does not name it, cleared by one setting "".
func (f *fixture) storesText(field, value string, with func(string) epOpt, get func(*hookd.Endpoint) string,
	set func(string) hookd.EndpointUpdate) {
	f.Helper()
	ten := f.tenant()
	ep := f.endpoint(ten.ID, with(value))
	if got := get(f.getEndpoint(ten.ID, ep.ID)); got != value {
		f.Errorf("stored %s = %q", field, got)
	}
	_, err := f.s.UpdateEndpoint(f.ctx, ten.ID, ep.ID, hookd.EndpointUpdate{Name: new("renamed")})
	f.must(err, "UpdateEndpoint without "+field)
	if got := get(f.getEndpoint(ten.ID, ep.ID)); got != value {
		f.Errorf("%s after an update not naming it = %q, want it kept", field, got)
	}
	_, err = f.s.UpdateEndpoint(f.ctx, ten.ID, ep.ID, set(""))
	f.must(err, "UpdateEndpoint clearing the "+field)
	if got := get(f.getEndpoint(ten.ID, ep.ID)); got != "" {
		f.Errorf("cleared %s = %q", field, got)
	}
}

var filterTests = []testCase{
	{"StoresTheFilter", func(f *fixture) {
		f.storesText("filter", `event.data.amount > 1000`, withFilter, func(e *hookd.Endpoint) string { return e.Filter },
			func(s string) hookd.EndpointUpdate { return hookd.EndpointUpdate{Filter: &s} })
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

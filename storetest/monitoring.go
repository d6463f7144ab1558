package storetest

import (
	"time"

	"github.com/hookd/hookd"
)

// monitoringTests hold the counts /metrics reads (hookd.EndpointCounter).
var monitoringTests = []testCase{
	{"EndpointStates", func(f *fixture) {
		ec, ok := f.s.(hookd.EndpointCounter)
		if !ok {
			return
		}
		count := func(want map[string]int, what string) {
			f.Helper()
			got, err := ec.CountEndpointStates(f.ctx)
			f.must(err, "CountEndpointStates")
			f.diff("endpoint states "+what, want, got)
		}
		count(map[string]int{}, "of an empty store")
		ten, _ := f.tenantWithEndpoint()
		f.endpoint(ten.ID, disabled())
		other := f.tenant()
		auto := f.endpoint(other.ID)
		gone := f.endpoint(other.ID)
		_, err := f.s.DisableEndpoint(f.ctx, other.ID, auto.ID, hookd.DisabledAuto)
		f.must(err, "DisableEndpoint auto")
		_, err = f.s.DisableEndpoint(f.ctx, other.ID, gone.ID, hookd.DisabledGone)
		f.must(err, "DisableEndpoint gone")
		count(map[string]int{"active": 1, "disabled_manual": 1, "disabled_auto": 1, "disabled_gone": 1}, "of every tenant")
		_, err = f.s.EnableEndpoint(f.ctx, other.ID, gone.ID)
		f.must(err, "EnableEndpoint")
		count(map[string]int{"active": 2, "disabled_manual": 1, "disabled_auto": 1}, "after an enable")
	}}, {"TraceParentReachesTheJob", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint()
		traced := f.newEvent(typeCreated)
		traced.TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
		f.publish(ten.ID, traced, f.newEvent(typeCreated))
		test, err := f.s.PublishTestEvent(f.ctx, ten.ID, ep.ID, traced)
		f.must(err, "PublishTestEvent")
		got := map[string]string{}
		for _, j := range f.claim(f.at(time.Minute), 10) {
			got[j.DeliveryID] = j.TraceParent
		}
		if len(got) != 3 {
			f.Fatalf("claimed %d deliveries, want 3", len(got))
		}
		if got[test.ID] != traced.TraceParent {
			f.Errorf("test delivery's job TraceParent = %q, want %q", got[test.ID], traced.TraceParent)
		}
		n := 0
		for _, tp := range got {
			if tp == traced.TraceParent {
				n++
			} else if tp != "" {
				f.Errorf("job TraceParent = %q, want the publish's or none", tp)
			}
		}
		if n != 2 {
			f.Errorf("%d jobs carry the publish's trace context, want 2 (the event's and the test event's)", n)
		}
	}},
}

package storetest

import "github.com/hookd/hookd"

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
	}},
}

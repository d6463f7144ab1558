package storetest

import (
	"errors"
	"time"

	"github.com/hookd/hookd"
)

// endpoints creates n endpoints of a tenant, 10 in flight each.
func (f *fixture) endpoints(tenantID string, n int) {
	f.Helper()
	for range n {
		f.endpoint(tenantID, withMaxInFlight(10))
	}
}

// publishMany publishes n events of typeCreated.
func (f *fixture) publishMany(tenantID string, n int) {
	f.Helper()
	for range n {
		f.publishType(tenantID, typeCreated)
	}
}

// jobsByTenant counts jobs per tenant.
func jobsByTenant(jobs []*hookd.Job) map[string]int {
	out := map[string]int{}
	for _, j := range jobs {
		out[j.TenantID]++
	}
	return out
}

var fairnessTests = []testCase{
	{"TenantCapRoundTrip", func(f *fixture) {
		ten := &hookd.Tenant{ID: "capped", Name: "Capped", MaxInFlight: 7}
		f.must(f.s.CreateTenant(f.ctx, ten), "CreateTenant")
		got, err := f.s.Tenant(f.ctx, ten.ID)
		f.must(err, "Tenant")
		f.diff("Tenant with its own cap", ten, got)

		got, err = f.s.UpdateTenant(f.ctx, ten.ID, hookd.TenantUpdate{Name: ptr("Renamed")})
		f.must(err, "UpdateTenant name")
		if got.Name != "Renamed" || got.MaxInFlight != 7 {
			f.Errorf("after renaming: name %q, cap %d; want Renamed, 7 (kept)", got.Name, got.MaxInFlight)
		}
		got, err = f.s.UpdateTenant(f.ctx, ten.ID, hookd.TenantUpdate{MaxInFlight: ptr(3)})
		f.must(err, "UpdateTenant cap")
		if got.Name != "Renamed" || got.MaxInFlight != 3 {
			f.Errorf("after setting the cap: name %q, cap %d; want Renamed (kept), 3", got.Name, got.MaxInFlight)
		}
		got, err = f.s.UpdateTenant(f.ctx, ten.ID, hookd.TenantUpdate{MaxInFlight: ptr(0)})
		f.must(err, "UpdateTenant default cap")
		if got.MaxInFlight != 0 {
			f.Errorf("after restoring the default: cap %d, want 0", got.MaxInFlight)
		}
		read, err := f.s.Tenant(f.ctx, ten.ID)
		f.must(err, "Tenant")
		f.diff("Tenant after updates", got, read)
		if plain := f.tenant(); plain.MaxInFlight != 0 {
			f.Errorf("a tenant created without a cap has %d, want 0 (the deployment default)", plain.MaxInFlight)
		}
	}},
	{"TenantCapBoundsAllItsEndpoints", func(f *fixture) {
		ten := f.tenant()
		a := f.endpoint(ten.ID, withMaxInFlight(10))
		b := f.endpoint(ten.ID, withMaxInFlight(10))
		for range 5 {
			f.publishType(ten.ID, typeCreated) // one delivery to each endpoint
		}
		T := f.at(time.Minute)
		jobs := f.claimCapped(T, 100, 3)
		f.diff("jobs of a tenant capped at 3 by default", map[string]int{ten.ID: 3}, jobsByTenant(jobs))
		if n := len(f.claimCapped(T, 100, 3)); n != 0 {
			f.Errorf("a second claim at the tenant's cap got %d jobs", n)
		}
		f.succeed(jobs[0], T)
		if n := len(f.claimCapped(T, 100, 3)); n != 1 {
			f.Errorf("after one result the claim got %d jobs, want 1 (back to the cap)", n)
		}
		// Expired leases do not count as in flight.
		later := T.Add(defaultLease + time.Millisecond)
		if n := len(f.claimCapped(later, 100, 3)); n != 3 {
			f.Errorf("after the leases ran out the claim got %d jobs, want 3", n)
		}
		// Without a default the endpoints' own limits are the only bound.
		later = later.Add(defaultLease + time.Millisecond)
		byEndpoint := jobsByEndpoint(f.claimCapped(later, 100, 0))
		if byEndpoint[a.ID]+byEndpoint[b.ID] != 9 {
			f.Errorf("without a tenant cap the claim got %v, want all 9 left", byEndpoint)
		}
	}},
	{"TenantOwnCapOverridesDefault", func(f *fixture) {
		big := &hookd.Tenant{ID: "big", Name: "Big", MaxInFlight: 6}
		small := &hookd.Tenant{ID: "small", Name: "Small", MaxInFlight: 1}
		f.must(f.s.CreateTenant(f.ctx, big), "CreateTenant")
		f.must(f.s.CreateTenant(f.ctx, small), "CreateTenant")
		plain := f.tenant()
		for _, ten := range []string{big.ID, small.ID, plain.ID} {
			f.endpoint(ten, withMaxInFlight(10))
			for range 8 {
				f.publishType(ten, typeCreated)
			}
		}
		jobs := f.claimCapped(f.at(time.Minute), 100, 2)
		f.diff("jobs per tenant, default cap 2", map[string]int{big.ID: 6, small.ID: 1, plain.ID: 2}, jobsByTenant(jobs))
	}},
	{"TenantsShareTheBatch", func(f *fixture) {
		// The old tenant's 12 deliveries are due first, on three endpoints;
		// the young tenant's 6 later, on one. A batch of 6 is still split evenly
		// between the tenants, not by age or by endpoint count.
		old, young := f.tenant(), f.tenant()
		f.endpoints(old.ID, 3)
		f.endpoint(young.ID, withMaxInFlight(10))
		f.publishMany(old.ID, 4)
		tick()
		f.publishMany(young.ID, 6)
		T := f.at(time.Minute)
		first := f.claim(T, 6)
		f.diff("first batch of 6", map[string]int{old.ID: 3, young.ID: 3}, jobsByTenant(first))

		// The young tenant's requests finish; the old one's still run. The
		// next slots go to the tenant holding fewer, though the old
		// tenant's work is older.
		for _, j := range first {
			if j.TenantID == young.ID {
				f.succeed(j, T)
			}
		}
		f.diff("next batch of 1", map[string]int{young.ID: 1}, jobsByTenant(f.claim(T, 1)))
		f.diff("next batch of 3: levelled at 3 each", map[string]int{old.ID: 1, young.ID: 2}, jobsByTenant(f.claim(T, 3)))
	}},
	{"ManyEndpointsDoNotCrowdASmallBatch", func(f *fixture) {
		// Five endpoints of one tenant with the oldest work, one of another:
		// a batch of two slots still goes one to each tenant.
		many, one := f.tenant(), f.tenant()
		f.endpoints(many.ID, 5)
		f.publishType(many.ID, typeCreated)
		tick()
		f.endpoint(one.ID, withMaxInFlight(10))
		f.publishType(one.ID, typeCreated)
		f.diff("a batch of 2", map[string]int{many.ID: 1, one.ID: 1}, jobsByTenant(f.claim(f.at(time.Minute), 2)))
	}},
	{"CappedTenantLeavesTheBatchToOthers", func(f *fixture) {
		hostile, healthy := f.tenant(), f.tenant()
		f.endpoints(hostile.ID, 4)
		f.endpoint(healthy.ID, withMaxInFlight(10))
		f.publishMany(hostile.ID, 10)
		T := f.at(time.Minute)
		f.diff("the hostile tenant alone: up to its cap", map[string]int{hostile.ID: 4}, jobsByTenant(f.claimCapped(T, 100, 4)))
		f.publishMany(healthy.ID, 5)
		f.diff("then only the healthy tenant", map[string]int{healthy.ID: 4}, jobsByTenant(f.claimCapped(T, 100, 4)))
	}},
	{"DeletedEndpointsRequestsStillCount", func(f *fixture) {
		// Deleting an endpoint whose requests are in flight does not free
		// the tenant's cap: those requests hold workers until their lease
		// ends.
		ten := f.tenant()
		first := f.endpoint(ten.ID, withMaxInFlight(10))
		f.publishMany(ten.ID, 3)
		T := f.at(time.Minute)
		if n := len(f.claimCapped(T, 100, 3)); n != 3 {
			f.Fatalf("claimed %d, want 3 (the cap)", n)
		}
		f.must(f.s.DeleteEndpoint(f.ctx, ten.ID, first.ID), "DeleteEndpoint")
		f.endpoint(ten.ID, withMaxInFlight(10))
		f.publishMany(ten.ID, 3)
		if n := len(f.claimCapped(T, 100, 3)); n != 0 {
			f.Errorf("after deleting the busy endpoint a new one got %d, want 0 (its requests still run)", n)
		}
		other, _ := f.tenantWithEndpoint()
		f.publishMany(other.ID, 1)
		f.diff("other tenants are not held back", map[string]int{other.ID: 1}, jobsByTenant(f.claimCapped(T, 100, 3)))
		if n := jobsByTenant(f.claimCapped(T.Add(defaultLease+time.Millisecond), 100, 3))[ten.ID]; n != 3 {
			f.Errorf("once the deleted endpoint's leases ran out: %d, want 3", n)
		}
	}},
	{"TestEventsLimitedPerEndpoint", func(f *fixture) {
		ten := f.tenant()
		busy, calm := f.endpoint(ten.ID), f.endpoint(ten.ID)
		for range hookd.TestEventsPerEndpoint {
			f.testEvent(ten.ID, busy.ID)
		}
		before := f.countDeliveries(ten.ID)
		_, err := f.s.PublishTestEvent(f.ctx, ten.ID, busy.ID, f.newEvent(typeCreated))
		f.wantRateLimited(err, "a test event over the endpoint's limit")
		if after := f.countDeliveries(ten.ID); after != before {
			f.Errorf("the refused test event left %d deliveries, want %d", after, before)
		}
		f.testEvent(ten.ID, calm.ID) // another endpoint has its own count
	}},
	{"TestEventsLimitedPerTenant", func(f *fixture) {
		ten := f.tenant()
		var last *hookd.Endpoint
		for sent := 0; sent < hookd.TestEventsPerTenant; {
			last = f.endpoint(ten.ID)
			for range min(hookd.TestEventsPerEndpoint, hookd.TestEventsPerTenant-sent) {
				f.testEvent(ten.ID, last.ID)
				sent++
			}
		}
		fresh := f.endpoint(ten.ID)
		_, err := f.s.PublishTestEvent(f.ctx, ten.ID, fresh.ID, f.newEvent(typeCreated))
		f.wantRateLimited(err, "a test event over the tenant's limit")
		// Deleting an endpoint does not give its tests back to the tenant.
		f.must(f.s.DeleteEndpoint(f.ctx, ten.ID, last.ID), "DeleteEndpoint")
		_, err = f.s.PublishTestEvent(f.ctx, ten.ID, fresh.ID, f.newEvent(typeCreated))
		f.wantRateLimited(err, "a test event over the tenant's limit, after deleting an endpoint")
		other, otherEp := f.tenantWithEndpoint()
		f.testEvent(other.ID, otherEp.ID) // other tenants are not limited by it
	}},
}

// wantRateLimited checks for ERATELIMITED with a Retry-After within the window.
func (f *fixture) wantRateLimited(err error, what string) {
	f.Helper()
	f.wantCode(err, hookd.ERATELIMITED, what)
	var e *hookd.Error
	if errors.As(err, &e) && (e.RetryAfter <= 0 || e.RetryAfter > hookd.TestEventWindow) {
		f.Errorf("%s: RetryAfter %s, want within (0, %s]", what, e.RetryAfter, hookd.TestEventWindow)
	}
}

package storetest

import (
	"time"

	"github.com/hookd/hookd"
)

var queueTests = []testCase{
	{"JobCarriesEverythingToSend", func(f *fixture) {
		ten := f.tenant()
		ep := f.endpoint(ten.ID,
			subscribe(typeCreated),
			withHeaders(map[string]string{"Authorization": "Bearer s3cr3t"}),
			withSchedule(time.Minute, 5*time.Minute),
			withTimeout(7*time.Second),
		)
		ne := f.newEvent(typeCreated)
		ne.CreatedAt = f.at(-time.Second)
		evID := f.publish(ten.ID, ne)[0].ID
		d := f.deliveryOf(ten.ID, evID, ep.ID)

		j := f.claimOne(f.at(time.Minute))
		f.diff("Job", &hookd.Job{
			DeliveryID: d.ID, TenantID: ten.ID, EventID: evID, EventType: typeCreated, EndpointID: ep.ID,
			Attempt: 1, RunAttempt: 1, Payload: ne.Payload, CreatedAt: ne.CreatedAt,
			URL: ep.URL, Headers: ep.Headers, Secrets: []string{f.secrets[ep.ID]},
			RetrySchedule: ep.RetrySchedule, Timeout: ep.Timeout,
		}, j, ignoreFields("LeaseToken"))
		if j.LeaseToken == "" {
			f.Errorf("Job has no LeaseToken")
		}

		// An endpoint without its own schedule leaves the job's nil: the
		// deployment default (an empty schedule would mean no retries).
		plain := f.endpoint(ten.ID, subscribe(typeFailed))
		f.publishType(ten.ID, typeFailed)
		if j := f.claimOne(f.at(time.Minute)); j.EndpointID != plain.ID || j.RetrySchedule != nil {
			f.Errorf("job to %s has RetrySchedule %#v, want nil", j.EndpointID, j.RetrySchedule)
		}
	}},
	{"LeaseHidesClaimedUntilItRunsOut", func(f *fixture) {
		ten, _ := f.tenantWithEndpoint()
		f.publishType(ten.ID, typeCreated)
		T := f.at(time.Minute)
		j := f.claimOne(T)
		f.claimNone(T, "claimed just now")
		f.claimNone(T.Add(defaultLease-time.Millisecond), "lease still valid")
		again := f.claimOne(T.Add(defaultLease + time.Millisecond))
		if again.DeliveryID != j.DeliveryID || again.LeaseToken == j.LeaseToken {
			f.Errorf("reclaimed %s with token %q; want %s with a token other than %q",
				again.DeliveryID, again.LeaseToken, j.DeliveryID, j.LeaseToken)
		}
	}},
	{"LeaseWithoutTimeoutUses30s", func(f *fixture) {
		ten, _ := f.tenantWithEndpoint(withTimeout(0))
		f.publishType(ten.ID, typeCreated)
		T := f.at(time.Minute)
		f.claimOne(T)
		lease := 30*time.Second + leaseGrace
		f.claimNone(T.Add(lease-time.Millisecond), "lease still valid")
		f.claimOne(T.Add(lease + time.Millisecond))
	}},
	{"Limit", func(f *fixture) {
		ten, _ := f.tenantWithEndpoint()
		for range 3 {
			f.publishType(ten.ID, typeCreated)
		}
		T := f.at(time.Minute)
		first := f.claim(T, 2)
		if len(first) != 2 {
			f.Fatalf("claim with limit 2 got %d jobs", len(first))
		}
		last := f.claimOne(T)
		for _, j := range first {
			if j.DeliveryID == last.DeliveryID {
				f.Errorf("delivery %s claimed twice", j.DeliveryID)
			}
		}
	}},
	{"MaxInFlightPerEndpoint", func(f *fixture) {
		ten := f.tenant()
		busy := f.endpoint(ten.ID, subscribe(typeCreated), withMaxInFlight(2))
		calm := f.endpoint(ten.ID, subscribe(typeFailed))
		for range 5 {
			f.publishType(ten.ID, typeCreated)
		}
		f.publishType(ten.ID, typeFailed)
		T := f.at(time.Minute)
		jobs := f.claim(T, 100)
		f.diff("jobs per endpoint", map[string]int{busy.ID: 2, calm.ID: 1}, jobsByEndpoint(jobs))
		f.claimNone(T, "busy endpoint at its bound")
		for _, j := range jobs {
			if j.EndpointID == busy.ID {
				f.succeed(j, T)
				break
			}
		}
		f.diff("jobs per endpoint after one result", map[string]int{busy.ID: 1}, jobsByEndpoint(f.claim(T, 100)))
		// Expired leases do not count as in flight.
		later := T.Add(defaultLease + time.Millisecond)
		f.diff("jobs per endpoint after leases ran out", map[string]int{busy.ID: 2, calm.ID: 1}, jobsByEndpoint(f.claim(later, 100)))
	}},
	{"RateLimitPerEndpoint", func(f *fixture) {
		ten := f.tenant()
		limited := f.endpoint(ten.ID, subscribe(typeCreated), withMaxInFlight(100), func(e *hookd.Endpoint) { e.RateLimit = 2 })
		free := f.endpoint(ten.ID, subscribe(typeFailed), withMaxInFlight(100))
		for range 10 {
			f.publishType(ten.ID, typeCreated)
			f.publishType(ten.ID, typeFailed)
		}
		if got := f.getEndpoint(ten.ID, limited.ID).RateLimit; got != 2 {
			f.Errorf("RateLimit round trip = %d, want 2", got)
		}
		T := f.at(time.Minute)
		f.diff("first claim: a full bucket of 2 (one second's worth), the free endpoint unbounded",
			map[string]int{limited.ID: 2, free.ID: 10}, jobsByEndpoint(f.claim(T, 100)))
		f.claimNone(T, "bucket empty")
		f.diff("half a second later: one more token", map[string]int{limited.ID: 1}, jobsByEndpoint(f.claim(T.Add(500*time.Millisecond), 100)))
		// An hour later every lease has run out too: all work is due again.
		f.diff("an hour later: the bucket holds at most one second's worth", map[string]int{limited.ID: 2, free.ID: 10},
			jobsByEndpoint(f.claim(T.Add(time.Hour), 100)))
	}},
	{"PausedNeverClaimed", func(f *fixture) {
		ten, _ := f.tenantWithEndpoint(disabled())
		f.publishType(ten.ID, typeCreated)
		f.claimNone(f.at(48*time.Hour), "the only delivery is paused")
		if at, ok, err := f.s.NextDueAt(f.ctx); err != nil || ok {
			f.Errorf("NextDueAt with only paused work = %v, %v, %v; want false", at, ok, err)
		}
	}},
	{"NextDueAt", func(f *fixture) {
		if at, ok, err := f.s.NextDueAt(f.ctx); err != nil || ok {
			f.Errorf("NextDueAt of an empty store = %v, %v, %v; want false", at, ok, err)
		}
		ten, _ := f.tenantWithEndpoint()
		f.publishType(ten.ID, typeCreated)
		after := time.Now()
		due, ok, err := f.s.NextDueAt(f.ctx)
		f.must(err, "NextDueAt")
		if !ok || due.Before(f.now) || due.After(after) {
			f.Errorf("NextDueAt after publishing = %v, %v; want a time between %v and %v", due, ok, f.now, after)
		}
		T, retry := f.at(time.Minute), f.at(10*time.Minute)
		f.fail(f.claimOne(T), T, retry)
		due, ok, err = f.s.NextDueAt(f.ctx)
		f.must(err, "NextDueAt")
		if !ok || !due.Equal(retry) {
			f.Errorf("NextDueAt with a retry at %v = %v, %v", retry, due, ok)
		}
		f.succeed(f.claimOne(retry), retry)
		if at, ok, err := f.s.NextDueAt(f.ctx); err != nil || ok {
			f.Errorf("NextDueAt with everything delivered = %v, %v, %v; want false", at, ok, err)
		}
	}},
	{"NextDueAndCountAcrossEndpoints", func(f *fixture) {
		// Both read each waiting endpoint's earliest from deliveries_due.
		a, _ := f.tenantWithEndpoint()
		b, first := f.tenantWithEndpoint()
		f.endpoint(b.ID)
		f.publishType(a.ID, typeCreated)
		f.publishType(b.ID, typeCreated) // to both of b's endpoints
		T := f.at(time.Minute)
		jobs := f.claim(T, 10)
		if len(jobs) != 3 {
			f.Fatalf("claimed %d, want 3", len(jobs))
		}
		retryA, retryB, retryC := f.at(20*time.Minute), f.at(10*time.Minute), f.at(15*time.Minute)
		for _, j := range jobs {
			switch {
			case j.TenantID == a.ID:
				f.fail(j, T, retryA)
			case j.EndpointID == first.ID:
				f.fail(j, T, retryB)
			default:
				f.fail(j, T, retryC)
			}
		}
		due, ok, err := f.s.NextDueAt(f.ctx)
		f.must(err, "NextDueAt")
		if !ok || !due.Equal(retryB) {
			f.Errorf("NextDueAt = %v, %v; want the earliest retry %v", due, ok, retryB)
		}
		qc, ok := f.s.(hookd.QueueCounter)
		if !ok {
			return
		}
		count := func(at time.Time, wantDue, wantLeased int, what string) {
			f.Helper()
			d, l, err := qc.CountQueue(f.ctx, at)
			f.must(err, "CountQueue")
			if d != wantDue || l != wantLeased {
				f.Errorf("CountQueue %s = %d due, %d leased; want %d, %d", what, d, l, wantDue, wantLeased)
			}
		}
		count(T, 0, 0, "after the failures")
		count(f.at(16*time.Minute), 2, 0, "after two retries are due")
		if j := f.claimOne(retryB); j.EndpointID != first.ID {
			f.Errorf("claimed at b's first retry: endpoint %s, want %s", j.EndpointID, first.ID)
		}
		count(retryB, 0, 1, "with b's first retry leased")
		count(f.at(time.Hour), 3, 0, "after every retry and the lease ran out")
	}},
	{"ReleaseMakesDueAgain", func(f *fixture) {
		ten, _ := f.tenantWithEndpoint()
		f.publishType(ten.ID, typeCreated)
		f.publishType(ten.ID, typeCreated)
		T := f.at(time.Minute)
		jobs := f.claim(T, 100)
		f.must(f.s.ReleaseDeliveries(f.ctx, jobs), "ReleaseDeliveries")
		again := f.claim(T, 100)
		f.diff("claimed after release", jobIDs(jobs), jobIDs(again))
		for _, j := range again {
			if j.Attempt != 1 || j.RunAttempt != 1 {
				f.Errorf("released job reclaimed as attempt %d, run attempt %d; want 1, 1", j.Attempt, j.RunAttempt)
			}
			d := f.delivery(ten.ID, j.DeliveryID)
			if d.Status != hookd.StatusPending || d.Attempts != 0 || len(d.AttemptLog) != 0 {
				f.Errorf("released delivery: status %q, %d attempts, %d logged; want pending, none",
					d.Status, d.Attempts, len(d.AttemptLog))
			}
		}
	}},
}

package storetest

import (
	"sync"
	"time"

	"github.com/hookd/hookd"
)

// offer is a hand-off offer from a node with free workers, at the suite's
// minute mark (the time the suite's claims use), with the claims' grace.
func (f *fixture) offer(free, tenantMax int) *hookd.HandOff {
	return hookd.NewHandOff(f.at(time.Minute), leaseGrace, tenantMax, func(n int) int {
		got := min(n, free)
		free -= got
		return got
	})
}

// publishOffered publishes evs with offer and returns the jobs leased.
func (f *fixture) publishOffered(tenantID string, offer *hookd.HandOff, evs ...hookd.NewEvent) []*hookd.Job {
	f.Helper()
	_, err := f.s.PublishEvents(f.ctx, tenantID, evs, offer)
	f.must(err, "PublishEvents with an offer")
	jobs, _ := offer.Close()
	return jobs
}

func (f *fixture) events(n int, typ string) []hookd.NewEvent {
	evs := make([]hookd.NewEvent, n)
	for i := range evs {
		evs[i] = f.newEvent(typ)
	}
	return evs
}

var handOffTests = []testCase{
	{"JobCarriesEverythingAndIsLeased", func(f *fixture) {
		ten := f.tenant()
		ep := f.endpoint(ten.ID, subscribe(typeCreated),
			withHeaders(map[string]string{"Authorization": "Bearer s3cr3t"}),
			withSchedule(time.Minute, 5*time.Minute), withTimeout(7*time.Second))
		ne := f.newEvent(typeCreated)
		ne.CreatedAt = f.at(-time.Second)
		offer := f.offer(10, 0)
		jobs := f.publishOffered(ten.ID, offer, ne)
		if len(jobs) != 1 {
			f.Fatalf("publish with an offer of 10 leased %d jobs, want 1", len(jobs))
		}
		d := f.deliveries(hookd.DeliveryFilter{TenantID: ten.ID})[0]
		f.diff("handed-off Job", &hookd.Job{
			DeliveryID: d.ID, TenantID: ten.ID, EventID: d.EventID, EventType: typeCreated, EndpointID: ep.ID,
			Attempt: 1, RunAttempt: 1, Payload: ne.Payload, CreatedAt: ne.CreatedAt,
			URL: ep.URL, Headers: ep.Headers, Secrets: []string{f.secrets[ep.ID]},
			RetrySchedule: ep.RetrySchedule, Timeout: ep.Timeout,
		}, jobs[0], ignoreFields("LeaseToken"))
		if jobs[0].LeaseToken == "" {
			f.Errorf("handed-off Job has no LeaseToken")
		}
		T := f.at(time.Minute)
		lease := 7*time.Second + leaseGrace
		f.claimNone(T, "handed off just now")
		f.claimNone(T.Add(lease-time.Millisecond), "its lease still holds")
		if again := f.claimOne(T.Add(lease + time.Millisecond)); again.DeliveryID != d.ID || again.LeaseToken == jobs[0].LeaseToken {
			f.Errorf("after the lease: claimed %s with token %q; want %s under a new token", again.DeliveryID, again.LeaseToken, d.ID)
		}
	}},
	{"ReservesOnlyWhatIsDue", func(f *fixture) {
		ten, _ := f.tenantWithEndpoint()
		f.endpoint(ten.ID, disabled())
		offer := f.offer(10, 0)
		_, err := f.s.PublishEvents(f.ctx, ten.ID, []hookd.NewEvent{f.newEvent(typeCreated)}, offer)
		f.must(err, "PublishEvents")
		// One delivery is due, one paused (its endpoint is disabled): one worker reserved and used.
		if jobs, unused := offer.Close(); len(jobs) != 1 || unused != 0 {
			f.Errorf("offer: %d jobs, %d workers unused; want 1, 0", len(jobs), unused)
		}
		// A duplicate creates nothing to hand off.
		ne := f.newEvent(typeCreated)
		ne.IdempotencyKey = "k"
		f.publish(ten.ID, ne)
		if jobs := f.publishOffered(ten.ID, f.offer(10, 0), ne); len(jobs) != 0 {
			f.Errorf("a duplicate publish handed off %d jobs", len(jobs))
		}
		if jobs := f.publishOffered(ten.ID, f.offer(0, 0), f.newEvent(typeCreated)); len(jobs) != 0 {
			f.Errorf("an offer without free workers handed off %d jobs", len(jobs))
		}
		f.diff("claimable: the keyed event and the one published without room", 2, len(f.claim(f.at(time.Minute), 100)))
	}},
	{"MaxInFlightHoldsWithClaims", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint(withMaxInFlight(1))
		jobs := f.publishOffered(ten.ID, f.offer(10, 0), f.events(10, typeCreated)...)
		if len(jobs) != 1 {
			f.Fatalf("10 events to an endpoint of max_in_flight 1 with an offer of 10: %d leased, want 1", len(jobs))
		}
		T := f.at(time.Minute)
		f.claimNone(T, "the handed-off delivery fills the endpoint")
		if more := f.publishOffered(ten.ID, f.offer(10, 0), f.newEvent(typeCreated)); len(more) != 0 {
			f.Errorf("a second hand-off to the full endpoint leased %d", len(more))
		}
		f.succeed(jobs[0], T)
		next := f.claimOne(T)
		// A claim's lease fills the endpoint for hand-offs too.
		if more := f.publishOffered(ten.ID, f.offer(10, 0), f.newEvent(typeCreated)); len(more) != 0 {
			f.Errorf("a hand-off beside a claimed lease leased %d", len(more))
		}
		f.wantStatus(ten.ID, jobs[0].DeliveryID, hookd.StatusDelivered)
		if next.EndpointID != ep.ID || next.DeliveryID == jobs[0].DeliveryID {
			f.Errorf("claim after recording took %s", next.DeliveryID)
		}
	}},
	{"TenantCapHolds", func(f *fixture) {
		ten := f.tenant()
		for range 3 {
			f.endpoint(ten.ID, subscribe(typeCreated), withMaxInFlight(10))
		}
		// The deployment cap of 2: one event to 3 endpoints leases 2.
		jobs := f.publishOffered(ten.ID, f.offer(10, 2), f.newEvent(typeCreated))
		if len(jobs) != 2 {
			f.Fatalf("tenant cap 2, 3 endpoints, offer 10: %d leased, want 2", len(jobs))
		}
		if got := f.claimCapped(f.at(time.Minute), 100, 2); len(got) != 0 {
			f.Errorf("a claim beside 2 handed-off leases under a cap of 2 got %d", len(got))
		}
		capped := &hookd.Tenant{ID: "capped", Name: "Capped", MaxInFlight: 1}
		f.must(f.s.CreateTenant(f.ctx, capped), "CreateTenant")
		f.endpoint(capped.ID, subscribe(typeCreated))
		f.endpoint(capped.ID, subscribe(typeCreated))
		if jobs := f.publishOffered(capped.ID, f.offer(10, 0), f.newEvent(typeCreated)); len(jobs) != 1 {
			f.Errorf("a tenant of its own cap 1: %d leased, want 1", len(jobs))
		}
	}},
	{"RateLimitHolds", func(f *fixture) {
		ten := f.tenant()
		f.endpoint(ten.ID, subscribe(typeCreated), withMaxInFlight(100), func(e *hookd.Endpoint) { e.RateLimit = 2 })
		jobs := f.publishOffered(ten.ID, f.offer(10, 0), f.events(5, typeCreated)...)
		if len(jobs) != 2 {
			f.Fatalf("rate limit 2/s, 5 events, offer 10: %d leased, want 2 (a full bucket)", len(jobs))
		}
		T := f.at(time.Minute)
		f.claimNone(T, "the hand-off spent the bucket")
		if got := len(f.claim(T.Add(500*time.Millisecond), 100)); got != 1 {
			f.Errorf("half a second later the claim got %d, want 1 token's worth", got)
		}
	}},
	{"ConcurrentPublishesShareRoom", func(f *fixture) {
		// Publishes of one node to one tenant, at once (a store may group
		// them in one transaction, or run them one after another): each
		// hands off what the earlier ones left, so the endpoints' room is
		// used and never exceeded, and none is left to the claim while
		// there is room.
		ten := f.tenant()
		plain := f.endpoint(ten.ID, subscribe(typeCreated), withMaxInFlight(5))
		ordered := f.endpoint(ten.ID, subscribe(typeCreated), fifo())
		limited := f.endpoint(ten.ID, subscribe(typeCreated), withMaxInFlight(100), func(e *hookd.Endpoint) { e.RateLimit = 3 })
		const publishes = 12
		var wg sync.WaitGroup
		var mu sync.Mutex
		leased := map[string]int{}
		start := make(chan struct{})
		for _, ev := range f.events(publishes, typeCreated) {
			offer := f.offer(10, 0)
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if _, err := f.s.PublishEvents(f.ctx, ten.ID, []hookd.NewEvent{ev}, offer); err != nil {
					f.Errorf("PublishEvents: %v", err)
					return
				}
				jobs, _ := offer.Close()
				mu.Lock()
				defer mu.Unlock()
				for _, j := range jobs {
					leased[j.EndpointID]++
				}
			}()
		}
		close(start)
		wg.Wait()
		want := map[string]int{plain.ID: 5, ordered.ID: 1, limited.ID: 3}
		f.diff("handed off per endpoint (max_in_flight 5; FIFO; 3 requests a second)", want, leased)
		T := f.at(time.Minute)
		f.claimNone(T, "the hand-offs used all the room")
		if got := f.claim(T.Add(time.Second/3+time.Millisecond), 100); len(got) != 1 || got[0].EndpointID != limited.ID {
			f.Errorf("a third of a second later: claimed %v, want one token's worth to the rate-limited endpoint", jobIDs(got))
		}
	}},
	{"NodeKilledLosesNothing", func(f *fixture) {
		ten, _ := f.tenantWithEndpoint(withMaxInFlight(10))
		jobs := f.publishOffered(ten.ID, f.offer(10, 0), f.events(3, typeCreated)...)
		if len(jobs) != 3 {
			f.Fatalf("handed off %d, want 3", len(jobs))
		}
		// The node dies: nothing is recorded. Its leases end and any node claims the work.
		T := f.at(time.Minute)
		f.claimNone(T.Add(defaultLease-time.Millisecond), "the dead node's leases still hold")
		again := f.claim(T.Add(defaultLease+time.Millisecond), 100)
		f.diff("claimed after the leases ended", jobIDs(jobs), jobIDs(again))
		for _, j := range again {
			f.succeed(j, T.Add(defaultLease+time.Second))
			f.wantStatus(ten.ID, j.DeliveryID, hookd.StatusDelivered)
		}
		// The dead node's results, were it to come back, no longer apply.
		f.record(result(jobs[0], T.Add(time.Hour), false, T.Add(2*time.Hour)))
		f.wantStatus(ten.ID, jobs[0].DeliveryID, hookd.StatusDelivered)
	}},
	{"RecordsUnderItsLeaseToken", func(f *fixture) {
		ten, _ := f.tenantWithEndpoint()
		jobs := f.publishOffered(ten.ID, f.offer(10, 0), f.newEvent(typeCreated), f.newEvent(typeCreated))
		if len(jobs) != 2 {
			f.Fatalf("handed off %d, want 2", len(jobs))
		}
		T := f.at(time.Minute)
		f.succeed(jobs[0], T)
		f.wantStatus(ten.ID, jobs[0].DeliveryID, hookd.StatusDelivered)
		f.fail(jobs[1], T, T.Add(time.Minute))
		f.wantStatus(ten.ID, jobs[1].DeliveryID, hookd.StatusRetrying)
		f.claimNone(T.Add(time.Minute-time.Millisecond), "the retry is not due yet")
		if j := f.claimOne(T.Add(time.Minute)); j.DeliveryID != jobs[1].DeliveryID || j.Attempt != 2 {
			f.Errorf("the retry: claimed %s attempt %d, want %s attempt 2", j.DeliveryID, j.Attempt, jobs[1].DeliveryID)
		}
	}},
}

package storetest

import (
	"time"

	"github.com/hookd/hookd"
)

// failEach fails each job for good, one RecordAttempts call per job, and
// returns every endpoint id the calls disabled.
func (f *fixture) failEach(jobs []*hookd.Job, at time.Time) []string {
	f.Helper()
	var disabled []string
	for _, j := range jobs {
		disabled = append(disabled, f.fail(j, at, time.Time{})...)
	}
	return disabled
}

// claimN claims at `at` and expects n jobs.
func (f *fixture) claimN(at time.Time, n int) []*hookd.Job {
	f.Helper()
	jobs := f.claim(at, 100)
	if len(jobs) != n {
		f.Fatalf("claimed %d jobs, want %d", len(jobs), n)
	}
	return jobs
}

var autoDisableTests = []testCase{
	{"FiveFailedDistinctEventsDisable", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint()
		for range 7 {
			f.publishType(ten.ID, typeCreated)
		}
		T := f.at(time.Minute)
		jobs := f.claimN(T, 7)
		f.fail(jobs[5], T, f.at(time.Hour))                                 // retrying
		f.must(f.s.ReleaseDeliveries(f.ctx, jobs[6:]), "ReleaseDeliveries") // pending
		test := f.testEvent(ten.ID, ep.ID)                                  // pending test delivery
		if disabled := f.failEach(jobs[:4], T); len(disabled) != 0 {
			f.Fatalf("disabled %v after 4 failed deliveries", disabled)
		}
		f.diff("disabled by the fifth failure", []string{ep.ID}, f.failEach(jobs[4:5], T))

		e := f.getEndpoint(ten.ID, ep.ID)
		if e.Enabled || e.DisabledReason != hookd.DisabledAuto || e.FailureCount != hookd.AutoDisableAfter {
			f.Errorf("endpoint: Enabled %v, DisabledReason %q, FailureCount %d; want false, %q, %d",
				e.Enabled, e.DisabledReason, e.FailureCount, hookd.DisabledAuto, hookd.AutoDisableAfter)
		}
		f.wantStatus(ten.ID, jobs[5].DeliveryID, hookd.StatusPaused)
		f.wantStatus(ten.ID, jobs[6].DeliveryID, hookd.StatusPaused)
		f.wantStatus(ten.ID, test.ID, hookd.StatusPending)
		if j := f.claimOne(f.at(2 * time.Hour)); j.DeliveryID != test.ID {
			f.Errorf("claimed %s after auto-disable, want only the test delivery %s", j.DeliveryID, test.ID)
		}
	}},
	{"SameEventFailingRepeatedlyDoesNotDisable", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint()
		f.publishType(ten.ID, typeCreated)
		for i := range hookd.AutoDisableAfter + 1 {
			at := f.at(time.Duration(i+1) * time.Hour)
			j := f.claimOne(at)
			if disabled := f.fail(j, at, time.Time{}); len(disabled) != 0 {
				f.Fatalf("failure %d of the same delivery disabled %v", i+1, disabled)
			}
			_, err := f.s.ReplayDelivery(f.ctx, ten.ID, j.DeliveryID)
			f.must(err, "ReplayDelivery")
		}
		if e := f.getEndpoint(ten.ID, ep.ID); !e.Enabled {
			f.Errorf("endpoint disabled (%q) by one event failing repeatedly", e.DisabledReason)
		}
	}},
	{"TestDeliveriesNeverCount", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint()
		for i := range hookd.AutoDisableAfter + 1 {
			f.testEvent(ten.ID, ep.ID)
			at := f.at(time.Duration(i+1) * time.Minute)
			if disabled := f.fail(f.claimOne(at), at, time.Time{}); len(disabled) != 0 {
				f.Fatalf("failed test delivery %d disabled %v", i+1, disabled)
			}
		}
		if e := f.getEndpoint(ten.ID, ep.ID); !e.Enabled || e.FailureCount != 0 {
			f.Errorf("after failed test deliveries: Enabled %v, FailureCount %d; want true, 0", e.Enabled, e.FailureCount)
		}
	}},
	{"SuccessResetsTheCount", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint()
		for range 10 {
			f.publishType(ten.ID, typeCreated)
		}
		T := f.at(time.Minute)
		jobs := f.claimN(T, 10)
		disabled := f.failEach(jobs[:4], T)
		disabled = append(disabled, f.succeed(jobs[4], T)...)
		disabled = append(disabled, f.failEach(jobs[5:9], T)...)
		if len(disabled) != 0 {
			f.Fatalf("disabled %v with a success after 4 failures", disabled)
		}
		if e := f.getEndpoint(ten.ID, ep.ID); !e.Enabled || e.FailureCount != 4 {
			f.Errorf("endpoint: Enabled %v, FailureCount %d; want true, 4", e.Enabled, e.FailureCount)
		}
		f.diff("disabled by the fifth failure since the success", []string{ep.ID}, f.failEach(jobs[9:], T))
	}},
	{"ReenablingResetsTheCount", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint()
		failDistinct := func(n int, at time.Time) []string {
			for range n {
				f.publishType(ten.ID, typeCreated)
			}
			return f.failEach(f.claimN(at, n), at)
		}
		f.diff("disabled", []string{ep.ID}, failDistinct(hookd.AutoDisableAfter, f.at(time.Minute)))
		_, err := f.s.EnableEndpoint(f.ctx, ten.ID, ep.ID)
		f.must(err, "EnableEndpoint")
		if disabled := failDistinct(hookd.AutoDisableAfter-1, f.at(2*time.Minute)); len(disabled) != 0 {
			f.Fatalf("disabled %v by %d failures after re-enabling", disabled, hookd.AutoDisableAfter-1)
		}
		f.diff("disabled again", []string{ep.ID}, failDistinct(1, f.at(3*time.Minute)))
	}},
	{"GoneDisables", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint()
		f.publishType(ten.ID, typeCreated)
		f.publishType(ten.ID, typeCreated)
		T := f.at(time.Minute)
		jobs := f.claimN(T, 2) // jobs[1] stays in flight until the end
		// A test delivery answered 410 does not disable: test deliveries
		// never touch the endpoint's health.
		test := f.testEvent(ten.ID, ep.ID)
		tj := f.claimOne(T)
		if tj.DeliveryID != test.ID {
			f.Fatalf("claimed %s, want the test delivery %s", tj.DeliveryID, test.ID)
		}
		if disabled := f.record(gone(tj, T)); len(disabled) != 0 {
			f.Errorf("a 410 on a test delivery disabled %v", disabled)
		}
		f.diff("disabled by a 410", []string{ep.ID}, f.record(gone(jobs[0], T)))
		e := f.getEndpoint(ten.ID, ep.ID)
		if e.Enabled || e.DisabledReason != hookd.DisabledGone {
			f.Errorf("endpoint after a 410: Enabled %v, DisabledReason %q; want false, %q", e.Enabled, e.DisabledReason, hookd.DisabledGone)
		}
		// Nothing is dropped: the 410'd delivery and the one in flight,
		// handed back, resume when the endpoint is enabled again.
		f.must(f.s.ReleaseDeliveries(f.ctx, jobs[1:]), "ReleaseDeliveries")
		f.wantStatus(ten.ID, jobs[0].DeliveryID, hookd.StatusPaused)
		f.wantStatus(ten.ID, jobs[1].DeliveryID, hookd.StatusPaused)
		f.claimNone(f.at(time.Hour), "the endpoint is gone")
	}},
}

// gone is a 410 answer to j.
func gone(j *hookd.Job, at time.Time) hookd.AttemptResult {
	r := result(j, at, false, time.Time{})
	r.Attempt.StatusCode, r.Attempt.Error = 410, "410 Gone"
	r.Outcome.Gone = true
	return r
}

var pauseEnableTests = []testCase{
	{"DisablePausesEnableResumes", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint()
		T := f.at(time.Minute)
		failed := f.publishType(ten.ID, typeCreated)
		f.fail(f.claimOne(T), T, time.Time{})
		retrying := f.publishType(ten.ID, typeCreated)
		f.fail(f.claimOne(T), T, f.at(time.Hour))
		pending := f.publishType(ten.ID, typeCreated)
		test := f.testEvent(ten.ID, ep.ID)
		dFailed := f.deliveryOf(ten.ID, failed, ep.ID).ID
		dRetrying := f.deliveryOf(ten.ID, retrying, ep.ID).ID
		dPending := f.deliveryOf(ten.ID, pending, ep.ID).ID

		got, err := f.s.DisableEndpoint(f.ctx, ten.ID, ep.ID, hookd.DisabledManual)
		f.must(err, "DisableEndpoint")
		if got.Enabled || got.DisabledReason != hookd.DisabledManual {
			f.Errorf("DisableEndpoint = Enabled %v, DisabledReason %q; want false, manual", got.Enabled, got.DisabledReason)
		}
		f.diff("DisableEndpoint result", got, f.getEndpoint(ten.ID, ep.ID))
		for id, want := range map[string]string{
			dFailed: hookd.StatusFailed, dRetrying: hookd.StatusPaused, dPending: hookd.StatusPaused, test.ID: hookd.StatusPending,
		} {
			f.wantStatus(ten.ID, id, want)
		}
		meanwhile := f.publish(ten.ID, f.newEvent(typeCreated))[0]
		if meanwhile.Deliveries != 1 {
			f.Errorf("publishing to a disabled endpoint created %d deliveries, want 1 (paused)", meanwhile.Deliveries)
		}
		dMeanwhile := f.deliveryOf(ten.ID, meanwhile.ID, ep.ID).ID
		f.wantStatus(ten.ID, dMeanwhile, hookd.StatusPaused)

		// Only the test delivery goes out while disabled.
		T2 := f.at(2 * time.Minute)
		j := f.claimOne(T2)
		if j.DeliveryID != test.ID {
			f.Errorf("claimed %s while disabled, want only the test delivery", j.DeliveryID)
		}
		f.succeed(j, T2)
		if at, ok, err := f.s.NextDueAt(f.ctx); err != nil || ok {
			f.Errorf("NextDueAt with only paused work = %v, %v, %v; want false", at, ok, err)
		}

		en, err := f.s.EnableEndpoint(f.ctx, ten.ID, ep.ID)
		f.must(err, "EnableEndpoint")
		if !en.Enabled || en.DisabledReason != "" || en.FailureCount != 0 {
			f.Errorf("EnableEndpoint = Enabled %v, DisabledReason %q, FailureCount %d; want true, empty, 0",
				en.Enabled, en.DisabledReason, en.FailureCount)
		}
		f.diff("EnableEndpoint result", en, f.getEndpoint(ten.ID, ep.ID))
		for id, want := range map[string]string{
			dFailed: hookd.StatusFailed, dRetrying: hookd.StatusRetrying, dPending: hookd.StatusPending, dMeanwhile: hookd.StatusPending,
		} {
			f.wantStatus(ten.ID, id, want)
		}
		// Due now, before the retry's original time.
		jobs := f.claim(f.at(3*time.Minute), 100)
		f.diff("claimed after enable", sorted([]string{dRetrying, dPending, dMeanwhile}), jobIDs(jobs))
		for _, j := range jobs {
			if j.DeliveryID == dRetrying && (j.Attempt != 2 || j.RunAttempt != 2) {
				f.Errorf("resumed retry claimed as attempt %d, run attempt %d; want 2, 2", j.Attempt, j.RunAttempt)
			}
		}
	}},
	{"UnknownNotFound", func(f *fixture) {
		ten := f.tenant()
		_, err := f.s.DisableEndpoint(f.ctx, ten.ID, "ep_missing", hookd.DisabledManual)
		f.wantCode(err, hookd.ENOTFOUND, "DisableEndpoint")
		_, err = f.s.EnableEndpoint(f.ctx, ten.ID, "ep_missing")
		f.wantCode(err, hookd.ENOTFOUND, "EnableEndpoint")
	}},
}

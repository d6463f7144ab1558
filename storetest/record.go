package storetest

import (
	"time"

	"github.com/hookd/hookd"
)

var recordTests = []testCase{
	{"SuccessDeliversAndResetsFailures", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint()
		f.publishType(ten.ID, typeCreated)
		f.publishType(ten.ID, typeCreated)
		T := f.at(time.Minute)
		jobs := f.claim(T, 100)
		if len(jobs) != 2 {
			f.Fatalf("claimed %d jobs, want 2", len(jobs))
		}
		f.fail(jobs[0], T, time.Time{})
		if got := f.getEndpoint(ten.ID, ep.ID).FailureCount; got != 1 {
			f.Fatalf("FailureCount after one failed delivery = %d, want 1", got)
		}
		if disabled := f.succeed(jobs[1], T); len(disabled) != 0 {
			f.Errorf("a success disabled %v", disabled)
		}
		d := f.delivery(ten.ID, jobs[1].DeliveryID)
		if d.Status != hookd.StatusDelivered || d.Attempts != 1 || d.LastStatusCode != 200 || d.NextAttemptAt != nil {
			f.Errorf("delivered delivery: status %q, %d attempts, last status %d, next attempt %v; want delivered, 1, 200, nil",
				d.Status, d.Attempts, d.LastStatusCode, d.NextAttemptAt)
		}
		e := f.getEndpoint(ten.ID, ep.ID)
		if e.FailureCount != 0 || e.LastSuccessAt == nil {
			f.Errorf("endpoint after a success: FailureCount %d, LastSuccessAt %v; want 0, set", e.FailureCount, e.LastSuccessAt)
		}
		f.claimNone(f.at(48*time.Hour), "every delivery is done")
	}},
	{"FailureWithNextAttemptRetries", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint()
		f.publishType(ten.ID, typeCreated)
		T, retry := f.at(time.Minute), f.at(6*time.Minute)
		j := f.claimOne(T)
		f.fail(j, T, retry)
		d := f.delivery(ten.ID, j.DeliveryID)
		if d.Status != hookd.StatusRetrying || d.NextAttemptAt == nil || !d.NextAttemptAt.Equal(retry) ||
			d.Attempts != 1 || d.LastStatusCode != 503 || d.LastError == "" {
			f.Errorf("retrying delivery: status %q, next attempt %v, %d attempts, last status %d, last error %q; "+
				"want retrying, %v, 1, 503, an error", d.Status, d.NextAttemptAt, d.Attempts, d.LastStatusCode, d.LastError, retry)
		}
		if n := f.getEndpoint(ten.ID, ep.ID).FailureCount; n != 0 {
			f.Errorf("a retried attempt counted as a failed delivery: FailureCount %d", n)
		}
		f.claimNone(retry.Add(-time.Millisecond), "retry not due yet")
		again := f.claimOne(retry)
		if again.DeliveryID != j.DeliveryID || again.Attempt != 2 || again.RunAttempt != 2 {
			f.Errorf("retry claim: %s attempt %d run attempt %d; want %s, 2, 2",
				again.DeliveryID, again.Attempt, again.RunAttempt, j.DeliveryID)
		}
	}},
	{"FailureWithoutNextAttemptFails", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint()
		f.publishType(ten.ID, typeCreated)
		T := f.at(time.Minute)
		j := f.claimOne(T)
		if disabled := f.fail(j, T, time.Time{}); len(disabled) != 0 {
			f.Errorf("one failure disabled %v", disabled)
		}
		d := f.delivery(ten.ID, j.DeliveryID)
		if d.Status != hookd.StatusFailed || d.Attempts != 1 || d.NextAttemptAt != nil {
			f.Errorf("failed delivery: status %q, %d attempts, next attempt %v; want failed, 1, nil",
				d.Status, d.Attempts, d.NextAttemptAt)
		}
		e := f.getEndpoint(ten.ID, ep.ID)
		if e.FailureCount != 1 || e.LastFailureAt == nil || !e.Enabled {
			f.Errorf("endpoint: FailureCount %d, LastFailureAt %v, Enabled %v; want 1, set, true",
				e.FailureCount, e.LastFailureAt, e.Enabled)
		}
		f.claimNone(f.at(48*time.Hour), "the delivery failed for good")
	}},
	{"SeveralResultsInOneCall", func(f *fixture) {
		ten, _ := f.tenantWithEndpoint()
		for range 3 {
			f.publishType(ten.ID, typeCreated)
		}
		T, retry := f.at(time.Minute), f.at(time.Hour)
		jobs := f.claim(T, 100)
		if len(jobs) != 3 {
			f.Fatalf("claimed %d jobs, want 3", len(jobs))
		}
		f.record(result(jobs[0], T, true, time.Time{}), result(jobs[1], T, false, retry), result(jobs[2], T, false, time.Time{}))
		for i, want := range []string{hookd.StatusDelivered, hookd.StatusRetrying, hookd.StatusFailed} {
			f.wantStatus(ten.ID, jobs[i].DeliveryID, want)
			if n := len(f.delivery(ten.ID, jobs[i].DeliveryID).AttemptLog); n != 1 {
				f.Errorf("delivery %d has %d attempts logged, want 1", i, n)
			}
		}
	}},
	{"StaleResultAfterNewerSuccess", func(f *fixture) {
		ten, _ := f.tenantWithEndpoint()
		f.publishType(ten.ID, typeCreated)
		T := f.at(time.Minute)
		stale := f.claimOne(T)
		T2 := T.Add(defaultLease + time.Millisecond) // the first worker's lease ran out
		current := f.claimOne(T2)
		f.succeed(current, T2)
		f.fail(stale, T2.Add(time.Second), time.Time{}) // the first worker answers late
		d := f.delivery(ten.ID, current.DeliveryID)
		if d.Status != hookd.StatusDelivered || len(d.AttemptLog) != 2 {
			f.Errorf("after a stale failure: status %q with %d attempts logged; want delivered, 2", d.Status, len(d.AttemptLog))
		}
	}},
	{"StaleResultBeforeCurrentOne", func(f *fixture) {
		ten, _ := f.tenantWithEndpoint()
		f.publishType(ten.ID, typeCreated)
		T := f.at(time.Minute)
		stale := f.claimOne(T)
		T2 := T.Add(defaultLease + time.Millisecond)
		current := f.claimOne(T2)
		retry := T2.Add(time.Second)
		f.fail(stale, T2, retry)
		f.wantStatus(ten.ID, current.DeliveryID, hookd.StatusPending)
		f.claimNone(retry, "the current claim still holds the lease")
		f.succeed(current, retry)
		d := f.delivery(ten.ID, current.DeliveryID)
		if d.Status != hookd.StatusDelivered || len(d.AttemptLog) != 2 {
			f.Errorf("after the current success: status %q with %d attempts logged; want delivered, 2", d.Status, len(d.AttemptLog))
		}
	}},
	{"ResultForDeletedEndpointIsDropped", func(f *fixture) {
		ten := f.tenant()
		gone := f.endpoint(ten.ID, subscribe(typeCreated))
		kept := f.endpoint(ten.ID, subscribe(typeFailed))
		f.publishType(ten.ID, typeCreated)
		f.publishType(ten.ID, typeFailed)
		T := f.at(time.Minute)
		jobs := f.claimN(T, 2)
		// The endpoint is deleted while its delivery is in flight. The
		// dispatcher records both results in one call: the other one must
		// still land (else it is re-sent, and the batch fails forever).
		f.must(f.s.DeleteEndpoint(f.ctx, ten.ID, gone.ID), "DeleteEndpoint")
		var rs []hookd.AttemptResult
		for _, j := range jobs {
			rs = append(rs, result(j, T, true, time.Time{}))
		}
		_, err := f.s.RecordAttempts(f.ctx, rs)
		f.must(err, "RecordAttempts with a result for a deleted endpoint")
		for _, j := range jobs {
			if j.EndpointID == kept.ID {
				f.wantStatus(ten.ID, j.DeliveryID, hookd.StatusDelivered)
			}
		}
	}},
	{"ResultForDeletedTenantIsDropped", func(f *fixture) {
		a, _ := f.tenantWithEndpoint()
		b, _ := f.tenantWithEndpoint()
		f.publishType(a.ID, typeCreated)
		f.publishType(b.ID, typeCreated)
		T := f.at(time.Minute)
		jobs := f.claimN(T, 2)
		f.must(f.s.DeleteTenant(f.ctx, a.ID), "DeleteTenant")
		var rs []hookd.AttemptResult
		for _, j := range jobs {
			rs = append(rs, result(j, T, false, time.Time{}))
		}
		_, err := f.s.RecordAttempts(f.ctx, rs)
		f.must(err, "RecordAttempts with a result for a deleted tenant")
		for _, j := range jobs {
			if j.TenantID == b.ID {
				f.wantStatus(b.ID, j.DeliveryID, hookd.StatusFailed)
			}
		}
	}},
	{"DisableInOneBatchPausesTheRest", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint()
		for range hookd.AutoDisableAfter + 2 {
			f.publishType(ten.ID, typeCreated)
		}
		T, retry := f.at(time.Minute), f.at(time.Hour)
		jobs := f.claimN(T, hookd.AutoDisableAfter+2)
		// A retry before the fifth failure, then the failures, then a retry
		// after it, all in one call: both retries end paused.
		rs := []hookd.AttemptResult{result(jobs[0], T, false, retry)}
		for _, j := range jobs[1 : hookd.AutoDisableAfter+1] {
			rs = append(rs, result(j, T, false, time.Time{}))
		}
		rs = append(rs, result(jobs[hookd.AutoDisableAfter+1], T, false, retry))
		f.diff("disabled", []string{ep.ID}, f.record(rs...))
		f.wantStatus(ten.ID, jobs[0].DeliveryID, hookd.StatusPaused)
		f.wantStatus(ten.ID, jobs[hookd.AutoDisableAfter+1].DeliveryID, hookd.StatusPaused)
		e := f.getEndpoint(ten.ID, ep.ID)
		if e.Enabled || e.DisabledReason != hookd.DisabledAuto || e.FailureCount != hookd.AutoDisableAfter || e.LastFailureAt == nil {
			f.Errorf("endpoint: Enabled %v, DisabledReason %q, FailureCount %d, LastFailureAt %v; want false, %q, %d, set",
				e.Enabled, e.DisabledReason, e.FailureCount, e.LastFailureAt, hookd.DisabledAuto, hookd.AutoDisableAfter)
		}
		f.claimNone(f.at(2*time.Hour), "the endpoint is disabled")
	}},
}

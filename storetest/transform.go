package storetest

import (
	"time"

	"github.com/hookd/hookd"
)

func withTransformation(src string) epOpt { return func(e *hookd.Endpoint) { e.Transformation = src } }

// cancel records that j's transformation cancelled it at at.
func (f *fixture) cancel(j *hookd.Job, at time.Time) []string {
	f.Helper()
	return f.record(hookd.AttemptResult{Job: j, Outcome: hookd.Outcome{Cancelled: true},
		Attempt: hookd.Attempt{DeliveryID: j.DeliveryID, Number: j.Attempt, At: at, URL: j.URL, Error: "cancelled by the transformation"}})
}

const script = `function handler(webhook) { webhook.cancel = true; return webhook }`

var transformTests = []testCase{
	{"StoresTheTransformation", func(f *fixture) {
		f.storesText("transformation", script, withTransformation, func(e *hookd.Endpoint) string { return e.Transformation },
			func(s string) hookd.EndpointUpdate { return hookd.EndpointUpdate{Transformation: &s} })
	}},
	{"ClaimsAndHandOffsCarryTheTransformation", func(f *fixture) {
		ten := f.tenant()
		with := f.endpoint(ten.ID, withTransformation(script))
		f.endpoint(ten.ID)
		f.publishType(ten.ID, typeCreated)
		jobs := f.claim(f.at(time.Minute), 10)
		handed := f.publishOffered(ten.ID, f.offer(10, 0), f.newEvent(typeCreated))
		if len(jobs) != 2 || len(handed) != 2 {
			f.Fatalf("claimed %d and handed off %d jobs, want 2 and 2", len(jobs), len(handed))
		}
		for _, j := range append(jobs, handed...) {
			if want := map[bool]string{true: script}[j.EndpointID == with.ID]; j.Transformation != want {
				f.Errorf("job to %s: transformation %q, want %q", j.EndpointID, j.Transformation, want)
			}
		}
	}},
	{"CancelEndsTheDeliveryWithoutTouchingHealth", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint(withTransformation(script), withMaxInFlight(100))
		for range hookd.AutoDisableAfter + 1 {
			f.publishType(ten.ID, typeCreated)
		}
		T := f.at(time.Minute)
		jobs := f.claim(T, 100)
		for _, j := range jobs {
			if disabled := f.cancel(j, T); len(disabled) != 0 {
				f.Errorf("a cancel disabled %v", disabled)
			}
		}
		for _, j := range jobs {
			d := f.delivery(ten.ID, j.DeliveryID)
			if d.Status != hookd.StatusCancelled || d.NextAttemptAt != nil || len(d.AttemptLog) != 1 {
				f.Errorf("cancelled delivery: status %q, next %v, %d attempts logged; want cancelled, nil, 1",
					d.Status, d.NextAttemptAt, len(d.AttemptLog))
			}
		}
		e := f.getEndpoint(ten.ID, ep.ID)
		if !e.Enabled || e.FailureCount != 0 || e.LastFailureAt != nil || e.LastSuccessAt != nil {
			f.Errorf("endpoint after cancels: enabled %v, failures %d, last failure %v, last success %v; want untouched",
				e.Enabled, e.FailureCount, e.LastFailureAt, e.LastSuccessAt)
		}
		got := f.deliveries(hookd.DeliveryFilter{TenantID: ten.ID, Status: hookd.StatusCancelled})
		if len(got) != len(jobs) {
			f.Errorf("%d deliveries listed as cancelled, want %d", len(got), len(jobs))
		}
		f.claimNone(f.at(48*time.Hour), "cancelled deliveries are done")
	}},
	{"PurgeRemovesOldCancelled", func(f *fixture) {
		ten, _ := f.tenantWithEndpoint(withTransformation(script))
		f.publishType(ten.ID, typeCreated)
		f.cancel(f.claimOne(f.at(time.Second)), f.now)
		tick()
		p, err := f.s.Purge(f.ctx, time.Now().Add(time.Millisecond), 100)
		f.must(err, "Purge")
		if p.Deliveries != 1 || p.Events != 1 {
			f.Errorf("purged %+v; want the cancelled delivery and its event", p)
		}
	}},
}

package storetest

import (
	"slices"
	"strings"
	"time"

	"github.com/hookd/hookd"
)

// failForGood claims every due delivery at at and fails each permanently.
func (f *fixture) failForGood(at time.Time) {
	f.Helper()
	for _, j := range f.claim(at, 1000) {
		f.fail(j, at, time.Time{})
	}
}

var maintenanceTests = []testCase{
	{"EndpointStats", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint(withMaxInFlight(100))
		for range 3 {
			f.publishType(ten.ID, typeCreated)
		}
		jobs := f.claim(f.at(time.Second), 100)
		f.succeed(jobs[0], f.now)
		f.fail(jobs[1], f.now, time.Time{})
		f.fail(jobs[2], f.now, f.at(time.Hour))
		st, err := f.s.EndpointStats(f.ctx, ten.ID, ep.ID, f.at(-24*time.Hour))
		f.must(err, "EndpointStats")
		f.diff("counts by status", map[string]int{hookd.StatusDelivered: 1, hookd.StatusFailed: 1, hookd.StatusRetrying: 1}, st.Counts)
		if st.Attempts != 3 || st.Succeeded != 1 || st.SuccessRate == nil || *st.SuccessRate < 0.33 || *st.SuccessRate > 0.34 {
			f.Errorf("totals: %d attempts, %d succeeded, rate %v; want 3, 1, 1/3", st.Attempts, st.Succeeded, st.SuccessRate)
		}
		if n := len(st.Hours); n < 24 || n > 26 {
			f.Fatalf("%d hourly entries for 24 hours", n)
		}
		last := st.Hours[len(st.Hours)-1]
		if last.Attempts != 3 || !last.Hour.Equal(f.now.Truncate(time.Hour)) {
			f.Errorf("the current hour shows %+v, want the 3 attempts", last)
		}
		if st.Hours[0].Attempts != 0 || st.Hours[0].SuccessRate != nil {
			f.Errorf("an hour without attempts shows %+v", st.Hours[0])
		}
		other := f.tenant()
		_, err = f.s.EndpointStats(f.ctx, other.ID, ep.ID, f.now)
		f.wantCode(err, hookd.ENOTFOUND, "EndpointStats of another tenant's endpoint")
	}},
	{"EndpointStatsLastTest", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint(withMaxInFlight(100))
		_, other := f.tenantWithEndpoint(withMaxInFlight(100))
		f.publishType(ten.ID, typeCreated)
		st, err := f.s.EndpointStats(f.ctx, ten.ID, ep.ID, f.at(-24*time.Hour))
		f.must(err, "EndpointStats")
		if st.LastTest != nil {
			f.Errorf("no test sent, LastTest = %+v", st.LastTest)
		}
		_, err = f.s.PublishTestEvent(f.ctx, ten.ID, ep.ID, f.newEvent(typeCreated))
		f.must(err, "first test event")
		second, err := f.s.PublishTestEvent(f.ctx, ten.ID, ep.ID, f.newEvent(typeCreated))
		f.must(err, "second test event")
		_, err = f.s.PublishTestEvent(f.ctx, other.TenantID, other.ID, f.newEvent(typeCreated))
		f.must(err, "another endpoint's test event")
		for _, j := range f.claim(f.at(time.Second), 100) {
			if j.DeliveryID == second.ID {
				f.succeed(j, f.now)
			}
		}
		st, err = f.s.EndpointStats(f.ctx, ten.ID, ep.ID, f.at(-24*time.Hour))
		f.must(err, "EndpointStats")
		if st.LastTest == nil || st.LastTest.ID != second.ID || st.LastTest.Status != hookd.StatusDelivered || !st.LastTest.Test {
			f.Errorf("LastTest = %+v, want the second test delivery, delivered", st.LastTest)
		}
	}},
	{"RecoverJobsListed", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint()
		second := f.endpoint(ten.ID)
		_, foreign := f.tenantWithEndpoint()
		var made []*hookd.RecoverJob
		for _, e := range []*hookd.Endpoint{ep, second, ep} {
			job, err := f.s.CreateRecoverJob(f.ctx, ten.ID, e.ID, f.at(-time.Hour), f.now)
			f.must(err, "CreateRecoverJob")
			made = append(made, job)
		}
		_, err := f.s.CreateRecoverJob(f.ctx, foreign.TenantID, foreign.ID, f.at(-time.Hour), f.now)
		f.must(err, "another tenant's job")
		// Newest first is id order (ids made in one millisecond sort at random).
		newest := func(jobs ...*hookd.RecoverJob) []*hookd.RecoverJob {
			slices.SortFunc(jobs, func(a, b *hookd.RecoverJob) int { return strings.Compare(b.ID, a.ID) })
			return jobs
		}
		all, err := f.s.RecoverJobs(f.ctx, ten.ID, "", hookd.Page{Limit: 10})
		f.must(err, "RecoverJobs")
		f.diff("the tenant's jobs, newest first", newest(made[0], made[1], made[2]), all)
		ofEp := newest(made[0], made[2])
		mine, err := f.s.RecoverJobs(f.ctx, ten.ID, ep.ID, hookd.Page{Limit: 1})
		f.must(err, "RecoverJobs of one endpoint")
		f.diff("first page of one endpoint's", ofEp[:1], mine)
		next, err := f.s.RecoverJobs(f.ctx, ten.ID, ep.ID, hookd.Page{Limit: 10, Cursor: mine[0].ID})
		f.must(err, "RecoverJobs, next page")
		f.diff("next page", ofEp[1:], next)
		if none, err := f.s.RecoverJobs(f.ctx, ten.ID, foreign.ID, hookd.Page{Limit: 10}); err != nil || len(none) != 0 {
			f.Errorf("another tenant's endpoint's jobs: %d, %v; want none", len(none), err)
		}
	}},
	{"RecoverReplaysFailedInWindow", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint(withMaxInFlight(100))
		_, other := f.tenantWithEndpoint(withMaxInFlight(100))
		// Four failures: a fifth would disable the endpoint, and replays
		// of a disabled endpoint's deliveries wait, paused.
		for range 5 {
			f.publishType(ten.ID, typeCreated)
		}
		jobs := f.claim(f.at(time.Second), 1000)
		f.succeed(jobs[0], f.now) // one delivered, the rest failed for good
		for _, j := range jobs[1:] {
			f.fail(j, f.now, time.Time{})
		}
		deliveredNow := f.deliveries(hookd.DeliveryFilter{TenantID: ten.ID, Status: hookd.StatusDelivered})
		job, err := f.s.CreateRecoverJob(f.ctx, ten.ID, ep.ID, f.at(-time.Hour), f.at(time.Hour))
		f.must(err, "CreateRecoverJob")
		if job.Total != 4 || job.Done != 0 || job.Status != hookd.RecoverRunning {
			f.Fatalf("new job: %+v; want 4 to do", job)
		}
		for range 10 {
			if job, err = f.s.RunRecoverJob(f.ctx, job.ID, 2); err != nil || job.Status == hookd.RecoverDone {
				break
			}
		}
		f.must(err, "RunRecoverJob")
		if job.Status != hookd.RecoverDone || job.Done != 4 {
			f.Fatalf("finished job: %+v; want 4 done", job)
		}
		got, err := f.s.RecoverJob(f.ctx, ten.ID, job.ID)
		f.must(err, "RecoverJob")
		f.diff("RecoverJob", job, got)
		if n := len(f.deliveries(hookd.DeliveryFilter{TenantID: ten.ID, Status: hookd.StatusPending})); n != 4 {
			f.Errorf("%d deliveries pending after recovery, want the 4 failed ones", n)
		}
		f.diff("delivered ones untouched", deliveredNow, f.deliveries(hookd.DeliveryFilter{TenantID: ten.ID, Status: hookd.StatusDelivered}))
		if running, err := f.s.RunningRecoverJobs(f.ctx); err != nil || len(running) != 0 {
			f.Errorf("RunningRecoverJobs = %d, %v; want none", len(running), err)
		}
		// A window that holds nothing is done at once.
		empty, err := f.s.CreateRecoverJob(f.ctx, ten.ID, ep.ID, f.at(-48*time.Hour), f.at(-47*time.Hour))
		f.must(err, "CreateRecoverJob")
		if empty.Total != 0 || empty.Status != hookd.RecoverDone {
			f.Errorf("empty window: %+v", empty)
		}
		_, err = f.s.CreateRecoverJob(f.ctx, ten.ID, other.ID, f.now, f.at(time.Hour))
		f.wantCode(err, hookd.ENOTFOUND, "CreateRecoverJob for another tenant's endpoint")
		_, err = f.s.RecoverJob(f.ctx, ten.ID, "rcv_missing")
		f.wantCode(err, hookd.ENOTFOUND, "RecoverJob unknown")
	}},
	{"RecoverResumes", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint(withMaxInFlight(100))
		for range 3 {
			f.publishType(ten.ID, typeCreated)
		}
		f.failForGood(f.at(time.Second))
		job, err := f.s.CreateRecoverJob(f.ctx, ten.ID, ep.ID, f.at(-time.Hour), f.at(time.Hour))
		f.must(err, "CreateRecoverJob")
		_, err = f.s.RunRecoverJob(f.ctx, job.ID, 1)
		f.must(err, "RunRecoverJob")
		running, err := f.s.RunningRecoverJobs(f.ctx)
		f.must(err, "RunningRecoverJobs")
		if len(running) != 1 || running[0].ID != job.ID || running[0].Done != 1 {
			f.Fatalf("running jobs: %+v; want this one with 1 done", running)
		}
	}},
	{"PurgeRemovesOnlyWhatRetentionAllows", func(f *fixture) {
		ten, _ := f.tenantWithEndpoint(withMaxInFlight(100))
		_, off := f.tenantWithEndpoint(disabled())
		for range 4 {
			f.publishType(ten.ID, typeCreated)
		}
		jobs := f.claim(f.at(time.Second), 100)
		f.succeed(jobs[0], f.now)
		f.fail(jobs[1], f.now, time.Time{})
		f.fail(jobs[2], f.now, f.at(time.Hour)) // retrying: kept
		// jobs[3] stays in flight: kept
		f.publishType(off.TenantID, typeCreated) // paused: purged once old
		tick()
		cutoff := time.Now().Add(time.Millisecond)
		total := hookd.Purged{}
		for {
			p, err := f.s.Purge(f.ctx, cutoff, 1)
			f.must(err, "Purge")
			total.Deliveries += p.Deliveries
			total.Events += p.Events
			if p.Deliveries == 0 && p.Events == 0 {
				break
			}
		}
		if total.Deliveries != 3 || total.Events != 3 {
			f.Errorf("purged %+v; want the delivered, failed and paused deliveries and their 3 events", total)
		}
		left := f.deliveries(hookd.DeliveryFilter{TenantID: ten.ID})
		if len(left) != 2 {
			f.Fatalf("%d deliveries left, want the retrying and the in-flight one", len(left))
		}
		for _, d := range left {
			if _, err := f.s.Event(f.ctx, ten.ID, d.EventID); err != nil {
				f.Errorf("the event of a kept delivery was purged: %v", err)
			}
		}
		_, err := f.s.Delivery(f.ctx, ten.ID, jobs[0].DeliveryID)
		f.wantCode(err, hookd.ENOTFOUND, "a purged delivery")
		// Nothing newer than the cutoff goes.
		p, err := f.s.Purge(f.ctx, f.at(-time.Hour), 100)
		f.must(err, "Purge")
		if p != (hookd.Purged{}) {
			f.Errorf("a purge with an old cutoff removed %+v", p)
		}
	}},
}

package hookd

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestPlanRecord(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	job := func(d, ep, ev string) *Job {
		return &Job{DeliveryID: d, EndpointID: ep, EventID: ev, LeaseToken: "tok"}
	}
	ok := func(j *Job, s int) AttemptResult {
		return AttemptResult{Job: j, Attempt: Attempt{At: at(s)}, Outcome: Outcome{Success: true}}
	}
	fail := func(j *Job, s int) AttemptResult { return AttemptResult{Job: j, Attempt: Attempt{At: at(s)}} }
	retry := func(j *Job, s int) AttemptResult {
		r := fail(j, s)
		r.NextAttemptAt = at(s + 60)
		return r
	}
	gone := func(j *Job, s int) AttemptResult {
		r := fail(j, s)
		r.Outcome.Gone = true
		return r
	}
	test := func(j *Job) *Job { j.Test = true; return j }
	cancelled := func(j *Job, s int) AttemptResult {
		return AttemptResult{Job: j, Attempt: Attempt{At: at(s)}, Outcome: Outcome{Cancelled: true}}
	}
	leases := func(ds ...string) map[string]string {
		m := map[string]string{}
		for _, d := range ds {
			m[d] = "tok"
		}
		return m
	}
	healthy := func() *EndpointHealth { return &EndpointHealth{Enabled: true, FailuresSince: at(0)} }
	streak := func(h *EndpointHealth, count int, events ...FailedEvent) *EndpointHealth {
		h.FailureCount, h.Streak, h.StreakRead = count, events, true
		return h
	}
	type want struct {
		attempts   []int
		statuses   []string // of p.Deliveries, in order
		failed     []int
		disabled   []string // "endpoint:reason"
		health     []HealthUpdate
		streakRead bool // the error of a store that did not read it
	}
	for _, c := range []struct {
		name    string
		results []AttemptResult
		st      RecordState
		want    want
	}{
		{"success, retry, failure", []AttemptResult{ok(job("d1", "e", "v1"), 1), retry(job("d2", "e", "v2"), 2), fail(job("d3", "e", "v3"), 3)},
			RecordState{Leases: leases("d1", "d2", "d3"), Endpoints: map[string]*EndpointHealth{"e": healthy()}},
			want{attempts: []int{0, 1, 2}, statuses: []string{StatusDelivered, StatusRetrying, StatusFailed}, failed: []int{2},
				health: []HealthUpdate{{EndpointID: "e", Enabled: true, FailureCount: 1, FailuresSince: at(1), LastSuccessAt: at(1), LastFailureAt: at(3)}}}},
		{"a deleted delivery or endpoint logs nothing", []AttemptResult{ok(job("d1", "e", "v1"), 1), ok(job("d2", "gone", "v2"), 1)},
			RecordState{Leases: leases("d2"), Endpoints: map[string]*EndpointHealth{"e": healthy()}}, want{}},
		{"a stale claim logs its attempt and changes nothing else", []AttemptResult{fail(job("d1", "e", "v1"), 1)},
			RecordState{Leases: map[string]string{"d1": "newer"}, Endpoints: map[string]*EndpointHealth{"e": healthy()}},
			want{attempts: []int{0}}},
		{"the second result of one lease is stale", []AttemptResult{ok(job("d1", "e", "v1"), 1), fail(job("d1", "e", "v1"), 2)},
			RecordState{Leases: leases("d1"), Endpoints: map[string]*EndpointHealth{"e": healthy()}},
			want{attempts: []int{0, 1}, statuses: []string{StatusDelivered},
				health: []HealthUpdate{{EndpointID: "e", Enabled: true, FailuresSince: at(1), LastSuccessAt: at(1)}}}},
		{"test deliveries never touch health, and a 410 on one does not disable",
			[]AttemptResult{gone(job("d1", "e", "v1"), 1), fail(test(job("d2", "e", "v2")), 2)},
			RecordState{Leases: leases("d1", "d2"), Endpoints: map[string]*EndpointHealth{"e": healthy()}},
			want{attempts: []int{0, 1}, statuses: []string{StatusPaused, StatusFailed}, failed: []int{1}, disabled: []string{"e:gone"},
				health: []HealthUpdate{{EndpointID: "e", FailuresSince: at(0), LastFailureAt: at(1), DisabledReason: DisabledGone, DisabledAt: at(1)}}}},
		{"a cancel ends the delivery and leaves health alone, even at the auto-disable streak",
			[]AttemptResult{cancelled(job("d1", "e", "v1"), 1), cancelled(test(job("d2", "e", "v2")), 2)},
			RecordState{Leases: leases("d1", "d2"), Endpoints: map[string]*EndpointHealth{"e": {Enabled: true, FailuresSince: at(0), FailureCount: AutoDisableAfter - 1}}},
			want{attempts: []int{0, 1}, statuses: []string{StatusCancelled, StatusCancelled}}},
		{"a test 410 leaves the endpoint alone", []AttemptResult{gone(test(job("d1", "e", "v1")), 1)},
			RecordState{Leases: leases("d1"), Endpoints: map[string]*EndpointHealth{"e": healthy()}},
			want{attempts: []int{0}, statuses: []string{StatusFailed}, failed: []int{0}}},
		{"a disabled endpoint's retry pauses, its test retries", []AttemptResult{retry(job("d1", "e", "v1"), 1), retry(test(job("d2", "e", "v2")), 2)},
			RecordState{Leases: leases("d1", "d2"), Endpoints: map[string]*EndpointHealth{"e": {FailuresSince: at(0)}}},
			want{attempts: []int{0, 1}, statuses: []string{StatusPaused, StatusRetrying},
				health: []HealthUpdate{{EndpointID: "e", FailuresSince: at(0), LastFailureAt: at(1)}}}},
		{"the fifth distinct failed event disables", []AttemptResult{fail(job("d5", "e", "v5"), 5)},
			RecordState{Leases: leases("d5"), Endpoints: map[string]*EndpointHealth{"e": streak(healthy(), 4,
				FailedEvent{"v4", at(4)}, FailedEvent{"v3", at(3)}, FailedEvent{"v2", at(2)}, FailedEvent{"v1", at(1)})}},
			want{attempts: []int{0}, statuses: []string{StatusFailed}, failed: []int{0}, disabled: []string{"e:auto"},
				health: []HealthUpdate{{EndpointID: "e", FailureCount: 5, FailuresSince: at(0), LastFailureAt: at(5), DisabledReason: DisabledAuto, DisabledAt: at(5)}}}},
		{"a replayed event failing again counts once", []AttemptResult{fail(job("d4", "e", "v4"), 5)},
			RecordState{Leases: leases("d4"), Endpoints: map[string]*EndpointHealth{"e": streak(healthy(), 4,
				FailedEvent{"v3", at(3)}, FailedEvent{"v2", at(2)}, FailedEvent{"v1", at(1)}, FailedEvent{"v4", at(0)})}},
			want{attempts: []int{0}, statuses: []string{StatusFailed}, failed: []int{0},
				health: []HealthUpdate{{EndpointID: "e", Enabled: true, FailureCount: 5, FailuresSince: at(0), LastFailureAt: at(5)}}}},
		{"a success in the batch restarts the streak, then five failures disable",
			[]AttemptResult{ok(job("s", "e", "vs"), 10), fail(job("a", "e", "va"), 11), fail(job("b", "e", "vb"), 12),
				fail(job("c", "e", "vc"), 13), fail(job("d", "e", "vd"), 14), fail(job("f", "e", "vf"), 15), retry(job("r", "e", "vr"), 16)},
			RecordState{Leases: leases("s", "a", "b", "c", "d", "f", "r"), Endpoints: map[string]*EndpointHealth{"e": streak(healthy(), 4,
				FailedEvent{"old", at(9)})}},
			want{attempts: []int{0, 1, 2, 3, 4, 5, 6},
				statuses: []string{StatusDelivered, StatusFailed, StatusFailed, StatusFailed, StatusFailed, StatusFailed, StatusPaused},
				failed:   []int{1, 2, 3, 4, 5}, disabled: []string{"e:auto"},
				health: []HealthUpdate{{EndpointID: "e", FailureCount: 5, FailuresSince: at(10), LastSuccessAt: at(10), LastFailureAt: at(16),
					DisabledReason: DisabledAuto, DisabledAt: at(15)}}}},
		{"a stored failure after a batch success still counts", []AttemptResult{ok(job("s", "e", "vs"), 10),
			fail(job("a", "e", "va"), 11), fail(job("b", "e", "vb"), 12), fail(job("c", "e", "vc"), 13), fail(job("d", "e", "vd"), 14),
			fail(job("f", "e", "va"), 15)},
			RecordState{Leases: leases("s", "a", "b", "c", "d", "f"), Endpoints: map[string]*EndpointHealth{"e": streak(healthy(), 0,
				FailedEvent{"late", at(10)}, FailedEvent{"early", at(9)})}},
			want{attempts: []int{0, 1, 2, 3, 4, 5},
				statuses: []string{StatusDelivered, StatusFailed, StatusFailed, StatusFailed, StatusFailed, StatusFailed},
				failed:   []int{1, 2, 3, 4, 5}, disabled: []string{"e:auto"},
				health: []HealthUpdate{{EndpointID: "e", FailureCount: 5, FailuresSince: at(10), LastSuccessAt: at(10), LastFailureAt: at(15),
					DisabledReason: DisabledAuto, DisabledAt: at(15)}}}},
		{"a needed streak not read is the store's bug", []AttemptResult{fail(job("d", "e", "v"), 1)},
			RecordState{Leases: leases("d"), Endpoints: map[string]*EndpointHealth{"e": {Enabled: true, FailureCount: 4, FailuresSince: at(0)}}},
			want{streakRead: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := PlanRecord(c.results, c.st)
			if c.want.streakRead {
				if !errors.Is(err, ErrStreakNotRead) {
					t.Fatalf("PlanRecord error = %v, want ErrStreakNotRead", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var statuses, disabled []string
			for _, u := range p.Deliveries {
				statuses = append(statuses, u.Status)
			}
			for _, d := range p.Disabled {
				disabled = append(disabled, d.EndpointID+":"+d.Reason)
			}
			if !slices.Equal(p.Attempts, c.want.attempts) || !slices.Equal(statuses, c.want.statuses) ||
				!slices.Equal(p.Failed, c.want.failed) || !slices.Equal(disabled, c.want.disabled) {
				t.Errorf("attempts %v, statuses %v, failed %v, disabled %v; want %v, %v, %v, %v",
					p.Attempts, statuses, p.Failed, disabled, c.want.attempts, c.want.statuses, c.want.failed, c.want.disabled)
			}
			if !slices.Equal(p.Endpoints, c.want.health) {
				t.Errorf("health %+v\nwant %+v", p.Endpoints, c.want.health)
			}
			// A store reads the streak wherever NeedsStreak says.
			for id, need := range StreakReads(c.results, 0) {
				if h := c.st.Endpoints[id]; h != nil && h.NeedsStreak(need) && !h.StreakRead && err == nil {
					t.Errorf("endpoint %s needs its streak read but the plan went ahead", id)
				}
			}
		})
	}
}

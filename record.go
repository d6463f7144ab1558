package hookd

import (
	"errors"
	"time"
)

// The delivery state machine: how a batch of finished attempts changes
// deliveries and their endpoints' health, written once for every store.
// A store reads RecordState under lock, calls PlanRecord, and persists the
// RecordPlan in the same transaction; it decides nothing itself.

// RecordState is what a store reads, in the recording transaction and
// under lock, about the deliveries and endpoints of a batch of results.
type RecordState struct {
	// Leases holds each delivery of the batch that still exists, with its
	// lease token ("" when none). A delivery absent from it was deleted
	// while its request was in flight.
	Leases map[string]string
	// Endpoints holds each endpoint of the batch that still exists.
	Endpoints map[string]*EndpointHealth
	// Precision is the store's time resolution: the results' times are
	// compared and written as the store keeps them (0: as they are).
	Precision time.Duration
}

// EndpointHealth is an endpoint's health as stored, and what the
// auto-disable rule needs to know of its failed deliveries.
type EndpointHealth struct {
	Enabled       bool
	FailureCount  int
	FailuresSince time.Time
	LastSuccessAt time.Time // zero: none
	LastFailureAt time.Time // zero: none
	// Streak is read only where StreakRead (StreakNeed says where): the
	// events of the endpoint's failed non-test deliveries finished at or
	// after StreakNeed's From, each with its latest finish, the latest
	// AutoDisableAfter of them.
	Streak     []FailedEvent
	StreakRead bool
}

// FailedEvent is an event with a failed delivery to an endpoint, and when
// its latest one finished.
type FailedEvent struct {
	EventID string
	At      time.Time
}

// StreakRead says which endpoints need their Streak read before planning:
// those whose stored failure count plus Failures reaches AutoDisableAfter
// while enabled (NeedsStreak), reading failures finished since the earlier
// of their FailuresSince and From.
type StreakRead struct {
	// Failures is how many of the batch's results to the endpoint may fail
	// their delivery for good (an upper bound).
	Failures int
	// From is the earliest success of the batch to the endpoint (zero:
	// none): it may move FailuresSince back.
	From time.Time
}

// StreakReads returns, by endpoint, what NeedsStreak and the Streak read
// need of a batch; endpoints whose results cannot fail a delivery for good
// are left out.
func StreakReads(results []AttemptResult, precision time.Duration) map[string]StreakRead {
	var out map[string]StreakRead
	for i := range results {
		r := &results[i]
		if r.Job.Test || r.Outcome.Cancelled || !r.Outcome.Success && !r.NextAttemptAt.IsZero() {
			continue
		}
		if out == nil {
			out = map[string]StreakRead{}
		}
		s := out[r.Job.EndpointID]
		if r.Outcome.Success {
			if at := round(r.Attempt.At, precision); s.From.IsZero() || at.Before(s.From) {
				s.From = at
			}
		} else {
			s.Failures++
		}
		out[r.Job.EndpointID] = s
	}
	for id, s := range out {
		if s.Failures == 0 {
			delete(out, id)
		}
	}
	return out
}

// NeedsStreak says whether the endpoint's Streak must be read.
func (h *EndpointHealth) NeedsStreak(s StreakRead) bool {
	return s.Failures > 0 && h.Enabled && h.FailureCount+s.Failures >= AutoDisableAfter
}

// StreakFrom is the earliest finish the Streak read must include.
func (h *EndpointHealth) StreakFrom(s StreakRead) time.Time {
	if !s.From.IsZero() && s.From.Before(h.FailuresSince) {
		return s.From
	}
	return h.FailuresSince
}

// RecordPlan is what a store writes for a batch of results. Indexes are
// into the results given to PlanRecord.
type RecordPlan struct {
	// Attempts are the results whose attempt is logged: every one whose
	// delivery still exists, stale claims included.
	Attempts []int
	// Deliveries are the new states of the deliveries whose claim still
	// held, at most one per delivery.
	Deliveries []DeliveryUpdate
	// Endpoints are the final health of each endpoint the batch changed,
	// written once per batch.
	Endpoints []HealthUpdate
	// Disabled are the endpoints the batch disabled, in order: their
	// waiting non-test deliveries are paused after the updates above.
	Disabled []Disable
	// Failed are the results that made their delivery fail for good.
	Failed []int
}

// DisabledIDs are the ids of the endpoints the plan disables.
func (p *RecordPlan) DisabledIDs() []string {
	ids := make([]string, len(p.Disabled))
	for i, d := range p.Disabled {
		ids[i] = d.EndpointID
	}
	return ids
}

// FailedResults are the results, of those planned, that failed for good.
func (p *RecordPlan) FailedResults(results []AttemptResult) []*AttemptResult {
	failed := make([]*AttemptResult, len(p.Failed))
	for i, r := range p.Failed {
		failed[i] = &results[r]
	}
	return failed
}

// DeliveryUpdate is a delivery's state after its result. The attempt's
// own figures (time, status code, error, duration) come from the result.
type DeliveryUpdate struct {
	Result        int
	Status        string
	NextAttemptAt time.Time // zero: none
	FinishedAt    time.Time // zero: none
}

// HealthUpdate is an endpoint's health after the batch.
type HealthUpdate struct {
	EndpointID    string
	Enabled       bool
	FailureCount  int
	FailuresSince time.Time
	LastSuccessAt time.Time // zero: none
	LastFailureAt time.Time // zero: none
	// DisabledReason and DisabledAt are set when the batch disabled it.
	DisabledReason string
	DisabledAt     time.Time
}

// Disable is an endpoint the batch disabled, when and why.
type Disable struct {
	EndpointID string
	Reason     string
	At         time.Time
}

// ErrStreakNotRead is a store's bug: PlanRecord needed an endpoint's Streak
// that the store did not read.
var ErrStreakNotRead = errors.New("record: failure streak needed but not read")

// PlanRecord applies a batch of results, in order, to the state a store
// read:
//   - an attempt whose delivery is gone is dropped; any other is logged;
//   - a stale result (the claim's lease token no longer the delivery's)
//     changes nothing else;
//   - a success delivers; a cancel (the endpoint's transformation's)
//     cancels, without touching the endpoint's health; a 410 Gone of a non-test delivery to an enabled
//     endpoint, or a retry of a non-test delivery to a disabled endpoint,
//     pauses; a failure without a next attempt fails for good; any other
//     failure retries at NextAttemptAt;
//   - test deliveries never touch endpoint health; otherwise a success
//     clears the failure count and restarts the streak, a delivery failed
//     for good counts one failure, and any failure is the last failure;
//   - an enabled endpoint is disabled on that 410 (DisabledGone), or
//     (DisabledAuto) once its failure count and the distinct events of its
//     non-test deliveries failed since FailuresSince both reach
//     AutoDisableAfter, so one event failing again after a replay counts
//     once.
func PlanRecord(results []AttemptResult, st RecordState) (*RecordPlan, error) {
	p := &RecordPlan{}
	type health struct {
		EndpointHealth
		touched  bool
		reason   string
		reasonAt time.Time
		failures []FailedEvent // the batch's, so far
	}
	eps := map[string]*health{}
	var touched []string          // endpoints whose health the batch changed, in order
	consumed := map[string]bool{} // deliveries whose lease a result already used
	for i := range results {
		r := &results[i]
		j := r.Job
		stored := st.Endpoints[j.EndpointID]
		token, exists := st.Leases[j.DeliveryID]
		if stored == nil || !exists {
			continue
		}
		p.Attempts = append(p.Attempts, i)
		h := eps[j.EndpointID]
		if h == nil {
			h = &health{EndpointHealth: *stored}
			eps[j.EndpointID] = h
		}
		at := round(r.Attempt.At, st.Precision)
		gone := r.Outcome.Gone && !j.Test && h.Enabled
		u := DeliveryUpdate{Result: i, Status: StatusDelivered, FinishedAt: at}
		switch {
		case r.Outcome.Success:
		case r.Outcome.Cancelled:
			u.Status = StatusCancelled
		case gone || !h.Enabled && !j.Test && !r.NextAttemptAt.IsZero():
			u.Status, u.FinishedAt = StatusPaused, time.Time{}
		case r.NextAttemptAt.IsZero():
			u.Status = StatusFailed
		default:
			u.Status, u.NextAttemptAt, u.FinishedAt = StatusRetrying, round(r.NextAttemptAt, st.Precision), time.Time{}
		}
		if token == "" || token != j.LeaseToken || consumed[j.DeliveryID] {
			continue // a stale claim: the lease ran out and the delivery moved on
		}
		consumed[j.DeliveryID] = true
		p.Deliveries = append(p.Deliveries, u)
		if u.Status == StatusFailed {
			p.Failed = append(p.Failed, i)
		}
		if j.Test || u.Status == StatusCancelled {
			continue // neither touches the endpoint's health
		}
		if !h.touched {
			h.touched = true
			touched = append(touched, j.EndpointID)
		}
		switch u.Status {
		case StatusDelivered:
			h.FailureCount, h.FailuresSince, h.LastSuccessAt = 0, at, at
			continue
		case StatusFailed:
			h.FailureCount++
			h.failures = append(h.failures, FailedEvent{EventID: j.EventID, At: at})
		}
		h.LastFailureAt = at
		reason := ""
		if gone {
			reason = DisabledGone
		} else if u.Status == StatusFailed && h.Enabled && h.FailureCount >= AutoDisableAfter {
			if !h.StreakRead {
				return nil, ErrStreakNotRead
			}
			if streak(h.Streak, h.failures, h.FailuresSince) >= AutoDisableAfter {
				reason = DisabledAuto
			}
		}
		if reason != "" && h.Enabled {
			h.Enabled, h.reason, h.reasonAt = false, reason, at
			p.Disabled = append(p.Disabled, Disable{EndpointID: j.EndpointID, Reason: reason, At: at})
		}
	}
	for _, id := range touched {
		h := eps[id]
		p.Endpoints = append(p.Endpoints, HealthUpdate{EndpointID: id, Enabled: h.Enabled, FailureCount: h.FailureCount,
			FailuresSince: h.FailuresSince, LastSuccessAt: h.LastSuccessAt, LastFailureAt: h.LastFailureAt,
			DisabledReason: h.reason, DisabledAt: h.reasonAt})
	}
	return p, nil
}

// streak counts the distinct events failed since `since`: the stored ones
// (the latest AutoDisableAfter, so if all of those count the streak is
// reached, and otherwise every stored one that counts is among them) and
// the batch's.
func streak(stored, batch []FailedEvent, since time.Time) int {
	seen := map[string]bool{}
	for _, set := range [][]FailedEvent{stored, batch} {
		for _, f := range set {
			if !f.At.Before(since) {
				seen[f.EventID] = true
			}
		}
	}
	return len(seen)
}

func round(t time.Time, precision time.Duration) time.Time {
	if precision <= 0 {
		return t
	}
	return t.Truncate(precision)
}

package hookd

import (
	"context"
	"time"
)

// Optional Store capabilities. A store that spans processes (PostgreSQL)
// implements them; callers check with a type assertion and fall back.

// Waker tells a dispatcher that work became due in another process (a
// publish, enable or replay on another node), so it need not wait for its
// poll interval. The channel carries coalesced signals and is closed when
// ctx ends.
type Waker interface {
	Wakeups(ctx context.Context) <-chan struct{}
}

// Readier reports whether the store can serve: the database answers and
// its schema is the one this binary expects.
type Readier interface {
	Ready(ctx context.Context) error
}

// QueueCounter counts the queue for monitoring: deliveries due now and not
// leased, and deliveries leased to a worker (in flight somewhere).
type QueueCounter interface {
	CountQueue(ctx context.Context, now time.Time) (due, inFlight int, err error)
}

// ShareClaims splits limit claim slots between endpoints with room[i] free
// slots each, in the order given (oldest work first): an even share each
// first, then what is left to those with more room. Each share is bounded by
// the endpoint's room, so one endpoint's backlog cannot crowd out the others.
func ShareClaims(room []int, limit int) []int {
	take := make([]int, len(room))
	if len(room) == 0 {
		return take
	}
	each := max(1, limit/len(room))
	for i, r := range room {
		take[i] = max(0, min(r, each, limit))
		limit -= take[i]
	}
	for i, r := range room {
		extra := max(0, min(r-take[i], limit))
		take[i] += extra
		limit -= extra
	}
	return take
}

// RefillTokens tops an endpoint's rate-limit bucket up for the time elapsed
// since it was last spent, holding at most one second's worth, so an idle
// endpoint gets a burst of at most its rate.
func RefillTokens(tokens float64, perSecond int, elapsed time.Duration) float64 {
	return min(float64(perSecond), tokens+elapsed.Seconds()*float64(perSecond))
}

// FillHours lays st's hours out from st.Since to now, one per hour with the
// hours without attempts included, from the counted hours byHour (keyed by
// the hour's start in UTC), and totals them into st.
func (st *EndpointStats) FillHours(now time.Time, byHour map[time.Time]HourlyStat) {
	st.Hours = st.Hours[:0]
	st.Attempts, st.Succeeded = 0, 0
	for t := st.Since.UTC(); !t.After(now); t = t.Add(time.Hour) {
		h := byHour[t]
		h.Hour = t
		h.SuccessRate = ratio(h.Succeeded, h.Attempts)
		st.Attempts += h.Attempts
		st.Succeeded += h.Succeeded
		st.Hours = append(st.Hours, h)
	}
	st.SuccessRate = ratio(st.Succeeded, st.Attempts)
}

func ratio(part, whole int) *float64 {
	if whole == 0 {
		return nil
	}
	r := float64(part) / float64(whole)
	return &r
}

// Size is the page's limit clamped to 1-1000, 50 when unset.
func (p Page) Size() int {
	switch {
	case p.Limit <= 0:
		return 50
	case p.Limit > 1000:
		return 1000
	}
	return p.Limit
}

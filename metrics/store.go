package metrics

import (
	"context"
	"time"

	"github.com/hookd/hookd"
)

// Wrap returns store with m observing it. The wrapper keeps the store's
// optional capabilities that callers look for (hookd.Waker, hookd.Readier).
func (m *Metrics) Wrap(store hookd.Store) hookd.Store {
	return &observed{Store: store, m: m}
}

type observed struct {
	hookd.Store
	m *Metrics
}

var (
	_ hookd.Waker   = (*observed)(nil)
	_ hookd.Readier = (*observed)(nil)
)

func (s *observed) PublishEvents(ctx context.Context, tenantID string, events []hookd.NewEvent, offer *hookd.HandOff) ([]hookd.PublishResult, error) {
	res, err := s.Store.PublishEvents(ctx, tenantID, events, offer)
	if s.m.failed("publish", err) {
		return res, err
	}
	for _, r := range res {
		if !r.Duplicate {
			s.m.published.Inc()
		}
	}
	if offer != nil {
		s.m.handedOff.Add(float64(len(offer.Jobs)))
	}
	return res, nil
}

func (s *observed) ClaimDeliveries(ctx context.Context, now time.Time, limit int, leaseGrace time.Duration, tenantMaxInFlight int) ([]*hookd.Job, error) {
	jobs, err := s.Store.ClaimDeliveries(ctx, now, limit, leaseGrace, tenantMaxInFlight)
	if !s.m.failed("claim", err) && len(jobs) > 0 {
		s.m.claimBatch.Observe(float64(len(jobs)))
	}
	return jobs, err
}

func (s *observed) RecordAttempts(ctx context.Context, results []hookd.AttemptResult) ([]string, error) {
	disabled, err := s.Store.RecordAttempts(ctx, results)
	if s.m.failed("record", err) {
		return disabled, err
	}
	s.m.recordBatch.Observe(float64(len(results)))
	for i := range results {
		o := Outcome(&results[i])
		s.m.attempts.WithLabelValues(o).Inc()
		if o == OutcomeDelivered || o == OutcomeFailed || o == OutcomeCancelled {
			s.m.finished.WithLabelValues(o).Inc()
		}
		s.m.latency.Observe(time.Duration(results[i].Attempt.Duration).Seconds())
	}
	return disabled, nil
}

func (s *observed) ReleaseDeliveries(ctx context.Context, jobs []*hookd.Job) error {
	err := s.Store.ReleaseDeliveries(ctx, jobs)
	s.m.failed("release", err)
	return err
}

func (s *observed) Ping(ctx context.Context) error {
	err := s.Store.Ping(ctx)
	s.m.failed("ping", err)
	return err
}

// Ready is the store's readiness, or its ping when it has no more to say.
func (s *observed) Ready(ctx context.Context) error {
	if r, ok := s.Store.(hookd.Readier); ok {
		err := r.Ready(ctx)
		s.m.failed("ready", err)
		return err
	}
	return s.Ping(ctx)
}

// Wakeups are the store's, or a closed channel (none ever) when it has none.
func (s *observed) Wakeups(ctx context.Context) <-chan struct{} {
	if w, ok := s.Store.(hookd.Waker); ok {
		return w.Wakeups(ctx)
	}
	none := make(chan struct{})
	close(none)
	return none
}

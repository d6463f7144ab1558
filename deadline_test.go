package hookd

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// stuckStore answers nothing until the caller's context ends, as a silent
// database does, and reports the deadline each call got.
type stuckStore struct {
	Store
	budget chan time.Duration
}

func (s *stuckStore) wait(ctx context.Context) error {
	deadline, ok := ctx.Deadline()
	if !ok {
		s.budget <- 0
		return errors.New("no deadline")
	}
	s.budget <- time.Until(deadline)
	<-ctx.Done()
	return ctx.Err()
}

func (s *stuckStore) Tenant(ctx context.Context, _ string) (*Tenant, error) { return nil, s.wait(ctx) }
func (s *stuckStore) Purge(ctx context.Context, _ time.Time, _ int) (Purged, error) {
	return Purged{}, s.wait(ctx)
}
func (s *stuckStore) Endpoint(ctx context.Context, _, _ string) (*Endpoint, error) {
	_ = s.wait(ctx)
	return nil, Errorf(ENOTFOUND, "endpoint not found")
}

func TestWithDeadlines(t *testing.T) {
	inner := &stuckStore{budget: make(chan time.Duration, 1)}
	const d = 50 * time.Millisecond
	s := WithDeadlines(inner, d)

	_, err := s.Tenant(context.Background(), "t")
	if got := <-inner.budget; got <= 0 || got > d {
		t.Errorf("a call got %s to run, want at most %s", got, d)
	}
	if ErrorCode(err) != EUNAVAILABLE || !strings.Contains(err.Error(), "did not answer within 50ms") ||
		!errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a call past its deadline: %v (code %s), want EUNAVAILABLE naming the deadline, wrapping the cause", err, ErrorCode(err))
	}
	var e *Error
	if !errors.As(err, &e) || strings.Contains(e.Message, "deadline exceeded") {
		t.Errorf("the message callers see is %q; the cause is for logs only", e.Message)
	}

	_, _ = s.Purge(context.Background(), time.Now(), 1)
	if got := <-inner.budget; got <= d || got > LongCallFactor*d {
		t.Errorf("a purge got %s to run, want up to %s", got, LongCallFactor*d)
	}

	// A domain error stays itself; a caller's cancellation is not a timeout.
	if _, err := s.Endpoint(context.Background(), "t", "e"); ErrorCode(err) != ENOTFOUND {
		t.Errorf("a not-found past the deadline became %v", err)
	}
	<-inner.budget
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(5 * time.Millisecond); cancel() }()
	if _, err := s.Tenant(ctx, "t"); ErrorCode(err) != EINTERNAL || !errors.Is(err, context.Canceled) {
		t.Errorf("a call its caller cancelled: %v, want the cancellation itself", err)
	}
	<-inner.budget
}

type pingStore struct{ Store }

func (pingStore) Ping(context.Context) error { return nil }

// BenchmarkWithDeadlines is what the deadline adds to a store call.
func BenchmarkWithDeadlines(b *testing.B) {
	ctx := context.Background()
	for name, s := range map[string]Store{"bare": pingStore{}, "with-deadlines": WithDeadlines(pingStore{}, time.Second)} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				_ = s.Ping(ctx)
			}
		})
	}
}

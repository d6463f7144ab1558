package client

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
	"time"
)

const defaultTimeout = time.Minute

// RetryPolicy says how often and how patiently a call is repeated after a
// 429, a 503 or a connection failure. A 429, and a connection that could
// not even be made, changed nothing on the server, so every call is
// retried after them; a 503 or a connection lost mid-request may follow a
// committed write, so only calls safe to repeat are (reads, updates,
// deletes, publishes: those carry an idempotency key).
type RetryPolicy struct {
	// MaxAttempts bounds the tries of one call, the first included; 1
	// turns retries off.
	MaxAttempts int
	// MinBackoff is the wait before the first retry; each next one doubles,
	// up to MaxBackoff. Each wait is jittered to between half and all of it,
	// and is at least the answer's Retry-After.
	MinBackoff, MaxBackoff time.Duration
}

// DefaultRetry tries a call up to 5 times over about 4 s at most, more when
// the server asks for it with Retry-After.
var DefaultRetry = RetryPolicy{MaxAttempts: 5, MinBackoff: 250 * time.Millisecond, MaxBackoff: 2 * time.Second}

// NoRetry sends each call once.
var NoRetry = RetryPolicy{MaxAttempts: 1}

func (p RetryPolicy) normalized() RetryPolicy {
	p.MaxAttempts = max(p.MaxAttempts, 1)
	p.MinBackoff = max(p.MinBackoff, time.Millisecond)
	p.MaxBackoff = max(p.MaxBackoff, p.MinBackoff)
	return p
}

// retries reports whether the policy may send a call more than once.
func (p RetryPolicy) retries() bool { return p.MaxAttempts > 1 }

// next says whether to retry after attempt (1 for the first) failed with
// err, and how long to wait first.
func (p RetryPolicy) next(attempt int, err error, idempotent bool) (time.Duration, bool) {
	if attempt >= p.MaxAttempts || !retryable(err, idempotent) {
		return 0, false
	}
	d := p.MinBackoff << min(attempt-1, 30)
	if d <= 0 || d > p.MaxBackoff {
		d = p.MaxBackoff
	}
	d = d/2 + rand.N(d/2+1)
	var e *Error
	if errors.As(err, &e) && e.RetryAfter > d {
		d = e.RetryAfter
	}
	return d, true
}

func retryable(err error, idempotent bool) bool {
	var e *Error
	if errors.As(err, &e) {
		switch e.Status {
		case 429:
			return true // refused before any work
		case 503:
			return idempotent
		}
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if notSent(err) {
		return true
	}
	var ne net.Error
	return idempotent && (errors.As(err, &ne) || errors.Is(err, syscall.ECONNRESET) || isEOF(err))
}

// notSent reports a connection that could not be made: the request never
// reached the server.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

func isEOF(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"
)

// TestRetryDecisions holds the policy to its rule: a 429 and a connection
// never made are retried for every call; a 503 and a connection lost
// mid-request only for calls safe to repeat; nothing else, and never past
// MaxAttempts; Retry-After lengthens the wait.
func TestRetryDecisions(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 3, MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}.normalized()
	refused := fmt.Errorf("hookd: POST /v1/x: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED})
	reset := fmt.Errorf("hookd: POST /v1/x: %w", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET})
	for _, c := range []struct {
		name       string
		err        error
		idempotent bool
		attempt    int
		retry      bool
	}{
		{"429, create", &Error{Status: 429}, false, 1, true},
		{"503, create", &Error{Status: 503}, false, 1, false},
		{"503, keyed publish", &Error{Status: 503}, true, 1, true},
		{"503, last attempt", &Error{Status: 503}, true, 3, false},
		{"refused, create", refused, false, 1, true},
		{"reset, create", reset, false, 1, false},
		{"reset, read", reset, true, 1, true},
		{"EOF, read", fmt.Errorf("x: %w", io.ErrUnexpectedEOF), true, 1, true},
		{"404, read", &Error{Status: 404}, true, 1, false},
		{"500, read", &Error{Status: 500}, true, 1, false},
		{"context ended", fmt.Errorf("x: %w", context.DeadlineExceeded), true, 1, false},
	} {
		wait, retry := p.next(c.attempt, c.err, c.idempotent)
		if retry != c.retry {
			t.Errorf("%s: retry %v, want %v", c.name, retry, c.retry)
		}
		if retry && (wait < p.MinBackoff<<(c.attempt-1)/2 || wait > p.MaxBackoff) {
			t.Errorf("%s: wait %s outside the backoff", c.name, wait)
		}
	}
	if wait, _ := p.next(1, &Error{Status: 503, RetryAfter: 3 * time.Second}, true); wait != 3*time.Second {
		t.Errorf("Retry-After 3s: wait %s", wait)
	}
	if !errors.Is(&Error{Status: 409}, ErrConflict) || errors.Is(&Error{Status: 409}, ErrNotFound) {
		t.Error("errors.Is does not follow the status")
	}
}

// TestRetryAfterHeader reads both forms of the header.
func TestRetryAfterHeader(t *testing.T) {
	if d := retryAfter("7"); d != 7*time.Second {
		t.Errorf("seconds: %s", d)
	}
	if d := retryAfter(time.Now().Add(time.Minute).UTC().Format(http.TimeFormat)); d < 58*time.Second || d > time.Minute {
		t.Errorf("date: %s", d)
	}
	if d := retryAfter("soon"); d != 0 {
		t.Errorf("garbage: %s", d)
	}
}

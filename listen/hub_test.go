package listen

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func post(t *testing.T, ctx context.Context, session string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, URL(session), strings.NewReader(`{"n":1}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Webhook-Id", "evt_1")
	return req
}

func TestRoundTripThroughASession(t *testing.T) {
	h := NewHub("X-Hookd-Delivery")
	s := h.Open("acme")
	defer h.Close(s)
	go func() {
		req := <-s.Requests()
		if req.Body != `{"n":1}` || req.Headers["Webhook-Id"] != "evt_1" || req.Session != s.ID {
			t.Errorf("the CLI got %+v", req)
		}
		if err := h.Complete("other-tenant", s.ID, Result{Token: req.Token, StatusCode: 204}); !errors.Is(err, ErrNoSession) {
			t.Errorf("another tenant completed the request: %v", err)
		}
		if err := h.Complete("acme", s.ID, Result{Token: req.Token, StatusCode: 202, Body: "ok"}); err != nil {
			t.Errorf("Complete: %v", err)
		}
		if err := h.Complete("acme", s.ID, Result{Token: req.Token, StatusCode: 202}); err == nil {
			t.Error("a second answer to the same request was accepted")
		}
	}()
	resp, err := h.RoundTrip(post(t, context.Background(), s.ID))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 202 || string(body) != "ok" {
		t.Fatalf("response %d %q", resp.StatusCode, body)
	}
}

func TestRoundTripFailures(t *testing.T) {
	h := NewHub("X-Hookd-Delivery")
	if _, err := h.RoundTrip(post(t, context.Background(), "nobody")); !errors.Is(err, ErrNoSession) {
		t.Fatalf("no session: %v", err)
	}
	s := h.Open("acme")
	go func() {
		req := <-s.Requests()
		_ = h.Complete("acme", s.ID, Result{Token: req.Token, Error: "connection refused"})
	}()
	if _, err := h.RoundTrip(post(t, context.Background(), s.ID)); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("local failure: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := h.RoundTrip(post(t, ctx, s.ID)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a CLI that never answers: %v", err)
	}
	go func() { <-s.Requests() }() // the CLI reads it, then disconnects
	time.AfterFunc(50*time.Millisecond, func() { h.Close(s) })
	if _, err := h.RoundTrip(post(t, context.Background(), s.ID)); !errors.Is(err, ErrNoSession) {
		t.Fatalf("a session closed mid-request: %v", err)
	}
}

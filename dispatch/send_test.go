package dispatch

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

func TestJudgeSchedulesRetries(t *testing.T) {
	d := New(nil, Config{Schedule: hookd.Schedule{time.Minute, 5 * time.Minute}})
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name       string
		runAttempt int
		status     int
		retryAfter string
		wantNext   time.Duration // 0: done
		success    bool
		gone       bool
	}{
		{name: "2xx succeeds", runAttempt: 1, status: 204, success: true},
		{name: "500 retries after first step", runAttempt: 1, status: 500, wantNext: time.Minute},
		{name: "500 retries after second step", runAttempt: 2, status: 500, wantNext: 5 * time.Minute},
		{name: "schedule used up fails", runAttempt: 3, status: 500},
		{name: "3xx is a failure", runAttempt: 1, status: 302, wantNext: time.Minute},
		{name: "429 Retry-After pushes later", runAttempt: 1, status: 429, retryAfter: "600", wantNext: 10 * time.Minute},
		{name: "503 Retry-After never earlier", runAttempt: 2, status: 503, retryAfter: "10", wantNext: 5 * time.Minute},
		{name: "Retry-After capped at 24h", runAttempt: 1, status: 429, retryAfter: "999999", wantNext: 24 * time.Hour},
		{name: "Retry-After ignored on 500", runAttempt: 1, status: 500, retryAfter: "600", wantNext: time.Minute},
		{name: "410 marks gone", runAttempt: 1, status: 410, wantNext: time.Minute, gone: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: c.status, Header: http.Header{}}
			if c.retryAfter != "" {
				resp.Header.Set("Retry-After", c.retryAfter)
			}
			res := d.judge(hookd.AttemptResult{Job: &hookd.Job{RunAttempt: c.runAttempt}, Attempt: hookd.Attempt{At: at}}, resp)
			if res.Outcome.Success != c.success || res.Outcome.Gone != c.gone {
				t.Fatalf("outcome = %+v", res.Outcome)
			}
			var got time.Duration
			if !res.NextAttemptAt.IsZero() {
				got = res.NextAttemptAt.Sub(at)
			}
			if got != c.wantNext {
				t.Fatalf("next attempt after %s, want %s", got, c.wantNext)
			}
		})
	}
}

func TestJudgeUsesEndpointSchedule(t *testing.T) {
	d := New(nil, Config{})
	job := &hookd.Job{RunAttempt: 1, RetrySchedule: hookd.Schedule{3 * time.Second}}
	res := d.judge(hookd.AttemptResult{Job: job}, &http.Response{StatusCode: 500})
	if got := res.NextAttemptAt.Sub(time.Time{}); got != 3*time.Second {
		t.Fatalf("next attempt after %s, want the endpoint's 3s", got)
	}
}

func TestParseRetryAfterDate(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := parseRetryAfter(now.Add(90*time.Second).Format(http.TimeFormat), now); got != 90*time.Second {
		t.Fatalf("got %s", got)
	}
	for _, bad := range []string{"", "soon", "-5", now.Add(-time.Hour).Format(http.TimeFormat)} {
		if got := parseRetryAfter(bad, now); got != 0 {
			t.Fatalf("%q: got %s, want 0", bad, got)
		}
	}
}

func TestReadExcerptIsBounded(t *testing.T) {
	body := strings.Repeat("é", 3000) // 6000 bytes; the cut falls inside a rune
	got, err := readExcerpt(strings.NewReader(body), 4095)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) > 4095 || !strings.HasPrefix(body, got) {
		t.Fatalf("excerpt of %d bytes is not a clean prefix", len(got))
	}
}

func TestDescribeErrors(t *testing.T) {
	refused := func() error {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close()
		_, err := NewClient(true).Post("http://"+addr, "application/json", nil)
		return err
	}()
	if got := describe(refused, time.Second); got != "connection refused" {
		t.Errorf("refused: %q", got)
	}
	if got := describe(context.DeadlineExceeded, 5*time.Second); got != "timeout: no response within 5s" {
		t.Errorf("timeout: %q", got)
	}
	if got := describe(&net.DNSError{Name: "nope.invalid", Err: "no such host"}, time.Second); !strings.HasPrefix(got, "DNS:") {
		t.Errorf("dns: %q", got)
	}
	plainServer := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer plainServer.Close()
	_, err := NewClient(true).Post(strings.Replace(plainServer.URL, "http:", "https:", 1), "application/json", nil)
	if got := describe(err, time.Second); !strings.HasPrefix(got, "TLS:") {
		t.Errorf("tls to plain http: %q", got)
	}
	tlsServer := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer tlsServer.Close()
	_, err = NewClient(true).Post(tlsServer.URL, "application/json", nil)
	if got := describe(err, time.Second); !strings.HasPrefix(got, "TLS: certificate") {
		t.Errorf("untrusted certificate: %q", got)
	}
	if got := describe(errors.New("boom"), time.Second); got != "boom" {
		t.Errorf("other: %q", got)
	}
}

func TestClientRefusesPrivateAddressesAtConnectTime(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }))
	defer srv.Close()
	if _, err := NewClient(false).Post(srv.URL, "application/json", nil); err == nil || !strings.Contains(describe(err, time.Second), "private or local") {
		t.Fatalf("private target was not refused: %v", err)
	}
	resp, err := NewClient(true).Post(srv.URL, "application/json", nil)
	if err != nil {
		t.Fatalf("allowed private target failed: %v", err)
	}
	resp.Body.Close()
}

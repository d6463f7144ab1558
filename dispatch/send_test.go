package dispatch

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/listen"
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

// rawReceiver answers every connection with the bytes of answer, whatever
// was asked: for answers net/http's server would not send.
func rawReceiver(t *testing.T, answer func(w io.Writer)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
				buf := make([]byte, 64<<10)
				_, _ = conn.Read(buf) // the request; its size does not matter here
				w := bufio.NewWriter(conn)
				answer(w)
				_ = w.Flush()
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// sendStorable sends one attempt to url and checks that what it would store
// is storable and within bounds.
func sendStorable(t *testing.T, d *Dispatcher, url string) hookd.Attempt {
	t.Helper()
	res, ok := d.send(t.Context(), &hookd.Job{DeliveryID: "dlv_1", EventID: "evt_1", Attempt: 1, RunAttempt: 1, URL: url,
		Payload: []byte(`{}`), Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, Timeout: 5 * time.Second})
	if !ok {
		t.Fatal("send reported a shutdown")
	}
	a := res.Attempt
	for field, text := range map[string]string{"error": a.Error, "response_body": a.ResponseBody} {
		if !utf8.ValidString(text) || strings.IndexByte(text, 0) >= 0 {
			t.Errorf("%s is not storable: %q", field, text[:min(len(text), 80)])
		}
	}
	if len(a.Error) > hookd.MaxAttemptErrorBytes || len(a.ResponseBody) > 4096 {
		t.Errorf("error of %d bytes, response body of %d bytes", len(a.Error), len(a.ResponseBody))
	}
	return a
}

// TestSendKeepsListenAnswersBounded: what a hookd listen client reports
// goes through the same rule as a receiver's answer.
func TestSendKeepsListenAnswersBounded(t *testing.T) {
	hub := listen.NewHub("X-Hookd-Delivery")
	s := hub.Open("t")
	defer hub.Close(s)
	d := New(nil, Config{AllowPrivate: true, Schedule: hookd.Schedule{}, Protocols: map[string]http.RoundTripper{listen.Scheme: hub}})
	for _, answer := range []listen.Result{
		{StatusCode: 200, Body: "ok\x00ok" + strings.Repeat("\xff", 8<<10)},
		{Error: strings.Repeat("refused\x00\xfe", 1<<20)},
	} {
		go func() {
			req := <-s.Requests()
			answer.Token = req.Token
			if err := hub.Complete("t", s.ID, answer); err != nil {
				t.Error(err)
			}
		}()
		a := sendStorable(t, d, listen.URL(s.ID))
		if answer.Error == "" && (a.StatusCode != 200 || !strings.HasPrefix(a.ResponseBody, "ok\uFFFDok\uFFFD")) {
			t.Errorf("status %d, body %q", a.StatusCode, a.ResponseBody)
		}
		if answer.Error != "" && !strings.HasPrefix(a.Error, "on the developer's machine: refused\uFFFD\uFFFDrefused") {
			t.Errorf("error %.80q", a.Error)
		}
	}
}

// TestSendKeepsHostileAnswersBounded: whatever a receiver answers, the
// attempt stores valid UTF-8 without NUL, within the excerpt and error bounds.
func TestSendKeepsHostileAnswersBounded(t *testing.T) {
	d := New(nil, Config{AllowPrivate: true, Schedule: hookd.Schedule{}})
	cases := []struct {
		name      string
		answer    func(w io.Writer)
		status    int
		body      string
		errPrefix string
		errSuffix string
	}{
		{name: "NUL and invalid UTF-8 in the body", status: 200, body: "ok\uFFFDok\uFFFD!",
			answer: func(w io.Writer) { io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nok\x00ok\xff\xfe!") }},
		{name: "a body of NULs", status: 500, body: strings.Repeat("\uFFFD", 4096/3),
			answer: func(w io.Writer) {
				io.WriteString(w, "HTTP/1.1 500 Oops\r\nContent-Length: 8192\r\n\r\n")
				w.Write(make([]byte, 8192))
			}},
		{name: "a long Location", status: 302, errPrefix: "redirect to http://x/aaaa", errSuffix: "… not followed",
			answer: func(w io.Writer) {
				io.WriteString(w, "HTTP/1.1 302 Found\r\nContent-Length: 0\r\nLocation: http://x/"+strings.Repeat("a", 60<<10)+"\r\n\r\n")
			}},
		{name: "an 8 MiB Location", errPrefix: "the receiver's status line and headers exceed 64 KiB",
			answer: func(w io.Writer) {
				io.WriteString(w, "HTTP/1.1 302 Found\r\nContent-Length: 0\r\nLocation: http://x/"+strings.Repeat("a", 8<<20)+"\r\n\r\n")
			}},
		{name: "a 4 MiB status line", errPrefix: "the receiver's status line and headers exceed 64 KiB",
			answer: func(w io.Writer) { io.WriteString(w, "HTTP/1.1 200 "+strings.Repeat("\x00x", 2<<20)+"\r\n\r\n") }},
		{name: "a malformed status line with NUL", errPrefix: "the receiver's answer is not valid HTTP: malformed HTTP status code",
			answer: func(w io.Writer) { io.WriteString(w, "HTTP/1.1 2\x0000"+strings.Repeat("\xff", 30<<10)+" OK\r\n\r\n") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			url := rawReceiver(t, c.answer)
			a := sendStorable(t, d, url)
			if a.StatusCode != c.status || a.ResponseBody != c.body {
				t.Errorf("status %d, body %q; want %d, %q", a.StatusCode, a.ResponseBody[:min(len(a.ResponseBody), 80)], c.status, c.body[:min(len(c.body), 80)])
			}
			if !strings.HasPrefix(a.Error, c.errPrefix) || !strings.HasSuffix(a.Error, c.errSuffix) {
				t.Errorf("error %q, want it to start with %q and end with %q", a.Error, c.errPrefix, c.errSuffix)
			}
		})
	}
}

// TestHeaderLimitOverHTTP2: HTTP/2 answers are held to the same header
// bound. Just over it, Go's error says so; far over it, Go closes the
// connection with a bare PROTOCOL_ERROR, which describe explains.
func TestHeaderLimitOverHTTP2(t *testing.T) {
	for headers, want := range map[int]string{
		17: "the receiver's status line and headers exceed 64 KiB", // 68 KB
		40: "HTTP/2 protocol error: a malformed answer, or headers over 64 KiB",
	} {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			for i := range headers {
				w.Header().Set(fmt.Sprintf("X-Big-%d", i), strings.Repeat("a", 4000))
			}
			w.WriteHeader(200)
		}))
		srv.EnableHTTP2 = true
		srv.StartTLS()
		defer srv.Close()
		client := NewClient(true)
		client.Transport.(*http.Transport).TLSClientConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig
		resp, err := client.Post(srv.URL, "application/json", nil)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("%d headers of 4 KB accepted over %s", headers, resp.Proto)
		}
		if got := describe(err, time.Second); !strings.HasPrefix(got, want) {
			t.Errorf("%d headers of 4 KB: error %q (from %v), want %q", headers, got, err, want)
		}
	}
}

// TestParseRetryAfterHuge: delay-seconds a Duration cannot hold are capped,
// never wrapped round to a negative or short wait.
func TestParseRetryAfterHuge(t *testing.T) {
	now := time.Now()
	for _, v := range []string{"9300000000", "9223372036854775807", "86401"} {
		if got := parseRetryAfter(v, now); got != hookd.MaxRetryAfter {
			t.Errorf("Retry-After %s: got %s, want the cap %s", v, got, hookd.MaxRetryAfter)
		}
	}
}

// TestResponseHeadersKept: an attempt keeps the receiver's answer headers
// for the log, bounded however many it sends (hookd.StorableHeaders).
func TestResponseHeadersKept(t *testing.T) {
	d := New(nil, Config{AllowPrivate: true, Schedule: hookd.Schedule{}})
	url := rawReceiver(t, func(w io.Writer) {
		var b strings.Builder
		b.WriteString("HTTP/1.1 503 Busy\r\nContent-Length: 0\r\nRetry-After: 30\r\nRequest-Id: req-7\r\n")
		for i := range 500 {
			fmt.Fprintf(&b, "X-Flood-%03d: %s\r\n", i, strings.Repeat("f", 90))
		}
		b.WriteString("\r\n")
		io.WriteString(w, b.String())
	})
	a := sendStorable(t, d, url)
	if a.StatusCode != 503 || a.ResponseHeaders["Retry-After"] != "30" || a.ResponseHeaders["Request-Id"] != "req-7" {
		t.Fatalf("status %d, headers %v; want 503 with Retry-After and Request-Id kept", a.StatusCode, a.ResponseHeaders)
	}
	total := 0
	for k, v := range a.ResponseHeaders {
		total += len(k) + len(v)
	}
	if len(a.ResponseHeaders) > hookd.MaxResponseHeaders || total > hookd.MaxResponseHeadersBytes {
		t.Errorf("kept %d headers, %d bytes of a 500-header answer", len(a.ResponseHeaders), total)
	}
}

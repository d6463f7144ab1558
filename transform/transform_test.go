package transform

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

const endpointURL = "https://example.com/hooks?x=1"

func run(t *testing.T, src, payload string) (Result, error) {
	t.Helper()
	s, err := Compile(src)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return s.Run(context.Background(), Webhook{Payload: []byte(payload), Headers: map[string]string{"X-Own": "a"}, URL: endpointURL})
}

func TestRun(t *testing.T) {
	res, err := run(t, `function handler(webhook) {
		webhook.payload.data.customer = webhook.payload.data.user;
		delete webhook.payload.data.user;
		webhook.headers["X-Added"] = "yes " + webhook.headers["X-Own"];
		webhook.url = webhook.url.replace("/hooks", "/v2/hooks") + "&type=" + webhook.payload.type;
		return webhook;
	}`, `{"type":"user.created","data":{"user":"ada","n":1}}`)
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Body) != `{"type":"user.created","data":{"n":1,"customer":"ada"}}` || res.Cancelled {
		t.Errorf("body = %s, cancelled %v", res.Body, res.Cancelled)
	}
	if res.Headers["X-Added"] != "yes a" || res.Headers["X-Own"] != "a" {
		t.Errorf("headers = %v", res.Headers)
	}
	if res.URL != "https://example.com/v2/hooks?x=1&type=user.created" {
		t.Errorf("url = %s", res.URL)
	}
}

func TestCancel(t *testing.T) {
	src := `function handler(w) { w.cancel = w.payload.n % 2 == 1; return w }`
	for payload, want := range map[string]bool{`{"n":1}`: true, `{"n":2}`: false} {
		res, err := run(t, src, payload)
		if err != nil || res.Cancelled != want {
			t.Errorf("%s: cancelled = %v, %v; want %v", payload, res.Cancelled, err, want)
		}
	}
}

func TestCompileErrorsHavePositions(t *testing.T) {
	cases := []struct{ src, want string }{
		{"function handler(w) {\n  return w +;\n}", "2:"},
		{"function handle(w) { return w }", "defines no function handler(webhook)"},
		{"while (true) {}\nfunction handler(w) { return w }", "ran for longer than"},
		{"throw new Error('at the top')", "at the top"},
		{strings.Repeat(" ", MaxScriptBytes+1), "over the limit"},
		{"  ", "is empty"},
	}
	for _, c := range cases {
		_, err := Compile(c.src)
		if hookd.ErrorCode(err) != hookd.EINVALID || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Compile(%.40q) = %v; want EINVALID containing %q", c.src, err, c.want)
		}
		if e, ok := err.(*hookd.Error); !ok || len(e.Fields) != 1 || e.Fields[0].Field != "transformation" {
			t.Errorf("Compile(%.40q) = %#v, want one error on field transformation", c.src, err)
		}
	}
}

func TestRunErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{`function handler(w) { for (;;) {} }`, "transformation stopped: it ran for longer than 50ms"},
		{`function handler(w) { return handler(w) }`, "call stack deeper than"},
		{`function handler(w) { w.payload = "x".repeat(1 << 30); return w }`, "repeat: the result would be over"},
		{`function handler(w) { w.payload = new Array(1e9).fill(0); return w }`, "fill: the result would be over"},
		{`function handler(w) { return new Uint8Array(1e9) }`, "Uint8Array is not defined"},
		{`function handler(w) { throw new Error("boom") }`, "transformation threw: Error: boom"},
		{`function handler(w) { }`, "handler returned undefined, not the webhook object"},
		{`function handler(w) { w.headers = {"X-N": 1}; return w }`, `webhook.headers["X-N"] must be a string`},
		{`function handler(w) { w.payload = undefined; return w }`, "webhook.payload must be a JSON value"},
		{`function handler(w) { w.cancel = "yes"; return w }`, "webhook.cancel must be a boolean"},
		{`function handler(w) { w.url = "https://evil.example/hooks"; return w }`, "may change the endpoint URL's path and query only"},
		{`function handler(w) { w.url = "http://example.com/hooks"; return w }`, "path and query only"},
		{`function handler(w) { w.headers["Bad Name"] = "x"; return w }`, "headers"},
		{`function handler(w) { setTimeout(() => {}, 1); return w }`, "setTimeout is not defined"},
		{`function handler(w) { require("fs"); return w }`, "require is not defined"},
	}
	for _, c := range cases {
		_, err := run(t, c.src, `{"n":1}`)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.src, err, c.want)
		}
	}
}

// The allocation bound stops a script that grows memory, however long it
// may run.
func TestAllocationBound(t *testing.T) {
	defer func(d time.Duration) { Timeout = d }(Timeout)
	Timeout = time.Hour
	for _, src := range []string{
		`function handler(w) { const a = []; for (;;) a.push("y".repeat(1 << 20) + a.length); }`,
		`function handler(w) { let s = "x"; for (;;) s = s + s + "y"; }`,
		`function handler(w) { const a = []; for (;;) a.push({n: a.length, s: "z" + a.length}); }`,
	} {
		_, err := run(t, src, `{}`)
		if err == nil || !strings.Contains(err.Error(), "transformation stopped: it allocated more than 64 MiB") {
			t.Errorf("%s: err = %v, want the allocation bound", src, err)
		}
	}
}

// A run that failed leaves no interrupt behind: the script's next run works.
func TestRuntimeReusableAfterFailure(t *testing.T) {
	s, err := Compile(`function handler(w) { if (w.payload.loop) for (;;) {} return w }`)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{`{"loop":true}`, `{"loop":false}`, `{"loop":true}`, `{"loop":false}`} {
		_, err := s.Run(context.Background(), Webhook{Payload: []byte(p), URL: endpointURL})
		if loop := strings.Contains(p, "true"); (err != nil) != loop {
			t.Errorf("%s: err = %v", p, err)
		}
	}
	if len(slots) != 0 {
		t.Errorf("%d slots still taken", len(slots))
	}
}

func TestStoredIsCachedByTenantAndSource(t *testing.T) {
	src := `function handler(w) { return w }`
	a, _ := Stored("t1", src)
	b, _ := Stored("t1", src)
	c, _ := Stored("t2", src)
	if a != b || a == c || a == nil {
		t.Errorf("Stored: %p %p %p; want the same script per tenant, another for another tenant", a, b, c)
	}
	if _, err := Stored("t1", `function handler(`); err == nil {
		t.Error("a stored script that does not compile gave no error")
	}
}

// BenchmarkRun is one run of a small transformation, as an attempt pays it.
func BenchmarkRun(b *testing.B) {
	s, err := Compile(`function handler(w) { w.payload.data.customer = w.payload.data.user; delete w.payload.data.user; w.headers["X-Added"] = "1"; return w }`)
	if err != nil {
		b.Fatal(err)
	}
	w := Webhook{Payload: []byte(`{"type":"user.created","timestamp":"2026-01-01T00:00:00Z","data":{"user":"ada","email":"ada@example.com","n":42}}`), URL: endpointURL}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Run(context.Background(), w); err != nil {
			b.Fatal(err)
		}
	}
}

package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// logLines parses hookd's JSON log (stderr), failing on any other line.
func logLines(t *testing.T, h *hookdProc) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(h.stderr.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON log line: %q", line)
		}
		out = append(out, m)
	}
	return out
}

// TestRequestLog runs hookd with JSON logs through successes, refusals, the
// dashboard and a failing receiver, and reads every line it wrote.
func TestRequestLog(t *testing.T) {
	// Settings from a file, which the real server follows (JSON logs).
	file := writeFile(t, "hookd.toml", "log-format = \"json\"\nshutdown-timeout = \"2s\"\n")
	f := newFixture(t, config{extraArgs: []string{"--config", file}})
	ten := f.tenant()
	rcv := newReceiver(t, http.StatusInternalServerError)
	ep, secret := f.endpoint(ten, rcv.URL, map[string]any{"retry_schedule": []string{"1h"}})
	f.publish(ten, typeCreated, `{"n":1}`)
	rcv.waitRequests(t, 1)

	// A key made here, used once, and a portal link whose token rides in
	// the query string.
	var made struct {
		Key string `json:"key"`
	}
	f.admin.must(t, 201, "POST", "/v1/api-keys", map[string]any{"name": "viewer", "role": "viewer", "tenant": ten}, &made)
	if made.Key == "" {
		t.Fatal("api key create answered no key")
	}
	f.h.client(made.Key).must(t, 200, "GET", "/v1/tenants/"+ten+"/endpoints", nil, nil)
	var link struct {
		URL string `json:"url"`
	}
	f.admin.must(t, 200, "POST", "/v1/tenants/"+ten+"/portal-links", map[string]any{}, &link)
	portal, err := http.Get(link.URL)
	if err != nil {
		t.Fatal(err)
	}
	portal.Body.Close()

	// A refusal with the caller's request id, one without, one unauthorised.
	given := f.admin.do(t, "GET", "/v1/tenants/"+ten+"/endpoints/ep_nope", nil, "X-Request-Id", "trace-42.a:b_c")
	wantProblem(t, given, 404)
	var body struct {
		RequestID string `json:"request_id"`
	}
	given.decode(t, &body)
	if given.header.Get("X-Request-Id") != "trace-42.a:b_c" || body.RequestID != "trace-42.a:b_c" {
		t.Errorf("given X-Request-Id: header %q, body %q", given.header.Get("X-Request-Id"), body.RequestID)
	}
	made2 := f.h.client("hk_not-a-key-at-all-0123456789").do(t, "GET", "/v1/tenants", nil, "X-Request-Id", "bad id with spaces")
	wantProblem(t, made2, 401)
	made2.decode(t, &body)
	if id := made2.header.Get("X-Request-Id"); id == "" || id == "bad id with spaces" || body.RequestID != id {
		t.Errorf("made request id: header %q, body %q", id, body.RequestID)
	}
	dash, err := http.Get(f.h.url + "/dashboard/login")
	if err != nil {
		t.Fatal(err)
	}
	dash.Body.Close()
	f.h.stop()

	var requests, failed []map[string]any
	for _, l := range logLines(t, f.h) {
		switch l["msg"] {
		case "request":
			requests = append(requests, l)
		case "delivery attempt failed":
			failed = append(failed, l)
		}
		for k, v := range l {
			if _, isNum := v.(float64); isNum && (strings.Contains(k, "timeout") || k == "after") {
				t.Errorf("duration %s=%v logged as a number (nanoseconds?): %v", k, v, l)
			}
		}
	}
	want := map[string]map[string]any{ // route → fields a line of it carries
		"POST /v1/tenants/{tenant}/events":        {"status": 202.0, "tenant": ten, "level": "INFO"},
		"GET /v1/tenants/{tenant}/endpoints/{id}": {"status": 404.0, "tenant": ten, "request_id": "trace-42.a:b_c"},
		"GET /v1/tenants":                         {"status": 401.0, "request_id": made2.header.Get("X-Request-Id")},
		"POST /v1/tenants/{tenant}/portal-links":  {"status": 200.0, "tenant": ten},
		"GET /dashboard/login":                    {"status": 200.0},
		"GET /dashboard/portal":                   {"status": 303.0},
	}
	seen := map[string]bool{}
	for _, l := range requests {
		for _, k := range []string{"method", "route", "status", "duration_ms", "tenant", "request_id"} {
			if _, ok := l[k]; !ok {
				t.Errorf("request line lacks %s: %v", k, l)
			}
		}
		if d, ok := l["duration_ms"].(float64); !ok || d < 0 || d > 60_000 {
			t.Errorf("duration_ms %v is not milliseconds: %v", l["duration_ms"], l)
		}
		route, _ := l["route"].(string)
		if fields, ok := want[route]; ok {
			match := true
			for k, v := range fields {
				match = match && l[k] == v
			}
			seen[route] = seen[route] || match
		}
	}
	for route, fields := range want {
		if !seen[route] {
			t.Errorf("no request line for %s with %v in:\n%v", route, fields, requests)
		}
	}
	if len(failed) == 0 {
		t.Fatal("no line for the failed attempt")
	}
	a := failed[0]
	if a["level"] != "INFO" || a["endpoint"] != ep.ID || a["status"] != 500.0 || a["attempt"] != 1.0 ||
		!strings.HasPrefix(a["delivery"].(string), "dlv_") {
		t.Errorf("failed attempt line: %v", a)
	}
	if _, ok := a["duration_ms"].(float64); !ok {
		t.Errorf("failed attempt line without duration_ms: %v", a)
	}

	// No key, secret or token of this run in any line.
	token := link.URL[strings.Index(link.URL, "?")+1:]
	log := f.h.stderr.String() + f.h.stdout.String()
	for name, s := range map[string]string{"admin key": f.h.key, "viewer key": made.Key, "signing secret": secret,
		"secret body": strings.TrimPrefix(secret, "whsec_"), "portal token": token, "wrong key": "hk_not-a-key-at-all-0123456789"} {
		if s == "" || strings.Contains(log, s) {
			t.Errorf("the log holds the %s %q", name, s)
		}
	}
}

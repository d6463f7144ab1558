package e2e

import (
	"bufio"
	"encoding/json"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawExchange writes request to hookd over a plain TCP connection, while
// reading, and returns the answer: for requests too large or too broken for
// an HTTP client to send, which hookd refuses before they are fully written.
func rawExchange(t *testing.T, h *hookdProc, request string) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	go func() { _, _ = io.WriteString(conn, request) }() // fails once hookd hangs up
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no HTTP answer to a %d-byte request: %v", len(request), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read the answer: %v", err)
	}
	return resp, body
}

// TestOversizeRequestIsProblem sends request lines and headers beyond the
// limit (64 KiB), and broken requests, that Go's server refuses before any
// handler runs: each answer is a problem+json, and hookd serves on.
func TestOversizeRequestIsProblem(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})
	auth := "Authorization: Bearer " + f.h.key + "\r\n"
	cases := []struct {
		name, request string
		status        int
		code          string
	}{
		{"2 MiB query string", "GET /v1/tenants?q=" + strings.Repeat("x", 2<<20) + " HTTP/1.1\r\nHost: hookd\r\n" + auth + "\r\n", 431, "too_large"},
		{"100 KiB header", "GET /v1/tenants HTTP/1.1\r\nHost: hookd\r\n" + auth + "X-Big: " + strings.Repeat("y", 100<<10) + "\r\n\r\n", 431, "too_large"},
		{"10,000 headers", "GET /v1/tenants HTTP/1.1\r\nHost: hookd\r\n" + auth + strings.Repeat("X-Many: z\r\n", 10000) + "\r\n", 431, "too_large"},
		{"no Host", "GET /v1/tenants HTTP/1.1\r\n" + auth + "\r\n", 400, "malformed"},
		{"not HTTP", "HELLO THERE\r\n\r\n", 400, "malformed"},
	}
	for _, c := range cases {
		resp, body := rawExchange(t, f.h, c.request)
		if resp.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d: %s", c.name, resp.StatusCode, c.status, body)
			continue
		}
		if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/problem+json" {
			t.Errorf("%s: Content-Type %q, want application/problem+json: %s", c.name, resp.Header.Get("Content-Type"), body)
		}
		var p struct {
			problem
			Code string `json:"code"`
		}
		if err := json.Unmarshal(body, &p); err != nil || p.Status != c.status || p.Code != c.code || p.Title == "" || p.Detail == "" {
			t.Errorf("%s: problem body %s (%v), want status %d and code %q with a title and detail", c.name, body, err, c.status, c.code)
		}
	}
	// Just under the limit is an ordinary request; hookd still serves.
	f.admin.must(t, 200, "GET", "/v1/tenants?q="+strings.Repeat("x", 60<<10), nil, nil)
	f.admin.must(t, 200, "GET", "/healthz", nil, nil)
}

// TestNestedSchemaRefused creates event types whose schemas are nested
// 5,000 deep (a 50 KB body that used to compile for minutes) or beyond the
// other bounds: each is refused with 422 naming the schema, nothing is
// created, and the process serves on.
func TestNestedSchemaRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})
	for name, schema := range map[string]string{
		"items 5,000 deep":    strings.Repeat(`{"items":`, 5000) + `{}` + strings.Repeat(`}`, 5000),
		"properties 800 deep": strings.Repeat(`{"properties":{"a":`, 800) + `{}` + strings.Repeat(`}}`, 800),
		"3,000 subschemas":    `{"anyOf":[` + strings.Repeat(`{"type":"string"},`, 3000) + `{}]}`,
		"128 KiB":             `{"description":"` + strings.Repeat("x", 128<<10) + `"}`,
	} {
		id := "deep." + strings.NewReplacer(" ", "-", ",", "").Replace(name)
		r := f.admin.do(t, "POST", "/v1/event-types", map[string]any{"name": id, "schema": rawJSON(schema)})
		p := wantProblem(t, r, 422)
		if !p.names("schema") {
			t.Errorf("%s: the problem names %v, want schema", name, p.fields())
		}
		wantProblem(t, f.admin.do(t, "GET", "/v1/event-types/"+id, nil), 404)
	}
	f.admin.must(t, 200, "GET", "/healthz", nil, nil)
	// A schema within the bounds is kept and applied.
	f.admin.must(t, 201, "POST", "/v1/event-types", map[string]any{"name": "nested.ok",
		"schema": rawJSON(strings.Repeat(`{"items":`, 20) + `{"type":"string"}` + strings.Repeat(`}`, 20))}, nil)
}

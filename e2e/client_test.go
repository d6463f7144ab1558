package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"
	"testing"
	"time"
)

// apiClient calls hookd's REST API with one key.
type apiClient struct {
	base string
	key  string
}

// apiResp is one answer of the API.
type apiResp struct {
	method, path string
	status       int
	header       http.Header
	body         []byte
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

// do sends a request. body is nil (no body), []byte or string (sent as is),
// or any other value (sent as JSON). headers are name, value pairs.
func (c *apiClient) do(t testing.TB, method, path string, body any, headers ...string) apiResp {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	case string:
		r = strings.NewReader(b)
	default:
		// Not json.Marshal: it would escape <, > and & in strings.
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(b); err != nil {
			t.Fatalf("marshal request body: %v", err)
		}
		r = &buf
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return apiResp{method: method, path: path, status: resp.StatusCode, header: resp.Header, body: b}
}

// must sends a request, fails the test unless the status is want, and
// decodes the JSON answer into out (when out is not nil).
func (c *apiClient) must(t testing.TB, want int, method, path string, body, out any, headers ...string) apiResp {
	t.Helper()
	r := c.do(t, method, path, body, headers...)
	if r.status != want {
		t.Fatalf("%s %s: status %d, want %d; body: %s", method, path, r.status, want, r.body)
	}
	if out != nil {
		r.decode(t, out)
	}
	return r
}

func (r apiResp) decode(t testing.TB, out any) {
	t.Helper()
	if err := json.Unmarshal(r.body, out); err != nil {
		t.Fatalf("%s %s: decode %s: %v", r.method, r.path, r.body, err)
	}
}

// problem is an RFC 9457 problem-details body.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

// fields lists the fields the problem names.
func (p problem) fields() []string {
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}

// names reports whether the problem names field.
func (p problem) names(field string) bool {
	for _, f := range p.fields() {
		if f == field || strings.HasPrefix(f, field+".") {
			return true
		}
	}
	return false
}

// wantProblem fails the test unless r is a problem answer with status.
func wantProblem(t testing.TB, r apiResp, status int) problem {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s %s: status %d, want %d; body: %s", r.method, r.path, r.status, status, r.body)
	}
	if mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type")); mt != "application/problem+json" {
		t.Errorf("%s %s: Content-Type %q, want application/problem+json", r.method, r.path, r.header.Get("Content-Type"))
	}
	var p problem
	r.decode(t, &p)
	if p.Title == "" || p.Detail == "" || p.Status != status {
		t.Errorf("%s %s: problem body lacks title/detail/status=%d: %s", r.method, r.path, status, r.body)
	}
	return p
}

// Shapes of API objects, as far as the tests read them.

type tenant struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type endpoint struct {
	ID             string            `json:"id"`
	TenantID       string            `json:"tenant_id"`
	URL            string            `json:"url"`
	Status         string            `json:"status"`
	DisabledReason string            `json:"disabled_reason"`
	FailureCount   int               `json:"failure_count"`
	LastSuccessAt  *time.Time        `json:"last_success_at"`
	LastFailureAt  *time.Time        `json:"last_failure_at"`
	Headers        map[string]string `json:"headers"`
	RetrySchedule  []string          `json:"retry_schedule"`
	EventTypes     []string          `json:"event_types"`
	Name           string            `json:"name"`
	Filter         string            `json:"filter"`
	Ordering       string            `json:"ordering"`
	Transformation string            `json:"transformation"`
}

type publishResult struct {
	ID         string `json:"id"`
	Deliveries int    `json:"deliveries"`
}

type delivery struct {
	ID           string    `json:"id"`
	TenantID     string    `json:"tenant_id"`
	EventID      string    `json:"event_id"`
	EventType    string    `json:"event_type"`
	EndpointID   string    `json:"endpoint_id"`
	Status       string    `json:"status"`
	Test         bool      `json:"test"`
	AttemptCount int       `json:"attempt_count"`
	Attempts     []attempt `json:"attempts"`
	WaitingFor   string    `json:"waiting_for"`
}

type attempt struct {
	Number         int               `json:"number"`
	At             time.Time         `json:"at"`
	URL            string            `json:"url"`
	RequestHeaders map[string]string `json:"request_headers"`
	StatusCode     int               `json:"status_code"`
	Error          string            `json:"error"`
	ResponseBody   string            `json:"response_body"`
}

type list[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

type apiKey struct {
	ID       string `json:"id"`
	Role     string `json:"role"`
	Tenant   string `json:"tenant"`    // older name of the scope
	TenantID string `json:"tenant_id"` // newer name of the scope
}

// scope is the key's tenant, under either name.
func (k apiKey) scope() string {
	if k.TenantID != "" {
		return k.TenantID
	}
	return k.Tenant
}

type createdKey struct {
	APIKey apiKey `json:"api_key"`
	Key    string `json:"key"`
}

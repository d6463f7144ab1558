package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// refusal is one request hookd must refuse with a problem naming field.
type refusal struct {
	name    string
	method  string
	path    string
	body    any      // see apiClient.do; a string goes as is, raw bytes included
	headers []string // name, value pairs
	status  int
	field   string // a field the problem names ("" when it names none)
	event   string // an event id that must not exist afterwards
}

// TestRefusedText sends strings no store can keep as text, NUL bytes (an
// escaped \u0000) and invalid UTF-8 (raw bytes), in every user-given string
// field, header and path: each is a 422 (a 404 for a path) naming the
// field, and nothing is written. PostgreSQL used to answer 500 to these.
func TestRefusedText(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, c config) {
		f, ten, rcv, ep := refusalSetup(t, c)
		tenants, endpoints, events := "/v1/tenants", "/v1/tenants/"+ten+"/endpoints", "/v1/tenants/"+ten+"/events"
		epPath := endpoints + "/" + ep.ID
		good := func(id string) map[string]any {
			return map[string]any{"id": id, "type": typeCreated, "data": map[string]any{}}
		}
		nul, bad := "a\x00b", "a\xff\xfeb" // bad: raw bytes, so the body is sent as a string
		raw := func(format string, args ...any) string { return fmt.Sprintf(format, args...) }

		cases := []refusal{
			{name: "tenant name NUL", method: "POST", path: tenants, body: map[string]any{"id": "t-nul", "name": nul}, field: "name"},
			{name: "tenant name bad UTF-8", method: "POST", path: tenants, body: raw(`{"id":"t-utf","name":"%s"}`, bad), field: "name"},
			{name: "tenant id NUL", method: "POST", path: tenants, body: map[string]any{"id": nul, "name": "x"}, field: "id"},
			{name: "tenant rename NUL", method: "PATCH", path: tenants + "/" + ten, body: map[string]any{"name": nul}, field: "name"},
			{name: "tenant rename bad UTF-8", method: "PATCH", path: tenants + "/" + ten, body: raw(`{"name":"%s"}`, bad), field: "name"},

			{name: "endpoint name NUL", method: "POST", path: endpoints, body: map[string]any{"name": nul, "url": rcv.URL}, field: "name"},
			{name: "endpoint name bad UTF-8", method: "POST", path: endpoints, body: raw(`{"name":"%s","url":%q}`, bad, rcv.URL), field: "name"},
			{name: "endpoint description NUL", method: "POST", path: endpoints, body: map[string]any{"name": "x", "url": rcv.URL, "description": nul}, field: "description"},
			{name: "endpoint description bad UTF-8", method: "POST", path: endpoints, body: raw(`{"name":"x","url":%q,"description":"%s"}`, rcv.URL, bad), field: "description"},
			{name: "endpoint url NUL", method: "POST", path: endpoints, body: map[string]any{"name": "x", "url": rcv.URL + "/" + nul}, field: "url"},
			{name: "endpoint url bad UTF-8", method: "POST", path: endpoints, body: raw(`{"name":"x","url":"%s/%s"}`, rcv.URL, bad), field: "url"},
			{name: "header value NUL", method: "POST", path: endpoints, body: map[string]any{"name": "x", "url": rcv.URL, "headers": map[string]string{"X-A": nul}}, field: "headers.X-A"},
			{name: "header value bad UTF-8", method: "POST", path: endpoints, body: raw(`{"name":"x","url":%q,"headers":{"X-A":"%s"}}`, rcv.URL, bad), field: "headers.X-A"},
			{name: "header name NUL", method: "POST", path: endpoints, body: map[string]any{"name": "x", "url": rcv.URL, "headers": map[string]string{"X-" + nul: "v"}}, field: "headers"},
			{name: "header name bad UTF-8", method: "POST", path: endpoints, body: raw(`{"name":"x","url":%q,"headers":{"X-%s":"v"}}`, rcv.URL, bad), field: "headers"},
			{name: "endpoint update description NUL", method: "PATCH", path: epPath, body: map[string]any{"description": nul}, field: "description"},
			{name: "endpoint update name bad UTF-8", method: "PATCH", path: epPath, body: raw(`{"name":"%s"}`, bad), field: "name"},
			{name: "endpoint update header NUL", method: "PATCH", path: epPath, body: map[string]any{"headers": map[string]string{"Authorization": "Bearer " + nul}}, field: "headers.Authorization"},

			{name: "event type name NUL", method: "POST", path: "/v1/event-types", body: map[string]any{"name": "x.y" + nul}, field: "name"},
			{name: "event type description NUL", method: "POST", path: "/v1/event-types", body: map[string]any{"name": "nul.desc", "description": nul}, field: "description"},
			{name: "event type description bad UTF-8", method: "POST", path: "/v1/event-types", body: raw(`{"name":"utf.desc","description":"%s"}`, bad), field: "description"},
			{name: "event type schema bad UTF-8", method: "POST", path: "/v1/event-types", body: raw(`{"name":"utf.schema","schema":{"description":"%s"}}`, bad), field: "schema.description"},
			{name: "event type example bad UTF-8", method: "POST", path: "/v1/event-types", body: raw(`{"name":"utf.example","example":{"a":"%s"}}`, bad), field: "example.a"},

			{name: "api key name NUL", method: "POST", path: "/v1/api-keys", body: map[string]any{"name": nul, "role": "viewer"}, field: "name"},
			{name: "api key name bad UTF-8", method: "POST", path: "/v1/api-keys", body: raw(`{"name":"%s","role":"viewer"}`, bad), field: "name"},
			{name: "api key tenant NUL", method: "POST", path: "/v1/api-keys", body: map[string]any{"name": "k", "role": "viewer", "tenant": nul}, field: "tenant"},

			{name: "Idempotency-Key bad UTF-8", method: "POST", path: events, body: good("idem-utf"), headers: []string{"Idempotency-Key", "\xff\xfe"}, field: "Idempotency-Key", event: "idem-utf"},
			{name: "batch Idempotency-Key bad UTF-8", method: "POST", path: events + "/batch", body: map[string]any{"events": []any{good("idem-batch")}},
				headers: []string{"Idempotency-Key", "k\xe9y"}, field: "Idempotency-Key", event: "idem-batch"},
			{name: "event id NUL", method: "POST", path: events, body: map[string]any{"id": nul, "type": typeCreated, "data": map[string]any{}}, field: "id"},
			{name: "event type NUL", method: "POST", path: events, body: map[string]any{"id": "type-nul", "type": typeCreated + nul, "data": map[string]any{}}, field: "type", event: "type-nul"},
			{name: "data bad UTF-8", method: "POST", path: events, body: raw(`{"id":"data-utf","type":%q,"data":{"s":"%s"}}`, typeCreated, bad), field: "data.s", event: "data-utf"},
			{name: "test event type NUL", method: "POST", path: epPath + "/test", body: map[string]any{"event_type": nul}, field: "event_type"},

			{name: "tenant path NUL", method: "GET", path: tenants + "/a%00b", status: 404},
			{name: "tenant path bad UTF-8", method: "GET", path: tenants + "/a%FF%FEb", status: 404},
			{name: "publish to tenant path NUL", method: "POST", path: tenants + "/a%00b/events", body: good("path-nul"), status: 404},
			{name: "endpoint path NUL", method: "PATCH", path: endpoints + "/ep%00", body: map[string]any{"name": "y"}, status: 404},
			{name: "delivery filter NUL", method: "GET", path: "/v1/tenants/" + ten + "/deliveries?event=a%00b", field: "event"},
			{name: "cursor bad UTF-8", method: "GET", path: tenants + "?cursor=%FF", field: "cursor"},
		}
		refuseAll(t, f, ten, cases)
	})
}

// TestRefusedAmbiguousInput covers input that was accepted with a meaning
// other than the caller's: invalid UTF-8 in a payload, a key given twice,
// numbers that overflowed into range, header names that are the same
// header, and header names without bound.
func TestRefusedAmbiguousInput(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, c config) {
		f, ten, rcv, ep := refusalSetup(t, c)
		endpoints, events := "/v1/tenants/"+ten+"/endpoints", "/v1/tenants/"+ten+"/events"
		epPath := endpoints + "/" + ep.ID
		withHeaders := func(h map[string]string) map[string]any {
			return map[string]any{"name": "x", "url": rcv.URL, "headers": h}
		}
		const huge = 1<<55 + 30 // time.Duration(huge) * time.Second wraps to 30 s

		cases := []refusal{
			{name: "payload bad UTF-8", method: "POST", path: events, body: fmt.Sprintf(`{"id":"pl-utf","type":%q,"payload":{"s":"a%sb"}}`, typeCreated, "\xff"),
				field: "payload.s", event: "pl-utf"},
			{name: "batch payload bad UTF-8", method: "POST", path: events + "/batch",
				body:  fmt.Sprintf(`{"events":[{"id":"pl-ok","type":%q,"data":{}},{"id":"pl-utf2","type":%[1]q,"payload":["%s"]}]}`, typeCreated, "\xc3"),
				field: "events[1].payload[0]", event: "pl-ok"},
			{name: "publish duplicate key", method: "POST", path: events, body: fmt.Sprintf(`{"id":"dup-1","type":%q,"data":{},"type":%q}`, typeCreated, typeFailed),
				field: "type", event: "dup-1"},
			{name: "publish duplicate key escaped", method: "POST", path: events, body: fmt.Sprintf(`{"id":"dup-2","type":%q,"data":{},"\u0069d":"dup-3"}`, typeCreated),
				field: "id", event: "dup-2"},
			{name: "batch duplicate key", method: "POST", path: events + "/batch", body: fmt.Sprintf(`{"events":[{"id":"dup-4","id":"dup-5","type":%q,"data":{}}]}`, typeCreated),
				field: "events[0].id", event: "dup-4"},
			{name: "batch duplicate events", method: "POST", path: events + "/batch", body: fmt.Sprintf(`{"events":[],"events":[{"id":"dup-6","type":%q,"data":{}}]}`, typeCreated),
				field: "events", event: "dup-6"},
			{name: "payload duplicate key", method: "POST", path: events, body: fmt.Sprintf(`{"id":"dup-7","type":%q,"payload":{"a":{"b":1,"b":2}}}`, typeCreated),
				field: "payload.a.b", event: "dup-7"},
			{name: "endpoint duplicate key", method: "POST", path: endpoints, body: fmt.Sprintf(`{"name":"x","url":%q,"url":"https://example.com/"}`, rcv.URL), field: "url"},
			{name: "tenant duplicate key", method: "POST", path: "/v1/tenants", body: `{"id":"dup-t","name":"a","name":"b"}`, field: "name"},
			{name: "endpoint update duplicate key", method: "PATCH", path: epPath, body: `{"name":"a","name":"b"}`, field: "name"},

			{name: "timeout_seconds 2^55+30", method: "POST", path: endpoints, body: map[string]any{"name": "x", "url": rcv.URL, "timeout_seconds": huge}, field: "timeout_seconds"},
			{name: "timeout_seconds 2^55+30 update", method: "PATCH", path: epPath, body: map[string]any{"timeout_seconds": huge}, field: "timeout_seconds"},
			{name: "timeout_seconds -2^63", method: "PATCH", path: epPath, body: `{"timeout_seconds":-9223372036854775808}`, field: "timeout_seconds"},
			{name: "timeout_seconds 2^64", method: "PATCH", path: epPath, body: `{"timeout_seconds":18446744073709551616}`, field: "timeout_seconds"},
			{name: "expires_in 2^55+900", method: "POST", path: "/v1/tenants/" + ten + "/portal-links", body: map[string]any{"expires_in": 1<<55 + 900}, field: "expires_in"},
			{name: "overlap_seconds 2^55", method: "POST", path: epPath + "/rotate-secret", body: map[string]any{"overlap_seconds": 1 << 55}, field: "overlap_seconds"},

			{name: "headers differing in case", method: "POST", path: endpoints,
				body: withHeaders(map[string]string{"X-Token": "a", "x-token": "b", "X-TOKEN": "c"}), field: "headers.x-token"},
			{name: "header name of 5002 characters", method: "POST", path: endpoints,
				body: withHeaders(map[string]string{"X-" + strings.Repeat("a", 5000): "v"}), field: "headers"},
			{name: "header name of 257 characters", method: "POST", path: endpoints,
				body: withHeaders(map[string]string{"X-" + strings.Repeat("a", 255): "v"}), field: "headers"},
			{name: "header value of 4097 bytes", method: "POST", path: endpoints,
				body: withHeaders(map[string]string{"X-Big": strings.Repeat("v", 4097)}), field: "headers.X-Big"},
			{name: "21 headers", method: "POST", path: endpoints, body: withHeaders(manyHeaders(21)), field: "headers"},
			{name: "update headers differing in case", method: "PATCH", path: epPath,
				body: map[string]any{"headers": map[string]string{"Authorization": "a", "authorization": "b"}}, field: "headers.authorization"},
		}
		refuseAll(t, f, ten, cases)

		t.Run("case-insensitive duplicates are all named", func(t *testing.T) {
			p := wantProblem(t, f.in(t).admin.do(t, "POST", endpoints, cases[16].body), 422)
			if !p.names("headers.X-Token") || !p.names("headers.x-token") {
				t.Errorf("problem names %v, want headers.X-Token and headers.x-token", p.fields())
			}
		})
		// The limits themselves are allowed, and a header goes out as given.
		t.Run("at the limits", func(t *testing.T) {
			f := f.in(t)
			long := "X-" + strings.Repeat("a", 254)
			h := manyHeaders(19)
			h[long] = strings.Repeat("v", 4096)
			own := newReceiver(t, 200)
			e, _ := f.endpoint(ten, own.URL, map[string]any{"headers": h, "timeout_seconds": 60})
			f.admin.must(t, 202, "POST", events, map[string]any{"type": typeCreated, "data": map[string]any{}}, nil)
			if v := own.waitRequests(t, 1)[0].header.Get(long); len(v) != 4096 {
				t.Errorf("the receiver got %d bytes of the 256-character header, want 4096", len(v))
			}
			f.admin.must(t, 204, "DELETE", endpoints+"/"+e.ID, nil, nil)
		})
	})
}

// refusalSetup starts hookd in parallel with the other stores' run, with
// one tenant that has one endpoint posting to a receiver.
func refusalSetup(t *testing.T, c config) (*fixture, string, *receiver, endpoint) {
	t.Helper()
	t.Parallel()
	f := newFixture(t, c)
	ten := f.tenant()
	rcv := newReceiver(t, 200)
	ep, _ := f.endpoint(ten, rcv.URL, nil)
	return f, ten, rcv, ep
}

func manyHeaders(n int) map[string]string {
	h := map[string]string{}
	for i := range n {
		h[fmt.Sprintf("X-H%d", i)] = "v"
	}
	return h
}

// refuseAll sends each refusal and checks its problem; then that nothing
// anywhere changed: tenants, the tenant's endpoints and deliveries, the
// event types, the API keys, and the events the cases name.
func refuseAll(t *testing.T, f *fixture, ten string, cases []refusal) {
	t.Helper()
	before := f.state(ten)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := f.in(t)
			status := c.status
			if status == 0 {
				status = 422
			}
			p := wantProblem(t, f.admin.do(t, c.method, c.path, c.body, c.headers...), status)
			if c.field != "" && !p.names(c.field) {
				t.Errorf("problem names fields %v, want %q; problem: %+v", p.fields(), c.field, p)
			}
			if c.event != "" {
				wantProblem(t, f.admin.do(t, "GET", "/v1/tenants/"+ten+"/events/"+c.event, nil), 404)
			}
		})
	}
	if after := f.state(ten); after != before {
		t.Errorf("refused requests changed what is stored:\nbefore %s\n after %s", before, after)
	}
}

// state is everything a refused request could have changed, as the API shows it.
func (f *fixture) state(ten string) string {
	f.t.Helper()
	var b strings.Builder
	for _, path := range []string{"/v1/tenants?limit=1000", "/v1/tenants/" + ten + "/endpoints?limit=1000",
		"/v1/tenants/" + ten + "/deliveries?limit=1000", "/v1/event-types", "/v1/api-keys?limit=1000"} {
		b.Write(f.admin.must(f.t, 200, "GET", path, nil, nil).body)
	}
	return b.String()
}

// TestDashboardRefusesText posts the same strings through the dashboard's
// forms, which apply the API's rules: refused next to the field, nothing
// stored, on both stores.
func TestDashboardRefusesText(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, c config) {
		f, ten, rcv, ep := refusalSetup(t, c)
		before := f.state(ten)

		operator := newFormClient(t, f.h.url)
		operator.login(f.h.key)
		tenant := newFormClient(t, f.h.url)
		tenant.get(f.portalLink(ten, "admin"), 200)
		for _, c := range []struct {
			name string
			who  *formClient
			page string // where the form is
			to   string // where it posts
			form url.Values
		}{
			{"tenant name NUL", operator, "/dashboard/tenants", "/dashboard/tenants", url.Values{"id": {"d-nul"}, "name": {"a\x00b"}}},
			{"tenant name bad UTF-8", operator, "/dashboard/tenants", "/dashboard/tenants", url.Values{"id": {"d-utf"}, "name": {"a\xffb"}}},
			{"event type description NUL", operator, "/dashboard/event-types", "/dashboard/event-types", url.Values{"name": {"d.nul"}, "description": {"a\x00b"}}},
			{"event type example bad UTF-8", operator, "/dashboard/event-types", "/dashboard/event-types", url.Values{"name": {"d.utf"}, "example": {"{\"a\":\"\xff\"}"}}},
			{"endpoint name NUL", tenant, "/dashboard/t/" + ten + "/endpoints/new", "/dashboard/t/" + ten + "/endpoints",
				url.Values{"name": {"a\x00b"}, "url": {rcv.URL}, "subscribe": {"all"}}},
			{"endpoint description bad UTF-8", tenant, "/dashboard/t/" + ten + "/endpoints/new", "/dashboard/t/" + ten + "/endpoints",
				url.Values{"name": {"x"}, "url": {rcv.URL}, "description": {"a\xfeb"}, "subscribe": {"all"}}},
			{"endpoint header value NUL", tenant, "/dashboard/t/" + ten + "/endpoints/" + ep.ID + "/edit", "/dashboard/t/" + ten + "/endpoints/" + ep.ID + "/edit",
				url.Values{"name": {"receiver"}, "url": {rcv.URL}, "subscribe": {"all"}, "header_name": {"X-A"}, "header_value": {"a\x00b"}}},
			{"endpoint timeout 2^55+30", tenant, "/dashboard/t/" + ten + "/endpoints/" + ep.ID + "/edit", "/dashboard/t/" + ten + "/endpoints/" + ep.ID + "/edit",
				url.Values{"name": {"receiver"}, "url": {rcv.URL}, "subscribe": {"all"}, "timeout_seconds": {"36028797018963998"}}},
		} {
			t.Run(c.name, func(t *testing.T) {
				c.who.t = t
				c.form.Set("csrf", c.who.csrf(c.page))
				if status := c.who.post(c.to, c.form); status != 422 {
					t.Errorf("the form answered %d, want 422", status)
				}
			})
		}
		// Pages whose path names no object that can exist.
		for _, path := range []string{"/dashboard/t/a%00b", "/dashboard/t/a%FFb", "/dashboard/t/" + ten + "/endpoints/ep%00",
			"/dashboard/t/" + ten + "/deliveries/dlv%FF%FE"} {
			t.Run("page "+path, func(t *testing.T) {
				operator.t = t
				operator.get(path, 404)
			})
		}
		if after := f.state(ten); after != before {
			t.Errorf("refused forms changed what is stored:\nbefore %s\n after %s", before, after)
		}
	})
}

// formClient is a browser without a browser: cookies, forms and CSRF tokens.
type formClient struct {
	t    testing.TB
	base string
	c    *http.Client
}

func newFormClient(t testing.TB, base string) *formClient {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &formClient{t: t, base: base, c: &http.Client{Jar: jar, Timeout: httpClient.Timeout}}
}

// get fetches a page (a full URL or a path) and fails unless it answers want.
func (c *formClient) get(u string, want int) string {
	c.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = c.base + u
	}
	resp, err := c.c.Get(u)
	if err != nil {
		c.t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		c.t.Fatalf("GET %s: %d, want %d: %s", u, resp.StatusCode, want, b)
	}
	return string(b)
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the CSRF token of the form on page.
func (c *formClient) csrf(page string) string {
	c.t.Helper()
	m := csrfInput.FindStringSubmatch(c.get(page, 200))
	if m == nil {
		c.t.Fatalf("%s has no CSRF token", page)
	}
	return m[1]
}

// post sends a form and returns the status.
func (c *formClient) post(path string, form url.Values) int {
	c.t.Helper()
	resp, err := c.c.Post(c.base+path, "application/x-www-form-urlencoded", bytes.NewBufferString(form.Encode()))
	if err != nil {
		c.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// login signs in with an API key on the sign-in form.
func (c *formClient) login(key string) {
	c.t.Helper()
	tok := c.csrf("/dashboard/login")
	if status := c.post("/dashboard/login", url.Values{"csrf": {tok}, "api_key": {key}}); status != 200 {
		c.t.Fatalf("sign-in answered %d", status)
	}
}

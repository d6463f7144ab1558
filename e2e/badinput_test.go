package e2e

import (
	"strings"
	"testing"
)

func TestBadInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})
	ten := f.tenant()
	rcv := newReceiver(t, 200)
	ep, _ := f.endpoint(ten, rcv.URL, nil)
	endpoints := "/v1/tenants/" + ten + "/endpoints"
	events := "/v1/tenants/" + ten + "/events"

	// nothingWritten checks that the tenant still has its one endpoint, that
	// no delivery was created, and that no event id in ids exists.
	nothingWritten := func(t *testing.T, ids ...string) {
		t.Helper()
		f := f.in(t)
		var eps list[endpoint]
		f.admin.must(t, 200, "GET", endpoints, nil, &eps)
		if len(eps.Data) != 1 || eps.Data[0].ID != ep.ID {
			t.Errorf("endpoints are now %+v, want only %s", eps.Data, ep.ID)
		}
		if ds := f.deliveries(ten, ""); len(ds) != 0 {
			t.Errorf("%d deliveries were created: %+v", len(ds), ds)
		}
		for _, id := range ids {
			wantProblem(t, f.admin.do(t, "GET", events+"/"+id, nil), 404)
		}
	}

	cases := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		field  string // a field the problem must name, if any
		ids    []string
	}{
		{name: "unknown event type", method: "POST", path: events, status: 422, field: "type", ids: []string{"bad-1"},
			body: map[string]any{"id": "bad-1", "type": "no.such.type", "data": map[string]any{}}},
		{name: "publish malformed JSON", method: "POST", path: events, status: 400,
			body: `{"id": "bad-2", "type": "contact.created", "data": {`, ids: []string{"bad-2"}},
		{name: "publish empty body", method: "POST", path: events, status: 400, body: ""},
		{name: "publish without type", method: "POST", path: events, status: 422, field: "type", ids: []string{"bad-3"},
			body: map[string]any{"id": "bad-3", "data": map[string]any{}}},
		{name: "publish without data or payload", method: "POST", path: events, status: 422, field: "data", ids: []string{"bad-4"},
			body: map[string]any{"id": "bad-4", "type": typeCreated}},
		{name: "publish unknown field", method: "POST", path: events, status: 422, field: "colour", ids: []string{"bad-5"},
			body: map[string]any{"id": "bad-5", "type": typeCreated, "data": map[string]any{}, "colour": "red"}},
		{name: "publish to unknown tenant", method: "POST", path: "/v1/tenants/no-such-tenant/events", status: 404,
			body: map[string]any{"type": typeCreated, "data": map[string]any{}}},
		{name: "endpoint malformed JSON", method: "POST", path: endpoints, status: 400, body: `{"name": "x", "url": `},
		{name: "endpoint without url", method: "POST", path: endpoints, status: 422, field: "url",
			body: map[string]any{"name": "no url"}},
		{name: "endpoint with invalid url", method: "POST", path: endpoints, status: 422, field: "url",
			body: map[string]any{"name": "bad url", "url": "not a url"}},
		{name: "endpoint with unknown field", method: "POST", path: endpoints, status: 422, field: "colour",
			body: map[string]any{"name": "x", "url": rcv.URL, "colour": "red"}},
		{name: "endpoint with unknown event type", method: "POST", path: endpoints, status: 422, field: "event_types",
			body: map[string]any{"name": "x", "url": rcv.URL, "event_types": []string{"no.such.type"}}},
		{name: "endpoint header webhook-id", method: "POST", path: endpoints, status: 422, field: "headers",
			body: map[string]any{"name": "x", "url": rcv.URL, "headers": map[string]string{"webhook-id": "mine"}}},
		{name: "endpoint header Content-Type", method: "POST", path: endpoints, status: 422, field: "headers",
			body: map[string]any{"name": "x", "url": rcv.URL, "headers": map[string]string{"Content-Type": "text/plain"}}},
		{name: "endpoint header X-Hookd-Attempt", method: "POST", path: endpoints, status: 422, field: "headers",
			body: map[string]any{"name": "x", "url": rcv.URL, "headers": map[string]string{"X-Hookd-Attempt": "9"}}},
		{name: "endpoint with a bad retry schedule", method: "POST", path: endpoints, status: 422, field: "retry_schedule",
			body: map[string]any{"name": "x", "url": rcv.URL, "retry_schedule": []string{"soon"}}},
		{name: "endpoint of unknown tenant", method: "POST", path: "/v1/tenants/no-such-tenant/endpoints", status: 404,
			body: map[string]any{"name": "x", "url": rcv.URL}},
		{name: "list endpoints of unknown tenant", method: "GET", path: "/v1/tenants/no-such-tenant/endpoints", status: 404},
		{name: "get unknown tenant", method: "GET", path: "/v1/tenants/no-such-tenant", status: 404},
		{name: "get unknown endpoint", method: "GET", path: endpoints + "/ep_nope", status: 404},
		{name: "patch unknown endpoint", method: "PATCH", path: endpoints + "/ep_nope", status: 404, body: map[string]any{"name": "y"}},
		{name: "enable unknown endpoint", method: "POST", path: endpoints + "/ep_nope/enable", status: 404},
		{name: "test unknown endpoint", method: "POST", path: endpoints + "/ep_nope/test", status: 404,
			body: map[string]any{"event_type": typeCreated}},
		{name: "get unknown delivery", method: "GET", path: "/v1/tenants/" + ten + "/deliveries/dlv_nope", status: 404},
		{name: "replay unknown delivery", method: "POST", path: "/v1/tenants/" + ten + "/deliveries/dlv_nope/replay", status: 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := f.in(t)
			p := wantProblem(t, f.admin.do(t, c.method, c.path, c.body), c.status)
			if c.field != "" && !p.names(c.field) {
				t.Errorf("problem names fields %v, want %q; body: %+v", p.fields(), c.field, p)
			}
			nothingWritten(t, c.ids...)
		})
	}
	t.Run("unknown event type is errors[0]", func(t *testing.T) {
		f := f.in(t)
		p := wantProblem(t, f.admin.do(t, "POST", events, map[string]any{"type": "no.such.type", "data": map[string]any{}}), 422)
		if len(p.Errors) == 0 || p.Errors[0].Field != "type" {
			t.Errorf("errors = %+v, want errors[0].field == type", p.Errors)
		}
	})
	t.Run("masked header does not leak the value", func(t *testing.T) {
		f := f.in(t)
		r := f.admin.do(t, "POST", endpoints, map[string]any{"name": "x", "url": rcv.URL,
			"headers": map[string]string{"webhook-signature": "super-secret-value"}})
		wantProblem(t, r, 422)
		if strings.Contains(string(r.body), "super-secret-value") {
			t.Errorf("problem body echoes the header value: %s", r.body)
		}
		nothingWritten(t)
	})
}

// TestStrictDeployment runs a hookd without --allow-private-targets and with
// a small payload limit.
func TestStrictDeployment(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{strict: true, extraArgs: []string{"--max-payload-size", "1024"}})
	ten := f.tenant()
	endpoints := "/v1/tenants/" + ten + "/endpoints"

	for _, url := range []string{
		"http://example.com/hook",
		"https://127.0.0.1/x",
		"https://10.0.0.1/x",
		"https://192.168.1.10/x",
		"https://169.254.169.254/latest",
		"https://[::1]/x",
		"https://localhost/x",
		"https://api.localhost/x",
		"https://0.0.0.0/x",
		"ftp://example.com/x",
	} {
		t.Run("refuses "+url, func(t *testing.T) {
			f := f.in(t)
			p := wantProblem(t, f.admin.do(t, "POST", endpoints, map[string]any{"name": "x", "url": url}), 422)
			if !p.names("url") {
				t.Errorf("problem names %v, want url", p.fields())
			}
		})
	}
	t.Run("refuses an update to a private url", func(t *testing.T) {
		f := f.in(t)
		ep, _ := f.endpoint(ten, "https://example.com/webhooks", nil)
		p := wantProblem(t, f.admin.do(t, "PATCH", endpoints+"/"+ep.ID, map[string]any{"url": "https://127.0.0.1/x"}), 422)
		if !p.names("url") {
			t.Errorf("problem names %v, want url", p.fields())
		}
		if got := f.getEndpoint(ten, ep.ID).URL; got != "https://example.com/webhooks" {
			t.Errorf("url is now %q", got)
		}
		var eps list[endpoint]
		f.admin.must(t, 200, "GET", endpoints, nil, &eps)
		if len(eps.Data) != 1 {
			t.Errorf("tenant has %d endpoints, want only the public one", len(eps.Data))
		}
		f.admin.must(t, 204, "DELETE", endpoints+"/"+ep.ID, nil, nil)
	})

	t.Run("payload over the limit", func(t *testing.T) {
		f := f.in(t)
		big := strings.Repeat("x", 2048)
		wantProblem(t, f.admin.do(t, "POST", "/v1/tenants/"+ten+"/events",
			map[string]any{"id": "too-big", "type": typeCreated, "data": map[string]any{"blob": big}}), 413)
		wantProblem(t, f.admin.do(t, "POST", "/v1/tenants/"+ten+"/events",
			map[string]any{"id": "too-big-2", "type": typeCreated, "payload": map[string]any{"blob": big}}), 413)
		for _, id := range []string{"too-big", "too-big-2"} {
			wantProblem(t, f.admin.do(t, "GET", "/v1/tenants/"+ten+"/events/"+id, nil), 404)
		}
		if ds := f.deliveries(ten, ""); len(ds) != 0 {
			t.Errorf("%d deliveries exist", len(ds))
		}
		// Just under the limit is fine.
		f.admin.must(t, 202, "POST", "/v1/tenants/"+ten+"/events",
			map[string]any{"type": typeCreated, "payload": map[string]any{"blob": strings.Repeat("x", 900)}}, nil)
	})
}

package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	svix "github.com/svix/svix-webhooks/go"

	"github.com/hookd/hookd/client"
)

// renameScript renames data.user to data.customer, adds a header, moves the
// request to another path, and cancels the events whose n is a multiple of 3.
const renameScript = `function handler(webhook) {
  const d = webhook.payload.data;
  if (d.n % 3 === 0) {
    webhook.cancel = true;
    return webhook;
  }
  d.customer = d.user;
  delete d.user;
  webhook.headers["X-Transformed"] = "by-hookd";
  webhook.url = webhook.url.replace("/in", "/renamed") + "?n=" + d.n;
  return webhook;
}`

// TestTransformation: on both stores, a transformation's body, header and
// path reach a real receiver, signed over the body sent (the official
// Standard Webhooks verifier agrees); cancelled events send nothing and end
// cancelled, without touching the endpoint's health; an infinite loop is
// stopped at its bound and fails the attempt while another endpoint of the
// tenant gets every event; bad scripts are 422s that save nothing.
func TestTransformation(t *testing.T) {
	onStores(t, func(t *testing.T, c config) {
		f := newFixture(t, c)
		ten := f.tenant()
		rcv, other, loopRcv := newReceiver(t, 200), newReceiver(t, 200), newReceiver(t, 200)
		ep, secret := f.endpoint(ten, rcv.URL+"/in", map[string]any{"transformation": renameScript})
		if got := f.getEndpoint(ten, ep.ID); got.Transformation != renameScript {
			t.Fatalf("transformation read back as %q", got.Transformation)
		}
		f.endpoint(ten, other.URL, nil)
		loop, _ := f.endpoint(ten, loopRcv.URL, map[string]any{"transformation": `function handler(w) { for (;;) {} }`})

		const n = 9
		byEvent := map[string]int{}
		for i := 1; i <= n; i++ {
			r := f.publish(ten, typeCreated, fmt.Sprintf(`{"n":%d,"user":"user-%d"}`, i, i))
			byEvent[r.ID] = i
		}
		other.waitRequests(t, n)
		got := rcv.waitRequests(t, 6)
		for _, q := range got {
			i := byEvent[q.header.Get("webhook-id")]
			if i%3 == 0 {
				t.Errorf("event %d was to be cancelled, but arrived", i)
			}
			verify(t, secret, q)
			var body struct {
				Data map[string]any `json:"data"`
			}
			if err := json.Unmarshal(q.body, &body); err != nil {
				t.Fatalf("body %s: %v", q.body, err)
			}
			if body.Data["customer"] != fmt.Sprintf("user-%d", i) || body.Data["user"] != nil {
				t.Errorf("event %d: data %v, want user renamed to customer", i, body.Data)
			}
			if h := q.header.Get("X-Transformed"); h != "by-hookd" {
				t.Errorf("event %d: X-Transformed %q", i, h)
			}
			if want := fmt.Sprintf("/renamed?n=%d", i); q.uri != want {
				t.Errorf("event %d: request to %s, want %s", i, q.uri, want)
			}
		}
		var cancelled []delivery
		eventually(t, 20*time.Second, func() (bool, string) {
			cancelled = f.deliveries(ten, "?endpoint="+ep.ID+"&status=cancelled&limit=100")
			return len(cancelled) == n/3, fmt.Sprintf("%d cancelled deliveries, want %d", len(cancelled), n/3)
		})
		for _, d := range cancelled {
			if byEvent[d.EventID]%3 != 0 {
				t.Errorf("event %d was cancelled", byEvent[d.EventID])
			}
			if a := f.getDelivery(ten, d.ID).Attempts; len(a) != 1 || a[0].StatusCode != 0 || !strings.Contains(a[0].Error, "cancelled by the endpoint's transformation") {
				t.Errorf("cancelled delivery's attempts: %+v", a)
			}
		}
		if e := f.getEndpoint(ten, ep.ID); e.FailureCount != 0 || e.LastFailureAt != nil || e.Status != "active" {
			t.Errorf("after cancels the endpoint has %d failures, last failure %v, status %q", e.FailureCount, e.LastFailureAt, e.Status)
		}
		quiet(300 * time.Millisecond)
		if n := len(rcv.requests()); n != 6 {
			t.Errorf("the receiver got %d requests, want 6", n)
		}

		// The infinite loop: stopped at the time bound, the attempt failed and retried.
		for _, d := range f.deliveries(ten, "?endpoint="+loop.ID+"&limit=100") {
			d = f.waitStatus(ten, d.ID, "retrying")
			if len(d.Attempts) == 0 || !strings.Contains(d.Attempts[0].Error, "transformation stopped: it ran for longer than 50ms") {
				t.Errorf("looping delivery's attempts: %+v", d.Attempts)
			}
		}
		if n := len(loopRcv.requests()); n != 0 {
			t.Errorf("the looping endpoint's receiver got %d requests", n)
		}

		// Bad scripts: 422 naming transformation with the position, nothing saved.
		endpoints := func() int {
			var l list[endpoint]
			f.admin.must(t, 200, "GET", "/v1/tenants/"+ten+"/endpoints", nil, &l)
			return len(l.Data)
		}
		before := endpoints()
		for _, bad := range []struct{ src, want string }{
			{"function handler(w) {\n  return w +;\n}", "2:"},
			{"function handle(w) { return w }", "defines no function handler(webhook)"},
			{"for (;;) {}", "ran for longer than"},
			{"//" + strings.Repeat("x", 64<<10), "over the limit of 65536"},
		} {
			p := wantProblem(t, f.admin.do(t, "POST", "/v1/tenants/"+ten+"/endpoints",
				map[string]any{"name": "x", "url": rcv.URL, "transformation": bad.src}), 422)
			if !p.names("transformation") || !strings.Contains(p.Errors[0].Message, bad.want) {
				t.Errorf("bad transformation %.30q on create: problem %+v, want field transformation with %q", bad.src, p.Errors, bad.want)
			}
		}
		if n := endpoints(); n != before {
			t.Errorf("refused creates left %d endpoints, want %d", n, before)
		}
		p := wantProblem(t, f.admin.do(t, "PATCH", "/v1/tenants/"+ten+"/endpoints/"+ep.ID,
			map[string]any{"transformation": "function handler(w) { return w", "name": "renamed"}), 422)
		if !p.names("transformation") || !strings.Contains(p.Errors[0].Message, "1:") {
			t.Errorf("bad transformation on PATCH: problem %+v", p.Errors)
		}
		if e := f.getEndpoint(ten, ep.ID); e.Transformation != renameScript || e.Name != "receiver" {
			t.Errorf("a refused PATCH changed the endpoint: name %q", e.Name)
		}

		// The test route: the stored script on a payload, a given one on the type's example, a failure.
		test := func(body map[string]any) (out client.TransformationResult) {
			f.admin.must(t, 200, "POST", "/v1/tenants/"+ten+"/endpoints/"+ep.ID+"/transformation/test", body, &out)
			return out
		}
		r := test(map[string]any{"payload": map[string]any{"type": "x", "data": map[string]any{"n": 1, "user": "ada"}}})
		if string(r.Body) != `{"data":{"n":1,"customer":"ada"},"type":"x"}` || r.Headers["X-Transformed"] != "by-hookd" ||
			r.URL != rcv.URL+"/renamed?n=1" || r.Cancelled || r.Error != "" {
			t.Errorf("stored script on a payload: %+v", r)
		}
		if r := test(map[string]any{"payload": map[string]any{"data": map[string]any{"n": 3}}}); !r.Cancelled || r.Body != nil {
			t.Errorf("stored script on n=3: %+v, want cancelled", r)
		}
		if r := test(map[string]any{"transformation": `function handler(w) { w.payload.seen = w.payload.type; return w }`, "event_type": typeCreated}); !strings.Contains(string(r.Body), `"seen":"`+typeCreated+`"`) {
			t.Errorf("a given script on the type's example: %+v", r)
		}
		if r := test(map[string]any{"transformation": `function handler(w) { throw new Error("nope") }`, "event_type": typeCreated}); !strings.Contains(r.Error, "nope") {
			t.Errorf("a throwing script: %+v, want its error", r)
		}
		p = wantProblem(t, f.admin.do(t, "POST", "/v1/tenants/"+ten+"/endpoints/"+ep.ID+"/transformation/test",
			map[string]any{"transformation": "function (", "event_type": typeCreated}), 422)
		if !p.names("transformation") {
			t.Errorf("test of a bad script: problem names %v, want transformation", p.fields())
		}
	})
}

// svixTransformation: the Svix SDK's transformation calls set, read and
// remove an endpoint's transformation; a message is sent as it made it; a
// script that does not compile is a validation error on code.
func svixTransformation(t *testing.T, sx *svix.Svix, payload map[string]any) {
	ctx := t.Context()
	rcv := newReceiver(t, 200)
	ep := must(sx.Endpoint.Create(ctx, "acme", &svix.EndpointIn{Url: rcv.URL, FilterTypes: []string{typePaid}})).get(t)
	code := `function handler(webhook) { webhook.headers["X-Svix-Transformed"] = "yes"; return webhook }`
	if err := sx.Endpoint.TransformationPartialUpdate(ctx, "acme", ep.Id, &svix.EndpointTransformationIn{Code: &code, Enabled: ptr(true)}); err != nil {
		t.Fatalf("TransformationPartialUpdate: %v", err)
	}
	got := must(sx.Endpoint.TransformationGet(ctx, "acme", ep.Id)).get(t)
	if got.Code == nil || *got.Code != code || got.Enabled == nil || !*got.Enabled {
		t.Fatalf("transformation read back as %+v", got)
	}
	must(sx.Message.Create(ctx, "acme", &svix.MessageIn{EventType: typePaid, Payload: payload})).get(t)
	if q := rcv.waitRequests(t, 1)[0]; q.header.Get("X-Svix-Transformed") != "yes" {
		t.Errorf("the message arrived without the transformation's header: %v", q.header)
	}
	bad := "function handler(w) {"
	err := sx.Endpoint.TransformationPartialUpdate(ctx, "acme", ep.Id, &svix.EndpointTransformationIn{Code: &bad})
	wantSvixValidation(t, err, "body", "code")
	if err := sx.Endpoint.TransformationPartialUpdate(ctx, "acme", ep.Id, &svix.EndpointTransformationIn{Enabled: ptr(false)}); err != nil {
		t.Fatalf("disabling the transformation: %v", err)
	}
	if got := must(sx.Endpoint.TransformationGet(ctx, "acme", ep.Id)).get(t); got.Code != nil || got.Enabled == nil || *got.Enabled {
		t.Errorf("after disabling, the transformation reads %+v", got)
	}
	if err := sx.Endpoint.Delete(ctx, "acme", ep.Id); err != nil {
		t.Fatal(err)
	}
}

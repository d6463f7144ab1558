package e2e

import (
	"fmt"
	"strings"
	"testing"
)

const gbpFilter = `event.data.amount > 1000 && event.data.currency == "GBP"`

// TestFilter: an endpoint's content filter passing half of 100 events gets
// exactly those, real requests to a real receiver, while an unfiltered
// endpoint gets all; filters that do not compile are 422s that save nothing.
func TestFilter(t *testing.T) {
	onStores(t, func(t *testing.T, c config) {
		f := newFixture(t, c)
		ten := f.tenant()
		all, gbp := newReceiver(t, 200), newReceiver(t, 200)
		f.endpoint(ten, all.URL, nil)
		ep, _ := f.endpoint(ten, gbp.URL, map[string]any{"filter": gbpFilter})
		if got := f.getEndpoint(ten, ep.ID); got.Filter != gbpFilter {
			t.Fatalf("filter read back as %q", got.Filter)
		}
		want := map[string]bool{}
		for i := range 100 {
			currency := "EUR"
			if i%2 == 0 {
				currency = "GBP"
			}
			r := f.publish(ten, typeCreated, fmt.Sprintf(`{"n":%d,"amount":%d,"currency":%q}`, i, 2000+i, currency))
			if currency == "GBP" {
				want[r.ID] = true
			}
		}
		all.waitRequests(t, 100)
		got := gbp.waitRequests(t, 50)
		if n := len(f.deliveries(ten, "?endpoint="+ep.ID+"&limit=100")); n != 50 {
			t.Errorf("the filtered endpoint has %d deliveries, want 50", n)
		}
		seen := map[string]bool{}
		for _, r := range got {
			id := r.header.Get("webhook-id")
			if !want[id] || seen[id] {
				t.Errorf("the filtered endpoint got %s (wanted: %v, seen before: %v)", id, want[id], seen[id])
			}
			seen[id] = true
		}

		// Filters that do not compile: 422 naming filter with the position, nothing saved.
		endpoints := func() int {
			var l list[endpoint]
			f.admin.must(t, 200, "GET", "/v1/tenants/"+ten+"/endpoints", nil, &l)
			return len(l.Data)
		}
		before := endpoints()
		p := wantProblem(t, f.admin.do(t, "POST", "/v1/tenants/"+ten+"/endpoints",
			map[string]any{"name": "x", "url": all.URL, "filter": `event.data.amount >`}), 422)
		if !p.names("filter") || !strings.Contains(p.Errors[0].Message, "1:20:") {
			t.Errorf("bad filter on create: problem %+v, want field filter at 1:20", p.Errors)
		}
		if n := endpoints(); n != before {
			t.Errorf("a refused create left %d endpoints, want %d", n, before)
		}
		p = wantProblem(t, f.admin.do(t, "PATCH", "/v1/tenants/"+ten+"/endpoints/"+ep.ID,
			map[string]any{"filter": `evnt.type == "x"`, "name": "renamed"}), 422)
		if !p.names("filter") || !strings.Contains(p.Errors[0].Message, "undeclared reference to 'evnt'") {
			t.Errorf("bad filter on PATCH: problem %+v", p.Errors)
		}
		if e := f.getEndpoint(ten, ep.ID); e.Filter != gbpFilter || e.Name != "receiver" {
			t.Errorf("a refused PATCH changed the endpoint: filter %q, name %q", e.Filter, e.Name)
		}

		// The test route: the stored filter, a given one, and a compile error.
		test := func(body map[string]any) (out struct {
			Matches bool   `json:"matches"`
			Error   string `json:"error"`
		}) {
			f.admin.must(t, 200, "POST", "/v1/tenants/"+ten+"/endpoints/"+ep.ID+"/filter/test", body, &out)
			return out
		}
		if r := test(map[string]any{"payload": map[string]any{"amount": 5000, "currency": "GBP"}}); !r.Matches || r.Error != "" {
			t.Errorf("stored filter on a GBP payload: %+v, want a match", r)
		}
		if r := test(map[string]any{"filter": `event.type == "` + typeCreated + `"`, "event_type": typeCreated}); !r.Matches {
			t.Errorf("type filter on the type's example: %+v, want a match", r)
		}
		if r := test(map[string]any{"payload": map[string]any{"currency": "GBP"}}); r.Matches || !strings.Contains(r.Error, "amount") {
			t.Errorf("stored filter on a payload without amount: %+v, want no match with an error", r)
		}
		p = wantProblem(t, f.admin.do(t, "POST", "/v1/tenants/"+ten+"/endpoints/"+ep.ID+"/filter/test",
			map[string]any{"filter": `event.type +`, "event_type": typeCreated}), 422)
		if !p.names("filter") {
			t.Errorf("test of a bad filter: problem names %v, want filter", p.fields())
		}
	})
}

package e2e

import (
	"slices"
	"testing"
)

// TestChannels: through the native API, an endpoint with channels gets only
// the events that share one of them (and still only its types); endpoints
// without channels get every event of their types.
func TestChannels(t *testing.T) {
	onStores(t, func(t *testing.T, c config) {
		f := newFixture(t, c)
		ten := f.tenant()
		all, onEU := newReceiver(t, 200), newReceiver(t, 200)
		f.endpoint(ten, all.URL, nil)
		ep, _ := f.endpoint(ten, onEU.URL, map[string]any{"channels": []string{"eu"}, "event_types": []string{typeCreated}})
		var read struct {
			Channels []string `json:"channels"`
		}
		f.admin.must(t, 200, "GET", "/v1/tenants/"+ten+"/endpoints/"+ep.ID, nil, &read)
		if !slices.Equal(read.Channels, []string{"eu"}) {
			t.Fatalf("endpoint channels read back as %v", read.Channels)
		}

		publish := func(eventType string, channels ...string) string {
			var r publishResult
			f.admin.must(t, 202, "POST", "/v1/tenants/"+ten+"/events",
				map[string]any{"type": eventType, "data": map[string]any{}, "channels": channels}, &r)
			return r.ID
		}
		plain, eu, euFailed, us := publish(typeCreated), publish(typeCreated, "eu", "us"), publish(typeFailed, "eu"), publish(typeCreated, "us")
		var ev struct {
			Channels []string `json:"channels"`
		}
		f.admin.must(t, 200, "GET", "/v1/tenants/"+ten+"/events/"+eu, nil, &ev)
		if !slices.Equal(ev.Channels, []string{"eu", "us"}) {
			t.Fatalf("event channels read back as %v", ev.Channels)
		}
		all.waitRequests(t, 4)
		onEU.waitRequests(t, 1)
		for _, id := range []string{plain, euFailed, us} {
			if n := len(f.deliveries(ten, "?event="+id+"&endpoint="+ep.ID)); n != 0 {
				t.Errorf("event %s has %d deliveries to the eu endpoint, want none", id, n)
			}
		}
		if got := onEU.requests()[0].header.Get("webhook-id"); got != eu {
			t.Errorf("the eu endpoint got %s, want %s", got, eu)
		}

		p := wantProblem(t, f.admin.do(t, "POST", "/v1/tenants/"+ten+"/events",
			map[string]any{"type": typeCreated, "data": map[string]any{}, "channels": []string{"not ok!"}}), 422)
		if !p.names("channels") {
			t.Errorf("bad channel: problem names %v, want channels", p.fields())
		}
		p = wantProblem(t, f.admin.do(t, "PATCH", "/v1/tenants/"+ten+"/endpoints/"+ep.ID, map[string]any{"channels": []string{"eu", "eu"}}), 422)
		if !p.names("channels") {
			t.Errorf("channel twice: problem names %v, want channels", p.fields())
		}
		f.admin.must(t, 200, "GET", "/v1/tenants/"+ten+"/endpoints/"+ep.ID, nil, &read)
		if !slices.Equal(read.Channels, []string{"eu"}) {
			t.Fatalf("a refused PATCH changed the channels to %v", read.Channels)
		}
	})
}

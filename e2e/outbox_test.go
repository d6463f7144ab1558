package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestOperationalEventsSurviveACrash: every disable, enable and failure has
// its operational event even when hookd is killed right after them, with
// the operator's receiver down (nothing delivered yet). The events commit
// with the changes they report; published after the commit, the ones still
// queued at the kill were lost.
func TestOperationalEventsSurviveACrash(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, c config) {
		const opsSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		const failing, manual, reenabled, events = 20, 20, 10, 5
		ops := newReceiver(t, 503) // down until the restart
		if c.db == "" {
			c.db = filepath.Join(t.TempDir(), "hookd.db")
		}
		c.extraArgs = append(c.extraArgs, "--operational-webhook-url", ops.URL+"/ops", "--operational-webhook-secret", opsSecret,
			"--retry-schedule", strings.TrimSuffix(strings.Repeat("1s,", 50), ","), "--lease-grace", "1s")
		f := newFixture(t, c)
		// An operational delivery in flight at the kill is claimable again
		// when its lease ends (on PostgreSQL; SQLite releases leases at
		// start-up): a short timeout keeps that wait short.
		var opsEndpoints list[endpoint]
		f.admin.must(t, 200, "GET", "/v1/tenants/_hookd/endpoints", nil, &opsEndpoints)
		if len(opsEndpoints.Data) != 1 {
			t.Fatalf("operational tenant has %d endpoints, want 1", len(opsEndpoints.Data))
		}
		f.admin.must(t, 200, "PATCH", "/v1/tenants/_hookd/endpoints/"+opsEndpoints.Data[0].ID, map[string]any{"timeout_seconds": 1}, nil)

		// Manual disables and enables, each answered.
		calm := f.tenant()
		rcv := newReceiver(t, 200)
		var manualIDs []string
		for range manual {
			ep, _ := f.endpoint(calm, rcv.URL, nil)
			f.admin.must(t, 200, "POST", "/v1/tenants/"+calm+"/endpoints/"+ep.ID+"/disable", nil, nil)
			manualIDs = append(manualIDs, ep.ID)
		}
		for _, id := range manualIDs[:reenabled] {
			f.admin.must(t, 200, "POST", "/v1/tenants/"+calm+"/endpoints/"+id+"/enable", nil, nil)
		}

		// Failures for good and the auto-disables they cause, all at once.
		noisy := f.tenant()
		down := newReceiver(t, 500)
		for range failing {
			f.endpoint(noisy, down.URL, map[string]any{"retry_schedule": []string{}})
		}
		batch := make([]map[string]any, events)
		for i := range batch {
			batch[i] = map[string]any{"type": typeCreated, "data": map[string]any{"i": i}}
		}
		f.admin.must(t, 202, "POST", "/v1/tenants/"+noisy+"/events/batch", map[string]any{"events": batch}, nil)
		deadline := time.Now().Add(30 * time.Second)
		for {
			var eps list[endpoint]
			f.admin.must(t, 200, "GET", "/v1/tenants/"+noisy+"/endpoints?limit=100", nil, &eps)
			n := 0
			for _, e := range eps.Data {
				if e.Status == "disabled" {
					n++
				}
			}
			if n == failing {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d endpoints disabled after 30s", n, failing)
			}
		}
		f.h.kill()
		if got := len(ops.requests()); got > 0 {
			t.Logf("%d operational requests reached the receiver (answered 503) before the kill", got)
		}

		ops.status.Store(200)
		h := startHookd(t, c)
		f.h, f.admin = h, h.admin()

		// What happened, as the store says after the restart.
		want := map[string]int{} // type + " " + subject
		for _, id := range manualIDs {
			want["endpoint.disabled manual "+id]++
		}
		for _, id := range manualIDs[:reenabled] {
			want["endpoint.enabled "+id]++
		}
		var eps list[endpoint]
		f.admin.must(t, 200, "GET", "/v1/tenants/"+noisy+"/endpoints?limit=100", nil, &eps)
		for _, e := range eps.Data {
			if e.Status != "disabled" || e.DisabledReason != "auto" {
				t.Errorf("endpoint %s: %s (%q) after the restart, want disabled (auto)", e.ID, e.Status, e.DisabledReason)
			}
			want["endpoint.disabled auto "+e.ID]++
		}
		failed := f.deliveries(noisy, "?status=failed&limit=1000")
		for _, d := range failed {
			want["delivery.failed "+d.ID]++
		}
		if len(failed) < failing*5 {
			t.Errorf("%d deliveries failed, want at least %d (five per endpoint disabled)", len(failed), failing*5)
		}

		got := map[string]int{}
		eventually(t, 60*time.Second, func() (bool, string) {
			clear(got)
			seen := map[string]bool{}
			for _, r := range ops.requests() {
				id := r.header.Get("webhook-id")
				if seen[id] {
					continue // sent again after the kill: one event
				}
				seen[id] = true
				got[opSubject(t, r)]++
			}
			var missing []string
			for k := range want {
				if got[k] == 0 {
					missing = append(missing, k)
				}
			}
			slices.Sort(missing)
			return len(missing) == 0, fmt.Sprintf("%d of %d operational events never arrived, e.g. %v",
				len(missing), len(want), missing[:min(5, len(missing))])
		})
		quiet(time.Second) // for any event that should not exist
		clear(got)
		seen := map[string]bool{}
		for _, r := range ops.requests() {
			if err := officialVerify(t, opsSecret, r); err != nil {
				t.Fatalf("operational event not signed with the configured secret: %v", err)
			}
			if id := r.header.Get("webhook-id"); !seen[id] {
				seen[id] = true
				got[opSubject(t, r)]++
			}
		}
		if d := diffCounts(want, got); d != "" {
			t.Errorf("operational events, one per change: %s", d)
		}
		t.Logf("%d operational events, every one delivered after the kill", len(seen))
	})
}

// opSubject names an operational event by its type and what it is about.
func opSubject(t testing.TB, r received) string {
	t.Helper()
	var body struct {
		Type string `json:"type"`
		Data struct {
			EndpointID string `json:"endpoint_id"`
			DeliveryID string `json:"delivery_id"`
			Reason     string `json:"reason"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("operational event body %q: %v", r.body, err)
	}
	switch body.Type {
	case "delivery.failed":
		return body.Type + " " + body.Data.DeliveryID
	case "endpoint.disabled":
		return body.Type + " " + body.Data.Reason + " " + body.Data.EndpointID
	}
	return body.Type + " " + body.Data.EndpointID
}

// diffCounts lists the keys whose counts differ, "" when none do.
func diffCounts(want, got map[string]int) string {
	var out []string
	for k, n := range want {
		if got[k] != n {
			out = append(out, fmt.Sprintf("%s: %d, want %d", k, got[k], n))
		}
	}
	for k, n := range got {
		if _, ok := want[k]; !ok {
			out = append(out, fmt.Sprintf("%s: %d, want none", k, n))
		}
	}
	slices.Sort(out)
	return strings.Join(out, "; ")
}

package storetest

import (
	"strings"
	"time"

	"github.com/hookd/hookd"
)

// local makes the endpoint a hookd listen session's.
func local(live bool) epOpt {
	return func(e *hookd.Endpoint) {
		e.Kind, e.Live, e.URL = hookd.KindLocal, live, "hookd-listen://"+strings.ReplaceAll(e.Name, " ", "-")
	}
}

var localSessionTests = []testCase{
	{"ListedApartAndNotCounted", func(f *fixture) {
		ten, hook := f.tenantWithEndpoint()
		quiet := f.endpoint(ten.ID, local(false))
		live := f.endpoint(ten.ID, local(true))
		if hook.Kind != hookd.KindWebhook {
			f.Errorf("CreateEndpoint without a kind set Kind %q, want %q", hook.Kind, hookd.KindWebhook)
		}
		eps, err := f.s.Endpoints(f.ctx, ten.ID, hookd.Page{Limit: 10})
		f.must(err, "Endpoints")
		if len(eps) != 1 || eps[0].ID != hook.ID {
			f.Errorf("Endpoints listed %d endpoints, want only the webhook %s", len(eps), hook.ID)
		}
		n, err := f.s.CountEndpoints(f.ctx, ten.ID)
		f.must(err, "CountEndpoints")
		if n != 1 {
			f.Errorf("CountEndpoints = %d, want 1: local sessions do not count", n)
		}
		sessions, err := f.s.LocalSessions(f.ctx, ten.ID, 10)
		f.must(err, "LocalSessions")
		f.diff("LocalSessions, newest first", []*hookd.Endpoint{live, quiet}, sessions)
		f.diff("Endpoint of a local session", quiet, f.getEndpoint(ten.ID, quiet.ID))
		if one, err := f.s.LocalSessions(f.ctx, ten.ID, 1); err != nil || len(one) != 1 {
			f.Errorf("LocalSessions with limit 1: %d sessions, %v", len(one), err)
		}
		other := f.tenant()
		if none, err := f.s.LocalSessions(f.ctx, other.ID, 10); err != nil || len(none) != 0 {
			f.Errorf("LocalSessions of another tenant: %d sessions, %v; want none", len(none), err)
		}
	}},
	{"TestEventsOnlyUnlessLive", func(f *fixture) {
		ten, hook := f.tenantWithEndpoint()
		quiet := f.endpoint(ten.ID, local(false))
		live := f.endpoint(ten.ID, local(true))
		res := f.publish(ten.ID, f.newEvent(typeCreated))
		if res[0].Deliveries != 2 {
			f.Errorf("a published event made %d deliveries, want 2 (the webhook and the live session)", res[0].Deliveries)
		}
		for _, d := range f.deliveries(hookd.DeliveryFilter{TenantID: ten.ID}) {
			if d.EndpointID == quiet.ID {
				f.Errorf("a local session without live got published event %s", d.EventID)
			}
		}
		f.deliveryOf(ten.ID, res[0].ID, hook.ID)
		f.deliveryOf(ten.ID, res[0].ID, live.ID)
		d := f.testEvent(ten.ID, quiet.ID)
		if d.EndpointID != quiet.ID || d.Status != hookd.StatusPending {
			f.Errorf("test event to the quiet session: endpoint %s, status %s", d.EndpointID, d.Status)
		}
	}},
}

var cliTokenTests = []testCase{
	{"ExpiryKept", func(f *fixture) {
		ten := f.tenant()
		k := f.apiKey(hookd.RoleDeveloper, ten.ID)
		if k.ExpiresAt != nil {
			f.Errorf("a key made without an expiry has ExpiresAt %v", k.ExpiresAt)
		}
		until := f.at(24*time.Hour + 123456789*time.Nanosecond)
		expiring := &hookd.APIKey{Name: "cli", Role: hookd.RoleDeveloper, TenantID: ten.ID, Prefix: "hk_cli", Hash: []byte("a hash of 32 bytes for the test.")}
		expiring.ExpiresAt = &until
		f.must(f.s.CreateAPIKey(f.ctx, expiring), "CreateAPIKey with an expiry")
		got, err := f.s.APIKeyByHash(f.ctx, expiring.Hash)
		f.must(err, "APIKeyByHash")
		f.diff("APIKeyByHash of an expiring key", expiring, got, ignoreFields("LastUsedAt"))
		if got.ExpiresAt == nil || got.ExpiresAt.Sub(until).Abs() > time.Millisecond {
			f.Errorf("ExpiresAt read back as %v, want %v", got.ExpiresAt, until)
		}
		if !got.Expired(until) || got.Expired(until.Add(-time.Second)) {
			f.Errorf("Expired does not turn at ExpiresAt")
		}
	}},
}

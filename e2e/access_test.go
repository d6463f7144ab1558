package e2e

import (
	"testing"
	"time"
)

func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})
	const a, b = "tenant-a", "tenant-b"
	for _, id := range []string{a, b} {
		f.admin.must(t, 201, "POST", "/v1/tenants", map[string]any{"id": id, "name": id}, nil)
	}
	rcvA, rcvB := newReceiver(t, 200), newReceiver(t, 200)
	epA, _ := f.endpoint(a, rcvA.URL, nil)
	epB, _ := f.endpoint(b, rcvB.URL, nil)
	evA := f.publish(a, typeCreated, `{"who":"a"}`)
	evB := f.publish(b, typeCreated, `{"who":"b"}`)
	dlvA := f.waitStatus(a, f.deliveryOf(a, evA.ID).ID, "delivered")
	dlvB := f.waitStatus(b, f.deliveryOf(b, evB.ID).ID, "delivered")

	newKey := func(t *testing.T, role, tenant string) createdKey {
		t.Helper()
		var k createdKey
		f.admin.must(t, 201, "POST", "/v1/api-keys", map[string]any{"name": role + " of " + tenant, "role": role, "tenant": tenant}, &k)
		if k.Key == "" || k.APIKey.Role != role || k.APIKey.scope() != tenant {
			t.Fatalf("created key = %+v", k)
		}
		return k
	}
	viewerKey := newKey(t, "viewer", a)
	viewer := f.h.client(viewerKey.Key)
	publisher := f.h.client(newKey(t, "publisher", a).Key)
	scopedAdmin := f.h.client(newKey(t, "admin", a).Key)

	t.Run("403 on tenant B's routes", func(t *testing.T) {
		for _, c := range []*apiClient{viewer, publisher, scopedAdmin} {
			for _, path := range []string{
				"/v1/tenants/" + b,
				"/v1/tenants/" + b + "/endpoints",
				"/v1/tenants/" + b + "/endpoints/" + epB.ID,
				"/v1/tenants/" + b + "/deliveries",
				"/v1/tenants/" + b + "/deliveries/" + dlvB.ID,
				"/v1/tenants/" + b + "/events/" + evB.ID,
			} {
				wantProblem(t, c.do(t, "GET", path, nil), 403)
			}
			wantProblem(t, c.do(t, "POST", "/v1/tenants/"+b+"/events", map[string]any{"type": typeCreated, "data": map[string]any{}}), 403)
			wantProblem(t, c.do(t, "POST", "/v1/tenants/"+b+"/deliveries/"+dlvB.ID+"/replay", nil), 403)
		}
		wantProblem(t, scopedAdmin.do(t, "PATCH", "/v1/tenants/"+b+"/endpoints/"+epB.ID, map[string]any{"name": "taken"}), 403)
		wantProblem(t, scopedAdmin.do(t, "DELETE", "/v1/tenants/"+b, nil), 403)
		wantProblem(t, scopedAdmin.do(t, "POST", "/v1/api-keys", map[string]any{"name": "x", "role": "admin", "tenant": b}), 403)
	})

	t.Run("404 for B's ids under A's path", func(t *testing.T) {
		f := f.in(t)
		for _, c := range []*apiClient{viewer, scopedAdmin} {
			wantProblem(t, c.do(t, "GET", "/v1/tenants/"+a+"/endpoints/"+epB.ID, nil), 404)
			wantProblem(t, c.do(t, "GET", "/v1/tenants/"+a+"/deliveries/"+dlvB.ID, nil), 404)
			wantProblem(t, c.do(t, "GET", "/v1/tenants/"+a+"/events/"+evB.ID, nil), 404)
		}
		wantProblem(t, scopedAdmin.do(t, "POST", "/v1/tenants/"+a+"/deliveries/"+dlvB.ID+"/replay", nil), 404)
		wantProblem(t, scopedAdmin.do(t, "PATCH", "/v1/tenants/"+a+"/endpoints/"+epB.ID, map[string]any{"name": "taken"}), 404)
		wantProblem(t, scopedAdmin.do(t, "POST", "/v1/tenants/"+a+"/endpoints/"+epB.ID+"/disable", nil), 404)
		wantProblem(t, scopedAdmin.do(t, "DELETE", "/v1/tenants/"+a+"/endpoints/"+epB.ID, nil), 404)
		wantProblem(t, scopedAdmin.do(t, "POST", "/v1/tenants/"+a+"/endpoints/"+epB.ID+"/test", map[string]any{"event_type": typeCreated}), 404)
		if e := f.getEndpoint(b, epB.ID); e.Status != "active" {
			t.Errorf("tenant B's endpoint is %q after A's attempts, want untouched", e.Status)
		}
		quiet(300 * time.Millisecond)
		if n := len(rcvB.requests()); n != 1 {
			t.Errorf("tenant B's receiver got %d requests, want only B's one event", n)
		}
	})

	t.Run("lists show tenant A only", func(t *testing.T) {
		var ts list[tenant]
		viewer.must(t, 200, "GET", "/v1/tenants", nil, &ts)
		if len(ts.Data) != 1 || ts.Data[0].ID != a {
			t.Errorf("viewer of A lists tenants %+v, want only %s", ts.Data, a)
		}
		var eps list[endpoint]
		viewer.must(t, 200, "GET", "/v1/tenants/"+a+"/endpoints", nil, &eps)
		if len(eps.Data) != 1 || eps.Data[0].ID != epA.ID {
			t.Errorf("viewer of A lists endpoints %+v, want only %s", eps.Data, epA.ID)
		}
		var ds list[delivery]
		viewer.must(t, 200, "GET", "/v1/tenants/"+a+"/deliveries", nil, &ds)
		if len(ds.Data) != 1 || ds.Data[0].ID != dlvA.ID {
			t.Errorf("viewer of A lists deliveries %+v, want only %s", ds.Data, dlvA.ID)
		}
		var keys list[apiKey]
		scopedAdmin.must(t, 200, "GET", "/v1/api-keys", nil, &keys)
		for _, k := range keys.Data {
			if k.scope() != a {
				t.Errorf("admin of A lists key %+v of another scope", k)
			}
		}
	})

	t.Run("roles", func(t *testing.T) {
		f := f.in(t)
		publish := map[string]any{"type": typeCreated, "data": map[string]any{"by": "publisher"}}
		wantProblem(t, viewer.do(t, "POST", "/v1/tenants/"+a+"/events", publish), 403)
		wantProblem(t, viewer.do(t, "POST", "/v1/tenants/"+a+"/endpoints", map[string]any{"name": "x", "url": rcvA.URL}), 403)
		wantProblem(t, viewer.do(t, "POST", "/v1/tenants/"+a+"/deliveries/"+dlvA.ID+"/replay", nil), 403)
		wantProblem(t, viewer.do(t, "POST", "/v1/api-keys", map[string]any{"name": "x", "role": "admin"}), 403)

		var ev publishResult
		publisher.must(t, 202, "POST", "/v1/tenants/"+a+"/events", publish, &ev)
		wantProblem(t, publisher.do(t, "GET", "/v1/tenants/"+a+"/endpoints", nil), 403)
		wantProblem(t, publisher.do(t, "GET", "/v1/tenants/"+a+"/events/"+ev.ID, nil), 403)
		wantProblem(t, publisher.do(t, "GET", "/v1/tenants", nil), 403)
		f.waitStatus(a, f.deliveryOf(a, ev.ID).ID, "delivered")
	})

	t.Run("keys of other scopes are invisible", func(t *testing.T) {
		keyOfB := newKey(t, "viewer", b)
		wantProblem(t, scopedAdmin.do(t, "GET", "/v1/api-keys/"+keyOfB.APIKey.ID, nil), 404)
		wantProblem(t, viewer.do(t, "GET", "/v1/api-keys/"+keyOfB.APIKey.ID, nil), 404)
		viewer.must(t, 200, "GET", "/v1/api-keys/"+viewerKey.APIKey.ID, nil, nil)
	})

	// SPEC: admin may do everything, including managing keys; createAPIKey
	// and visibleKey scope what a tenant's admin may do with keys.
	t.Run("a tenant's admin manages its tenant's keys", func(t *testing.T) {
		r := scopedAdmin.do(t, "POST", "/v1/api-keys", map[string]any{"name": "made by A's admin", "role": "viewer"})
		if r.status != 201 {
			t.Fatalf("admin scoped to A creating a viewer key for A: status %d, want 201; body %s", r.status, r.body)
		}
		var k createdKey
		r.decode(t, &k)
		if k.APIKey.scope() != a {
			t.Errorf("key made by A's admin has scope %q, want %s", k.APIKey.scope(), a)
		}
		scopedAdmin.must(t, 204, "DELETE", "/v1/api-keys/"+k.APIKey.ID, nil, nil)
	})

	t.Run("unknown, missing and deleted keys", func(t *testing.T) {
		f := f.in(t)
		wantProblem(t, f.h.client("hk_not-a-real-key-at-all-000000000").do(t, "GET", "/v1/tenants", nil), 401)
		wantProblem(t, f.h.client("").do(t, "GET", "/v1/tenants", nil), 401)
		wantProblem(t, f.h.client("").do(t, "POST", "/v1/tenants/"+a+"/events", map[string]any{"type": typeCreated, "data": map[string]any{}}), 401)

		doomed := newKey(t, "viewer", a)
		c := f.h.client(doomed.Key)
		c.must(t, 200, "GET", "/v1/tenants/"+a, nil, nil)
		f.admin.must(t, 204, "DELETE", "/v1/api-keys/"+doomed.APIKey.ID, nil, nil)
		wantProblem(t, c.do(t, "GET", "/v1/tenants/"+a, nil), 401)
	})
}

package storetest

import (
	"strings"
	"time"

	"github.com/hookd/hookd"
)

var endpointTests = []testCase{
	{"UIDsAreUniquePerTenant", func(f *fixture) {
		a, b := f.tenant(), f.tenant()
		billing := f.endpoint(a.ID, withUID("billing"))
		got, err := f.s.EndpointByUID(f.ctx, a.ID, "billing")
		f.must(err, "EndpointByUID")
		if got.ID != billing.ID || got.UID != "billing" {
			f.Errorf("EndpointByUID = %s (uid %q), want %s", got.ID, got.UID, billing.ID)
		}
		_, err = f.s.EndpointByUID(f.ctx, b.ID, "billing")
		f.wantCode(err, hookd.ENOTFOUND, "EndpointByUID in another tenant")
		f.endpoint(b.ID, withUID("billing")) // another tenant may use it

		twin := f.endpointSpec(a.ID, withUID("billing"))
		f.wantCode(f.s.CreateEndpoint(f.ctx, twin, "whsec_c2VjcmV0LW51bWJlci0wMDAxLXBhZGRpbmc="), hookd.ECONFLICT, "CreateEndpoint with a taken uid")
		if n, err := f.s.CountEndpoints(f.ctx, a.ID); err != nil || n != 1 {
			f.Errorf("after the refused create the tenant has %d endpoints (%v), want 1", n, err)
		}
		other := f.endpoint(a.ID)
		_, err = f.s.UpdateEndpoint(f.ctx, a.ID, other.ID, hookd.EndpointUpdate{UID: new("billing"), Name: new("renamed")})
		f.wantCode(err, hookd.ECONFLICT, "UpdateEndpoint to a taken uid")
		if e := f.getEndpoint(a.ID, other.ID); e.UID != "" || e.Name == "renamed" {
			f.Errorf("a refused update changed the endpoint: uid %q, name %q", e.UID, e.Name)
		}
		_, err = f.s.UpdateEndpoint(f.ctx, a.ID, billing.ID, hookd.EndpointUpdate{UID: new("")})
		f.must(err, "UpdateEndpoint clearing the uid")
		_, err = f.s.EndpointByUID(f.ctx, a.ID, "billing")
		f.wantCode(err, hookd.ENOTFOUND, "EndpointByUID after the uid was cleared")
		_, err = f.s.UpdateEndpoint(f.ctx, a.ID, other.ID, hookd.EndpointUpdate{UID: new("billing")})
		f.must(err, "UpdateEndpoint to the freed uid")
	}},
	{"DeleteByURLPrefix", func(f *fixture) {
		a, b := f.tenant(), f.tenant()
		keep := f.endpoint(a.ID)
		gone := []*hookd.Endpoint{
			f.endpoint(a.ID, func(e *hookd.Endpoint) { e.URL = "hookd-listen://one" }),
			f.endpoint(b.ID, func(e *hookd.Endpoint) { e.URL = "hookd-listen://two" }),
		}
		n, err := f.s.DeleteEndpointsByURLPrefix(f.ctx, "hookd-listen://")
		f.must(err, "DeleteEndpointsByURLPrefix")
		if n != 2 {
			f.Errorf("DeleteEndpointsByURLPrefix removed %d endpoints, want 2", n)
		}
		for _, e := range gone {
			_, err := f.s.Endpoint(f.ctx, e.TenantID, e.ID)
			f.wantCode(err, hookd.ENOTFOUND, "Endpoint after DeleteEndpointsByURLPrefix")
		}
		f.getEndpoint(a.ID, keep.ID)
	}},
	{"CreateRoundTrip", func(f *fixture) {
		ten := f.tenant()
		ep := f.endpoint(ten.ID,
			subscribe(typeCreated, typeFailed),
			withHeaders(map[string]string{"Authorization": "Bearer s3cr3t-token", "X-Api-Key": "k-123"}),
			withSchedule(time.Minute, 5*time.Minute, 15*time.Minute),
			withTimeout(12*time.Second),
			withMaxInFlight(7),
			func(e *hookd.Endpoint) { e.Description = "CRM sync, production" },
		)
		if !strings.HasPrefix(ep.ID, "ep_") {
			f.Errorf("endpoint id %q does not start with ep_", ep.ID)
		}
		if ep.CreatedAt.IsZero() {
			f.Errorf("CreateEndpoint left CreatedAt unset")
		}
		got := f.getEndpoint(ten.ID, ep.ID)
		f.diff("Endpoint", ep, got, ignoreUpdatedAt)
		if got.UpdatedAt.IsZero() {
			f.Errorf("Endpoint has no UpdatedAt")
		}
	}},
	{"DefaultsRoundTrip", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint(withTimeout(0))
		got := f.getEndpoint(ten.ID, ep.ID)
		f.diff("Endpoint", ep, got, ignoreUpdatedAt)
		if got.RetrySchedule != nil {
			f.Errorf("RetrySchedule = %v, want nil (the deployment default)", got.RetrySchedule)
		}
		if got.FailureCount != 0 || got.LastSuccessAt != nil || got.LastFailureAt != nil {
			f.Errorf("new endpoint has counters: failures %d, last success %v, last failure %v",
				got.FailureCount, got.LastSuccessAt, got.LastFailureAt)
		}
	}},
	{"CreatedDisabled", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint(disabled())
		got := f.getEndpoint(ten.ID, ep.ID)
		if got.Enabled || got.DisabledReason != hookd.DisabledManual {
			f.Errorf("endpoint created disabled reads back Enabled=%v, DisabledReason=%q; want false, %q",
				got.Enabled, got.DisabledReason, hookd.DisabledManual)
		}
	}},
	{"SubscribedTypesMustExist", func(f *fixture) {
		ten := f.tenant()
		f.ensureCatalog()
		err := f.s.CreateEndpoint(f.ctx, f.endpointSpec(ten.ID, subscribe(typeCreated, typeUnknown)), "whsec_x")
		f.wantCode(err, hookd.EINVALID, "CreateEndpoint subscribed to an unknown type")
		if n, err := f.s.CountEndpoints(f.ctx, ten.ID); err != nil || n != 0 {
			f.Errorf("CountEndpoints after a rejected create = %d, %v; want 0", n, err)
		}
	}},
	{"UnknownTenantNotFound", func(f *fixture) {
		f.ensureCatalog()
		err := f.s.CreateEndpoint(f.ctx, f.endpointSpec("ten_missing"), "whsec_x")
		f.wantCode(err, hookd.ENOTFOUND, "CreateEndpoint for an unknown tenant")
	}},
	{"ListNewestFirstPagedAndCounted", func(f *fixture) {
		ten := f.tenant()
		var created []string
		for range 5 {
			created = append(created, f.endpoint(ten.ID).ID)
			tick()
		}
		f.endpoint(f.tenant().ID) // another tenant's
		got := pages(f, 2, func(p hookd.Page) ([]*hookd.Endpoint, error) { return f.s.Endpoints(f.ctx, ten.ID, p) },
			func(e *hookd.Endpoint) string { return e.ID })
		f.diff("Endpoints, pages of 2", reversed(created), got)
		n, err := f.s.CountEndpoints(f.ctx, ten.ID)
		f.must(err, "CountEndpoints")
		if n != 5 {
			f.Errorf("CountEndpoints = %d, want 5", n)
		}
	}},
	{"UpdateChangesOnlyGivenFields", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint(
			withHeaders(map[string]string{"X-Api-Key": "k-1"}),
			withSchedule(time.Minute, time.Hour),
		)
		name := "Renamed endpoint"
		got, err := f.s.UpdateEndpoint(f.ctx, ten.ID, ep.ID, hookd.EndpointUpdate{Name: &name})
		f.must(err, "UpdateEndpoint")
		want := *ep
		want.Name = name
		f.diff("UpdateEndpoint result", &want, got, ignoreUpdatedAt)
		f.diff("Endpoint after update", &want, f.getEndpoint(ten.ID, ep.ID), ignoreUpdatedAt)
	}},
	{"UpdateEveryField", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint()
		u := hookd.EndpointUpdate{
			Name:          ptr("New name"),
			Description:   ptr("New description"),
			URL:           ptr("https://new.example.com/in"),
			EventTypes:    ptr([]string{typeFailed}),
			Headers:       ptr(map[string]string{"Authorization": "Basic abc"}),
			RetrySchedule: ptr(hookd.Schedule{10 * time.Second, time.Minute}),
			Timeout:       ptr(20 * time.Second),
			MaxInFlight:   ptr(3),
		}
		got, err := f.s.UpdateEndpoint(f.ctx, ten.ID, ep.ID, u)
		f.must(err, "UpdateEndpoint")
		want := *ep
		want.Name, want.Description, want.URL = *u.Name, *u.Description, *u.URL
		want.EventTypes, want.Headers, want.RetrySchedule = *u.EventTypes, *u.Headers, *u.RetrySchedule
		want.Timeout, want.MaxInFlight = *u.Timeout, *u.MaxInFlight
		f.diff("UpdateEndpoint result", &want, got, ignoreUpdatedAt)
		f.diff("Endpoint after update", &want, f.getEndpoint(ten.ID, ep.ID), ignoreUpdatedAt)
	}},
	{"RetryScheduleNilVersusEmpty", func(f *fixture) {
		// nil is the deployment default; empty is a schedule of its own: one
		// attempt, no retries. Both survive create, update and claim.
		ten := f.tenant()
		ep := f.endpoint(ten.ID, func(e *hookd.Endpoint) { e.RetrySchedule = hookd.Schedule{} })
		f.wantSchedule(ten.ID, ep.ID, false, "created with no retries")
		update := func(s hookd.Schedule) {
			f.Helper()
			got, err := f.s.UpdateEndpoint(f.ctx, ten.ID, ep.ID, hookd.EndpointUpdate{RetrySchedule: &s})
			f.must(err, "UpdateEndpoint")
			if (got.RetrySchedule == nil) != (s == nil) || len(got.RetrySchedule) != len(s) {
				f.Errorf("UpdateEndpoint to %#v returned RetrySchedule %#v", s, got.RetrySchedule)
			}
		}
		update(nil)
		f.wantSchedule(ten.ID, ep.ID, true, "updated to nil")
		update(hookd.Schedule{})
		f.wantSchedule(ten.ID, ep.ID, false, "updated to empty")
	}},
	{"UpdateToUnknownTypeInvalid", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint(subscribe(typeCreated))
		_, err := f.s.UpdateEndpoint(f.ctx, ten.ID, ep.ID, hookd.EndpointUpdate{
			Name: ptr("must not stick"), EventTypes: ptr([]string{typeUnknown}),
		})
		f.wantCode(err, hookd.EINVALID, "UpdateEndpoint to an unknown type")
		f.diff("Endpoint after a rejected update", ep, f.getEndpoint(ten.ID, ep.ID), ignoreUpdatedAt)
	}},
	{"UpdateUnknownNotFound", func(f *fixture) {
		ten := f.tenant()
		_, err := f.s.UpdateEndpoint(f.ctx, ten.ID, "ep_missing", hookd.EndpointUpdate{Name: ptr("x")})
		f.wantCode(err, hookd.ENOTFOUND, "UpdateEndpoint")
	}},
	{"Delete", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint()
		keep := f.endpoint(ten.ID, subscribe(typeFailed))
		f.publishType(ten.ID, typeCreated) // a pending delivery to ep only
		f.must(f.s.DeleteEndpoint(f.ctx, ten.ID, ep.ID), "DeleteEndpoint")
		_, err := f.s.Endpoint(f.ctx, ten.ID, ep.ID)
		f.wantCode(err, hookd.ENOTFOUND, "Endpoint after delete")
		f.wantCode(f.s.DeleteEndpoint(f.ctx, ten.ID, ep.ID), hookd.ENOTFOUND, "DeleteEndpoint twice")
		if n, err := f.s.CountEndpoints(f.ctx, ten.ID); err != nil || n != 1 {
			f.Errorf("CountEndpoints after delete = %d, %v; want 1", n, err)
		}
		f.getEndpoint(ten.ID, keep.ID)
		f.claimNone(f.at(time.Hour), "the only delivery's endpoint was deleted")
	}},
	{"Secrets", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint()
		got, err := f.s.Secrets(f.ctx, ten.ID, ep.ID)
		f.must(err, "Secrets")
		f.diff("Secrets", []string{f.secrets[ep.ID]}, got)
		_, err = f.s.Secrets(f.ctx, ten.ID, "ep_missing")
		f.wantCode(err, hookd.ENOTFOUND, "Secrets of an unknown endpoint")
	}},
	{"RotateSecret", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint()
		first := f.secrets[ep.ID]
		wantSecrets := func(what string, want ...string) {
			f.Helper()
			got, err := f.s.Secrets(f.ctx, ten.ID, ep.ID)
			f.must(err, "Secrets")
			f.diff("Secrets "+what, want, got)
		}
		f.must(f.s.RotateSecret(f.ctx, ten.ID, ep.ID, "whsec_c2Vjb25kLXNlY3JldC1mb3ItdGVzdHM=", time.Hour), "RotateSecret")
		wantSecrets("during the overlap, newest first", "whsec_c2Vjb25kLXNlY3JldC1mb3ItdGVzdHM=", first)
		f.publishType(ten.ID, typeCreated)
		f.diff("Job.Secrets", []string{"whsec_c2Vjb25kLXNlY3JldC1mb3ItdGVzdHM=", first}, f.claimOne(f.at(time.Minute)).Secrets)

		f.must(f.s.RotateSecret(f.ctx, ten.ID, ep.ID, "whsec_dGhpcmQtc2VjcmV0LWZvci10ZXN0cw==", 0), "RotateSecret")
		wantSecrets("after a rotation without overlap", "whsec_dGhpcmQtc2VjcmV0LWZvci10ZXN0cw==")

		f.must(f.s.RotateSecret(f.ctx, ten.ID, ep.ID, "whsec_Zm91cnRoLXNlY3JldC1mb3ItdGVzdHM=", 30*time.Millisecond), "RotateSecret")
		time.Sleep(100 * time.Millisecond)
		wantSecrets("after the overlap ran out", "whsec_Zm91cnRoLXNlY3JldC1mb3ItdGVzdHM=")

		f.wantCode(f.s.RotateSecret(f.ctx, ten.ID, "ep_missing", "whsec_x", 0), hookd.ENOTFOUND, "RotateSecret of an unknown endpoint")
	}},
	{"SignatureScheme", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint(func(e *hookd.Endpoint) { e.SignatureScheme = "timestamped" })
		if got := f.getEndpoint(ten.ID, ep.ID).SignatureScheme; got != "timestamped" {
			f.Errorf("SignatureScheme = %q, want timestamped", got)
		}
		f.publishType(ten.ID, typeCreated)
		if got := f.claimOne(f.at(time.Minute)).SignatureScheme; got != "timestamped" {
			f.Errorf("Job.SignatureScheme = %q, want timestamped", got)
		}
		for _, scheme := range []string{"body", ""} {
			got, err := f.s.UpdateEndpoint(f.ctx, ten.ID, ep.ID, hookd.EndpointUpdate{SignatureScheme: ptr(scheme)})
			f.must(err, "UpdateEndpoint")
			if got.SignatureScheme != scheme || f.getEndpoint(ten.ID, ep.ID).SignatureScheme != scheme {
				f.Errorf("SignatureScheme after updating it to %q = %q", scheme, got.SignatureScheme)
			}
		}
	}},
	{"UnknownNotFound", func(f *fixture) {
		ten := f.tenant()
		_, err := f.s.Endpoint(f.ctx, ten.ID, "ep_missing")
		f.wantCode(err, hookd.ENOTFOUND, "Endpoint")
		f.wantCode(f.s.DeleteEndpoint(f.ctx, ten.ID, "ep_missing"), hookd.ENOTFOUND, "DeleteEndpoint")
	}},
}

func ptr[T any](v T) *T { return &v }

// wantSchedule checks that an endpoint's retry schedule, read back and in a
// claimed job, is nil (wantNil) or empty but not nil.
func (f *fixture) wantSchedule(tenantID, endpointID string, wantNil bool, what string) {
	f.Helper()
	check := func(where string, s hookd.Schedule) {
		if wantNil && s != nil || !wantNil && (s == nil || len(s) != 0) {
			f.Errorf("%s: %s RetrySchedule = %#v, want nil=%v and empty", what, where, s, wantNil)
		}
	}
	check("Endpoint", f.getEndpoint(tenantID, endpointID).RetrySchedule)
	f.publishType(tenantID, typeCreated)
	j := f.claimOne(f.at(time.Minute))
	check("Job", j.RetrySchedule)
	f.succeed(j, f.at(time.Minute))
}

package storetest

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/opevents"
)

// RunOpEvents runs the outbox contract of operational events against stores
// made by open: a fresh, empty, migrated store that writes the events ops
// builds (nil: none). An event commits with the change it reports, or
// neither does.
func RunOpEvents(t *testing.T, open func(t *testing.T, ops hookd.OpEvents) hookd.Store) {
	for _, c := range opEventTests {
		t.Run(c.name, func(t *testing.T) {
			s := open(t, c.ops)
			if s == nil {
				t.Fatal("open returned a nil store")
			}
			c.fn(newFixture(t, s))
		})
	}
}

type opEventCase struct {
	name string
	ops  hookd.OpEvents
	fn   func(f *fixture)
}

// unlisted builds the real events under a type the catalogue lacks, so that
// writing them fails inside the store's transaction, after the change's own
// statements.
type unlisted struct{ opevents.Builder }

func (u unlisted) EndpointChanged(e *hookd.Endpoint, now time.Time) (hookd.NewEvent, bool, error) {
	ev, ok, err := u.Builder.EndpointChanged(e, now)
	ev.Type = typeUnknown
	return ev, ok, err
}

func (u unlisted) DeliveryFailed(r *hookd.AttemptResult, now time.Time) (hookd.NewEvent, bool, error) {
	ev, ok, err := u.Builder.DeliveryFailed(r, now)
	ev.Type = typeUnknown
	return ev, ok, err
}

// setUpOps creates the operational tenant, its catalogue and endpoint, as
// hookd does at start-up, and returns the endpoint.
func (f *fixture) setUpOps() *hookd.Endpoint {
	f.Helper()
	f.must(opevents.Setup(f.ctx, f.s, "https://ops.example.com/hookd", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", false), "opevents.Setup")
	eps, err := f.s.Endpoints(f.ctx, opevents.Tenant, hookd.Page{Limit: 10})
	f.must(err, "Endpoints of the operational tenant")
	if len(eps) != 1 {
		f.Fatalf("operational tenant has %d endpoints, want 1", len(eps))
	}
	return eps[0]
}

// opEvent is a stored operational event with its delivery.
type opEvent struct {
	Type     string
	Data     map[string]any
	Delivery *hookd.Delivery
}

// opEvents returns the operational tenant's events, checking that each is
// stored as a publish of it would be: the default envelope around its
// data, with one delivery.
func (f *fixture) opEvents() []opEvent {
	f.Helper()
	var out []opEvent
	for _, d := range f.deliveries(hookd.DeliveryFilter{TenantID: opevents.Tenant}) {
		ev, err := f.s.Event(f.ctx, opevents.Tenant, d.EventID)
		f.must(err, "Event")
		var env struct {
			ID, Type, Timestamp string
			Data                map[string]any
		}
		if err := json.Unmarshal(ev.Payload, &env); err != nil {
			f.Fatalf("operational event %s: payload %q: %v", ev.ID, ev.Payload, err)
		}
		if env.ID != ev.ID || env.Type != ev.Type || d.EventType != ev.Type || env.Timestamp == "" || ev.Test || ev.Deliveries != 1 {
			f.Errorf("operational event %+v with delivery %+v: envelope id %q type %q timestamp %q", ev, d, env.ID, env.Type, env.Timestamp)
		}
		out = append(out, opEvent{Type: ev.Type, Data: env.Data, Delivery: d})
	}
	return out
}

// opEventsOf returns the operational events of one type.
func (f *fixture) opEventsOf(eventType string) []opEvent {
	f.Helper()
	return slices.DeleteFunc(f.opEvents(), func(e opEvent) bool { return e.Type != eventType })
}

// wantOpEvents checks how many operational events are stored.
func (f *fixture) wantOpEvents(n int, what string) {
	f.Helper()
	if got := f.opEvents(); len(got) != n {
		f.Errorf("%s: %d operational events, want %d: %+v", what, len(got), n, got)
	}
}

// endpointData is the data of endpoint.disabled and endpoint.enabled about
// e, without its times (checked apart: they print at each store's precision).
func endpointData(e *hookd.Endpoint, reason string, failures int) map[string]any {
	d := map[string]any{"tenant_id": e.TenantID, "endpoint_id": e.ID, "endpoint_name": e.Name, "url": e.URL,
		"failure_count": float64(failures)}
	if reason != "" {
		d["reason"] = reason
	}
	return d
}

// withoutTimes checks data's last_failure_at against want (nil: absent) and
// returns the rest.
func (f *fixture) withoutTimes(data map[string]any, lastFailure *time.Time) map[string]any {
	f.Helper()
	rest := map[string]any{}
	for k, v := range data {
		rest[k] = v
	}
	raw, ok := rest["last_failure_at"].(string)
	delete(rest, "last_failure_at")
	delete(rest, "last_success_at")
	switch at, err := time.Parse(time.RFC3339Nano, raw); {
	case lastFailure == nil && ok:
		f.Errorf("last_failure_at %q, want none", raw)
	case lastFailure != nil && (err != nil || at.Sub(*lastFailure).Abs() > time.Millisecond):
		f.Errorf("last_failure_at %q, want %v", raw, *lastFailure)
	}
	return rest
}

// failedData is the data of delivery.failed about j's 503 (see result).
func failedData(j *hookd.Job) map[string]any {
	return map[string]any{"tenant_id": j.TenantID, "endpoint_id": j.EndpointID, "delivery_id": j.DeliveryID, "event_id": j.EventID,
		"event_type": j.EventType, "attempts": float64(j.Attempt), "last_status_code": float64(503), "last_error": "503 Service Unavailable"}
}

var opEventTests = []opEventCase{
	{"DisableAndEnableCommitWithTheirEvents", opevents.Builder{}, func(f *fixture) {
		opEp := f.setUpOps()
		ten, ep := f.tenantWithEndpoint()
		_, err := f.s.DisableEndpoint(f.ctx, ten.ID, ep.ID, hookd.DisabledManual)
		f.must(err, "DisableEndpoint")
		evs := f.opEvents()
		if len(evs) != 1 || evs[0].Type != opevents.EndpointDisabled {
			f.Fatalf("after a disable: operational events %+v, want one %s", evs, opevents.EndpointDisabled)
		}
		f.diff("endpoint.disabled data", endpointData(ep, hookd.DisabledManual, 0), f.withoutTimes(evs[0].Data, nil))
		if d := evs[0].Delivery; d.EndpointID != opEp.ID || d.Status != hookd.StatusPending {
			f.Errorf("endpoint.disabled delivery to %s, status %q; want to the operational endpoint %s, pending", d.EndpointID, d.Status, opEp.ID)
		}
		_, err = f.s.EnableEndpoint(f.ctx, ten.ID, ep.ID)
		f.must(err, "EnableEndpoint")
		enabled := f.opEventsOf(opevents.EndpointEnabled)
		if len(enabled) != 1 {
			f.Fatalf("after an enable: %d endpoint.enabled events, want 1", len(enabled))
		}
		f.diff("endpoint.enabled data", endpointData(ep, "", 0), f.withoutTimes(enabled[0].Data, nil))
		f.wantOpEvents(2, "after a disable and an enable")
	}},
	{"FailedForGoodAndAutoDisabledInOneRecord", opevents.Builder{}, func(f *fixture) {
		f.setUpOps()
		ten, ep := f.tenantWithEndpoint()
		for range hookd.AutoDisableAfter {
			f.publishType(ten.ID, typeCreated)
		}
		T := f.at(time.Minute)
		jobs := f.claimN(T, hookd.AutoDisableAfter)
		var rs []hookd.AttemptResult
		for _, j := range jobs {
			rs = append(rs, result(j, T, false, time.Time{}))
		}
		f.diff("disabled", []string{ep.ID}, f.record(rs...))

		failed := f.opEventsOf(opevents.DeliveryFailed)
		var got, want []map[string]any
		for _, e := range failed {
			got = append(got, e.Data)
		}
		for _, j := range jobs {
			want = append(want, failedData(j))
		}
		byDelivery := func(a, b map[string]any) int {
			return strings.Compare(a["delivery_id"].(string), b["delivery_id"].(string))
		}
		slices.SortFunc(got, byDelivery)
		slices.SortFunc(want, byDelivery)
		f.diff("delivery.failed data", want, got)
		disabled := f.opEventsOf(opevents.EndpointDisabled)
		if len(disabled) != 1 {
			f.Fatalf("%d endpoint.disabled events, want 1", len(disabled))
		}
		f.diff("endpoint.disabled data", endpointData(ep, hookd.DisabledAuto, hookd.AutoDisableAfter), f.withoutTimes(disabled[0].Data, &T))
		f.wantOpEvents(hookd.AutoDisableAfter+1, "after the fifth failure")
		// The same results again (a retried write whose first try committed)
		// are stale: they change nothing and report nothing.
		f.diff("disabled by the same results again", []string(nil), f.record(rs...))
		f.wantOpEvents(hookd.AutoDisableAfter+1, "after the same results again")
	}},
	{"GoneDisablesWithoutAFailure", opevents.Builder{}, func(f *fixture) {
		f.setUpOps()
		ten, ep := f.tenantWithEndpoint()
		f.publishType(ten.ID, typeCreated)
		T := f.at(time.Minute)
		r := result(f.claimOne(T), T, false, time.Time{})
		r.Outcome.Gone, r.Attempt.StatusCode = true, 410
		f.diff("disabled", []string{ep.ID}, f.record(r))
		evs := f.opEvents()
		if len(evs) != 1 || evs[0].Type != opevents.EndpointDisabled {
			f.Fatalf("after a 410: operational events %+v, want one %s", evs, opevents.EndpointDisabled)
		}
		f.diff("endpoint.disabled data", endpointData(ep, hookd.DisabledGone, 0), f.withoutTimes(evs[0].Data, &T))
	}},
	{"NothingForSuccessRetryStaleOrTest", opevents.Builder{}, func(f *fixture) {
		f.setUpOps()
		ten, ep := f.tenantWithEndpoint()
		for range 3 {
			f.publishType(ten.ID, typeCreated)
		}
		test := f.testEvent(ten.ID, ep.ID)
		T := f.at(time.Minute)
		jobs := f.claimN(T, 4)
		var rs []hookd.AttemptResult
		others := 0
		for _, j := range jobs {
			if j.DeliveryID == test.ID {
				rs = append(rs, result(j, T, false, time.Time{})) // a test delivery failing for good
				continue
			}
			switch others++; others {
			case 1:
				rs = append(rs, result(j, T, true, time.Time{}))
			case 2:
				rs = append(rs, result(j, T, false, f.at(time.Hour)))
			default:
				stale := *j
				stale.LeaseToken = "an earlier claim"
				rs = append(rs, result(&stale, T, false, time.Time{}))
			}
		}
		f.record(rs...)
		f.wantStatus(ten.ID, test.ID, hookd.StatusFailed)
		f.wantOpEvents(0, "after a success, a retry, a stale result and a failed test delivery")
	}},
	{"NothingAboutTheOperationalEndpoint", opevents.Builder{}, func(f *fixture) {
		opEp := f.setUpOps()
		ten, ep := f.tenantWithEndpoint()
		for range hookd.AutoDisableAfter {
			_, err := f.s.DisableEndpoint(f.ctx, ten.ID, ep.ID, hookd.DisabledManual)
			f.must(err, "DisableEndpoint")
		}
		f.wantOpEvents(hookd.AutoDisableAfter, "after five disables")
		// The operator's receiver fails them all: its endpoint is disabled,
		// and nothing reports on that.
		T := f.at(time.Minute)
		var rs []hookd.AttemptResult
		for _, j := range f.claimN(T, hookd.AutoDisableAfter) {
			rs = append(rs, result(j, T, false, time.Time{}))
		}
		f.diff("disabled", []string{opEp.ID}, f.record(rs...))
		_, err := f.s.EnableEndpoint(f.ctx, opevents.Tenant, opEp.ID)
		f.must(err, "EnableEndpoint")
		_, err = f.s.DisableEndpoint(f.ctx, opevents.Tenant, opEp.ID, hookd.DisabledManual)
		f.must(err, "DisableEndpoint")
		f.wantOpEvents(hookd.AutoDisableAfter, "after the operational endpoint failed, was disabled and enabled")
	}},
	{"WaitPausedWhileTheOperationalEndpointIsDisabled", opevents.Builder{}, func(f *fixture) {
		opEp := f.setUpOps()
		_, err := f.s.DisableEndpoint(f.ctx, opevents.Tenant, opEp.ID, hookd.DisabledManual)
		f.must(err, "DisableEndpoint")
		ten, ep := f.tenantWithEndpoint()
		_, err = f.s.DisableEndpoint(f.ctx, ten.ID, ep.ID, hookd.DisabledManual)
		f.must(err, "DisableEndpoint")
		evs := f.opEvents()
		if len(evs) != 1 || evs[0].Delivery.Status != hookd.StatusPaused {
			f.Fatalf("operational events %+v, want one, paused", evs)
		}
		_, err = f.s.EnableEndpoint(f.ctx, opevents.Tenant, opEp.ID)
		f.must(err, "EnableEndpoint")
		f.wantStatus(opevents.Tenant, evs[0].Delivery.ID, hookd.StatusPending)
	}},
	{"ChangeAndEventRollBackTogether", unlisted{}, func(f *fixture) {
		f.setUpOps()
		ten, ep := f.tenantWithEndpoint()
		waiting := f.deliveryOf(ten.ID, f.publishType(ten.ID, typeCreated), ep.ID)
		if _, err := f.s.DisableEndpoint(f.ctx, ten.ID, ep.ID, hookd.DisabledManual); err == nil {
			f.Fatal("DisableEndpoint succeeded although its event could not be written")
		}
		if e := f.getEndpoint(ten.ID, ep.ID); !e.Enabled {
			f.Errorf("endpoint disabled (%q) by a disable that failed", e.DisabledReason)
		}
		f.wantStatus(ten.ID, waiting.ID, hookd.StatusPending)

		T := f.at(time.Minute)
		j := f.claimOne(T)
		if _, err := f.s.RecordAttempts(f.ctx, []hookd.AttemptResult{result(j, T, false, time.Time{})}); err == nil {
			f.Fatal("RecordAttempts succeeded although the delivery.failed event could not be written")
		}
		if d := f.delivery(ten.ID, j.DeliveryID); d.Status != hookd.StatusPending || d.Attempts != 0 || len(d.AttemptLog) != 0 {
			f.Errorf("delivery after a record that failed: status %q, %d attempts, %d logged; want pending, 0, 0",
				d.Status, d.Attempts, len(d.AttemptLog))
		}
		if n := f.getEndpoint(ten.ID, ep.ID).FailureCount; n != 0 {
			f.Errorf("FailureCount %d after a record that failed, want 0", n)
		}

		off := f.endpoint(ten.ID, disabled())
		if _, err := f.s.EnableEndpoint(f.ctx, ten.ID, off.ID); err == nil {
			f.Fatal("EnableEndpoint succeeded although its event could not be written")
		}
		if e := f.getEndpoint(ten.ID, off.ID); e.Enabled {
			f.Error("endpoint enabled by an enable that failed")
		}
		f.wantOpEvents(0, "after changes that failed")
	}},
	{"OffWritesNothing", nil, func(f *fixture) {
		f.setUpOps() // as a run with the operational webhook left it
		ten, ep := f.tenantWithEndpoint()
		_, err := f.s.DisableEndpoint(f.ctx, ten.ID, ep.ID, hookd.DisabledManual)
		f.must(err, "DisableEndpoint")
		_, err = f.s.EnableEndpoint(f.ctx, ten.ID, ep.ID)
		f.must(err, "EnableEndpoint")
		for range hookd.AutoDisableAfter {
			f.publishType(ten.ID, typeCreated)
		}
		T := f.at(time.Minute)
		if disabled := f.failEach(f.claimN(T, hookd.AutoDisableAfter), T); len(disabled) != 1 {
			f.Fatalf("disabled %v, want the endpoint", disabled)
		}
		f.wantOpEvents(0, "without operational events")
	}},
	{"NothingBeforeSetUp", opevents.Builder{}, func(f *fixture) {
		ten, ep := f.tenantWithEndpoint()
		_, err := f.s.DisableEndpoint(f.ctx, ten.ID, ep.ID, hookd.DisabledManual)
		f.must(err, "DisableEndpoint before the operational tenant exists")
		_, err = f.s.EnableEndpoint(f.ctx, ten.ID, ep.ID)
		f.must(err, "EnableEndpoint before the operational tenant exists")
		f.wantOpEvents(0, "before the operational tenant exists")
	}},
}

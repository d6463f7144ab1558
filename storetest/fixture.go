package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/ids"
)

// leaseGrace is the grace every claim in the suite passes. With the fixture
// endpoint's 5 s timeout a lease lasts 15 s.
const leaseGrace = 10 * time.Second

// defaultTimeout is the timeout of fixture endpoints, and defaultLease the
// lease of their claims.
const (
	defaultTimeout = 5 * time.Second
	defaultLease   = defaultTimeout + leaseGrace
)

// The catalogue every fixture has once it makes an endpoint.
const (
	typeCreated = "contact.created"
	typeFailed  = "message.failed"
	typeUnknown = "no.such.type" // never in the catalogue
)

// fixture wraps one fresh store with helpers that fail the test on error.
type fixture struct {
	*testing.T
	s   hookd.Store
	ctx context.Context
	// now is the suite's clock: every time the suite passes is now plus
	// something, so a store that confuses its clocks shows up.
	now     time.Time
	seq     int
	catalog bool
	secrets map[string]string // endpoint id → the secret it was created with
}

func newFixture(t *testing.T, s hookd.Store) *fixture {
	return &fixture{
		T:       t,
		s:       s,
		ctx:     t.Context(),
		now:     time.Now().Truncate(time.Millisecond),
		secrets: map[string]string{},
	}
}

// at returns the suite's clock plus d.
func (f *fixture) at(d time.Duration) time.Time { return f.now.Add(d) }

func (f *fixture) next() int {
	f.seq++
	return f.seq
}

// tick waits long enough that ids a store generates next sort after the ones
// it generated before (ids have millisecond resolution).
func tick() { time.Sleep(2 * time.Millisecond) }

func (f *fixture) must(err error, what string) {
	f.Helper()
	if err != nil {
		f.Fatalf("%s: %v", what, err)
	}
}

// wantCode checks that err carries the domain error code want.
func (f *fixture) wantCode(err error, want, what string) {
	f.Helper()
	if got := hookd.ErrorCode(err); got != want {
		f.Errorf("%s: got error %v (code %q), want code %q", what, err, got, want)
	}
}

// cmpOpts compare times to the millisecond stores keep, and treat nil and
// empty maps and slices alike (schedules are checked for nil on their own,
// as nil and empty mean different things there).
var cmpOpts = []cmp.Option{cmpopts.EquateApproxTime(time.Millisecond), cmpopts.EquateEmpty()}

func (f *fixture) diff(what string, want, got any, opts ...cmp.Option) {
	f.Helper()
	if d := cmp.Diff(want, got, append(opts, cmpOpts...)...); d != "" {
		f.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

func (f *fixture) jsonEqual(what string, want, got json.RawMessage) {
	f.Helper()
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		f.Fatalf("%s: bad want JSON: %v", what, err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		f.Errorf("%s: store returned invalid JSON %q: %v", what, got, err)
		return
	}
	if d := cmp.Diff(w, g); d != "" {
		f.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// pages lists everything through pages of limit items, following cursors,
// and returns the ids in the order the store gave them.
func pages[T any](f *fixture, limit int, list func(hookd.Page) ([]T, error), id func(T) string) []string {
	f.Helper()
	var out []string
	cursor := ""
	for range 1000 {
		items, err := list(hookd.Page{Limit: limit, Cursor: cursor})
		if err != nil {
			f.Fatalf("list page after %q: %v", cursor, err)
		}
		if len(items) > limit {
			f.Fatalf("list page after %q: got %d items, limit %d", cursor, len(items), limit)
		}
		for _, it := range items {
			out = append(out, id(it))
		}
		if len(items) < limit {
			return out
		}
		cursor = id(items[len(items)-1])
	}
	f.Fatalf("paging never ends: %d items so far", len(out))
	return nil
}

func reversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// --- tenants, catalogue, endpoints ---

// tenant creates a tenant with a generated id.
func (f *fixture) tenant() *hookd.Tenant {
	f.Helper()
	ten := &hookd.Tenant{ID: ids.New(ids.Tenant), Name: fmt.Sprintf("Tenant %d", f.next())}
	f.must(f.s.CreateTenant(f.ctx, ten), "CreateTenant")
	return ten
}

// ensureCatalog creates typeCreated and typeFailed once.
func (f *fixture) ensureCatalog() {
	f.Helper()
	if f.catalog {
		return
	}
	f.catalog = true
	for _, name := range []string{typeCreated, typeFailed} {
		et := &hookd.EventType{Name: name, Description: "The " + name + " event", Example: json.RawMessage(`{"id":"example"}`)}
		f.must(f.s.CreateEventType(f.ctx, et), "CreateEventType "+name)
	}
}

// epOpt adjusts an endpoint before it is created.
type epOpt func(*hookd.Endpoint)

func subscribe(types ...string) epOpt { return func(e *hookd.Endpoint) { e.EventTypes = types } }
func withHeaders(h map[string]string) epOpt {
	return func(e *hookd.Endpoint) { e.Headers = h }
}
func withSchedule(s ...time.Duration) epOpt {
	return func(e *hookd.Endpoint) { e.RetrySchedule = s }
}
func withUID(uid string) epOpt          { return func(e *hookd.Endpoint) { e.UID = uid } }
func withChannels(c ...string) epOpt    { return func(e *hookd.Endpoint) { e.Channels = c } }
func withTimeout(d time.Duration) epOpt { return func(e *hookd.Endpoint) { e.Timeout = d } }
func withMaxInFlight(n int) epOpt       { return func(e *hookd.Endpoint) { e.MaxInFlight = n } }
func disabled() epOpt {
	return func(e *hookd.Endpoint) { e.Enabled, e.DisabledReason = false, hookd.DisabledManual }
}

// endpointSpec returns an endpoint not yet created: enabled, subscribed to
// every type, 5 s timeout, 10 in flight, deployment retry schedule.
func (f *fixture) endpointSpec(tenantID string, opts ...epOpt) *hookd.Endpoint {
	n := f.next()
	e := &hookd.Endpoint{
		TenantID:    tenantID,
		Name:        fmt.Sprintf("Endpoint %d", n),
		URL:         fmt.Sprintf("https://receiver.example.com/hooks/%d", n),
		EventTypes:  []string{hookd.AllEventTypes},
		Enabled:     true,
		Timeout:     defaultTimeout,
		MaxInFlight: 10,
	}
	for _, o := range opts {
		o(e)
	}
	return e
}

// endpoint creates an endpoint (and the catalogue, when missing).
func (f *fixture) endpoint(tenantID string, opts ...epOpt) *hookd.Endpoint {
	f.Helper()
	f.ensureCatalog()
	e := f.endpointSpec(tenantID, opts...)
	secret := fmt.Sprintf("whsec_c2VjcmV0LW51bWJlci0%04dLXBhZGRpbmc=", f.next())
	f.must(f.s.CreateEndpoint(f.ctx, e, secret), "CreateEndpoint")
	f.secrets[e.ID] = secret
	return e
}

// tenantWithEndpoint creates a tenant with one endpoint.
func (f *fixture) tenantWithEndpoint(opts ...epOpt) (*hookd.Tenant, *hookd.Endpoint) {
	f.Helper()
	ten := f.tenant()
	return ten, f.endpoint(ten.ID, opts...)
}

func (f *fixture) getEndpoint(tenantID, id string) *hookd.Endpoint {
	f.Helper()
	e, err := f.s.Endpoint(f.ctx, tenantID, id)
	f.must(err, "Endpoint")
	return e
}

// --- events ---

// newEvent returns an event to publish: no id or key, a payload with
// whitespace and non-ASCII text that must survive byte for byte, a unique
// request hash, created at the suite's now.
func (f *fixture) newEvent(typ string) hookd.NewEvent {
	n := f.next()
	return hookd.NewEvent{
		Type:        typ,
		Payload:     []byte(fmt.Sprintf(`{"type": %q,  "data":{"n":%d, "name":"Zoë <z@example.com>", "amount": 1.50}}`, typ, n)),
		RequestHash: fmt.Sprintf("hash-%d", n),
		CreatedAt:   f.now,
	}
}

func (f *fixture) publish(tenantID string, evs ...hookd.NewEvent) []hookd.PublishResult {
	f.Helper()
	res, err := f.s.PublishEvents(f.ctx, tenantID, evs, nil)
	f.must(err, "PublishEvents")
	if len(res) != len(evs) {
		f.Fatalf("PublishEvents: %d results for %d events", len(res), len(evs))
	}
	return res
}

// publishType publishes one new event of typ and returns its id.
func (f *fixture) publishType(tenantID, typ string) string {
	f.Helper()
	return f.publish(tenantID, f.newEvent(typ))[0].ID
}

func (f *fixture) testEvent(tenantID, endpointID string) *hookd.Delivery {
	f.Helper()
	d, err := f.s.PublishTestEvent(f.ctx, tenantID, endpointID, f.newEvent(typeCreated))
	f.must(err, "PublishTestEvent")
	return d
}

// --- deliveries ---

// deliveries lists every delivery matching filter, newest first.
func (f *fixture) deliveries(filter hookd.DeliveryFilter) []*hookd.Delivery {
	f.Helper()
	var out []*hookd.Delivery
	byID := map[string]*hookd.Delivery{}
	idsInOrder := pages(f, 100, func(p hookd.Page) ([]*hookd.Delivery, error) {
		ds, err := f.s.Deliveries(f.ctx, filter, p)
		for _, d := range ds {
			byID[d.ID] = d
		}
		return ds, err
	}, func(d *hookd.Delivery) string { return d.ID })
	for _, id := range idsInOrder {
		out = append(out, byID[id])
	}
	return out
}

func (f *fixture) countDeliveries(tenantID string) int {
	f.Helper()
	return len(f.deliveries(hookd.DeliveryFilter{TenantID: tenantID}))
}

// deliveryOf returns the one delivery of an event to an endpoint.
func (f *fixture) deliveryOf(tenantID, eventID, endpointID string) *hookd.Delivery {
	f.Helper()
	ds := f.deliveries(hookd.DeliveryFilter{TenantID: tenantID, EventID: eventID, EndpointID: endpointID})
	if len(ds) != 1 {
		f.Fatalf("deliveries of event %s to endpoint %s: got %d, want 1", eventID, endpointID, len(ds))
	}
	return ds[0]
}

func (f *fixture) delivery(tenantID, id string) *hookd.Delivery {
	f.Helper()
	d, err := f.s.Delivery(f.ctx, tenantID, id)
	f.must(err, "Delivery")
	return d
}

func (f *fixture) wantStatus(tenantID, deliveryID, want string) {
	f.Helper()
	if got := f.delivery(tenantID, deliveryID).Status; got != want {
		f.Errorf("delivery %s: status %q, want %q", deliveryID, got, want)
	}
}

// --- queue ---

func (f *fixture) claim(at time.Time, limit int) []*hookd.Job {
	f.Helper()
	return f.claimCapped(at, limit, 0)
}

// claimCapped claims with tenantMax as the cap of tenants without their own.
func (f *fixture) claimCapped(at time.Time, limit, tenantMax int) []*hookd.Job {
	f.Helper()
	jobs, err := f.s.ClaimDeliveries(f.ctx, at, limit, leaseGrace, tenantMax)
	f.must(err, "ClaimDeliveries")
	if len(jobs) > limit {
		f.Fatalf("ClaimDeliveries: %d jobs over limit %d", len(jobs), limit)
	}
	return jobs
}

// claimOne claims at `at` and expects exactly one job.
func (f *fixture) claimOne(at time.Time) *hookd.Job {
	f.Helper()
	jobs := f.claim(at, 100)
	if len(jobs) != 1 {
		f.Fatalf("ClaimDeliveries at now%+v: got %d jobs (%v), want 1", at.Sub(f.now), len(jobs), jobIDs(jobs))
	}
	return jobs[0]
}

// claimNone claims at `at` and expects nothing.
func (f *fixture) claimNone(at time.Time, why string) {
	f.Helper()
	if jobs := f.claim(at, 100); len(jobs) != 0 {
		f.Errorf("ClaimDeliveries at now%+v (%s): got %d jobs (%v), want none", at.Sub(f.now), why, len(jobs), jobIDs(jobs))
	}
}

// jobIDs returns the jobs' delivery ids, sorted.
func jobIDs(jobs []*hookd.Job) []string {
	out := make([]string, len(jobs))
	for i, j := range jobs {
		out[i] = j.DeliveryID
	}
	return sorted(out)
}

// jobsByEndpoint counts jobs per endpoint.
func jobsByEndpoint(jobs []*hookd.Job) map[string]int {
	out := map[string]int{}
	for _, j := range jobs {
		out[j.EndpointID]++
	}
	return out
}

// result is a finished attempt of j at `at`: a 200 when ok, else a 503.
// next is when to try again; zero when the delivery is done.
func result(j *hookd.Job, at time.Time, ok bool, next time.Time) hookd.AttemptResult {
	a := hookd.Attempt{
		Number: j.Attempt,
		At:     at,
		URL:    j.URL,
		RequestHeaders: map[string]string{
			"Content-Type":    "application/json",
			"X-Hookd-Attempt": strconv.Itoa(j.Attempt),
			"Authorization":   "****",
		},
		Duration: hookd.Millis(150 * time.Millisecond),
	}
	if ok {
		a.StatusCode, a.ResponseBody = 200, `{"ok":true}`
		a.ResponseHeaders = map[string]string{"Content-Type": "application/json"}
	} else {
		a.StatusCode, a.Error, a.ResponseBody = 503, "503 Service Unavailable", "try again later"
		a.ResponseHeaders = map[string]string{"Content-Type": "text/plain", "Retry-After": "30", "X-Request-Id": "r-1, r-2"}
	}
	return hookd.AttemptResult{Job: j, Attempt: a, Outcome: hookd.Outcome{Success: ok}, NextAttemptAt: next}
}

func (f *fixture) record(rs ...hookd.AttemptResult) []string {
	f.Helper()
	disabled, err := f.s.RecordAttempts(f.ctx, rs)
	f.must(err, "RecordAttempts")
	return disabled
}

func (f *fixture) succeed(j *hookd.Job, at time.Time) []string {
	f.Helper()
	return f.record(result(j, at, true, time.Time{}))
}

// fail records a failed attempt; a zero next fails the delivery for good.
func (f *fixture) fail(j *hookd.Job, at, next time.Time) []string {
	f.Helper()
	return f.record(result(j, at, false, next))
}

// ignoreUpdatedAt skips UpdatedAt fields, for results compared with a value
// from before an update.
var ignoreUpdatedAt = ignoreFields("UpdatedAt")

// ignoreFields skips struct fields of the given names, whatever their type.
func ignoreFields(names ...string) cmp.Option {
	return cmp.FilterPath(func(p cmp.Path) bool {
		sf, ok := p.Last().(cmp.StructField)
		return ok && slices.Contains(names, sf.Name())
	}, cmp.Ignore())
}

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd/client"
)

// newGoClient is the client package on hookd h with key, sending through hc.
func newGoClient(t testing.TB, base, key string, hc *http.Client, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(base, append([]client.Option{client.WithAPIKey(key), client.WithHTTPClient(hc)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wantKind fails unless err is an *client.Error of status and kind.
func wantKind(t testing.TB, what string, err error, status int, kind error) *client.Error {
	t.Helper()
	var e *client.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: error %v (%T), want a *client.Error", what, err, err)
	}
	if e.Status != status || !errors.Is(err, kind) || e.Detail == "" || e.Title == "" || e.Code == "" {
		t.Fatalf("%s: %+v, want status %d of kind %v with code, title and detail", what, e, status, kind)
	}
	return e
}

func mustReturn[T any](t testing.TB, what string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

// goClientWalk makes every call of the client package against hookd h,
// through hc, and checks what each answers: objects, pages, typed errors
// (401, 403, 404, 409, 422 with field errors). The OpenAPI test runs it
// with a validating transport.
func goClientWalk(t *testing.T, h *hookdProc, hc *http.Client) {
	ctx := context.Background()
	c := newGoClient(t, h.url, h.key, hc)

	// The catalogue.
	et := mustReturn[*client.EventType](t, "create event type")(c.CreateEventType(ctx, client.EventTypeCreate{
		Name: "order.paid", Description: "An order was paid.",
		Schema:  json.RawMessage(`{"type":"object","required":["order"]}`),
		Example: json.RawMessage(`{"order":"o_1"}`),
	}))
	if et.Name != "order.paid" || string(et.Example) != `{"order":"o_1"}` {
		t.Errorf("created event type %+v", et)
	}
	_, err := c.CreateEventType(ctx, client.EventTypeCreate{Name: "order.paid"})
	wantKind(t, "event type twice", err, 409, client.ErrConflict)
	if got := mustReturn[*client.EventType](t, "event type")(c.EventType(ctx, "order.paid")); got.Description != "An order was paid." {
		t.Errorf("event type %+v", got)
	}
	_, err = c.EventType(ctx, "no.such")
	wantKind(t, "unknown event type", err, 404, client.ErrNotFound)
	mustReturn[*client.EventType](t, "second type")(c.CreateEventType(ctx, client.EventTypeCreate{Name: "order.refunded"}))
	dep, refundDesc := true, "Refunded; use order.paid with a negative amount."
	if got := mustReturn[*client.EventType](t, "update event type")(c.UpdateEventType(ctx, "order.refunded",
		client.EventTypeUpdate{Description: &refundDesc, Deprecated: &dep})); !got.Deprecated || got.Archived || got.Description != refundDesc {
		t.Errorf("updated event type %+v", got)
	}
	_, err = c.UpdateEventType(ctx, "order.paid", client.EventTypeUpdate{Example: json.RawMessage(`{"no":"order"}`)})
	wantKind(t, "example failing the schema", err, 422, client.ErrInvalid)
	var names []string
	for _, et := range mustReturn[[]client.EventType](t, "event types")(c.EventTypes(ctx)) {
		names = append(names, et.Name)
	}
	if !slices.Contains(names, "order.paid") || !slices.Contains(names, "order.refunded") {
		t.Errorf("all event types: %v", names)
	}

	// Tenants.
	ten := mustReturn[*client.Tenant](t, "create tenant")(c.CreateTenant(ctx, client.TenantCreate{ID: "shop", Name: "Shop"}))
	if ten.ID != "shop" || ten.MaxInFlight == 0 {
		t.Errorf("created tenant %+v", ten)
	}
	_, err = c.CreateTenant(ctx, client.TenantCreate{ID: "shop", Name: "Again"})
	wantKind(t, "tenant twice", err, 409, client.ErrConflict)
	_, err = c.CreateTenant(ctx, client.TenantCreate{ID: "-bad", Name: ""})
	e := wantKind(t, "bad tenant", err, 422, client.ErrInvalid)
	if fields := fieldNames(e); !slices.Contains(fields, "id") || !slices.Contains(fields, "name") {
		t.Errorf("422 fields %v, want id and name", fields)
	}
	name, cap := "Shop Ltd", 7
	if u := mustReturn[*client.Tenant](t, "update tenant")(c.UpdateTenant(ctx, "shop", client.TenantUpdate{Name: &name, MaxInFlight: &cap})); u.Name != name || u.MaxInFlight != 7 {
		t.Errorf("updated tenant %+v", u)
	}
	if u := mustReturn[*client.Tenant](t, "reset cap")(c.UpdateTenant(ctx, "shop", client.TenantUpdate{DefaultMaxInFlight: true})); u.MaxInFlight == 7 {
		t.Errorf("cap not reset: %+v", u)
	}
	if got := mustReturn[*client.Tenant](t, "tenant")(c.Tenant(ctx, "shop")); got.Name != name {
		t.Errorf("tenant %+v", got)
	}
	_, err = c.Tenant(ctx, "nobody")
	wantKind(t, "unknown tenant", err, 404, client.ErrNotFound)
	mustReturn[*client.Tenant](t, "second tenant")(c.CreateTenant(ctx, client.TenantCreate{Name: "Generated id"}))
	n := 0
	for _, err := range c.AllTenants(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 2 {
		t.Errorf("all tenants: %d, want 2", n)
	}
	if p := mustReturn[*client.Page[client.Tenant]](t, "tenants page")(c.ListTenants(ctx, client.ListOptions{Limit: 1})); len(p.Data) != 1 || p.NextCursor == "" {
		t.Errorf("tenants page %+v", p)
	}

	// Endpoints.
	rcv := newReceiver(t, 200)
	created := mustReturn[*client.CreatedEndpoint](t, "create endpoint")(c.CreateEndpoint(ctx, "shop", client.EndpointCreate{
		Name: "orders", URL: rcv.URL, EventTypes: []string{"order.paid"}, Headers: map[string]string{"X-Api-Key": "k1"},
		RetrySchedule: []string{"1s"}, TimeoutSeconds: 5,
	}))
	ep := created.Endpoint
	if !strings.HasPrefix(created.SigningSecret, "whsec_") || ep.TenantID != "shop" || ep.Headers["X-Api-Key"] != "********" {
		t.Errorf("created endpoint %+v", created)
	}
	_, err = c.CreateEndpoint(ctx, "shop", client.EndpointCreate{Name: "bad", URL: "ftp://x", EventTypes: []string{"no.such"}})
	e = wantKind(t, "bad endpoint", err, 422, client.ErrInvalid)
	if fields := fieldNames(e); !slices.Contains(fields, "url") {
		t.Errorf("422 fields %v, want url", fields)
	}
	_, err = c.CreateEndpoint(ctx, "nobody", client.EndpointCreate{Name: "x", URL: rcv.URL})
	wantKind(t, "endpoint of unknown tenant", err, 404, client.ErrNotFound)
	desc := "paid orders"
	if u := mustReturn[*client.Endpoint](t, "update endpoint")(c.UpdateEndpoint(ctx, "shop", ep.ID, client.EndpointUpdate{Description: &desc, DefaultRetrySchedule: true})); u.Description != desc || slices.Equal(u.RetrySchedule, []string{"1s"}) {
		t.Errorf("updated endpoint %+v", u)
	}
	if got := mustReturn[*client.Endpoint](t, "endpoint")(c.Endpoint(ctx, "shop", ep.ID)); got.Description != desc {
		t.Errorf("endpoint %+v", got)
	}
	_, err = c.Endpoint(ctx, "shop", "ep_nothere")
	wantKind(t, "unknown endpoint", err, 404, client.ErrNotFound)
	if d := mustReturn[*client.Endpoint](t, "disable")(c.DisableEndpoint(ctx, "shop", ep.ID)); d.Enabled || d.DisabledReason != "manual" {
		t.Errorf("disabled endpoint %+v", d)
	}
	if en := mustReturn[*client.Endpoint](t, "enable")(c.EnableEndpoint(ctx, "shop", ep.ID)); !en.Enabled {
		t.Errorf("enabled endpoint %+v", en)
	}
	brokerClientWalk(t, ctx, c)
	rot := mustReturn[*client.RotatedSecret](t, "rotate")(c.RotateSecret(ctx, "shop", ep.ID, time.Hour))
	if rot.SigningSecret == created.SigningSecret || time.Until(rot.OldSecretExpiresAt) < 59*time.Minute {
		t.Errorf("rotated %+v", rot)
	}
	if s := mustReturn[string](t, "reveal")(c.RevealSecret(ctx, "shop", ep.ID)); s != rot.SigningSecret {
		t.Errorf("revealed %q, want the rotated secret", s)
	}
	eps := 0
	for _, err := range c.AllEndpoints(ctx, "shop") {
		if err != nil {
			t.Fatal(err)
		}
		eps++
	}
	if p := mustReturn[*client.Page[client.Endpoint]](t, "endpoints page")(c.ListEndpoints(ctx, "shop", client.ListOptions{})); eps != 1 || len(p.Data) != 1 {
		t.Errorf("endpoints: %d, page %+v", eps, p)
	}

	// Publishing: with a key, with an id, a batch, and a payload as given.
	res := mustReturn[*client.PublishResult](t, "publish")(c.Publish(ctx, "shop", client.EventInput{Type: "order.paid", Data: map[string]string{"order": "o_2"}},
		client.PublishOptions{IdempotencyKey: "order-o_2-paid"}))
	again := mustReturn[*client.PublishResult](t, "publish again")(c.Publish(ctx, "shop", client.EventInput{Type: "order.paid", Data: map[string]string{"order": "o_2"}},
		client.PublishOptions{IdempotencyKey: "order-o_2-paid"}))
	if res.Deliveries != 1 || !again.Duplicate || again.ID != res.ID {
		t.Errorf("publish %+v, again %+v", res, again)
	}
	_, err = c.Publish(ctx, "shop", client.EventInput{Type: "order.paid", Data: map[string]string{"order": "o_3"}}, client.PublishOptions{IdempotencyKey: "order-o_2-paid"})
	wantKind(t, "key reused for another event", err, 409, client.ErrConflict)
	_, err = c.Publish(ctx, "shop", client.EventInput{Type: "no.such", Data: 1})
	if e := wantKind(t, "unknown type", err, 422, client.ErrInvalid); !slices.Contains(fieldNames(e), "type") {
		t.Errorf("422 fields %v, want type", fieldNames(e))
	}
	payload := json.RawMessage("{ \"raw\" : [1, 2.50] }")
	byID := mustReturn[*client.PublishResult](t, "publish payload")(c.Publish(ctx, "shop", client.EventInput{ID: "pay-1", Type: "order.refunded", Payload: payload}))
	// The payload reaches the server as given (the listener below sees the
	// bytes delivered); the event's JSON answer shows it compacted.
	if ev := mustReturn[*client.Event](t, "event")(c.Event(ctx, "shop", byID.ID)); string(ev.Payload) != `{"raw":[1,2.50]}` || ev.Type != "order.refunded" {
		t.Errorf("event %+v: payload %s", ev, ev.Payload)
	}
	batch := mustReturn[[]client.PublishResult](t, "batch")(c.PublishBatch(ctx, "shop", []client.EventInput{
		{Type: "order.paid", Data: json.RawMessage(`{"order":"o_4"}`)}, {Type: "order.paid", Data: map[string]any{"order": "o_5"}},
	}))
	if len(batch) != 2 || batch[0].Deliveries != 1 {
		t.Errorf("batch %+v", batch)
	}
	_, err = c.Event(ctx, "shop", "evt_nothere")
	wantKind(t, "unknown event", err, 404, client.ErrNotFound)

	// The event log: filters, pages, an event's deliveries, bad filters,
	// another tenant's event.
	paid := mustReturn[*client.Page[client.Event]](t, "events of a type")(c.ListEvents(ctx, "shop", client.EventQuery{Type: "order.paid"}))
	if len(paid.Data) != 3 || !slices.ContainsFunc(paid.Data, func(ev client.Event) bool { return ev.ID == res.ID }) {
		t.Errorf("order.paid events %+v, want o_2, o_4 and o_5", paid.Data)
	}
	events := 0
	for ev, err := range c.AllEvents(ctx, "shop", client.EventQuery{ListOptions: client.ListOptions{Limit: 1}, Since: time.Now().Add(-time.Hour)}) {
		if err != nil {
			t.Fatal(err)
		}
		if ev.TenantID != "shop" || len(ev.Payload) == 0 {
			t.Errorf("listed event %+v", ev)
		}
		events++
	}
	if events != 4 {
		t.Errorf("events of the last hour, a page at a time: %d, want 4", events)
	}
	if p := mustReturn[*client.Page[client.Event]](t, "events until an hour ago")(c.ListEvents(ctx, "shop", client.EventQuery{Until: time.Now().Add(-time.Hour)})); len(p.Data) != 0 {
		t.Errorf("events until an hour ago: %+v", p.Data)
	}
	_, err = c.ListEvents(ctx, "shop", client.EventQuery{Type: "not a type", Since: time.Now(), Until: time.Now().Add(-time.Minute)})
	if e := wantKind(t, "bad event filter", err, 422, client.ErrInvalid); !slices.Contains(fieldNames(e), "type") || !slices.Contains(fieldNames(e), "until") {
		t.Errorf("422 fields %v, want type and until", fieldNames(e))
	}
	_, err = c.ListEvents(ctx, "ten_nothere", client.EventQuery{})
	wantKind(t, "events of an unknown tenant", err, 404, client.ErrNotFound)
	dls := mustReturn[*client.Page[client.Delivery]](t, "event deliveries")(c.EventDeliveries(ctx, "shop", res.ID, client.ListOptions{}))
	if len(dls.Data) != 1 || dls.Data[0].EndpointID != ep.ID || dls.Data[0].EventID != res.ID {
		t.Errorf("deliveries of event %s: %+v, want one to %s", res.ID, dls.Data, ep.ID)
	}
	_, err = c.EventDeliveries(ctx, "shop", "evt_nothere", client.ListOptions{})
	wantKind(t, "deliveries of an unknown event", err, 404, client.ErrNotFound)
	mustReturn[*client.Tenant](t, "second tenant")(c.CreateTenant(ctx, client.TenantCreate{ID: "outlet", Name: "Outlet"}))
	_, err = c.EventDeliveries(ctx, "outlet", res.ID, client.ListOptions{})
	wantKind(t, "another tenant's event deliveries", err, 404, client.ErrNotFound)
	_, err = c.Event(ctx, "outlet", res.ID)
	wantKind(t, "another tenant's event", err, 404, client.ErrNotFound)

	// Deliveries, attempts, replay, test events, stats, recover.
	first := deliveryOfEvent(t, c, "shop", res.ID, "delivered")
	atts := mustReturn[[]client.Attempt](t, "attempts")(c.Attempts(ctx, "shop", first.ID))
	if len(atts) != 1 || atts[0].StatusCode != 200 || atts[0].RequestHeaders["X-Api-Key"] != "********" {
		t.Errorf("attempts %+v", atts)
	}
	if r := mustReturn[*client.DeliveryDetail](t, "replay")(c.Replay(ctx, "shop", first.ID)); r.Status != "pending" {
		t.Errorf("replayed %+v", r.Delivery)
	}
	_, err = c.Replay(ctx, "shop", "dlv_nothere")
	wantKind(t, "replay unknown", err, 404, client.ErrNotFound)
	all := 0
	for d, err := range c.AllDeliveries(ctx, "shop", client.DeliveryQuery{Endpoint: ep.ID, ListOptions: client.ListOptions{Limit: 1}}) {
		if err != nil {
			t.Fatal(err)
		}
		if d.EndpointID != ep.ID {
			t.Errorf("delivery of endpoint %s in a list for %s", d.EndpointID, ep.ID)
		}
		all++
	}
	if all != 3 { // o_2, o_4, o_5: the refund type is not subscribed
		t.Errorf("deliveries of the endpoint: %d, want 3", all)
	}
	_, err = c.ListDeliveries(ctx, "shop", client.DeliveryQuery{Status: "lost"})
	wantKind(t, "bad status filter", err, 422, client.ErrInvalid)
	test := mustReturn[*client.DeliveryDetail](t, "test event")(c.TestEndpoint(ctx, "shop", ep.ID, "order.paid"))
	if !test.Test {
		t.Errorf("test delivery %+v", test.Delivery)
	}
	deliveryOfEvent(t, c, "shop", test.EventID, "delivered")
	verdict := mustReturn[*client.FilterResult](t, "test filter")(c.TestFilter(ctx, "shop", ep.ID,
		client.FilterTest{Filter: `event.data.total > 10`, Payload: json.RawMessage(`{"total":12}`)}))
	if !verdict.Matches || verdict.Error != "" {
		t.Errorf("filter test %+v, want a match", verdict)
	}
	_, err = c.TestFilter(ctx, "shop", ep.ID, client.FilterTest{Filter: `event.data.total >`, EventType: "order.paid"})
	wantKind(t, "filter that does not compile", err, 422, client.ErrInvalid)
	made := mustReturn[*client.TransformationResult](t, "test transformation")(c.TestTransformation(ctx, "shop", ep.ID,
		client.TransformationTest{Transformation: `function handler(w) { w.payload.total += 1; return w }`, Payload: json.RawMessage(`{"total":12}`)}))
	if string(made.Body) != `{"total":13}` || made.Cancelled || made.Error != "" {
		t.Errorf("transformation test %+v", made)
	}
	_, err = c.TestTransformation(ctx, "shop", ep.ID, client.TransformationTest{Transformation: `function (`, EventType: "order.paid"})
	wantKind(t, "transformation that does not compile", err, 422, client.ErrInvalid)
	if st := mustReturn[*client.EndpointStats](t, "stats")(c.EndpointStats(ctx, "shop", ep.ID)); st.Attempts == 0 || len(st.Hours) == 0 {
		t.Errorf("stats %+v", st)
	}
	job := mustReturn[*client.RecoverJob](t, "recover")(c.Recover(ctx, "shop", ep.ID, time.Now().Add(-time.Hour), time.Time{}))
	if got := mustReturn[*client.RecoverJob](t, "recover job")(c.RecoverJob(ctx, "shop", job.ID)); got.ID != job.ID || got.EndpointID != ep.ID {
		t.Errorf("recover job %+v", got)
	}
	if jobs := mustReturn[*client.Page[client.RecoverJob]](t, "recover jobs")(c.ListRecoverJobs(ctx, "shop", ep.ID, client.ListOptions{})); len(jobs.Data) != 1 || jobs.Data[0].ID != job.ID {
		t.Errorf("recover jobs of the endpoint: %+v, want the one started", jobs.Data)
	}
	_, err = c.Recover(ctx, "shop", ep.ID, time.Time{}, time.Time{})
	wantKind(t, "recover without since", err, 422, client.ErrInvalid)

	// Portal links and API keys; a scoped key's limits.
	link := mustReturn[*client.PortalLink](t, "portal link")(c.CreatePortalLink(ctx, "shop", client.PortalLinkCreate{ExpiresIn: 5 * time.Minute, Role: "viewer"}))
	if !strings.Contains(link.URL, "token=") || time.Until(link.ExpiresAt) > 5*time.Minute {
		t.Errorf("portal link %+v", link)
	}
	mustReturn[*client.PortalLink](t, "portal link with options")(c.CreatePortalLink(ctx, "shop", client.PortalLinkCreate{
		ReturnURL: "https://app.example.com/", DisplayName: "Shop", ReadOnly: []string{"secret_reveal"}}))
	_, err = c.CreatePortalLink(ctx, "shop", client.PortalLinkCreate{ReadOnly: []string{"everything"}})
	wantKind(t, "portal link with an unknown feature", err, 422, client.ErrInvalid)
	key := mustReturn[*client.CreatedAPIKey](t, "api key")(c.CreateAPIKey(ctx, client.APIKeyCreate{Name: "shop viewer", Role: "viewer", TenantID: "shop"}))
	if got := mustReturn[*client.APIKey](t, "get key")(c.APIKey(ctx, key.APIKey.ID)); got.TenantID != "shop" || got.Role != "viewer" {
		t.Errorf("key %+v", got)
	}
	keys := 0
	for _, err := range c.AllAPIKeys(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		keys++
	}
	if p := mustReturn[*client.Page[client.APIKey]](t, "keys page")(c.ListAPIKeys(ctx, client.ListOptions{Limit: 1})); keys < 2 || len(p.Data) != 1 {
		t.Errorf("keys: %d; page %+v", keys, p)
	}
	viewer := newGoClient(t, h.url, key.Key, hc)
	_, err = viewer.Tenant(ctx, "ten_other")
	wantKind(t, "another tenant with a scoped key", err, 403, client.ErrForbidden)
	_, err = viewer.DisableEndpoint(ctx, "shop", ep.ID)
	wantKind(t, "a viewer disabling", err, 403, client.ErrForbidden)
	_, err = newGoClient(t, h.url, "hk_wrong_key_0123456789abcdef", hc).Tenant(ctx, "shop")
	wantKind(t, "unknown key", err, 401, client.ErrUnauthorized)
	if err := c.DeleteAPIKey(ctx, key.APIKey.ID); err != nil {
		t.Fatal(err)
	}
	_, err = c.APIKey(ctx, key.APIKey.ID)
	wantKind(t, "deleted key", err, 404, client.ErrNotFound)

	// Listen: a stream with its ready event; a delivery forwarded, its result reported.
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream := mustReturn[*client.ListenStream](t, "listen")(c.Listen(lctx, "shop", client.ListenInput{EventTypes: []string{"order.refunded"}, Name: "walk", Live: true}))
	ready := mustReturn[client.ListenEvent](t, "ready")(stream.Next())
	if ready.Ready == nil || ready.Ready.EndpointID == "" {
		t.Fatalf("first listen event %+v", ready)
	}
	mustReturn[*client.PublishResult](t, "publish to listener")(c.Publish(ctx, "shop", client.EventInput{Type: "order.refunded", Payload: payload}))
	dl := mustReturn[client.ListenEvent](t, "delivery")(stream.Next())
	if dl.Delivery == nil || dl.Delivery.Body != string(payload) {
		t.Fatalf("listen event %+v, want the payload byte for byte: %s", dl, payload)
	}
	if err := c.ReportListenResult(ctx, "shop", dl.Delivery.Session, client.ListenResult{Token: dl.Delivery.Token, StatusCode: 204}); err != nil {
		t.Fatal(err)
	}
	err = c.ReportListenResult(ctx, "shop", dl.Delivery.Session, client.ListenResult{Token: dl.Delivery.Token, StatusCode: 204})
	wantKind(t, "a result reported twice", err, 409, client.ErrConflict)
	localDevelopmentWalk(t, ctx, c, stream, ready.Ready.EndpointID)
	stream.Close()

	// Ordering: a fifo endpoint's second delivery waits for its head,
	// which the receiver fails (retried in an hour).
	mustReturn[*client.Tenant](t, "fifo tenant")(c.CreateTenant(ctx, client.TenantCreate{ID: "line", Name: "Line"}))
	failing := newReceiver(t, 503)
	fifo := mustReturn[*client.CreatedEndpoint](t, "create fifo endpoint")(c.CreateEndpoint(ctx, "line", client.EndpointCreate{
		Name: "in order", URL: failing.URL, Ordering: "fifo", RetrySchedule: []string{"1h"}})).Endpoint
	if fifo.Ordering != "fifo" {
		t.Errorf("created endpoint has ordering %q, want fifo", fifo.Ordering)
	}
	head := mustReturn[*client.PublishResult](t, "publish the head")(c.Publish(ctx, "line", client.EventInput{Type: "order.paid", Data: map[string]string{"order": "o_8"}}))
	behind := mustReturn[*client.PublishResult](t, "publish behind it")(c.Publish(ctx, "line", client.EventInput{Type: "order.paid", Data: map[string]string{"order": "o_9"}}))
	if d, h := deliveryOfEvent(t, c, "line", behind.ID, "pending"), deliveryOfEvent(t, c, "line", head.ID, "retrying"); d.WaitingFor != h.ID {
		t.Errorf("the second delivery waits for %q, want the head %s", d.WaitingFor, h.ID)
	}

	// Deletes.
	if err := c.DeleteEndpoint(ctx, "shop", ep.ID); err != nil {
		t.Fatal(err)
	}
	_, err = c.Endpoint(ctx, "shop", ep.ID)
	wantKind(t, "deleted endpoint", err, 404, client.ErrNotFound)
	// Its history stays readable; replaying it is a conflict.
	if d := mustReturn[*client.DeliveryDetail](t, "delivery of a deleted endpoint")(c.Delivery(ctx, "shop", first.ID)); d.EndpointID != ep.ID || len(d.Attempts) == 0 {
		t.Errorf("delivery of the deleted endpoint %+v with %d attempts, want its history", d.Delivery, len(d.Attempts))
	}
	_, err = c.Replay(ctx, "shop", first.ID)
	wantKind(t, "replay for a deleted endpoint", err, 409, client.ErrConflict)
	if err := c.DeleteTenant(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	wantKind(t, "deleted tenant", c.DeleteTenant(ctx, "shop"), 404, client.ErrNotFound)
}

func fieldNames(e *client.Error) []string {
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}

// deliveryOfEvent waits until the event's one delivery has status.
func deliveryOfEvent(t *testing.T, c *client.Client, tenant, eventID, status string) client.Delivery {
	t.Helper()
	var d client.Delivery
	eventually(t, 20*time.Second, func() (bool, string) {
		p, err := c.ListDeliveries(context.Background(), tenant, client.DeliveryQuery{Event: eventID})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Data) != 1 {
			return false, fmt.Sprintf("%d deliveries of %s, want 1", len(p.Data), eventID)
		}
		d = p.Data[0]
		return d.Status == status, "delivery " + d.ID + " is " + d.Status
	})
	return d
}

// TestGoClient makes every call of the client package against the real
// binary (see goClientWalk).
func TestGoClient(t *testing.T) {
	t.Parallel()
	h := startHookd(t, config{extraArgs: []string{"--allow-secret-reveal"}})
	goClientWalk(t, h, &http.Client{})
}

// localDevelopmentWalk covers local sessions and CLI tokens: a session is
// listed, triggered and a delivery of it replayed; a token is minted,
// listed and revoked; and each has its refusal.
func localDevelopmentWalk(t *testing.T, ctx context.Context, c *client.Client, stream *client.ListenStream, session string) {
	t.Helper()
	sessions := mustReturn[[]client.LocalSession](t, "local sessions")(c.LocalSessions(ctx, "shop"))
	if len(sessions) != 1 || sessions[0].ID != session || !sessions[0].Live {
		t.Errorf("local sessions %+v, want the live walk session %s", sessions, session)
	}
	_, err := c.LocalSessions(ctx, "ghost")
	wantKind(t, "sessions of no tenant", err, 404, client.ErrNotFound)
	mustReturn[*client.DeliveryDetail](t, "trigger")(c.Trigger(ctx, "shop", session, client.TriggerInput{Type: "order.refunded", Data: json.RawMessage(`{"n":1}`)}))
	_, err = c.Trigger(ctx, "shop", "ep_none", client.TriggerInput{Type: "order.refunded"})
	wantKind(t, "trigger to no session", err, 404, client.ErrNotFound)
	dl := mustReturn[client.ListenEvent](t, "triggered delivery")(stream.Next())
	if dl.Delivery == nil || dl.Delivery.Delivery == "" {
		t.Fatalf("triggered listen event %+v, want a delivery with its id", dl)
	}
	if err := c.ReportListenResult(ctx, "shop", dl.Delivery.Session, client.ListenResult{Token: dl.Delivery.Token, StatusCode: 500}); err != nil {
		t.Fatal(err)
	}
	for try := 0; ; try++ {
		_, err := c.ReplayLocal(ctx, "shop", session, dl.Delivery.Delivery)
		if err == nil {
			break
		}
		wantKind(t, "a replay while the attempt is recorded", err, 409, client.ErrConflict)
		if try == 100 {
			t.Fatal("the failed attempt was never recorded: every replay is 409")
		}
		time.Sleep(50 * time.Millisecond)
	}
	_, err = c.ReplayLocal(ctx, "shop", session, "dlv_none")
	wantKind(t, "replay of no delivery", err, 404, client.ErrNotFound)

	tok := mustReturn[*client.CreatedCLIToken](t, "cli token")(c.CreateCLIToken(ctx, "shop", "walk"))
	if tok.Token == "" || tok.CLIToken.Role != "developer" || tok.CLIToken.ExpiresAt == nil || !strings.Contains(tok.Command, tok.Token) {
		t.Errorf("cli token %+v", tok)
	}
	_, err = c.CreateCLIToken(ctx, "shop", strings.Repeat("n", 201))
	wantKind(t, "a token name too long", err, 422, client.ErrInvalid)
	tokens := mustReturn[[]client.APIKey](t, "cli tokens")(c.CLITokens(ctx, "shop"))
	if len(tokens) != 1 || tokens[0].ID != tok.CLIToken.ID {
		t.Errorf("cli tokens %+v, want the walk's", tokens)
	}
	_, err = c.CLITokens(ctx, "ghost")
	wantKind(t, "tokens of no tenant", err, 404, client.ErrNotFound)
	if err := c.RevokeCLIToken(ctx, "shop", tok.CLIToken.ID); err != nil {
		t.Fatal(err)
	}
	err = c.RevokeCLIToken(ctx, "shop", tok.CLIToken.ID)
	wantKind(t, "a token revoked twice", err, 404, client.ErrNotFound)
}

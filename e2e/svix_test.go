package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	svix "github.com/svix/svix-webhooks/go"
)

// Types of the Svix tests' catalogue.
const (
	typePaid   = "invoice.paid"
	typeVoided = "invoice.voided"
)

// svixWait bounds each wait for a delivery.
const svixWait = 20 * time.Second

// svixSecret is a caller-chosen signing secret in Svix's format.
func svixSecret(t *testing.T) string {
	t.Helper()
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// svixClient is the official Svix SDK pointed at hookd with key, sending
// through hc (nil: the default client).
func svixClient(t *testing.T, f *fixture, key string, hc *http.Client) *svix.Svix {
	t.Helper()
	base, err := url.Parse(f.h.url)
	if err != nil {
		t.Fatal(err)
	}
	return svix.New(key, &svix.SvixOptions{ServerUrl: base, HTTPClient: hc})
}

// svixStatus is the status of an SDK error; it fails unless err is one.
func svixStatus(t *testing.T, err error) (int, []byte) {
	t.Helper()
	var e *svix.Error
	if !errors.As(err, &e) {
		t.Fatalf("want an HTTP error from the SDK, got %v", err)
	}
	return e.Status(), e.Body()
}

// wantSvixError checks an SDK error: status want with Svix's {"code","detail"} body.
func wantSvixError(t *testing.T, err error, want int, code string) {
	t.Helper()
	status, body := svixStatus(t, err)
	var out struct{ Code, Detail string }
	if status != want || json.Unmarshal(body, &out) != nil || out.Code != code || out.Detail == "" {
		t.Fatalf("error %d %s, want %d with Svix's body of code %q", status, body, want, code)
	}
}

// wantSvixValidation checks a 422 in Svix's HTTPValidationError shape naming loc.
func wantSvixValidation(t *testing.T, err error, loc ...string) {
	t.Helper()
	status, body := svixStatus(t, err)
	var out struct {
		Detail []struct {
			Loc  []string `json:"loc"`
			Msg  string   `json:"msg"`
			Type string   `json:"type"`
		} `json:"detail"`
	}
	if status != 422 || json.Unmarshal(body, &out) != nil {
		t.Fatalf("error %d %s, want 422 HTTPValidationError", status, body)
	}
	for _, d := range out.Detail {
		if slices.Equal(d.Loc, loc) && d.Msg != "" && d.Type != "" {
			return
		}
	}
	t.Fatalf("422 body %s does not name loc %v", body, loc)
}

// sdkResult is an SDK call's answer; get fails the test on its error.
type sdkResult[T any] struct {
	v   T
	err error
}

func must[T any](v T, err error) sdkResult[T] { return sdkResult[T]{v, err} }

func (r sdkResult[T]) get(t *testing.T) T {
	t.Helper()
	if r.err != nil {
		t.Fatalf("SDK call: %v", r.err)
	}
	return r.v
}

// verified checks a received request with the SDK's own verifier for every
// given secret, and returns its body.
func verified(t *testing.T, q received, secrets ...string) []byte {
	t.Helper()
	for _, s := range secrets {
		wh, err := svix.NewWebhook(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(q.body, q.header); err != nil {
			t.Fatalf("Svix's verifier refuses the delivery %s with secret %d of %d: %v (webhook-signature %q)",
				q.header.Get("webhook-id"), slices.Index(secrets, s)+1, len(secrets), err, q.header.Get("webhook-signature"))
		}
	}
	return q.body
}

func TestSvixSDK(t *testing.T) {
	onStores(t, func(t *testing.T, c config) {
		c.extraArgs = append(c.extraArgs, "--allow-secret-reveal")
		svixTour(t, newFixture(t, c), nil)
	})
}

// svixTour drives every operation of the Svix-compatible API through the
// official SDK, sending through hc (nil: the default client), and checks
// the answers.
func svixTour(t *testing.T, f *fixture, hc *http.Client) {
	sx := svixClient(t, f, f.h.key, hc)
	ctx := t.Context()

	app := must(sx.Application.Create(ctx, &svix.ApplicationIn{Name: "Acme", Uid: svix.String("acme")})).get(t)
	if app.Id != "acme" || app.Uid == nil || *app.Uid != "acme" || app.Name != "Acme" {
		t.Fatalf("created app %+v, want id and uid acme", app)
	}
	again := must(sx.Application.GetOrCreate(ctx, &svix.ApplicationIn{Name: "Acme", Uid: svix.String("acme")})).get(t)
	if again.Id != app.Id {
		t.Fatalf("GetOrCreate of an existing uid answered %+v", again)
	}
	_, err := sx.Application.Create(ctx, &svix.ApplicationIn{Name: "Acme", Uid: svix.String("acme")})
	wantSvixError(t, err, 409, "conflict")
	generated := must(sx.Application.Create(ctx, &svix.ApplicationIn{Name: "No uid"})).get(t)
	if generated.Uid != nil || generated.Id == "" {
		t.Fatalf("app created without uid = %+v", generated)
	}

	must(sx.EventType.Create(ctx, &svix.EventTypeIn{Name: typePaid, Description: "An invoice was paid.",
		Schemas: map[string]any{"1": map[string]any{"type": "object", "required": []string{"amount"}}}})).get(t)
	must(sx.EventType.Create(ctx, &svix.EventTypeIn{Name: typeVoided, Description: "An invoice was voided."})).get(t)
	et := must(sx.EventType.Get(ctx, typePaid)).get(t)
	if et.Schemas["1"] == nil {
		t.Fatalf("event type read back without its schema: %+v", et)
	}
	types := must(sx.EventType.List(ctx, nil)).get(t)
	if !slices.ContainsFunc(types.Data, func(e svix.EventTypeOut) bool { return e.Name == typePaid }) {
		t.Fatalf("event types listed %+v, want %s among them", types.Data, typePaid)
	}

	rcv := newReceiver(t, 200)
	secret := svixSecret(t)
	ep := must(sx.Endpoint.Create(ctx, "acme", &svix.EndpointIn{Url: rcv.URL, Uid: svix.String("billing"),
		Description: svix.String("billing hooks"), FilterTypes: []string{typePaid}, Secret: &secret})).get(t)
	byUID := must(sx.Endpoint.Get(ctx, "acme", "billing")).get(t)
	if byUID.Id != ep.Id || !slices.Equal(byUID.FilterTypes, []string{typePaid}) || byUID.Description != "billing hooks" {
		t.Fatalf("endpoint read by uid = %+v, want %+v", byUID, ep)
	}
	if got := must(sx.Endpoint.GetSecret(ctx, "acme", ep.Id)).get(t); got.Key != secret {
		t.Fatalf("GetSecret = %q, want the secret the endpoint was created with", got.Key)
	}

	// Messages: without eventId, with one (twice), with an idempotency key (twice).
	payload := map[string]any{"amount": 10, "note": "<b>&</b>"}
	m1 := must(sx.Message.Create(ctx, "acme", &svix.MessageIn{EventType: typePaid, Payload: payload})).get(t)
	m2 := must(sx.Message.Create(ctx, "acme", &svix.MessageIn{EventType: typePaid, EventId: svix.String("inv-1"), Payload: payload})).get(t)
	if m2.Id != "inv-1" || m2.EventId == nil || *m2.EventId != "inv-1" || m1.EventId != nil {
		t.Fatalf("messages %+v and %+v: want the eventId kept, and none on the first", m1, m2)
	}
	_, err = sx.Message.Create(ctx, "acme", &svix.MessageIn{EventType: typePaid, EventId: svix.String("inv-1"), Payload: payload})
	wantSvixError(t, err, 409, "conflict")
	key := &svix.PostOptions{IdempotencyKey: svix.String("pay-3")}
	m3 := must(sx.Message.CreateWithOptions(ctx, "acme", &svix.MessageIn{EventType: typePaid, Payload: payload}, key)).get(t)
	m3again := must(sx.Message.CreateWithOptions(ctx, "acme", &svix.MessageIn{EventType: typePaid, Payload: payload}, key)).get(t)
	if m3again.Id != m3.Id {
		t.Fatalf("a repeated idempotency key made message %s, want the first, %s", m3again.Id, m3.Id)
	}
	voided := must(sx.Message.Create(ctx, "acme", &svix.MessageIn{EventType: typeVoided, Payload: payload})).get(t)
	// The payload goes out byte for byte as given.
	raw := `{"amount":  7, "b":[1, 2]}`
	admin := f.h.admin()
	var m4 struct{ ID string }
	admin.must(t, 202, "POST", "/api/v1/app/acme/msg", `{"eventType":"`+typePaid+`","payload":`+raw+`}`, &m4)

	for _, id := range []string{m1.Id, m2.Id, m3.Id} {
		eventually(t, svixWait, func() (bool, string) { return len(rcv.byID(id)) == 1, "waiting for message " + id })
		var got map[string]any
		if err := json.Unmarshal(verified(t, rcv.byID(id)[0], secret), &got); err != nil || got["note"] != "<b>&</b>" {
			t.Fatalf("message %s arrived as %v (%v)", id, got, err)
		}
	}
	eventually(t, svixWait, func() (bool, string) { return len(rcv.byID(m4.ID)) == 1, "waiting for the raw message" })
	if body := verified(t, rcv.byID(m4.ID)[0], secret); string(body) != raw {
		t.Fatalf("raw payload arrived as %s, want %s", body, raw)
	}
	if n := len(rcv.byID(voided.Id)); n != 0 {
		t.Fatalf("the endpoint filters %s but got it %d times", typeVoided, n)
	}

	msgs := must(sx.Message.List(ctx, "acme", nil)).get(t)
	var listed []string
	for _, m := range msgs.Data {
		listed = append(listed, m.Id)
	}
	for _, id := range []string{m1.Id, m2.Id, m3.Id, m4.ID, voided.Id} {
		if !slices.Contains(listed, id) {
			t.Fatalf("message list %v lacks %s", listed, id)
		}
	}
	if len(listed) != 5 || !msgs.Done {
		t.Fatalf("message list %v (done %v), want the 5 messages on one page", listed, msgs.Done)
	}
	paged := must(sx.Message.List(ctx, "acme", &svix.MessageListOptions{Limit: svix.Int32(2)})).get(t)
	rest := must(sx.Message.List(ctx, "acme", &svix.MessageListOptions{Limit: svix.Int32(4), Iterator: paged.Iterator.Get()})).get(t)
	if len(paged.Data) != 2 || paged.Done || len(rest.Data) != 3 || !rest.Done {
		t.Fatalf("pages of 2 then 4: %d (done %v) then %d (done %v)", len(paged.Data), paged.Done, len(rest.Data), rest.Done)
	}
	one := must(sx.Message.Get(ctx, "acme", m2.Id)).get(t)
	if one.EventType != typePaid || one.Payload["amount"] != float64(10) {
		t.Fatalf("message read back = %+v", one)
	}

	// A receiver has the request a moment before its attempt is recorded.
	var attempts *svix.ListResponseMessageAttemptOut
	eventually(t, svixWait, func() (bool, string) {
		attempts = must(sx.MessageAttempt.ListByEndpoint(ctx, "acme", ep.Id, nil)).get(t)
		return len(attempts.Data) == 4, fmt.Sprintf("endpoint attempts = %d, want 4", len(attempts.Data))
	})
	for _, a := range attempts.Data {
		if a.Status != svix.MessageStatus(0) || a.ResponseStatusCode != 200 || a.EndpointId != ep.Id || a.Url != rcv.URL {
			t.Fatalf("attempt %+v, want a success to %s", a, rcv.URL)
		}
	}
	byMsg := must(sx.MessageAttempt.ListByMsg(ctx, "acme", m2.Id, nil)).get(t)
	if len(byMsg.Data) != 1 || byMsg.Data[0].MsgId != m2.Id {
		t.Fatalf("attempts of %s = %+v", m2.Id, byMsg.Data)
	}
	att := must(sx.MessageAttempt.Get(ctx, "acme", m2.Id, byMsg.Data[0].Id)).get(t)
	if att.Id != byMsg.Data[0].Id || att.Response != receiverBody {
		t.Fatalf("one attempt = %+v", att)
	}

	if err := sx.MessageAttempt.Resend(ctx, "acme", m2.Id, ep.Id); err != nil {
		t.Fatalf("Resend: %v", err)
	}
	eventually(t, svixWait, func() (bool, string) { return len(rcv.byID(m2.Id)) == 2, "waiting for the resend" })
	verified(t, rcv.byID(m2.Id)[1], secret)

	// Rotation: for 24 hours both secrets sign every delivery.
	rotated := svixSecret(t)
	if err := sx.Endpoint.RotateSecret(ctx, "acme", ep.Id, &svix.EndpointSecretRotateIn{Key: &rotated}); err != nil {
		t.Fatalf("RotateSecret: %v", err)
	}
	m5 := must(sx.Message.Create(ctx, "acme", &svix.MessageIn{EventType: typePaid, Payload: payload})).get(t)
	eventually(t, svixWait, func() (bool, string) { return len(rcv.byID(m5.Id)) == 1, "waiting for the message after rotation" })
	q := rcv.byID(m5.Id)[0]
	verified(t, q, rotated, secret)
	if n := strings.Count(q.header.Get("webhook-signature"), "v1,"); n != 2 {
		t.Fatalf("webhook-signature %q holds %d signatures, want 2 during the overlap", q.header.Get("webhook-signature"), n)
	}
	if got := must(sx.Endpoint.GetSecret(ctx, "acme", ep.Id)).get(t); got.Key != rotated {
		t.Fatalf("GetSecret after rotation = %q, want the new key", got.Key)
	}

	eventually(t, svixWait, func() (bool, string) {
		stats := must(sx.Endpoint.GetStats(ctx, "acme", ep.Id)).get(t)
		return stats.Success == 5 && stats.Fail == 0 && stats.Pending == 0, fmt.Sprintf("stats = %+v, want 5 successes", stats)
	})
	portal := must(sx.Authentication.AppPortalAccess(ctx, "acme", &svix.AppPortalAccessIn{})).get(t)
	if portal.Token == "" || !strings.HasPrefix(portal.Url, f.h.url+"/dashboard") || !strings.Contains(portal.Url, url.QueryEscape(portal.Token)) {
		t.Fatalf("portal access = %+v", portal)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(portal.Url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		t.Fatalf("opening the portal link answered %d", resp.StatusCode)
	}

	t.Run("channels", func(t *testing.T) { svixChannels(t, sx, payload) })
	t.Run("endpoint settings", func(t *testing.T) { svixEndpointSettings(t, sx, payload) })
	t.Run("transformation", func(t *testing.T) { svixTransformation(t, sx, payload) })
	t.Run("application updates", func(t *testing.T) { svixAppUpdates(t, sx) })
	t.Run("tenant scope", func(t *testing.T) { svixScope(t, f, sx, hc, ep.Id, m2.Id) })
	t.Run("bad input", func(t *testing.T) { svixBadInput(t, f, sx, ep.Id) })
	t.Run("broker endpoints", func(t *testing.T) { svixBrokers(t, f, sx) })

	if err := sx.Endpoint.Delete(ctx, "acme", "billing"); err != nil {
		t.Fatalf("Delete endpoint by uid: %v", err)
	}
	_, err = sx.Endpoint.Get(ctx, "acme", ep.Id)
	wantSvixError(t, err, 404, "not_found")
	if err := sx.Application.Delete(ctx, "acme"); err != nil {
		t.Fatalf("Delete application: %v", err)
	}
	_, err = sx.Application.Get(ctx, "acme")
	wantSvixError(t, err, 404, "not_found")
}

// svixScope: a key scoped to another application sees nothing of acme (404).
func svixScope(t *testing.T, f *fixture, sx *svix.Svix, hc *http.Client, endpointID, msgID string) {
	ctx := t.Context()
	must(sx.Application.Create(ctx, &svix.ApplicationIn{Name: "Other", Uid: svix.String("other")})).get(t)
	var k struct {
		Key string `json:"key"`
	}
	f.admin.must(t, 201, "POST", "/v1/api-keys", map[string]any{"name": "other's admin", "role": "admin", "tenant": "other"}, &k)
	other := svixClient(t, f, k.Key, hc)
	for name, call := range map[string]func(context.Context) error{
		"get app":      func(ctx context.Context) error { _, err := other.Application.Get(ctx, "acme"); return err },
		"get endpoint": func(ctx context.Context) error { _, err := other.Endpoint.Get(ctx, "acme", endpointID); return err },
		"get message":  func(ctx context.Context) error { _, err := other.Message.Get(ctx, "acme", msgID); return err },
		"send message": func(ctx context.Context) error {
			_, err := other.Message.Create(ctx, "acme", &svix.MessageIn{EventType: typePaid, Payload: map[string]any{}})
			return err
		},
		"list attempts": func(ctx context.Context) error {
			_, err := other.MessageAttempt.ListByEndpoint(ctx, "acme", endpointID, nil)
			return err
		},
	} {
		t.Run(name, func(t *testing.T) { wantSvixError(t, call(t.Context()), 404, "not_found") })
	}
	apps := must(other.Application.List(ctx, nil)).get(t)
	if len(apps.Data) != 1 || apps.Data[0].Id != "other" {
		t.Fatalf("a scoped key lists %+v, want its own application only", apps.Data)
	}
	// Scoped keys cannot create applications (they do not operate the deployment).
	_, err := other.Application.Create(ctx, &svix.ApplicationIn{Name: "x"})
	wantSvixError(t, err, 403, "insufficient access")
}

// svixBadInput: malformed input is answered in Svix's shapes and writes nothing.
func svixBadInput(t *testing.T, f *fixture, sx *svix.Svix, endpointID string) {
	ctx := t.Context()
	before := must(sx.Endpoint.List(ctx, "acme", nil)).get(t)
	msgsBefore := must(sx.Message.List(ctx, "acme", nil)).get(t)

	_, err := sx.Endpoint.Create(ctx, "acme", &svix.EndpointIn{Url: "not a url", Uid: svix.String("bad")})
	wantSvixValidation(t, err, "body", "url")
	_, err = sx.Endpoint.Create(ctx, "acme", &svix.EndpointIn{Url: "https://example.com/hook", FilterTypes: []string{"no.such.type"}})
	wantSvixValidation(t, err, "body", "filterTypes")
	_, err = sx.Endpoint.Create(ctx, "acme", &svix.EndpointIn{Url: "https://example.com/hook", Uid: svix.String("billing")})
	wantSvixError(t, err, 409, "conflict")
	_, err = sx.Endpoint.Update(ctx, "acme", endpointID, &svix.EndpointUpdate{Url: "https://example.com/x", RateLimit: svix.Int32(-1)})
	wantSvixValidation(t, err, "body", "rateLimit")
	_, err = sx.Message.Create(ctx, "acme", &svix.MessageIn{EventType: "no.such.type", Payload: map[string]any{}})
	wantSvixValidation(t, err, "body", "eventType")
	_, err = sx.Message.List(ctx, "acme", &svix.MessageListOptions{Limit: svix.Int32(0)})
	wantSvixValidation(t, err, "query", "limit")

	admin := f.h.admin()
	for _, body := range []string{`{"eventType":`, `{"eventType":"invoice.paid","payload":[1]}`, `{"eventType":"invoice.paid","payload":"x"}`} {
		r := admin.do(t, "POST", "/api/v1/app/acme/msg", body)
		if r.status != 400 && r.status != 422 {
			t.Fatalf("message body %s answered %d %s, want 400 or 422", body, r.status, r.body)
		}
		var shape map[string]json.RawMessage
		if json.Unmarshal(r.body, &shape) != nil || shape["detail"] == nil {
			t.Fatalf("message body %s answered %s, not a Svix error body", body, r.body)
		}
	}

	for name, call := range map[string]func() error{
		"app":      func() error { _, err := sx.Application.Get(ctx, "nope"); return err },
		"endpoint": func() error { _, err := sx.Endpoint.Get(ctx, "acme", "ep_nope"); return err },
		"message":  func() error { _, err := sx.Message.Get(ctx, "acme", "nope"); return err },
		"attempt":  func() error { _, err := sx.MessageAttempt.Get(ctx, "acme", "nope", "att_nope"); return err },
		"endpoint of unknown app": func() error {
			_, err := sx.Endpoint.Create(ctx, "nope", &svix.EndpointIn{Url: "https://example.com/hook"})
			return err
		},
	} {
		t.Run("unknown "+name, func(t *testing.T) { wantSvixError(t, call(), 404, "not_found") })
	}

	for _, c := range []struct {
		client       *apiClient
		method, path string
		status       int
		code         string
	}{
		{f.h.client(""), "GET", "/api/v1/app", 401, "authentication_failed"},
		{f.h.client("hk_unknown"), "GET", "/api/v1/app", 401, "authentication_failed"},
		{admin, "GET", "/api/v1/nothing-here", 404, "not_found"},
		{admin, "DELETE", "/api/v1/event-type/" + typePaid, 404, "not_found"},
	} {
		r := c.client.do(t, c.method, c.path, nil)
		var out struct{ Code, Detail string }
		if r.status != c.status || json.Unmarshal(r.body, &out) != nil || out.Code != c.code || out.Detail == "" {
			t.Errorf("%s %s answered %d %s, want %d with code %q", c.method, c.path, r.status, r.body, c.status, c.code)
		}
	}
	var doc struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	admin.must(t, 200, "GET", "/openapi-svix.json", nil, &doc)
	if doc.OpenAPI == "" || doc.Paths["/api/v1/app/{app_id}/msg"] == nil {
		t.Errorf("/openapi-svix.json does not describe the message routes")
	}

	after := must(sx.Endpoint.List(ctx, "acme", nil)).get(t)
	msgsAfter := must(sx.Message.List(ctx, "acme", nil)).get(t)
	if len(after.Data) != len(before.Data) || len(msgsAfter.Data) != len(msgsBefore.Data) {
		t.Fatalf("bad input wrote: endpoints %d → %d, messages %d → %d", len(before.Data), len(after.Data), len(msgsBefore.Data), len(msgsAfter.Data))
	}
	e := must(sx.Endpoint.Get(ctx, "acme", endpointID)).get(t)
	if e.RateLimit != nil || e.Url == "https://example.com/x" {
		t.Fatalf("a refused update changed the endpoint: %+v", e)
	}
	if !bytes.Contains([]byte(e.Url), []byte("127.0.0.1")) {
		t.Fatalf("endpoint url = %s", e.Url)
	}
}

// svixChannels: an endpoint with channels gets only the messages that share
// one of them, and still only of its types.
func svixChannels(t *testing.T, sx *svix.Svix, payload map[string]any) {
	ctx := t.Context()
	rcv := newReceiver(t, 200)
	secret := svixSecret(t)
	ep := must(sx.Endpoint.Create(ctx, "acme", &svix.EndpointIn{Url: rcv.URL, Channels: []string{"eu", "us"}, Secret: &secret})).get(t)
	if got := must(sx.Endpoint.Get(ctx, "acme", ep.Id)).get(t); !slices.Equal(got.Channels, []string{"eu", "us"}) {
		t.Fatalf("endpoint channels read back as %v", got.Channels)
	}
	send := func(eventType string, channels ...string) string {
		m := must(sx.Message.Create(ctx, "acme", &svix.MessageIn{EventType: eventType, Channels: channels, Payload: payload})).get(t)
		if !slices.Equal(m.Channels, channels) {
			t.Fatalf("message channels answered as %v, want %v", m.Channels, channels)
		}
		return m.Id
	}
	none, asia := send(typePaid), send(typePaid, "asia")
	eu, usVoided := send(typePaid, "eu", "asia"), send(typeVoided, "us")
	eventually(t, svixWait, func() (bool, string) { return len(rcv.byID(eu)) == 1, "waiting for the eu message" })
	verified(t, rcv.byID(eu)[0], secret)
	last := send(typeVoided, "us")
	eventually(t, svixWait, func() (bool, string) { return len(rcv.byID(last)) == 1, "waiting for the last message" })
	for _, id := range []string{none, asia} {
		if n := len(rcv.byID(id)); n != 0 {
			t.Fatalf("message %s shares no channel with the endpoint but arrived %d times", id, n)
		}
	}
	if len(rcv.byID(usVoided)) != 1 {
		t.Fatalf("message %s on channel us did not arrive", usVoided)
	}
	listed := must(sx.Message.List(ctx, "acme", &svix.MessageListOptions{Channel: svix.String("asia")})).get(t)
	var ids []string
	for _, m := range listed.Data {
		ids = append(ids, m.Id)
	}
	if !slices.Equal(ids, []string{eu, asia}) {
		t.Fatalf("messages on channel asia listed as %v, want [%s %s]", ids, eu, asia)
	}
	if err := sx.Endpoint.Delete(ctx, "acme", ep.Id); err != nil {
		t.Fatal(err)
	}
}

// svixEndpointSettings: custom headers, disabling (deliveries wait) and
// enabling (they go), and a recover job, through the SDK.
func svixEndpointSettings(t *testing.T, sx *svix.Svix, payload map[string]any) {
	ctx := t.Context()
	rcv := newReceiver(t, 200)
	ep := must(sx.Endpoint.Create(ctx, "acme", &svix.EndpointIn{Url: rcv.URL})).get(t)
	if up := must(sx.Endpoint.Update(ctx, "acme", ep.Id, &svix.EndpointUpdate{Url: rcv.URL, Description: svix.String("settings")})).get(t); up.Description != "settings" {
		t.Fatalf("updated endpoint = %+v, want the new description", up)
	}

	if err := sx.Endpoint.UpdateHeaders(ctx, "acme", ep.Id, &svix.EndpointHeadersIn{Headers: map[string]string{"X-Api-Key": "k-1"}}); err != nil {
		t.Fatalf("UpdateHeaders: %v", err)
	}
	if err := sx.Endpoint.PatchHeaders(ctx, "acme", ep.Id, &svix.EndpointHeadersPatchIn{Headers: map[string]string{"X-Region": "eu"}}); err != nil {
		t.Fatalf("PatchHeaders: %v", err)
	}
	h := must(sx.Endpoint.GetHeaders(ctx, "acme", ep.Id)).get(t)
	if !slices.Equal(h.Sensitive, []string{"X-Api-Key", "X-Region"}) || len(h.Headers) != 0 {
		t.Fatalf("headers read back as %+v, want both names as sensitive, no values", h)
	}
	err := sx.Endpoint.UpdateHeaders(ctx, "acme", ep.Id, &svix.EndpointHeadersIn{Headers: map[string]string{"webhook-id": "forged"}})
	wantSvixValidation(t, err, "body", "headers", "webhook-id")

	disabled := must(sx.Endpoint.Patch(ctx, "acme", ep.Id, &svix.EndpointPatch{Disabled: ptr(true)})).get(t)
	if disabled.Disabled == nil || !*disabled.Disabled {
		t.Fatalf("patched endpoint = %+v, want disabled", disabled)
	}
	waiting := must(sx.Message.Create(ctx, "acme", &svix.MessageIn{EventType: typePaid, Payload: payload})).get(t)
	quiet(300 * time.Millisecond)
	if n := len(rcv.requests()); n != 0 {
		t.Fatalf("a disabled endpoint got %d requests", n)
	}
	if e := must(sx.Endpoint.Patch(ctx, "acme", ep.Id, &svix.EndpointPatch{Disabled: ptr(false)})).get(t); e.Disabled != nil && *e.Disabled {
		t.Fatalf("re-enabled endpoint = %+v", e)
	}
	eventually(t, svixWait, func() (bool, string) {
		return len(rcv.byID(waiting.Id)) == 1, "waiting for the paused message after enable"
	})
	got := rcv.byID(waiting.Id)[0].header
	if got.Get("X-Api-Key") != "k-1" || got.Get("X-Region") != "eu" {
		t.Fatalf("delivery headers %v lack the custom headers", got)
	}

	rec := must(sx.Endpoint.Recover(ctx, "acme", ep.Id, &svix.RecoverIn{Since: time.Now().Add(-time.Hour)})).get(t)
	if rec.Id == "" || rec.Task != "endpoint.recover" {
		t.Fatalf("recover answered %+v", rec)
	}
	_, err = sx.Endpoint.Recover(ctx, "acme", ep.Id, &svix.RecoverIn{Since: time.Now().Add(time.Hour)})
	wantSvixValidation(t, err, "body", "until")
	if err := sx.Endpoint.Delete(ctx, "acme", ep.Id); err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

// svixAppUpdates: PUT renames or creates, PATCH renames.
func svixAppUpdates(t *testing.T, sx *svix.Svix) {
	ctx := t.Context()
	renamed := must(sx.Application.Update(ctx, "acme", &svix.ApplicationIn{Name: "Acme Inc"})).get(t)
	if renamed.Id != "acme" || renamed.Name != "Acme Inc" {
		t.Fatalf("PUT answered %+v", renamed)
	}
	created := must(sx.Application.Update(ctx, "made-by-put", &svix.ApplicationIn{Name: "New"})).get(t)
	if created.Id != "made-by-put" || created.Uid == nil || *created.Uid != "made-by-put" {
		t.Fatalf("PUT of a new id answered %+v", created)
	}
	patched := must(sx.Application.Patch(ctx, "made-by-put", &svix.ApplicationPatch{Name: svix.String("Patched")})).get(t)
	if patched.Name != "Patched" {
		t.Fatalf("PATCH answered %+v", patched)
	}
	if got := must(sx.Application.Get(ctx, "made-by-put")).get(t); got.Name != "Patched" {
		t.Fatalf("read after PATCH = %+v", got)
	}
	if err := sx.Application.Delete(ctx, "made-by-put"); err != nil {
		t.Fatal(err)
	}
}

// TestSvixArchivedEventTypes: Svix's archived maps onto hookd's; its list
// leaves archived types out unless include_archived=true.
func TestSvixArchivedEventTypes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})
	admin := f.h.admin()
	if r := admin.do(t, "POST", "/api/v1/event-type", map[string]any{"name": "legacy.thing", "archived": true, "deprecated": true}); r.status != 201 ||
		!strings.Contains(string(r.body), `"archived":true`) {
		t.Fatalf("create archived: %d %s", r.status, r.body)
	}
	var native struct{ Archived, Deprecated bool }
	admin.must(t, 200, "GET", "/v1/event-types/legacy.thing", nil, &native)
	if !native.Archived || !native.Deprecated {
		t.Errorf("the native API sees %+v, want archived and deprecated", native)
	}
	listed := func(query string) bool {
		r := admin.do(t, "GET", "/api/v1/event-type"+query, nil)
		if r.status != 200 {
			t.Fatalf("list%s: %d %s", query, r.status, r.body)
		}
		return strings.Contains(string(r.body), `"legacy.thing"`)
	}
	if listed("") || listed("?include_archived=false") || !listed("?include_archived=true") {
		t.Errorf("archived type listed by default, or not with include_archived=true")
	}
	if r := admin.do(t, "GET", "/api/v1/event-type?include_archived=maybe", nil); r.status != 422 {
		t.Errorf("include_archived=maybe: %d, want 422", r.status)
	}
}

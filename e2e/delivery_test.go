package e2e

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hookd/hookd/signature"
)

// verify checks a delivery's signature with the official Standard Webhooks
// library, unchanged.
func verify(t testing.TB, secret string, q received) {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatalf("standardwebhooks.NewWebhook(%q): %v", secret, err)
	}
	if err := wh.Verify(q.body, q.header); err != nil {
		t.Errorf("official library rejects the signature: %v\nheaders: %v\nbody: %s", err, q.header, q.body)
	}
}

func TestDeliverySignedEnvelope(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})
	ten := f.tenant()
	rcv := newReceiver(t, 200)
	ep, secret := f.endpoint(ten, rcv.URL, map[string]any{
		"headers": map[string]string{"Authorization": "Bearer receiver-token-42"},
	})
	if got := f.getEndpoint(ten, ep.ID).Headers["Authorization"]; got != "********" {
		t.Errorf("endpoint read back shows custom header value %q, want it masked", got)
	}

	t.Run("data in the default envelope", func(t *testing.T) {
		f := f.in(t)
		data := `{"name":"<b>&","n":1.5,"nested":{"é":"ü"}}`
		ev := f.publish(ten, typeCreated, data)
		if ev.Deliveries != 1 {
			t.Errorf("publish created %d deliveries, want 1", ev.Deliveries)
		}
		q := rcv.waitRequests(t, 1)[0]
		d := f.deliveryOf(ten, ev.ID)

		wantHeaders := map[string]string{
			"Content-Type":     "application/json",
			"User-Agent":       "hookd/" + e2eVersion, // stamped by TestMain's -ldflags
			"Authorization":    "Bearer receiver-token-42",
			"X-Hookd-Event":    typeCreated,
			"X-Hookd-Delivery": d.ID,
			"X-Hookd-Attempt":  "1",
			"Webhook-Id":       ev.ID,
		}
		for name, want := range wantHeaders {
			if got := q.header.Get(name); got != want {
				t.Errorf("header %s = %q, want %q", name, got, want)
			}
		}
		if q.header.Get("webhook-timestamp") == "" || !strings.HasPrefix(q.header.Get("webhook-signature"), "v1,") {
			t.Errorf("signature headers missing: %v", q.header)
		}
		verify(t, secret, q)

		var env struct {
			Timestamp string `json:"timestamp"`
		}
		if err := json.Unmarshal(q.body, &env); err != nil {
			t.Fatalf("body is not JSON: %v: %s", err, q.body)
		}
		if _, err := time.Parse(time.RFC3339, env.Timestamp); err != nil {
			t.Errorf("timestamp %q is not RFC 3339: %v", env.Timestamp, err)
		}
		// Compact, in this key order, and "<b>&" unescaped: what
		// JSON.stringify(JSON.parse(body)) would give back.
		want := `{"id":"` + ev.ID + `","type":"` + typeCreated + `","timestamp":"` + env.Timestamp + `","data":` + data + `}`
		if string(q.body) != want {
			t.Errorf("body\n got %s\nwant %s", q.body, want)
		}

		d = f.waitStatus(ten, d.ID, "delivered")
		if d.AttemptCount != 1 || len(d.Attempts) != 1 {
			t.Fatalf("delivery has attempt_count %d and %d attempts, want 1: %+v", d.AttemptCount, len(d.Attempts), d)
		}
		a := d.Attempts[0]
		if a.Number != 1 || a.StatusCode != 200 || a.ResponseBody != receiverBody {
			t.Errorf("attempt = number %d, status %d, response %q; want 1, 200, %q", a.Number, a.StatusCode, a.ResponseBody, receiverBody)
		}
		if got := a.RequestHeaders["Authorization"]; got != "********" {
			t.Errorf("attempt log shows Authorization %q, want it masked", got)
		}
		if got := a.RequestHeaders["X-Hookd-Delivery"]; got != d.ID {
			t.Errorf("attempt log shows X-Hookd-Delivery %q, want %q", got, d.ID)
		}
		if strings.Contains(string(f.admin.do(t, "GET", "/v1/tenants/"+ten+"/deliveries/"+d.ID, nil).body), "receiver-token-42") {
			t.Errorf("the custom header's value shows in the delivery log")
		}
	})

	t.Run("data normalised as JSON.stringify would", func(t *testing.T) {
		f := f.in(t)
		ev := f.publish(ten, typeCreated, `{"a":1.50,"b":1e3,"c":1E-7,"d":1e21,"e":-0.0,"f":"\u00e9\/\u001F\t", "g" : [ 1 , {} ]}`)
		var q received
		eventually(t, 20*time.Second, func() (bool, string) {
			got := rcv.byID(ev.ID)
			if len(got) == 0 {
				return false, "the event did not arrive"
			}
			q = got[0]
			return true, ""
		})
		// What node prints for JSON.stringify(JSON.parse(data)).
		want := `"data":{"a":1.5,"b":1000,"c":1e-7,"d":1e+21,"e":0,"f":"é/\u001f\t","g":[1,{}]}}`
		if !strings.HasSuffix(string(q.body), want) {
			t.Errorf("body %s\ndoes not end with %s", q.body, want)
		}
		verify(t, secret, q)
	})

	t.Run("response excerpt is bounded", func(t *testing.T) {
		f := f.in(t)
		ten := f.tenant()
		big := newReceiver(t, 200)
		big.answer.Store(strings.Repeat("0123456789", 2000)) // 20,000 bytes
		f.endpoint(ten, big.URL, nil)
		ev := f.publish(ten, typeCreated, `{}`)
		d := f.waitStatus(ten, f.deliveryOf(ten, ev.ID).ID, "delivered")
		if len(d.Attempts) != 1 {
			t.Fatalf("%d attempts", len(d.Attempts))
		}
		if got := d.Attempts[0].ResponseBody; len(got) == 0 || len(got) > 4096 || !strings.HasPrefix(strings.Repeat("0123456789", 2000), got) {
			t.Errorf("response excerpt of %d bytes, want a prefix of at most 4096", len(got))
		}
	})

	t.Run("payload sent byte for byte", func(t *testing.T) {
		f := f.in(t)
		payload := "{ \"zeta\" :1,\n\t\"alpha\":[ 1 ,2.50 ],  \"html\":\"<i>\\u0026\" }"
		body, _ := json.Marshal(map[string]any{"type": typeFailed, "id": "evt-payload-1"})
		body = append(body[:len(body)-1], `,"payload":`+payload+`}`...)
		var ev publishResult
		f.admin.must(t, 202, "POST", "/v1/tenants/"+ten+"/events", body, &ev)
		if ev.ID != "evt-payload-1" {
			t.Errorf("event id %q, want the given evt-payload-1", ev.ID)
		}
		var q received
		eventually(t, 20*time.Second, func() (bool, string) {
			got := rcv.byID(ev.ID)
			if len(got) == 0 {
				return false, "the payload event did not arrive"
			}
			q = got[0]
			return true, ""
		})
		if string(q.body) != payload {
			t.Errorf("body\n got %q\nwant %q", q.body, payload)
		}
		if q.header.Get("X-Hookd-Event") != typeFailed {
			t.Errorf("X-Hookd-Event = %q", q.header.Get("X-Hookd-Event"))
		}
		verify(t, secret, q)
		f.waitStatus(ten, f.deliveryOf(ten, ev.ID).ID, "delivered")
	})
}

// TestStandardWebhooksTestVector signs the Standard Webhooks specification's
// published test vector with the signature package hookd signs with, and
// checks the header against the vector and the official library.
func TestStandardWebhooksTestVector(t *testing.T) {
	t.Parallel()
	const (
		secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		msgID  = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		ts     = 1614265330
		body   = `{"test": 2432232314}`
		want   = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	)
	h := http.Header{}
	if err := (signature.Signer{Scheme: signature.Standard}).Sign(h, msgID, time.Unix(ts, 0), []byte(body), []string{secret}); err != nil {
		t.Fatal(err)
	}
	if got := h.Get("webhook-signature"); got != want {
		t.Errorf("webhook-signature = %q, want the published %q", got, want)
	}
	if h.Get("webhook-id") != msgID || h.Get("webhook-timestamp") != "1614265330" {
		t.Errorf("webhook-id %q, webhook-timestamp %q", h.Get("webhook-id"), h.Get("webhook-timestamp"))
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.VerifyIgnoringTimestamp([]byte(body), h); err != nil {
		t.Errorf("official library rejects our headers for the vector: %v", err)
	}
	if lib, _ := wh.Sign(msgID, time.Unix(ts, 0), []byte(body)); lib != want {
		t.Errorf("official library signs the vector as %q (test setup is wrong)", lib)
	}
	// A tampered body must not verify: the check above can fail.
	if err := wh.VerifyIgnoringTimestamp([]byte(body+" "), h); err == nil {
		t.Errorf("a changed body verified")
	}
}

func TestRetryScheduleThenFailed(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})

	t.Run("three attempts then failed", func(t *testing.T) {
		f := f.in(t)
		t.Parallel()
		ten := f.tenant()
		rcv := newReceiver(t, 500)
		ep, secret := f.endpoint(ten, rcv.URL, map[string]any{"retry_schedule": []string{"1s", "2s"}})
		ev := f.publish(ten, typeCreated, `{"n":1}`)
		d := f.waitStatus(ten, f.deliveryOf(ten, ev.ID).ID, "failed")
		quiet(2500 * time.Millisecond) // room for a wrong fourth attempt
		reqs := rcv.requests()
		if len(reqs) != 3 {
			t.Fatalf("receiver got %d requests, want exactly 3", len(reqs))
		}
		for i, q := range reqs {
			if got, want := q.header.Get("X-Hookd-Attempt"), []string{"1", "2", "3"}[i]; got != want {
				t.Errorf("request %d: X-Hookd-Attempt %q, want %q", i+1, got, want)
			}
			if q.header.Get("webhook-id") != ev.ID || q.header.Get("X-Hookd-Delivery") != d.ID {
				t.Errorf("request %d: webhook-id %q, delivery %q; want %q, %q", i+1,
					q.header.Get("webhook-id"), q.header.Get("X-Hookd-Delivery"), ev.ID, d.ID)
			}
			if !bytes.Equal(q.body, reqs[0].body) {
				t.Errorf("request %d body differs from the first attempt's", i+1)
			}
			verify(t, secret, q)
		}
		// Lower bounds only, with some slack for timestamp resolution.
		if gap := reqs[1].at.Sub(reqs[0].at); gap < 900*time.Millisecond {
			t.Errorf("second attempt came %s after the first, want >= ~1s", gap)
		}
		if gap := reqs[2].at.Sub(reqs[1].at); gap < 1900*time.Millisecond {
			t.Errorf("third attempt came %s after the second, want >= ~2s", gap)
		}
		d = f.getDelivery(ten, d.ID)
		if d.Status != "failed" || d.AttemptCount != 3 || len(d.Attempts) != 3 {
			t.Errorf("delivery: status %q, attempt_count %d, %d attempts logged; want failed, 3, 3", d.Status, d.AttemptCount, len(d.Attempts))
		}
		for i, a := range d.Attempts {
			if a.Number != i+1 || a.StatusCode != 500 {
				t.Errorf("attempt %d logged as number %d, status %d", i+1, a.Number, a.StatusCode)
			}
		}
		e := f.getEndpoint(ten, ep.ID)
		if e.FailureCount != 1 || e.LastFailureAt == nil || e.Status != "active" {
			t.Errorf("endpoint: failure_count %d, last_failure_at %v, status %q; want 1, set, active", e.FailureCount, e.LastFailureAt, e.Status)
		}
	})

	t.Run("a redirect is a failure and is not followed", func(t *testing.T) {
		f := f.in(t)
		t.Parallel()
		ten := f.tenant()
		target := newReceiver(t, 200)
		redirector := newReceiver(t, http.StatusFound)
		redirector.location.Store(target.URL + "/elsewhere")
		f.endpoint(ten, redirector.URL, map[string]any{"retry_schedule": []string{}})
		ev := f.publish(ten, typeCreated, `{"n":2}`)
		d := f.waitStatus(ten, f.deliveryOf(ten, ev.ID).ID, "failed")
		if len(d.Attempts) != 1 || d.Attempts[0].StatusCode != http.StatusFound {
			t.Errorf("attempts = %+v, want one with status 302", d.Attempts)
		}
		if n := len(redirector.requests()); n != 1 {
			t.Errorf("redirecting receiver got %d requests, want 1", n)
		}
		quiet(500 * time.Millisecond)
		if n := len(target.requests()); n != 0 {
			t.Errorf("the redirect target got %d requests: the redirect was followed", n)
		}
	})
}

func TestReplay(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})
	ten := f.tenant()
	rcv := newReceiver(t, 500)
	_, secret := f.endpoint(ten, rcv.URL, map[string]any{"retry_schedule": []string{}})
	ev := f.publish(ten, typeCreated, `{"replay":true}`)
	d := f.waitStatus(ten, f.deliveryOf(ten, ev.ID).ID, "failed")

	rcv.status.Store(200)
	f.admin.must(t, 202, "POST", "/v1/tenants/"+ten+"/deliveries/"+d.ID+"/replay", nil, nil)
	d = f.waitStatus(ten, d.ID, "delivered")
	if d.AttemptCount != 2 || len(d.Attempts) != 2 {
		t.Errorf("attempt_count %d, %d attempts logged; want 2", d.AttemptCount, len(d.Attempts))
	}
	reqs := rcv.requests()
	if len(reqs) != 2 {
		t.Fatalf("receiver got %d requests, want 2", len(reqs))
	}
	for i, q := range reqs {
		if q.header.Get("webhook-id") != ev.ID {
			t.Errorf("request %d: webhook-id %q, want the event id %q", i+1, q.header.Get("webhook-id"), ev.ID)
		}
		if q.header.Get("X-Hookd-Delivery") != d.ID {
			t.Errorf("request %d: X-Hookd-Delivery %q, want %q", i+1, q.header.Get("X-Hookd-Delivery"), d.ID)
		}
		verify(t, secret, q)
	}
	if a := reqs[1].header.Get("X-Hookd-Attempt"); a != "2" {
		t.Errorf("replay sent X-Hookd-Attempt %q, want 2", a)
	}
	if !bytes.Equal(reqs[0].body, reqs[1].body) {
		t.Errorf("replay body differs:\n%s\n%s", reqs[0].body, reqs[1].body)
	}
}

func TestTestEvent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})

	sendTest := func(t *testing.T, ten, epID string) delivery {
		t.Helper()
		var d delivery
		f.admin.must(t, 202, "POST", "/v1/tenants/"+ten+"/endpoints/"+epID+"/test", map[string]any{"event_type": typeCreated}, &d)
		if d.ID == "" || d.EventID == "" {
			t.Fatalf("test answer has no delivery: %+v", d)
		}
		return d
	}
	checkExample := func(t *testing.T, q received) {
		t.Helper()
		var env struct {
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(q.body, &env); err != nil {
			t.Fatalf("test body is not JSON: %s", q.body)
		}
		if env.Type != typeCreated || string(env.Data) != exampleCreated {
			t.Errorf("test event type %q data %s, want %s %s", env.Type, env.Data, typeCreated, exampleCreated)
		}
		if mt, _, _ := mime.ParseMediaType(q.header.Get("Content-Type")); mt != "application/json" {
			t.Errorf("Content-Type %q", q.header.Get("Content-Type"))
		}
	}

	t.Run("sends the example, also to a disabled endpoint", func(t *testing.T) {
		f := f.in(t)
		t.Parallel()
		ten := f.tenant()
		rcv := newReceiver(t, 200)
		ep, secret := f.endpoint(ten, rcv.URL, nil)

		d := sendTest(t, ten, ep.ID)
		q := rcv.waitRequests(t, 1)[0]
		checkExample(t, q)
		verify(t, secret, q)
		if q.header.Get("webhook-id") != d.EventID {
			t.Errorf("webhook-id %q, want the test event's id %q", q.header.Get("webhook-id"), d.EventID)
		}
		if d = f.waitStatus(ten, d.ID, "delivered"); !d.Test {
			t.Errorf("test delivery not marked test: %+v", d)
		}

		f.admin.must(t, 200, "POST", "/v1/tenants/"+ten+"/endpoints/"+ep.ID+"/disable", nil, nil)
		d = sendTest(t, ten, ep.ID)
		q = rcv.waitRequests(t, 2)[1]
		checkExample(t, q)
		f.waitStatus(ten, d.ID, "delivered")
		if e := f.getEndpoint(ten, ep.ID); e.Status != "disabled" {
			t.Errorf("endpoint is %q after a test, want still disabled", e.Status)
		}
	})

	t.Run("failures never count", func(t *testing.T) {
		f := f.in(t)
		t.Parallel()
		ten := f.tenant()
		rcv := newReceiver(t, 500)
		ep, _ := f.endpoint(ten, rcv.URL, map[string]any{"retry_schedule": []string{}})
		var ds []delivery
		for range 5 {
			ds = append(ds, sendTest(t, ten, ep.ID))
		}
		for _, d := range ds {
			f.waitStatus(ten, d.ID, "failed")
		}
		quiet(300 * time.Millisecond)
		e := f.getEndpoint(ten, ep.ID)
		if e.FailureCount != 0 || e.Status != "active" || e.DisabledReason != "" {
			t.Errorf("after 5 failed test deliveries: failure_count %d, status %q, disabled_reason %q; want 0, active, none",
				e.FailureCount, e.Status, e.DisabledReason)
		}
	})
}

// TestDeleteEndpointDuringAttempt deletes an endpoint while a request to it
// is in flight; the result of that attempt has nowhere to go, and must not
// stop other deliveries from being recorded.
func TestDeleteEndpointDuringAttempt(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})
	ten := f.tenant()
	slow := newReceiver(t, 200)
	slow.delay.Store(int64(1500 * time.Millisecond))
	doomed, _ := f.endpoint(ten, slow.URL, nil)
	f.publish(ten, typeCreated, `{"to":"doomed"}`)
	select {
	case <-slow.arrived:
	case <-time.After(20 * time.Second):
		t.Fatal("the slow receiver got no request")
	}
	f.admin.must(t, 204, "DELETE", "/v1/tenants/"+ten+"/endpoints/"+doomed.ID, nil, nil)
	quiet(2 * time.Second) // the slow attempt ends and its result is recorded (or not)

	other := f.tenant()
	rcv := newReceiver(t, 200)
	f.endpoint(other, rcv.URL, nil)
	ev := f.publish(other, typeCreated, `{"to":"other"}`)
	f.waitStatus(other, f.deliveryOf(other, ev.ID).ID, "delivered")
}

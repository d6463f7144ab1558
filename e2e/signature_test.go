package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	stripewebhook "github.com/stripe/stripe-go/v82/webhook"
)

// The verifiers below are independent of our signature package: the
// official Standard Webhooks library, stripe-go, and HMACs written out here.

func hexHMAC(key, msg []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return hex.EncodeToString(m.Sum(nil))
}

// standardSignatures returns the base64 HMACs of a standard header.
func standardSignatures(t testing.TB, h http.Header) []string {
	var out []string
	for _, entry := range strings.Split(h.Get("webhook-signature"), " ") {
		sig, ok := strings.CutPrefix(entry, "v1,")
		if !ok {
			t.Fatalf("webhook-signature entry %q lacks v1,", entry)
		}
		out = append(out, sig)
	}
	return out
}

func standardSignature(t testing.TB, secret string, h http.Header, body []byte) string {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s.%s.%s", h.Get("webhook-id"), h.Get("webhook-timestamp"), body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func officialVerify(t testing.TB, secret string, r received) error {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	return wh.Verify(r.body, r.header)
}

// TestSignatureSchemesPerEndpoint: one deployment (standard by default), one
// endpoint per scheme, each delivery checked by an independent verifier.
func TestSignatureSchemesPerEndpoint(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})
	ten := f.tenant()
	recv := map[string]*receiver{}
	secrets := map[string]string{}
	for _, scheme := range []string{"standard", "timestamped", "body"} {
		recv[scheme] = newReceiver(t, 200)
		ep, secret := f.endpoint(ten, recv[scheme].URL, map[string]any{"signature_scheme": scheme})
		secrets[scheme] = secret
		var shown struct {
			SignatureScheme string `json:"signature_scheme"`
		}
		f.admin.must(t, 200, "GET", "/v1/tenants/"+ten+"/endpoints/"+ep.ID, nil, &shown)
		if shown.SignatureScheme != scheme {
			t.Fatalf("endpoint shows signature_scheme %q, want %q", shown.SignatureScheme, scheme)
		}
	}
	ev := f.publish(ten, typeCreated, `{"n":1}`)

	std := recv["standard"].waitRequests(t, 1)[0]
	if err := officialVerify(t, secrets["standard"], std); err != nil {
		t.Errorf("standard: official library: %v", err)
	}

	ts := recv["timestamped"].waitRequests(t, 1)[0]
	if err := stripewebhook.ValidatePayload(ts.body, ts.header.Get("X-Hookd-Signature"), secrets["timestamped"]); err != nil {
		t.Errorf("timestamped: stripe-go rejects %q: %v", ts.header.Get("X-Hookd-Signature"), err)
	}
	if ts.header.Get("webhook-signature") != "" {
		t.Errorf("timestamped delivery also carries webhook-signature")
	}

	body := recv["body"].waitRequests(t, 1)[0]
	if got, want := body.header.Get("X-Hookd-Signature"), hexHMAC([]byte(secrets["body"]), body.body); got != want {
		t.Errorf("body: X-Hookd-Signature = %q, want %q", got, want)
	}
	for scheme, r := range recv {
		if got := r.requests()[0].header.Get("webhook-id"); got != ev.ID {
			t.Errorf("%s: webhook-id = %q, want the event id %q (receivers de-duplicate on it)", scheme, got, ev.ID)
		}
	}
}

// TestBrandedWireFormat: an operator reproduces the format its docs promise:
// Webhook-Signature: t=...,s=... and its own header names.
func TestBrandedWireFormat(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{extraArgs: []string{
		"--signature-scheme", "timestamped", "--signature-header", "Acme-Signature", "--signature-label", "s",
		"--header-prefix", "X-Acme", "--delivery-header", "X-Webhook-Delivery-Id",
	}})
	ten := f.tenant()
	recv := newReceiver(t, 200)
	_, secret := f.endpoint(ten, recv.URL, nil)
	ev := f.publish(ten, typeCreated, `{"n":2}`)
	r := recv.waitRequests(t, 1)[0]
	d := f.deliveryOf(ten, ev.ID)

	header := r.header.Get("Acme-Signature")
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "s":
			sig = v
		default:
			t.Fatalf("unexpected entry %q in %q", part, header)
		}
	}
	if sig != hexHMAC([]byte(secret), []byte(ts+"."+string(r.body))) {
		t.Fatalf("Acme-Signature %q does not verify", header)
	}
	if unix, _ := strconv.ParseInt(ts, 10, 64); time.Since(time.Unix(unix, 0)).Abs() > time.Minute {
		t.Fatalf("t=%s is not the attempt's time", ts)
	}
	for name, want := range map[string]string{
		"X-Acme-Event": typeCreated, "X-Webhook-Delivery-Id": d.ID, "X-Acme-Attempt": "1", "webhook-id": ev.ID,
	} {
		if got := r.header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if r.header.Get("X-Hookd-Event") != "" {
		t.Errorf("the default X-Hookd-Event header was sent too")
	}
	// The renamed headers are reserved: an endpoint cannot set them.
	resp := f.admin.do(t, "POST", "/v1/tenants/"+ten+"/endpoints", map[string]any{
		"name": "x", "url": recv.URL, "headers": map[string]string{"Acme-Signature": "forged"},
	})
	if p := wantProblem(t, resp, 422); !p.names("headers.Acme-Signature") {
		t.Errorf("reserved header accepted or not named: %+v", p)
	}
}

// TestSecretRotation: during the overlap both secrets sign, newest first;
// after it, only the new one.
func TestSecretRotation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})
	ten := f.tenant()
	recv := newReceiver(t, 200)
	ep, oldSecret := f.endpoint(ten, recv.URL, map[string]any{"event_types": []string{typeCreated}})
	tsRecv := newReceiver(t, 200)
	tsEp, tsOld := f.endpoint(ten, tsRecv.URL, map[string]any{"signature_scheme": "timestamped", "event_types": []string{typeFailed}})

	var rotated struct {
		SigningSecret string `json:"signing_secret"`
	}
	f.admin.must(t, 200, "POST", "/v1/tenants/"+ten+"/endpoints/"+ep.ID+"/rotate-secret", map[string]any{"overlap_seconds": 3}, &rotated)
	newSecret := rotated.SigningSecret
	if newSecret == "" || newSecret == oldSecret {
		t.Fatalf("rotation gave secret %q", newSecret)
	}
	var tsRotated struct {
		SigningSecret string `json:"signing_secret"`
	}
	f.admin.must(t, 200, "POST", "/v1/tenants/"+ten+"/endpoints/"+tsEp.ID+"/rotate-secret", map[string]any{"overlap_seconds": 3}, &tsRotated)

	f.publish(ten, typeCreated, `{"during":"overlap"}`)
	f.publish(ten, typeFailed, `{"during":"overlap"}`)
	during := recv.waitRequests(t, 1)[0]
	sigs := standardSignatures(t, during.header)
	if len(sigs) != 2 || sigs[0] != standardSignature(t, newSecret, during.header, during.body) ||
		sigs[1] != standardSignature(t, oldSecret, during.header, during.body) {
		t.Fatalf("during the overlap want [new, old] signatures, got %q", during.header.Get("webhook-signature"))
	}
	for name, secret := range map[string]string{"old": oldSecret, "new": newSecret} {
		if err := officialVerify(t, secret, during); err != nil {
			t.Errorf("during the overlap the %s secret does not verify: %v", name, err)
		}
	}
	tsDuring := tsRecv.waitRequests(t, 1)[0]
	if n := strings.Count(tsDuring.header.Get("X-Hookd-Signature"), "v1="); n != 2 {
		t.Errorf("timestamped during the overlap has %d v1 entries, want 2", n)
	}
	for _, secret := range []string{tsOld, tsRotated.SigningSecret} {
		if err := stripewebhook.ValidatePayload(tsDuring.body, tsDuring.header.Get("X-Hookd-Signature"), secret); err != nil {
			t.Errorf("stripe-go rejects a secret valid during the overlap: %v", err)
		}
	}

	time.Sleep(3500 * time.Millisecond)
	f.publish(ten, typeCreated, `{"after":"overlap"}`)
	after := recv.waitRequests(t, 2)[1]
	if n := len(standardSignatures(t, after.header)); n != 1 {
		t.Fatalf("after the overlap want 1 signature, got %q", after.header.Get("webhook-signature"))
	}
	if err := officialVerify(t, newSecret, after); err != nil {
		t.Errorf("after the overlap the new secret does not verify: %v", err)
	}
	if err := officialVerify(t, oldSecret, after); err == nil {
		t.Errorf("after the overlap the old secret still verifies")
	}

	// overlap 0 ends the old secret at once.
	f.admin.must(t, 200, "POST", "/v1/tenants/"+ten+"/endpoints/"+ep.ID+"/rotate-secret", map[string]any{"overlap_seconds": 0}, &rotated)
	f.publish(ten, typeCreated, `{"after":"instant rotation"}`)
	last := recv.waitRequests(t, 3)[2]
	if n := len(standardSignatures(t, last.header)); n != 1 || officialVerify(t, rotated.SigningSecret, last) != nil {
		t.Errorf("after a rotation without overlap want one signature by the newest secret, got %q", last.header.Get("webhook-signature"))
	}

	for _, bad := range []any{-1, 604801, "1h"} {
		r := f.admin.do(t, "POST", "/v1/tenants/"+ten+"/endpoints/"+ep.ID+"/rotate-secret", map[string]any{"overlap_seconds": bad})
		if p := wantProblem(t, r, 422); !p.names("overlap_seconds") {
			t.Errorf("overlap %v: problem does not name overlap_seconds: %+v", bad, p)
		}
	}
	wantProblem(t, f.admin.do(t, "POST", "/v1/tenants/"+ten+"/endpoints/ep_missing/rotate-secret", map[string]any{}), 404)
}

// TestSecretReveal: off unless the deployment allows it, and admins only.
func TestSecretReveal(t *testing.T) {
	t.Parallel()
	closed := newFixture(t, config{})
	ten := closed.tenant()
	ep, _ := closed.endpoint(ten, newReceiver(t, 200).URL, nil)
	wantProblem(t, closed.admin.do(t, "GET", "/v1/tenants/"+ten+"/endpoints/"+ep.ID+"/secret", nil), 403)

	open := newFixture(t, config{extraArgs: []string{"--allow-secret-reveal"}})
	ten = open.tenant()
	ep, secret := open.endpoint(ten, newReceiver(t, 200).URL, nil)
	var got struct {
		SigningSecret string `json:"signing_secret"`
	}
	open.admin.must(t, 200, "GET", "/v1/tenants/"+ten+"/endpoints/"+ep.ID+"/secret", nil, &got)
	if got.SigningSecret != secret {
		t.Fatalf("revealed %q, want the secret given at creation", got.SigningSecret)
	}
	for _, role := range []string{"viewer", "publisher"} {
		var k struct {
			Key string `json:"key"`
		}
		open.admin.must(t, 201, "POST", "/v1/api-keys", map[string]any{"name": role, "role": role, "tenant": ten}, &k)
		wantProblem(t, open.h.client(k.Key).do(t, "GET", "/v1/tenants/"+ten+"/endpoints/"+ep.ID+"/secret", nil), 403)
	}
}

// TestSignatureBadInput: unknown scheme names are refused with clear errors.
func TestSignatureBadInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{})
	ten := f.tenant()
	r := f.admin.do(t, "POST", "/v1/tenants/"+ten+"/endpoints", map[string]any{"name": "x", "url": "http://127.0.0.1:9/x", "signature_scheme": "md5"})
	if p := wantProblem(t, r, 422); !p.names("signature_scheme") {
		t.Errorf("unknown scheme: %+v", p)
	}
	if eps := f.admin.do(t, "GET", "/v1/tenants/"+ten+"/endpoints", nil); !strings.Contains(string(eps.body), `"data":[]`) {
		t.Errorf("a refused endpoint was stored: %s", eps.body)
	}
	out, err := exec.Command(hookdBin, "serve", "--signature-scheme", "md5").CombinedOutput()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 2 || !strings.Contains(string(out), "--signature-scheme") {
		t.Errorf("serve with an unknown scheme: err=%v output=%s", err, out)
	}
	out, err = exec.Command(hookdBin, "serve", "--signature-header", "Bad Header").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--signature-header") {
		t.Errorf("serve with a bad header name: err=%v output=%s", err, out)
	}
}

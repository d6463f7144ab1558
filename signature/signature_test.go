package signature_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	stripewebhook "github.com/stripe/stripe-go/v82/webhook"

	"github.com/hookd/hookd/signature"
)

// The Standard Webhooks published test vector, used by every official library.
const (
	vecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vecID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vecTS     = 1614265330
	vecBody   = `{"test": 2432232314}`
	vecSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

// A delivery body of about 450 bytes, like hookd's default envelope.
var benchBody = []byte(`{"id":"evt_2a8f9c0e6b1d4f7a9e3c5b7d1f0a2c4e","type":"invoice.paid","timestamp":"2025-11-22T17:52:00Z","data":{"invoice_id":"inv_9f8e7d6c5b4a3928","customer":{"id":"cus_0123456789abcdef","email":"billing@example.com","name":"Example Customer Ltd"},"amount_due":129900,"amount_paid":129900,"currency":"eur","lines":[{"description":"Pro plan (monthly)","amount":99900,"quantity":1},{"description":"Extra seats","amount":30000,"quantity":3}],"status":"paid"}}`)

func fixedNow(t time.Time) func() time.Time { return func() time.Time { return t } }

func mustSecret(t testing.TB) string {
	t.Helper()
	s, err := signature.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sign(t testing.TB, s signature.Signer, id string, ts time.Time, body []byte, secrets ...string) http.Header {
	t.Helper()
	h := http.Header{}
	if err := s.Sign(h, id, ts, body, secrets); err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return h
}

// handHMAC is an HMAC-SHA256 written out in the test, independent of the package.
func handHMAC(key []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

func TestStandardVector(t *testing.T) {
	ts := time.Unix(vecTS, 0)
	h := sign(t, signature.Signer{Scheme: signature.Standard}, vecID, ts, []byte(vecBody), vecSecret)
	if got := h.Get("webhook-signature"); got != vecSig {
		t.Errorf("webhook-signature = %q, want %q", got, vecSig)
	}
	if got := h.Get("webhook-id"); got != vecID {
		t.Errorf("webhook-id = %q, want %q", got, vecID)
	}
	if got := h.Get("webhook-timestamp"); got != strconv.Itoa(vecTS) {
		t.Errorf("webhook-timestamp = %q, want %d", got, vecTS)
	}

	// Verify the published header written by hand, not one from Sign.
	pub := http.Header{}
	pub.Set("webhook-id", vecID)
	pub.Set("webhook-timestamp", strconv.Itoa(vecTS))
	pub.Set("webhook-signature", vecSig)
	v := signature.Verifier{Scheme: signature.Standard, Now: fixedNow(ts.Add(30 * time.Second))}
	if err := v.Verify(pub, []byte(vecBody), vecSecret); err != nil {
		t.Errorf("Verify(published vector) = %v", err)
	}
	if err := v.Verify(pub, []byte(vecBody+" "), vecSecret); !errors.Is(err, signature.ErrNoMatch) {
		t.Errorf("Verify(vector, altered body) = %v, want ErrNoMatch", err)
	}
}

func TestStandardOfficialLibrary(t *testing.T) {
	secret := mustSecret(t)
	h := sign(t, signature.Signer{Scheme: signature.Standard}, "evt_123", time.Now(), benchBody, secret)
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(benchBody, h); err != nil {
		t.Errorf("official library rejected our signature: %v", err)
	}
	if err := wh.Verify(append([]byte{}, benchBody[1:]...), h); err == nil {
		t.Error("official library accepted a changed body; the check proves nothing")
	}
}

func TestTimestampedStripe(t *testing.T) {
	secret := mustSecret(t)
	s := signature.Signer{Scheme: signature.Timestamped, Header: "Stripe-Signature", Label: "v1"}
	now := time.Now()
	h := sign(t, s, "evt_123", now, benchBody, secret)
	raw := h.Get("Stripe-Signature")
	if !strings.HasPrefix(raw, "t="+strconv.FormatInt(now.Unix(), 10)+",v1=") {
		t.Fatalf("Stripe-Signature = %q", raw)
	}
	if err := stripewebhook.ValidatePayload(benchBody, raw, secret); err != nil {
		t.Errorf("stripe-go ValidatePayload: %v", err)
	}
	if err := stripewebhook.ValidatePayloadWithTolerance(benchBody, raw, secret, time.Minute); err != nil {
		t.Errorf("stripe-go ValidatePayloadWithTolerance: %v", err)
	}
	// The key is the whole secret string: without "whsec_" it must fail.
	if err := stripewebhook.ValidatePayload(benchBody, raw, strings.TrimPrefix(secret, "whsec_")); err == nil {
		t.Error("stripe-go accepted the secret without its whsec_ prefix")
	}
	if err := stripewebhook.ValidatePayload(benchBody[1:], raw, secret); err == nil {
		t.Error("stripe-go accepted a changed body")
	}
	v := signature.Verifier{Scheme: signature.Timestamped, Header: "stripe-signature"}
	if err := v.Verify(h, benchBody, secret); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

func TestBodyHandHMAC(t *testing.T) {
	secret := mustSecret(t)
	h := sign(t, signature.Signer{Scheme: signature.Body}, "evt_123", time.Now(), benchBody, secret)
	want := hex.EncodeToString(handHMAC([]byte(secret), benchBody))
	if got := h.Get(signature.DefaultHeader); got != want {
		t.Errorf("%s = %q, want %q", signature.DefaultHeader, got, want)
	}
	if err := (signature.Verifier{Scheme: signature.Body}).Verify(h, benchBody, secret); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

// TestOverHTTP sends signed requests through a real client and server, so
// header canonicalisation on the wire is exercised too.
func TestOverHTTP(t *testing.T) {
	secret := mustSecret(t)
	for _, sc := range []signature.Scheme{signature.Standard, signature.Timestamped, signature.Body} {
		t.Run(string(sc), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if err := (signature.Verifier{Scheme: sc}).Verify(r.Header, body, secret); err != nil {
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				if sc == signature.Standard {
					wh, _ := standardwebhooks.NewWebhook(secret)
					if err := wh.Verify(body, r.Header); err != nil {
						http.Error(w, "official: "+err.Error(), http.StatusBadRequest)
						return
					}
				}
				w.WriteHeader(http.StatusNoContent)
			}))
			defer srv.Close()
			req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(benchBody))
			if err := (signature.Signer{Scheme: sc}).Sign(req.Header, "evt_http", time.Now(), benchBody, []string{secret}); err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent {
				t.Errorf("status %d: %s", resp.StatusCode, msg)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	newer, older, other := mustSecret(t), mustSecret(t), mustSecret(t)
	now := time.Now()

	t.Run("standard", func(t *testing.T) {
		h := sign(t, signature.Signer{Scheme: signature.Standard}, "evt_rot", now, benchBody, newer, older)
		sigs := strings.Split(h.Get("webhook-signature"), " ")
		if len(sigs) != 2 || !strings.HasPrefix(sigs[0], "v1,") || !strings.HasPrefix(sigs[1], "v1,") {
			t.Fatalf("webhook-signature = %q, want two v1 signatures", h.Get("webhook-signature"))
		}
		first := sign(t, signature.Signer{Scheme: signature.Standard}, "evt_rot", now, benchBody, newer)
		if sigs[0] != first.Get("webhook-signature") {
			t.Error("first signature is not the newest secret's")
		}
		for _, s := range []string{newer, older} {
			wh, _ := standardwebhooks.NewWebhook(s)
			if err := wh.Verify(benchBody, h); err != nil {
				t.Errorf("official library with one secret: %v", err)
			}
		}
		wh, _ := standardwebhooks.NewWebhook(other)
		if err := wh.Verify(benchBody, h); err == nil {
			t.Error("official library accepted an unrelated secret")
		}
		v := signature.Verifier{Scheme: signature.Standard}
		for _, s := range []string{newer, older} {
			if err := v.Verify(h, benchBody, other, s); err != nil {
				t.Errorf("Verify(other, one of the two): %v", err)
			}
		}
	})

	t.Run("timestamped", func(t *testing.T) {
		h := sign(t, signature.Signer{Scheme: signature.Timestamped, Header: "Stripe-Signature"}, "evt_rot", now, benchBody, newer, older)
		raw := h.Get("Stripe-Signature")
		parts := strings.Split(raw, ",")
		if len(parts) != 3 || !strings.HasPrefix(parts[0], "t=") || !strings.HasPrefix(parts[1], "v1=") || !strings.HasPrefix(parts[2], "v1=") {
			t.Fatalf("Stripe-Signature = %q, want t= and two v1= entries", raw)
		}
		want := hex.EncodeToString(handHMAC([]byte(newer), []byte(strconv.FormatInt(now.Unix(), 10)+"."), benchBody))
		if parts[1] != "v1="+want {
			t.Error("first entry is not the newest secret's")
		}
		for _, s := range []string{newer, older} {
			if err := stripewebhook.ValidatePayload(benchBody, raw, s); err != nil {
				t.Errorf("stripe-go with one secret: %v", err)
			}
		}
		if err := stripewebhook.ValidatePayload(benchBody, raw, other); err == nil {
			t.Error("stripe-go accepted an unrelated secret")
		}
	})

	t.Run("body", func(t *testing.T) {
		h := sign(t, signature.Signer{Scheme: signature.Body}, "evt_rot", now, benchBody, newer, older)
		if got, want := h.Get(signature.DefaultHeader), hex.EncodeToString(handHMAC([]byte(newer), benchBody)); got != want {
			t.Errorf("body signature = %q, want the newest secret's %q", got, want)
		}
		v := signature.Verifier{Scheme: signature.Body}
		if err := v.Verify(h, benchBody, older); !errors.Is(err, signature.ErrNoMatch) {
			t.Errorf("Verify(older only) = %v, want ErrNoMatch", err)
		}
	})
}

func TestVerifyErrors(t *testing.T) {
	secret, wrong := mustSecret(t), mustSecret(t)
	now := time.Unix(1_700_000_000, 0)
	id := "evt_err"
	std := signature.Verifier{Scheme: signature.Standard, Now: fixedNow(now)}
	tsd := signature.Verifier{Scheme: signature.Timestamped, Now: fixedNow(now)}
	bod := signature.Verifier{Scheme: signature.Body, Now: fixedNow(now)}
	stdH := sign(t, signature.Signer{Scheme: signature.Standard}, id, now, benchBody, secret)
	tsdH := sign(t, signature.Signer{Scheme: signature.Timestamped}, id, now, benchBody, secret)
	bodH := sign(t, signature.Signer{Scheme: signature.Body}, id, now, benchBody, secret)
	goodStdSig := stdH.Get("webhook-signature")
	goodHex := strings.TrimPrefix(strings.Split(tsdH.Get(signature.DefaultHeader), ",")[1], "v1=")

	with := func(h http.Header, kv ...string) http.Header {
		h = h.Clone()
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				h.Del(kv[i])
			} else {
				h.Set(kv[i], kv[i+1])
			}
		}
		return h
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	const sh = signature.DefaultHeader

	tests := []struct {
		name string
		v    signature.Verifier
		h    http.Header
		body []byte
		key  string
		want error
	}{
		{"standard ok", std, stdH, benchBody, secret, nil},
		{"standard no headers", std, http.Header{}, benchBody, secret, signature.ErrMissingHeader},
		{"standard no id", std, with(stdH, "webhook-id", ""), benchBody, secret, signature.ErrMissingHeader},
		{"standard no timestamp", std, with(stdH, "webhook-timestamp", ""), benchBody, secret, signature.ErrMissingHeader},
		{"standard no signature", std, with(stdH, "webhook-signature", ""), benchBody, secret, signature.ErrMissingHeader},
		{"standard bad timestamp", std, with(stdH, "webhook-timestamp", "yesterday"), benchBody, secret, signature.ErrBadFormat},
		{"standard fractional timestamp", std, with(stdH, "webhook-timestamp", ts+".5"), benchBody, secret, signature.ErrBadFormat},
		{"standard garbage signature", std, with(stdH, "webhook-signature", "garbage"), benchBody, secret, signature.ErrNoMatch},
		{"standard only other versions", std, with(stdH, "webhook-signature", "v1a,"+strings.TrimPrefix(goodStdSig, "v1,")), benchBody, secret, signature.ErrNoMatch},
		{"standard tab is not a separator", std, with(stdH, "webhook-signature", "v1,xyz\t"+goodStdSig), benchBody, secret, signature.ErrNoMatch},
		{"standard other version skipped", std, with(stdH, "webhook-signature", "v1a,xyz "+goodStdSig), benchBody, secret, nil},
		{"standard tampered body", std, stdH, benchBody[1:], secret, signature.ErrNoMatch},
		{"standard tampered id", std, with(stdH, "webhook-id", "evt_other"), benchBody, secret, signature.ErrNoMatch},
		{"standard wrong secret", std, stdH, benchBody, wrong, signature.ErrNoMatch},
		{"standard invalid secret", std, stdH, benchBody, "not-a-secret", signature.ErrBadFormat},
		{"standard 6m old", std, sign(t, signature.Signer{Scheme: signature.Standard}, id, now.Add(-6*time.Minute), benchBody, secret), benchBody, secret, signature.ErrExpired},
		{"standard 6m future", std, sign(t, signature.Signer{Scheme: signature.Standard}, id, now.Add(6*time.Minute), benchBody, secret), benchBody, secret, signature.ErrExpired},
		{"standard 4m59s old", std, sign(t, signature.Signer{Scheme: signature.Standard}, id, now.Add(-299*time.Second), benchBody, secret), benchBody, secret, nil},
		{"standard 4m59s future", std, sign(t, signature.Signer{Scheme: signature.Standard}, id, now.Add(299*time.Second), benchBody, secret), benchBody, secret, nil},
		{"standard far future", std, with(stdH, "webhook-timestamp", "9223372036854775807"), benchBody, secret, signature.ErrExpired},
		{"standard far past", std, with(stdH, "webhook-timestamp", "-9223372036854775808"), benchBody, secret, signature.ErrExpired},
		{"standard 6m old, tolerance 10m", signature.Verifier{Scheme: signature.Standard, Now: fixedNow(now), Tolerance: 10 * time.Minute},
			sign(t, signature.Signer{Scheme: signature.Standard}, id, now.Add(-6*time.Minute), benchBody, secret), benchBody, secret, nil},

		{"timestamped ok", tsd, tsdH, benchBody, secret, nil},
		{"timestamped no header", tsd, http.Header{}, benchBody, secret, signature.ErrMissingHeader},
		{"timestamped other header name", signature.Verifier{Scheme: signature.Timestamped, Header: "Stripe-Signature", Now: fixedNow(now)}, tsdH, benchBody, secret, signature.ErrMissingHeader},
		{"timestamped no t", tsd, with(tsdH, sh, "v1="+goodHex), benchBody, secret, signature.ErrBadFormat},
		{"timestamped bad t", tsd, with(tsdH, sh, "t=soon,v1="+goodHex), benchBody, secret, signature.ErrBadFormat},
		{"timestamped two t", tsd, with(tsdH, sh, "t="+ts+",t="+ts+",v1="+goodHex), benchBody, secret, signature.ErrBadFormat},
		{"timestamped garbage", tsd, with(tsdH, sh, "garbage"), benchBody, secret, signature.ErrBadFormat},
		{"timestamped entry with two =", tsd, with(tsdH, sh, "t="+ts+",v1="+goodHex+",x=a=b"), benchBody, secret, signature.ErrBadFormat},
		{"timestamped spaces not trimmed", tsd, with(tsdH, sh, "t="+ts+", v1="+goodHex), benchBody, secret, signature.ErrNoMatch},
		{"timestamped empty entry", tsd, with(tsdH, sh, "t="+ts+",,v1="+goodHex), benchBody, secret, signature.ErrBadFormat},
		{"timestamped no v1 entry", tsd, with(tsdH, sh, "t="+ts+",v0="+goodHex), benchBody, secret, signature.ErrNoMatch},
		{"timestamped non-hex v1 skipped", tsd, with(tsdH, sh, "t="+ts+",v1=zz,v1="+goodHex), benchBody, secret, nil},
		{"timestamped order free", tsd, with(tsdH, sh, "v1="+goodHex+",t="+ts), benchBody, secret, nil},
		{"timestamped upper-case hex", tsd, with(tsdH, sh, "t="+ts+",v1="+strings.ToUpper(goodHex)), benchBody, secret, nil},
		{"timestamped tampered body", tsd, tsdH, benchBody[1:], secret, signature.ErrNoMatch},
		{"timestamped tampered t", tsd, with(tsdH, sh, "t="+strconv.FormatInt(now.Unix()+1, 10)+",v1="+goodHex), benchBody, secret, signature.ErrNoMatch},
		{"timestamped wrong secret", tsd, tsdH, benchBody, wrong, signature.ErrNoMatch},
		{"timestamped 6m old", tsd, sign(t, signature.Signer{Scheme: signature.Timestamped}, id, now.Add(-6*time.Minute), benchBody, secret), benchBody, secret, signature.ErrExpired},
		{"timestamped 6m future", tsd, sign(t, signature.Signer{Scheme: signature.Timestamped}, id, now.Add(6*time.Minute), benchBody, secret), benchBody, secret, signature.ErrExpired},

		{"body ok", bod, bodH, benchBody, secret, nil},
		{"body no header", bod, http.Header{}, benchBody, secret, signature.ErrMissingHeader},
		{"body not hex", bod, with(bodH, sh, strings.Repeat("z", 64)), benchBody, secret, signature.ErrBadFormat},
		{"body short", bod, with(bodH, sh, "abcd"), benchBody, secret, signature.ErrBadFormat},
		{"body tampered", bod, bodH, benchBody[1:], secret, signature.ErrNoMatch},
		{"body wrong secret", bod, bodH, benchBody, wrong, signature.ErrNoMatch},
		{"body never expires", signature.Verifier{Scheme: signature.Body, Now: fixedNow(now.Add(1000 * time.Hour))}, bodH, benchBody, secret, nil},

		{"unknown scheme", signature.Verifier{Scheme: "nope"}, stdH, benchBody, secret, signature.ErrUnknownScheme},
		{"empty scheme", signature.Verifier{}, stdH, benchBody, secret, signature.ErrUnknownScheme},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.v.Verify(tt.h, tt.body, tt.key)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			for _, other := range []error{signature.ErrMissingHeader, signature.ErrBadFormat, signature.ErrExpired, signature.ErrNoMatch} {
				if other != tt.want && errors.Is(err, other) {
					t.Errorf("Verify = %v, also matches %v", err, other)
				}
			}
		})
	}

	if err := std.Verify(stdH, benchBody); !errors.Is(err, signature.ErrNoSecret) {
		t.Errorf("Verify without secrets = %v, want ErrNoSecret", err)
	}
	// The error names the direction, so a receiver can tell skew from replay.
	err := std.Verify(sign(t, signature.Signer{Scheme: signature.Standard}, id, now.Add(6*time.Minute), benchBody, secret), benchBody, secret)
	if err == nil || !strings.Contains(err.Error(), "future") {
		t.Errorf("future error %v does not say so", err)
	}
}

func TestCustomLabel(t *testing.T) {
	secret := mustSecret(t)
	now := time.Now()
	h := sign(t, signature.Signer{Scheme: signature.Timestamped, Header: "X-Acme-Signature", Label: "s"}, "evt_s", now, benchBody, secret)
	raw := h.Get("X-Acme-Signature")
	want := "t=" + strconv.FormatInt(now.Unix(), 10) + ",s=" + hex.EncodeToString(handHMAC([]byte(secret), []byte(strconv.FormatInt(now.Unix(), 10)+"."), benchBody))
	if raw != want {
		t.Errorf("header = %q, want %q", raw, want)
	}
	v := signature.Verifier{Scheme: signature.Timestamped, Header: "X-Acme-Signature", Label: "s"}
	if err := v.Verify(h, benchBody, secret); err != nil {
		t.Errorf("Verify(label s) = %v", err)
	}
	v.Label = ""
	if err := v.Verify(h, benchBody, secret); !errors.Is(err, signature.ErrNoMatch) {
		t.Errorf("Verify(default label) = %v, want ErrNoMatch", err)
	}
	for _, bad := range []string{"t", "a=b", "a,b", "a b"} {
		err := signature.Signer{Scheme: signature.Timestamped, Label: bad}.Sign(http.Header{}, "evt", now, benchBody, []string{secret})
		if !errors.Is(err, signature.ErrBadFormat) {
			t.Errorf("Sign(label %q) = %v, want ErrBadFormat", bad, err)
		}
	}
}

func TestCaseInsensitiveHeaders(t *testing.T) {
	secret := mustSecret(t)
	now := time.Now()
	src := sign(t, signature.Signer{Scheme: signature.Standard}, "evt_case", now, benchBody, secret)
	h := http.Header{}
	h.Set("WEBHOOK-ID", src.Get("webhook-id"))
	h.Set("Webhook-Timestamp", src.Get("webhook-timestamp"))
	h.Set("webhook-signature", src.Get("webhook-signature"))
	if err := (signature.Verifier{Scheme: signature.Standard}).Verify(h, benchBody, secret); err != nil {
		t.Errorf("Verify: %v", err)
	}
	th := sign(t, signature.Signer{Scheme: signature.Timestamped, Header: "x-acme-SIGNATURE"}, "evt_case", now, benchBody, secret)
	if err := (signature.Verifier{Scheme: signature.Timestamped, Header: "X-ACME-signature"}).Verify(th, benchBody, secret); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

func TestSignErrors(t *testing.T) {
	secret := mustSecret(t)
	now := time.Now()
	tests := []struct {
		name    string
		s       signature.Signer
		id      string
		secrets []string
		want    error
	}{
		{"unknown scheme", signature.Signer{Scheme: "nope"}, "evt", []string{secret}, signature.ErrUnknownScheme},
		{"empty scheme", signature.Signer{}, "evt", []string{secret}, signature.ErrUnknownScheme},
		{"no secrets", signature.Signer{Scheme: signature.Standard}, "evt", nil, signature.ErrNoSecret},
		{"no secrets timestamped", signature.Signer{Scheme: signature.Timestamped}, "evt", []string{}, signature.ErrNoSecret},
		{"standard no prefix", signature.Signer{Scheme: signature.Standard}, "evt", []string{strings.TrimPrefix(secret, "whsec_")}, signature.ErrBadFormat},
		{"standard bad base64", signature.Signer{Scheme: signature.Standard}, "evt", []string{"whsec_!!!!"}, signature.ErrBadFormat},
		{"standard empty key", signature.Signer{Scheme: signature.Standard}, "evt", []string{"whsec_"}, signature.ErrBadFormat},
		{"standard second secret bad", signature.Signer{Scheme: signature.Standard}, "evt", []string{secret, "whsec_%%"}, signature.ErrBadFormat},
		{"standard empty id", signature.Signer{Scheme: signature.Standard}, "", []string{secret}, signature.ErrBadFormat},
		{"standard id with newline", signature.Signer{Scheme: signature.Standard}, "evt\r\nX-Evil: 1", []string{secret}, signature.ErrBadFormat},
		{"standard id with trailing space", signature.Signer{Scheme: signature.Standard}, "evt ", []string{secret}, signature.ErrBadFormat},
		{"timestamped empty secret", signature.Signer{Scheme: signature.Timestamped}, "evt", []string{secret, ""}, signature.ErrBadFormat},
		{"body empty secret", signature.Signer{Scheme: signature.Body}, "evt", []string{""}, signature.ErrBadFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{"Keep": {"me"}}
			err := tt.s.Sign(h, tt.id, now, benchBody, tt.secrets)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Sign = %v, want %v", err, tt.want)
			}
			if len(h) != 1 {
				t.Errorf("Sign changed the headers on error: %v", h)
			}
		})
	}
	// Timestamped and Body take any non-empty secret as a byte string.
	for _, sc := range []signature.Scheme{signature.Timestamped, signature.Body} {
		if err := (signature.Signer{Scheme: sc}).Sign(http.Header{}, "evt", now, benchBody, []string{"plain"}); err != nil {
			t.Errorf("%s with a non-whsec secret: %v", sc, err)
		}
	}
}

func TestParseScheme(t *testing.T) {
	for in, want := range map[string]signature.Scheme{
		"standard": signature.Standard, "timestamped": signature.Timestamped, "body": signature.Body, " Standard\n": signature.Standard,
	} {
		if got, err := signature.ParseScheme(in); err != nil || got != want {
			t.Errorf("ParseScheme(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"nope", "", "v1", "stripe"} {
		_, err := signature.ParseScheme(in)
		if !errors.Is(err, signature.ErrUnknownScheme) {
			t.Errorf("ParseScheme(%q) = %v, want ErrUnknownScheme", in, err)
			continue
		}
		for _, name := range []string{`"standard"`, `"timestamped"`, `"body"`} {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("ParseScheme(%q) error %q does not list %s", in, err, name)
			}
		}
	}
}

func TestSecrets(t *testing.T) {
	a, b := mustSecret(t), mustSecret(t)
	if a == b {
		t.Fatal("NewSecret returned the same secret twice")
	}
	if !strings.HasPrefix(a, "whsec_") {
		t.Errorf("NewSecret = %q, want whsec_ prefix", a)
	}
	if key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(a, "whsec_")); err != nil || len(key) != 32 {
		t.Errorf("NewSecret key = %d bytes, %v; want 32", len(key), err)
	}
	if err := signature.ValidateSecret(a); err != nil {
		t.Errorf("ValidateSecret(NewSecret()) = %v", err)
	}
	b64 := func(n int) string { return "whsec_" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, n)) }
	for _, ok := range []string{vecSecret, b64(24), b64(64)} {
		if err := signature.ValidateSecret(ok); err != nil {
			t.Errorf("ValidateSecret(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "whsec_", b64(23), b64(65), strings.TrimPrefix(a, "whsec_"), "WHSEC_" + a[6:], a + "!", a[:len(a)-1], "whsec_" + base64.RawStdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))} {
		if err := signature.ValidateSecret(bad); !errors.Is(err, signature.ErrBadFormat) {
			t.Errorf("ValidateSecret(%q) = %v, want ErrBadFormat", bad, err)
		}
	}
}

// --- Fuzz targets. Committed runs use the seeds; run with -fuzz to explore.

// validID mirrors what can travel as a header value unchanged.
func validID(id string) bool {
	if id == "" || strings.TrimLeft(id, " \t") != id || strings.TrimRight(id, " \t") != id {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// saneUnix keeps fuzzed times where time.Time arithmetic is exact
// (roughly years -290000 to 290000).
func saneUnix(u int64) int64 { return u % (1 << 43) }

func FuzzVerifyStandard(f *testing.F) {
	f.Add(vecID, strconv.Itoa(vecTS), vecSig, []byte(vecBody), int64(vecTS))
	f.Add(vecID, strconv.Itoa(vecTS), "v1a,abc v1,{sig}", []byte(vecBody), int64(0))
	f.Add("evt_1", "1614265330", "v1,{sig}x v2,{sig}", []byte("{}"), int64(0))
	f.Add(vecID, strconv.Itoa(vecTS), "v1,abc\tv1,{sig}", []byte(vecBody), int64(0))
	f.Add("a.b", "+1614265330", "v1,  v1,x,y", []byte(nil), int64(-1))
	f.Add(" x", "01614265330", "v2,AAAA", []byte("\x00"), int64(1<<40))
	f.Add("id", "9223372036854775807", "v1,=", []byte("x"), int64(-1<<40))
	secret := vecSecret
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	official, _ := standardwebhooks.NewWebhook(secret)
	f.Fuzz(func(t *testing.T, id, tsText, sig string, body []byte, unix int64) {
		now := time.Unix(vecTS, 0)
		v := signature.Verifier{Scheme: signature.Standard, Now: fixedNow(now)}

		// "{sig}" stands for the genuine signature, so the fuzzer can wrap
		// a valid one in odd separators and prefixes.
		good := base64.StdEncoding.EncodeToString(handHMAC(key, []byte(id+"."+tsText+"."), body))
		sig = strings.ReplaceAll(sig, "{sig}", good)

		// Arbitrary headers: no panic, and never more lenient than the official library.
		h := http.Header{}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", tsText)
		h.Set("webhook-signature", sig)
		if err := v.Verify(h, body, secret); err == nil {
			if oerr := official.VerifyIgnoringTimestamp(body, h); oerr != nil {
				t.Fatalf("we accept, official library rejects (%v): %q", oerr, h)
			}
		}

		// What Sign produces always verifies, with ours and the official library.
		unix = saneUnix(unix)
		ts := time.Unix(unix, 0)
		sh := http.Header{}
		err := signature.Signer{Scheme: signature.Standard}.Sign(sh, id, ts, body, []string{secret})
		if !validID(id) {
			if !errors.Is(err, signature.ErrBadFormat) {
				t.Fatalf("Sign(id %q) = %v, want ErrBadFormat", id, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Sign(id %q): %v", id, err)
		}
		v.Now = fixedNow(ts)
		if err := v.Verify(sh, body, secret); err != nil {
			t.Fatalf("Verify(Sign()) = %v for %q", err, sh)
		}
		if err := official.VerifyIgnoringTimestamp(body, sh); err != nil {
			t.Fatalf("official library rejects Sign() output: %v for %q", err, sh)
		}
	})
}

func FuzzVerifyTimestamped(f *testing.F) {
	f.Add("t=1614265330,v1={sig}", []byte(vecBody), "v1", int64(vecTS))
	f.Add("t=1614265330,v0=a,v1={sig}x,v1={sig}", []byte(vecBody), "", int64(vecTS))
	f.Add("v1=00,t=1614265330,v0=zz", []byte("{}"), "s", int64(0))
	f.Add("t=1,t=2", []byte(nil), "", int64(-1))
	f.Add("t=+1614265330,v1=a=b,,", []byte("x"), "t", int64(1<<40))
	f.Add("garbage", []byte("x"), "a b", int64(-1<<40))
	secret := vecSecret
	f.Fuzz(func(t *testing.T, raw string, body []byte, label string, unix int64) {
		now := time.Unix(vecTS, 0)
		v := signature.Verifier{Scheme: signature.Timestamped, Label: label, Now: fixedNow(now)}

		// "{sig}" stands for the genuine signature at vecTS.
		raw = strings.ReplaceAll(raw, "{sig}", hex.EncodeToString(handHMAC([]byte(secret), []byte(strconv.Itoa(vecTS)+"."), body)))
		h := http.Header{}
		h.Set(signature.DefaultHeader, raw)
		if err := v.Verify(h, body, secret); err == nil && (label == "" || label == "v1") {
			if serr := stripewebhook.ValidatePayloadIgnoringTolerance(body, raw, secret); serr != nil {
				t.Fatalf("we accept, stripe-go rejects (%v): %q", serr, raw)
			}
		}

		unix = saneUnix(unix)
		ts := time.Unix(unix, 0)
		sh := http.Header{}
		err := signature.Signer{Scheme: signature.Timestamped, Label: label}.Sign(sh, "evt", ts, body, []string{secret, "other"})
		if label != "" && (label == "t" || strings.ContainsFunc(label, func(r rune) bool { return r <= ' ' || r == ',' || r == '=' || r >= 0x7f })) {
			if !errors.Is(err, signature.ErrBadFormat) {
				t.Fatalf("Sign(label %q) = %v, want ErrBadFormat", label, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Sign(label %q): %v", label, err)
		}
		v.Now = fixedNow(ts)
		if err := v.Verify(sh, body, secret); err != nil {
			t.Fatalf("Verify(Sign()) = %v for %q", err, sh)
		}
		if label == "" || label == "v1" {
			if err := stripewebhook.ValidatePayloadIgnoringTolerance(body, sh.Get(signature.DefaultHeader), secret); err != nil {
				t.Fatalf("stripe-go rejects Sign() output: %v", err)
			}
		}
	})
}

func FuzzVerifyBody(f *testing.F) {
	f.Add(hex.EncodeToString(handHMAC([]byte(vecSecret), []byte(vecBody))), []byte(vecBody), vecSecret)
	f.Add("ZZ", []byte("{}"), "s")
	f.Add(strings.Repeat("A", 64), []byte(nil), "")
	f.Fuzz(func(t *testing.T, raw string, body []byte, secret string) {
		v := signature.Verifier{Scheme: signature.Body}
		h := http.Header{}
		h.Set(signature.DefaultHeader, raw)
		if err := v.Verify(h, body, secret); err == nil {
			got, derr := hex.DecodeString(raw)
			if derr != nil || !hmac.Equal(got, handHMAC([]byte(secret), body)) {
				t.Fatalf("accepted %q, which is not the HMAC", raw)
			}
		}
		sh := http.Header{}
		err := signature.Signer{Scheme: signature.Body}.Sign(sh, "evt", time.Time{}, body, []string{secret})
		if secret == "" {
			if !errors.Is(err, signature.ErrBadFormat) {
				t.Fatalf("Sign(empty secret) = %v", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Verify(sh, body, secret); err != nil {
			t.Fatalf("Verify(Sign()) = %v", err)
		}
	})
}

func FuzzParseScheme(f *testing.F) {
	for _, s := range []string{"standard", "Timestamped", " body ", "", "nope", "standard\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := signature.ParseScheme(s)
		if err != nil {
			if !errors.Is(err, signature.ErrUnknownScheme) {
				t.Fatalf("ParseScheme(%q) = %v, not ErrUnknownScheme", s, err)
			}
			return
		}
		if sc != signature.Standard && sc != signature.Timestamped && sc != signature.Body {
			t.Fatalf("ParseScheme(%q) = %q", s, sc)
		}
		if again, err := signature.ParseScheme(string(sc)); err != nil || again != sc {
			t.Fatalf("ParseScheme(%q) does not round-trip: %q, %v", sc, again, err)
		}
	})
}

func FuzzValidateSecret(f *testing.F) {
	for _, s := range []string{vecSecret, "whsec_", "whsec_====", "whsec_" + strings.Repeat("A", 88), "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if signature.ValidateSecret(s) != nil {
			return
		}
		// A secret we accept must sign and verify, here and in the official library.
		now := time.Unix(vecTS, 0)
		h := sign(t, signature.Signer{Scheme: signature.Standard}, "evt", now, []byte(vecBody), s)
		if err := (signature.Verifier{Scheme: signature.Standard, Now: fixedNow(now)}).Verify(h, []byte(vecBody), s); err != nil {
			t.Fatal(err)
		}
		wh, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			t.Fatalf("official library refuses secret %q: %v", s, err)
		}
		if err := wh.VerifyIgnoringTimestamp([]byte(vecBody), h); err != nil {
			t.Fatalf("official library rejects: %v", err)
		}
	})
}

// --- Benchmarks: Sign runs once per delivery attempt.

func benchSign(b *testing.B, s signature.Signer, secrets ...string) {
	h := http.Header{}
	ts := time.Now()
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		if err := s.Sign(h, "evt_2a8f9c0e6b1d4f7a9e3c5b7d1f0a2c4e", ts, benchBody, secrets); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignStandard(b *testing.B) {
	benchSign(b, signature.Signer{Scheme: signature.Standard}, mustSecret(b))
}

func BenchmarkSignStandardRotation(b *testing.B) {
	benchSign(b, signature.Signer{Scheme: signature.Standard}, mustSecret(b), mustSecret(b))
}

func BenchmarkSignTimestamped(b *testing.B) {
	benchSign(b, signature.Signer{Scheme: signature.Timestamped}, mustSecret(b))
}

func BenchmarkSignBody(b *testing.B) {
	benchSign(b, signature.Signer{Scheme: signature.Body}, mustSecret(b))
}

func BenchmarkVerifyStandard(b *testing.B) {
	secret := mustSecret(b)
	now := time.Now()
	h := sign(b, signature.Signer{Scheme: signature.Standard}, "evt_bench", now, benchBody, secret)
	v := signature.Verifier{Scheme: signature.Standard, Now: fixedNow(now)}
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Verify(h, benchBody, secret); err != nil {
			b.Fatal(err)
		}
	}
}

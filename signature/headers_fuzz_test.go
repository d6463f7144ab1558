package signature_test

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd/signature"
)

// FuzzSignatureHeaders fuzzes the values of the signature headers of every
// scheme together, as a receiver gets them. Whatever they hold, Verify
// answers nil or an error wrapping one of the documented sentinels (what a
// receiver switches on), and it accepts only a header that carries the
// genuine signature as an entry of its own, for the one timestamp it states.
// "{sig}" in a value stands for the genuine signature, so the fuzzer can
// wrap it in odd separators.
func FuzzSignatureHeaders(f *testing.F) {
	f.Add(vecID, strconv.Itoa(vecTS), "v1,{sig}", "t=1614265330,v1={sig}", "{sig}")
	f.Add(vecID, " 1614265330", "v1,{sig} v1,{sig}", "t=1614265330,t=1614265330,v1={sig}", "{sig}{sig}")
	f.Add("", "1614265330.0", "v1, {sig}", "t=1614265330,v1={sig},", " {sig}")
	f.Add("a\tb", "1614265330", "v1,{sig}\t", "v1={sig},t=1614265330", "{SIG}")
	f.Add("x", "-0", "v1,,v1,{sig}", "t=,v1=", "")
	f.Add(vecID, "1614265330", "v1a,{sig} v2,{sig}", "t=1614265330,V1={sig}", "zz")
	secrets := []string{vecSecret, "whsec_" + base64.StdEncoding.EncodeToString([]byte("another key of 24 bytes!"))}
	body := []byte(vecBody)
	now := time.Unix(vecTS, 0)
	sentinels := []error{signature.ErrMissingHeader, signature.ErrBadFormat, signature.ErrExpired, signature.ErrNoMatch}
	classified := func(t *testing.T, scheme string, err error) {
		t.Helper()
		for _, s := range sentinels {
			if errors.Is(err, s) {
				return
			}
		}
		t.Fatalf("%s: %v wraps no documented error", scheme, err)
	}
	keys := make([][]byte, len(secrets))
	for i, s := range secrets {
		keys[i], _ = base64.StdEncoding.DecodeString(strings.TrimPrefix(s, signature.SecretPrefix))
	}

	f.Fuzz(func(t *testing.T, id, tsText, standard, stamped, bodySig string) {
		// Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature.
		ts, tsErr := strconv.ParseInt(tsText, 10, 64)
		genuine := map[string]bool{}
		for i, k := range keys {
			g := base64.StdEncoding.EncodeToString(handHMAC(k, []byte(id+"."+strconv.FormatInt(ts, 10)+"."), body))
			genuine[g] = true
			if i == 0 {
				standard = strings.ReplaceAll(standard, "{sig}", g)
			}
		}
		h := http.Header{}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", tsText)
		h.Set("webhook-signature", standard)
		if err := (signature.Verifier{Scheme: signature.Standard, Now: fixedNow(now)}).Verify(h, body, secrets...); err != nil {
			classified(t, "standard", err)
		} else {
			found := false
			for _, entry := range strings.Split(h.Get("webhook-signature"), " ") {
				found = found || strings.HasPrefix(entry, "v1,") && genuine[entry[3:]]
			}
			if tsErr != nil || !found {
				t.Fatalf("standard: accepted id %q, timestamp %q, signature %q", id, tsText, standard)
			}
		}

		// Timestamped: one t= and v1=<hex>, keyed with the whole secret.
		mac := func(secret string, t string) string {
			return hex.EncodeToString(handHMAC([]byte(secret), []byte(t+"."), body))
		}
		stamped = strings.ReplaceAll(stamped, "{sig}", mac(secrets[1], strconv.Itoa(vecTS)))
		h = http.Header{}
		h.Set(signature.DefaultHeader, stamped)
		if err := (signature.Verifier{Scheme: signature.Timestamped, Now: fixedNow(now)}).Verify(h, body, secrets...); err != nil {
			classified(t, "timestamped", err)
		} else {
			var stampedAt []string
			found := map[string]bool{}
			for _, entry := range strings.Split(h.Get(signature.DefaultHeader), ",") {
				k, v, _ := strings.Cut(entry, "=")
				switch k {
				case "t":
					stampedAt = append(stampedAt, v)
				case "v1":
					found[strings.ToLower(v)] = true
				}
			}
			if len(stampedAt) != 1 || !(found[mac(secrets[0], stampedAt[0])] || found[mac(secrets[1], stampedAt[0])]) {
				t.Fatalf("timestamped: accepted %q", stamped)
			}
		}

		// Body: the bare hex HMAC of the body.
		bodySig = strings.ReplaceAll(bodySig, "{sig}", hex.EncodeToString(handHMAC([]byte(secrets[0]), body)))
		h = http.Header{}
		h.Set(signature.DefaultHeader, bodySig)
		if err := (signature.Verifier{Scheme: signature.Body}).Verify(h, body, secrets...); err != nil {
			classified(t, "body", err)
		} else {
			got, err := hex.DecodeString(h.Get(signature.DefaultHeader))
			if err != nil || !(hmac.Equal(got, handHMAC([]byte(secrets[0]), body)) || hmac.Equal(got, handHMAC([]byte(secrets[1]), body))) {
				t.Fatalf("body: accepted %q", bodySig)
			}
		}
	})
}

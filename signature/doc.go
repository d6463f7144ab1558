// Package signature signs hookd's outgoing webhook deliveries and lets
// receivers verify them. It uses only the standard library, so a receiver
// can import it without pulling in the rest of hookd.
//
// Three schemes exist (see Scheme); Standard, the default, is the Standard
// Webhooks specification, so the official Standard Webhooks libraries verify
// it too, and Timestamped verifies with Stripe's libraries.
//
// A receiver verifies in a net/http handler like this:
//
//	v := signature.Verifier{Scheme: signature.Standard}
//	http.HandleFunc("/webhooks", func(w http.ResponseWriter, r *http.Request) {
//		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
//		if err != nil || v.Verify(r.Header, body, secret) != nil { // secret: "whsec_..."
//			http.Error(w, "invalid webhook", http.StatusBadRequest)
//			return
//		}
//		// De-duplicate on r.Header.Get("webhook-id"), then parse body.
//		w.WriteHeader(http.StatusNoContent)
//	})
//
// Verify's error says why (test with errors.Is against ErrMissingHeader,
// ErrBadFormat, ErrExpired, ErrNoMatch); log it for yourself.
//
// Verify the raw body bytes before parsing them: decoding and re-encoding
// JSON changes bytes and breaks the signature, and unverified input should
// not reach a parser.
//
// Delivery is at-least-once, so the same event can arrive more than once
// (retries, replays). De-duplicate on webhook-id, which is the event id and
// is the same on every attempt and endpoint.
//
// The Body scheme signs the body alone, with no timestamp: it offers no
// replay protection, as a captured request verifies forever. Prefer
// Standard or Timestamped.
package signature

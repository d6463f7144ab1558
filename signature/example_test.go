package signature_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/hookd/hookd/signature"
)

// A receiver's handler, as in the package documentation, and hookd's side
// signing a delivery to it.
func ExampleVerifier_Verify() {
	secret, _ := signature.NewSecret() // in real life: copied from hookd

	v := signature.Verifier{Scheme: signature.Standard}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil || v.Verify(r.Header, body, secret) != nil {
			http.Error(w, "invalid webhook", http.StatusBadRequest)
			return
		}
		// De-duplicate on r.Header.Get("webhook-id"), then parse body.
		w.WriteHeader(http.StatusNoContent)
	})
	srv := httptest.NewServer(handler)
	defer srv.Close()

	body := []byte(`{"id":"evt_1","type":"user.created","timestamp":"2025-01-01T00:00:00Z","data":{}}`)
	for _, key := range []string{secret, "whsec_" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		s := signature.Signer{Scheme: signature.Standard}
		if err := s.Sign(req.Header, "evt_1", time.Now(), body, []string{key}); err != nil {
			fmt.Println(err)
			return
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}
	// Output:
	// 204
	// 400
}

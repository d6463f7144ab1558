package e2e

import (
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"code.dny.dev/ssrf"

	"github.com/hookd/hookd/dispatch"
)

// TestDialerRefusesPrivateAddresses checks the connect-time check of the
// delivery client: the API refuses private URLs up front, but only the
// dialer stops a public name that resolves to a private address.
func TestDialerRefusesPrivateAddresses(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	// The same server by IP and by a name that resolves to loopback.
	targets := []string{srv.URL, "https://localhost:" + u.Port() + "/"}

	trust := func(c *http.Client) *http.Client {
		c.Transport.(*http.Transport).TLSClientConfig = &tls.Config{
			RootCAs:    srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs,
			ServerName: "example.com", // httptest's certificate names example.com and 127.0.0.1
		}
		return c
	}

	for _, target := range targets {
		t.Run("refused "+target, func(t *testing.T) {
			resp, err := trust(dispatch.NewClient(false)).Post(target, "application/json", strings.NewReader("{}"))
			if err == nil {
				resp.Body.Close()
				t.Fatalf("POST %s with private targets disallowed: status %d, want a refused connection", target, resp.StatusCode)
			}
			if !errors.Is(err, ssrf.ErrProhibitedIP) {
				t.Errorf("error %v does not wrap ssrf.ErrProhibitedIP", err)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the server was reached %d times by the strict client", n)
	}

	t.Run("allowed", func(t *testing.T) {
		resp, err := trust(dispatch.NewClient(true)).Post(srv.URL, "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatalf("POST with private targets allowed: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent || hits.Load() != 1 {
			t.Errorf("status %d, hits %d; want 204, 1", resp.StatusCode, hits.Load())
		}
	})
}

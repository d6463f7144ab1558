package e2e

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/hookd/internal/tcpproxy"
	"github.com/hookd/hookd/internal/testcert"
)

// trustedCA makes a test CA and the roots file a hookd process trusts it
// through (SSL_CERT_FILE).
func trustedCA(t *testing.T) (*testcert.CA, string) {
	t.Helper()
	ca, err := testcert.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	roots, err := ca.WriteRoots(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return ca, roots
}

// clientCert returns a client certificate valid until notAfter and its key, as PEM.
func clientCert(t *testing.T, notAfter time.Time) (cert, key string) {
	t.Helper()
	ca, err := testcert.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	if cert, key, err = ca.Issue("hookd-client", notAfter, x509.ExtKeyUsageClientAuth); err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// TestEgressRefusals: auth, client certificates and proxies the rules
// refuse are 422s naming the field, and nothing is stored, on both stores,
// in a deployment without --allow-private-targets.
func TestEgressRefusals(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, c config) {
		t.Parallel()
		c.strict = true
		f := newFixture(t, c)
		ten := f.tenant()
		ep, _ := f.endpoint(ten, "https://hooks.example.com/in", nil)
		endpoints := "/v1/tenants/" + ten + "/endpoints"
		epPath := endpoints + "/" + ep.ID
		with := func(k string, v any) map[string]any {
			return map[string]any{"name": "x", "url": "https://hooks.example.com/in", k: v}
		}
		oauth2 := func(tokenURL string) map[string]any {
			return map[string]any{"type": "oauth2_client_credentials", "token_url": tokenURL, "client_id": "id", "client_secret": "s"}
		}
		cert, key := clientCert(t, time.Now().Add(24*time.Hour))
		_, otherKey := clientCert(t, time.Now().Add(24*time.Hour))
		expired, expiredKey := clientCert(t, time.Now().Add(-time.Hour))
		cases := []refusal{
			{name: "http token URL", method: "POST", path: endpoints, body: with("auth", oauth2("http://auth.example.com/token")), field: "auth.token_url"},
			{name: "private token URL", method: "POST", path: endpoints, body: with("auth", oauth2("https://10.1.2.3/token")), field: "auth.token_url"},
			{name: "localhost token URL", method: "PATCH", path: epPath, body: map[string]any{"auth": oauth2("https://localhost/token")}, field: "auth.token_url"},
			{name: "oauth2 without secret", method: "POST", path: endpoints,
				body: with("auth", map[string]any{"type": "oauth2_client_credentials", "token_url": "https://auth.example.com/token", "client_id": "id"}), field: "auth.client_secret"},
			{name: "oauth2 reserved param", method: "POST", path: endpoints,
				body: with("auth", map[string]any{"type": "oauth2_client_credentials", "token_url": "https://auth.example.com/token", "client_id": "id",
					"client_secret": "s", "params": map[string]string{"grant_type": "password"}}), field: "auth.params.grant_type"},
			{name: "unknown auth type", method: "POST", path: endpoints, body: with("auth", map[string]any{"type": "digest"}), field: "auth.type"},
			{name: "unknown auth field", method: "POST", path: endpoints, body: with("auth", map[string]any{"type": "basic", "username": "u", "realm": "r"}), field: "auth"},
			{name: "basic username with colon", method: "POST", path: endpoints, body: with("auth", map[string]any{"type": "basic", "username": "a:b"}), field: "auth.username"},
			{name: "basic with a token URL", method: "PATCH", path: epPath,
				body: map[string]any{"auth": map[string]any{"type": "basic", "username": "u", "token_url": "https://auth.example.com/token"}}, field: "auth.token_url"},
			{name: "malformed certificate", method: "POST", path: endpoints,
				body: with("tls_client_certificate", map[string]string{"certificate": "not PEM", "private_key": key}), field: "tls_client_certificate.certificate"},
			{name: "mismatched key", method: "POST", path: endpoints,
				body: with("tls_client_certificate", map[string]string{"certificate": cert, "private_key": otherKey}), field: "tls_client_certificate.private_key"},
			{name: "malformed key", method: "PATCH", path: epPath,
				body:  map[string]any{"tls_client_certificate": map[string]string{"certificate": cert, "private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}},
				field: "tls_client_certificate.private_key"},
			{name: "certificate without key", method: "POST", path: endpoints,
				body: with("tls_client_certificate", map[string]string{"certificate": cert}), field: "tls_client_certificate.private_key"},
			{name: "expired certificate", method: "POST", path: endpoints,
				body: with("tls_client_certificate", map[string]string{"certificate": expired, "private_key": expiredKey}), field: "tls_client_certificate.certificate"},
			{name: "socks proxy", method: "POST", path: endpoints, body: with("proxy_url", "socks5://proxy.example.com:1080"), field: "proxy_url"},
			{name: "proxy with a path", method: "PATCH", path: epPath, body: map[string]any{"proxy_url": "http://proxy.example.com/p"}, field: "proxy_url"},
			{name: "private proxy", method: "POST", path: endpoints, body: with("proxy_url", "http://192.168.1.1:3128"), field: "proxy_url"},
		}
		refuseAll(t, f, ten, cases)
	})
}

// TestEgressSecretsMaskedAndKept: the API never shows an endpoint's
// password, client secret, key or certificate, an update that sends the
// masks back keeps them (the receiver still gets the stored password), and
// the SQLite file does not hold them in the clear.
func TestEgressSecretsMaskedAndKept(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, c config) {
		t.Parallel()
		f := newFixture(t, c)
		ten := f.tenant()
		rcv := newReceiver(t, 200)
		cert, key := clientCert(t, time.Now().Add(24*time.Hour))
		const password = "pa55-w0rd-kept"
		ep, _ := f.endpoint(ten, rcv.URL, map[string]any{
			"auth":                   map[string]any{"type": "basic", "username": "hookd", "password": password},
			"tls_client_certificate": map[string]string{"certificate": cert, "private_key": key},
			"proxy_url":              "",
		})
		path := "/v1/tenants/" + ten + "/endpoints/" + ep.ID
		body := f.admin.must(t, 200, "GET", path, nil, nil).body
		for _, secret := range []string{password, "PRIVATE KEY", "BEGIN CERTIFICATE"} {
			if bytes.Contains(body, []byte(secret)) {
				t.Errorf("the endpoint as read shows %q: %s", secret, body)
			}
		}
		var shown struct {
			Auth map[string]any `json:"auth"`
			TLS  map[string]any `json:"tls_client_certificate"`
		}
		_ = json.Unmarshal(body, &shown)
		if shown.Auth["password"] != "********" || shown.Auth["username"] != "hookd" || shown.TLS["subject"] != "CN=hookd-client" || shown.TLS["private_key"] != "********" {
			t.Errorf("shown auth %v, certificate %v", shown.Auth, shown.TLS)
		}
		// Sent back as read, with a new username: the password and certificate stay.
		shown.Auth["username"] = "renamed"
		f.admin.must(t, 200, "PATCH", path, map[string]any{"auth": shown.Auth,
			"tls_client_certificate": map[string]any{"certificate": "********", "private_key": "********"}}, nil)
		f.publish(ten, typeCreated, `{}`)
		got := rcv.waitRequests(t, 1)[0]
		if want := "Basic " + base64.StdEncoding.EncodeToString([]byte("renamed:"+password)); got.header.Get("Authorization") != want {
			t.Errorf("the receiver got Authorization %q, want %q", got.header.Get("Authorization"), want)
		}
		after := f.admin.must(t, 200, "GET", path, nil, nil).body
		_ = json.Unmarshal(after, &shown)
		if shown.TLS["subject"] != "CN=hookd-client" {
			t.Errorf("the certificate after an update sending the masks: %v", shown.TLS)
		}
		if len(c.extraArgs) == 0 { // SQLite: the file and its WAL
			for _, name := range []string{f.h.db, f.h.db + "-wal"} {
				raw, _ := os.ReadFile(name)
				if bytes.Contains(raw, []byte(password)) || bytes.Contains(raw, []byte("PRIVATE KEY")) {
					t.Errorf("%s holds the secrets in the clear", name)
				}
			}
		}
	})
}

// egressWalk creates, reads and updates an endpoint with every egress
// field through hc (TestOpenAPIWire validates each request and answer).
func egressWalk(t *testing.T, h *hookdProc, hc *http.Client) {
	cert, key := clientCert(t, time.Now().Add(time.Hour))
	call := func(method, path string, body any, want int) []byte {
		t.Helper()
		var r io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			r = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, h.url+path, r)
		req.Header.Set("Authorization", "Bearer "+h.key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, out, want)
		}
		return out
	}
	call("POST", "/v1/tenants", map[string]any{"id": "wire-egress", "name": "Egress"}, 201)
	var created struct {
		Endpoint struct {
			ID string `json:"id"`
		} `json:"endpoint"`
	}
	_ = json.Unmarshal(call("POST", "/v1/tenants/wire-egress/endpoints", map[string]any{"name": "e", "url": "https://hooks.example.com/in",
		"auth": map[string]any{"type": "oauth2_client_credentials", "token_url": "https://auth.example.com/token", "client_id": "id",
			"client_secret": "s", "scopes": []string{"a"}, "audience": "x", "params": map[string]string{"resource": "r"}},
		"tls_client_certificate": map[string]string{"certificate": cert, "private_key": key},
		"proxy_url":              "http://u:p@proxy.example.com:3128"}, 201), &created)
	path := "/v1/tenants/wire-egress/endpoints/" + created.Endpoint.ID
	call("GET", path, nil, 200)
	call("PATCH", path, map[string]any{"auth": map[string]any{"type": "basic", "username": "u", "password": "p"},
		"tls_client_certificate": nil, "proxy_url": ""}, 200)
	call("PATCH", path, map[string]any{"proxy_url": "ftp://proxy.example.com"}, 422)
}

// TestEgressDeliveries runs the binary on both stores with --proxy-url and
// the test CA as its trusted roots: an endpoint with OAuth2 and a client
// certificate is delivered to a receiver that demands both, through the
// proxy (which sees the CONNECTs, the token request's too), fetching one
// token for three deliveries;
// the same receiver refuses the endpoint without a certificate with a TLS
// error on the attempt.
func TestEgressDeliveries(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, c config) {
		t.Parallel()
		ca, roots := trustedCA(t)
		var tokens, bearer atomic.Int32
		tokenSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if id, secret, _ := r.BasicAuth(); id != "hookd" || secret != "cs" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			tokens.Add(1)
			_, _ = io.WriteString(w, `{"access_token":"tok","token_type":"bearer","expires_in":3600}`)
		}))
		serverCert, serverKey, err := ca.Issue("receiver", time.Now().Add(time.Hour), x509.ExtKeyUsageServerAuth, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		pair, _ := tls.X509KeyPair([]byte(serverCert), []byte(serverKey))
		tokenSrv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
		tokenSrv.StartTLS()
		t.Cleanup(tokenSrv.Close)
		pool := x509.NewCertPool()
		pool.AddCert(ca.Cert)
		rcv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") == "Bearer tok" && r.TLS.PeerCertificates[0].Subject.CommonName == "hookd-client" {
				bearer.Add(1)
				return
			}
			w.WriteHeader(http.StatusUnauthorized)
		}))
		rcv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is the test's
		rcv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
		rcv.StartTLS()
		t.Cleanup(rcv.Close)
		proxy := tcpproxy.NewConnect(t, "", "egress", "pr0xy") // the token server's and the receiver's CONNECTs

		c.extraArgs = append(c.extraArgs, "--proxy-url", strings.Replace(proxy.URL, "http://", "http://egress:pr0xy@", 1))
		c.env = []string{"SSL_CERT_FILE=" + roots}
		f := newFixture(t, c)
		ten := f.tenant()
		cert, key, _ := ca.Issue("hookd-client", time.Now().Add(time.Hour), x509.ExtKeyUsageClientAuth)
		f.endpoint(ten, rcv.URL, map[string]any{"event_types": []string{typeCreated},
			"auth":                   map[string]any{"type": "oauth2_client_credentials", "token_url": tokenSrv.URL + "/token", "client_id": "hookd", "client_secret": "cs"},
			"tls_client_certificate": map[string]string{"certificate": cert, "private_key": key}})
		f.endpoint(ten, rcv.URL, map[string]any{"event_types": []string{typeFailed}, "retry_schedule": []string{}})
		var ids []string
		for range 3 {
			ids = append(ids, f.publish(ten, typeCreated, `{}`).ID)
		}
		for _, id := range ids {
			f.waitStatus(ten, f.deliveryOf(ten, id).ID, "delivered")
		}
		failed := f.waitStatus(ten, f.deliveryOf(ten, f.publish(ten, typeFailed, `{}`).ID).ID, "failed")
		if len(failed.Attempts) != 1 || !strings.HasPrefix(failed.Attempts[0].Error, "TLS: ") {
			t.Errorf("without a client certificate: attempts %+v, want one failed with a TLS error", failed.Attempts)
		}
		if tokens.Load() != 1 || bearer.Load() != 3 {
			t.Errorf("%d token requests and %d authorised deliveries, want 1 and 3", tokens.Load(), bearer.Load())
		}
		if seen := proxy.Seen(); !slices.Contains(seen, rcv.Listener.Addr().String()) || !slices.Contains(seen, tokenSrv.Listener.Addr().String()) {
			t.Errorf("the proxy saw CONNECTs to %v, want the receiver %s and the token server %s", seen, rcv.Listener.Addr(), tokenSrv.Listener.Addr())
		}
	})
}

package dispatch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/tcpproxy"
	"github.com/hookd/hookd/internal/testcert"
	"github.com/hookd/hookd/signature"
)

// testCA signs the receivers' and clients' certificates of these tests;
// TestMain makes it the process's trusted root (SSL_CERT_FILE), as an
// operator's CA bundle would be.
var testCA *testcert.CA

// publicIP is where the proxy tests' endpoints point: a public address
// nothing connects to, since the test's proxy sends every CONNECT to a
// local receiver whose certificate names it.
const publicIP = "93.184.216.34"

func TestMain(m *testing.M) { os.Exit(testcert.Main(m, &testCA)) }

// issue returns a certificate of the test CA valid for the next hour.
func issue(t *testing.T, cn string, usage x509.ExtKeyUsage, ips ...string) hookd.TLSClientCertificate {
	t.Helper()
	cert, key, err := testCA.Issue(cn, time.Now().Add(time.Hour), usage, ips...)
	if err != nil {
		t.Fatal(err)
	}
	return hookd.TLSClientCertificate{Certificate: cert, PrivateKey: key}
}

// tlsReceiver is an HTTPS receiver with a certificate of the test CA for
// 127.0.0.1 and publicIP; requireClientCert makes it demand a client
// certificate of the test CA.
func tlsReceiver(t *testing.T, requireClientCert bool, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	pair, err := issue(t, "receiver", x509.ExtKeyUsageServerAuth, "127.0.0.1", publicIP).KeyPair()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the test's
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	if requireClientCert {
		pool := x509.NewCertPool()
		pool.AddCert(testCA.Cert)
		srv.TLS.ClientAuth, srv.TLS.ClientCAs = tls.RequireAndVerifyClientCert, pool
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// egressEndpoint creates an endpoint of e's tenant with egress settings
// and no retries.
func (e *engine) egressEndpoint(t *testing.T, url string, eg hookd.Egress) string {
	t.Helper()
	secret, _ := signature.NewSecret()
	ep := &hookd.Endpoint{TenantID: e.tenant, Name: "e", URL: url, EventTypes: []string{"*"}, Enabled: true,
		MaxInFlight: 10, RetrySchedule: hookd.Schedule{}, Egress: eg}
	if err := e.store.CreateEndpoint(t.Context(), ep, secret); err != nil {
		t.Fatal(err)
	}
	return ep.ID
}

// only returns the endpoint's one delivery, once finished.
func (e *engine) only(t *testing.T, endpointID string) *hookd.Delivery {
	t.Helper()
	for range 1000 {
		ds, err := e.store.Deliveries(t.Context(), hookd.DeliveryFilter{TenantID: e.tenant, EndpointID: endpointID}, hookd.Page{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 1 && (ds[0].Status == hookd.StatusDelivered || ds[0].Status == hookd.StatusFailed) {
			return ds[0]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("endpoint %s has no finished delivery", endpointID)
	return nil
}

func egressDispatcher(t *testing.T, store hookd.QueueStore, allowPrivate bool, proxy *url.URL) *Dispatcher {
	return run(t, New(store, Config{AllowPrivate: allowPrivate, Workers: 16, TenantInFlight: 16, PollInterval: 20 * time.Millisecond,
		ProxyURL: proxy, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
}

// tokenServer is an OAuth2 token endpoint counting its token requests; the
// n-th token is "tok-n", valid for an hour.
type tokenServer struct {
	*httptest.Server
	issued atomic.Int32
}

func newTokenServer(t *testing.T) *tokenServer {
	ts := &tokenServer{}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// RFC 6749 §2.3.1: the client's id and secret are form-encoded in the Basic header.
		id, secret, _ := r.BasicAuth()
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
		_ = r.ParseForm()
		want := url.Values{"grant_type": {"client_credentials"}, "scope": {"hooks:write hooks:read"},
			"audience": {"https://crm.example.com"}, "resource": {"crm"}}
		if id != "hookd" || secret != "s3cr3t/+" || r.PostForm.Encode() != want.Encode() {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error":"invalid_client","error_description":"got %s %s %s"}`, id, secret, r.PostForm.Encode())
			return
		}
		n := ts.issued.Add(1)
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":3600}`, n)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *tokenServer) auth() hookd.EndpointAuth {
	return hookd.EndpointAuth{Type: hookd.AuthOAuth2, TokenURL: ts.URL + "/token", ClientID: "hookd", ClientSecret: "s3cr3t/+",
		Scopes: []string{"hooks:write", "hooks:read"}, Audience: "https://crm.example.com", Params: map[string]string{"resource": "crm"}}
}

// TestOAuth2TokenSharedAndRefreshedOnce: 20 concurrent deliveries fetch one
// token between them; once the receiver revokes it, the 401s lead to
// exactly one new token and every delivery still goes on its first attempt.
func TestOAuth2TokenSharedAndRefreshedOnce(t *testing.T) {
	ts := newTokenServer(t)
	var revoked atomic.Value
	revoked.Store("")
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		if !strings.HasPrefix(auth, "Bearer tok-") || auth == "Bearer "+revoked.Load().(string) {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	t.Cleanup(recv.Close)
	e := newEngineStore(t)
	ep := e.egressEndpoint(t, recv.URL, hookd.Egress{Auth: ts.auth()})
	egressDispatcher(t, e.store, true, nil)

	e.publish(t, 20)
	e.waitStatus(t, ep, hookd.StatusDelivered, 20)
	if n := ts.issued.Load(); n != 1 {
		t.Fatalf("%d token requests for 20 deliveries, want 1", n)
	}
	revoked.Store("tok-1")
	e.publish(t, 20)
	e.waitStatus(t, ep, hookd.StatusDelivered, 40)
	if n := ts.issued.Load(); n != 2 {
		t.Errorf("%d token requests after the token was revoked, want 2 (one refresh)", n)
	}
	ds, _ := e.store.Deliveries(t.Context(), hookd.DeliveryFilter{TenantID: e.tenant, EndpointID: ep}, hookd.Page{Limit: 100})
	for _, d := range ds {
		if d.Attempts != 1 {
			t.Errorf("delivery %s took %d attempts, want 1 (the 401 retried within it)", d.ID, d.Attempts)
		}
	}
}

// TestOAuth2TokenRenewedBeforeExpiry: a cached token serves until shortly
// before its expiry, then one new one is fetched (the cache's clock moved).
func TestOAuth2TokenRenewedBeforeExpiry(t *testing.T) {
	ts := newTokenServer(t)
	d := New(nil, Config{AllowPrivate: true})
	now := time.Now()
	d.tokens.now = func() time.Time { return now }
	a := ts.auth()
	client, _ := d.clients.forEgress(hookd.Egress{Auth: a})
	fetch := func(ctx context.Context) (token, error) { return d.fetchToken(ctx, client, a) }
	get := func() string {
		tok, err := d.tokens.get(t.Context(), "ep_1", a, fetch)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	for _, step := range []struct {
		advance time.Duration
		want    string
	}{{0, "tok-1"}, {time.Minute, "tok-1"}, {58 * time.Minute, "tok-1"}, {time.Minute - 31*time.Second, "tok-1"}, {2 * time.Second, "tok-2"}, {time.Minute, "tok-2"}} {
		now = now.Add(step.advance)
		if got := get(); got != step.want {
			t.Fatalf("after %s more: token %s, want %s", step.advance, got, step.want)
		}
	}
	if n := ts.issued.Load(); n != 2 {
		t.Errorf("%d token requests, want 2", n)
	}
	a.Scopes = []string{"hooks:write"} // changed settings: the cached token is not theirs
	if _, err := d.tokens.get(t.Context(), "ep_1", a, fetch); err == nil || ts.issued.Load() != 2 {
		t.Errorf("a changed auth reused the cached token (err %v)", err)
	}
}

// TestOAuth2TokenErrorsOnTheAttempt: the token endpoint's refusal, and a
// token URL the outbound rules refuse, fail the attempt saying so.
func TestOAuth2TokenErrorsOnTheAttempt(t *testing.T) {
	ts := newTokenServer(t)
	var got atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { got.Add(1) }))
	t.Cleanup(recv.Close)
	e := newEngineStore(t)
	wrong := ts.auth()
	wrong.ClientSecret = "wrong"
	refused := e.egressEndpoint(t, recv.URL, hookd.Egress{Auth: wrong})
	egressDispatcher(t, e.store, true, nil)
	e.publish(t, 1)
	if d := e.only(t, refused); d.Status != hookd.StatusFailed ||
		!strings.HasPrefix(d.LastError, "OAuth2 token request failed: the token endpoint answered 401: invalid_client") {
		t.Errorf("refused token: %s %q", d.Status, d.LastError)
	}

	strict := newEngineStore(t)
	private := strict.egressEndpoint(t, "https://"+publicIP+"/hook", hookd.Egress{Auth: ts.auth()})
	egressDispatcher(t, strict.store, false, nil)
	strict.publish(t, 1)
	if d := strict.only(t, private); !strings.Contains(d.LastError, "OAuth2 token request failed: refused: the token URL must use https") {
		t.Errorf("http token URL: %q", d.LastError)
	}
	if got.Load() != 0 || ts.issued.Load() != 0 {
		t.Errorf("the receiver got %d requests and the token server issued %d, want none", got.Load(), ts.issued.Load())
	}
}

// TestMTLSClientCertificate: a receiver requiring a client certificate of
// the test CA refuses the endpoint without one (a TLS error on the
// attempt) and takes the delivery of the endpoint with one.
func TestMTLSClientCertificate(t *testing.T) {
	var subjects sync.Map
	recv := tlsReceiver(t, true, func(_ http.ResponseWriter, r *http.Request) {
		subjects.Store(r.TLS.PeerCertificates[0].Subject.CommonName, true)
	})
	e := newEngineStore(t)
	without := e.egressEndpoint(t, recv.URL, hookd.Egress{})
	with := e.egressEndpoint(t, recv.URL, hookd.Egress{TLSClientCertificate: issue(t, "hookd-client", x509.ExtKeyUsageClientAuth)})
	egressDispatcher(t, e.store, true, nil)
	e.publish(t, 1)
	d := e.only(t, without)
	t.Logf("without a client certificate: %q", d.LastError)
	if d.Status != hookd.StatusFailed || !strings.HasPrefix(d.LastError, "TLS: ") ||
		!strings.Contains(d.LastError, "certificate") {
		t.Errorf("without a client certificate: %s %q, want failed with a TLS error", d.Status, d.LastError)
	}
	if d := e.only(t, with); d.Status != hookd.StatusDelivered {
		t.Errorf("with the client certificate: %s %q, want delivered", d.Status, d.LastError)
	}
	if _, ok := subjects.Load("hookd-client"); !ok {
		t.Errorf("the receiver saw no request with the client certificate")
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestDeliveriesThroughConnectProxy: with --proxy-url (a private address:
// the operator's) deliveries to a public destination go through CONNECT,
// while a private destination is refused before any CONNECT; an endpoint's
// own proxy, with credentials, overrides the deployment's.
func TestDeliveriesThroughConnectProxy(t *testing.T) {
	var got atomic.Int32
	recv := tlsReceiver(t, false, func(http.ResponseWriter, *http.Request) { got.Add(1) })
	backend := recv.Listener.Addr().String()
	deployment := tcpproxy.NewConnect(t, backend, "", "")
	e := newEngineStore(t)
	public := e.egressEndpoint(t, "https://"+publicIP+"/hook", hookd.Egress{})
	private := e.egressEndpoint(t, recv.URL, hookd.Egress{})
	egressDispatcher(t, e.store, false, mustURL(t, deployment.URL))
	e.publish(t, 3)
	e.waitStatus(t, public, hookd.StatusDelivered, 3)
	ds, _ := e.store.Deliveries(t.Context(), hookd.DeliveryFilter{TenantID: e.tenant, EndpointID: private}, hookd.Page{Limit: 10})
	for len(ds) < 3 || ds[0].Status != hookd.StatusFailed || ds[1].Status != hookd.StatusFailed || ds[2].Status != hookd.StatusFailed {
		time.Sleep(20 * time.Millisecond)
		ds, _ = e.store.Deliveries(t.Context(), hookd.DeliveryFilter{TenantID: e.tenant, EndpointID: private}, hookd.Page{Limit: 10})
	}
	for _, d := range ds {
		if !strings.HasPrefix(d.LastError, "refused: the endpoint resolves to a private or local address") {
			t.Errorf("private destination through the proxy: %q", d.LastError)
		}
	}
	for _, target := range deployment.Seen() {
		if target != publicIP+":443" {
			t.Errorf("the proxy saw CONNECT %s; only %s:443 may pass", target, publicIP)
		}
	}
	if got.Load() != 3 {
		t.Errorf("the receiver got %d requests, want 3", got.Load())
	}

	// An endpoint's own proxy (a development setup: private targets allowed).
	own := tcpproxy.NewConnect(t, backend, "hookd", "pr0xy")
	dev := newEngineStore(t)
	viaOwn := dev.egressEndpoint(t, "https://"+publicIP+"/own", hookd.Egress{ProxyURL: strings.Replace(own.URL, "http://", "http://hookd:pr0xy@", 1)})
	wrongPass := dev.egressEndpoint(t, "https://"+publicIP+"/wrong", hookd.Egress{ProxyURL: strings.Replace(own.URL, "http://", "http://hookd:nope@", 1)})
	before := len(deployment.Seen())
	egressDispatcher(t, dev.store, true, mustURL(t, deployment.URL))
	dev.publish(t, 1)
	if d := dev.only(t, viaOwn); d.Status != hookd.StatusDelivered {
		t.Errorf("through the endpoint's proxy: %s %q", d.Status, d.LastError)
	}
	if d := dev.only(t, wrongPass); d.Status != hookd.StatusFailed || !strings.Contains(d.LastError, "Proxy Authentication Required") {
		t.Errorf("wrong proxy credentials: %s %q", d.Status, d.LastError)
	}
	if n := len(own.Seen()); n != 2 {
		t.Errorf("the endpoint's proxy saw %d CONNECTs, want 2", n)
	}
	if n := len(deployment.Seen()); n != before {
		t.Errorf("the deployment's proxy saw %d more CONNECTs, want none (overridden)", n-before)
	}
}

// TestEgressClientsBounded: each certificate-and-proxy pair gets one
// client, reused; beyond the bound the least recently used is dropped.
func TestEgressClientsBounded(t *testing.T) {
	c := newClients(true, nil, nil)
	proxy := func(i int) hookd.Egress { return hookd.Egress{ProxyURL: fmt.Sprintf("http://p%d.example.com:3128", i)} }
	first, _ := c.forEgress(proxy(0))
	if again, _ := c.forEgress(proxy(0)); again != first {
		t.Fatal("the same egress got a second client")
	}
	if shared, _ := c.forEgress(hookd.Egress{Auth: hookd.EndpointAuth{Type: hookd.AuthBasic, Username: "u"}}); shared != c.shared {
		t.Error("auth alone got a client of its own")
	}
	for i := 1; i <= maxEgressClients; i++ {
		if _, err := c.forEgress(proxy(i)); err != nil {
			t.Fatal(err)
		}
	}
	if c.order.Len() != maxEgressClients || len(c.byKey) != maxEgressClients {
		t.Errorf("%d clients kept (%d keys), want %d", c.order.Len(), len(c.byKey), maxEgressClients)
	}
	if again, _ := c.forEgress(proxy(0)); again == first {
		t.Error("the least recently used client was not dropped")
	}
}

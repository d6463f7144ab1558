package dashboard

import (
	"crypto/x509"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/testcert"
)

// TestEndpointFormEgress: the form sets auth, a client certificate and a
// proxy with the API's rules; saved secrets never reach the page, and
// empty fields keep them.
func TestEndpointFormEgress(t *testing.T) {
	e := newEnv(t, nil)
	u := e.user().signedIn("a", hookd.RoleAdmin)
	csrf := u.csrf("/dashboard/t/a/endpoints/new")
	ca, err := testcert.NewCA()
	must(t, err)
	cert, key, err := ca.Issue("hookd-client", time.Now().Add(time.Hour), x509.ExtKeyUsageClientAuth)
	must(t, err)
	_, otherKey, err := ca.Issue("other", time.Now().Add(time.Hour), x509.ExtKeyUsageClientAuth)
	must(t, err)
	form := func(extra url.Values) url.Values {
		f := url.Values{"csrf": {csrf}, "name": {"Auth hook"}, "url": {"https://hooks.example.com/in"}, "subscribe": {"all"}}
		for k, v := range extra {
			f[k] = v
		}
		return f
	}

	bad := u.post("/dashboard/t/a/endpoints", form(url.Values{"auth_type": {hookd.AuthOAuth2}, "auth_token_url": {"http://auth.example.com/token"},
		"auth_client_id": {"id"}, "auth_client_secret": {"s"}, "tls_certificate": {cert}, "tls_private_key": {otherKey}, "proxy_url": {"socks5://p.example.com"}}))
	for _, want := range []string{"must use https", "private key does not match public key", "must use http or https"} {
		if !strings.Contains(bad.body, want) {
			t.Errorf("the refused form does not say %q", want)
		}
	}
	if n, _ := e.store.CountEndpoints(t.Context(), "a"); bad.status != 422 || n != 1 {
		t.Errorf("refused form: %d with %d endpoints; want 422 and nothing created", bad.status, n)
	}

	ok := u.post("/dashboard/t/a/endpoints", form(url.Values{"auth_type": {hookd.AuthBasic}, "auth_username": {"hookd"}, "auth_password": {"pa55-kept"},
		"tls_certificate": {cert}, "tls_private_key": {key}, "proxy_url": {"http://egress:pr0xy-kept@proxy.example.com:3128"}}))
	if ok.status != http.StatusSeeOther {
		t.Fatalf("good form: %d\n%s", ok.status, ok.body)
	}
	loc := ok.header.Get("Location")
	id := loc[strings.LastIndex(loc, "/")+1:]
	edit := u.get(loc + "/edit")
	for _, secret := range []string{"pa55-kept", "pr0xy-kept", "PRIVATE KEY-----\n", "BEGIN CERTIFICATE-----\n"} {
		if strings.Contains(edit.body, secret) {
			t.Errorf("the edit form shows %q", secret)
		}
	}
	if !strings.Contains(edit.body, "CN=hookd-client") {
		t.Error("the edit form does not name the saved certificate")
	}
	// Saved as shown, secrets left empty: all kept.
	u.post(loc+"/edit", form(url.Values{"auth_type": {hookd.AuthBasic}, "auth_username": {"renamed"},
		"proxy_url": {"http://egress:********@proxy.example.com:3128"}}))
	ep, err := e.store.Endpoint(t.Context(), "a", id)
	must(t, err)
	want := hookd.Egress{Auth: hookd.EndpointAuth{Type: hookd.AuthBasic, Username: "renamed", Password: "pa55-kept"},
		TLSClientCertificate: hookd.TLSClientCertificate{Certificate: strings.TrimSpace(cert), PrivateKey: strings.TrimSpace(key)},
		ProxyURL:             "http://egress:pr0xy-kept@proxy.example.com:3128"}
	if ep.Egress.Auth.Username != want.Auth.Username || ep.Egress.Auth.Password != want.Auth.Password ||
		ep.Egress.TLSClientCertificate != want.TLSClientCertificate || ep.Egress.ProxyURL != want.ProxyURL {
		t.Errorf("after an edit leaving secrets empty: %+v", ep.Egress)
	}
	u.post(loc+"/edit", form(url.Values{"tls_remove": {"1"}}))
	if ep, _ = e.store.Endpoint(t.Context(), "a", id); !ep.Egress.IsZero() {
		t.Errorf("after choosing no auth, removing the certificate and clearing the proxy: %+v", ep.Egress)
	}
}

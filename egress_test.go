package hookd

import (
	"crypto/x509"
	"slices"
	"testing"
	"time"

	"github.com/hookd/hookd/internal/testcert"
)

func problems(check func(v *Validation)) []string {
	var v Validation
	check(&v)
	var fields []string
	for _, f := range v.fields {
		fields = append(fields, f.Field)
	}
	return fields
}

func TestCheckEgress(t *testing.T) {
	ca, err := testcert.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	cert, key, _ := ca.Issue("c", now.Add(time.Hour), x509.ExtKeyUsageClientAuth)
	_, otherKey, _ := ca.Issue("o", now.Add(time.Hour), x509.ExtKeyUsageClientAuth)
	oauth2 := EndpointAuth{Type: AuthOAuth2, TokenURL: "https://auth.example.com/t", ClientID: "id", ClientSecret: "s", Scopes: []string{"a:b"}}
	with := func(f func(a *EndpointAuth)) EndpointAuth { a := oauth2; f(&a); return a }
	for _, c := range []struct {
		name         string
		u            EndpointUpdate
		allowPrivate bool
		want         []string
	}{
		{"oauth2", EndpointUpdate{Auth: &oauth2}, false, nil},
		{"basic", EndpointUpdate{Auth: &EndpointAuth{Type: AuthBasic, Username: "u", Password: ""}}, false, nil},
		{"none", EndpointUpdate{Auth: &EndpointAuth{}, TLSClientCertificate: &TLSClientCertificate{}, ProxyURL: new("")}, false, nil},
		{"private token URL", EndpointUpdate{Auth: new(with(func(a *EndpointAuth) { a.TokenURL = "https://127.0.0.1/t" }))}, false, []string{"auth.token_url"}},
		{"private token URL allowed", EndpointUpdate{Auth: new(with(func(a *EndpointAuth) { a.TokenURL = "http://127.0.0.1/t" }))}, true, nil},
		{"scope with a space", EndpointUpdate{Auth: new(with(func(a *EndpointAuth) { a.Scopes = []string{"a b"} }))}, false, []string{"auth.scopes"}},
		{"reserved param", EndpointUpdate{Auth: new(with(func(a *EndpointAuth) { a.Params = map[string]string{"scope": "x"} }))}, false, []string{"auth.params.scope"}},
		{"basic fields on oauth2", EndpointUpdate{Auth: new(with(func(a *EndpointAuth) { a.Password = "p" }))}, false, []string{"auth.password"}},
		{"control character", EndpointUpdate{Auth: &EndpointAuth{Type: AuthBasic, Username: "u\r\nX"}}, false, []string{"auth.username"}},
		{"certificate", EndpointUpdate{TLSClientCertificate: &TLSClientCertificate{cert, key}}, false, nil},
		{"mismatched key", EndpointUpdate{TLSClientCertificate: &TLSClientCertificate{cert, otherKey}}, false, []string{"tls_client_certificate.private_key"}},
		{"key as certificate", EndpointUpdate{TLSClientCertificate: &TLSClientCertificate{key, key}}, false, []string{"tls_client_certificate.certificate"}},
		{"proxy", EndpointUpdate{ProxyURL: new("https://u:p@proxy.example.com:8443")}, false, nil},
		{"private proxy", EndpointUpdate{ProxyURL: new("http://10.0.0.1:3128")}, false, []string{"proxy_url"}},
		{"private proxy allowed", EndpointUpdate{ProxyURL: new("http://10.0.0.1:3128")}, true, nil},
		{"socks proxy", EndpointUpdate{ProxyURL: new("socks5://proxy.example.com")}, true, []string{"proxy_url"}},
	} {
		got := problems(func(v *Validation) { CheckEgress(v, c.u, c.allowPrivate, now) })
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: problems on %v, want %v", c.name, got, c.want)
		}
	}
	if got := problems(func(v *Validation) {
		CheckTLSClientCertificate(v, "c", TLSClientCertificate{cert, key}, now.Add(2*time.Hour))
	}); !slices.Equal(got, []string{"c.certificate"}) {
		t.Errorf("an expired certificate: problems on %v", got)
	}
}

// TestEgressSecretsMaskedAndKept: what the API shows holds no secret, and
// sending it back keeps every stored secret.
func TestEgressSecretsMaskedAndKept(t *testing.T) {
	stored := Egress{
		Auth:                 EndpointAuth{Type: AuthOAuth2, TokenURL: "https://a.example.com/t", ClientID: "id", ClientSecret: "cs"},
		TLSClientCertificate: TLSClientCertificate{Certificate: "C", PrivateKey: "K"},
		ProxyURL:             "http://u:pw@proxy.example.com:3128",
	}
	shown := stored.Masked()
	if shown.Auth.ClientSecret != MaskedSecret || shown.TLSClientCertificate != (TLSClientCertificate{MaskedSecret, MaskedSecret}) ||
		shown.ProxyURL != "http://u:"+MaskedSecret+"@proxy.example.com:3128" {
		t.Fatalf("Masked = %+v", shown)
	}
	u := EndpointUpdate{Auth: &shown.Auth, TLSClientCertificate: &shown.TLSClientCertificate, ProxyURL: &shown.ProxyURL}
	u.KeepSecrets(stored)
	if u.Auth.ClientSecret != stored.Auth.ClientSecret || *u.TLSClientCertificate != stored.TLSClientCertificate || *u.ProxyURL != stored.ProxyURL {
		t.Errorf("kept: %+v %+v %s", *u.Auth, *u.TLSClientCertificate, *u.ProxyURL)
	}
	// Another proxy host or auth type does not inherit the secrets.
	other := "http://u:" + MaskedSecret + "@other.example.com:3128"
	basic := EndpointAuth{Type: AuthBasic, Username: "u"}
	u = EndpointUpdate{Auth: &basic, ProxyURL: &other}
	u.KeepSecrets(stored)
	if basic.Password != "" || other != "http://u:"+MaskedSecret+"@other.example.com:3128" {
		t.Errorf("secrets given to other settings: %+v %s", basic, other)
	}
}

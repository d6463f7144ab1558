package dashboard

import (
	"net/http"
	"strings"
	"time"

	"github.com/hookd/hookd"
)

// egressForm is the endpoint form's auth, client certificate and proxy
// (docs/endpoint-auth.md). Saved secrets never go back to the browser:
// their fields stay empty, and empty keeps them, as header values do.
type egressForm struct {
	AuthType                      string // "", hookd.AuthBasic or hookd.AuthOAuth2
	Username                      string
	TokenURL, ClientID, Audience  string
	Scopes                        string // space-separated
	PasswordSaved, SecretSaved    bool
	CertificateSaved              bool
	CertificateSubject, ExpiresAt string
	ProxyURL                      string // its password masked
	BasicType, OAuth2Type         string // the types' names, for the template
}

func newEgressForm(e *hookd.Endpoint) egressForm {
	g := egressForm{BasicType: hookd.AuthBasic, OAuth2Type: hookd.AuthOAuth2}
	if e == nil {
		return g
	}
	a := e.Egress.Auth
	g.AuthType, g.Username, g.TokenURL, g.ClientID, g.Audience = a.Type, a.Username, a.TokenURL, a.ClientID, a.Audience
	g.Scopes = strings.Join(a.Scopes, " ")
	g.PasswordSaved, g.SecretSaved = a.Password != "", a.ClientSecret != ""
	if c := e.Egress.TLSClientCertificate; !c.IsZero() {
		g.CertificateSaved = true
		if pair, err := c.KeyPair(); err == nil {
			g.CertificateSubject, g.ExpiresAt = pair.Leaf.Subject.String(), pair.Leaf.NotAfter.UTC().Format(time.RFC3339)
		}
	}
	g.ProxyURL = e.Egress.Masked().ProxyURL
	return g
}

// readEgress reads the form's egress fields into u, keeping saved secrets
// left empty (service.CheckEndpoint checks them). OAuth2's extra token
// parameters are set through the API only; the form keeps them.
func readEgress(r *http.Request, f *endpointForm, u *hookd.EndpointUpdate) {
	g := &f.Egress
	field := func(name string) string { return strings.TrimSpace(r.PostFormValue(name)) }
	g.AuthType, g.Username, g.TokenURL = field("auth_type"), field("auth_username"), field("auth_token_url")
	g.ClientID, g.Scopes, g.Audience, g.ProxyURL = field("auth_client_id"), field("auth_scopes"), field("auth_audience"), field("proxy_url")
	var stored hookd.Egress
	if f.Endpoint != nil {
		stored = f.Endpoint.Egress
	}
	a := hookd.EndpointAuth{Type: g.AuthType}
	switch g.AuthType {
	case hookd.AuthBasic:
		a.Username, a.Password = g.Username, r.PostFormValue("auth_password")
	case hookd.AuthOAuth2:
		a.TokenURL, a.ClientID, a.ClientSecret, a.Audience = g.TokenURL, g.ClientID, r.PostFormValue("auth_client_secret"), g.Audience
		a.Scopes = strings.Fields(g.Scopes)
		if stored.Auth.Type == hookd.AuthOAuth2 {
			a.Params = stored.Auth.Params
		}
	}
	cert := hookd.TLSClientCertificate{Certificate: strings.TrimSpace(r.PostFormValue("tls_certificate")),
		PrivateKey: strings.TrimSpace(r.PostFormValue("tls_private_key"))}
	if cert.IsZero() && r.PostFormValue("tls_remove") == "" {
		cert = hookd.TLSClientCertificate{Certificate: hookd.MaskedSecret, PrivateKey: hookd.MaskedSecret} // keep the saved one
	}
	u.Auth, u.TLSClientCertificate, u.ProxyURL = &a, &cert, &g.ProxyURL
	u.KeepSecrets(stored)
	g.PasswordSaved = g.AuthType == stored.Auth.Type && stored.Auth.Password != ""
	g.SecretSaved = g.AuthType == stored.Auth.Type && stored.Auth.ClientSecret != ""
	g.CertificateSaved = u.TLSClientCertificate.Certificate == stored.TLSClientCertificate.Certificate && !stored.TLSClientCertificate.IsZero()
}

package hookd

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Endpoint authentication types (EndpointAuth.Type).
const (
	AuthBasic  = "basic"
	AuthOAuth2 = "oauth2_client_credentials"
)

// Bounds of an endpoint's egress settings.
const (
	MaxAuthTextLength = 1024
	MaxOAuth2Scopes   = 20
	MaxOAuth2Params   = 10
	// MaxPEMLength bounds a client certificate (chain) or key; a chain of
	// a few RSA-4096 certificates is under 10 KiB.
	MaxPEMLength = 64 << 10
)

// Egress is how an endpoint's requests authenticate and leave, beside its
// custom headers (docs/endpoint-auth.md). Its secrets (password, client
// secret, private key, proxy credentials) are write-only: the API masks
// them, and the stores keep the whole of it sealed in one column.
type Egress struct {
	Auth                 EndpointAuth         `json:"auth,omitzero"`
	TLSClientCertificate TLSClientCertificate `json:"tls_client_certificate,omitzero"`
	// ProxyURL overrides the deployment's --proxy-url; "": the deployment's.
	ProxyURL string `json:"proxy_url,omitempty"`
}

// IsZero reports whether the endpoint has no egress settings of its own.
func (e Egress) IsZero() bool {
	return e.Auth.Type == "" && e.TLSClientCertificate.IsZero() && e.ProxyURL == ""
}

// EndpointAuth is HTTP Basic (Username, Password) or a bearer token from an
// OAuth2 token endpoint by the client credentials grant (RFC 6749 §4.4).
// Type "" means none.
type EndpointAuth struct {
	Type         string   `json:"type"`
	Username     string   `json:"username,omitempty"`
	Password     string   `json:"password,omitempty"`
	TokenURL     string   `json:"token_url,omitempty"`
	ClientID     string   `json:"client_id,omitempty"`
	ClientSecret string   `json:"client_secret,omitempty"`
	Scopes       []string `json:"scopes,omitempty"`
	Audience     string   `json:"audience,omitempty"`
	// Params are extra form parameters of the token request (resource, ...).
	Params map[string]string `json:"params,omitempty"`
}

// TLSClientCertificate is the PEM certificate (a chain, leaf first) and
// private key an endpoint's TLS connections present. Zero means none.
type TLSClientCertificate struct {
	Certificate string `json:"certificate"`
	PrivateKey  string `json:"private_key"`
}

// IsZero reports whether no client certificate is set.
func (c TLSClientCertificate) IsZero() bool { return c.Certificate == "" && c.PrivateKey == "" }

// KeyPair parses the certificate and key, with the leaf parsed.
func (c TLSClientCertificate) KeyPair() (tls.Certificate, error) {
	return tls.X509KeyPair([]byte(c.Certificate), []byte(c.PrivateKey))
}

// reservedOAuth2Params are the token request's own parameters.
var reservedOAuth2Params = []string{"grant_type", "scope", "audience", "client_id", "client_secret"}

// CheckEndpointAuth validates an endpoint's auth; the token URL follows the
// endpoint URL's rules (https, public unless allowPrivate).
func CheckEndpointAuth(v *Validation, field string, a EndpointAuth, allowPrivate bool) {
	text := func(name, s string, required bool) {
		f := field + "." + name
		switch {
		case s == "" && required:
			v.Add(f, "is required")
		case len(s) > MaxAuthTextLength:
			v.Add(f, "must be at most %d bytes", MaxAuthTextLength)
		case CheckText(v, f, s) && strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
			v.Add(f, "must not contain control characters")
		}
	}
	unused := func(names ...string) {
		set := map[string]bool{"username": a.Username != "", "password": a.Password != "", "token_url": a.TokenURL != "",
			"client_id": a.ClientID != "", "client_secret": a.ClientSecret != "", "scopes": len(a.Scopes) > 0,
			"audience": a.Audience != "", "params": len(a.Params) > 0}
		for _, n := range names {
			if set[n] {
				v.Add(field+"."+n, "is not a field of auth type %q", a.Type)
			}
		}
	}
	switch a.Type {
	case "":
	case AuthBasic:
		text("username", a.Username, true)
		if strings.Contains(a.Username, ":") {
			v.Add(field+".username", "must not contain ':' (RFC 7617)")
		}
		text("password", a.Password, false)
		unused("token_url", "client_id", "client_secret", "scopes", "audience", "params")
	case AuthOAuth2:
		CheckEndpointURL(v, field+".token_url", a.TokenURL, allowPrivate)
		text("client_id", a.ClientID, true)
		text("client_secret", a.ClientSecret, true)
		text("audience", a.Audience, false)
		if len(a.Scopes) > MaxOAuth2Scopes {
			v.Add(field+".scopes", "at most %d scopes", MaxOAuth2Scopes)
		}
		for i, s := range a.Scopes {
			// RFC 6749 §3.3: a scope token is printable ASCII but space, " and \.
			if s == "" || len(s) > MaxAuthTextLength || strings.ContainsFunc(s, func(r rune) bool { return r <= 0x20 || r >= 0x7f || r == '"' || r == '\\' }) {
				v.Add(field+".scopes", "scope %d must be printable ASCII without spaces, quotes or backslashes", i)
			}
		}
		if len(a.Params) > MaxOAuth2Params {
			v.Add(field+".params", "at most %d parameters", MaxOAuth2Params)
		}
		for _, k := range slices.Sorted(maps.Keys(a.Params)) {
			if slices.Contains(reservedOAuth2Params, k) {
				v.Add(field+".params."+k, "is set by hookd from the other fields")
				continue
			}
			if k == "" || len(k) > 128 || !CheckText(v, field+".params", k) {
				v.Add(field+".params", "names must be 1 to 128 bytes of text")
				continue
			}
			text("params."+k, a.Params[k], false)
		}
		unused("username", "password")
	default:
		v.Add(field+".type", "must be %q or %q", AuthBasic, AuthOAuth2)
	}
}

// CheckTLSClientCertificate validates a client certificate and key: both
// PEM, the key the certificate's, and the certificate valid at now (an
// expired one would only fail every delivery later).
func CheckTLSClientCertificate(v *Validation, field string, c TLSClientCertificate, now time.Time) {
	if c.IsZero() {
		return
	}
	ok := true
	for name, s := range map[string]string{"certificate": c.Certificate, "private_key": c.PrivateKey} {
		if len(s) > MaxPEMLength {
			v.Add(field+"."+name, "must be at most %d bytes", MaxPEMLength)
			ok = false
		} else if s == "" {
			v.Add(field+"."+name, "is required with the other")
			ok = false
		}
	}
	if !ok {
		return
	}
	block, _ := pem.Decode([]byte(c.Certificate))
	if block == nil || block.Type != "CERTIFICATE" {
		v.Add(field+".certificate", "must be a PEM certificate (-----BEGIN CERTIFICATE-----)")
		return
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		v.Add(field+".certificate", "is not a valid X.509 certificate: %v", err)
		return
	}
	if key, _ := pem.Decode([]byte(c.PrivateKey)); key == nil || !strings.HasSuffix(key.Type, "PRIVATE KEY") {
		v.Add(field+".private_key", "must be a PEM private key (-----BEGIN PRIVATE KEY-----)")
		return
	}
	if _, err := c.KeyPair(); err != nil {
		v.Add(field+".private_key", "%s", strings.TrimPrefix(err.Error(), "tls: "))
		return
	}
	switch {
	case now.After(leaf.NotAfter):
		v.Add(field+".certificate", "expired at %s", leaf.NotAfter.UTC().Format(time.RFC3339))
	case now.Before(leaf.NotBefore):
		v.Add(field+".certificate", "is not valid before %s", leaf.NotBefore.UTC().Format(time.RFC3339))
	}
}

// CheckProxyURL validates an egress proxy: http:// or https:// (the
// proxy's own connection; destinations go through it by CONNECT), a host,
// optional user:password, nothing else. An endpoint's proxy must be public
// unless allowPrivate; the deployment's --proxy-url may be private (it is
// the operator's).
func CheckProxyURL(v *Validation, field, raw string, allowPrivate bool) {
	if raw == "" {
		return
	}
	u := absoluteURL(v, field, raw, "http://proxy.example.com:3128")
	switch {
	case u == nil:
	case u.Scheme != "http" && u.Scheme != "https":
		v.Add(field, "must use http or https (an HTTP CONNECT proxy), not %q", u.Scheme)
	case u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "":
		v.Add(field, "must have no path, query or fragment")
	case !allowPrivate:
		checkPublicHost(v, field, u.Hostname())
	}
}

// CheckEgress validates the egress settings the update sets.
func CheckEgress(v *Validation, u EndpointUpdate, allowPrivate bool, now time.Time) {
	if u.Auth != nil {
		CheckEndpointAuth(v, "auth", *u.Auth, allowPrivate)
	}
	if u.TLSClientCertificate != nil {
		CheckTLSClientCertificate(v, "tls_client_certificate", *u.TLSClientCertificate, now)
	}
	if u.ProxyURL != nil {
		CheckProxyURL(v, "proxy_url", *u.ProxyURL, allowPrivate)
	}
}

// MaskedSecret stands for a write-only secret in what the API and the
// dashboard show; sent back in an update, it keeps the stored value.
const MaskedSecret = "********"

// Masked returns e with every secret replaced by MaskedSecret, the
// certificate included (it is never shown either).
func (e Egress) Masked() Egress {
	mask := func(s string) string {
		if s == "" {
			return ""
		}
		return MaskedSecret
	}
	e.Auth.Password, e.Auth.ClientSecret = mask(e.Auth.Password), mask(e.Auth.ClientSecret)
	e.TLSClientCertificate = TLSClientCertificate{Certificate: mask(e.TLSClientCertificate.Certificate), PrivateKey: mask(e.TLSClientCertificate.PrivateKey)}
	e.ProxyURL = maskURLPassword(e.ProxyURL)
	return e
}

// maskURLPassword returns raw with the password of its userinfo, if any,
// replaced by MaskedSecret.
func maskURLPassword(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, has := u.User.Password(); !has {
		return raw
	}
	// Built by hand: url.URL would escape the mask's asterisks.
	user := url.User(u.User.Username())
	u.User = user
	return strings.Replace(u.String(), user.String()+"@", user.String()+":"+MaskedSecret+"@", 1)
}

// keepURLPassword returns raw with old's password where raw, sent back from
// what maskURLPassword showed, holds the mask for the same host and user.
func keepURLPassword(raw, old string) string {
	nu, err1 := url.Parse(raw)
	ou, err2 := url.Parse(old)
	if err1 != nil || err2 != nil || nu.User == nil || ou.User == nil || nu.Host != ou.Host || nu.User.Username() != ou.User.Username() {
		return raw
	}
	if pw, _ := nu.User.Password(); pw != MaskedSecret {
		return raw
	}
	nu.User = ou.User
	return nu.String()
}

// userWithoutPassword is u with its password dropped.
func userWithoutPassword(u *url.Userinfo) *url.Userinfo {
	if u == nil || u.Username() == "" {
		return nil
	}
	return url.User(u.Username())
}

// KeepSecrets gives the egress settings u sets the stored secrets it left
// out or sent back masked, where they still apply: the same auth type, the
// same proxy host and user. A certificate sent back masked keeps the
// stored certificate and key.
func (u *EndpointUpdate) KeepSecrets(stored Egress) {
	keep := func(s *string, old string) {
		if *s == "" || *s == MaskedSecret {
			*s = old
		}
	}
	if a := u.Auth; a != nil && a.Type == stored.Auth.Type {
		keep(&a.Password, stored.Auth.Password)
		keep(&a.ClientSecret, stored.Auth.ClientSecret)
	}
	if c := u.TLSClientCertificate; c != nil && c.Certificate == MaskedSecret && c.PrivateKey == MaskedSecret {
		*c = stored.TLSClientCertificate
	}
	if p := u.ProxyURL; p != nil {
		*p = keepURLPassword(*p, stored.ProxyURL)
	}
}

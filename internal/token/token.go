// Package token makes and checks small, expiring, signed tokens: the
// dashboard's portal links and session cookies. A token is
// base64url(JSON payload) "." base64url(HMAC-SHA256 tag). The payload is
// readable by whoever holds the token (it holds no secrets); the tag makes
// it unforgeable without the key. Tokens are stateless: one stays valid
// until it expires or the key changes.
package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
)

// Errors Open returns.
var (
	ErrInvalid = errors.New("token is malformed or its signature does not match")
	ErrExpired = errors.New("token has expired")
)

// envelope carries the expiry beside the caller's claims.
type envelope struct {
	Expires int64           `json:"exp"` // unix seconds
	Claims  json.RawMessage `json:"c"`
}

var b64 = base64.RawURLEncoding

// Sign returns a token holding claims (any JSON-encodable value) that Open
// accepts until expires.
func Sign(key []byte, claims any, expires time.Time) (string, error) {
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(envelope{Expires: expires.Unix(), Claims: c})
	if err != nil {
		return "", err
	}
	body := b64.EncodeToString(payload)
	return body + "." + b64.EncodeToString(tag(key, body)), nil
}

// Open checks tok's signature and expiry and decodes its claims into out.
// It returns ErrInvalid or ErrExpired; a forged or altered token is always
// ErrInvalid, never ErrExpired. On ErrExpired out holds the claims (they are
// authentic, only stale): a page can still say where to go back to.
func Open(key []byte, tok string, now time.Time, out any) error {
	body, sig, ok := strings.Cut(tok, ".")
	if !ok || len(tok) > 4096 {
		return ErrInvalid
	}
	got, err := b64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, tag(key, body)) {
		return ErrInvalid
	}
	payload, err := b64.DecodeString(body)
	if err != nil {
		return ErrInvalid
	}
	var env envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return ErrInvalid
	}
	if err := json.Unmarshal(env.Claims, out); err != nil {
		return ErrInvalid
	}
	if now.Unix() >= env.Expires {
		return ErrExpired
	}
	return nil
}

func tag(key []byte, body string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(body))
	return m.Sum(nil)
}

// Portal is what a portal link grants: the dashboard of one tenant, in one
// role (hookd.RoleAdmin or hookd.RoleViewer), shown as the operator's app
// asked (its name, where "back" goes, features turned off).
type Portal struct {
	Tenant      string   `json:"t"`
	Role        string   `json:"r"`
	ReturnURL   string   `json:"u,omitempty"`  // an absolute http(s) URL: "back" and sign-out
	DisplayName string   `json:"n,omitempty"`  // shown instead of the tenant's name
	ReadOnly    []string `json:"ro,omitempty"` // Features hidden and refused
}

// Features a portal link can turn off (its read_only list).
const (
	SecretReveal   = "secret_reveal"
	EndpointDelete = "endpoint_delete"
	EndpointCreate = "endpoint_create"
	TestEvent      = "test_event"
)

// Features lists every feature a link can turn off.
var Features = []string{SecretReveal, EndpointDelete, EndpointCreate, TestEvent}

// Allows reports whether the link leaves feature on.
func (p Portal) Allows(feature string) bool { return !slices.Contains(p.ReadOnly, feature) }

// PortalPath is where a portal link points, with the token as ?token=.
const PortalPath = "/dashboard/portal"

// Key labels: each purpose signs with its own key, derived from the
// encryption key (secretbox.Box.DeriveKey).
const (
	PortalKeyLabel  = "hookd portal link v1"
	SessionKeyLabel = "hookd dashboard session v1"
)

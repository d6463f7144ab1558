package signature

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Scheme names a way of signing a delivery. Its values are the names used in
// configuration and the API.
type Scheme string

const (
	// Standard is the Standard Webhooks specification (webhook-id,
	// webhook-timestamp, webhook-signature: "v1,<base64>" over
	// "<id>.<timestamp>.<body>", keyed with the base64-decoded part of the
	// whsec_ secret). It is the default because any official Standard
	// Webhooks or Svix library verifies it unchanged.
	Standard Scheme = "standard"
	// Timestamped is Stripe's style ("<Header>: t=<unix>,v1=<hex>" over
	// "<t>.<body>", keyed with the whole secret string), for receivers that
	// already have such a verifier, e.g. stripe-go's webhook package.
	Timestamped Scheme = "timestamped"
	// Body is a bare hex HMAC of the body, keyed with the whole secret
	// string. It has no timestamp, so a captured request can be replayed
	// forever; use it only for receivers that can do nothing else.
	Body Scheme = "body"
)

const (
	// DefaultTolerance is how far a signed timestamp may be from the
	// receiver's clock, either way; it matches the official Standard
	// Webhooks libraries and Stripe's 300 s.
	DefaultTolerance = 5 * time.Minute
	// DefaultHeader carries the signature for Timestamped and Body when no
	// header name is configured (the spec's default prefix is X-Hookd).
	DefaultHeader = "X-Hookd-Signature"
	// DefaultLabel is the Timestamped entry label stripe-go looks for.
	DefaultLabel = "v1"
	// SecretPrefix starts every hookd secret, as the Standard Webhooks
	// specification asks, so secrets are recognisable in leaks and configs.
	SecretPrefix = "whsec_"
)

// Canonical names of the Standard Webhooks headers, so that Get and direct
// map assignment need no per-call canonicalisation.
const (
	headerID        = "Webhook-Id"
	headerTimestamp = "Webhook-Timestamp"
	headerSignature = "Webhook-Signature"
)

// Sentinel errors, for errors.Is; returned errors wrap them with detail.
var (
	// ErrMissingHeader: a header the scheme needs is absent or empty.
	ErrMissingHeader = errors.New("signature: missing header")
	// ErrBadFormat: a header, timestamp, secret or label is malformed.
	ErrBadFormat = errors.New("signature: bad format")
	// ErrExpired: the signed timestamp is outside the tolerance, either way.
	ErrExpired = errors.New("signature: timestamp outside tolerance")
	// ErrNoMatch: the request is well formed but no signature matches any
	// secret (wrong secret, or the body was changed).
	ErrNoMatch = errors.New("signature: no matching signature")
	// ErrUnknownScheme: the Scheme is not one of the names above.
	ErrUnknownScheme = errors.New("signature: unknown scheme")
	// ErrNoSecret: Sign or Verify was called without a secret.
	ErrNoSecret = errors.New("signature: no secret given")
)

// ParseScheme reads a scheme name from configuration or an API request.
// Case and surrounding spaces are forgiven; the empty string is not, so a
// missing setting is caught rather than silently defaulted.
func ParseScheme(s string) (Scheme, error) {
	switch sc := Scheme(strings.ToLower(strings.TrimSpace(s))); sc {
	case Standard, Timestamped, Body:
		return sc, nil
	}
	return "", unknownScheme(Scheme(s))
}

func unknownScheme(s Scheme) error {
	return fmt.Errorf("%w %q: valid schemes are %q, %q and %q", ErrUnknownScheme, string(s), Standard, Timestamped, Body)
}

// NewSecret returns a fresh secret valid for every scheme. 32 random bytes
// is the length Svix and the Standard Webhooks tooling generate.
func NewSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("signature: generating secret: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b[:]), nil
}

// ValidateSecret checks a secret supplied by an operator before it is stored,
// so a bad one is refused up front instead of failing every delivery. The
// 24..64-byte range is the Standard Webhooks specification's.
func ValidateSecret(secret string) error {
	sc := getScratch()
	defer putScratch(sc)
	key, err := sc.standardKey(secret)
	if err != nil {
		return err
	}
	if n := len(key); n < 24 || n > 64 {
		return fmt.Errorf("%w: secret decodes to %d bytes, want 24 to 64", ErrBadFormat, n)
	}
	return nil
}

// validLabel reports whether l can be written into and read back from a
// Timestamped header: "t" would be taken for the timestamp, and ',' '=' or
// white space would split the entry.
func validLabel(l string) error {
	if l == "" || l == "t" {
		return fmt.Errorf("%w: label %q is reserved", ErrBadFormat, l)
	}
	for i := 0; i < len(l); i++ {
		if c := l[i]; c <= ' ' || c == ',' || c == '=' || c >= 0x7f {
			return fmt.Errorf("%w: label %q contains %q", ErrBadFormat, l, c)
		}
	}
	return nil
}

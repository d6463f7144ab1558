package token

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSignOpen(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Unix(1_800_000_000, 0)
	tok, err := Sign(key, Portal{Tenant: "acme", Role: "viewer"}, now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var p Portal
	if err := Open(key, tok, now, &p); err != nil {
		t.Fatalf("Open: %v", err)
	}
	if !reflect.DeepEqual(p, Portal{Tenant: "acme", Role: "viewer"}) {
		t.Errorf("claims = %+v", p)
	}

	var stale Portal
	if err := Open(key, tok, now.Add(time.Minute), &stale); !errors.Is(err, ErrExpired) || stale.Tenant != "acme" {
		t.Errorf("at expiry: %v with %+v, want ErrExpired with the claims", err, stale)
	}
	if err := Open([]byte("another key, just as long as it.."), tok, now, &p); !errors.Is(err, ErrInvalid) {
		t.Errorf("other key: %v, want ErrInvalid", err)
	}

	// Changing any claim (here the tenant) breaks the signature.
	body, sig, _ := strings.Cut(tok, ".")
	forged, _ := Sign([]byte("attacker"), Portal{Tenant: "other", Role: "admin"}, now.Add(time.Hour))
	fbody, _, _ := strings.Cut(forged, ".")
	for name, bad := range map[string]string{
		"forged body":  fbody + "." + sig,
		"no signature": body,
		"empty":        "",
		"garbage":      "a.b",
		"huge":         strings.Repeat("a", 5000) + "." + sig,
	} {
		if err := Open(key, bad, now, &p); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

package service

import (
	"errors"
	"testing"

	"github.com/hookd/hookd"
)

// TestCheckEndpoint: each field the update holds is checked under the native
// API's name, absent ones are not, and the scheme's spelling is normalised.
func TestCheckEndpoint(t *testing.T) {
	rules := EndpointRules{ReservedHeaderPrefixes: []string{"webhook-"}, MaxInFlight: 5}
	str := func(s string) *string { return &s }
	num := func(n int) *int { return &n }
	for _, c := range []struct {
		name  string
		u     hookd.EndpointUpdate
		field string // "" when valid
	}{
		{"nothing", hookd.EndpointUpdate{}, ""},
		{"name", hookd.EndpointUpdate{Name: str(" ")}, "name"},
		{"description NUL", hookd.EndpointUpdate{Description: str("a\x00")}, "description"},
		{"url private", hookd.EndpointUpdate{URL: str("https://127.0.0.1/x")}, "url"},
		{"url empty", hookd.EndpointUpdate{URL: str("")}, "url"},
		{"uid", hookd.EndpointUpdate{UID: str("a b")}, "uid"},
		{"event types", hookd.EndpointUpdate{EventTypes: &[]string{"*", "a"}}, "event_types"},
		{"channels", hookd.EndpointUpdate{Channels: &[]string{"a", "a"}}, "channels"},
		{"filter", hookd.EndpointUpdate{Filter: str("event.type ==")}, "filter"},
		{"headers", hookd.EndpointUpdate{Headers: &map[string]string{"Webhook-Id": "x"}}, "headers.Webhook-Id"},
		{"max in flight", hookd.EndpointUpdate{MaxInFlight: num(6)}, "max_in_flight"},
		{"rate limit", hookd.EndpointUpdate{RateLimit: num(-1)}, "rate_limit_per_second"},
		{"scheme", hookd.EndpointUpdate{SignatureScheme: str("md5")}, "signature_scheme"},
		{"scheme default", hookd.EndpointUpdate{SignatureScheme: str("")}, ""},
		{"all valid", hookd.EndpointUpdate{Name: str("n"), URL: str("https://example.com/h"), UID: str("u-1"),
			EventTypes: &[]string{"a.b"}, Channels: &[]string{"c"}, Filter: str("true"),
			Headers: &map[string]string{"X-Key": "v"}, MaxInFlight: num(5), RateLimit: num(10)}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var v hookd.Validation
			CheckEndpoint(&v, &c.u, rules)
			err := v.Err()
			if c.field == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			var e *hookd.Error
			if !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != c.field {
				t.Fatalf("want one problem on %q, got %v", c.field, err)
			}
		})
	}

	u := hookd.EndpointUpdate{SignatureScheme: str(" Timestamped ")}
	var v hookd.Validation
	if CheckEndpoint(&v, &u, rules); v.Err() != nil || *u.SignatureScheme != "timestamped" {
		t.Fatalf("scheme %q, %v; want timestamped", *u.SignatureScheme, v.Err())
	}
}

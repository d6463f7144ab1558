package service

import (
	"math"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

// TestPortalLinkTTL: absent is the default; the bounds hold, and a number of
// seconds too big to convert is refused, not wrapped into range.
func TestPortalLinkTTL(t *testing.T) {
	secs := func(n int64) *int64 { return &n }
	for _, c := range []struct {
		in   *int64
		want time.Duration
		ok   bool
	}{
		{nil, DefaultPortalLinkTTL, true},
		{secs(60), time.Minute, true},
		{secs(86400), 24 * time.Hour, true},
		{secs(59), 0, false},
		{secs(86401), 0, false},
		{secs(math.MaxInt64/int64(time.Second) + 61), 0, false},
	} {
		var v hookd.Validation
		got := PortalLinkTTL(&v, "expires_in", c.in)
		if got != c.want || (v.Err() == nil) != c.ok {
			t.Errorf("PortalLinkTTL(%v) = %v, %v; want %v, ok %v", c.in, got, v.Err(), c.want, c.ok)
		}
	}
}

// Package egress dials brokers under the private-target rule: unless
// allowed, a loopback, private, link-local, multicast or unspecified address
// is refused, checked on the address actually dialed (after DNS). Brokers
// mostly live on private networks, so the operator names the hosts that may
// be reached anyway (--allow-destination-hosts).
package egress

import (
	"context"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"code.dny.dev/ssrf"
)

// Dialer opens TCP connections to destinations.
type Dialer struct {
	guarded, open net.Dialer
	allowHosts    []string
}

// New returns a dialer; allowPrivate lifts the rule for every host,
// allowHosts for those hosts only (names as in the destination's URL,
// compared without case).
func New(allowPrivate bool, allowHosts []string) *Dialer {
	d := &Dialer{
		guarded: net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second},
		open:    net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second},
	}
	if !allowPrivate {
		d.guarded.Control = ssrf.New(ssrf.WithAnyPort()).Safe
	}
	for _, h := range allowHosts {
		d.allowHosts = append(d.allowHosts, strings.ToLower(h))
	}
	return d
}

// DialContext dials addr (host:port), guarded unless its host is allowed.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err == nil && slices.Contains(d.allowHosts, strings.ToLower(host)) {
		return d.open.DialContext(ctx, network, addr)
	}
	return d.guarded.DialContext(ctx, network, addr)
}

// Redacted is a destination URL fit for error texts: its password hidden.
func Redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the destination"
	}
	return u.Redacted()
}

// Lock serialises opening one destination's connection. Lock gives up when
// ctx ends, so attempts queued behind a dial to a dead broker fail within
// their own timeout instead of one after another's.
type Lock chan struct{}

// NewLock returns an unlocked Lock.
func NewLock() Lock { return make(Lock, 1) }

// Lock takes the lock, or returns ctx's error once it ends.
func (l Lock) Lock(ctx context.Context) error {
	select {
	case l <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Unlock releases the lock.
func (l Lock) Unlock() { <-l }

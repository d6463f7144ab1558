package dispatch

import "net/http"

// maxResponseHeaderBytes bounds a response's status line and headers (Go's
// default is 10 MiB): a hundred concurrent receivers sending that much held
// over a gigabyte. Beyond it the attempt fails (see describe).
const maxResponseHeaderBytes = 64 << 10

// NewClient returns a client like the one attempts share (without a proxy;
// see clients for the per-endpoint ones): keep-alive
// connections reused across deliveries, redirects never followed, and, unless
// allowPrivate, a dialer that refuses loopback, private, link-local,
// multicast and unspecified addresses. The check runs on the address actually
// dialed, after DNS, so a hostname that resolves (or re-resolves) to an
// internal address cannot get through.
func NewClient(allowPrivate bool) *http.Client {
	return newHTTPClient(allowPrivate, route{}, nil)
}

package dispatch

import (
	"net"
	"net/http"
	"time"

	"code.dny.dev/ssrf"
)

// maxResponseHeaderBytes bounds a response's status line and headers (Go's
// default is 10 MiB): a hundred concurrent receivers sending that much held
// over a gigabyte. Beyond it the attempt fails (see describe).
const maxResponseHeaderBytes = 64 << 10

// NewClient returns the one HTTP client every attempt shares: keep-alive
// connections reused across deliveries, redirects never followed, and, unless
// allowPrivate, a dialer that refuses loopback, private, link-local,
// multicast and unspecified addresses. The check runs on the address actually
// dialed, after DNS, so a hostname that resolves (or re-resolves) to an
// internal address cannot get through.
func NewClient(allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.Control = ssrf.New(ssrf.WithAnyPort()).Safe
	}
	transport := &http.Transport{
		Proxy:                  nil, // a proxy would dial on our behalf and bypass the address check
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           1024,
		MaxIdleConnsPerHost:    256,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ExpectContinueTimeout:  time.Second,
		ResponseHeaderTimeout:  0, // bounded by each attempt's own timeout
		DisableCompression:     true,
		MaxResponseHeaderBytes: maxResponseHeaderBytes,
	}
	return &http.Client{
		Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a 3xx is a failed attempt
		},
	}
}

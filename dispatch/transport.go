package dispatch

import (
	"container/list"
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"time"

	"code.dny.dev/ssrf"

	"github.com/hookd/hookd"
)

// maxEgressClients bounds the per-endpoint clients kept (one per client
// certificate and proxy); the least recently used is closed beyond it.
const maxEgressClients = 256

// route is how a client leaves: through a proxy or not, presenting a
// client certificate or not.
type route struct {
	proxy *url.URL
	// operatorProxy marks the deployment's --proxy-url, which may be
	// private; an endpoint's own proxy is dialed under the private-target rule.
	operatorProxy bool
	cert          *tls.Certificate
}

// guard is the private-target rule on dialed and resolved addresses.
var guard = ssrf.New(ssrf.WithAnyPort())

// newHTTPClient returns a client that never follows redirects (a 3xx is a
// failed attempt) over a transport for r.
func newHTTPClient(allowPrivate bool, r route, protocols map[string]http.RoundTripper) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate && !(r.proxy != nil && r.operatorProxy) {
		// With a proxy this dialer reaches only the proxy; the
		// destination is checked before the CONNECT (checkDestination).
		dialer.Control = guard.Safe
	}
	transport := &http.Transport{
		Proxy:                  nil, // only the route's proxy, never the environment's
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
	if r.proxy != nil {
		proxy := r.proxy
		transport.Proxy = func(req *http.Request) (*url.URL, error) {
			if !allowPrivate {
				if err := checkDestination(req); err != nil {
					return nil, err
				}
			}
			return proxy, nil
		}
	}
	if r.cert != nil {
		transport.TLSClientConfig = &tls.Config{Certificates: []tls.Certificate{*r.cert}}
	}
	for scheme, rt := range protocols {
		transport.RegisterProtocol(scheme, rt)
	}
	return &http.Client{
		Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// checkDestination applies the private-target rule to a request about to
// go through a proxy, before the CONNECT: the dialer sees only the proxy's
// address. The proxy resolves the name again, so it should enforce the
// rule too (docs/endpoint-auth.md).
func checkDestination(req *http.Request) error {
	host := req.URL.Hostname()
	addrs := []netip.Addr{}
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = append(addrs, a)
	} else {
		found, err := net.DefaultResolver.LookupNetIP(req.Context(), "ip", host)
		if err != nil {
			return err
		}
		addrs = found
	}
	for _, a := range addrs {
		if err := guard.SafeAddr(a.Unmap()); err != nil {
			return err
		}
	}
	return nil
}

// clients gives each job the client its endpoint's egress needs: the
// shared one, or one per (client certificate, proxy), kept in a bounded
// LRU cache whose evicted clients close their idle connections.
type clients struct {
	allowPrivate bool
	protocols    map[string]http.RoundTripper
	shared       *http.Client
	deployment   *url.URL // --proxy-url; nil: none

	mu    sync.Mutex
	order *list.List // of *egressClient, most recently used first
	byKey map[[sha256.Size]byte]*list.Element
}

type egressClient struct {
	key    [sha256.Size]byte
	client *http.Client
}

func newClients(allowPrivate bool, proxy *url.URL, protocols map[string]http.RoundTripper) *clients {
	return &clients{allowPrivate: allowPrivate, protocols: protocols, deployment: proxy,
		shared: newHTTPClient(allowPrivate, route{proxy: proxy, operatorProxy: true}, protocols),
		order:  list.New(), byKey: map[[sha256.Size]byte]*list.Element{}}
}

// forEgress returns the client for an endpoint's egress settings.
func (c *clients) forEgress(e hookd.Egress) (*http.Client, error) {
	cert := e.TLSClientCertificate
	if cert.IsZero() && e.ProxyURL == "" {
		return c.shared, nil
	}
	key := sha256.Sum256([]byte(cert.Certificate + "\x00" + cert.PrivateKey + "\x00" + e.ProxyURL))
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[key]; ok {
		c.order.MoveToFront(el)
		return el.Value.(*egressClient).client, nil
	}
	r := route{proxy: c.deployment, operatorProxy: true}
	if e.ProxyURL != "" {
		u, err := url.Parse(e.ProxyURL)
		if err != nil {
			return nil, fmt.Errorf("invalid proxy URL: %w", err)
		}
		r = route{proxy: u}
	}
	if !cert.IsZero() {
		pair, err := cert.KeyPair()
		if err != nil {
			return nil, fmt.Errorf("TLS client certificate: %w", err)
		}
		r.cert = &pair
	}
	client := newHTTPClient(c.allowPrivate, r, c.protocols)
	c.byKey[key] = c.order.PushFront(&egressClient{key: key, client: client})
	if c.order.Len() > maxEgressClients {
		old := c.order.Remove(c.order.Back()).(*egressClient)
		delete(c.byKey, old.key)
		// In-flight requests finish; only idle connections close.
		old.client.CloseIdleConnections()
	}
	return client, nil
}

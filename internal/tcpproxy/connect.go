package tcpproxy

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Connect is the tests' HTTP CONNECT proxy: it records each CONNECT's
// target and tunnels every one to backend (so an endpoint may name any
// address), or with backend "" to the target itself; with a user set it
// demands those credentials (Proxy-Authorization) and answers 407 otherwise.
type Connect struct {
	*httptest.Server
	mu      sync.Mutex
	targets []string
}

// NewConnect starts a CONNECT proxy to backend until the test ends.
func NewConnect(t testing.TB, backend, user, pass string) *Connect {
	p := &Connect{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		p.mu.Lock()
		p.targets = append(p.targets, r.Host)
		p.mu.Unlock()
		if user != "" {
			probe := &http.Request{Header: http.Header{"Authorization": r.Header["Proxy-Authorization"]}}
			if u, pw, ok := probe.BasicAuth(); !ok || u != user || pw != pass {
				w.WriteHeader(http.StatusProxyAuthRequired)
				return
			}
		}
		to := backend
		if to == "" {
			to = r.Host
		}
		up, err := net.Dial("tcp", to)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			up.Close()
			return
		}
		fmt.Fprint(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
		go func() { _, _ = io.Copy(up, buf); up.Close() }()
		go func() { _, _ = io.Copy(conn, up); conn.Close() }()
	}))
	t.Cleanup(p.Close)
	return p
}

// Seen returns the targets of the CONNECTs so far.
func (p *Connect) Seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.targets...)
}

package api

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/hookd/hookd"
)

// MaxHeaderBytes bounds a request's line (method, URL with its query
// string, protocol) and headers together: http.Server.MaxHeaderBytes. Long
// inputs belong in a request body, whose limits are per route.
const MaxHeaderBytes = 64 << 10

// ProblemListener makes the answers Go's HTTP server writes by itself,
// before any handler runs, problem+json like every other error: 431 for a
// request line and headers over MaxHeaderBytes, 400 for a request that is
// not HTTP/1.1, 501 for an unknown transfer coding.
//
// A middleware cannot do it: the server refuses such requests while reading
// them, so no handler ever sees them (a middleware's own limit below
// MaxHeaderBytes would still leave everything above it to the server). The
// server writes these answers straight to the connection in one Write, with
// its fixed text/plain header block, so the wrapped connection recognises
// and replaces exactly them. It sees plain HTTP because hookd serves plain
// HTTP itself (TLS, if any, is terminated in front of it).
func ProblemListener(ln net.Listener) net.Listener { return problemListener{ln} }

type problemListener struct{ net.Listener }

func (l problemListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &problemConn{Conn: c}, nil
}

type problemConn struct{ net.Conn }

// The server's own answers: "HTTP/1.1 " + status [": " + reason] +
// cannedHeaders + text. Its ordinary responses cannot look so: they carry a
// Date and write their headers sorted, so Connection before Content-Type.
const (
	cannedStart   = "HTTP/1.1 "
	cannedHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
)

func (c *problemConn) Write(p []byte) (int, error) {
	if bytes.HasPrefix(p, []byte(cannedStart)) {
		head := p[:min(len(p), 512)]
		if i := bytes.Index(head, []byte(cannedHeaders)); i > 0 {
			if answer := cannedProblem(string(p[len(cannedStart):i])); answer != nil {
				if _, err := c.Conn.Write(answer); err != nil {
					return 0, err
				}
				return len(p), nil
			}
		}
	}
	return c.Conn.Write(p)
}

// CloseWrite keeps the server's half-close after a refusal (it lets the
// client read the answer before the connection closes).
func (c *problemConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// cannedProblem turns a status line such as "431 Request Header Fields Too
// Large" or "400 Bad Request: missing required Host header" into a whole
// problem+json answer; nil when it is not one.
func cannedProblem(status string) []byte {
	if len(status) < 5 || status[3] != ' ' {
		return nil
	}
	code, err := strconv.Atoi(status[:3])
	if err != nil || code < 400 {
		return nil
	}
	title, reason, _ := strings.Cut(status[4:], ": ")
	p := problem{Type: "about:blank", Title: title, Status: code, Code: hookd.EMALFORMED, Detail: reason}
	switch {
	case code == http.StatusRequestHeaderFieldsTooLarge:
		p.Code = hookd.ETOOLARGE
		p.Detail = fmt.Sprintf("the request line and headers are larger than %d KiB; send long inputs in a request body", MaxHeaderBytes>>10)
	case code == http.StatusNotImplemented:
		p.Detail = "unsupported transfer encoding"
	case reason == "":
		p.Detail = "the request is not valid HTTP/1.1"
	}
	var body bytes.Buffer
	if err := encoder(&body).Encode(p); err != nil {
		return nil
	}
	return fmt.Appendf(nil, "HTTP/1.1 %d %s\r\nContent-Type: application/problem+json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		code, title, body.Len(), body.Bytes())
}

// Package listen carries deliveries to developers' machines without a
// public URL: `hookd listen` holds an HTTP stream open to the server, and a
// temporary endpoint whose URL is hookd-listen://<session> sends its
// deliveries down that stream instead of over the network. The Hub is an
// http.RoundTripper for that scheme, so the delivery engine sends, times,
// judges and records these requests like any other.
package listen

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Scheme is the URL scheme of listen endpoints.
const Scheme = "hookd-listen"

// URL returns the endpoint URL of a session.
func URL(session string) string { return Scheme + "://" + session }

// Request is one delivery as the CLI receives it on the stream.
type Request struct {
	Session string `json:"session"`
	Token   string `json:"token"` // answers the request in a Result
	// Delivery is the delivery's id (from the hub's delivery header), so the
	// CLI can have it replayed.
	Delivery string            `json:"delivery,omitempty"`
	Method   string            `json:"method"`
	Headers  map[string]string `json:"headers"`
	Body     string            `json:"body"`
}

// Result is the local receiver's answer, reported by the CLI.
type Result struct {
	Token      string `json:"token"`
	StatusCode int    `json:"status_code"`
	Body       string `json:"body"`
	Error      string `json:"error"` // the local request failed: refused, timeout...
}

// ErrNoSession is returned for requests to a session nobody is connected to.
var ErrNoSession = errors.New("no hookd listen session is connected for this endpoint")

// Hub routes requests to connected sessions.
type Hub struct {
	mu       sync.Mutex
	sessions map[string]*Session
	stopping chan struct{} // closed by Shutdown
	stopOnce sync.Once
	// deliveryHeader names the header the dispatcher sends the delivery id in.
	deliveryHeader string
}

// NewHub returns an empty hub; deliveryHeader is the dispatcher's name for
// the delivery id header (dispatch.HeaderNames.Delivery).
func NewHub(deliveryHeader string) *Hub {
	return &Hub{sessions: map[string]*Session{}, stopping: make(chan struct{}), deliveryHeader: deliveryHeader}
}

// Shutdown tells every session's stream to end: they never finish on their
// own, so http.Server.Shutdown would otherwise wait its whole timeout for
// them (register it with RegisterOnShutdown). The CLIs reconnect to the
// next server. Safe to call more than once.
func (h *Hub) Shutdown() { h.stopOnce.Do(func() { close(h.stopping) }) }

// Stopping is closed once Shutdown is called.
func (h *Hub) Stopping() <-chan struct{} { return h.stopping }

// Session is one connected CLI.
type Session struct {
	ID       string
	TenantID string
	requests chan *Request
	mu       sync.Mutex
	waiting  map[string]chan Result
	done     chan struct{}
}

// Open registers a new session for a tenant.
func (h *Hub) Open(tenantID string) *Session {
	s := &Session{ID: token(), TenantID: tenantID, requests: make(chan *Request), waiting: map[string]chan Result{}, done: make(chan struct{})}
	h.mu.Lock()
	h.sessions[s.ID] = s
	h.mu.Unlock()
	return s
}

// Close ends a session; requests waiting on it fail.
func (h *Hub) Close(s *Session) {
	h.mu.Lock()
	delete(h.sessions, s.ID)
	h.mu.Unlock()
	close(s.done)
}

func (h *Hub) session(id string) *Session {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sessions[id]
}

// Requests is the stream of requests for the session's CLI.
func (s *Session) Requests() <-chan *Request { return s.requests }

// Complete delivers the CLI's answer to the waiting request.
func (h *Hub) Complete(tenantID, sessionID string, r Result) error {
	s := h.session(sessionID)
	if s == nil || s.TenantID != tenantID {
		return ErrNoSession
	}
	s.mu.Lock()
	ch, ok := s.waiting[r.Token]
	delete(s.waiting, r.Token)
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("no request is waiting for token %q (answered already, or timed out)", r.Token)
	}
	ch <- r
	return nil
}

// RoundTrip sends req to its session and waits for the answer, or for the
// request's context (the endpoint's timeout) to end.
func (h *Hub) RoundTrip(req *http.Request) (*http.Response, error) {
	s := h.session(req.URL.Host)
	if s == nil {
		return nil, ErrNoSession
	}
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
	}
	lr := &Request{Session: s.ID, Token: token(), Delivery: req.Header.Get(h.deliveryHeader), Method: req.Method,
		Headers: make(map[string]string, len(req.Header)), Body: string(body)}
	for k, v := range req.Header {
		lr.Headers[k] = strings.Join(v, ", ")
	}
	answer := make(chan Result, 1)
	s.mu.Lock()
	s.waiting[lr.Token] = answer
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.waiting, lr.Token)
		s.mu.Unlock()
	}()

	select {
	case s.requests <- lr:
	case <-s.done:
		return nil, ErrNoSession
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	select {
	case r := <-answer:
		if r.Error != "" {
			return nil, fmt.Errorf("on the developer's machine: %s", r.Error)
		}
		return &http.Response{
			StatusCode: r.StatusCode, Status: fmt.Sprintf("%d %s", r.StatusCode, http.StatusText(r.StatusCode)),
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{},
			Body: io.NopCloser(strings.NewReader(r.Body)), ContentLength: int64(len(r.Body)), Request: req,
		}, nil
	case <-s.done:
		return nil, ErrNoSession
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
}

func token() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

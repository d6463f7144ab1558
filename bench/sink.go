package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookd/hookd/signature"
)

// Sink is the built-in webhook receiver. Every endpoint the bench creates
// posts to its own path on the sink; the sink verifies each request's
// signature with that endpoint's secret (signature.Verifier, as a receiver
// would), de-duplicates on webhook-id per endpoint, and measures
// publish-to-receipt latency from the send time the payload carries.
type Sink struct {
	ln     net.Listener
	srv    *http.Server
	url    string
	origin time.Time // the clock of "sent" stamps: nanoseconds since origin

	mu      sync.RWMutex
	targets map[string]*target
	next    atomic.Int64
	bufs    sync.Pool
}

// target is one endpoint's path on the sink.
type target struct {
	secret string
	group  *Group
	mu     sync.Mutex
	seen   map[string]struct{}
}

// Group gathers the receipts of a set of endpoints: one measured phase.
type Group struct {
	mu         sync.Mutex
	unique     int
	duplicates int
	bad        int
	bytes      int64
	first      time.Time
	last       time.Time
	latencies  []time.Duration // publish to receipt, of unique deliveries
	changed    chan struct{}   // closed and replaced on every receipt
	firstError string
}

// NewSink listens on addr (host:port; port 0 picks one) and serves.
func NewSink(addr string) (*Sink, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sink: listen on %s: %w", addr, err)
	}
	s := &Sink{ln: ln, url: "http://" + ln.Addr().String(), origin: time.Now(), targets: map[string]*target{}}
	s.bufs.New = func() any { return new(bytes.Buffer) }
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: nullLogger()}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// URL is the sink's base URL.
func (s *Sink) URL() string { return s.url }

// Close stops the sink.
func (s *Sink) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		return s.srv.Close()
	}
	return nil
}

// Stamp is the time to carry in a payload as "sent": nanoseconds on the
// sink's monotonic clock.
func (s *Sink) Stamp() int64 { return int64(time.Since(s.origin)) }

// NewGroup starts a set of endpoints whose receipts are counted together.
func (s *Sink) NewGroup() *Group { return &Group{changed: make(chan struct{})} }

// Add adds an endpoint to group and returns the URL it must post to, and
// the function that sets its signing secret (known once the endpoint is
// created with that URL). Requests before the secret is set fail to verify.
func (s *Sink) Add(g *Group) (url string, setSecret func(string)) {
	path := "/t/" + strconv.FormatInt(s.next.Add(1), 10)
	t := &target{group: g, seen: map[string]struct{}{}}
	s.mu.Lock()
	s.targets[path] = t
	s.mu.Unlock()
	return s.url + path, func(secret string) {
		s.mu.Lock()
		t.secret = secret
		s.mu.Unlock()
	}
}

// Regroup moves every endpoint of group from to group to, so that the
// same endpoints' next phase is counted apart (the soak's rounds).
func (s *Sink) Regroup(from, to *Group) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.targets {
		if t.group == from {
			t.group = to
		}
	}
}

var verifier = signature.Verifier{Scheme: signature.Standard}

func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	s.mu.RLock()
	t := s.targets[r.URL.Path]
	secret, g := "", (*Group)(nil)
	if t != nil {
		secret, g = t.secret, t.group
	}
	s.mu.RUnlock()
	if t == nil || r.Method != http.MethodPost {
		http.Error(w, "no such bench endpoint", http.StatusNotFound)
		return
	}
	buf := s.bufs.Get().(*bytes.Buffer)
	defer s.bufs.Put(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(io.LimitReader(r.Body, 2<<20)); err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	body := buf.Bytes()
	if err := verifier.Verify(r.Header, body, secret); err != nil {
		g.receipt(now, 0, len(body), false, false, err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id := r.Header.Get("Webhook-Id")
	t.mu.Lock()
	_, dup := t.seen[id]
	if !dup {
		t.seen[id] = struct{}{}
	}
	t.mu.Unlock()
	var latency time.Duration
	if sent, ok := sentStamp(body); ok {
		latency = now.Sub(s.origin) - time.Duration(sent)
	}
	g.receipt(now, latency, len(body), dup, true, nil)
	w.WriteHeader(http.StatusNoContent)
}

// sentStamp finds "sent":<n> in a payload without decoding it all.
func sentStamp(body []byte) (int64, bool) {
	i := bytes.Index(body, []byte(`"sent":`))
	if i < 0 {
		return 0, false
	}
	var n int64
	digits := 0
	for _, c := range body[i+len(`"sent":`):] {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int64(c-'0')
		digits++
	}
	return n, digits > 0
}

func (g *Group) receipt(at time.Time, latency time.Duration, size int, dup, ok bool, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case !ok:
		g.bad++
		if g.firstError == "" {
			g.firstError = err.Error()
		}
	case dup:
		g.duplicates++
	default:
		g.unique++
		g.bytes += int64(size)
		if g.first.IsZero() {
			g.first = at
		}
		g.last = at
		g.latencies = append(g.latencies, latency)
	}
	close(g.changed)
	g.changed = make(chan struct{})
}

// Counts is a snapshot of a group.
type Counts struct {
	Unique, Duplicates, Bad int
	First, Last             time.Time
	MeanBytes               int
	FirstError              string
}

// Counts returns the group's figures so far.
func (g *Group) Counts() Counts {
	g.mu.Lock()
	defer g.mu.Unlock()
	c := Counts{Unique: g.unique, Duplicates: g.duplicates, Bad: g.bad, First: g.first, Last: g.last, FirstError: g.firstError}
	if g.unique > 0 {
		c.MeanBytes = int(g.bytes / int64(g.unique))
	}
	return c
}

// Latencies returns a copy of the publish-to-receipt latencies so far.
func (g *Group) Latencies() []time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]time.Duration(nil), g.latencies...)
}

// errStalled reports that receipts stopped coming before all were in.
var errStalled = errors.New("no delivery arrived for the drain timeout")

// Wait returns once the group has at least n unique receipts, or when none
// arrived for idle (errStalled), or when ctx ends.
func (g *Group) Wait(ctx context.Context, n int, idle time.Duration) error {
	timer := time.NewTimer(idle)
	defer timer.Stop()
	for {
		g.mu.Lock()
		got, changed := g.unique, g.changed
		g.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-changed:
			if !timer.Stop() {
				<-timer.C
			}
			timer.Reset(idle)
		case <-timer.C:
			return errStalled
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Blackhole accepts connections and never answers: a receiver that hangs.
// It reads and discards what arrives, so senders never block on a full
// socket buffer, only on the missing response.
type Blackhole struct {
	ln    net.Listener
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	held  atomic.Int64
	done  chan struct{}
}

// NewBlackhole listens on addr.
func NewBlackhole(addr string) (*Blackhole, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("black hole: listen on %s: %w", addr, err)
	}
	b := &Blackhole{ln: ln, conns: map[net.Conn]struct{}{}, done: make(chan struct{})}
	go b.accept()
	return b, nil
}

// URL is the black hole's URL.
func (b *Blackhole) URL() string { return "http://" + b.ln.Addr().String() + "/" }

// Connections is how many connections it accepted in all.
func (b *Blackhole) Connections() int64 { return b.held.Load() }

func (b *Blackhole) accept() {
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.mu.Lock()
		select {
		case <-b.done:
			b.mu.Unlock()
			c.Close()
			return
		default:
		}
		b.conns[c] = struct{}{}
		b.mu.Unlock()
		b.held.Add(1)
		go func() { _, _ = io.Copy(io.Discard, c) }()
	}
}

// Close closes the listener and every held connection.
func (b *Blackhole) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-b.done:
		return nil
	default:
	}
	close(b.done)
	err := b.ln.Close()
	for c := range b.conns {
		c.Close()
	}
	return err
}

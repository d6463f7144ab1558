package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/hookd/internal/pgtest"
)

// pgNode starts `hookd <command>` (serve, worker) on the PostgreSQL
// database dbURL. Every node of a test shares key, as every node of a fleet
// must.
func pgNode(t *testing.T, command, dbURL, key string, extra ...string) *hookdProc {
	t.Helper()
	args := append([]string{"--database", dbURL, "--encryption-key", key, "--lease-grace", "2s"}, extra...)
	// config.db only names the working directory; --database wins.
	return startHookd(t, config{command: command, db: filepath.Join(t.TempDir(), "unused.db"), extraArgs: args})
}

func newKey(t *testing.T) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// countingReceiver records each request's webhook-id and arrival, and the
// most requests it ever had in progress at once. While held, requests wait
// (and count) only once it is released; one whose sender gives up first
// does not count.
type countingReceiver struct {
	*httptest.Server
	delay   time.Duration
	mu      sync.Mutex
	arrived map[string][]time.Time
	now     int
	peak    int
	held    chan struct{} // closed by release
}

func newCountingReceiver(t *testing.T, delay time.Duration) *countingReceiver {
	r := &countingReceiver{delay: delay, arrived: map[string][]time.Time{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		r.mu.Lock()
		held := r.held
		r.mu.Unlock()
		if held != nil {
			select {
			case <-held:
			case <-req.Context().Done():
				return
			}
		}
		r.mu.Lock()
		r.arrived[req.Header.Get("webhook-id")] = append(r.arrived[req.Header.Get("webhook-id")], time.Now())
		r.now++
		r.peak = max(r.peak, r.now)
		r.mu.Unlock()
		time.Sleep(r.delay)
		r.mu.Lock()
		r.now--
		r.mu.Unlock()
	}))
	t.Cleanup(r.Close)
	return r
}

// hold makes requests wait until release.
func (r *countingReceiver) hold() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.held = make(chan struct{})
}

func (r *countingReceiver) release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.held != nil {
		close(r.held)
		r.held = nil
	}
}

// missing returns the ids of want that never arrived, and the number of
// duplicate requests (arrivals beyond the first of an id).
func (r *countingReceiver) missing(want []string) (missing []string, duplicates int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range want {
		if len(r.arrived[id]) == 0 {
			missing = append(missing, id)
		}
	}
	for _, at := range r.arrived {
		duplicates += len(at) - 1
	}
	sort.Strings(missing)
	return missing, duplicates
}

// waitAllArrived waits until every id in want has arrived at least once.
func (r *countingReceiver) waitAllArrived(t *testing.T, want []string, timeout time.Duration) int {
	t.Helper()
	var dups int
	eventually(t, timeout, func() (bool, string) {
		var miss []string
		miss, dups = r.missing(want)
		return len(miss) == 0, fmt.Sprintf("%d of %d acknowledged events never arrived, e.g. %v", len(miss), len(want), miss[:min(5, len(miss))])
	})
	return dups
}

// publishOne publishes one event with the publisher's id; it returns the
// HTTP status, or 0 when no answer came.
func publishOne(client *http.Client, base, key, tenant, id string) int {
	body, _ := json.Marshal(map[string]any{"id": id, "type": typeCreated, "data": map[string]any{"id": id}})
	req, _ := http.NewRequest("POST", base+"/v1/tenants/"+tenant+"/events", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestPostgresThreeNodesOneKilled runs three hookd processes on one
// PostgreSQL database, publishes 2,000 events through two of them, and kills
// the third (kill -9) halfway with deliveries in flight. Every event must
// arrive; the only duplicates allowed are the killed node's unrecorded
// attempts, picked up by the others when its leases ran out. The endpoint's
// in-flight limit must hold across all three.
func TestPostgresThreeNodesOneKilled(t *testing.T) {
	dbURL := pgtest.Database(t, os.Getenv(pgtest.EnvVar))
	t.Parallel()
	key := newKey(t)
	const workers, maxInFlight, events = 32, 24, 2000
	// The endpoint's bound, not the tenant's, is the one under test.
	w := []string{"--workers", fmt.Sprint(workers), "--max-endpoint-in-flight", fmt.Sprint(maxInFlight),
		"--tenant-max-in-flight", fmt.Sprint(3 * workers)}
	n1 := pgNode(t, "serve", dbURL, key, w...)
	n2 := pgNode(t, "serve", dbURL, key, w...)
	n3 := pgNode(t, "serve", dbURL, key, w...)
	f := &fixture{t: t, h: n1, admin: n1.admin(), seq: new(atomic.Int64)}
	f.admin.must(t, 201, "POST", "/v1/event-types", map[string]any{"name": typeCreated}, nil)
	ten := f.tenant()
	rcv := newCountingReceiver(t, 40*time.Millisecond)
	f.endpoint(ten, rcv.URL, map[string]any{"timeout_seconds": 2, "max_in_flight": maxInFlight,
		"retry_schedule": []string{"1s", "1s", "1s", "1s", "1s"}})

	start := time.Now()
	ids := make([]string, events)
	for i := range ids {
		ids[i] = fmt.Sprintf("pg-%04d", i)
	}
	var published atomic.Int64
	var killedAt time.Time
	heldAtKill := 0
	killed := make(chan struct{})
	go func() {
		// Halfway, once node 2 is seen holding deliveries it has not
		// recorded (its metrics: leased minus recorded), kill it.
		defer close(killed)
		for published.Load() < events/2 || heldAtKill == 0 {
			if published.Load() == events {
				return
			}
			if published.Load() >= events/2 {
				heldAtKill = unrecorded(n2)
			}
			time.Sleep(time.Millisecond)
		}
		n2.kill()
		killedAt = time.Now()
	}()
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	const publishers = 8
	for g := range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			node := []*hookdProc{n1, n3}[g%2]
			for i := g; i < events; i += publishers {
				if code := publishOne(client, node.url, node.key, ten, ids[i]); code != http.StatusAccepted {
					t.Errorf("publish %s through a live node: status %d", ids[i], code)
					return
				}
				published.Add(1)
			}
		}()
	}
	wg.Wait()
	<-killed
	if t.Failed() {
		return
	}
	if killedAt.IsZero() {
		t.Fatal("node 2 was never seen holding deliveries, so it was not killed")
	}
	dups := rcv.waitAllArrived(t, ids, 90*time.Second)
	elapsed := time.Since(start)

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	lateDup := 0
	for _, at := range rcv.arrived {
		if len(at) > 1 && at[0].After(killedAt) {
			lateDup++ // first sent after the kill: not one of the killed node's attempts
		}
	}
	t.Logf("3 nodes, %d events delivered in %s; node 2 killed at %s holding %d unrecorded deliveries; %d duplicate requests; peak %d in flight (max_in_flight %d)",
		events, elapsed.Round(time.Millisecond), killedAt.Sub(start).Round(time.Millisecond), heldAtKill, dups, rcv.peak, maxInFlight)
	if dups > workers {
		t.Errorf("%d duplicates: more than the killed node could have had in flight (%d workers)", dups, workers)
	}
	if lateDup > 0 {
		t.Errorf("%d events were sent twice though first sent after the kill: duplicates not from the killed node's leases", lateDup)
	}
	if rcv.peak > maxInFlight {
		t.Errorf("the receiver had %d requests in progress at once; the endpoint allows %d across every node", rcv.peak, maxInFlight)
	}
}

// unrecorded reads a node's metrics: deliveries it leased (claimed or
// handed off at publish) minus attempts it recorded, i.e. what it holds in
// flight.
// It runs off the test's goroutine, so it reports trouble as 0, never by
// failing the test.
func unrecorded(h *hookdProc) int {
	resp, err := http.Get(h.url + "/metrics")
	if err != nil {
		return 0
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	leased, recorded := 0.0, 0.0
	for _, line := range strings.Split(string(body), "\n") {
		name, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			continue
		}
		switch {
		case name == "hookd_claim_batch_size_sum", name == "hookd_deliveries_handed_off_total":
			leased += v
		case strings.HasPrefix(name, "hookd_attempts_total{"):
			recorded += v
		}
	}
	return int(leased - recorded)
}

// tcpProxy forwards connections to a target until cut: then it drops every
// open connection and refuses new ones (accepts and closes them at once),
// as a network partition or a database failover looks to hookd. As a black
// hole it forwards nothing but keeps every connection open and accepts new
// ones: a link that silently drops packets, without a reset. What was sent
// meanwhile goes through once it heals, as TCP's retransmissions would.
type tcpProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	holed  chan struct{} // while a black hole: closed when it heals
	conns  map[net.Conn]struct{}
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	t.Cleanup(func() { ln.Close(); p.setCut(true) })
	go p.serve()
	return p
}

func (p *tcpProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		cut := p.cut
		p.mu.Unlock()
		if cut {
			c.Close()
			continue
		}
		go p.pipe(c)
	}
}

func (p *tcpProxy) pipe(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	go func() { p.forward(up, c); up.Close() }()
	p.forward(c, up)
	c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

// forward copies src to dst until either fails, holding what it read while
// the proxy is a black hole.
func (p *tcpProxy) forward(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && (!p.passable() || writeAll(dst, buf[:n]) != nil) {
			return
		}
		if err != nil {
			return
		}
	}
}

func writeAll(w io.Writer, b []byte) error {
	_, err := w.Write(b)
	return err
}

// passable waits out a black hole; false once the proxy is cut.
func (p *tcpProxy) passable() bool {
	for {
		p.mu.Lock()
		cut, holed := p.cut, p.holed
		p.mu.Unlock()
		if cut {
			return false
		}
		if holed == nil {
			return true
		}
		<-holed
	}
}

// setCut cuts the proxy (closing every open connection) or restores it.
func (p *tcpProxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			c.Close()
		}
		p.heal()
	}
}

// setBlackHole makes the proxy a black hole, or heals it.
func (p *tcpProxy) setBlackHole(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if on && p.holed == nil {
		p.holed = make(chan struct{})
	}
	if !on {
		p.heal()
	}
}

// heal ends a black hole; p.mu is held.
func (p *tcpProxy) heal() {
	if p.holed != nil {
		close(p.holed)
		p.holed = nil
	}
}

// TestPostgresOutage cuts hookd off from PostgreSQL mid-load and restores
// it. While cut off, publishes answer 503 (never 202) and /readyz 503; after,
// the same process resumes by itself, and every acknowledged event arrives.
func TestPostgresOutage(t *testing.T) {
	t.Parallel()
	proxy, h, ten, rcv := proxiedNode(t)

	load := startPublishing(h, ten, "outage")
	load.waitAcked(t, 100, "publishing before the cut")

	start := time.Now()
	proxy.setCut(true)
	load.trouble.Store(true)
	load.waitDuring(t, http.StatusServiceUnavailable, 20)
	quiet(2 * time.Second) // an outage long enough for claims and records to fail and back off
	wantProblem(t, h.client("").do(t, "GET", "/readyz", nil), 503)
	cutFor := time.Since(start)
	load.trouble.Store(false)
	proxy.setCut(false)
	restored := time.Now()

	waitReady(t, h)
	readyAfter := time.Since(restored)
	load.waitAcked(t, 100, "publishing after the cut")
	load.finish(t)
	dups := rcv.waitAllArrived(t, load.acked, 60*time.Second)
	t.Logf("cut off for %s, ready %s after; publish statuses %v (while cut off: %v); all %d acknowledged events arrived %s after the restore, %d duplicate requests",
		cutFor.Round(time.Millisecond), readyAfter.Round(time.Millisecond), load.statuses, load.during, len(load.acked),
		time.Since(restored).Round(time.Millisecond), dups)
}

// TestPostgresRoles splits a deployment into an API-only node and a
// worker-only node: events published on one are delivered by the other
// (woken through the database), the worker serves only health, readiness and
// metrics, `hookd migrate` runs, and a node without --encryption-key refuses
// to start.
func TestPostgresRoles(t *testing.T) {
	dbURL := pgtest.Database(t, os.Getenv(pgtest.EnvVar))
	t.Parallel()

	out, err := exec.Command(hookdBin, "migrate", "--database", dbURL).CombinedOutput()
	if err != nil {
		t.Fatalf("hookd migrate: %v\n%s", err, out)
	}
	out, err = exec.Command(hookdBin, "serve", "--addr", "127.0.0.1:0", "--database", dbURL).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--encryption-key") {
		t.Errorf("serve on PostgreSQL without --encryption-key: %v, want a refusal naming the flag:\n%s", err, out)
	}

	key := newKey(t)
	apiNode := pgNode(t, "serve", dbURL, key, "--no-workers")
	worker := pgNode(t, "worker", dbURL, key)
	f := &fixture{t: t, h: apiNode, admin: apiNode.admin(), seq: new(atomic.Int64)}
	f.admin.must(t, 201, "POST", "/v1/event-types", map[string]any{"name": typeCreated}, nil)
	ten := f.tenant()
	rcv := newCountingReceiver(t, 0)
	f.endpoint(ten, rcv.URL, nil)
	var ids []string
	for range 20 {
		ids = append(ids, f.publish(ten, typeCreated, `{"n":1}`).ID)
	}
	rcv.waitAllArrived(t, ids, 30*time.Second)

	c := worker.client(worker.key)
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		c.must(t, 200, "GET", path, nil, nil)
	}
	if r := c.do(t, "GET", "/v1/tenants", nil); r.status != http.StatusNotFound {
		t.Errorf("the worker answered GET /v1/tenants with %d; it serves no API", r.status)
	}
	// Results are recorded just after the receiver answers.
	eventually(t, 10*time.Second, func() (bool, string) {
		r := c.do(t, "GET", "/metrics", nil)
		return strings.Contains(string(r.body), `hookd_attempts_total{outcome="delivered"} 20`) && unrecorded(worker) == 0,
			fmt.Sprintf("the worker's metrics do not show the 20 deliveries it made, all recorded:\n%s", r.body)
	})
	apiMetrics := apiNode.client("").do(t, "GET", "/metrics", nil)
	if !strings.Contains(string(apiMetrics.body), "hookd_events_published_total 20") {
		t.Errorf("the API node's metrics do not count the 20 events published")
	}
}

package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/hookd/internal/pgtest"
)

// publishLoad publishes events through one node from four goroutines until
// finished, keeping every answer: what was acknowledged (202), the statuses,
// and the statuses of publishes both sent and answered while trouble was on.
type publishLoad struct {
	mu       sync.Mutex
	acked    []string
	statuses map[int]int
	during   map[int]int
	trouble  atomic.Bool
	stop     atomic.Bool
	wg       sync.WaitGroup
}

func startPublishing(h *hookdProc, tenant, prefix string) *publishLoad {
	l := &publishLoad{statuses: map[int]int{}, during: map[int]int{}}
	// Far beyond the store's deadline: a publish that hangs shows as 0.
	client := &http.Client{Timeout: 30 * time.Second}
	for g := range 4 {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for n := 0; !l.stop.Load(); n++ {
				id := fmt.Sprintf("%s-%d-%d", prefix, g, n)
				wasOn := l.trouble.Load()
				code := publishOne(client, h.url, h.key, tenant, id)
				l.mu.Lock()
				l.statuses[code]++
				if wasOn && l.trouble.Load() {
					l.during[code]++
				}
				if code == http.StatusAccepted {
					l.acked = append(l.acked, id)
				}
				l.mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	return l
}

func (l *publishLoad) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// waitAcked waits until n more publishes than now are acknowledged.
func (l *publishLoad) waitAcked(t *testing.T, n int, what string) {
	t.Helper()
	want := l.ackedCount() + n
	eventually(t, 30*time.Second, func() (bool, string) { return l.ackedCount() >= want, what })
}

// waitDuring waits until n publishes answered code while trouble was on.
func (l *publishLoad) waitDuring(t *testing.T, code, n int) {
	t.Helper()
	eventually(t, 60*time.Second, func() (bool, string) {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.during[code] >= n, fmt.Sprintf("statuses while the database was unreachable: %v", l.during)
	})
}

// finish stops publishing and checks the answers: only 202, or 503 while
// the database was unreachable, and never 202 then.
func (l *publishLoad) finish(t *testing.T) {
	t.Helper()
	l.stop.Store(true)
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	for code, n := range l.statuses {
		if code != http.StatusAccepted && code != http.StatusServiceUnavailable {
			t.Errorf("%d publishes answered %d (0: no answer); want only 202, or 503 while the database is unreachable", n, code)
		}
	}
	if n := l.during[http.StatusAccepted]; n > 0 {
		t.Errorf("%d publishes answered 202 while the database was unreachable", n)
	}
}

// proxiedNode starts hookd on a fresh PostgreSQL database reached through a
// tcpProxy, with an endpoint of a new tenant posting to a counting receiver.
// The endpoint's short timeout keeps leases short: a claim that committed
// while the node never heard the answer comes back in 4 s.
func proxiedNode(t *testing.T, extra ...string) (*tcpProxy, *hookdProc, string, *countingReceiver) {
	t.Helper()
	dbURL := pgtest.Database(t, os.Getenv(pgtest.EnvVar))
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newTCPProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	h := pgNode(t, "serve", u.String(), newKey(t), extra...)
	f := &fixture{t: t, h: h, admin: h.admin(), seq: new(atomic.Int64)}
	f.admin.must(t, 201, "POST", "/v1/event-types", map[string]any{"name": typeCreated}, nil)
	ten := f.tenant()
	rcv := newCountingReceiver(t, 0)
	f.endpoint(ten, rcv.URL, map[string]any{"timeout_seconds": 2, "retry_schedule": []string{"1s", "1s", "1s", "1s", "1s"}})
	return proxy, h, ten, rcv
}

// waitReady waits until /readyz answers 200.
func waitReady(t *testing.T, h *hookdProc) {
	t.Helper()
	eventually(t, 30*time.Second, func() (bool, string) {
		r := h.client("").do(t, "GET", "/readyz", nil)
		return r.status == 200, fmt.Sprintf("/readyz answers %d: %s", r.status, r.body)
	})
}

// TestPostgresSilentNetwork makes the link to PostgreSQL a black hole (it
// stops forwarding but keeps the connections open, as a network that drops
// packets without a reset) under load, then heals it. Meanwhile publishes
// answer 503 within the store's deadline, never 202 and never no answer,
// and /readyz answers 503; after, the same process resumes by itself and
// every acknowledged event is delivered.
func TestPostgresSilentNetwork(t *testing.T) {
	t.Parallel()
	proxy, h, ten, rcv := proxiedNode(t, "--db-timeout", "2s")

	load := startPublishing(h, ten, "silent")
	load.waitAcked(t, 100, "publishing before the black hole")
	proxy.setBlackHole(true)
	load.trouble.Store(true)
	load.waitDuring(t, http.StatusServiceUnavailable, 12)
	r := h.client("").do(t, "GET", "/readyz", nil)
	wantProblem(t, r, 503)
	load.trouble.Store(false)
	proxy.setBlackHole(false)
	healed := time.Now()

	waitReady(t, h)
	load.waitAcked(t, 100, "publishing after the black hole")
	load.finish(t)
	dups := rcv.waitAllArrived(t, load.acked, 60*time.Second)
	t.Logf("publish statuses %v (during the black hole: %v); /readyz during: %s; all %d acknowledged events arrived %s after it healed, %d duplicate requests",
		load.statuses, load.during, r.body, len(load.acked), time.Since(healed).Round(time.Millisecond), dups)
}

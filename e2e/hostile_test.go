package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"
)

// Bounds hookd documents for what it keeps of a receiver's answer.
const (
	maxErrorBytes   = 1024
	maxExcerptBytes = 4096
)

// TestHostileReceivers: whatever a receiver answers (NUL bytes, an 8 MiB
// Location, a 4 MiB status line, 10 MB of headers to a hundred attempts at
// once), hookd stores a bounded, storable attempt, the delivery reaches the
// state its schedule says, and the process's memory stays bounded.
func TestHostileReceivers(t *testing.T) {
	onStores(t, func(t *testing.T, c config) {
		// A short lease, so that a result left unrecorded would be re-sent
		// within the test.
		c.extraArgs = append(c.extraArgs, "--lease-grace", "1s")
		f := newFixture(t, c)
		dbBefore := dbSize(t, f.h.db)

		t.Run("a NUL in a 2xx body is stored safely and delivered once", func(t *testing.T) {
			f := f.in(t)
			ten := f.tenant()
			rcv := newReceiver(t, 200)
			rcv.answer.Store("ok\x00ok\xff!")
			f.endpoint(ten, rcv.URL, map[string]any{"retry_schedule": []string{"1s"}, "timeout_seconds": 1})
			ev := f.publish(ten, typeCreated, `{"n":1}`)
			d := f.waitStatus(ten, f.deliveryOf(ten, ev.ID).ID, "delivered")
			if len(d.Attempts) != 1 || d.Attempts[0].StatusCode != 200 || d.Attempts[0].ResponseBody != "ok\uFFFDok\uFFFD!" {
				t.Fatalf("attempts = %+v; want one 200 with body %q", d.Attempts, "ok\uFFFDok\uFFFD!")
			}
			quiet(2500 * time.Millisecond) // past the 2 s lease: a dropped result would have been sent again
			if n := len(rcv.requests()); n != 1 {
				t.Fatalf("the receiver got %d requests, want 1", n)
			}
		})

		t.Run("a long Location on a 302 is quoted bounded", func(t *testing.T) {
			f := f.in(t)
			ten := f.tenant()
			rcv := newReceiver(t, http.StatusFound)
			rcv.location.Store("http://elsewhere.example/" + strings.Repeat("a", 60<<10))
			f.endpoint(ten, rcv.URL, map[string]any{"retry_schedule": []string{"1s"}})
			ev := f.publish(ten, typeCreated, `{"n":2}`)
			d := f.waitStatus(ten, f.deliveryOf(ten, ev.ID).ID, "failed")
			checkAttempts(t, f, ten, d.ID, 2, func(a attempt) error {
				if a.StatusCode != 302 || !strings.HasPrefix(a.Error, "redirect to http://elsewhere.example/aaa") || !strings.HasSuffix(a.Error, "… not followed") {
					return fmt.Errorf("status %d, error %.80q...", a.StatusCode, a.Error)
				}
				return nil
			})
		})

		headersRefused := func(a attempt) error {
			if a.StatusCode != 0 || !strings.HasPrefix(a.Error, "the receiver's status line and headers exceed 64 KiB") {
				return fmt.Errorf("status %d, error %.120q", a.StatusCode, a.Error)
			}
			return nil
		}

		// Both answers go past the 64 KiB bound hookd reads of a status
		// line and headers (Go's 10 MiB default stored them in the error).
		for name, answer := range map[string]string{
			"an 8 MiB Location on a 302 is refused with the headers": "HTTP/1.1 302 Found\r\nContent-Length: 0\r\nLocation: http://x/" +
				strings.Repeat("\x00a", 4<<20) + "\r\n\r\n",
			"a 4 MiB status line is refused": "HTTP/1.1 200 " + strings.Repeat("\xffO\x00K", 1<<20) + "\r\nContent-Length: 0\r\n\r\n",
		} {
			t.Run(name, func(t *testing.T) {
				f := f.in(t)
				ten := f.tenant()
				rcv := newRawReceiver(t, []byte(answer), 0, false)
				f.endpoint(ten, rcv.url, map[string]any{"retry_schedule": []string{"1s"}})
				ev := f.publish(ten, typeCreated, `{"n":3}`)
				d := f.waitStatus(ten, f.deliveryOf(ten, ev.ID).ID, "failed")
				checkAttempts(t, f, ten, d.ID, 2, headersRefused)
			})
		}

		t.Run("10 MB of headers to 100 attempts at once", func(t *testing.T) {
			f := f.in(t)
			// Ten tenants with one endpoint each at the default in-flight
			// limit of 10, so that no per-endpoint or per-tenant share
			// keeps the hundred attempts from running together.
			const tenants, events = 10, 10
			header := "HTTP/1.1 200 OK\r\n" + strings.Repeat("X-Filler: "+strings.Repeat("h", 990)+"\r\n", 10<<10) + "Content-Length: 0\r\n\r\n"
			rcv := newRawReceiver(t, []byte(header), tenants*events, true)
			var tenantIDs []string
			for range tenants {
				ten := f.tenant()
				tenantIDs = append(tenantIDs, ten)
				f.endpoint(ten, rcv.url, map[string]any{"retry_schedule": []string{"1s"}})
			}
			batch := make([]map[string]any, events)
			for i := range batch {
				batch[i] = map[string]any{"type": typeCreated, "data": map[string]int{"n": i}}
			}
			for _, ten := range tenantIDs {
				f.admin.must(t, 202, "POST", "/v1/tenants/"+ten+"/events/batch", map[string]any{"events": batch}, nil)
			}
			// The first attempts get 10 MB of headers; the second ones a 204.
			var ds []delivery
			eventually(t, 30*time.Second, func() (bool, string) {
				ds = ds[:0]
				for _, ten := range tenantIDs {
					ds = append(ds, f.deliveries(ten, "?status=delivered")...)
				}
				return len(ds) == tenants*events, fmt.Sprintf("%d of %d deliveries delivered", len(ds), tenants*events)
			})
			for _, d := range ds {
				if d.AttemptCount != 2 {
					t.Fatalf("delivery %s: %d attempts, want 2", d.ID, d.AttemptCount)
				}
			}
			if n := rcv.requests.Load(); n != 2*tenants*events {
				t.Errorf("the receiver got %d requests, want %d", n, 2*tenants*events)
			}
			checkAttempts(t, f, ds[0].TenantID, ds[0].ID, 2, func(a attempt) error {
				if a.Number == 1 {
					return headersRefused(a)
				}
				if a.StatusCode != 204 || a.Error != "" {
					return fmt.Errorf("second attempt: status %d, error %q", a.StatusCode, a.Error)
				}
				return nil
			})
			if p := rcv.peak(); p < tenants*events/2 {
				t.Fatalf("at most %d attempts were in flight at once, want about %d", p, tenants*events)
			}
			t.Logf("%d attempts in flight at once at most", rcv.peak())
		})

		hwm, rss := memoryOf(t, f.h.cmd.Process.Pid)
		t.Logf("hookd memory: VmHWM %d MB, VmRSS %d MB", hwm>>20, rss>>20)
		if hwm > 400<<20 {
			t.Errorf("hookd's peak RSS was %d MB, want under 400 MB (Go's 10 MiB header default took 1.19 GB)", hwm>>20)
		}
		if dbBefore >= 0 {
			grown := dbSize(t, f.h.db) - dbBefore
			t.Logf("SQLite file (with its WAL) grew by %d KB", grown>>10)
			if grown > 8<<20 {
				t.Errorf("the SQLite file grew by %d MB for about 210 attempts", grown>>20)
			}
		}
	})
}

// checkAttempts reads a delivery and checks that it has n attempts, each
// passing check and within the bounds of a stored attempt, and that the API
// answer itself is small.
func checkAttempts(t *testing.T, f *fixture, tenantID, deliveryID string, n int, check func(attempt) error) {
	t.Helper()
	r := f.admin.must(t, 200, "GET", "/v1/tenants/"+tenantID+"/deliveries/"+deliveryID, nil, nil)
	if len(r.body) > 8<<10*n {
		t.Errorf("the delivery's API answer is %d bytes for %d attempts", len(r.body), n)
	}
	var d delivery
	r.decode(t, &d)
	if len(d.Attempts) != n {
		t.Fatalf("delivery %s (%s) has %d attempts, want %d", deliveryID, d.Status, len(d.Attempts), n)
	}
	for _, a := range d.Attempts {
		if len(a.Error) > maxErrorBytes || len(a.ResponseBody) > maxExcerptBytes {
			t.Errorf("attempt %d: error of %d bytes, response body of %d bytes", a.Number, len(a.Error), len(a.ResponseBody))
		}
		for _, s := range []string{a.Error, a.ResponseBody} {
			if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
				t.Errorf("attempt %d stores text that is not NUL-free UTF-8: %.80q", a.Number, s)
			}
		}
		if err := check(a); err != nil {
			t.Errorf("attempt %d: %v", a.Number, err)
		}
	}
}

// rawReceiver answers with fixed bytes, whatever they are (net/http's
// server would not send most of them); with heal, only first attempts get them,
// and later ones with a 204. With hold > 0 it keeps each first attempt waiting until hold of
// them arrived (or two seconds passed), so that they run at once.
type rawReceiver struct {
	url    string
	answer []byte
	hold   int
	heal   bool

	mu       sync.Mutex
	waiting  int
	maxWait  int
	gate     chan struct{}
	requests atomic.Int32
}

func newRawReceiver(t *testing.T, answer []byte, hold int, heal bool) *rawReceiver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &rawReceiver{url: "http://" + ln.Addr().String(), answer: answer, hold: hold, heal: heal, gate: make(chan struct{})}
	var conns sync.WaitGroup
	var open sync.Map // net.Conn: connections hookd keeps alive
	t.Cleanup(func() {
		ln.Close()
		open.Range(func(c, _ any) bool { c.(net.Conn).Close(); return true })
		conns.Wait()
	})
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			open.Store(conn, nil)
			go func() {
				defer conns.Done()
				defer open.Delete(conn)
				defer conn.Close()
				r.serve(conn)
			}()
		}
	}()
	return r
}

// serve answers the requests of one connection.
func (r *rawReceiver) serve(conn net.Conn) {
	br := bufio.NewReader(conn)
	for {
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, req.Body)
		r.requests.Add(1)
		if n, _ := strconv.Atoi(req.Header.Get("X-Hookd-Attempt")); r.heal && n > 1 {
			if _, err := io.WriteString(conn, "HTTP/1.1 204 No Content\r\n\r\n"); err != nil {
				return
			}
			continue
		}
		r.wait()
		_, _ = conn.Write(r.answer) // hookd hangs up part way: that is the point
		return
	}
}

// wait holds a first attempt until hold of them wait, or two seconds pass.
func (r *rawReceiver) wait() {
	if r.hold <= 0 {
		return
	}
	r.mu.Lock()
	r.waiting++
	r.maxWait = max(r.maxWait, r.waiting)
	gate := r.gate
	if r.waiting == 1 {
		time.AfterFunc(2*time.Second, func() { r.open(gate) })
	}
	full := r.waiting >= r.hold
	r.mu.Unlock()
	if full {
		r.open(gate)
	}
	<-gate
}

// open releases the attempts waiting at gate, once.
func (r *rawReceiver) open(gate chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gate == gate {
		close(gate)
		r.gate = make(chan struct{})
		r.waiting = 0
	}
}

// peak is the most first attempts that waited at once.
func (r *rawReceiver) peak() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.maxWait
}

// memoryOf reads a process's peak and current resident set sizes, in bytes.
func memoryOf(t *testing.T, pid int) (hwm, rss int64) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("read the process status: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, value, _ := strings.Cut(line, ":")
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		switch {
		case err != nil:
		case name == "VmHWM":
			hwm = kb << 10
		case name == "VmRSS":
			rss = kb << 10
		}
	}
	if hwm == 0 || rss == 0 {
		t.Fatalf("no VmHWM or VmRSS in /proc/%d/status", pid)
	}
	return hwm, rss
}

// dbSize is the size of a SQLite file with its WAL, or -1 when there is no
// such file (hookd runs on PostgreSQL).
func dbSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if os.IsNotExist(err) {
		return -1
	}
	if err != nil {
		t.Fatal(err)
	}
	size := st.Size()
	if wal, err := os.Stat(path + "-wal"); err == nil {
		size += wal.Size()
	}
	return size
}

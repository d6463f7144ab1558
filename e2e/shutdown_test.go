package e2e

import (
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSigtermDuringSlowRequest stops hookd while a request is still being
// uploaded: the process exits by itself, cleanly (status 0), without waiting
// for the request. A second SIGTERM during a long drain ends it at once.
func TestSigtermDuringSlowRequest(t *testing.T) {
	t.Parallel()
	f := newFixture(t, config{extraArgs: []string{"--shutdown-timeout", "2s"}})
	conn, err := net.Dial("tcp", strings.TrimPrefix(f.h.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Half a body of the promised length: the handler waits for the rest.
	fmt.Fprintf(conn, "POST /v1/tenants HTTP/1.1\r\nHost: hookd\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"id\":", f.h.key)
	quiet(200 * time.Millisecond) // the request reaches its handler
	if err := f.h.stop(); err != nil {
		t.Fatalf("SIGTERM during a slow request: %v, want exit status 0\n%s", err, f.h.stderr.String())
	}

	// A delivery that takes long keeps the drain waiting; a second signal
	// does not wait for it.
	g := newFixture(t, config{extraArgs: []string{"--shutdown-timeout", "60s"}})
	ten := g.tenant()
	rcv := newReceiver(t, 200)
	rcv.delay.Store(int64(5 * time.Second))
	g.endpoint(ten, rcv.URL, map[string]any{"timeout_seconds": 60})
	g.publish(ten, typeCreated, `{"n":1}`)
	rcv.waitRequests(t, 1)
	g.h.ended.Store(true)
	_ = g.h.cmd.Process.Signal(syscall.SIGTERM)
	eventually(t, 10*time.Second, func() (bool, string) {
		return strings.Contains(g.h.stderr.String(), "shutting down"), "hookd did not start shutting down"
	})
	if g.h.exited() {
		t.Fatal("hookd exited without waiting for its in-flight delivery")
	}
	_ = g.h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-g.h.done:
	case <-time.After(10 * time.Second):
		t.Fatal("a second SIGTERM did not end hookd")
	}
	if ws, ok := g.h.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGTERM {
		t.Errorf("after a second SIGTERM: %v, want the process ended by the signal", g.h.err)
	}
}

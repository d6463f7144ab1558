package e2e

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// smallDisk mounts an 8 MiB tmpfs for the test (unmounted when it ends,
// after hookd has stopped); the test skips where mounting is not allowed.
func smallDisk(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs to fill (needs root): %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fill writes a file into dir until the disk is full, and returns its path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill %s: %v", dir, err)
			}
			break
		}
	}
	// The last blocks, smaller than a chunk.
	for _, err := f.Write(chunk[:512]); err == nil; _, err = f.Write(chunk[:512]) {
	}
	return path
}

// wantDiskFull checks a 503 problem that says the disk is full.
func wantDiskFull(t *testing.T, r apiResp) {
	t.Helper()
	if p := wantProblem(t, r, http.StatusServiceUnavailable); !strings.Contains(p.Detail, "disk") || !strings.Contains(p.Detail, "full") {
		t.Errorf("%s %s: detail %q does not say the disk is full", r.method, r.path, p.Detail)
	}
}

// TestDiskFull fills the disk under a SQLite database while deliveries are
// in flight: publishes answer 503 saying the disk is full, and /readyz 503.
// Killed (kill -9) and restarted on the full disk, hookd starts, reads work,
// writes answer 503; once space is freed it writes again without a restart,
// and every acknowledged event is delivered.
func TestDiskFull(t *testing.T) {
	t.Parallel()
	dir := smallDisk(t)
	c := config{db: filepath.Join(dir, "hookd.db"), extraArgs: []string{"--lease-grace", "2s"}}
	f := newFixture(t, c)
	ten := f.tenant()
	rcv := newCountingReceiver(t, 0)
	rcv.hold()
	f.endpoint(ten, rcv.URL, map[string]any{"timeout_seconds": 10, "retry_schedule": []string{"1s", "1s", "1s", "1s", "1s"}})
	var acked []string
	publish := func(h *hookdProc, id string) int {
		code := publishOne(httpClient, h.url, h.key, ten, id)
		if code == http.StatusAccepted {
			acked = append(acked, id)
		}
		return code
	}
	for i := range 5 {
		if code := publish(f.h, fmt.Sprintf("before-%d", i)); code != http.StatusAccepted {
			t.Fatalf("publish before the disk filled: %d", code)
		}
	}
	// Their deliveries are leased and in flight when the disk fills.
	eventually(t, 20*time.Second, func() (bool, string) { return unrecorded(f.h) == 5, "deliveries in flight" })
	filler := fill(t, dir)

	admin := f.h.admin()
	body := map[string]any{"id": "while-full", "type": typeCreated, "data": map[string]any{"n": 1}}
	wantDiskFull(t, admin.do(t, "POST", "/v1/tenants/"+ten+"/events", body))
	wantDiskFull(t, admin.do(t, "GET", "/readyz", nil))

	f.h.kill()
	h := startHookd(t, c) // a full disk does not keep it from starting
	admin = h.admin()
	wantDiskFull(t, admin.do(t, "GET", "/readyz", nil))
	wantDiskFull(t, admin.do(t, "POST", "/v1/tenants/"+ten+"/events", body))
	wantDiskFull(t, admin.do(t, "POST", "/v1/tenants", map[string]any{"id": "new-tenant", "name": "New"}))
	var l list[delivery]
	admin.must(t, 200, "GET", "/v1/tenants/"+ten+"/deliveries", nil, &l)
	if len(l.Data) != 5 {
		t.Errorf("on the full disk, %d deliveries listed, want the 5 acknowledged before", len(l.Data))
	}
	wantProblem(t, admin.do(t, "GET", "/v1/tenants/"+ten+"/events/while-full", nil), 404)

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	rcv.release()
	waitReady(t, h)
	for i := range 5 {
		if code := publish(h, fmt.Sprintf("after-%d", i)); code != http.StatusAccepted {
			t.Fatalf("publish after space returned: %d", code)
		}
	}
	dups := rcv.waitAllArrived(t, acked, 60*time.Second)
	t.Logf("all %d acknowledged events delivered after space returned, %d duplicates", len(acked), dups)
}

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestCrashLosesNoAcknowledgedEvent kills hookd with SIGKILL while eight
// publishers are publishing, restarts it on the same database, and checks
// that every event it acknowledged reaches the receiver.
func TestCrashLosesNoAcknowledgedEvent(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "hookd.db")
	f := newFixture(t, config{db: db})
	ten := f.tenant()
	rcv := newReceiver(t, 200)
	rcv.delay.Store(int64(20 * time.Millisecond))
	f.endpoint(ten, rcv.URL, map[string]any{"retry_schedule": []string{"1s", "1s", "1s", "1s", "1s"}, "timeout_seconds": 5})

	const publishers, ackTarget = 8, 300
	var (
		mu      sync.Mutex
		acked   []string
		stop    atomic.Bool
		tried   atomic.Int64
		errored atomic.Int64
		wg      sync.WaitGroup
	)
	client := &http.Client{Timeout: 10 * time.Second}
	url := f.h.url + "/v1/tenants/" + ten + "/events"
	for g := range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; !stop.Load(); n++ {
				id := fmt.Sprintf("crash-%d-%d", g, n)
				body, _ := json.Marshal(map[string]any{"id": id, "type": typeCreated, "data": map[string]any{"g": g, "n": n}})
				req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+f.h.key)
				req.Header.Set("Content-Type", "application/json")
				tried.Add(1)
				resp, err := client.Do(req)
				if err != nil {
					errored.Add(1) // unacknowledged: may be lost or delivered
					continue
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusAccepted {
					mu.Lock()
					acked = append(acked, id)
					mu.Unlock()
				} else {
					errored.Add(1)
				}
			}
		}()
	}

	ackedCount := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(acked)
	}
	deadline := time.Now().Add(60 * time.Second)
	for ackedCount() < ackTarget && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if ackedCount() < ackTarget {
		stop.Store(true)
		wg.Wait()
		t.Fatalf("only %d publishes acknowledged before the deadline", ackedCount())
	}
	f.h.kill()
	atKill := ackedCount()
	time.Sleep(200 * time.Millisecond) // publishers keep trying against the dead server
	stop.Store(true)
	wg.Wait()
	t.Logf("killed hookd after %d acknowledged publishes (%d at the end, %d tried, %d unacknowledged)",
		atKill, ackedCount(), tried.Load(), errored.Load())
	if errored.Load() == 0 {
		t.Errorf("no publish failed: hookd was not killed mid-publishing")
	}
	receivedBeforeRestart := len(rcv.requests())

	startHookd(t, config{db: db})

	counts := map[string]int{}
	var missing []string
	eventually(t, 60*time.Second, func() (bool, string) {
		clear(counts)
		for _, q := range rcv.requests() {
			counts[q.header.Get("webhook-id")]++
		}
		missing = missing[:0]
		for _, id := range acked {
			if counts[id] == 0 {
				missing = append(missing, id)
			}
		}
		sort.Strings(missing)
		return len(missing) == 0, fmt.Sprintf("%d of %d acknowledged events never arrived, e.g. %v",
			len(missing), len(acked), missing[:min(5, len(missing))])
	})
	duplicates := 0
	for _, n := range counts {
		duplicates += n - 1
	}
	t.Logf("all %d acknowledged events arrived (%d before the restart); %d duplicate requests, %d distinct events received",
		len(acked), receivedBeforeRestart, duplicates, len(counts))
}

// TestGracefulShutdown sends SIGTERM while deliveries are in flight: hookd
// lets them finish, records them and exits 0.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "hookd.db")
	f := newFixture(t, config{db: db, extraArgs: []string{"--shutdown-timeout", "10s"}})
	ten := f.tenant()
	rcv := newReceiver(t, 200)
	rcv.delay.Store(int64(time.Second))
	f.endpoint(ten, rcv.URL, map[string]any{"retry_schedule": []string{"1s"}})

	evs := make([]map[string]any, 5)
	for i := range evs {
		evs[i] = map[string]any{"id": fmt.Sprintf("graceful-%d", i), "type": typeCreated, "data": map[string]any{"i": i}}
	}
	f.admin.must(t, 202, "POST", "/v1/tenants/"+ten+"/events/batch", map[string]any{"events": evs}, nil)
	select {
	case <-rcv.arrived:
	case <-time.After(20 * time.Second):
		t.Fatal("no delivery reached the receiver")
	}
	sent := time.Now()
	f.h.ended.Store(true)
	if err := f.h.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-f.h.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("hookd did not exit within 20s of SIGTERM (shutdown timeout 10s)")
	}
	t.Logf("hookd exited %s after SIGTERM", time.Since(sent).Round(time.Millisecond))
	if code := f.h.exitCode(); code != 0 {
		t.Errorf("hookd exited with %v, want status 0", f.h.err)
	}
	reached := map[string]bool{}
	for _, q := range rcv.requests() {
		reached[q.header.Get("webhook-id")] = true
	}
	if len(reached) == 0 {
		t.Fatal("no request recorded by the receiver")
	}

	// Read the statuses at once after the restart: the receiver takes 1 s
	// to answer, so the new process cannot have recorded a resend yet.
	h2 := startHookd(t, config{db: db})
	admin := h2.admin()
	for id := range reached {
		var l list[delivery]
		admin.must(t, 200, "GET", "/v1/tenants/"+ten+"/deliveries?event="+id, nil, &l)
		if len(l.Data) != 1 || l.Data[0].Status != "delivered" {
			t.Errorf("event %s reached the receiver before shutdown but its delivery is %+v, want delivered", id, l.Data)
		}
	}
	// And the new process does not send them again.
	f2 := f.in(t)
	f2.h, f2.admin = h2, admin
	for _, ev := range evs {
		f2.waitStatus(ten, f2.deliveryOf(ten, ev["id"].(string)).ID, "delivered")
	}
	for id := range reached {
		if n := len(rcv.byID(id)); n != 1 {
			t.Errorf("event %s reached the receiver %d times, want once", id, n)
		}
	}
}

package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/secretbox"
	"github.com/hookd/hookd/storetest"
)

func benchStore(b *testing.B) *DB {
	key, _ := secretbox.ParseKey(secretbox.NewKey())
	box, _ := secretbox.New(key)
	db, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), box)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	ctx := context.Background()
	if err := db.CreateTenant(ctx, &hookd.Tenant{ID: "t", Name: "t"}); err != nil {
		b.Fatal(err)
	}
	if err := db.CreateEventType(ctx, &hookd.EventType{Name: "x.created"}); err != nil {
		b.Fatal(err)
	}
	if err := db.CreateEndpoint(ctx, &hookd.Endpoint{TenantID: "t", Name: "e", URL: "https://example.com", EventTypes: []string{"*"}, Enabled: true, MaxInFlight: 1000}, "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"); err != nil {
		b.Fatal(err)
	}
	return db
}

var benchPayload = []byte(`{"id":"evt_x","type":"x.created","timestamp":"2026-01-01T00:00:00.000Z","data":{"name":"Ada Lovelace","email":"ada@example.com","tags":["a","b"],"n":42}}`)

// BenchmarkPublishOne is one event per transaction, the unbatched API path.
func BenchmarkPublishOne(b *testing.B) {
	db := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := db.PublishEvents(ctx, "t", []hookd.NewEvent{{Type: "x.created", Payload: benchPayload, RequestHash: "h", CreatedAt: time.Now()}}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPublishBatch100 is 100 events per transaction (per op: 100 events).
func BenchmarkPublishBatch100(b *testing.B) {
	db := benchStore(b)
	ctx := context.Background()
	events := make([]hookd.NewEvent, 100)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for i := range events {
			events[i] = hookd.NewEvent{Type: "x.created", Payload: benchPayload, RequestHash: "h", CreatedAt: time.Now()}
		}
		if _, err := db.PublishEvents(ctx, "t", events, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPublishConcurrent is one event per call from 64 concurrent
// callers, as many HTTP publishers produce: group commit shares fsyncs.
func BenchmarkPublishConcurrent(b *testing.B) {
	db := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := db.PublishEvents(ctx, "t", []hookd.NewEvent{{Type: "x.created", Payload: benchPayload, RequestHash: "h", CreatedAt: time.Now()}}, nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// benchResults are successful attempts of jobs, as the dispatcher reports them.
func benchResults(jobs []*hookd.Job) []hookd.AttemptResult {
	out := make([]hookd.AttemptResult, len(jobs))
	now := time.Now()
	for i, j := range jobs {
		out[i] = hookd.AttemptResult{Job: j, Outcome: hookd.Outcome{Success: true}, Attempt: hookd.Attempt{
			DeliveryID: j.DeliveryID, Number: j.Attempt, At: now, URL: j.URL, StatusCode: 204,
			Duration: hookd.Millis(time.Millisecond),
			RequestHeaders: map[string]string{
				"Content-Type": "application/json", "User-Agent": "hookd/0.1.0", "Webhook-Id": j.EventID,
				"Webhook-Timestamp": "1795370605", "Webhook-Signature": "v1,eLkHDwEEGcRpTcFCp32U2MPK8JbFD3vHT6UyrCa5U/M=",
				"X-Hookd-Event": j.EventType, "X-Hookd-Delivery": j.DeliveryID, "X-Hookd-Attempt": "1",
			},
		}}
	}
	return out
}

// benchCycle publishes b.N events (untimed), then claims them 100 at a time
// and records each claim's results as successes, timing the claims, the
// records, or both. Per op: one delivery.
func benchCycle(b *testing.B, timeClaim, timeRecord bool) {
	db := benchStore(b)
	ctx := context.Background()
	events := make([]hookd.NewEvent, 500)
	for left := b.N; left > 0; left -= len(events) {
		n := min(left, len(events))
		for i := range n {
			events[i] = hookd.NewEvent{Type: "x.created", Payload: benchPayload, RequestHash: "h", CreatedAt: time.Now()}
		}
		if _, err := db.PublishEvents(ctx, "t", events[:n], nil); err != nil {
			b.Fatal(err)
		}
	}
	var cpu time.Duration // of the timed parts: steadier than wall time on a shared machine
	timed := func(on bool, f func()) {
		if !on {
			b.StopTimer()
			f()
			b.StartTimer()
			return
		}
		before := cpuTime()
		f()
		cpu += cpuTime() - before
	}
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		var jobs []*hookd.Job
		timed(timeClaim, func() {
			var err error
			jobs, err = db.ClaimDeliveries(ctx, time.Now(), 100, time.Minute, 0)
			if err != nil || len(jobs) == 0 {
				b.Fatalf("claimed %d: %v", len(jobs), err)
			}
		})
		results := benchResults(jobs)
		timed(timeRecord, func() {
			if _, err := db.RecordAttempts(ctx, results); err != nil {
				b.Fatal(err)
			}
		})
		done += len(jobs)
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkClaim is the claim of due deliveries, 100 per claim (per op: one).
func BenchmarkClaim(b *testing.B) { benchCycle(b, true, false) }

// BenchmarkRecord is recording successful attempts, 100 per transaction
// (per op: one).
func BenchmarkRecord(b *testing.B) { benchCycle(b, false, true) }

// BenchmarkClaimRecord is a delivery's whole store work after publish.
func BenchmarkClaimRecord(b *testing.B) { benchCycle(b, true, true) }

// BenchmarkClaimRecordWithHistory: does finished work keep costing the claim
// and the record (storetest.BenchDecay)? Run with -benchtime 1x.
func BenchmarkClaimRecordWithHistory(b *testing.B) {
	var path string
	storetest.BenchDecay(b, func(t testing.TB) hookd.Store {
		key, _ := secretbox.ParseKey(secretbox.NewKey())
		box, _ := secretbox.New(key)
		path = filepath.Join(t.TempDir(), "decay.db")
		db, err := Open(context.Background(), path, box)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}, storetest.DecayConfig{N: 5000, History: 50000, IdleEndpoints: 100, Batch: 100, CPU: cpuTime,
		Size: func() int64 { // the file and its WAL
			var n int64
			for _, p := range []string{path, path + "-wal"} {
				if fi, err := os.Stat(p); err == nil {
					n += fi.Size()
				}
			}
			return n
		}})
}

// BenchmarkPublishFiltered: a publish to 100 endpoints with and without a
// content filter on each (storetest.BenchPublishFiltered).
func BenchmarkPublishFiltered(b *testing.B) {
	storetest.BenchPublishFiltered(b, func(t testing.TB) hookd.Store {
		key, _ := secretbox.ParseKey(secretbox.NewKey())
		box, _ := secretbox.New(key)
		db, err := Open(context.Background(), filepath.Join(t.TempDir(), "filter.db"), box)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}

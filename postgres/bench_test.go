package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/pgtest"
	"github.com/hookd/hookd/storetest"
)

// BenchmarkPublishOne is one event per transaction, the unbatched API path.
func BenchmarkPublishOne(b *testing.B) {
	dbs, _ := nodes(b, 1, 1000)
	ctx := context.Background()
	payload := []byte(`{"id":"evt_x","type":"x","data":{"name":"Ada Lovelace","email":"ada@example.com","n":42}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := dbs[0].PublishEvents(ctx, "t", []hookd.NewEvent{{Type: "x", Payload: payload, RequestHash: "h", CreatedAt: time.Now()}}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPublishConcurrent is one event per call from 32 callers at once.
func BenchmarkPublishConcurrent(b *testing.B) {
	dbs, _ := nodes(b, 1, 1000)
	ctx := context.Background()
	payload := []byte(`{"id":"evt_x","type":"x","data":{"name":"Ada Lovelace","email":"ada@example.com","n":42}}`)
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := dbs[0].PublishEvents(ctx, "t", []hookd.NewEvent{{Type: "x", Payload: payload, RequestHash: "h", CreatedAt: time.Now()}}, nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkClaimRecord256 claims a batch of 256 due deliveries and records a
// success for each, the dispatcher's two writes (per op: 256 deliveries).
func BenchmarkClaimRecord256(b *testing.B) {
	const batch = 256
	dbs, _ := nodes(b, 1, 1000)
	db := dbs[0]
	ctx := context.Background()
	b.StopTimer()
	publishN(b, db, batch*(b.N+1))
	b.StartTimer()
	start := time.Now()
	for range b.N {
		jobs, err := db.ClaimDeliveries(ctx, time.Now(), batch, time.Minute, 0)
		if err != nil || len(jobs) != batch {
			b.Fatalf("claimed %d: %v", len(jobs), err)
		}
		results := make([]hookd.AttemptResult, len(jobs))
		for i, j := range jobs {
			results[i] = hookd.AttemptResult{Job: j, Outcome: hookd.Outcome{Success: true},
				Attempt: hookd.Attempt{Number: j.Attempt, At: time.Now(), URL: j.URL, StatusCode: 200, Duration: hookd.Millis(time.Millisecond)}}
		}
		if _, err := db.RecordAttempts(ctx, results); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(batch*b.N)/time.Since(start).Seconds(), "deliveries/s")
}

// BenchmarkClaimRecordWithHistory: does finished work keep costing the claim
// and the record (storetest.BenchDecay)? CPU counts this process and the
// database's backends serving this test's database. With
// HOOKD_BENCH_VACUUM=1 each purge is followed by the VACUUM autovacuum
// would run (for servers where it is off, as on this project's CI).
// Run with -benchtime 1x.
func BenchmarkClaimRecordWithHistory(b *testing.B) {
	var dbURL string
	var afterPurge func()
	if os.Getenv("HOOKD_BENCH_VACUUM") == "1" {
		afterPurge = func() { adminExec(b, dbURL, "VACUUM deliveries, attempts, events") }
	}
	storetest.BenchDecay(b, func(t testing.TB) hookd.Store {
		dbURL = pgtest.Database(t, os.Getenv(pgtest.EnvVar))
		return openTestDB(t, dbURL)
	}, storetest.DecayConfig{N: 5000, History: 50000, IdleEndpoints: 100, Batch: 256,
		CPU:  func() time.Duration { return processCPU() + backendCPU(b, dbURL) },
		Size: func() int64 { return tablesSize(b, dbURL) }, AfterPurge: afterPurge})
}

// backendCPU is the CPU time of the PostgreSQL backends now connected to
// dbURL's database (the server runs on this machine; /proc/<pid>/stat).
func backendCPU(t testing.TB, dbURL string) time.Duration {
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	rows, err := conn.Query(t.Context(), `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	if err != nil {
		t.Fatal(err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		t.Fatal(err)
	}
	var ticks int64
	for _, pid := range pids {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue // gone meanwhile
		}
		// Fields after the parenthesised command: utime and stime are the 12th and 13th.
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		for _, s := range f[11:13] {
			n, _ := strconv.ParseInt(s, 10, 64)
			ticks += n
		}
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ
}

func adminExec(t testing.TB, dbURL, sql string) {
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	if _, err := conn.Exec(t.Context(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// tablesSize is the size of deliveries, attempts and events with their
// indexes and TOAST.
func tablesSize(t testing.TB, dbURL string) int64 {
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	var n int64
	if err := conn.QueryRow(t.Context(), `SELECT pg_total_relation_size('deliveries') + pg_total_relation_size('attempts')
		+ pg_total_relation_size('events')`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// processCPU is this process's user and system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPublishFiltered: a publish to 100 endpoints with and without a
// content filter on each (storetest.BenchPublishFiltered).
func BenchmarkPublishFiltered(b *testing.B) {
	storetest.BenchPublishFiltered(b, func(t testing.TB) hookd.Store {
		return openTestDB(t, pgtest.Database(t, os.Getenv(pgtest.EnvVar)))
	})
}

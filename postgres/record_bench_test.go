package postgres_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/pgtest"
)

// BenchmarkRecord256 records successes 256 per call, the claims untimed
// (per op: one delivery). Beside wall time it reports the CPU of this
// process (cpu-ns/op) and of the database's backends serving it
// (pg-cpu-ns/op, read from /proc: the server must run on this machine).
func BenchmarkRecord256(b *testing.B) {
	const batch = 256
	dbURL := pgtest.Database(b, os.Getenv(pgtest.EnvVar))
	dbs, _ := nodesOn(b, dbURL, 1, 1000)
	db := dbs[0]
	ctx := context.Background()
	publishN(b, db, b.N)
	var cpu, pgCPU, wall time.Duration
	b.ResetTimer()
	b.StopTimer()
	for done := 0; done < b.N; {
		jobs, err := db.ClaimDeliveries(ctx, time.Now(), min(batch, b.N-done), time.Minute, 0)
		if err != nil || len(jobs) == 0 {
			b.Fatalf("claimed %d: %v", len(jobs), err)
		}
		results := make([]hookd.AttemptResult, len(jobs))
		for i, j := range jobs {
			results[i] = hookd.AttemptResult{Job: j, Outcome: hookd.Outcome{Success: true},
				Attempt: hookd.Attempt{Number: j.Attempt, At: time.Now(), URL: j.URL, StatusCode: 200, Duration: hookd.Millis(time.Millisecond)}}
		}
		pg0 := backendCPU(b, dbURL)
		cpu0, wall0 := processCPU(), time.Now()
		b.StartTimer()
		if _, err := db.RecordAttempts(ctx, results); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		cpu += processCPU() - cpu0
		wall += time.Since(wall0)
		pgCPU += backendCPU(b, dbURL) - pg0
		done += len(jobs)
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(pgCPU.Nanoseconds())/float64(b.N), "pg-cpu-ns/op")
	b.ReportMetric(float64(b.N)/wall.Seconds(), "deliveries/s")
}

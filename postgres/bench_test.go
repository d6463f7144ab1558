package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

// BenchmarkPublishOne is one event per transaction, the unbatched API path.
func BenchmarkPublishOne(b *testing.B) {
	dbs, _ := nodes(b, 1, 1000)
	ctx := context.Background()
	payload := []byte(`{"id":"evt_x","type":"x","data":{"name":"Ada Lovelace","email":"ada@example.com","n":42}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := dbs[0].PublishEvents(ctx, "t", []hookd.NewEvent{{Type: "x", Payload: payload, RequestHash: "h", CreatedAt: time.Now()}}); err != nil {
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
			if _, err := dbs[0].PublishEvents(ctx, "t", []hookd.NewEvent{{Type: "x", Payload: payload, RequestHash: "h", CreatedAt: time.Now()}}); err != nil {
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

package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/secretbox"
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
		if _, err := db.PublishEvents(ctx, "t", []hookd.NewEvent{{Type: "x.created", Payload: benchPayload, RequestHash: "h", CreatedAt: time.Now()}}); err != nil {
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
		if _, err := db.PublishEvents(ctx, "t", events); err != nil {
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
			if _, err := db.PublishEvents(ctx, "t", []hookd.NewEvent{{Type: "x.created", Payload: benchPayload, RequestHash: "h", CreatedAt: time.Now()}}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

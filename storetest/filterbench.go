package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

// BenchPublishFiltered measures what content filters cost a publish: one
// event per op fanned out to 100 endpoints, with no filter ("none") and with
// a filter on each ("filter", passing every event, so both create the same
// 100 deliveries and the difference is the filters' work). open returns a
// fresh store.
func BenchPublishFiltered(b *testing.B, open func(testing.TB) hookd.Store) {
	for _, c := range []struct{ name, filter string }{
		{"none", ""},
		{"filter", `event.data.n == 42 && event.data.name.startsWith("Ada") && "b" in event.data.tags`},
	} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			s := open(b)
			if err := s.CreateTenant(ctx, &hookd.Tenant{ID: "t", Name: "t"}); err != nil {
				b.Fatal(err)
			}
			if err := s.CreateEventType(ctx, &hookd.EventType{Name: "x.created"}); err != nil {
				b.Fatal(err)
			}
			for i := range 100 {
				e := &hookd.Endpoint{TenantID: "t", Name: fmt.Sprint("e", i), URL: "https://example.com", EventTypes: []string{"*"},
					Enabled: true, MaxInFlight: 10, Filter: c.filter}
				if err := s.CreateEndpoint(ctx, e, "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"); err != nil {
					b.Fatal(err)
				}
			}
			data := []byte(`{"name":"Ada Lovelace","email":"ada@example.com","tags":["a","b"],"n":42}`)
			payload := []byte(`{"id":"evt_x","type":"x.created","timestamp":"2026-01-01T00:00:00.000Z","data":` + string(data) + `}`)
			b.ReportAllocs()
			for b.Loop() {
				res, err := s.PublishEvents(ctx, "t", []hookd.NewEvent{{Type: "x.created", Payload: payload, Data: data, RequestHash: "h", CreatedAt: time.Now()}}, nil)
				if err != nil {
					b.Fatal(err)
				}
				if res[0].Deliveries != 100 {
					b.Fatalf("%d deliveries, want 100", res[0].Deliveries)
				}
			}
		})
	}
}

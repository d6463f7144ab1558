package api

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/dispatch"
	"github.com/hookd/hookd/internal/receivertest"
	"github.com/hookd/hookd/metrics"
	"github.com/hookd/hookd/service"
)

// TestPublishHandsOff: events published through the API on a node whose
// dispatcher has free workers reach a real receiver once each without any
// claim leasing them.
func TestPublishHandsOff(t *testing.T) {
	db, _ := testDB(t)
	ctx := t.Context()
	url, receivedOnce := receivertest.Counting(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.CreateTenant(ctx, &hookd.Tenant{ID: "acme", Name: "Acme"}))
	must(db.CreateEventType(ctx, &hookd.EventType{Name: "x"}))
	ep := &hookd.Endpoint{TenantID: "acme", Name: "e", URL: url, EventTypes: []string{"*"}, Enabled: true, MaxInFlight: 10}
	must(db.CreateEndpoint(ctx, ep, "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"))
	key, hash := service.NewKey()
	must(db.CreateAPIKey(ctx, &hookd.APIKey{Name: "admin", Role: hookd.RoleAdmin, Prefix: service.DisplayPrefix(key), Hash: hash}))

	m := metrics.New(db)
	store := m.Wrap(db) // counts claims and hand-offs
	// A poll that never comes in the test: only a wake-up would claim.
	d := dispatch.New(store, dispatch.Config{AllowPrivate: true, Workers: 8, PollInterval: time.Hour,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	runCtx, stop := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { _ = d.Run(runCtx); close(ran) }()
	t.Cleanup(func() { stop(); <-ran })
	for d.Offer() == nil { // Run has not started yet
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // its first claim, of nothing, is over

	s := New(store, d, Config{}, nil)
	delivered := func(n int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			ds, err := db.Deliveries(ctx, hookd.DeliveryFilter{TenantID: "acme", Status: hookd.StatusDelivered}, hookd.Page{Limit: 100})
			must(err)
			if len(ds) >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d delivered", len(ds), n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	const events = 20
	for i := range events {
		r := httptest.NewRequest("POST", "/v1/tenants/acme/events", strings.NewReader(`{"type":"x","data":{"n":1}}`))
		r.Header.Set("Authorization", "Bearer "+key)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusAccepted {
			t.Fatalf("publish %d: status %d: %s", i, w.Code, w.Body)
		}
		delivered(i + 1) // one at a time, so a worker is always free: paced, as a steady load
	}
	receivedOnce(events)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{fmt.Sprintf("hookd_deliveries_handed_off_total %d", events), "hookd_claim_batch_size_sum 0"} {
		if !strings.Contains(rec.Body.String(), "\n"+want+"\n") {
			t.Errorf("metrics lack %q: not every delivery was handed off", want)
		}
	}
}

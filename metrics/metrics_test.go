package metrics_test

import (
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/secretbox"
	"github.com/hookd/hookd/metrics"
	"github.com/hookd/hookd/sqlite"
)

// TestStoreMetrics drives a real store through publish, claim and record
// and reads the metrics the way Prometheus does.
func TestStoreMetrics(t *testing.T) {
	box, _ := secretbox.New(make([]byte, secretbox.KeySize))
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "hookd.db"), box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m := metrics.New(db)
	s := m.Wrap(db)
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.CreateTenant(ctx, &hookd.Tenant{ID: "t", Name: "T"}))
	must(s.CreateEventType(ctx, &hookd.EventType{Name: "x"}))
	must(s.CreateEndpoint(ctx, &hookd.Endpoint{TenantID: "t", Name: "e", URL: "https://example.com", EventTypes: []string{"*"},
		Enabled: true, MaxInFlight: 10}, "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"))
	ev := hookd.NewEvent{ID: "e1", Type: "x", Payload: []byte(`{}`), RequestHash: "h", CreatedAt: time.Now()}
	for range 2 { // the second is a duplicate: not counted
		_, err := s.PublishEvents(ctx, "t", []hookd.NewEvent{ev}, nil)
		must(err)
	}
	_, err = s.PublishEvents(ctx, "t", []hookd.NewEvent{{Type: "x", Payload: []byte(`{}`), RequestHash: "h2", CreatedAt: time.Now()}}, nil)
	must(err)
	scrape := func() string {
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		return rec.Body.String()
	}
	want := func(body string, lines ...string) {
		t.Helper()
		for _, l := range lines {
			if !strings.Contains(body, "\n"+l+"\n") {
				t.Errorf("metrics lack %q", l)
			}
		}
	}
	want(scrape(), "hookd_events_published_total 2", "hookd_deliveries_due 2", "hookd_deliveries_in_flight 0")

	jobs, err := s.ClaimDeliveries(ctx, time.Now(), 10, time.Minute, 0)
	must(err)
	want(scrape(), "hookd_claim_batch_size_count 1", "hookd_claim_batch_size_sum 2", "hookd_deliveries_in_flight 2", "hookd_deliveries_due 0")

	_, err = s.RecordAttempts(ctx, []hookd.AttemptResult{
		{Job: jobs[0], Outcome: hookd.Outcome{Success: true}, Attempt: hookd.Attempt{Number: 1, At: time.Now(), StatusCode: 200, Duration: hookd.Millis(20 * time.Millisecond)}},
		{Job: jobs[1], Attempt: hookd.Attempt{Number: 1, At: time.Now(), StatusCode: 500, Duration: hookd.Millis(3 * time.Second)}, NextAttemptAt: time.Now().Add(time.Minute)},
	})
	must(err)
	want(scrape(), `hookd_attempts_total{outcome="delivered"} 1`, `hookd_attempts_total{outcome="retrying"} 1`,
		`hookd_attempts_total{outcome="failed"} 0`, `hookd_deliveries_finished_total{outcome="delivered"} 1`,
		`hookd_deliveries_finished_total{outcome="failed"} 0`, "hookd_record_batch_size_count 1", "hookd_record_batch_size_sum 2", "hookd_attempt_duration_seconds_count 2",
		`hookd_attempt_duration_seconds_bucket{le="0.025"} 1`, "hookd_deliveries_in_flight 0")

	// A publish with an offer of one free worker: its delivery is handed off, in flight at once.
	offer := hookd.NewHandOff(time.Now(), time.Minute, 0, func(n int) int { return min(n, 1) })
	_, err = s.PublishEvents(ctx, "t", []hookd.NewEvent{{Type: "x", Payload: []byte(`{}`), RequestHash: "h3", CreatedAt: time.Now()}}, offer)
	must(err)
	want(scrape(), "hookd_deliveries_handed_off_total 1", "hookd_events_published_total 3", "hookd_deliveries_in_flight 1")

	db.Close() // now every operation fails
	_, _ = s.ClaimDeliveries(ctx, time.Now(), 10, time.Minute, 0)
	want(scrape(), `hookd_db_errors_total{op="claim"} 1`)
}

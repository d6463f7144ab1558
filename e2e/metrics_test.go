package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMetricsMove runs real deliveries (a receiver that answers 200, one
// that answers 500 until the delivery fails for good, one that holds every
// request so the endpoint's next delivery waits past its due time) and reads
// /metrics as Prometheus does: every metric operators alert on is there and
// moves, on both stores.
func TestMetricsMove(t *testing.T) {
	onStores(t, func(t *testing.T, c config) {
		f := newFixture(t, c)
		m := scrapeMetrics(t, f.h)
		for _, name := range []string{`hookd_attempts_total{outcome="delivered"}`, `hookd_deliveries_finished_total{outcome="failed"}`,
			`hookd_db_errors_total{op="claim"}`, `hookd_db_errors_total{op="count_endpoints"}`, `hookd_endpoints{state="disabled_auto"}`,
			`hookd_queue_oldest_due_seconds`, `hookd_deliveries_due`} {
			if v, ok := m[name]; !ok || v != 0 {
				t.Errorf("before any delivery %s = %v (present %v), want 0", name, v, ok)
			}
		}
		if !m.has("hookd_build_info{", `goversion="go`, `version="`) {
			t.Errorf("no hookd_build_info with version and goversion")
		}

		ok := newReceiver(t, 200)
		failing := newReceiver(t, 500)
		held := newHoldingReceiver(t)
		ten := f.tenant()
		f.endpoint(ten, ok.URL, map[string]any{"event_types": []string{typeCreated}})
		f.endpoint(ten, failing.URL, map[string]any{"event_types": []string{typeFailed}, "retry_schedule": []string{"1s"}})
		other := f.tenant()
		f.endpoint(other, held.URL, map[string]any{"max_in_flight": 1})
		idle, _ := f.endpoint(other, ok.URL+"/idle", map[string]any{"event_types": []string{typeFailed}})
		f.admin.must(t, 200, "POST", "/v1/tenants/"+other+"/endpoints/"+idle.ID+"/disable", nil, nil)
		for range 3 {
			f.publish(ten, typeCreated, `{}`)
		}
		f.publish(ten, typeFailed, `{}`)
		f.publish(other, typeCreated, `{}`)
		f.publish(other, typeCreated, `{}`) // waits behind the held one

		eventually(t, 30*time.Second, func() (bool, string) {
			m = scrapeMetrics(t, f.h)
			done := m[`hookd_deliveries_finished_total{outcome="delivered"}`] == 3 &&
				m[`hookd_deliveries_finished_total{outcome="failed"}`] == 1 && m["hookd_queue_oldest_due_seconds"] > 1
			return done, fmt.Sprintf("finished delivered %v, failed %v, oldest due %vs", m[`hookd_deliveries_finished_total{outcome="delivered"}`],
				m[`hookd_deliveries_finished_total{outcome="failed"}`], m["hookd_queue_oldest_due_seconds"])
		})
		for name, want := range map[string]float64{
			`hookd_attempts_total{outcome="delivered"}`: 3,
			`hookd_attempts_total{outcome="retrying"}`:  1, // the 500's first attempt
			`hookd_attempts_total{outcome="failed"}`:    1, // and its retry
			`hookd_events_published_total`:              6,
			`hookd_deliveries_due`:                      1, // behind the held request
			`hookd_deliveries_in_flight`:                1,
			`hookd_endpoints{state="active"}`:           3,
			`hookd_endpoints{state="disabled_manual"}`:  1,
			`hookd_endpoints{state="disabled_auto"}`:    0,
			`hookd_db_errors_total{op="record"}`:        0,
		} {
			if m[name] != want {
				t.Errorf("%s = %v, want %v", name, m[name], want)
			}
		}
		for _, name := range []string{"hookd_claim_batch_size_count", "hookd_record_batch_size_count", "hookd_attempt_duration_seconds_count"} {
			if m[name] < 1 {
				t.Errorf("%s = %v, want observations", name, m[name])
			}
		}
		publishRoute := `route="POST /v1/tenants/{tenant}/events"`
		if got := m.sum("hookd_http_requests_total{", `code="202"`, publishRoute); got != 6 {
			t.Errorf("publish requests counted %v, want 6", got)
		}
		if got := m.sum("hookd_http_request_duration_seconds_count{", publishRoute); got != 6 {
			t.Errorf("publish latencies observed %v, want 6", got)
		}
		resp, err := http.Get(f.h.url + "/no/such/" + strconv.Itoa(int(time.Now().UnixNano())))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		m = scrapeMetrics(t, f.h)
		if got := m.sum("hookd_http_requests_total{", `route="unmatched"`, `code="404"`); got != 1 {
			t.Errorf("unmatched 404s = %v, want 1 under the fixed route label", got)
		}
		if m.has("hookd_http_requests_total{", "/no/such/") {
			t.Errorf("an unmatched path became a label")
		}
	})
}

// metricSet is a scrape: each sample's name with its labels → value.
type metricSet map[string]float64

func scrapeMetrics(t testing.TB, h *hookdProc) metricSet {
	t.Helper()
	resp, err := http.Get(h.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, body)
	}
	m := metricSet{}
	for _, line := range strings.Split(string(body), "\n") {
		if i := strings.LastIndexByte(line, ' '); i > 0 && !strings.HasPrefix(line, "#") {
			if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
				m[line[:i]] = v
			}
		}
	}
	return m
}

// sum adds the samples whose name and labels contain every part.
func (m metricSet) sum(parts ...string) float64 {
	total := 0.0
	for k, v := range m {
		if containsAll(k, parts) {
			total += v
		}
	}
	return total
}

func (m metricSet) has(parts ...string) bool {
	for k := range m {
		if containsAll(k, parts) {
			return true
		}
	}
	return false
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// TestMonitoringFilesNameRealMetrics checks that the alert rules and the
// Grafana dashboard in deploy/ use only metrics a running hookd exposes, and
// that docs/operations.md shows the rules file as it is.
func TestMonitoringFilesNameRealMetrics(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	read := func(rel string) string {
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	rules := read("deploy/prometheus/alerts.yaml")
	if !strings.Contains(read("docs/operations.md"), "```yaml\n"+rules+"```\n") {
		t.Errorf("docs/operations.md does not show deploy/prometheus/alerts.yaml as it is")
	}
	h := startHookd(t, config{})
	scrapeMetrics(t, h) // the request series exist from the first request on
	m := scrapeMetrics(t, h)
	exposed := map[string]bool{}
	for k := range m {
		name, _, _ := strings.Cut(k, "{")
		exposed[name] = true
	}
	for _, file := range []string{"deploy/prometheus/alerts.yaml", "deploy/grafana/hookd.json"} {
		names := regexp.MustCompile(`\bhookd_[a-z_]+`).FindAllString(read(file), -1)
		if len(names) == 0 {
			t.Errorf("%s names no hookd metric", file)
		}
		for _, n := range names {
			if !exposed[n] {
				t.Errorf("%s uses %s, which hookd does not expose", file, n)
			}
		}
	}
}

// Package metrics exposes hookd's Prometheus metrics. It observes the
// delivery pipeline from the one place every event and attempt passes
// through, the Store: Wrap returns the store with metrics around it, so the
// engine and the API need no hooks of their own. HTTP requests are observed
// by a middleware (Instrument) around the whole handler.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/filter"
	"github.com/hookd/hookd/internal/buildinfo"
)

// Metrics holds one process's collectors.
type Metrics struct {
	reg         *prometheus.Registry
	published   prometheus.Counter
	attempts    *prometheus.CounterVec
	finished    *prometheus.CounterVec
	latency     prometheus.Histogram
	claimBatch  prometheus.Histogram
	recordBatch prometheus.Histogram
	handedOff   prometheus.Counter
	dbErrors    *prometheus.CounterVec
	requests    *prometheus.CounterVec
	reqLatency  *prometheus.HistogramVec
}

// Outcomes of an attempt, the values of hookd_attempts_total's label;
// delivered, failed and cancelled also end the delivery (hookd_deliveries_finished_total).
const (
	OutcomeDelivered = "delivered" // 2xx
	OutcomeRetrying  = "retrying"  // failed, another attempt scheduled
	OutcomeFailed    = "failed"    // failed for good
	OutcomeGone      = "gone"      // 410: the endpoint is disabled, the delivery paused
	OutcomeCancelled = "cancelled" // the endpoint's transformation cancelled it: no request
)

// dbOps are the store operations whose failures are counted, listed so
// that each series exists at 0 from the start (an alert on a rate needs it).
var dbOps = []string{"publish", "claim", "record", "release", "ping", "ready", "count_queue", "next_due", "count_endpoints"}

// batchBuckets are the buckets of the claim and record batch sizes.
var batchBuckets = []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}

// New registers hookd's collectors, the Go runtime's and the process's.
// The queue gauges (due, in flight, oldest due) and the endpoint counts
// read store at each scrape, when it offers them (hookd.QueueCounter,
// hookd.EndpointCounter).
func New(store hookd.Store) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookd_events_published_total", Help: "Events accepted by publish (duplicates of an idempotency key excluded)."}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookd_attempts_total", Help: "Delivery attempts recorded by this process, by outcome (delivered, retrying, failed, gone)."},
			[]string{"outcome"}),
		finished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookd_deliveries_finished_total", Help: "Deliveries that ended with an attempt recorded by this process: delivered, or failed for good."},
			[]string{"outcome"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "hookd_attempt_duration_seconds", Help: "Time from sending a delivery request to its answer (or error).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}}),
		claimBatch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "hookd_claim_batch_size", Help: "Deliveries leased per claim by this process (claims that found work).",
			Buckets: batchBuckets}),
		recordBatch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "hookd_record_batch_size", Help: "Attempt results written per recorder transaction by this process.",
			Buckets: batchBuckets}),
		handedOff: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookd_deliveries_handed_off_total", Help: "Deliveries leased to this process by its own publishes (hand-off), sent without a claim."}),
		dbErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookd_db_errors_total", Help: "Database operations that failed (unavailable or unexpected errors), by operation."},
			[]string{"op"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookd_http_requests_total", Help: "HTTP requests served, by route pattern and status code."},
			[]string{"route", "code"}),
		reqLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hookd_http_request_duration_seconds", Help: "Time to serve an HTTP request, by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}},
			[]string{"route"}),
	}
	info := buildinfo.Get()
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "hookd_build_info", Help: "Always 1; the labels say which build of hookd runs."},
		[]string{"version", "commit", "goversion"})
	build.WithLabelValues(info.Version, info.Commit, info.GoVersion).Set(1)
	undecided := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "hookd_filter_undecided_total",
		Help: "Content filter evaluations at publish that could not decide (error or cost limit): no delivery."},
		func() float64 { return float64(filter.EvalErrors()) })
	m.reg.MustRegister(m.published, m.attempts, m.finished, m.latency, m.claimBatch, m.recordBatch, m.handedOff, m.dbErrors,
		m.requests, m.reqLatency, build, undecided,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, o := range []string{OutcomeDelivered, OutcomeRetrying, OutcomeFailed, OutcomeGone, OutcomeCancelled} {
		m.attempts.WithLabelValues(o) // present at 0 from the start
	}
	for _, o := range []string{OutcomeDelivered, OutcomeFailed, OutcomeCancelled} {
		m.finished.WithLabelValues(o)
	}
	for _, op := range dbOps {
		m.dbErrors.WithLabelValues(op)
	}
	m.reg.MustRegister(newStateCollector(store, m))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// failed counts err when it is the database's failure (not a domain error
// such as not found or invalid input) and reports whether there was one.
func (m *Metrics) failed(op string, err error) bool {
	switch hookd.ErrorCode(err) {
	case "":
		return false
	case hookd.EUNAVAILABLE, hookd.EINTERNAL:
		m.dbErrors.WithLabelValues(op).Inc()
	}
	return true
}

// Outcome names an attempt result's outcome.
func Outcome(r *hookd.AttemptResult) string {
	switch {
	case r.Outcome.Success:
		return OutcomeDelivered
	case r.Outcome.Gone:
		return OutcomeGone
	case r.Outcome.Cancelled:
		return OutcomeCancelled
	case r.NextAttemptAt.IsZero():
		return OutcomeFailed
	}
	return OutcomeRetrying
}

// scrapeTimeout bounds the database reads of one scrape.
const scrapeTimeout = 5 * time.Second

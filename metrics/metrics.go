// Package metrics exposes hookd's Prometheus metrics. It observes the
// delivery pipeline from the one place every event and attempt passes
// through, the Store: Wrap returns the store with metrics around it, so the
// engine and the API need no hooks of their own.
package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hookd/hookd"
)

// Metrics holds one process's collectors.
type Metrics struct {
	reg        *prometheus.Registry
	published  prometheus.Counter
	outcomes   *prometheus.CounterVec
	latency    prometheus.Histogram
	claimBatch prometheus.Histogram
	handedOff  prometheus.Counter
	dbErrors   *prometheus.CounterVec
}

// Outcomes of an attempt, the values of hookd_deliveries_total's label.
const (
	OutcomeDelivered = "delivered" // 2xx
	OutcomeRetrying  = "retrying"  // failed, another attempt scheduled
	OutcomeFailed    = "failed"    // failed for good
	OutcomeGone      = "gone"      // 410: the endpoint is disabled
)

// New registers hookd's collectors, the Go runtime's and the process's.
// When store counts its queue (hookd.QueueCounter), the due and in-flight
// gauges read it at each scrape.
func New(store hookd.Store) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookd_events_published_total", Help: "Events accepted by publish (duplicates of an idempotency key excluded)."}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookd_deliveries_total", Help: "Delivery attempts recorded by this process, by outcome (delivered, retrying, failed, gone)."},
			[]string{"outcome"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "hookd_attempt_duration_seconds", Help: "Time from sending a delivery request to its answer (or error).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}}),
		claimBatch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "hookd_claim_batch_size", Help: "Deliveries leased per claim by this process (claims that found work).",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}}),
		handedOff: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookd_deliveries_handed_off_total", Help: "Deliveries leased to this process by its own publishes (hand-off), sent without a claim."}),
		dbErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookd_db_errors_total", Help: "Database operations that failed (unavailable or unexpected errors), by operation."},
			[]string{"op"}),
	}
	m.reg.MustRegister(m.published, m.outcomes, m.latency, m.claimBatch, m.handedOff, m.dbErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, o := range []string{OutcomeDelivered, OutcomeRetrying, OutcomeFailed, OutcomeGone} {
		m.outcomes.WithLabelValues(o) // present at 0 from the start
	}
	if qc, ok := store.(hookd.QueueCounter); ok {
		m.reg.MustRegister(&queueCollector{qc: qc, m: m,
			due: prometheus.NewDesc("hookd_deliveries_due", "Deliveries due now and not leased, in the whole database.", nil, nil),
			inFlight: prometheus.NewDesc("hookd_deliveries_in_flight",
				"Deliveries leased to a worker (being attempted) on any node.", nil, nil)})
	}
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// queueCollector counts the queue in the database at scrape time.
type queueCollector struct {
	qc            hookd.QueueCounter
	m             *Metrics
	due, inFlight *prometheus.Desc
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.due; ch <- c.inFlight }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	due, inFlight, err := c.qc.CountQueue(ctx, time.Now())
	if c.m.failed("count_queue", err) {
		return // a gap in the series, rather than a false zero
	}
	ch <- prometheus.MustNewConstMetric(c.due, prometheus.GaugeValue, float64(due))
	ch <- prometheus.MustNewConstMetric(c.inFlight, prometheus.GaugeValue, float64(inFlight))
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
	case r.NextAttemptAt.IsZero():
		return OutcomeFailed
	}
	return OutcomeRetrying
}

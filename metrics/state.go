package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookd/hookd"
)

// stateCollector reads the database's state at scrape time: the queue
// (every node reports the same numbers) and the endpoints by state. Each
// read walks the index the claim uses or a small table, under one deadline;
// a failed read leaves a gap in its series rather than a false zero.
type stateCollector struct {
	store                 hookd.Store
	m                     *Metrics
	due, inFlight, oldest *prometheus.Desc
	endpoints             *prometheus.Desc
}

func newStateCollector(store hookd.Store, m *Metrics) *stateCollector {
	return &stateCollector{store: store, m: m,
		due: prometheus.NewDesc("hookd_deliveries_due", "Deliveries due now and not leased, in the whole database.", nil, nil),
		inFlight: prometheus.NewDesc("hookd_deliveries_in_flight",
			"Deliveries leased to a worker (being attempted) on any node.", nil, nil),
		oldest: prometheus.NewDesc("hookd_queue_oldest_due_seconds",
			"How late the most overdue due delivery is (now minus its due time; 0 when none is overdue), whole database.", nil, nil),
		endpoints: prometheus.NewDesc("hookd_endpoints",
			"Endpoints of every tenant by state: active, or disabled_ and the reason (manual, auto, gone).", []string{"state"}, nil),
	}
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.due
	ch <- c.inFlight
	ch <- c.oldest
	ch <- c.endpoints
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	now := time.Now()
	if qc, ok := c.store.(hookd.QueueCounter); ok {
		due, inFlight, err := qc.CountQueue(ctx, now)
		if !c.m.failed("count_queue", err) {
			ch <- prometheus.MustNewConstMetric(c.due, prometheus.GaugeValue, float64(due))
			ch <- prometheus.MustNewConstMetric(c.inFlight, prometheus.GaugeValue, float64(inFlight))
		}
	}
	// NextDueAt is the earliest next_attempt_at of the waiting deliveries
	// (deliveries_due, as the claim reads it); a leased one's is its lease
	// end, so only what is due and unclaimed can be in the past.
	next, ok, err := c.store.NextDueAt(ctx)
	if !c.m.failed("next_due", err) {
		late := 0.0
		if ok && next.Before(now) {
			late = now.Sub(next).Seconds()
		}
		ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, late)
	}
	if ec, ok := c.store.(hookd.EndpointCounter); ok {
		states, err := ec.CountEndpointStates(ctx)
		if !c.m.failed("count_endpoints", err) {
			for _, s := range []string{hookd.EndpointState(true, ""), hookd.EndpointState(false, hookd.DisabledManual),
				hookd.EndpointState(false, hookd.DisabledAuto), hookd.EndpointState(false, hookd.DisabledGone)} {
				ch <- prometheus.MustNewConstMetric(c.endpoints, prometheus.GaugeValue, float64(states[s]), s)
			}
		}
	}
}

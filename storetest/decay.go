package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

// DecayConfig sizes BenchDecay.
type DecayConfig struct {
	// N deliveries are published, claimed and recorded in each measured round.
	N int
	// History finished deliveries (one in ten failed, each with its attempt)
	// accumulate between the first round and the second.
	History int
	// IdleEndpoints are created beside the busy one and never get work: the
	// endpoints a long-lived deployment has created and no longer uses.
	IdleEndpoints int
	// Batch is how many deliveries a claim asks for.
	Batch int
	// CPU is the CPU time spent so far by this process and the database
	// (for PostgreSQL, its backends); CPU per delivery is what it adds.
	CPU func() time.Duration
	// Size is the store's size on disk, bytes (nil: not reported).
	Size func() int64
	// AfterPurge, if set, runs after each purge: e.g. the VACUUM that
	// autovacuum would run by then, on a server where it is off.
	AfterPurge func()
}

// BenchDecay measures whether finished work keeps costing the hot path:
// the claim and record of N fresh deliveries on a fresh store ("fresh"),
// again after History finished deliveries accumulated ("history"), and
// again after the retention purge removed them ("purged"). It reports each
// round's deliveries/s and CPU µs per delivery, and the rounds' rates as
// ratios to the first; and after each round the wall time of a purge that
// finds nothing to remove (the maintenance runner's tick between
// expiries), which must not grow with the history retention keeps. With
// cfg.Size it reports the size after each round and after History more and
// another purge ("again"): retention that reuses the space it frees keeps
// that near the size after "purged".
// open returns a fresh store.
func BenchDecay(b *testing.B, open func(testing.TB) hookd.Store, cfg DecayConfig) {
	ctx := context.Background()
	var rate, cpu, idlePurge [3]float64
	var size [4]float64
	for b.Loop() {
		s := open(b)
		d := &decay{b: b, ctx: ctx, s: s, cfg: cfg, start: time.Now()}
		d.setup()
		for i, round := range []func(){nil, func() { d.run(cfg.History) }, d.purge} {
			if round != nil {
				round()
			}
			r, c := d.measure()
			rate[i] += r
			cpu[i] += c
			size[i] += d.size()
			idlePurge[i] += d.idlePurge()
		}
		d.run(cfg.History)
		d.purge()
		size[3] += d.size()
	}
	n := float64(b.N)
	for i, name := range []string{"fresh", "history", "purged"} {
		b.ReportMetric(rate[i]/n, name+"-deliveries/s")
		b.ReportMetric(cpu[i]/n, name+"-cpu-µs/delivery")
		b.ReportMetric(idlePurge[i]/n, name+"-idle-purge-µs")
	}
	b.ReportMetric(rate[1]/rate[0], "history/fresh")
	b.ReportMetric(rate[2]/rate[0], "purged/fresh")
	if cfg.Size != nil {
		for i, name := range []string{"fresh", "history", "purged", "again"} {
			b.ReportMetric(size[i]/n/(1<<20), name+"-MiB")
		}
	}
}

func (d *decay) size() float64 {
	if d.cfg.Size == nil {
		return 0
	}
	return float64(d.cfg.Size())
}

type decay struct {
	b     *testing.B
	ctx   context.Context
	s     hookd.Store
	cfg   DecayConfig
	n     int       // deliveries recorded so far, for the one-in-ten failures
	start time.Time // before anything was made: a cutoff with nothing past it
}

func (d *decay) must(err error, what string) {
	if err != nil {
		d.b.Fatalf("%s: %v", what, err)
	}
}

func (d *decay) setup() {
	d.b.StopTimer()
	defer d.b.StartTimer()
	for _, id := range []string{"t", "idle"} {
		d.must(d.s.CreateTenant(d.ctx, &hookd.Tenant{ID: id, Name: id}), "CreateTenant")
	}
	d.must(d.s.CreateEventType(d.ctx, &hookd.EventType{Name: "x"}), "CreateEventType")
	ep := func(tenant string) *hookd.Endpoint {
		return &hookd.Endpoint{TenantID: tenant, Name: "e", URL: "https://example.com/hook", EventTypes: []string{"*"},
			Enabled: true, MaxInFlight: 1000, Timeout: 5 * time.Second}
	}
	const secret = "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"
	d.must(d.s.CreateEndpoint(d.ctx, ep("t"), secret), "CreateEndpoint")
	for range d.cfg.IdleEndpoints {
		d.must(d.s.CreateEndpoint(d.ctx, ep("idle"), secret), "CreateEndpoint")
	}
}

// measure runs one round of N, timing only the claims and records.
func (d *decay) measure() (perSecond, cpuMicros float64) {
	var wall, cpu time.Duration
	d.publish(d.cfg.N)
	for left := d.cfg.N; left > 0; {
		start, startCPU := time.Now(), d.cfg.CPU()
		n := d.cycle()
		wall += time.Since(start)
		cpu += d.cfg.CPU() - startCPU
		left -= n
	}
	return float64(d.cfg.N) / wall.Seconds(), float64(cpu.Microseconds()) / float64(d.cfg.N)
}

// run publishes, claims and records n deliveries, untimed.
func (d *decay) run(n int) {
	d.b.StopTimer()
	defer d.b.StartTimer()
	for left := n; left > 0; left -= 1000 {
		d.publish(min(left, 1000))
		for done := 0; done < min(left, 1000); {
			done += d.cycle()
		}
	}
}

func (d *decay) publish(n int) {
	events := make([]hookd.NewEvent, 0, 500)
	for left := n; left > 0; left -= len(events) {
		events = events[:0]
		for range min(left, 500) {
			events = append(events, hookd.NewEvent{Type: "x", Payload: []byte(`{"name":"Ada Lovelace","email":"ada@example.com","n":42}`),
				RequestHash: "h", CreatedAt: time.Now()})
		}
		_, err := d.s.PublishEvents(d.ctx, "t", events, nil)
		d.must(err, "PublishEvents")
	}
}

// cycle claims one batch and records it: one in ten fails for good.
func (d *decay) cycle() int {
	jobs, err := d.s.ClaimDeliveries(d.ctx, time.Now(), d.cfg.Batch, time.Minute, 0)
	if err != nil || len(jobs) == 0 {
		d.b.Fatalf("claimed %d: %v", len(jobs), err)
	}
	results := make([]hookd.AttemptResult, len(jobs))
	now := time.Now()
	for i, j := range jobs {
		d.n++
		r := hookd.AttemptResult{Job: j, Outcome: hookd.Outcome{Success: true}, Attempt: hookd.Attempt{
			DeliveryID: j.DeliveryID, Number: j.Attempt, At: now, URL: j.URL, StatusCode: 204,
			Duration: hookd.Millis(time.Millisecond), RequestHeaders: map[string]string{"Webhook-Id": j.EventID}}}
		if d.n%10 == 0 {
			r.Outcome.Success, r.Attempt.StatusCode, r.Attempt.ResponseBody = false, 500, "no"
		}
		results[i] = r
	}
	_, err = d.s.RecordAttempts(d.ctx, results)
	d.must(err, "RecordAttempts")
	return len(jobs)
}

// purge runs retention over everything finished, as the maintenance runner
// does (batches of 500), untimed.
func (d *decay) purge() {
	d.b.StopTimer()
	defer d.b.StartTimer()
	cutoff := time.Now().Add(time.Second)
	for {
		p, err := d.s.Purge(d.ctx, cutoff, 500)
		d.must(err, "Purge")
		if p.Deliveries < 500 && p.Events < 500 {
			break
		}
	}
	if d.cfg.AfterPurge != nil {
		d.cfg.AfterPurge()
	}
}

// idlePurge is the mean wall time, µs, of ten purges with a cutoff before
// anything was made, so that none removes anything, untimed.
func (d *decay) idlePurge() float64 {
	d.b.StopTimer()
	defer d.b.StartTimer()
	const calls = 10
	start := time.Now()
	for range calls {
		p, err := d.s.Purge(d.ctx, d.start, 500)
		d.must(err, "Purge")
		if p != (hookd.Purged{}) {
			d.b.Fatalf("a purge with a cutoff before the first delivery removed %+v", p)
		}
	}
	return float64(time.Since(start).Microseconds()) / calls
}

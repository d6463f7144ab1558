package bench

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Soak runs the throughput scenario cfg.Rounds times on one server and one
// database, with retention purging the finished history between rounds: if
// the hot path decays as history comes and goes, the rounds slow down.
// `all` does not include it.
const Soak = "soak"

// Round is one round of the soak scenario: a throughput run on the same
// tenant and endpoints as the rounds before it.
type Round struct {
	Round               int     `json:"round"`
	Events              int     `json:"events"`
	Deliveries          int     `json:"deliveries"`
	Lost                int     `json:"lost"`
	Duplicates          int     `json:"duplicates"`
	BadSignatures       int     `json:"bad_signatures"`
	PublishErrors       int     `json:"publish_errors"`
	Seconds             float64 `json:"seconds"`
	DeliveriesPerSecond float64 `json:"deliveries_per_second"`
	CeilingPerSecond    float64 `json:"ceiling_per_second,omitempty"`
	CeilingRatio        float64 `json:"ceiling_ratio,omitempty"`
	P50                 float64 `json:"p50_ms"`
	P99                 float64 `json:"p99_ms"`
	CPU
	// PurgeWaitSeconds is how long the bench waited after the round for
	// retention to remove its history; PurgeCPUPer1000 the server's and the
	// database's CPU meanwhile, per 1,000 of the round's deliveries.
	PurgeWaitSeconds float64 `json:"purge_wait_seconds,omitempty"`
	PurgeCPUPer1000  float64 `json:"purge_cpu_seconds_per_1000_deliveries,omitempty"`
	// Size is the database's after the wait.
	Size  *DatabaseSize `json:"size,omitempty"`
	Notes []string      `json:"notes,omitempty"`
}

// soak fills res with the totals of every round, and res.Rounds with each.
// It stops after a round that lost or duplicated anything.
func (s *session) soak(ctx context.Context, res *Result) error {
	cfg := s.cfg
	res.RetentionSeconds = cfg.Retention.Seconds()
	tenant, g, err := s.phase(ctx, cfg.Fanout)
	if err != nil {
		return err
	}
	var used cpuSeconds
	var latencies []time.Duration
	var ceilings []float64
	for i := 1; i <= cfg.Rounds && ctx.Err() == nil; i++ {
		if i > 1 {
			next := s.sink.NewGroup()
			s.sink.Regroup(g, next)
			g = next
		}
		r := s.runner.newResult(Soak)
		c, err := s.throughputRound(ctx, r, tenant, g, false)
		if err != nil {
			return fmt.Errorf("round %d: %w", i, err)
		}
		rd := Round{Round: i, Events: r.Events, Deliveries: r.Deliveries, Lost: r.Lost, Duplicates: r.Duplicates,
			BadSignatures: r.BadSignatures, PublishErrors: r.PublishErrors, Seconds: r.Seconds,
			DeliveriesPerSecond: r.DeliveriesPerSecond, CeilingPerSecond: r.CeilingPerSecond, CeilingRatio: r.CeilingRatio,
			P50: r.P50, P99: r.P99, CPU: r.CPU, Notes: r.Notes}
		if i == 1 {
			used = c
		} else {
			used = used.plus(c)
		}
		latencies = append(latencies, g.Latencies()...)
		ceilings = append(ceilings, r.CeilingPerSecond)
		res.Events += r.Events
		res.Expected += r.Expected
		res.Deliveries += r.Deliveries
		res.Lost += r.Lost
		res.Duplicates += r.Duplicates
		res.BadSignatures += r.BadSignatures
		res.PublishErrors += r.PublishErrors
		res.Seconds += r.Seconds
		res.Leases = res.Leases.plus(r.Leases)
		res.Fanout, res.Batch, res.Publishers, res.Concurrency = r.Fanout, r.Batch, r.Publishers, r.Concurrency
		res.PayloadBytes, res.PeakRSSMiB = r.PayloadBytes, r.PeakRSSMiB
		if r.Failed() {
			res.Rounds = append(res.Rounds, rd)
			res.Notes = append(res.Notes, fmt.Sprintf("stopped after round %d, which lost or duplicated deliveries", i))
			break
		}
		s.afterRound(ctx, &rd, tenant)
		res.Rounds = append(res.Rounds, rd)
		if s.cfg.Progress != nil {
			fmt.Fprintf(s.cfg.Progress, "  soak: round %d of %d: %.0f deliveries/s (%.3f of the ceiling)%s\n",
				i, cfg.Rounds, rd.DeliveriesPerSecond, rd.CeilingRatio, sizeLine(rd.Size))
		}
	}
	res.Seconds = round(res.Seconds, 3)
	res.DeliveriesPerSecond = perSecond(res.Deliveries, time.Duration(res.Seconds*float64(time.Second)))
	res.EventsPerSecond = perSecond(res.Events, time.Duration(res.Seconds*float64(time.Second)))
	if len(ceilings) > 0 {
		slices.Sort(ceilings)
		res.CeilingPerSecond = ceilings[len(ceilings)/2]
		res.CeilingRatio = round(res.DeliveriesPerSecond/res.CeilingPerSecond, 3)
	}
	p := percentiles(latencies)
	res.P50, res.P90, res.P99, res.Max, res.Mean = p.P50, p.P90, p.P99, p.Max, p.Mean
	res.CPU = used.per1000(res.Deliveries)
	if n := len(res.Rounds); n > 0 && res.Rounds[0].DeliveriesPerSecond > 0 {
		res.SoakRatio = round(res.Rounds[n-1].DeliveriesPerSecond/res.Rounds[0].DeliveriesPerSecond, 3)
	}
	return nil
}

// afterRound waits for retention to purge what the rounds so far delivered,
// then measures the database. The purge is done when the tenant has no
// delivery left (every one of them finished more than the retention ago)
// and two readings of the database's size a second apart agree (the
// events go in the batches after their deliveries). Without retention it
// measures at once.
func (s *session) afterRound(ctx context.Context, rd *Round, tenant string) {
	began := time.Now()
	m := s.startMeasure()
	if s.cfg.Retention > 0 {
		wait, cancel := context.WithTimeout(ctx, s.cfg.Retention+5*time.Minute)
		defer cancel()
		for {
			left, err := s.api.hasDeliveries(wait, tenant)
			if err != nil {
				rd.Notes = append(rd.Notes, fmt.Sprintf("retention did not purge the round's deliveries: %v", err))
				break
			}
			if !left {
				break
			}
			select {
			case <-time.After(250 * time.Millisecond):
			case <-wait.Done():
			}
		}
	}
	if s.srv.Database == "" {
		rd.Notes = append(rd.Notes, "the database's size is unknown: the bench did not start the server")
	} else {
		rd.Size = s.stableSize(ctx, rd)
	}
	if s.cfg.Retention > 0 {
		rd.PurgeWaitSeconds = round(time.Since(began).Seconds(), 2)
		if c, _, err := m.seconds(); err == nil && rd.Deliveries > 0 {
			rd.PurgeCPUPer1000 = round((c.server+c.database)/(float64(rd.Deliveries)/1000), 4)
		}
	}
}

// stableSize measures the database until two readings a second apart
// agree, ten at most.
func (s *session) stableSize(ctx context.Context, rd *Round) *DatabaseSize {
	var last *DatabaseSize
	for range 10 {
		d, err := databaseSize(ctx, s.srv.Database)
		if err != nil {
			rd.Notes = append(rd.Notes, "database size: "+err.Error())
			return last
		}
		if last != nil && (s.cfg.Retention == 0 || d.TableBytes+d.IndexBytes == last.TableBytes+last.IndexBytes) {
			return d
		}
		last = d
		if s.cfg.Retention == 0 {
			return d
		}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return last
		}
	}
	return last
}

// sizeLine describes a size in the progress lines.
func sizeLine(d *DatabaseSize) string {
	if d == nil {
		return ""
	}
	return fmt.Sprintf("; database %s tables, %s indexes", mib(d.TableBytes), mib(d.IndexBytes))
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

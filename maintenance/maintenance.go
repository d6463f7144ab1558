// Package maintenance runs the background work on stored deliveries:
// bulk recover jobs and the retention purge. Both work in small batches, so
// the delivery engine's writes never wait long behind them.
package maintenance

import (
	"context"
	"log/slog"
	"time"

	"github.com/hookd/hookd"
)

// Config holds the settings of the background work.
type Config struct {
	// Retention is how long finished deliveries, their attempts and events
	// are kept; 0 keeps everything.
	Retention time.Duration
	// Every is how often the purge and the scan for unfinished recover jobs
	// run; the default is a minute, or less for a short retention.
	Every time.Duration
	// Batch bounds each write transaction.
	Batch  int
	Logger *slog.Logger
}

// Runner runs the background work of one process.
type Runner struct {
	store    hookd.MaintenanceStore
	notifier hookd.Notifier
	cfg      Config
	kick     chan struct{}
}

// New returns a runner; notifier may be nil.
func New(store hookd.MaintenanceStore, notifier hookd.Notifier, cfg Config) *Runner {
	if cfg.Every <= 0 {
		cfg.Every = time.Minute
		if cfg.Retention > 0 {
			cfg.Every = min(cfg.Every, max(cfg.Retention/10, time.Second))
		}
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 500
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Runner{store: store, notifier: notifier, cfg: cfg, kick: make(chan struct{}, 1)}
}

// Kick runs the recover jobs now, e.g. after one was created; never blocks.
func (r *Runner) Kick() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run works until ctx ends.
func (r *Runner) Run(ctx context.Context) {
	t := time.NewTicker(r.cfg.Every)
	defer t.Stop()
	for {
		r.recover(ctx)
		r.purge(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.kick:
		}
	}
}

// recover runs every unfinished recover job to its end, a batch at a time.
func (r *Runner) recover(ctx context.Context) {
	jobs, err := r.store.RunningRecoverJobs(ctx)
	if err != nil {
		r.cfg.Logger.Warn("list recover jobs", "err", err)
		return
	}
	for _, job := range jobs {
		id := job.ID
		for job.Status == hookd.RecoverRunning && ctx.Err() == nil {
			if job, err = r.store.RunRecoverJob(ctx, id, r.cfg.Batch); err != nil {
				r.cfg.Logger.Warn("run recover job; it resumes on the next pass", "job", id, "err", err)
				break
			}
			if r.notifier != nil {
				r.notifier.Notify()
			}
		}
		if err == nil && job.Status == hookd.RecoverDone {
			r.cfg.Logger.Info("recover job done", "job", id, "endpoint", job.EndpointID, "replayed", job.Done)
		}
	}
}

// purge removes what is past retention, a batch per transaction, pausing
// between batches so deliveries keep flowing.
func (r *Runner) purge(ctx context.Context) {
	if r.cfg.Retention <= 0 {
		return
	}
	cutoff := time.Now().Add(-r.cfg.Retention)
	var total hookd.Purged
	for ctx.Err() == nil {
		p, err := r.store.Purge(ctx, cutoff, r.cfg.Batch)
		if err != nil {
			r.cfg.Logger.Warn("retention purge; it resumes on the next pass", "err", err)
			return
		}
		total.Deliveries += p.Deliveries
		total.Events += p.Events
		total.Endpoints += p.Endpoints
		if p.Deliveries < r.cfg.Batch && p.Events < r.cfg.Batch && p.Endpoints < r.cfg.Batch {
			break
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
		}
	}
	if total != (hookd.Purged{}) {
		r.cfg.Logger.Info("retention purge", "deliveries", total.Deliveries, "events", total.Events, "endpoints", total.Endpoints, "older_than", cutoff.UTC())
	}
}

// Package dispatch is the delivery engine: it claims due deliveries from the
// store in batches, sends them, and records every attempt with the
// delivery's next state, in batches too.
package dispatch

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/buildinfo"
	"github.com/hookd/hookd/signature"
)

// Config holds the deployment-wide delivery settings.
type Config struct {
	Workers         int            // requests in flight at once in this process
	TenantInFlight  int            // fleet-wide cap of a tenant without its own; 0: hookd.DefaultTenantMaxInFlight(Workers)
	Schedule        hookd.Schedule // retry schedule for endpoints without their own
	Jitter          float64        // spread of each retry wait, as a fraction (0.1: ±10%); 0 for exact schedules
	Timeout         time.Duration  // request timeout for endpoints without their own
	LeaseGrace      time.Duration  // lease beyond the request timeout before work is reclaimed
	PollInterval    time.Duration  // the longest sleep between claims when nothing wakes us
	ShutdownTimeout time.Duration  // how long Run waits for in-flight attempts on shutdown
	AllowPrivate    bool           // http:// and local targets, for development
	Signer          signature.Signer
	Headers         HeaderNames
	ExcerptBytes    int // how much of a response body to keep
	Logger          *slog.Logger
	// Protocols carry endpoint URLs of other schemes than http(s), such as
	// hookd-listen:// to a developer's CLI. They are not subject to the
	// https-only rule, since they do not leave through the network dialer.
	Protocols map[string]http.RoundTripper
	// Publishers deliver to broker destinations, by destination type
	// (hookd.DestinationRabbitMQ, ...).
	Publishers map[string]hookd.Publisher
	// PropagateTrace sends each attempt's W3C trace context (traceparent)
	// to the receiver.
	PropagateTrace bool
	// ProxyURL (--proxy-url) is the HTTP CONNECT proxy requests leave
	// through, unless their endpoint names its own; nil: none.
	ProxyURL *url.URL
}

// HeaderNames are the names of hookd's own delivery headers.
type HeaderNames struct {
	Event    string
	Delivery string
	Attempt  string
}

// DefaultHeaderNames derives the header names from a prefix such as X-Hookd.
func DefaultHeaderNames(prefix string) HeaderNames {
	return HeaderNames{Event: prefix + "-Event", Delivery: prefix + "-Delivery", Attempt: prefix + "-Attempt"}
}

func (c *Config) setDefaults() {
	if c.Workers <= 0 {
		c.Workers = hookd.DefaultWorkers
	}
	if c.TenantInFlight <= 0 {
		c.TenantInFlight = hookd.DefaultTenantMaxInFlight(c.Workers)
	}
	if c.Schedule == nil {
		c.Schedule = hookd.DefaultSchedule
	}
	if c.Timeout <= 0 {
		c.Timeout = hookd.DefaultTimeout
	}
	if c.LeaseGrace <= 0 {
		c.LeaseGrace = 30 * time.Second
	}
	// Stores lease an endpoint without its own timeout for
	// hookd.DefaultTimeout plus the grace; a longer deployment timeout must
	// not outlive the lease, or the delivery would be claimed again while
	// its request still runs.
	c.LeaseGrace += max(0, c.Timeout-hookd.DefaultTimeout)
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 30 * time.Second
	}
	if c.ExcerptBytes <= 0 {
		c.ExcerptBytes = 4096
	}
	if c.Headers == (HeaderNames{}) {
		c.Headers = DefaultHeaderNames("X-Hookd")
	}
	if c.Signer.Scheme == "" {
		c.Signer = signature.Signer{Scheme: signature.Standard, Header: "X-Hookd-Signature"}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Dispatcher runs the delivery loop of one process.
type Dispatcher struct {
	store     hookd.QueueStore
	client    *http.Client // the shared one of clients
	clients   *clients
	tokens    *tokens
	cfg       Config
	userAgent string
	wake      chan struct{}
	results   chan hookd.AttemptResult
	slots     chan struct{} // one token per free worker

	// While Run claims, publishes hand jobs off too (Hand): they start
	// under attemptCtx and count in inFlight, so shutdown waits for them.
	mu         sync.Mutex
	running    bool
	attemptCtx context.Context
	inFlight   sync.WaitGroup
	// backlog is set while due work waits that the last claim or hand-off
	// could not take (endpoints or tenants at their limits, or all workers
	// busy); the next claim that finds none waiting clears it. Meanwhile a
	// recorded result may free room for it, and publishes leave their
	// deliveries to the claim behind it rather than hand them off.
	backlog atomic.Bool
}

// New returns a dispatcher over store.
func New(store hookd.QueueStore, cfg Config) *Dispatcher {
	cfg.setDefaults()
	d := &Dispatcher{
		store:     store,
		cfg:       cfg,
		userAgent: buildinfo.UserAgent(),
		wake:      make(chan struct{}, 1),
		results:   make(chan hookd.AttemptResult, cfg.Workers),
		slots:     make(chan struct{}, cfg.Workers),
	}
	for range cfg.Workers {
		d.slots <- struct{}{}
	}
	d.clients = newClients(cfg.AllowPrivate, cfg.ProxyURL, cfg.Protocols)
	d.client = d.clients.shared
	d.tokens = newTokens()
	return d
}

// Notify wakes the loop at once, e.g. after a publish; it never blocks.
func (d *Dispatcher) Notify() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends, then stops claiming, lets in-flight attempts
// finish (up to ShutdownTimeout; the rest are handed back unattempted),
// records every result and returns.
func (d *Dispatcher) Run(ctx context.Context) error {
	// Attempts outlive ctx by up to ShutdownTimeout, so they get their own.
	attemptCtx, cancelAttempts := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelAttempts()

	// Recording may outlive ctx by the shutdown timeout too.
	recordCtx, stopRecording := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRecording()
	var recorder sync.WaitGroup
	recorder.Add(1)
	go func() {
		defer recorder.Done()
		d.record(recordCtx)
	}()

	if w, ok := d.store.(hookd.Waker); ok {
		// Work made due on other nodes (a publish, enable, replay) wakes
		// this one too, instead of waiting for the poll.
		go func() {
			for range w.Wakeups(ctx) {
				d.Notify()
			}
		}()
	}

	d.mu.Lock()
	d.running, d.attemptCtx = true, attemptCtx
	d.mu.Unlock()
	d.loop(ctx, attemptCtx, &d.inFlight)
	d.mu.Lock()
	d.running = false // no hand-off starts after this
	d.mu.Unlock()

	done := make(chan struct{})
	go func() { d.inFlight.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d.cfg.ShutdownTimeout):
		d.cfg.Logger.Warn("shutdown timeout: abandoning in-flight attempts; they will be retried", "timeout", d.cfg.ShutdownTimeout)
		cancelAttempts()
		<-done
	}
	close(d.results)
	recorded := make(chan struct{})
	go func() { recorder.Wait(); close(recorded) }()
	select {
	case <-recorded:
	case <-time.After(finalRecordTimeout):
		stopRecording() // the database is not taking writes; leases will bring the work back
		<-recorded
	}
	return nil
}

// storeCallTimeout bounds the loop's claims and reads whatever store it is
// given, so a silent database cannot stall it (the store's own deadline,
// hookd.WithDeadlines, is usually shorter); a failed claim backs off.
const storeCallTimeout = 30 * time.Second

// finalRecordTimeout bounds the last writes on shutdown.
const finalRecordTimeout = 10 * time.Second

func (d *Dispatcher) loop(ctx, attemptCtx context.Context, inFlight *sync.WaitGroup) {
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		free := d.waitFree(ctx)
		if free == 0 {
			return
		}
		claimCtx, cancel := context.WithTimeout(ctx, storeCallTimeout)
		claimCtx, span := startClaim(claimCtx, free)
		jobs, err := d.store.ClaimDeliveries(claimCtx, time.Now(), free, d.cfg.LeaseGrace, d.cfg.TenantInFlight)
		endClaim(span, len(jobs), err)
		cancel()
		if err != nil {
			// A failed claim leased nothing (its transaction did not
			// commit).
			if ctx.Err() != nil {
				return
			}
			backoff = min(max(2*backoff, 100*time.Millisecond), 5*time.Second)
			d.cfg.Logger.Error("claim deliveries", "err", err, "retry_in", backoff)
			d.sleep(ctx, backoff)
			continue
		}
		backoff = 0
		claimed := len(jobs)
		started := d.reserve(claimed)
		if started < claimed {
			// Publishes handed off meanwhile took workers the claim
			// counted on: what has none goes back to be claimed again.
			d.releaseUnstarted(jobs[started:])
			jobs = jobs[:started]
		}
		for _, job := range jobs {
			inFlight.Add(1)
			go func() {
				defer inFlight.Done()
				d.attempt(attemptCtx, job, span.SpanContext())
			}()
		}
		if claimed == free || started < claimed {
			d.backlog.Store(true)
			continue // maybe more due work: claim again at once
		}
		d.sleep(ctx, d.untilNextDue(ctx))
	}
}

// waitFree waits for at least one free worker and says how many are free,
// taking none: a claim does not hold the workers it may use while it waits
// for the database, so that a publish meanwhile can still hand its
// deliveries off (on PostgreSQL a claim takes milliseconds, and a paced
// node's publishes missed their hand-off to it, woke the next claim, and
// so on).
func (d *Dispatcher) waitFree(ctx context.Context) int {
	select {
	case <-d.slots:
		d.slots <- struct{}{}
	case <-ctx.Done():
		return 0
	}
	return len(d.slots)
}

// releaseUnstarted gives claimed jobs back unattempted.
func (d *Dispatcher) releaseUnstarted(jobs []*hookd.Job) {
	ctx, cancel := context.WithTimeout(context.Background(), storeCallTimeout)
	defer cancel()
	if err := d.store.ReleaseDeliveries(ctx, jobs); err != nil {
		d.cfg.Logger.Warn("release claimed deliveries; they will be retried after their lease", "deliveries", len(jobs), "err", err)
	}
}

func (d *Dispatcher) returnSlots(n int) {
	for range n {
		d.slots <- struct{}{}
	}
}

// untilNextDue is how long to sleep when no work was claimable. Due work that
// could not be claimed waits on an endpoint's in-flight limit; a finished
// attempt wakes us for it, and the poll interval bounds the wait.
func (d *Dispatcher) untilNextDue(ctx context.Context) time.Duration {
	ctx, cancel := context.WithTimeout(ctx, storeCallTimeout)
	defer cancel()
	next, ok, err := d.store.NextDueAt(ctx)
	d.backlog.Store(err != nil || ok && !next.After(time.Now()))
	if err != nil || !ok {
		return d.cfg.PollInterval
	}
	wait := time.Until(next)
	if wait <= 0 {
		return d.cfg.PollInterval
	}
	return min(wait, d.cfg.PollInterval)
}

func (d *Dispatcher) sleep(ctx context.Context, wait time.Duration) {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-d.wake:
	case <-ctx.Done():
	}
}

// record writes results in batches: whatever arrived while the previous
// write ran goes in the next transaction, so the write rate adapts to load
// without a timer.
func (d *Dispatcher) record(ctx context.Context) {
	batch := make([]hookd.AttemptResult, 0, d.cfg.Workers)
	for r := range d.results {
		batch = append(batch[:0], r)
	drain:
		for len(batch) < cap(batch) {
			select {
			case r, ok := <-d.results:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		d.flush(ctx, batch)
	}
}

// flush records a batch. A result that is never recorded is sent again
// after its lease runs out, so giving up costs a duplicate, never an event;
// still, flush retries while the store is down, since every result would be
// lost alike. A batch the store keeps refusing is split, so that one bad
// result (refused while the database answers pings) cannot stall the rest,
// and that result is recorded degraded (see recordDegraded).
func (d *Dispatcher) flush(ctx context.Context, batch []hookd.AttemptResult) {
	backoff := 50 * time.Millisecond
	for failures := 1; ; failures++ {
		writeCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		disabled, err := d.store.RecordAttempts(writeCtx, batch)
		cancel()
		if err == nil {
			d.recorded(batch, disabled)
			return
		}
		if ctx.Err() != nil {
			d.cfg.Logger.Warn("shutdown: results not recorded; their deliveries will be retried", "results", len(batch))
			return
		}
		d.cfg.Logger.Error("record attempts", "err", err, "results", len(batch), "retry_in", backoff)
		if failures >= 3 {
			if len(batch) > 1 {
				for i := range batch {
					d.flush(ctx, batch[i:i+1])
				}
				return
			}
			if d.store.Ping(ctx) == nil {
				d.recordDegraded(ctx, batch[0], err)
				return
			}
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// recordDegraded records a result the store refuses while the database
// answers, without what the receiver sent and with an error saying why: its
// delivery's state still advances (delivered, retried or failed as judged),
// where dropping it would re-send the delivery after every lease, forever.
// Only when even that is refused is the result dropped, to its lease.
func (d *Dispatcher) recordDegraded(ctx context.Context, r hookd.AttemptResult, refused error) {
	r.Attempt.ResponseBody, r.Attempt.ResponseHeaders = "", nil
	r.Attempt.Error = hookd.StorableText("result not stored as received, response body, headers and error dropped: "+refused.Error(),
		hookd.MaxAttemptErrorBytes)
	writeCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	disabled, err := d.store.RecordAttempts(writeCtx, []hookd.AttemptResult{r})
	cancel()
	if err != nil {
		d.cfg.Logger.Error("dropping an attempt result the store refuses, even without its response; its delivery will be retried after its lease",
			"delivery", r.Job.DeliveryID, "err", err, "first_err", refused)
		d.returnSlots(1)
		return
	}
	d.cfg.Logger.Error("recorded an attempt without its response: the store refused it as received",
		"delivery", r.Job.DeliveryID, "err", refused)
	d.recorded([]hookd.AttemptResult{r}, disabled)
}

// recorded frees the workers of recorded results and wakes the loop when
// that may let it claim: due work waits for room (backlog), or the batch
// scheduled a retry or failed a delivery for good (the store wrote its
// operational events with it, as those of what it disabled). Else a batch
// of deliveries made nothing due: the loop sleeps on, so deliveries handed
// off at publish cost no claim.
func (d *Dispatcher) recorded(batch []hookd.AttemptResult, disabled []string) {
	d.returnSlots(len(batch))
	wake := d.backlog.Load() || len(disabled) > 0
	for _, r := range batch {
		wake = wake || !r.Outcome.Success
	}
	if wake {
		d.Notify()
	}
	if len(disabled) > 0 {
		d.cfg.Logger.Warn("endpoints disabled", "endpoints", disabled)
	}
}

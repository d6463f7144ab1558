// Package bench measures a hookd deployment end to end, as `hookd bench`
// does: it publishes events through the REST API, receives the deliveries
// on a built-in sink that verifies every signature, and reports throughput,
// publish-to-receipt latency, lost and duplicate deliveries, and the
// server's memory and CPU, beside the machine's ceiling: the same sink
// driven directly by an HTTP client with the same concurrency and payload.
package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	hookdclient "github.com/hookd/hookd/client"
)

// Scenario names.
const (
	Throughput = "throughput" // N events as fast as the server accepts them, fan-out F, B per request
	Latency    = "latency"    // paced at R events/s: publish-to-receipt percentiles
	Fanout     = "fanout"     // one event to K endpoints at a time
	Isolation  = "isolation"  // healthy endpoints beside black-holed ones
	Idle       = "idle"       // single events, spaced out, on an idle server
)

// Scenarios lists every scenario in the order `all` runs them.
var Scenarios = []string{Throughput, Latency, Fanout, Isolation, Idle}

// Result is one scenario's figures. Latencies are publish to receipt, in
// milliseconds; rates are per second of wall-clock time.
type Result struct {
	Scenario string `json:"scenario"`
	Database string `json:"database"`
	Commit   string `json:"commit,omitempty"`
	CPUs     int    `json:"cpus"`
	CPUModel string `json:"cpu_model,omitempty"`
	Go       string `json:"go_version"`

	Events       int `json:"events"`
	Fanout       int `json:"fanout"`
	Batch        int `json:"batch"`
	Publishers   int `json:"publishers"`
	Concurrency  int `json:"concurrency"`   // requests to the sink in flight at most
	PayloadBytes int `json:"payload_bytes"` // mean delivered body size

	Expected      int `json:"deliveries_expected"`
	Deliveries    int `json:"deliveries"` // unique deliveries received
	Lost          int `json:"lost"`
	Duplicates    int `json:"duplicates"`
	BadSignatures int `json:"bad_signatures"`
	PublishErrors int `json:"publish_errors"`

	Seconds             float64 `json:"seconds"`
	EventsPerSecond     float64 `json:"events_per_second"` // accepted by the API
	DeliveriesPerSecond float64 `json:"deliveries_per_second"`
	CeilingPerSecond    float64 `json:"ceiling_per_second,omitempty"`
	CeilingRatio        float64 `json:"ceiling_ratio,omitempty"`

	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
	// PublishP50 and PublishP99 are the API's answer times to publish requests.
	PublishP50 float64 `json:"publish_p50_ms"`
	PublishP99 float64 `json:"publish_p99_ms"`

	PeakRSSMiB float64 `json:"peak_rss_mib,omitempty"` // the server's VmHWM (summed over --nodes)
	CPU                // CPU seconds per 1,000 deliveries, by process
	Leases             // deliveries handed off at publish and claimed

	// latency
	TargetRate   float64 `json:"target_rate,omitempty"`
	AchievedRate float64 `json:"achieved_rate,omitempty"`
	// fanout: from publish to the last of the K deliveries of an event
	CompleteP50 float64 `json:"complete_p50_ms,omitempty"`
	CompleteMax float64 `json:"complete_max_ms,omitempty"`
	// isolation
	Blackholed            int     `json:"blackholed,omitempty"`
	HealthyAlonePerSecond float64 `json:"healthy_alone_per_second,omitempty"`
	IsolationRatio        float64 `json:"isolation_ratio,omitempty"`
	BlackholeConnections  int64   `json:"blackhole_connections,omitempty"`
	// soak: each round, the last round's rate over the first's, and the
	// server's --retention (0: it kept everything)
	Rounds           []Round `json:"rounds,omitempty"`
	SoakRatio        float64 `json:"soak_ratio,omitempty"`
	RetentionSeconds float64 `json:"retention_seconds,omitempty"`

	// Nodes is how many servers shared the database (--nodes), when more
	// than one; ServerBinary the executable that served, when not the
	// bench's own (--server-binary).
	Nodes        int    `json:"nodes,omitempty"`
	ServerBinary string `json:"server_binary,omitempty"`

	Notes []string `json:"notes,omitempty"`
}

// Failed reports whether the run lost, duplicated or mis-signed anything.
func (r *Result) Failed() bool {
	return r.Lost > 0 || r.Duplicates > 0 || r.BadSignatures > 0 || r.PublishErrors > 0
}

// Run runs every scenario of cfg, each against the server start provides,
// and returns their results. Results of scenarios that ran are returned
// even when a later one fails.
func Run(ctx context.Context, cfg Config, start Starter) ([]*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	sink, err := NewSink(cfg.SinkAddr)
	if err != nil {
		return nil, err
	}
	defer sink.Close()
	r := &runner{cfg: cfg, sink: sink, run: strings.ToLower(randomToken(6)), env: environment()}
	var results []*Result
	for _, sc := range cfg.Scenarios {
		res, err := r.scenario(ctx, start, sc)
		if res != nil {
			results = append(results, res)
		}
		if err != nil {
			return results, fmt.Errorf("%s: %w", sc, err)
		}
	}
	return results, nil
}

type runner struct {
	cfg  Config
	sink *Sink
	run  string // makes tenant ids unique per run
	env  Result // the environment fields every result carries
}

func (r *runner) scenario(ctx context.Context, start Starter, name string) (res *Result, err error) {
	srv, err := start(ctx, name)
	if err != nil {
		return nil, err
	}
	defer func() {
		if srv.Stop != nil {
			if stopErr := srv.Stop(); stopErr != nil && err == nil {
				err = stopErr
			}
		}
	}()
	api, err := newClient(srv.urls(), srv.Key, r.cfg.Publishers)
	if err != nil {
		return nil, err
	}
	s := &session{runner: r, srv: srv, api: api, name: name}
	defer s.api.close()
	if err := s.api.ensureEventType(ctx); err != nil {
		return nil, err
	}
	defer s.cleanup()
	res = r.newResult(name)
	if len(srv.MoreNodes) > 0 {
		res.Nodes = 1 + len(srv.MoreNodes)
	}
	switch name {
	case Throughput:
		err = s.throughput(ctx, res)
	case Latency:
		err = s.latency(ctx, res)
	case Fanout:
		err = s.fanout(ctx, res)
	case Isolation:
		err = s.isolation(ctx, res)
	case Idle:
		err = s.idle(ctx, res)
	case Soak:
		err = s.soak(ctx, res)
	}
	return res, err
}

func (r *runner) newResult(name string) *Result {
	res := r.env
	res.Scenario, res.Database, res.ServerBinary = name, r.cfg.Database, r.cfg.ServerBinary
	return &res
}

// environment describes the machine and the build.
func environment() Result {
	e := Result{CPUs: runtime.NumCPU(), Go: runtime.Version(), CPUModel: cpuModel()}
	if info, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" && dirty {
			rev += "-dirty"
		}
		e.Commit = rev
	}
	if e.Commit == "" {
		e.Commit = Commit
	}
	return e
}

// Commit names the build's source when the binary carries no VCS stamp
// (e.g. built with -buildvcs=false): go build -ldflags "-X
// github.com/hookd/hookd/bench.Commit=$(git rev-parse --short HEAD)".
var Commit string

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// session is one scenario against one server.
type session struct {
	*runner
	srv     *Server
	api     *client
	name    string
	tenants []string
	phases  int
}

// tenant creates a fresh tenant for a phase of the scenario.
func (s *session) tenant(ctx context.Context) (string, error) {
	s.phases++
	id := fmt.Sprintf("bench-%s-%s-%d", s.run, s.name, s.phases)
	// Each scenario's tenant may use every worker: the bench measures the
	// server, not the per-tenant cap (--tenant-max-in-flight).
	if err := s.api.createTenant(ctx, id, s.workers()); err != nil {
		return "", err
	}
	s.tenants = append(s.tenants, id)
	return id, nil
}

// cleanup deletes the scenario's tenants, unless the server's database is
// thrown away anyway. The isolation scenario's black-holed deliveries
// would otherwise come due again under the next scenario's server.
func (s *session) cleanup() {
	if s.srv.Throwaway {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, t := range s.tenants {
		_ = s.api.deleteTenant(ctx, t)
	}
}

// phase creates a fresh tenant with n endpoints posting to the sink, in a
// new group.
func (s *session) phase(ctx context.Context, n int) (string, *Group, error) {
	tenant, err := s.tenant(ctx)
	if err != nil {
		return "", nil, err
	}
	g := s.sink.NewGroup()
	return tenant, g, s.endpoints(ctx, tenant, g, n)
}

// endpoints creates n endpoints of tenant posting to the sink in group g.
func (s *session) endpoints(ctx context.Context, tenant string, g *Group, n int) error {
	for range n {
		url, setSecret := s.sink.Add(g)
		secret, err := s.api.createEndpoint(ctx, tenant, endpointSpec{url: url, maxInFlight: s.cfg.MaxInFlight})
		if err != nil {
			return err
		}
		setSecret(secret)
	}
	return nil
}

// workers is the server's delivery concurrency.
func (s *session) workers() int {
	if s.srv.Workers > 0 {
		return s.srv.Workers
	}
	return defaultWorkers
}

// defaultWorkers is hookd serve's --workers default.
const defaultWorkers = 256

// published counts what a publishing phase got accepted.
type published struct {
	requests   atomic.Int64
	events     atomic.Int64
	deliveries atomic.Int64
	errors     atomic.Int64
	mu         sync.Mutex
	firstErr   error
	latencies  []time.Duration
	start, end time.Time
}

func (p *published) fail(err error) {
	p.errors.Add(1)
	p.mu.Lock()
	if p.firstErr == nil {
		p.firstErr = err
	}
	p.mu.Unlock()
}

// maxPublishErrors ends a phase whose publishing keeps failing.
const maxPublishErrors = 10

// publish publishes events (numbered from 0) from cfg.Publishers goroutines,
// batch per request, each request starting no earlier than pace(i) for
// request i when pace is not nil.
func (s *session) publish(ctx context.Context, p *published, tenant string, events, batch int, pace func(i int) time.Time) {
	p.start = time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	payloads := newPayloads(s.cfg.PayloadBytes)
	requests := (events + batch - 1) / batch
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(s.cfg.Publishers, requests) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var data []byte
			var evs []hookdclient.EventInput
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= requests {
					break
				}
				if pace != nil {
					if wait := time.Until(pace(i)); wait > 0 {
						time.Sleep(wait)
					}
				}
				seq := i * batch
				n := min(batch, events-seq)
				began := time.Now()
				data, evs = payloads.events(data, evs, s.sink.Stamp(), seq, n)
				deliveries, err := s.api.publish(ctx, tenant, evs)
				if err != nil {
					if ctx.Err() == nil {
						p.fail(err)
						if p.errors.Load() >= maxPublishErrors {
							cancel()
						}
					}
					continue
				}
				lat = append(lat, time.Since(began))
				p.requests.Add(1)
				p.events.Add(int64(n))
				p.deliveries.Add(int64(deliveries))
			}
			p.mu.Lock()
			p.latencies = append(p.latencies, lat...)
			p.mu.Unlock()
		}()
	}
	wg.Wait()
	p.end = time.Now()
}

// progress prints a line a second until stop is called.
func (s *session) progress(what func() string) (stop func()) {
	if s.cfg.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				fmt.Fprintf(s.cfg.Progress, "  %s: %s\n", s.name, what())
			case <-done:
				return
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// counting describes a phase's progress.
func counting(pub *published, g *Group, expected func() int) func() string {
	var lastN int
	lastT := time.Now()
	return func() string {
		c := g.Counts()
		now := time.Now()
		rate := float64(c.Unique-lastN) / now.Sub(lastT).Seconds()
		lastN, lastT = c.Unique, now
		line := fmt.Sprintf("%d deliveries received (%.0f/s)", c.Unique, rate)
		if pub != nil {
			line = fmt.Sprintf("%d events published, %d/%d deliveries received (%.0f/s)", pub.events.Load(), c.Unique, expected(), rate)
		}
		if c.Bad > 0 || c.Duplicates > 0 {
			line += fmt.Sprintf(", %d bad signatures, %d duplicates", c.Bad, c.Duplicates)
		}
		return line
	}
}

// settle waits for a group's expected deliveries and fills the delivery
// counts and latencies of res. A stall or the end of ctx is not an error:
// what did not arrive counts as lost.
func (s *session) settle(ctx context.Context, res *Result, g *Group, expected int) {
	err := g.Wait(ctx, expected, s.cfg.Drain)
	c := g.Counts()
	res.Expected = expected
	res.Deliveries = min(c.Unique, expected)
	res.Lost = max(0, expected-c.Unique)
	res.Duplicates = c.Duplicates
	res.BadSignatures = c.Bad
	res.PayloadBytes = c.MeanBytes
	if c.FirstError != "" {
		res.Notes = append(res.Notes, "first bad signature: "+c.FirstError)
	}
	switch {
	case errors.Is(err, errStalled):
		res.Notes = append(res.Notes, fmt.Sprintf("%d deliveries did not arrive within %s of the last one", res.Lost, s.cfg.Drain))
	case err != nil:
		res.Notes = append(res.Notes, fmt.Sprintf("stopped waiting for %d deliveries: %v", res.Lost, err))
	}
	p := percentiles(g.Latencies())
	res.P50, res.P90, res.P99, res.Max, res.Mean = p.P50, p.P90, p.P99, p.Max, p.Mean
}

// published fills the publishing figures of res.
func publishedInto(res *Result, p *published) {
	res.Events = int(p.events.Load())
	res.PublishErrors = int(p.errors.Load())
	if p.firstErr != nil {
		res.Notes = append(res.Notes, "first publish error: "+p.firstErr.Error())
	}
	res.EventsPerSecond = perSecond(res.Events, p.end.Sub(p.start))
	pl := percentiles(p.latencies)
	res.PublishP50, res.PublishP99 = pl.P50, pl.P99
}

package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"
)

// throughput publishes cfg.Events events, cfg.Batch per request, to
// cfg.Fanout endpoints as fast as the server accepts them, after measuring
// the ceiling with the same concurrency and payload.
func (s *session) throughput(ctx context.Context, res *Result) error {
	tenant, g, err := s.phase(ctx, s.cfg.Fanout)
	if err != nil {
		return err
	}
	_, err = s.throughputRound(ctx, res, tenant, g, true)
	return err
}

// throughputRound is the throughput scenario's measurement on endpoints of
// tenant already in group g; profile asks for --cpuprofile's profile. It
// returns the CPU the phase took.
func (s *session) throughputRound(ctx context.Context, res *Result, tenant string, g *Group, profile bool) (cpuSeconds, error) {
	cfg := s.cfg
	res.Fanout, res.Batch, res.Publishers = cfg.Fanout, cfg.Batch, cfg.Publishers
	res.Concurrency = min(s.workers(), cfg.Fanout*cfg.MaxInFlight)

	requests := cfg.CeilingRequests
	if requests == 0 {
		requests = min(max(cfg.Events*cfg.Fanout, 20000), 500_000)
	}
	ceiling, err := s.ceiling(ctx, res.Concurrency, requests)
	if err != nil {
		return cpuSeconds{}, fmt.Errorf("ceiling: %w", err)
	}
	res.CeilingPerSecond = ceiling

	profiled := func() error { return nil }
	if profile {
		profiled = s.profile(ctx)
	}
	pub := new(published)
	stop := s.progress(counting(pub, g, func() int { return cfg.Events * cfg.Fanout }))
	m := s.startMeasure()
	s.publish(ctx, pub, tenant, cfg.Events, cfg.Batch, nil)
	expected := int(pub.deliveries.Load())
	s.settle(ctx, res, g, expected)
	used := m.finish(res, res.Deliveries)
	stop()
	publishedInto(res, pub)
	rates(res, g, pub.start)
	if res.CeilingPerSecond > 0 {
		res.CeilingRatio = round(res.DeliveriesPerSecond/res.CeilingPerSecond, 3)
	}
	if err := profiled(); err != nil {
		return used, fmt.Errorf("cpu profile: %w", err)
	}
	return used, nil
}

// profile starts fetching a CPU profile of the server when one is wanted,
// and returns the function that waits for it to be written.
func (s *session) profile(ctx context.Context) (wait func() error) {
	if s.cfg.CPUProfile == "" {
		return func() error { return nil }
	}
	if s.srv.PprofURL == "" {
		return func() error { return fmt.Errorf("the server has no pprof endpoint (start it with --pprof-addr)") }
	}
	done := make(chan error, 1)
	go func() {
		url := s.srv.PprofURL + "/debug/pprof/profile?seconds=" + strconv.Itoa(s.cfg.ProfileSeconds)
		req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
		if err != nil {
			done <- err
			return
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- err
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
			done <- fmt.Errorf("%s: HTTP %d: %s", url, resp.StatusCode, b)
			return
		}
		f, err := os.Create(s.cfg.CPUProfile)
		if err != nil {
			done <- err
			return
		}
		_, err = io.Copy(f, resp.Body)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		done <- err
	}()
	return func() error {
		if s.cfg.Progress != nil {
			fmt.Fprintf(s.cfg.Progress, "  %s: waiting for the %ds CPU profile\n", s.name, s.cfg.ProfileSeconds)
		}
		return <-done
	}
}

// latency publishes cfg.LatencyEvents single events paced at cfg.Rate per
// second and reports the publish-to-receipt percentiles.
func (s *session) latency(ctx context.Context, res *Result) error {
	cfg := s.cfg
	res.Fanout, res.Batch, res.Publishers = cfg.Fanout, 1, cfg.Publishers
	res.Concurrency = min(s.workers(), cfg.Fanout*cfg.MaxInFlight)
	res.TargetRate = float64(cfg.Rate)
	tenant, g, err := s.phase(ctx, cfg.Fanout)
	if err != nil {
		return err
	}
	pub := new(published)
	stop := s.progress(counting(pub, g, func() int { return cfg.LatencyEvents * cfg.Fanout }))
	m := s.startMeasure()
	begin := time.Now().Add(20 * time.Millisecond)
	interval := time.Second / time.Duration(cfg.Rate)
	s.publish(ctx, pub, tenant, cfg.LatencyEvents, 1, func(i int) time.Time {
		return begin.Add(time.Duration(i) * interval)
	})
	s.settle(ctx, res, g, int(pub.deliveries.Load()))
	m.finish(res, res.Deliveries)
	stop()
	publishedInto(res, pub)
	res.AchievedRate = res.EventsPerSecond
	rates(res, g, pub.start)
	if res.AchievedRate < 0.95*res.TargetRate {
		res.Notes = append(res.Notes, fmt.Sprintf("publishing reached %.0f events/s, under the %d asked for", res.AchievedRate, cfg.Rate))
	}
	return nil
}

// fanout publishes cfg.FanoutEvents events one after another, each to
// cfg.FanoutEndpoints endpoints, waiting for all of an event's deliveries
// before the next.
func (s *session) fanout(ctx context.Context, res *Result) error {
	cfg := s.cfg
	k := cfg.FanoutEndpoints
	res.Fanout, res.Batch, res.Publishers = k, 1, 1
	res.Concurrency = min(s.workers(), k*cfg.MaxInFlight)
	tenant, g, err := s.phase(ctx, k)
	if err != nil {
		return err
	}
	completions, busy := s.oneByOne(ctx, res, tenant, g, cfg.FanoutEvents, 50*time.Millisecond)
	res.Seconds = round(busy.Seconds(), 3)
	res.DeliveriesPerSecond = perSecond(res.Deliveries, busy)
	c := percentiles(completions)
	res.CompleteP50, res.CompleteMax = c.P50, c.Max
	return nil
}

// oneByOne publishes events single events, each after a pause of gap,
// waiting for all of an event's deliveries before the next. It fills the
// delivery figures of res and returns how long each event took from
// publish to its last delivery, and their sum.
func (s *session) oneByOne(ctx context.Context, res *Result, tenant string, g *Group, events int, gap time.Duration) ([]time.Duration, time.Duration) {
	stop := s.progress(counting(nil, g, nil))
	defer stop()
	payloads := newPayloads(s.cfg.PayloadBytes)
	m := s.startMeasure()
	var completions, answers []time.Duration
	var busy time.Duration
	expected := 0
	for i := range events {
		select {
		case <-time.After(gap):
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		began := time.Now()
		_, evs := payloads.events(nil, nil, s.sink.Stamp(), i, 1)
		n, err := s.api.publish(ctx, tenant, evs)
		if err != nil {
			res.PublishErrors++
			res.Notes = append(res.Notes, "publish error: "+err.Error())
			break
		}
		answers = append(answers, time.Since(began))
		res.Events++
		expected += n
		if err := g.Wait(ctx, expected, s.cfg.Drain); err != nil {
			break
		}
		done := g.Counts().Last.Sub(began)
		completions = append(completions, done)
		busy += done
	}
	s.settle(ctx, res, g, expected)
	m.finish(res, res.Deliveries)
	pl := percentiles(answers)
	res.PublishP50, res.PublishP99 = pl.P50, pl.P99
	return completions, busy
}

// isolation measures healthy endpoints alone, then beside endpoints that
// accept connections and never answer, with the same load.
func (s *session) isolation(ctx context.Context, res *Result) error {
	cfg := s.cfg
	res.Fanout, res.Batch, res.Publishers = cfg.Healthy, cfg.Batch, cfg.Publishers
	res.Blackholed = cfg.Blackholed
	res.Concurrency = min(s.workers(), cfg.Healthy*cfg.MaxInFlight)

	// Alone.
	alone := s.runner.newResult(Isolation)
	tenant, g, err := s.phase(ctx, cfg.Healthy)
	if err != nil {
		return err
	}
	pub := new(published)
	stop := s.progress(counting(pub, g, func() int { return cfg.Events * cfg.Healthy }))
	s.publish(ctx, pub, tenant, cfg.Events, cfg.Batch, nil)
	s.settle(ctx, alone, g, int(pub.deliveries.Load()))
	stop()
	if c := g.Counts(); !c.Last.IsZero() {
		res.HealthyAlonePerSecond = perSecond(alone.Deliveries, c.Last.Sub(pub.start))
	}

	// Beside black holes: endpoints with the server's default in-flight
	// bound and a long timeout, so their requests hold workers throughout.
	hole, err := NewBlackhole("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer hole.Close()
	if tenant, g, err = s.phase(ctx, cfg.Healthy); err != nil {
		return err
	}
	for i := range cfg.Blackholed {
		if _, err := s.api.createEndpoint(ctx, tenant, endpointSpec{
			url: hole.URL() + strconv.Itoa(i), timeout: 60 * time.Second, retry: []string{"1h"},
		}); err != nil {
			return err
		}
	}
	pub = new(published)
	stop = s.progress(counting(pub, g, func() int { return cfg.Events * cfg.Healthy }))
	m := s.startMeasure()
	s.publish(ctx, pub, tenant, cfg.Events, cfg.Batch, nil)
	// Only the healthy endpoints' deliveries are awaited.
	s.settle(ctx, res, g, int(pub.events.Load())*cfg.Healthy)
	m.finish(res, res.Deliveries)
	stop()
	publishedInto(res, pub)
	res.Lost += alone.Lost
	res.Duplicates += alone.Duplicates
	res.BadSignatures += alone.BadSignatures
	res.Notes = append(res.Notes, alone.Notes...)
	rates(res, g, pub.start)
	if res.HealthyAlonePerSecond > 0 {
		res.IsolationRatio = round(res.DeliveriesPerSecond/res.HealthyAlonePerSecond, 3)
	}
	res.BlackholeConnections = hole.Connections()
	return nil
}

// idle publishes single events with a pause before each and reports their
// publish-to-receipt latency on an otherwise idle server.
func (s *session) idle(ctx context.Context, res *Result) error {
	res.Fanout, res.Batch, res.Publishers = 1, 1, 1
	res.Concurrency = 1
	tenant, g, err := s.phase(ctx, 1)
	if err != nil {
		return err
	}
	s.oneByOne(ctx, res, tenant, g, s.cfg.IdleEvents, s.cfg.IdleGap)
	return nil
}

// rates fills the elapsed time and delivery rate of res: from the start of
// publishing to the last receipt.
func rates(res *Result, g *Group, start time.Time) {
	if c := g.Counts(); !c.Last.IsZero() {
		res.Seconds = round(c.Last.Sub(start).Seconds(), 3)
		res.DeliveriesPerSecond = perSecond(res.Deliveries, c.Last.Sub(start))
	}
}

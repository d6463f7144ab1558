package bench

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Config is what to run. Zero fields take the defaults of Defaults.
type Config struct {
	Scenarios []string

	Events      int // throughput and isolation: events per measured phase
	Fanout      int // throughput and latency: endpoints each event goes to
	Batch       int // events per publish request (1: POST .../events; more: .../events/batch)
	Publishers  int // publish requests in flight at once
	MaxInFlight int // max_in_flight of the bench's healthy endpoints

	Rate          int // latency: events per second
	LatencyEvents int // latency: events in all

	FanoutEndpoints int // fanout: K
	FanoutEvents    int // fanout: events, one after another

	Healthy    int // isolation: healthy endpoints
	Blackholed int // isolation: endpoints that accept connections and never answer

	IdleEvents int           // idle: events
	IdleGap    time.Duration // idle: pause before each

	Rounds int // soak: throughput runs on one server and database
	// Retention is the soak's server's --retention, which the bench waits
	// for after each round; 0 when it keeps everything. The Starter passes
	// it on; it is here so the soak knows what to wait for.
	Retention time.Duration

	PayloadBytes int // size of each delivered body, about
	// CeilingRequests is how many requests measure the ceiling; 0: as
	// many as the throughput scenario delivers, at least 20,000.
	CeilingRequests int
	// Drain is how long to wait for a missing delivery after the last one
	// arrived before counting the rest as lost.
	Drain time.Duration

	SinkAddr string // where the sink listens; 127.0.0.1:0 by default

	// CPUProfile, when set, is where the throughput scenario writes a CPU
	// profile of the server (its pprof endpoint), taken over
	// ProfileSeconds from the start of publishing.
	CPUProfile     string
	ProfileSeconds int

	// Database names the server's store in the results ("sqlite", ...).
	Database string
	// ServerBinary names the executable that serves, in the results, when
	// it is not the bench's own.
	ServerBinary string
	// Progress receives a line a second while a scenario runs; nil for none.
	Progress io.Writer
}

// Defaults are the figures `hookd bench` runs with unless told otherwise.
var Defaults = Config{
	Scenarios:       []string{Throughput},
	Events:          20000,
	Fanout:          1,
	Batch:           1,
	Publishers:      32,
	MaxInFlight:     64,
	Rate:            1000,
	LatencyEvents:   10000,
	FanoutEndpoints: 100,
	FanoutEvents:    20,
	Healthy:         2,
	Blackholed:      8,
	IdleEvents:      20,
	IdleGap:         200 * time.Millisecond,
	Rounds:          5,
	PayloadBytes:    450,
	Drain:           10 * time.Second,
	SinkAddr:        "127.0.0.1:0",
	ProfileSeconds:  10,
}

// Limits bound a run, so that a typo cannot start an endless one.
const (
	MaxEvents    = 10_000_000
	MaxEndpoints = 1000
	MaxBatch     = 1000
	MaxRate      = 1_000_000
)

func (c *Config) setDefaults() {
	d := Defaults
	if len(c.Scenarios) == 0 {
		c.Scenarios = d.Scenarios
	}
	setInt := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	setInt(&c.Events, d.Events)
	setInt(&c.Fanout, d.Fanout)
	setInt(&c.Batch, d.Batch)
	setInt(&c.Publishers, d.Publishers)
	setInt(&c.MaxInFlight, d.MaxInFlight)
	setInt(&c.Rate, d.Rate)
	setInt(&c.LatencyEvents, d.LatencyEvents)
	setInt(&c.FanoutEndpoints, d.FanoutEndpoints)
	setInt(&c.FanoutEvents, d.FanoutEvents)
	setInt(&c.Healthy, d.Healthy)
	setInt(&c.IdleEvents, d.IdleEvents)
	setInt(&c.Rounds, d.Rounds)
	setInt(&c.PayloadBytes, d.PayloadBytes)
	setInt(&c.ProfileSeconds, d.ProfileSeconds)
	if c.Blackholed < 0 {
		c.Blackholed = d.Blackholed
	}
	if c.IdleGap <= 0 {
		c.IdleGap = d.IdleGap
	}
	if c.Drain <= 0 {
		c.Drain = d.Drain
	}
	if c.SinkAddr == "" {
		c.SinkAddr = d.SinkAddr
	}
}

// Validate fills defaults and checks the bounds.
func (c *Config) Validate() error {
	c.setDefaults()
	var errs []error
	for _, s := range c.Scenarios {
		if !contains(Scenarios, s) && s != Soak {
			errs = append(errs, fmt.Errorf("unknown scenario %q (want %s, %s or all)", s, strings.Join(Scenarios, ", "), Soak))
		}
	}
	check := func(name string, v, limit int) {
		if v > limit {
			errs = append(errs, fmt.Errorf("%s %d is over the limit of %d", name, v, limit))
		}
	}
	check("events", c.Events, MaxEvents)
	check("latency events", c.LatencyEvents, MaxEvents)
	check("fanout", c.Fanout, MaxEndpoints)
	check("fanout endpoints", c.FanoutEndpoints, MaxEndpoints)
	check("fanout events", c.FanoutEvents, MaxEvents/MaxEndpoints)
	check("healthy endpoints", c.Healthy, MaxEndpoints)
	check("black-holed endpoints", c.Blackholed, MaxEndpoints)
	check("idle events", c.IdleEvents, 100_000)
	check("batch", c.Batch, MaxBatch)
	check("publishers", c.Publishers, 4096)
	check("max in flight", c.MaxInFlight, 1000)
	check("rate", c.Rate, MaxRate)
	check("payload bytes", c.PayloadBytes, 900<<10)
	check("ceiling requests", c.CeilingRequests, MaxEvents)
	check("rounds", c.Rounds, 1000)
	if c.Retention < 0 {
		errs = append(errs, fmt.Errorf("retention %s is negative", c.Retention))
	}
	return errors.Join(errs...)
}

// EndpointsPerTenant is the most endpoints one scenario's tenant needs.
func (c *Config) EndpointsPerTenant() int {
	return max(c.Fanout, c.FanoutEndpoints, c.Healthy+c.Blackholed)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hookd/hookd/bench"
)

type benchCmd struct {
	Scenario   []string `default:"throughput" help:"Scenarios to run, comma-separated: throughput, latency, fanout, isolation, idle, or all."`
	Events     int      `default:"20000" help:"throughput, isolation: events to publish."`
	Fanout     int      `default:"1" help:"throughput, latency: endpoints each event goes to."`
	Batch      int      `default:"1" help:"Events per publish request (1: POST .../events; more: POST .../events/batch)."`
	Publishers int      `default:"32" help:"Publish requests in flight at once."`
	// The ceiling is measured with the concurrency hookd can use toward the
	// sink: min(--workers, fan-out x --max-in-flight).
	MaxInFlight     int           `default:"64" help:"max_in_flight of the bench's endpoints."`
	Workers         int           `default:"256" help:"--workers of the server the bench starts (with --server: what it runs with)."`
	Rate            int           `default:"1000" help:"latency: events per second."`
	Duration        time.Duration `default:"10s" help:"latency: how long to publish at --rate."`
	Endpoints       int           `default:"100" help:"fanout: endpoints each event goes to."`
	FanoutEvents    int           `default:"20" help:"fanout: events, one after another."`
	Healthy         int           `default:"2" help:"isolation: healthy endpoints."`
	Blackholed      int           `default:"8" help:"isolation: endpoints that accept connections and never answer."`
	IdleEvents      int           `default:"20" help:"idle: single events."`
	IdleGap         time.Duration `default:"200ms" help:"idle: pause before each event."`
	PayloadBytes    int           `default:"450" help:"Size of each delivered body, about."`
	CeilingRequests int           `help:"Requests that measure the ceiling (default: as many as the throughput scenario delivers, at least 20000)."`
	Drain           time.Duration `default:"10s" help:"How long to wait for a missing delivery after the last arrival before counting it lost."`
	Timeout         time.Duration `default:"10m" help:"Bound on the whole run."`

	Server        string   `help:"Target this running hookd (its base URL) instead of starting one. It must allow private targets, since the sink is local."`
	Key           string   `env:"HOOKD_BENCH_KEY" help:"Admin API key of --server."`
	ServerPID     int      `name:"server-pid" help:"Process id of --server when it runs on this machine, for its memory and CPU figures."`
	PprofURL      string   `name:"pprof-url" help:"pprof base URL of --server (its --pprof-addr), for --cpuprofile."`
	SinkAddr      string   `default:"127.0.0.1:0" help:"Where the bench's receiver listens. Only loopback unless --server is given."`
	Database      string   `help:"Database of the server the bench starts: a new SQLite file by default, or a postgres:// URL."`
	CPUProfile    string   `name:"cpuprofile" help:"Write a CPU profile of the server during the throughput scenario to this file."`
	ProfileTime   int      `name:"profile-seconds" default:"10" help:"Length of the --cpuprofile profile, from the start of publishing."`
	JSON          bool     `name:"json" help:"Print one JSON object per scenario instead of the table."`
	Quiet         bool     `help:"No progress lines on stderr."`
	ServerLog     bool     `name:"server-log" help:"Copy the started server's log to stderr."`
	ExtraServeArg []string `name:"serve-arg" help:"More flags for the server the bench starts, e.g. --serve-arg=--log-level=warn." sep:"none"`
}

func (c *benchCmd) Run() error {
	cfg, err := c.config()
	if err != nil {
		return &exitCodeError{exitBadInput, err}
	}
	start, cleanup, err := c.starter(&cfg)
	if err != nil {
		return &exitCodeError{exitBadInput, err}
	}
	defer cleanup()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()

	results, runErr := bench.Run(ctx, cfg, start)
	if c.JSON {
		err = bench.WriteJSON(os.Stdout, results)
	} else {
		err = bench.WriteTable(os.Stdout, results)
	}
	if runErr != nil {
		return runErr
	}
	if err != nil {
		return err
	}
	for _, r := range results {
		if r.Failed() {
			return fmt.Errorf("%s: %d lost, %d duplicates, %d bad signatures, %d publish errors", r.Scenario, r.Lost, r.Duplicates, r.BadSignatures, r.PublishErrors)
		}
	}
	return nil
}

func (c *benchCmd) config() (bench.Config, error) {
	scenarios := c.Scenario
	if len(scenarios) == 1 && scenarios[0] == "all" {
		scenarios = bench.Scenarios
	}
	if c.Rate <= 0 || c.Duration <= 0 {
		return bench.Config{}, errors.New("--rate and --duration must be positive")
	}
	cfg := bench.Config{
		Scenarios:       scenarios,
		Events:          c.Events,
		Fanout:          c.Fanout,
		Batch:           c.Batch,
		Publishers:      c.Publishers,
		MaxInFlight:     c.MaxInFlight,
		Rate:            c.Rate,
		LatencyEvents:   max(1, int(float64(c.Rate)*c.Duration.Seconds())),
		FanoutEndpoints: c.Endpoints,
		FanoutEvents:    c.FanoutEvents,
		Healthy:         c.Healthy,
		Blackholed:      c.Blackholed,
		IdleEvents:      c.IdleEvents,
		IdleGap:         c.IdleGap,
		PayloadBytes:    c.PayloadBytes,
		CeilingRequests: c.CeilingRequests,
		Drain:           c.Drain,
		SinkAddr:        c.SinkAddr,
		CPUProfile:      c.CPUProfile,
		ProfileSeconds:  c.ProfileTime,
	}
	if !c.Quiet {
		cfg.Progress = os.Stderr
	}
	if c.Server == "" && !loopback(c.SinkAddr) {
		return cfg, fmt.Errorf("--sink-addr %s: only loopback addresses, unless --server is given", c.SinkAddr)
	}
	return cfg, cfg.Validate()
}

// starter returns how each scenario gets its server: a fresh `hookd serve`
// (this executable) with its own database, or the --server every time.
func (c *benchCmd) starter(cfg *bench.Config) (bench.Starter, func(), error) {
	if c.Server != "" {
		if c.Key == "" {
			return nil, nil, errors.New("--server needs --key (or HOOKD_BENCH_KEY), an admin API key")
		}
		if _, err := url.ParseRequestURI(c.Server); err != nil {
			return nil, nil, fmt.Errorf("--server: %w", err)
		}
		cfg.Database = "server " + c.Server
		srv := &bench.Server{URL: c.Server, Key: c.Key, PID: c.ServerPID, PprofURL: c.PprofURL, Workers: c.Workers}
		return func(context.Context, string) (*bench.Server, error) { return srv, nil }, func() {}, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	cfg.Database = "sqlite"
	if strings.HasPrefix(c.Database, "postgres://") || strings.HasPrefix(c.Database, "postgresql://") {
		cfg.Database = "postgres"
	} else if c.Database != "" {
		return nil, nil, errors.New("--database takes a postgres:// URL; without it the bench uses a new SQLite file")
	}
	dir, err := os.MkdirTemp("", "hookd-bench-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	n := 0
	start := func(ctx context.Context, scenario string) (*bench.Server, error) {
		n++
		sub := fmt.Sprintf("%s/%d-%s", dir, n, scenario)
		if err := os.Mkdir(sub, 0o700); err != nil {
			return nil, err
		}
		o := bench.SpawnOptions{
			Binary: exe, Dir: sub, Database: c.Database, Workers: c.Workers,
			MaxEndpointsPerTenant: max(100, cfg.EndpointsPerTenant()),
			Pprof:                 c.CPUProfile != "" && scenario == bench.Throughput,
			ExtraArgs:             c.ExtraServeArg,
		}
		if c.ServerLog {
			o.Log = os.Stderr
		}
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "%s: starting hookd serve (%s)\n", scenario, cfg.Database)
		}
		srv, err := bench.Spawn(ctx, o)
		if err != nil {
			return nil, err
		}
		stop := srv.Stop
		srv.Stop = func() error {
			err := stop()
			os.RemoveAll(sub)
			return err
		}
		return srv, nil
	}
	return start, cleanup, nil
}

// loopback reports whether a host:port listens on loopback only.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

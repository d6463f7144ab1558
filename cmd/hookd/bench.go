package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/hookd/hookd/bench"
)

type benchCmd struct {
	Scenario   []string `default:"throughput" help:"Scenarios to run, comma-separated: throughput, latency, fanout, isolation, idle, or all (which is those five); or soak: the throughput scenario --rounds times on one server and database, with the database's size after each round's history is purged."`
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
	Rounds          int           `default:"5" help:"soak: throughput rounds, back to back on one server process and database."`
	Retention       time.Duration `default:"10s" help:"soak: the server's --retention. After each round the bench waits until retention has purged the round's deliveries, then measures the database; the server purges every retention/10 (1s at least, 1m at most). 0 keeps all history: rounds then run on a growing database."`
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
	Nodes         int      `default:"1" help:"Servers the bench starts on the one --database (PostgreSQL only), sharing its keys: publishes go to each in turn, their CPU adds up."`
	ServerBinary  string   `name:"server-binary" help:"Start this hookd executable as the server instead of the bench's own, e.g. an older build to compare with."`
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
	if c.Rounds < 1 {
		return bench.Config{}, fmt.Errorf("--rounds must be at least 1, got %d", c.Rounds)
	}
	if c.Retention < 0 {
		return bench.Config{}, fmt.Errorf("--retention must not be negative, got %s", c.Retention)
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
		Rounds:          c.Rounds,
		Retention:       c.Retention,
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
	if c.Nodes < 1 {
		return nil, nil, fmt.Errorf("--nodes must be at least 1, got %d", c.Nodes)
	}
	if c.Server != "" {
		switch {
		case c.Nodes > 1 || c.ServerBinary != "":
			return nil, nil, errors.New("--nodes and --server-binary are for servers the bench starts, not with --server")
		case slices.Contains(cfg.Scenarios, bench.Soak):
			return nil, nil, errors.New("the soak scenario starts its own server (it sets the retention), not with --server")
		}
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
	exe, err := c.serverBinary()
	if err != nil {
		return nil, nil, err
	}
	if c.ServerBinary != "" {
		cfg.ServerBinary = exe
	}
	cfg.Database = "sqlite"
	if bench.IsPostgresURL(c.Database) {
		cfg.Database = "postgres"
	} else if c.Database != "" {
		return nil, nil, errors.New("--database takes a postgres:// URL; without it the bench uses a new SQLite file")
	}
	if c.Nodes > 1 && cfg.Database != "postgres" {
		return nil, nil, fmt.Errorf("--nodes %d needs a PostgreSQL --database: SQLite serves one process", c.Nodes)
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
		if scenario == bench.Soak {
			// Before --serve-arg, so that one given there still wins.
			o.ExtraArgs = append([]string{"--retention", c.Retention.String()}, o.ExtraArgs...)
		}
		if c.ServerLog {
			o.Log = os.Stderr
		}
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "%s: starting %s serve (%s)\n", scenario, nodes(c.Nodes, exe), cfg.Database)
		}
		srv, err := bench.SpawnNodes(ctx, o, c.Nodes)
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

// serverBinary is the executable the bench starts as its server: its own,
// or --server-binary, which must be an executable file.
func (c *benchCmd) serverBinary() (string, error) {
	if c.ServerBinary == "" {
		return os.Executable()
	}
	path, err := filepath.Abs(c.ServerBinary)
	if err != nil {
		return "", fmt.Errorf("--server-binary: %w", err)
	}
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return "", fmt.Errorf("--server-binary: %w", err)
	case !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0:
		return "", fmt.Errorf("--server-binary %s is not an executable file", path)
	}
	c.ServerBinary = path
	return path, nil
}

// nodes names what the bench starts, for the progress lines.
func nodes(n int, exe string) string {
	name := filepath.Base(exe)
	if n > 1 {
		return fmt.Sprintf("%d × %s", n, name)
	}
	return name
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

// Command hookd runs the hookd webhook delivery platform. It only wires
// configuration to the packages that do the work.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/alecthomas/kong"

	"github.com/hookd/hookd/internal/buildinfo"
)

type cli struct {
	Config         configFile     `placeholder:"FILE" env:"HOOKD_CONFIG" help:"YAML (.yaml, .yml) or TOML (.toml) file of settings, keyed by flag name without the dashes (retry-schedule: 1m,5m). A flag beats its environment variable, which beats the file."`
	VersionFlag    versionFlag    `name:"version" help:"Print the version, commit, build date and Go version, then exit."`
	Serve          serveCmd       `cmd:"" help:"Run the API and the delivery workers."`
	Verify         verifyCmd      `cmd:"" help:"Check a received delivery's signature (exit 0 valid, 1 invalid)."`
	Sign           signCmd        `cmd:"" help:"Sign a body as hookd would, printing the headers."`
	Listen         listenCmd      `cmd:"" help:"Receive a tenant's deliveries on this machine and forward them to a local URL."`
	Trigger        triggerCmd     `cmd:"" help:"Send a test event to one hookd listen session only."`
	Worker         workerCmd      `cmd:"" help:"Run delivery workers only (PostgreSQL): no API, only /healthz, /readyz and /metrics on --addr."`
	Migrate        migrateCmd     `cmd:"" help:"Bring the database schema up to this version, then exit (nodes also migrate when they start)."`
	Bench          benchCmd       `cmd:"" help:"Measure throughput and latency end to end against the machine's ceiling (starts its own hookd, or --server)."`
	ConfigCommands configCmd      `cmd:"" name:"config" help:"Work with configuration files."`
	Version        versionCmd     `cmd:"" help:"Print the version, commit, build date and Go version."`
	Healthcheck    healthcheckCmd `cmd:"" help:"Exit 0 when the hookd on this machine answers /healthz with 200, else 1 (the container image's HEALTHCHECK)."`
}

type versionCmd struct{}

func (versionCmd) Run() error {
	printVersion(os.Stdout)
	return nil
}

// versionFlag is --version, answered before any other flag is checked.
type versionFlag bool

func (versionFlag) BeforeReset(app *kong.Kong) error {
	printVersion(app.Stdout)
	app.Exit(0)
	return nil
}

func printVersion(w io.Writer) {
	info := buildinfo.Get()
	fmt.Fprintf(w, "hookd %s\ncommit: %s\nbuilt: %s\ngo: %s\n", info.Version, orUnknown(info.Commit), orUnknown(info.Date), info.GoVersion)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func main() {
	parser := kong.Must(&cli{},
		kong.Name("hookd"),
		kong.Description("Self-hosted webhook delivery: publish events, hookd signs, delivers, retries and logs them.\nEvery flag can also be set with the environment variable shown beside it, or in a --config file."),
	)
	ctx, err := parser.Parse(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "hookd: %v\n(see hookd --help)\n", err)
		os.Exit(exitBadInput)
	}
	if err := ctx.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "hookd:", err)
		var coded *exitCodeError
		if errors.As(err, &coded) {
			os.Exit(coded.code)
		}
		os.Exit(1)
	}
}

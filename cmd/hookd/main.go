// Command hookd runs the hookd webhook delivery platform. It only wires
// configuration to the packages that do the work.
package main

import (
	"fmt"
	"os"

	"github.com/alecthomas/kong"

	"github.com/hookd/hookd"
)

type cli struct {
	Serve   serveCmd   `cmd:"" help:"Run the API and the delivery workers."`
	Version versionCmd `cmd:"" help:"Print the version."`
}

type versionCmd struct{}

func (versionCmd) Run() error {
	fmt.Println("hookd", hookd.Version)
	return nil
}

func main() {
	ctx := kong.Parse(&cli{},
		kong.Name("hookd"),
		kong.Description("Self-hosted webhook delivery: publish events, hookd signs, delivers, retries and logs them.\nEvery flag can also be set with the environment variable shown beside it."),
		kong.UsageOnError(),
	)
	if err := ctx.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "hookd:", err)
		os.Exit(1)
	}
}

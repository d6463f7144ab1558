package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/secretbox"
	"github.com/hookd/hookd/metrics"
	"github.com/hookd/hookd/postgres"
	"github.com/hookd/hookd/sqlite"
)

// errSharedKey explains why PostgreSQL needs --encryption-key.
var errSharedKey = errors.New("--encryption-key (HOOKD_ENCRYPTION_KEY) is required with a PostgreSQL database: " +
	"every node must encrypt and decrypt endpoint secrets with the same key, so it cannot be a key file on one node's disk " +
	"(make one with: openssl rand -base64 32)")

// openStore opens the database --database names (a postgres:// or
// postgresql:// URL, else a SQLite file), migrated, with a deadline on every
// call (--db-timeout) and metrics around it; ops builds the operational events
// it writes (nil: none).
func (c *serveCmd) openStore(ctx context.Context, box *secretbox.Box, ops hookd.OpEvents) (hookd.Store, *metrics.Metrics, error) {
	var store hookd.Store
	var err error
	if postgres.IsURL(c.Database) {
		store, err = postgres.Open(ctx, c.Database, box, postgres.WithOpEvents(ops))
	} else {
		store, err = sqlite.Open(ctx, c.Database, box, sqlite.WithOpEvents(ops))
	}
	if err != nil {
		return nil, nil, err
	}
	m := metrics.New(store) // its queue gauges have their own deadline
	return m.Wrap(hookd.WithDeadlines(store, c.DBTimeout)), m, nil
}

// redactDatabase is --database as logs may show it: without a password.
func redactDatabase(database string) string {
	if !postgres.IsURL(database) {
		return database
	}
	u, err := url.Parse(database)
	if err != nil {
		return "postgres://(unparsable url)"
	}
	return u.Redacted()
}

type migrateCmd struct {
	Database string `default:"hookd.db" env:"HOOKD_DATABASE" help:"SQLite database file, or a postgres:// URL."`
}

// Run brings the schema up to this version. Nodes also migrate when they
// start; this is for doing it ahead of a rolling upgrade.
func (c *migrateCmd) Run() error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if !postgres.IsURL(c.Database) {
		// Opening a SQLite file migrates it; no secret is read.
		db, err := sqlite.Open(ctx, c.Database, nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "hookd: %s is up to date\n", c.Database)
		return db.Close()
	}
	db, err := postgres.Connect(ctx, c.Database, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "hookd: applied %d migrations; %s is up to date\n", n, redactDatabase(c.Database))
	return nil
}

type workerCmd struct {
	serveCmd `embed:""`
}

// Run delivers without serving the API: only /healthz, /readyz and
// /metrics answer on --addr.
func (c *workerCmd) Run() error {
	if c.NoWorkers {
		return errors.New("hookd worker --no-workers would run nothing; use hookd serve --no-workers for an API-only node")
	}
	c.workerOnly = true
	return c.serveCmd.Run()
}

package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hookd/hookd/internal/pgtest"
)

// onStores runs fn once per store: on a SQLite file, and on a fresh
// PostgreSQL database when HOOKD_TEST_POSTGRES names a server (the subtest
// skips without it). fn gets the config that starts hookd on that store; it
// may add flags to extraArgs.
func onStores(t *testing.T, fn func(t *testing.T, c config)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, config{}) })
	t.Run("postgres", func(t *testing.T) { fn(t, postgresConfig(t)) })
}

// postgresConfig starts hookd on a new PostgreSQL database of its own.
func postgresConfig(t *testing.T) config {
	t.Helper()
	dbURL := pgtest.Database(t, os.Getenv(pgtest.EnvVar))
	// config.db only names the working directory; --database wins.
	return config{db: filepath.Join(t.TempDir(), "unused.db"),
		extraArgs: []string{"--database", dbURL, "--encryption-key", newKey(t)}}
}

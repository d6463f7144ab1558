package postgres_test

import (
	"os"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/pgtest"
	"github.com/hookd/hookd/internal/secretbox"
	"github.com/hookd/hookd/postgres"
	"github.com/hookd/hookd/storetest"
)

// openTestDB opens a migrated store on dbURL.
func openTestDB(t testing.TB, dbURL string, opts ...postgres.Option) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(t.Context(), dbURL, testBox(t), opts...)
	if err != nil {
		t.Fatalf("open postgres store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func testBox(t testing.TB) *secretbox.Box {
	box, err := secretbox.New(make([]byte, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return box
}

// TestStoreContract runs the one contract every Store passes, on one
// database migrated once: each case starts from empty tables.
func TestStoreContract(t *testing.T) {
	dbURL := pgtest.Database(t, os.Getenv(pgtest.EnvVar))
	storetest.Run(t, func(t *testing.T) hookd.Store {
		db := openTestDB(t, dbURL)
		pgtest.Truncate(t, dbURL)
		return db
	})
}

// TestOpEventsContract runs the operational events' outbox contract.
func TestOpEventsContract(t *testing.T) {
	dbURL := pgtest.Database(t, os.Getenv(pgtest.EnvVar))
	storetest.RunOpEvents(t, func(t *testing.T, ops hookd.OpEvents) hookd.Store {
		db := openTestDB(t, dbURL, postgres.WithOpEvents(ops))
		pgtest.Truncate(t, dbURL)
		return db
	})
}

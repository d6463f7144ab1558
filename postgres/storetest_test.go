package postgres_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/pgtest"
	"github.com/hookd/hookd/internal/secretbox"
	"github.com/hookd/hookd/postgres"
	"github.com/hookd/hookd/storetest"
)

// openTestDB opens a migrated store on a fresh schema of a database made
// for this test.
func openTestDB(t *testing.T, dbURL string, schema int) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(t.Context(), pgtest.WithSchema(t, dbURL, fmt.Sprintf("s%d", schema)), testBox(t))
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

// TestStoreContract runs the one contract every Store passes, each case on
// its own schema of one database.
func TestStoreContract(t *testing.T) {
	dbURL := pgtest.Database(t, os.Getenv(pgtest.EnvVar))
	n := 0
	storetest.Run(t, func(t *testing.T) hookd.Store {
		n++
		return openTestDB(t, dbURL, n)
	})
}

package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/secretbox"
	"github.com/hookd/hookd/sqlite"
	"github.com/hookd/hookd/storetest"
)

// TestStoreContract runs the one contract every Store passes.
func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) hookd.Store { return openContractStore(t, nil) })
}

// TestOpEventsContract runs the operational events' outbox contract.
func TestOpEventsContract(t *testing.T) {
	storetest.RunOpEvents(t, openContractStore)
}

func openContractStore(t *testing.T, ops hookd.OpEvents) hookd.Store {
	box, err := secretbox.New(make([]byte, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "hookd.db"), box, sqlite.WithOpEvents(ops))
	if err != nil {
		t.Fatalf("open sqlite store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

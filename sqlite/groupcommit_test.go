package sqlite

import (
	"context"
	"database/sql"
	"testing"
	"time"
)

// TestCancelledCallerDoesNotAbortItsGroup: a caller whose context ends
// while its statements run must not roll back the other callers' work in
// the shared transaction (SQLite answers an interrupt by rolling back the
// whole transaction, not the savepoint).
func TestCancelledCallerDoesNotAbortItsGroup(t *testing.T) {
	db, ctx := cacheTestDB(t)
	insert := func(jobCtx context.Context, name string, slow bool) *txJob {
		return &txJob{ctx: jobCtx, done: make(chan error, 1), fn: func(ctx context.Context, tx *sql.Tx) error {
			if slow {
				// A statement long enough for the caller's deadline to pass.
				if _, err := tx.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
					SELECT COUNT(*) FROM n`); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO event_types (name, created_at) VALUES (?, 0)`, name)
			return err
		}}
	}
	impatient, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	group := []*txJob{insert(ctx, "before", false), insert(impatient, "slow", true), insert(ctx, "after", false)}
	db.runGroup(group)
	for i, j := range group {
		if err := <-j.done; err != nil {
			t.Errorf("job %d: %v", i, err)
		}
	}
	for _, name := range []string{"before", "slow", "after"} {
		if _, err := db.EventType(ctx, name); err != nil {
			t.Errorf("%s: %v (a job reported committed must be stored)", name, err)
		}
	}
	if impatient.Err() == nil {
		t.Fatal("the slow job finished before its caller's deadline; the test did not exercise cancellation")
	}
}

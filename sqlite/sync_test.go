package sqlite

import (
	"context"
	"database/sql"
	"testing"
)

// TestOnlyLeasesCommitLazily: a group of lease jobs alone runs with
// synchronous=NORMAL; any other group, or a group mixing in another kind of
// job, runs with FULL, and FULL is back once a lazy group is over.
func TestOnlyLeasesCommitLazily(t *testing.T) {
	db, ctx := cacheTestDB(t)
	job := func(kind jobKind, seen *int) *txJob {
		return &txJob{ctx: ctx, kind: kind, done: make(chan error, 1), fn: func(ctx context.Context, tx *sql.Tx) error {
			return tx.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(seen)
		}}
	}
	const normal, full = 1, 2
	for _, c := range []struct {
		name  string
		kinds []jobKind
		want  int
	}{
		{"leases", []jobKind{jobLease, jobLease}, normal},
		{"lease and record", []jobKind{jobLease, jobQueue}, full},
		{"lease and publish", []jobKind{jobLease, jobPublish}, full},
		{"other", []jobKind{jobOther}, full},
	} {
		seen := make([]int, len(c.kinds))
		batch := make([]*txJob, len(c.kinds))
		for i, k := range c.kinds {
			batch[i] = job(k, &seen[i])
		}
		db.runGroup(batch) // the committer is idle: nothing is queued
		for i, j := range batch {
			if err := <-j.done; err != nil {
				t.Fatalf("%s: job %d: %v", c.name, i, err)
			}
			if seen[i] != c.want {
				t.Errorf("%s: job %d ran with synchronous=%d, want %d", c.name, i, seen[i], c.want)
			}
		}
		var after int
		if err := db.write.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&after); err != nil || after != full {
			t.Errorf("%s: synchronous=%d after the group (%v), want FULL", c.name, after, err)
		}
	}
}

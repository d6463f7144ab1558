package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"
)

// TestWriteWaitsUntilItsDeadline: a caller whose write waits behind a
// writer that does not finish (a stalled disk) gets its deadline's error,
// instead of waiting for the writer; the writer's work still commits.
func TestWriteWaitsUntilItsDeadline(t *testing.T) {
	db, ctx := cacheTestDB(t)
	started, release := make(chan struct{}), make(chan struct{})
	stalled := make(chan error, 1)
	go func() {
		stalled <- db.inTx(ctx, "stalled write", func(ctx context.Context, tx *sql.Tx) error {
			close(started)
			<-release
			_, err := tx.ExecContext(ctx, `INSERT INTO event_types (name, created_at) VALUES ('stalled', 0)`)
			return err
		})
	}()
	<-started // the writer holds the transaction: the next write must wait
	impatient, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	err := db.inTx(impatient, "impatient write", func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO event_types (name, created_at) VALUES ('impatient', 0)`)
		return err
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a write behind a stalled writer: %v, want its deadline's error", err)
	}
	close(release)
	if err := <-stalled; err != nil {
		t.Fatal(err)
	}
	if _, err := db.EventType(ctx, "stalled"); err != nil {
		t.Errorf("the stalled write: %v", err)
	}
}

package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/hookd/hookd"
)

// Option configures the store at Connect or Open.
type Option func(*DB)

// WithOpEvents makes the store write the operational events b builds in the
// transaction of each change they report; nil writes none.
func WithOpEvents(b hookd.OpEvents) Option { return func(db *DB) { db.ops = b } }

// failedBy returns the results whose delivery tx failed for good, after
// hookd_record_batch: failed now, and its row written by tx (xmin), which
// happens only while the result's lease holds (a stale result changes no
// delivery).
func (db *DB) failedBy(ctx context.Context, tx pgx.Tx, results []hookd.AttemptResult) ([]*hookd.AttemptResult, error) {
	var maybe []string // no success, no next attempt
	for i := range results {
		if r := &results[i]; !r.Outcome.Success && r.NextAttemptAt.IsZero() {
			maybe = append(maybe, r.Job.DeliveryID)
		}
	}
	if db.ops == nil || len(maybe) == 0 {
		return nil, nil
	}
	rows, err := tx.Query(ctx, `SELECT id FROM deliveries
		WHERE id = ANY($1) AND status = 'failed' AND xmin = pg_current_xact_id()::xid`, maybe)
	ids, err := collect(rows, err, func(r pgx.Rows) (string, error) {
		var id string
		return id, r.Scan(&id)
	})
	if err != nil {
		return nil, fmt.Errorf("find failed deliveries: %w", err)
	}
	set := make(map[string]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	var failed []*hookd.AttemptResult
	for i := range results {
		if r := &results[i]; set[r.Job.DeliveryID] {
			delete(set, r.Job.DeliveryID)
			failed = append(failed, r)
		}
	}
	return failed, nil
}

// opEvents writes, in tx, the events about the deliveries it failed and the
// endpoints it disabled or enabled (their ids; read as tx leaves them).
func (db *DB) opEvents(ctx context.Context, tx pgx.Tx, failed []*hookd.AttemptResult, changed []string) error {
	if db.ops == nil || len(failed)+len(changed) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT `+endpointColumns+` FROM endpoints WHERE id = ANY($1) ORDER BY id`, changed)
	eps, err := collect(rows, err, func(r pgx.Rows) (*hookd.Endpoint, error) { return db.scanEndpoint(r) })
	if err != nil {
		return fmt.Errorf("read endpoints: %w", err)
	}
	return hookd.WriteOpEvents(db.ops, failed, eps, db.now(), func(tenantID string, events []hookd.NewEvent) error {
		p, err := db.beginPublish(ctx, tx, tenantID)
		if err == nil {
			_, err = p.publishAll(events)
		}
		return err
	})
}
